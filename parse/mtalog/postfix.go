package mtalog

import (
	"bytes"
	"strings"

	"hopcheck/internal/textutil"
)

// parsePostfix reads one Postfix message (after "program[pid]: "). The
// formats follow the Postfix sources: smtpd/smtpd.c, smtpd_peer.c,
// smtpd_check.c (log_whatsup), postscreen, global/log_adhoc.c (delivery
// lines), qmgr and cleanup.
func parsePostfix(prog, msg []byte, ev *Event, m mode) result {
	if hasPrefix(msg, "warning: ") {
		if !containsAny(msg, "does not resolve to address ", "address not listed for hostname ",
			" verification failed") {
			return skipped
		}
		return postfixWarning(m.str(msg[len("warning: "):]), ev)
	}
	q := postfixQueuePrefix(msg)
	rest := msg[q:]
	if len(rest) == 0 {
		return skipped
	}
	if m.refusalsOnly && (rest[0] != 't' && rest[0] != 'r' ||
		rest[0] == 't' && (!hasPrefix(rest, "to=<") || bytes.Contains(rest, statusSent))) {
		return skipped
	}
	// The first byte picks the one prefix worth comparing; most noise is
	// turned away by it.
	switch rest[0] {
	case 't':
		switch {
		case q > 0 && hasPrefix(rest, "to=<"):
			return postfixDelivery(withQueue(msg, q, ev, m), ev)
		case hasPrefix(rest, "timeout after "):
			return postfixLost(withQueue(msg, q, ev, m), ev)
		}
	case 'r':
		if hasPrefix(rest, "reject: ") && !bytes.HasSuffix(prog, []byte("/cleanup")) {
			// cleanup's header/body rejects name no client to judge.
			return postfixReject(withQueue(msg, q, ev, m), ev)
		}
	case 'c':
		switch {
		case q == 0 && hasPrefix(rest, "connect from "):
			return postfixConnect(rest, ev)
		case hasPrefix(rest, "client="):
			return postfixClient(withQueue(msg, q, ev, m), ev)
		}
	case 'C':
		if q == 0 && hasPrefix(rest, "CONNECT from ") {
			return postfixConnect(rest, ev)
		}
	case 'l':
		if hasPrefix(rest, "lost connection after ") {
			return postfixLost(withQueue(msg, q, ev, m), ev)
		}
	case 'f':
		if q > 0 && hasPrefix(rest, "from=<") {
			return postfixQueued(withQueue(msg, q, ev, m), ev)
		}
	case 'm':
		if q > 0 && hasPrefix(rest, "message-id=") {
			return postfixMessageID(withQueue(msg, q, ev, m), ev)
		}
	case 'P', 'D':
		if q == 0 && (hasPrefix(rest, "PASS NEW [") || hasPrefix(rest, "PASS OLD [") || hasPrefix(rest, "DNSBL rank ")) {
			return postscreenPass(rest, ev)
		}
	}
	return skipped
}

var statusSent = []byte(", status=sent ")

// postfixQueuePrefix returns the length of a leading "QUEUEID: " or
// "NOQUEUE: ", 0 when there is none. Short ids are upper-case hex; long ids
// (enable_long_queue_ids) use digits and letters without vowels, which
// tells them from words such as "statistics: ".
func postfixQueuePrefix(b []byte) int {
	var seen uint8
	n := 0
	for n < len(b) && n <= 24 {
		c := qidClass[b[n]]
		if c == 0 {
			break
		}
		seen |= c
		n++
	}
	if n < 5 || n > 24 || n+1 >= len(b) || b[n] != ':' || b[n+1] != ' ' {
		return 0
	}
	hex, vowel := seen&qidLetter == 0, seen&qidVowel != 0
	if hex || !vowel || string(b[:n]) == "NOQUEUE" {
		return n + 2
	}
	return 0
}

// Byte classes for postfixQueuePrefix: any id byte, letters beyond
// upper-case hex, and vowels.
const (
	qidByte   = 1
	qidLetter = 2
	qidVowel  = 4
)

var qidClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = qidByte
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = qidByte
		if c > 'F' {
			t[c] |= qidLetter
		}
		t[c+'a'-'A'] = qidByte | qidLetter
	}
	for _, c := range "AEIOUaeiou" {
		t[c] |= qidVowel
	}
	return t
}()

// postfixWarning reads smtpd's forward-confirmation warnings:
//
//	hostname NAME does not resolve to address IP[: resolver error]
//	IP: address not listed for hostname NAME   (older releases)
//	IP: hostname NAME verification failed: resolver error
func postfixWarning(w string, ev *Event) result {
	ev.Kind, ev.Direction, ev.Reply = DNSWarning, Inbound, w
	if name, ok := strings.CutPrefix(w, "hostname "); ok {
		i := strings.Index(name, " does not resolve to address ")
		if i < 0 {
			return malformed
		}
		addr := name[i+len(" does not resolve to address "):]
		if j := strings.Index(addr, ": "); j >= 0 {
			addr = addr[:j]
		}
		ev.RemoteName = hostName(name[:i])
		ev.RemoteIP, _ = textutil.ParseAddr(addr)
		if !ev.RemoteIP.IsValid() {
			return malformed
		}
		return parsed
	}
	if j := strings.Index(w, ": "); j >= 0 {
		if ip, _ := textutil.ParseAddr(w[:j]); ip.IsValid() {
			ev.RemoteIP = ip
			w = w[j+2:]
		}
	}
	if name, ok := strings.CutPrefix(w, "address not listed for hostname "); ok {
		ev.RemoteName = hostName(name)
		return parsed
	}
	if name, ok := strings.CutPrefix(w, "hostname "); ok {
		if i := strings.Index(name, " verification failed"); i >= 0 {
			ev.RemoteName = hostName(name[:i])
			return parsed
		}
	}
	return malformed
}

// postfixDelivery reads log_adhoc's "to=<b@y>, [orig_to=<…>, ]relay=…,
// [conn_use=…, ]delay=…, delays=…, [tls=…, ]dsn=…, status=WORD (text)".
func postfixDelivery(r string, ev *Event) result {
	to, n, _ := angleValue(r, "to=<")
	r = r[n:]
	relay, n, ok := fieldValue(r, ", relay=", ", ")
	if !ok {
		return malformed
	}
	r = r[n:]
	dsn, n, ok := fieldValue(r, ", dsn=", ", ")
	if !ok {
		return malformed
	}
	r = r[n:]
	i := strings.Index(r, ", status=")
	if i < 0 {
		return malformed
	}
	r = r[i+len(", status="):]
	n = strings.IndexAny(r, " ,")
	if n < 0 {
		n = len(r)
	}
	word, r := r[:n], r[n:]
	switch word {
	case "sent", "deliverable":
		ev.Kind = Delivered
	case "deferred":
		ev.Kind = Deferred
	case "bounced", "undeliverable":
		ev.Kind = Bounced
	case "expired":
		ev.Kind = Expired
	default:
		return malformed
	}
	ev.Direction, ev.To, ev.Status, ev.Delivery = Outbound, to, dsn, word
	if text, ok := strings.CutPrefix(r, " ("); ok {
		ev.Reply = strings.TrimSuffix(text, ")")
	}
	ev.Code, _ = replyIn(ev.Reply)
	if lb := strings.IndexByte(relay, '['); lb >= 0 {
		ev.Relay = relay[:lb]
		ev.RemoteName, ev.RemoteIP, _, _ = namAddr(relay)
	} else {
		ev.Relay = relay
		ev.RemoteName, ev.RemoteIP = bracketHost(ev.Reply)
	}
	return parsed
}

