package probe

import (
	"net/netip"
	"strings"
)

// domainOf returns the domain a greeting or EHLO reply announces: the first
// word after the code on its first line (RFC 5321 4.2 and 4.3.1: "220
// domain text", "250-domain greet"). A host name comes back lower-cased
// without a trailing dot, an address literal in canonical form
// ("[192.0.2.1]", "[IPv6:2001:db8::1]"); anything else, such as "ESMTP" in
// "220 ESMTP ready", gives "".
func domainOf(r reply) string {
	if len(r.lines) == 0 || len(r.lines[0]) < 4 {
		return ""
	}
	word := strings.TrimLeft(r.lines[0][4:], " \t")
	if i := strings.IndexAny(word, " \t"); i >= 0 {
		word = word[:i]
	}
	if lit, ok := addressLiteral(word); ok {
		return lit
	}
	word = strings.TrimSuffix(word, ".")
	if !isHostName(word) {
		return ""
	}
	return strings.ToLower(word)
}

// isHostName accepts dotted names of letter-digit-hyphen labels (and
// underscores, which real servers announce) with a top-level label that is
// not all digits, so that a bare IPv4 address or an enhanced status code
// such as "5.7.1" is not taken for a name. Only ASCII passes, checked before
// lower-casing: strings.ToLower would turn the Kelvin sign into a 'k'.
func isHostName(s string) bool {
	if len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	var allDigits bool
	for label := range strings.SplitSeq(s, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		allDigits = true
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-', c == '_':
				allDigits = false
			default:
				return false
			}
		}
	}
	return !allDigits
}

// addressLiteral recognises RFC 5321 4.1.3 address literals: "[192.0.2.1]"
// and "[IPv6:2001:db8::1]" (tag in any case).
func addressLiteral(s string) (string, bool) {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return "", false
	}
	inner := s[1 : len(s)-1]
	if len(inner) > 5 && strings.EqualFold(inner[:5], "IPv6:") {
		a, err := netip.ParseAddr(inner[5:])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", false
		}
		return "[IPv6:" + a.String() + "]", true
	}
	a, err := netip.ParseAddr(inner)
	if err != nil || !a.Is4() {
		return "", false
	}
	return "[" + a.String() + "]", true
}
