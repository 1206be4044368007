package analyze

import (
	"net/netip"
	"strings"

	"hopcheck/dns"
)

// platform is a big mail platform whose own hosts pass a message on among
// themselves: their hops are the platform's business, never findings for
// the sender or the recipient.
type platform struct {
	name     string
	suffixes []string       // host names under these domains are the platform's
	blocks   []netip.Prefix // and so are these addresses
}

// platforms are the platforms whose internal hops show in headers: the
// names and address blocks they publish for their mail hosts.
var platforms = []platform{
	{"Microsoft 365", []string{"outlook.com", "office365.com", "hotmail.com", "outlook.office365.com"},
		prefixes("2603:1000::/25", "2a01:111::/32", "40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17")},
	{"Google", []string{"google.com", "gmail.com", "googlemail.com"},
		prefixes("2607:f8b0::/32", "2a00:1450::/32", "2404:6800::/32", "209.85.128.0/17", "74.125.0.0/16", "64.233.160.0/19")},
	{"Yahoo", []string{"yahoo.com", "yahoodns.net", "yahoo.net", "aol.com"},
		prefixes("98.136.0.0/14", "67.195.0.0/16", "74.6.0.0/16")},
	{"Amazon SES", []string{"amazonses.com"},
		prefixes("54.240.0.0/18", "23.251.224.0/19", "76.223.128.0/19")},
}

func prefixes(list ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(list))
	for i, s := range list {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// platformOfName names the platform a host name belongs to, or "".
func platformOfName(name string) string {
	name = dns.NormalizeName(name)
	if name == "" {
		return ""
	}
	for _, p := range platforms {
		for _, s := range p.suffixes {
			if name == s || strings.HasSuffix(name, "."+s) {
				return p.name
			}
		}
	}
	return ""
}

// platformOfSender names the platform a hop's sender belongs to, by its
// address or by the name the receiver verified (or, without one, its HELO).
func platformOfSender(h *HopResult) string {
	for _, p := range platforms {
		if inPrefixes(h.IP, p.blocks) {
			return p.name
		}
	}
	if h.RDNS != "" {
		return platformOfName(h.RDNS)
	}
	return platformOfName(h.HELO)
}

// platformInternal names the platform when both ends of a hop are one
// platform's hosts, else "".
func platformInternal(h *HopResult) string {
	if p := platformOfName(h.By); p != "" && p == platformOfSender(h) {
		return p
	}
	return ""
}