// postfixReject reads log_whatsup's "reject: CMD from name[ip]: text;
// from=<a@x> to=<b@y> proto=ESMTP helo=<h>" and postscreen's variant with
// "[ip]:port" and comma-separated fields.
func postfixReject(r string, ev *Event) result {
	r = r[len("reject: "):]
	i := strings.Index(r, " from ")
	if i < 0 || strings.IndexByte(r[:i], ' ') >= 0 {
		return malformed
	}
	r = r[i+len(" from "):]
	name, ip, n, ok := namAddr(r)
	if !ok || !strings.HasPrefix(r[n:], ": ") {
		return malformed
	}
	ev.Kind, ev.Direction, ev.RemoteName, ev.RemoteIP = Reject, Inbound, name, ip
	text := r[n+2:]
	tail := ""
	for _, k := range [...]string{"; from=<", "; to=<", "; proto=", "; helo=<"} {
		if j := strings.Index(text, k); j >= 0 {
			text, tail = text[:j], text[j+1:]
			break
		}
	}
	ev.Reply = text
	ev.Code, ev.Status = codeStatus(text)
	if v, n, ok := angleValue(tail, "from=<"); ok {
		ev.From, tail = v, tail[n:]
	}
	if v, n, ok := angleValue(tail, "to=<"); ok {
		ev.To, tail = v, tail[n:]
	}
	if v, _, ok := angleValue(tail, "helo=<"); ok {
		ev.HELO = v
	}
	return parsed
}

// postfixConnect reads smtpd's "connect from name[ip]" and postscreen's
// "CONNECT from [ip]:port to [ip]:port". It works on the line's bytes: the
// name is the only string, and "unknown" needs none.
func postfixConnect(r []byte, ev *Event) result {
	name, ip, _, ok := namAddr(r[len("connect from "):])
	if !ok {
		return malformed
	}
	ev.Kind, ev.Direction, ev.RemoteName, ev.RemoteIP = Connect, Inbound, string(name), ip
	return parsed
}

// postfixClient reads smtpd's "client=name[ip][, sasl_method=…]".
func postfixClient(r string, ev *Event) result {
	name, ip, _, ok := namAddr(r[len("client="):])
	if !ok {
		return malformed
	}
	ev.Kind, ev.Direction, ev.RemoteName, ev.RemoteIP = Queue, Inbound, name, ip
	return parsed
}

// postfixLost reads "lost connection after RCPT from name[ip]" and
// "timeout after DATA (1234 bytes) from name[ip]".
func postfixLost(r string, ev *Event) result {
	i := strings.LastIndex(r, " from ")
	if i < 0 {
		return malformed
	}
	name, ip, _, ok := namAddr(r[i+len(" from "):])
	if !ok {
		return malformed
	}
	ev.Kind = LostConnection
	if r[0] == 't' {
		ev.Kind = Timeout
	}
	ev.Direction, ev.RemoteName, ev.RemoteIP, ev.Reply = Inbound, name, ip, r[:i]
	return parsed
}

// postfixQueued reads qmgr's "from=<a@x>, size=…, nrcpt=… (queue active)".
func postfixQueued(r string, ev *Event) result {
	from, _, _ := angleValue(r, "from=<")
	ev.Kind, ev.From = Queue, from
	return parsed
}

// postfixMessageID reads cleanup's "message-id=<…>".
func postfixMessageID(r string, ev *Event) result {
	ev.Kind, ev.MessageID = Queue, trimAngle(r[len("message-id="):])
	return parsed
}

// postscreenPass reads "PASS NEW [ip]:port" and "DNSBL rank 3 for [ip]:port"
// from the line's bytes: their events need no strings.
func postscreenPass(r []byte, ev *Event) result {
	ev.Kind, ev.Direction = Pass, Inbound
	if rank, ok := bytes.CutPrefix(r, []byte("DNSBL rank ")); ok {
		v, n := number(rank)
		if n == 0 || !bytes.HasPrefix(rank[n:], []byte(" for ")) {
			return malformed
		}
		ev.Kind, ev.Score, r = DNSBL, v, rank[n+len(" for "):]
	} else {
		r = r[len("PASS NEW "):]
	}
	_, ip, _, ok := namAddr(r)
	if !ok {
		return malformed
	}
	ev.RemoteIP = ip
	return parsed
}
