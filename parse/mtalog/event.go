// Package mtalog parses MTA log lines (Postfix, Exim, Sendmail) into Events:
// who connected, who was rejected and why, which deliveries a remote server
// refused or deferred, and which DNS checks failed along the way.
//
// It reads the lines as they appear in syslog files (classic BSD, RFC 3339
// and RFC 5424 timestamps) and in Exim's own mainlog. It extracts reply
// codes, enhanced status codes and reply texts verbatim and leaves their
// interpretation to the caller. Parsing is byte scanning without regular
// expressions: lines of no interest are skipped without allocating.
//
// A Parser takes one line at a time, from any source; it dates classic
// stamps, which carry no year, by a clock (Parser.Now), so a long-running
// reader of a live log keeps the year right. Scanner reads a finished input
// line by line. Event.IsRefusal and Event.IsIdentityWarning say which
// events judge a remote's identity, and Window which fall in a span of
// time. Package mtalogtest generates logs for tests.
package mtalog

import (
	"fmt"
	"net/netip"
	"time"

	"hopcheck/parse"
)

// Dialect is the MTA that wrote a line.
type Dialect uint8

// The dialects the parser understands; the zero value means none.
const (
	NoDialect Dialect = iota
	Postfix
	Exim
	Sendmail
)

var dialectNames = [...]string{"", "postfix", "exim", "sendmail"}

// String returns "postfix", "exim" or "sendmail" ("" for NoDialect).
func (d Dialect) String() string { return enumString(dialectNames[:], int(d)) }

// MTA names the dialect's software as package parse does for Received
// stamps; "" for NoDialect.
func (d Dialect) MTA() parse.MTA {
	switch d {
	case Postfix:
		return parse.Postfix
	case Exim:
		return parse.Exim
	case Sendmail:
		return parse.Sendmail
	}
	return ""
}

// MarshalText encodes the dialect as its String.
func (d Dialect) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes a String value.
func (d *Dialect) UnmarshalText(b []byte) error {
	return enumParse(dialectNames[:], b, (*uint8)(d), "dialect")
}

// Direction tells which side of the SMTP conversation the remote was on.
type Direction uint8

// Directions; events that are bookkeeping of the local queue have none.
const (
	NoDirection Direction = iota
	// Inbound: a client connected to us; RemoteIP is the client.
	Inbound
	// Outbound: we delivered to a remote server; RemoteIP is that server.
	Outbound
)

var directionNames = [...]string{"", "inbound", "outbound"}

// String returns "inbound" or "outbound" ("" for NoDirection).
func (d Direction) String() string { return enumString(directionNames[:], int(d)) }

// MarshalText encodes the direction as its String.
func (d Direction) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes a String value.
func (d *Direction) UnmarshalText(b []byte) error {
	return enumParse(directionNames[:], b, (*uint8)(d), "direction")
}

// Kind is what a line reports.
type Kind uint8

// The kinds of events; the zero value is never returned by Parse.
const (
	NoKind Kind = iota
	// Connect: a client connected (Postfix smtpd/postscreen, Exim, Sendmail).
	Connect
	// Reject: we refused a client's command; Reply holds our reply.
	Reject
	// DNSWarning: the MTA's reverse/forward DNS check of a client failed.
	DNSWarning
	// Delivered: a remote server (or local agent) accepted a recipient.
	Delivered
	// Deferred: a delivery attempt failed temporarily.
	Deferred
	// Bounced: a delivery failed permanently.
	Bounced
	// Expired: Postfix gave up on a deferred recipient (status=expired).
	Expired
	// LostConnection: a client went away mid-conversation.
	LostConnection
	// Timeout: a client stopped talking.
	Timeout
	// Queue: bookkeeping that ties a queue id to its client, sender or
	// Message-ID (Postfix client=, qmgr from=, cleanup message-id=, Exim <=,
	// Sendmail from=).
	Queue
	// Pass: postscreen let a client through to smtpd.
	Pass
	// DNSBL: postscreen found a client on DNS blocklists (Score is the rank).
	DNSBL
)

var kindNames = [...]string{"", "connect", "reject", "dns-warning", "delivered",
	"deferred", "bounced", "expired", "lost-connection", "timeout", "queue",
	"pass", "dnsbl"}

// String returns the kind's name, such as "reject" or "dns-warning".
func (k Kind) String() string { return enumString(kindNames[:], int(k)) }

