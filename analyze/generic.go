package analyze

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/publicsuffix"

	"hopcheck/dns"
)

// genericWords are the words providers put in names they assign in bulk.
// They count only left of the registrable domain ("dsl-1.isp.example", not
// "mail.dynamic.example") and only with a number in the same label or the
// IP's digits nearby, so "client.example.test" alone is not generic.
var genericWords = map[string]bool{
	"dynamic": true, "dyn": true, "dynip": true, "dsl": true, "adsl": true, "vdsl": true,
	"xdsl": true, "pool": true, "dhcp": true, "cable": true, "cust": true, "customer": true,
	"client": true, "clients": true, "static": true, "vps": true, "host": true, "ip": true,
	"ppp": true, "pppoe": true, "dial": true, "dialup": true, "broadband": true,
	"res": true, "resident": true, "residential": true, "user": true, "users": true,
	"nat": true, "cpe": true, "ftth": true, "fttx": true, "fiber": true, "fibre": true,
	"mobile": true, "wireless": true, "unassigned": true, "unused": true, "generic": true,
	"rev": true, "reverse": true, "ec2": true, "compute": true, "li": true,
}

// GenericPTR reports whether name looks like a provider's generic name for
// ip rather than a mail host's own, and why: the IP's digits embedded in any
// common layout (192-0-2-10, 10.2.0.192, c000020a, 192000002010, 2-10 with
// a generic word), or a generic word next to a number (vps123, dsl-4).
func GenericPTR(name string, ip netip.Addr) (bool, string) {
	name = dns.NormalizeName(name)
	host := hostPart(name)
	if host == "" {
		return false, ""
	}
	if d := embeddedIP(host, ip); d != "" {
		return true, fmt.Sprintf("it embeds the address (%s)", d)
	}
	for _, label := range strings.Split(host, ".") {
		word, digits := "", false
		for _, tok := range splitAlnum(label) {
			if tok[0] >= '0' && tok[0] <= '9' {
				digits = true
			} else if word == "" && genericWords[tok] {
				word = tok
			}
		}
		if word != "" && digits {
			return true, fmt.Sprintf("%q is a provider's word next to a number", label)
		}
	}
	return false, ""
}

// hostPart is the part of name left of its registrable domain under the
// ICANN suffixes: a provider's private suffix ("compute-1.amazonaws.com",
// "members.linode.com") is where generic names live, so it does not count.
func hostPart(name string) string {
	ps, icann := publicsuffix.PublicSuffix(name)
	for !icann {
		i := strings.IndexByte(ps, '.')
		if i < 0 {
			break
		}
		ps, icann = publicsuffix.PublicSuffix(ps[i+1:])
	}
	rest := strings.TrimSuffix(strings.TrimSuffix(name, ps), ".")
	i := strings.LastIndexByte(rest, '.')
	if i < 0 {
		return "" // name is a registrable domain itself
	}
	return rest[:i]
}

// splitAlnum splits s into runs of letters and runs of digits.
func splitAlnum(s string) []string {
	var out []string
	start := -1
	kind := 0
	for i := 0; i <= len(s); i++ {
		k := 0
		if i < len(s) {
			switch c := s[i]; {
			case c >= 'a' && c <= 'z':
				k = 1
			case c >= '0' && c <= '9':
				k = 2
			}
		}
		if k != kind {
			if kind != 0 {
				out = append(out, s[start:i])
			}
			start, kind = i, k
		}
	}
	return out
}

// embeddedIP finds ip's digits in host and returns the part that matched.
func embeddedIP(host string, ip netip.Addr) string {
	if !ip.Is4() {
		return embeddedIPv6(host, ip)
	}
	b := ip.As4()
	oct := []string{strconv.Itoa(int(b[0])), strconv.Itoa(int(b[1])), strconv.Itoa(int(b[2])), strconv.Itoa(int(b[3]))}
	var nums []string
	for _, tok := range splitAlnum(host) {
		if tok[0] >= '0' && tok[0] <= '9' {
			nums = append(nums, strings.TrimLeft(tok, "0"))
		}
	}
	for i := range nums {
		if nums[i] == "" {
			nums[i] = "0"
		}
	}
	// Three or four octets in a row, forwards or backwards.
	fwd, rev := strings.Join(oct, "."), strings.Join([]string{oct[3], oct[2], oct[1], oct[0]}, ".")
	joined := "." + strings.Join(nums, ".") + "."
	for _, seq := range []string{fwd, rev, strings.Join(oct[1:], "."), strings.Join([]string{oct[3], oct[2], oct[1]}, ".")} {
		if strings.Contains(joined, "."+seq+".") {
			return seq
		}
	}
	flat := strings.ReplaceAll(host, "-", "")
	for _, packed := range []string{
		fmt.Sprintf("%03d%03d%03d%03d", b[0], b[1], b[2], b[3]),
		fmt.Sprintf("%02x%02x%02x%02x", b[0], b[1], b[2], b[3]),
	} {
		if strings.Contains(flat, packed) {
			return packed
		}
	}
	return ""
}

// embeddedIPv6 finds the interface part of an IPv6 address written into a
// name, as providers do with their hex digits ("2001-db8--25").
func embeddedIPv6(host string, ip netip.Addr) string {
	b := ip.As16()
	flat := strings.NewReplacer("-", "", ".", "").Replace(host)
	full := fmt.Sprintf("%x", b[:])
	if strings.Contains(flat, full[16:]) {
		return full[16:]
	}
	dashed := strings.ReplaceAll(ip.StringExpanded(), ":", "-")
	if strings.Contains(host, dashed) || strings.Contains(host, strings.ReplaceAll(ip.String(), ":", "-")) {
		return strings.ReplaceAll(ip.String(), ":", "-")
	}
	return ""
}
