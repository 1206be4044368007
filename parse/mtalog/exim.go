package mtalog

import (
	"net/netip"
	"strings"

	"hopcheck/internal/textutil"
)

// parseExim reads one Exim mainlog message (after the stamp and optional
// [pid], or after "exim[pid]: " in syslog). Formats follow Exim's sources
// (deliver.c, smtp_in.c, host.c, transports/smtp.c) and its test suite.
func parseExim(msg []byte, ev *Event, m mode) result {
	id := eximIDLen(msg)
	rest := msg[id:]
	if m.refusalsOnly && (hasPrefix(rest, "<= ") || hasPrefix(rest, "=> ") || hasPrefix(rest, "-> ") ||
		hasPrefix(rest, "*> ") || hasPrefix(rest, "SMTP connection from ") ||
		hasPrefix(rest, "SMTP command timeout on ") || hasPrefix(rest, "unexpected disconnection ")) {
		return skipped
	}
	switch {
	case hasPrefix(rest, "<= "):
		return eximArrival(withEximID(msg, id, ev, m), ev)
	case hasPrefix(rest, "=> "), hasPrefix(rest, "-> "), hasPrefix(rest, "*> "),
		hasPrefix(rest, "** "), hasPrefix(rest, "== "):
		return eximDelivery(withEximID(msg, id, ev, m), ev)
	case hasPrefix(rest, "H="):
		if !containsAny(rest, " rejected ") {
			return skipped
		}
		return eximReject(withEximID(msg, id, ev, m), ev)
	case hasPrefix(rest, "rejected EHLO from "), hasPrefix(rest, "rejected HELO from "):
		return eximBadHELO(withEximID(msg, id, ev, m), ev)
	case hasPrefix(rest, "no host name found for IP address "),
		hasPrefix(rest, "Failed to find host name for "),
		hasPrefix(rest, "failed to find host name for "):
		return eximNoName(withEximID(msg, id, ev, m), ev)
	case hasPrefix(rest, "SMTP connection from "):
		return eximConnect(withEximID(msg, id, ev, m), ev)
	case hasPrefix(rest, "SMTP command timeout on "),
		hasPrefix(rest, "unexpected disconnection while reading SMTP command from "):
		return eximLost(withEximID(msg, id, ev, m), ev)
	}
	return skipped
}

// eximIDLen returns the length of a leading message id and its space:
// "1abcDE-000123-4X" (before 4.97) or "1abcDE-000000005vi-0000".
func eximIDLen(b []byte) int {
	for _, shape := range [...][3]int{{6, 6, 2}, {6, 11, 4}} {
		i, ok := 0, true
		for k, n := range shape {
			if alnumRun(b[i:]) != n {
				ok = false
				break
			}
			i += n
			sep := byte('-')
			if k == 2 {
				sep = ' '
			}
			if i >= len(b) || b[i] != sep {
				ok = false
				break
			}
			i++
		}
		if ok {
			return i
		}
	}
	return 0
}

// eximHost reads Exim's host identity: "name (helo) [ip]:port",
// "(helo) [ip]", "name [ip]" or "[ip]", returning the bytes consumed.
func eximHost(s string) (name, helo string, ip netip.Addr, n int, ok bool) {
	i := 0
	if i < len(s) && s[i] != '[' && s[i] != '(' {
		sp := strings.IndexByte(s, ' ')
		if sp < 0 {
			return "", "", netip.Addr{}, 0, false
		}
		name, i = hostName(s[:sp]), sp+1
	}
	if i < len(s) && s[i] == '(' {
		j := strings.Index(s[i:], ") [")
		if j < 0 {
			return "", "", netip.Addr{}, 0, false
		}
		helo, i = s[i+1:i+j], i+j+2
	}
	if i >= len(s) || s[i] != '[' {
		return "", "", netip.Addr{}, 0, false
	}
	j := strings.IndexByte(s[i:], ']')
	if j < 0 {
		return "", "", netip.Addr{}, 0, false
	}
	ip, _ = textutil.ParseAddr(s[i+1 : i+j])
	if !ip.IsValid() {
		return "", "", netip.Addr{}, 0, false
	}
	n = i + j + 1
	n += portLen(s[n:])
	return name, helo, ip, n, true
}

// eximField returns the value of " K=" in s up to the next space.
func eximField(s, key string) string {
	v, _, _ := fieldValue(s, key, " ")
	return v
}

// eximText returns the message after the fields: the text after the first
// ": " outside double quotes (X=, DN= and C= values may hold ": ").
func eximText(s string) (string, bool) {
	quoted := false
	for i := 0; i+1 < len(s); i++ {
		switch s[i] {
		case '\\':
			if quoted {
				i++
			}
		case '"':
			quoted = !quoted
		case ':':
			if !quoted && s[i+1] == ' ' {
				return s[i+2:], true
			}
		}
	}
	return "", false
}

// eximArrival reads "<= a@x [R=…] [U=…] H=name (helo) [ip]:port … P=esmtps
// … id=msgid".
func eximArrival(r string, ev *Event) result {
	r = r[len("<= "):]
	from := r
	if sp := strings.IndexByte(r, ' '); sp >= 0 {
		from = r[:sp]
	}
	if from == "<>" {
		from = ""
	}
	ev.Kind, ev.From = Queue, from
	ev.MessageID = trimAngle(eximField(r, " id="))
	if i := strings.Index(r, " H="); i >= 0 {
		name, helo, ip, _, ok := eximHost(r[i+len(" H="):])
		if !ok {
			return malformed
		}
		ev.Direction, ev.RemoteName, ev.HELO, ev.RemoteIP = Inbound, name, helo, ip
	}
	return parsed
}

