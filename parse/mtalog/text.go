package mtalog

import (
	"bytes"
	"net/netip"
	"strings"
	"unsafe"

	"hopcheck/internal/textutil"
)

// Helpers over the message text. The dialect parsers decide on bytes
// whether a line is of interest, then convert its message to one string
// and slice every field out of it: at most one allocation per event.
// Events that carry only an address (connects, postscreen) are read from
// the bytes and need none.

// mode is how a Parser builds events: RefusalsOnly, and Borrow.
type mode struct {
	refusalsOnly bool
	borrow       bool
}

// str is the string an event's fields are sliced from: a copy of b, or with
// borrow b itself, valid only while the caller leaves b unchanged.
func (m mode) str(b []byte) string {
	if m.borrow && len(b) > 0 {
		return unsafe.String(&b[0], len(b))
	}
	return string(b)
}

// hasPrefix is bytes.HasPrefix for a constant prefix, without a conversion.
func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}

// alnumRun returns the length of the leading run of ASCII letters and digits.
func alnumRun(b []byte) int {
	i := 0
	for i < len(b) {
		c := b[i] | 0x20
		if !('a' <= c && c <= 'z') && !isDigit(b[i]) {
			break
		}
		i++
	}
	return i
}

// queueIDPrefix returns the length of a leading "QUEUEID: " (Postfix and
// Sendmail ids, or NOQUEUE), 0 when there is none.
func queueIDPrefix(b []byte) int {
	n := alnumRun(b)
	if n < 5 || n > 24 || n+1 >= len(b) || b[n] != ':' || b[n+1] != ' ' {
		return 0
	}
	return n + 2
}

// queueID turns a "QUEUEID: " prefix of s into the id ("" for NOQUEUE).
func queueID(s string, n int) string {
	if n == 0 || s[:n-2] == "NOQUEUE" {
		return ""
	}
	return s[:n-2]
}

// text is what the small scanners below read: the line's bytes, or the
// event's string once it has been made.
type text interface{ ~string | ~[]byte }

