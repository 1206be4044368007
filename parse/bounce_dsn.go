package parse

import (
	"bytes"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// dsnField is one field of a delivery-status group: its lower-case name and
// its physical lines, each trimmed, folding whitespace removed.
type dsnField struct {
	name  string
	lines []string
}

// joined unfolds the value with sep between its lines.
func (f dsnField) joined(sep string) string { return strings.Join(f.lines, sep) }

// readDeliveryStatus reads a message/delivery-status body (RFC 3464 section
// 2): a per-message group, then per-recipient groups, blank-line separated.
// Lenient on purpose: a group that mixes both kinds is read as both, a line
// that is no field is skipped. It returns nil when no recipient is named.
func readDeliveryStatus(data []byte) (*Bounce, error) {
	b := &Bounce{Family: "dsn"}
	var group []dsnField
	flush := func() error {
		if len(group) == 0 {
			return nil
		}
		applyDSNGroup(b, group)
		group = group[:0]
		if len(b.Recipients) > maxBounceRecipient {
			return fmt.Errorf("bounce: over %d recipients: %w", maxBounceRecipient, ErrTooLarge)
		}
		return nil
	}
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimRight(line, "\r")
		switch {
		case len(bytes.TrimSpace(line)) == 0:
			if err := flush(); err != nil {
				return nil, err
			}
		case line[0] == ' ' || line[0] == '\t':
			if len(group) > 0 {
				f := &group[len(group)-1]
				f.lines = append(f.lines, string(bytes.TrimSpace(line)))
			}
		default:
			colon := bytes.IndexByte(line, ':')
			if colon <= 0 {
				continue
			}
			name := strings.ToLower(string(bytes.TrimSpace(line[:colon])))
			if startsRecipient(group, name) {
				// Recipient groups written without a blank line between
				// them: a second Final-Recipient starts the next one.
				if err := flush(); err != nil {
					return nil, err
				}
			}
			group = append(group, dsnField{name: name, lines: []string{string(bytes.TrimSpace(line[colon+1:]))}})
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(b.Recipients) == 0 {
		return nil, nil
	}
	return b, nil
}

// startsRecipient reports whether a field named name opens a new recipient
// group in a group that already names one: a Final-Recipient after a
// Final-Recipient, an Original-Recipient after an Original-Recipient or
// after the group's Action (Postfix writes Final-Recipient, then
// Original-Recipient, then Action).
func startsRecipient(group []dsnField, name string) bool {
	for _, f := range group {
		switch {
		case name == "final-recipient" && f.name == "final-recipient",
			name == "original-recipient" && (f.name == "original-recipient" || f.name == "action"):
			return true
		}
	}
	return false
}

// applyDSNGroup takes per-message fields the bounce lacks so far and, when
// the group names a recipient, adds one.
func applyDSNGroup(b *Bounce, group []dsnField) {
	var r BounceRecipient
	isRecipient := false
	for _, f := range group {
		v := f.joined(" ")
		switch f.name {
		case "reporting-mta":
			if b.ReportingMTA == "" {
				b.ReportingMTA = dsnName(v)
			}
		case "received-from-mta":
			if b.ReceivedFromMTA == "" {
				b.ReceivedFromMTA = dsnName(v)
			}
		case "arrival-date":
			if b.ArrivalDate.IsZero() {
				b.ArrivalDate = dsnDate(v)
			}
		case "final-recipient":
			r.FinalRecipient, isRecipient = dsnAddress(v), true
		case "original-recipient":
			r.OriginalRecipient, isRecipient = dsnAddress(v), true
		case "action":
			r.Action, isRecipient = strings.ToLower(firstToken(v)), true
		case "status":
			r.Status = firstToken(v)
		case "remote-mta":
			r.RemoteMTA = dsnName(v)
		case "diagnostic-code":
			r.Diagnostic = strings.TrimSpace(stripType(f.joined("\n")))
			if typ, _, _ := strings.Cut(v, ";"); !strings.EqualFold(strings.TrimSpace(typ), "smtp") && isNumber(r.Diagnostic) {
				// Sendmail's "X-Unix; 255": a local mailer's exit status,
				// no SMTP reply; the notice's text says more.
				r.Diagnostic = ""
			}
		case "last-attempt-date":
			r.LastAttempt = dsnDate(v)
		case "will-retry-until":
			r.WillRetryUntil = dsnDate(v)
		}
	}
	if isRecipient {
		b.Recipients = append(b.Recipients, r)
	}
}

// stripType drops an RFC 3464 type prefix ("rfc822;", "dns;", "smtp;",
// "X-Postfix;"): a single token before the first semicolon. A semicolon
// after a space belongs to the value.
func stripType(v string) string {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == ';':
			if i == 0 {
				return v
			}
			return strings.TrimLeft(v[i+1:], " \t\n")
		case c == '-' || c == '.' || c == '_' ||
			'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9':
		default:
			return v
		}
	}
	return v
}

// dsnAddress reads an address-type value: "rfc822; <a@example.test>".
func dsnAddress(v string) string {
	return strings.TrimSpace(strings.Trim(strings.TrimSpace(stripType(v)), "<>"))
}

// dsnName reads an MTA-name value: the type and any comment after the name
// (Gmail adds "(192.0.2.1, the server for the domain …)") are dropped, and
// so is the root's trailing dot.
func dsnName(v string) string {
	v = strings.TrimSpace(stripType(v))
	if i := strings.IndexByte(v, '('); i > 0 {
		v = strings.TrimSpace(v[:i])
	}
	return strings.TrimSuffix(v, ".")
}

func firstToken(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexAny(v, " \t("); i >= 0 {
		v = v[:i]
	}
	return v
}

// dsnDate parses an RFC 5322 date; zero when it is unreadable.
func dsnDate(v string) time.Time {
	t, err := mail.ParseDate(strings.TrimSpace(v))
	if err != nil {
		return time.Time{}
	}
	return t
}