// MarshalText encodes the kind as its String.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText decodes a String value.
func (k *Kind) UnmarshalText(b []byte) error {
	return enumParse(kindNames[:], b, (*uint8)(k), "kind")
}

func enumString(names []string, i int) string {
	if i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("%d", i)
}

func enumParse(names []string, b []byte, dst *uint8, what string) error {
	for i, n := range names {
		if n == string(b) {
			*dst = uint8(i)
			return nil
		}
	}
	return fmt.Errorf("mtalog: unknown %s %q", what, b)
}

// Event is one line's worth of facts. Fields the line does not carry are
// left zero. Strings are verbatim slices of the line except where noted.
type Event struct {
	// Time is the line's timestamp; classic syslog stamps get their year
	// from the Parser's clock (see Parser.Now) and the Parser's location.
	Time    time.Time `json:"time,omitzero"`
	Host    string    `json:"host,omitempty"`    // syslog host ("" in Exim's mainlog)
	Program string    `json:"program,omitempty"` // "postfix/smtpd", "exim", "sm-mta"
	PID     int       `json:"pid,omitempty"`
	QueueID string    `json:"queue_id,omitempty"` // "" for NOQUEUE

	Dialect   Dialect   `json:"dialect"`
	Kind      Kind      `json:"kind"`
	Direction Direction `json:"direction,omitempty"`

	// RemoteName is the remote's name as the MTA logged it, without a
	// trailing dot; "unknown" becomes "".
	RemoteName string `json:"remote_name,omitempty"`
	// RemoteIP is the client (inbound) or the server (outbound).
	RemoteIP netip.Addr `json:"remote_ip,omitzero"`
	// MayBeForged is Sendmail's "(may be forged)" after a relay: its
	// forward-confirmation of the client's PTR failed.
	MayBeForged bool   `json:"may_be_forged,omitempty"`
	HELO        string `json:"helo,omitempty"`
	From        string `json:"from,omitempty"` // envelope sender, without <>
	To          string `json:"to,omitempty"`   // envelope recipient, without <>
	MessageID   string `json:"message_id,omitempty"`

	Code   int    `json:"code,omitempty"`   // SMTP reply code, when logged
	Status string `json:"status,omitempty"` // enhanced status: dsn= or the reply's own
	// Reply is the reply text as logged: Postfix's "host X[ip] said: 550-…
	// (in reply to RCPT TO command)" or its NOQUEUE reject text, Exim's
	// message after the fields, Sendmail's stat= detail or reject=. For
	// events without an SMTP reply (dns-warning, lost-connection, timeout)
	// it is the MTA's own description ("lost connection after RCPT").
	Reply string `json:"reply,omitempty"`
	// Delivery is the delivery status word: Postfix status= (sent,
	// deferred, bounced, expired), Sendmail's stat= word ("Sent",
	// "Deferred", "User unknown"), Exim's flag ("=>", "**", "==").
	Delivery string `json:"delivery,omitempty"`
	// Relay is the relay's host part as logged (outbound; "none" when
	// Postfix found no server to talk to).
	Relay string `json:"relay,omitempty"`
	// Score is postscreen's DNSBL rank.
	Score int `json:"score,omitempty"`

	Line int `json:"line,omitempty"` // 1-based line number, set by Scanner
}

// IsRefusal reports whether ev is a refusal that judges a remote's
// identity: a client we rejected (an inbound Reject that names the
// client's address), or a delivery a remote server refused with an SMTP
// reply (an outbound Bounced, Deferred or Expired event with a code of 400
// or more; a bounce without a code was decided locally, by no server).
// The MTA's own failed DNS checks are not refusals: see
// IsIdentityWarning.
func (ev *Event) IsRefusal() bool {
	switch ev.Kind {
	case Reject:
		return ev.Direction == Inbound && ev.RemoteIP.IsValid()
	case Bounced, Deferred, Expired:
		return ev.Direction == Outbound && ev.Code >= 400
	}
	return false
}

// IsIdentityWarning reports whether ev is the MTA's own failed DNS check
// of a client's identity (an inbound DNSWarning that names the client's
// address), which speaks of the client as a refusal would.
func (ev *Event) IsIdentityWarning() bool {
	return ev.Kind == DNSWarning && ev.Direction == Inbound && ev.RemoteIP.IsValid()
}