// indexByte is strings.IndexByte for either kind of text; the spans it
// searches are short.
func indexByte[T text](s T, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// namAddr reads Postfix's "name[addr]" with an optional ":port" (postscreen
// and smtpd_client_port_logging), returning the bytes consumed. "unknown"
// becomes "" and a trailing dot is dropped.
func namAddr[T text](s T) (name T, ip netip.Addr, n int, ok bool) {
	lb := 0
	for ; lb < len(s) && s[lb] != '['; lb++ {
		if s[lb] <= ' ' || s[lb] >= 0x7f {
			// Postfix logs only validated host names (or "unknown").
			return name, netip.Addr{}, 0, false
		}
	}
	if lb == len(s) {
		return name, netip.Addr{}, 0, false
	}
	rb := indexByte(s[lb:], ']')
	if rb < 0 {
		return name, netip.Addr{}, 0, false
	}
	ip, _ = textutil.ParseAddr(s[lb+1 : lb+rb])
	if !ip.IsValid() {
		return name, netip.Addr{}, 0, false
	}
	n = lb + rb + 1
	n += portLen(s[n:])
	return hostName(s[:lb]), ip, n, true
}

// portLen returns the length of a leading ":digits".
func portLen[T text](s T) int {
	if len(s) < 2 || s[0] != ':' || !isDigit(s[1]) {
		return 0
	}
	i := 1
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// hostName normalises a logged name: "unknown" means none, and the
// root's trailing dot is dropped.
func hostName[T text](s T) T {
	if len(s) == 7 && string(s) == "unknown" {
		return s[:0]
	}
	if len(s) > 0 && s[len(s)-1] == '.' {
		return s[:len(s)-1]
	}
	return s
}

// angleValue returns the value of key (which ends in "<") in s: up to the
// first '>' that ends the field (followed by the end, a space or a comma),
// and the offset just after it.
func angleValue(s, key string) (string, int, bool) {
	i := strings.Index(s, key)
	if i < 0 {
		return "", 0, false
	}
	start := i + len(key)
	for j := start; ; j++ {
		k := strings.IndexByte(s[j:], '>')
		if k < 0 {
			return s[start:], len(s), true
		}
		j += k
		if j+1 == len(s) || s[j+1] == ' ' || s[j+1] == ',' {
			return s[start:j], j + 1, true
		}
	}
}

// fieldValue returns the value after key (such as ", relay=") up to sep or
// the end, and the offset after the value.
func fieldValue(s, key, sep string) (string, int, bool) {
	i := strings.Index(s, key)
	if i < 0 {
		return "", 0, false
	}
	start := i + len(key)
	j := strings.Index(s[start:], sep)
	if j < 0 {
		return s[start:], len(s), true
	}
	return s[start : start+j], start + j, true
}

// codeStatus reads a reply that starts with "550 5.7.1 …" or "550-5.7.25…":
// the code and, if present, the enhanced status.
func codeStatus(s string) (int, string) {
	if len(s) < 3 || s[0] < '2' || s[0] > '5' || !isDigit(s[1]) || !isDigit(s[2]) ||
		(len(s) > 3 && s[3] != ' ' && s[3] != '-') {
		return 0, ""
	}
	code := int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0')
	if len(s) < 5 {
		return code, ""
	}
	return code, enhanced(s[4:])
}

// enhanced reads a leading "c.sss.ddd" enhanced status code (RFC 3463)
// whose class matches a reply: 2, 4 or 5.
func enhanced(s string) string {
	if len(s) < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.' {
		return ""
	}
	i, dots, digits := 2, 1, 0
	for ; i < len(s); i++ {
		c := s[i]
		if isDigit(c) {
			digits++
			if digits > 3 {
				return ""
			}
			continue
		}
		if c == '.' && digits > 0 && dots == 1 {
			dots++
			digits = 0
			continue
		}
		break
	}
	if dots != 2 || digits == 0 || (i < len(s) && s[i] != ' ' && s[i] != ',' && s[i] != ';') {
		return ""
	}
	return s[:i]
}

// embeddedReply finds the first SMTP reply quoted inside a text, after a
// ": " ("host x[ip] said: 550-5.7.25 …", "…after RCPT TO:<b@y>: 550 …"),
// and returns its code and enhanced status.
func embeddedReply(s string) (int, string) {
	for i := 0; i+2 < len(s); {
		j := strings.Index(s[i:], ": ")
		if j < 0 {
			break
		}
		i += j + 2
		if code, st := codeStatus(s[i:]); code != 0 {
			return code, st
		}
	}
	return 0, ""
}

// replyIn finds an SMTP reply at the start of s or quoted inside it.
func replyIn(s string) (int, string) {
	if code, st := codeStatus(s); code != 0 {
		return code, st
	}
	return embeddedReply(s)
}

// bracketHost finds the first "name[ip]" in a text (Postfix's "connect to
// mx.example.test[198.51.100.5]:25: …").
func bracketHost(s string) (string, netip.Addr) {
	lb := strings.IndexByte(s, '[')
	if lb < 0 {
		return "", netip.Addr{}
	}
	start := strings.LastIndexByte(s[:lb], ' ') + 1
	name, ip, _, ok := namAddr(s[start:])
	if !ok {
		return "", netip.Addr{}
	}
	return name, ip
}

// trimAngle strips one pair of surrounding angle brackets.
func trimAngle(s string) string {
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		return s[1 : len(s)-1]
	}
	return s
}

// containsAny reports whether b contains any of subs.
func containsAny(b []byte, subs ...string) bool {
	for _, s := range subs {
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}

// withQueue converts a message to the one string its event's fields are
// sliced from, records a leading "QUEUEID: " and returns the rest.
func withQueue(msg []byte, q int, ev *Event, m mode) string {
	s := m.str(msg)
	ev.QueueID = queueID(s, q)
	return s[q:]
}