// eximDelivery reads "=> b@y [<orig>] R=… T=… H=mx [ip] … C=\"250 …\"",
// "** b@y … H=mx [ip] …: SMTP error from remote mail server after …: 550-…"
// and "== b@y R=… T=… defer (-44) H=mx [ip]: SMTP error …".
func eximDelivery(r string, ev *Event) result {
	flag := r[:2]
	r = r[3:]
	to := r
	if sp := strings.IndexAny(r, " :"); sp >= 0 {
		to = r[:sp]
	}
	ev.Direction, ev.To, ev.Delivery = Outbound, to, flag
	fields := r[len(to):]
	switch flag {
	case "**":
		ev.Kind = Bounced
	case "==":
		ev.Kind = Deferred
	default:
		ev.Kind = Delivered
	}
	if ev.Kind == Delivered {
		if c, ok := quotedValue(fields, " C=\""); ok {
			ev.Reply = c
			ev.Code, ev.Status = codeStatus(c)
		}
	} else if text, ok := eximText(fields); ok {
		fields = fields[:len(fields)-len(text)]
		ev.Reply = text
		ev.Code, ev.Status = replyIn(text)
	}
	if i := strings.Index(fields, " H="); i >= 0 {
		name, _, ip, _, ok := eximHost(fields[i+len(" H="):])
		if ok {
			ev.Relay, ev.RemoteName, ev.RemoteIP = name, name, ip
		}
	}
	return parsed
}

// quotedValue returns the backslash-escaped value after key (which ends in
// a double quote), verbatim.
func quotedValue(s, key string) (string, bool) {
	i := strings.Index(s, key)
	if i < 0 {
		return "", false
	}
	s = s[i+len(key):]
	for j := 0; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return s[:j], true
		}
	}
	return s, true
}

// eximReject reads "H=name (helo) [ip]:port [I=…] [U=…] [F=<a@x>]
// [temporarily ]rejected RCPT <b@y>: text" and its MAIL, EHLO, DATA and
// connection variants.
func eximReject(r string, ev *Event) result {
	name, helo, ip, n, ok := eximHost(r[len("H="):])
	if !ok {
		return malformed
	}
	r = r[len("H=")+n:]
	i := strings.Index(r, " rejected ")
	if i < 0 {
		return malformed
	}
	ev.Kind, ev.Direction, ev.RemoteName, ev.HELO, ev.RemoteIP = Reject, Inbound, name, helo, ip
	if from, _, ok := angleValue(r[:i], " F=<"); ok {
		ev.From = from
	}
	what := r[i+len(" rejected "):]
	if to, ok := strings.CutPrefix(what, "RCPT <"); ok {
		if j := strings.IndexByte(to, '>'); j >= 0 {
			ev.To = to[:j]
		}
	}
	if arg, ok := strings.CutPrefix(what, "EHLO or HELO "); ok {
		ev.HELO = arg
	}
	ev.Reply, _ = eximText(what)
	ev.Code, ev.Status = codeStatus(ev.Reply)
	return parsed
}

// eximBadHELO reads "rejected EHLO from [ip]: syntactically invalid
// argument(s): ARG"; the offending argument is the HELO.
func eximBadHELO(r string, ev *Event) result {
	name, helo, ip, n, ok := eximHost(r[len("rejected EHLO from "):])
	if !ok {
		return malformed
	}
	text, _ := strings.CutPrefix(r[len("rejected EHLO from ")+n:], ": ")
	ev.Kind, ev.Direction, ev.RemoteName, ev.HELO, ev.RemoteIP, ev.Reply = Reject, Inbound, name, helo, ip, text
	if arg, ok := strings.CutPrefix(text, "syntactically invalid argument(s): "); ok {
		ev.HELO = arg
	}
	return parsed
}

// eximNoName reads host.c's "no host name found for IP address IP" and
// "failed to find host name for IP".
func eximNoName(r string, ev *Event) result {
	ev.Kind, ev.Direction, ev.Reply = DNSWarning, Inbound, r
	ev.RemoteIP, _ = textutil.ParseAddr(r[strings.LastIndexByte(r, ' ')+1:])
	if !ev.RemoteIP.IsValid() {
		return malformed
	}
	return parsed
}

// eximConnect reads "SMTP connection from name [ip]:port (TCP/IP …)".
func eximConnect(r string, ev *Event) result {
	name, helo, ip, _, ok := eximHost(r[len("SMTP connection from "):])
	if !ok {
		return malformed
	}
	ev.Kind, ev.Direction, ev.RemoteName, ev.HELO, ev.RemoteIP = Connect, Inbound, name, helo, ip
	return parsed
}

// eximLost reads "SMTP command timeout on [TLS ]connection from HOST" and
// "unexpected disconnection while reading SMTP command from HOST".
func eximLost(r string, ev *Event) result {
	i := strings.Index(r, " from ")
	if i < 0 {
		return malformed
	}
	name, helo, ip, _, ok := eximHost(r[i+len(" from "):])
	if !ok {
		return malformed
	}
	ev.Kind = LostConnection
	if r[0] == 'S' {
		ev.Kind = Timeout
	}
	ev.Direction, ev.RemoteName, ev.HELO, ev.RemoteIP, ev.Reply = Inbound, name, helo, ip, r[:i]
	return parsed
}

// withEximID is withQueue for Exim's "MESSAGEID " prefix of length id.
func withEximID(msg []byte, id int, ev *Event, m mode) string {
	s := m.str(msg)
	if id > 0 {
		ev.QueueID = s[:id-1]
	}
	return s[id:]
}
