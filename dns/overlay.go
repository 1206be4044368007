package dns

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// Overlay answers names inside the loaded zone files from them and every
// other name from the network: a what-if of a planned change (a new PTR, a
// new A record) in the real world. Answers say which source gave them.
type Overlay struct {
	Zone *Zone
	Net  Resolver
}

// Query implements Resolver.
func (o Overlay) Query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	if o.Zone.Covers(name) {
		return o.Zone.Query(ctx, name, qtype)
	}
	return o.Net.Query(ctx, name, qtype)
}

// ParseServer checks a resolver given as ADDR or ADDR:PORT (IPv6 in
// brackets when a port follows) and returns it as "addr:port", port 53 by
// default. A host name is refused: the resolver is what resolves names.
func ParseServer(s string) (string, error) {
	host, port := s, "53"
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("resolver %q: port %q is not a number from 1 to 65535", s, p)
		}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		if ip, err = netip.ParseAddr(trimBrackets(host)); err != nil {
			return "", fmt.Errorf("resolver %q: not an IP address (ADDR or ADDR:PORT, e.g. 127.0.0.53 or [2001:db8::53]:53)", s)
		}
	}
	return net.JoinHostPort(ip.Unmap().String(), port), nil
}

func trimBrackets(s string) string {
	if len(s) > 1 && s[0] == '[' && s[len(s)-1] == ']' {
		return s[1 : len(s)-1]
	}
	return s
}
