package mtalog

import (
	"bytes"
	"strings"

	"hopcheck/internal/textutil"
)

// parseSendmail reads one Sendmail message (after "sm-mta[pid]: "): the
// "equates" of its recipient (to=), sender (from=) and ruleset records as
// documented in "sendmail, 4th Edition" §14.6, plus connection notices.
func parseSendmail(msg []byte, ev *Event, m mode) result {
	q := queueIDPrefix(msg)
	rest := msg[q:]
	if m.refusalsOnly && !hasPrefix(rest, "ruleset=") && (!hasPrefix(rest, "to=") || bytes.Contains(rest, []byte(", stat=Sent"))) {
		return skipped
	}
	switch {
	case hasPrefix(rest, "to="):
		if !containsAny(rest, ", stat=") {
			return skipped
		}
		return sendmailDelivery(withQueue(msg, q, ev, m), ev)
	case hasPrefix(rest, "from="):
		return sendmailFrom(withQueue(msg, q, ev, m), ev)
	case hasPrefix(rest, "ruleset="):
		if !containsAny(rest, ", reject=") {
			return skipped
		}
		return sendmailReject(withQueue(msg, q, ev, m), ev)
	case hasPrefix(rest, "lost input channel from "), hasPrefix(rest, "timeout waiting for input from "),
		hasPrefix(rest, "connect from "):
		return sendmailConn(withQueue(msg, q, ev, m), ev)
	}
	return skipped
}

// equate returns the value of ", key=" (or "key=" at the start) up to the
// next ", ", and whether it was present.
func equate(s, key string) (string, bool) {
	if strings.HasPrefix(s, key) {
		v, _, _ := fieldValue(s, key, ", ")
		return v, true
	}
	v, _, ok := fieldValue(s, ", "+key, ", ")
	return v, ok
}

// sendmailRelay reads a relay= value: "name. [ip]", "[ip]", "name [ip]
// (may be forged)" or "ident@name [ip]".
func sendmailRelay(v string, ev *Event) {
	if at := strings.IndexByte(v, '@'); at >= 0 && at < strings.IndexByte(v+" ", ' ') {
		v = v[at+1:]
	}
	ev.MayBeForged = strings.HasSuffix(v, " (may be forged)")
	name, rest, _ := strings.Cut(v, " ")
	if strings.HasPrefix(name, "[") {
		name, rest = "", v
	}
	if strings.HasPrefix(rest, "[") {
		if j := strings.IndexByte(rest, ']'); j > 0 {
			ev.RemoteIP, _ = textutil.ParseAddr(rest[1:j])
		}
	}
	if ev.RemoteIP.IsValid() || strings.IndexByte(name, '.') >= 0 {
		// A bare word without an address is a mailer ("local"), not a host.
		ev.RemoteName = hostName(name)
	}
}

// sendmailDelivery reads "to=<b@y>, delay=…, xdelay=…, mailer=esmtp, pri=…,
// relay=mx.example.test. [198.51.100.5], dsn=5.7.25, stat=…".
func sendmailDelivery(r string, ev *Event) result {
	to, _ := equate(r, "to=")
	stat, _, _ := fieldValue(r, ", stat=", "\x00")
	ev.Direction, ev.To = Outbound, trimAngle(to)
	ev.Status, _ = equate(r, "dsn=")
	if relay, ok := equate(r, "relay="); ok {
		ev.Relay = relay
		if sp := strings.IndexByte(relay, ' '); sp >= 0 {
			ev.Relay = relay[:sp]
		}
		sendmailRelay(relay, ev)
		if strings.HasPrefix(ev.Relay, "[") {
			ev.Relay = ""
		}
	}
	// "Deferred: text" or "Sent (text)", whichever separator comes first.
	word, detail := stat, ""
	colon, paren := strings.Index(stat, ": "), strings.Index(stat, " (")
	switch {
	case colon >= 0 && (paren < 0 || colon < paren):
		word, detail = stat[:colon], stat[colon+2:]
	case paren >= 0:
		word, detail = stat[:paren], strings.TrimSuffix(stat[paren+2:], ")")
	}
	ev.Delivery, ev.Reply = word, detail
	ev.Code, _ = codeStatus(detail)
	switch {
	case word == "Sent":
		ev.Kind = Delivered
	case word == "Deferred", strings.HasPrefix(ev.Status, "4"):
		ev.Kind = Deferred
	case word == "queued":
		ev.Kind, ev.Direction = Queue, NoDirection
	default:
		ev.Kind = Bounced
	}
	return parsed
}

// sendmailFrom reads "from=<a@x>, size=…, class=0, nrcpts=1,
// msgid=<…>, proto=ESMTP, daemon=MTA, relay=name [ip]".
func sendmailFrom(r string, ev *Event) result {
	from, _ := equate(r, "from=")
	msgid, _ := equate(r, "msgid=")
	ev.Kind, ev.From, ev.MessageID = Queue, trimAngle(from), trimAngle(msgid)
	if relay, ok := equate(r, "relay="); ok {
		sendmailRelay(relay, ev)
		if ev.RemoteIP.IsValid() {
			ev.Direction = Inbound
		}
	}
	return parsed
}

// sendmailReject reads "ruleset=check_rcpt, arg1=<b@y>, relay=name [ip]
// (may be forged), reject=550 5.7.1 <b@y>... Relaying denied".
func sendmailReject(r string, ev *Event) result {
	ruleset, _ := equate(r, "ruleset=")
	arg1, _ := equate(r, "arg1=")
	switch ruleset {
	case "check_rcpt":
		ev.To = trimAngle(arg1)
	case "check_mail":
		ev.From = trimAngle(arg1)
	}
	relay, ok := equate(r, "relay=")
	if !ok {
		return malformed
	}
	sendmailRelay(relay, ev)
	if !ev.RemoteIP.IsValid() && ruleset == "check_relay" {
		// check_relay's arguments are the client's name and address.
		arg2, _ := equate(r, "arg2=")
		ev.RemoteName = hostName(arg1)
		ev.RemoteIP, _ = textutil.ParseAddr(arg2)
	}
	reject, _, _ := fieldValue(r, ", reject=", "\x00")
	ev.Kind, ev.Direction, ev.Reply = Reject, Inbound, reject
	ev.Code, ev.Status = codeStatus(reject)
	return parsed
}

// sendmailConn reads "lost input channel from name [ip] to MTA after rcpt",
// "timeout waiting for input from name during server cmd read" and
// "connect from name [ip]".
func sendmailConn(r string, ev *Event) result {
	i := strings.Index(r, " from ")
	host := r[i+len(" from "):]
	ev.Kind, ev.Direction, ev.Reply = Connect, Inbound, r
	switch r[0] {
	case 'l':
		ev.Kind = LostConnection
	case 't':
		ev.Kind = Timeout
		if strings.Contains(host, " during server ") {
			ev.Direction = Outbound
		}
	}
	if ev.Kind == Connect {
		ev.Reply = ""
	}
	// The host runs to " to ", " during " or " after " (or the end).
	end := len(host)
	for _, k := range [...]string{" to ", " during ", " after ", " before "} {
		if j := strings.Index(host, k); j >= 0 && j < end {
			end = j
		}
	}
	sendmailRelay(host[:end], ev)
	if ev.RemoteName == "" && !ev.RemoteIP.IsValid() {
		return malformed
	}
	return parsed
}
