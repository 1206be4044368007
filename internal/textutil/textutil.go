// Package textutil holds the small text readers that parse, parse/reply,
// parse/mtalog and analyze share: a case-insensitive search, a bounded cut
// for display, and the reader of IP address literals as mail software
// writes them.
package textutil

import (
	"net/netip"
	"strings"
)

// IndexFold is strings.Index ignoring ASCII case: the index of the first
// instance of sub in s, or -1. Bytes outside ASCII must match exactly,
// which for an ASCII sub is what strings.EqualFold would decide too.
func IndexFold(s, sub string) int {
	n := len(sub)
	if n == 0 {
		return 0
	}
	first := lower(sub[0])
	for i := 0; i+n <= len(s); i++ {
		if lower(s[i]) == first && equalFold(s[i+1:i+n], sub[1:]) {
			return i
		}
	}
	return -1
}

func equalFold(a, b string) bool {
	for i := range len(a) {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Cut shortens s to at most n bytes, backing off to a UTF-8 boundary, and
// marks the cut with "…" (so a cut result is up to 3 bytes longer than n).
// The result is always a copy: a short piece of a large buffer must not
// keep the whole buffer alive.
func Cut(s string, n int) string {
	if len(s) <= n {
		return strings.Clone(s)
	}
	i := max(n, 0)
	for i > 0 && s[i]&0xc0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}

// Text is what ParseAddr reads: a string, or a log line's bytes, read
// without converting them.
type Text interface{ ~string | ~[]byte }

// ParseAddr reads an IP address as stamps, replies and logs write it: bare
// ("192.0.2.1", "2001:db8::1"), in brackets ("[192.0.2.1]"), with an
// "IPv6:" tag in any case, with a zone, or followed by ":port" after the
// brackets or after a bare IPv4 address; port reports that. Mapped IPv4
// comes back as IPv4 and the zone is dropped. Anything else, a host name
// included, gives the zero Addr.
//
// It is on the log scanner's path for every address: a dotted quad is read
// by hand and never allocates, and ParseAddr's costly error is only risked
// on text that looks like IPv6.
func ParseAddr[T Text](w T) (addr netip.Addr, port bool) {
	bracketed := len(w) > 0 && w[0] == '['
	if bracketed {
		end := indexByte(w, ']')
		if end < 0 {
			return netip.Addr{}, false
		}
		if rest := w[end+1:]; len(rest) > 0 {
			if rest[0] != ':' || !allDigits(rest[1:]) {
				return netip.Addr{}, false
			}
			port = true
		}
		w = w[1:end]
	}
	if len(w) > 5 && w[0]|0x20 == 'i' && w[1]|0x20 == 'p' && w[2]|0x20 == 'v' && w[3] == '6' && w[4] == ':' {
		w = w[5:]
	}
	if a, ok := parseIPv4(w); ok {
		return a, port
	}
	colon := indexByte(w, ':')
	if colon < 0 {
		return netip.Addr{}, false
	}
	if indexByte(w[colon+1:], ':') < 0 {
		// One colon is no IPv6 address; bare, it may end an IPv4 one.
		if a, ok := parseIPv4(w[:colon]); ok && !bracketed && allDigits(w[colon+1:]) {
			return a, true
		}
		return netip.Addr{}, false
	}
	if !looksLikeIPv6(w) {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(string(w))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), port
}

// parseIPv4 reads a dotted quad without leading zeros, the common case,
// quicker than netip.ParseAddr.
func parseIPv4[T Text](s T) (netip.Addr, bool) {
	var ip [4]byte
	k := 0
	for i := range 4 {
		if i > 0 {
			if k >= len(s) || s[k] != '.' {
				return netip.Addr{}, false
			}
			k++
		}
		v, n := 0, 0
		for k < len(s) && isDigit(s[k]) && n < 3 {
			v = v*10 + int(s[k]-'0')
			k++
			n++
		}
		if n == 0 || v > 255 || (n > 1 && s[k-n] == '0') {
			return netip.Addr{}, false
		}
		ip[i] = byte(v)
	}
	if k != len(s) {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(ip), true
}

// looksLikeIPv6 reports whether w has only the bytes of an IPv6 address
// (an IPv4 tail included) before any zone.
func looksLikeIPv6[T Text](w T) bool {
	for i := range len(w) {
		switch c := w[i]; {
		case c == '%':
			return i > 0
		case c == ':', c == '.', isDigit(c), 'a' <= c|0x20 && c|0x20 <= 'f':
		default:
			return false
		}
	}
	return len(w) > 0
}

func indexByte[T Text](s T, c byte) int {
	for i := range len(s) {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func allDigits[T Text](s T) bool {
	if len(s) == 0 {
		return false
	}
	for i := range len(s) {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
