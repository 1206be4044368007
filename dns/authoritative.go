package dns

import (
	"context"
	"net"
	"slices"
	"time"

	mdns "github.com/miekg/dns"
)

// AuthAnswer is what one authoritative server of a zone answers, asked
// directly: what the zone publishes now, before any cache.
type AuthAnswer struct {
	NS     string // the server's name, from the zone's NS records
	Addr   string // the address asked, "ip:port"
	Status Status
	Values []string // PTR names or addresses, normalized and sorted
	TTL    uint32   // the records' TTL as published
	Err    string   // the failure, when Status is temperror
}

// AuthOptions configure AskAuthoritative.
type AuthOptions struct {
	// Port is the servers' port ("53" when empty); tests use another.
	Port    string
	Timeout time.Duration // per query (default 2s)
}

// AskAuthoritative asks every name server of owner's zone, found through r,
// for name and qtype, without recursion and without a cache.
func AskAuthoritative(ctx context.Context, r Resolver, owner *ZoneOwner, name string, qtype uint16, opts AuthOptions) []AuthAnswer {
	if opts.Port == "" {
		opts.Port = "53"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	var out []AuthAnswer
	for _, ns := range owner.NameServers {
		addrs := Addrs(ctx, r, ns)
		if len(addrs.List) == 0 {
			a := AuthAnswer{NS: ns, Status: addrs.Status}
			if addrs.Err != nil {
				a.Err = addrs.Err.Error()
			}
			out = append(out, a)
			continue
		}
		for _, ip := range addrs.List {
			server := net.JoinHostPort(ip.String(), opts.Port)
			c := NewClient(ClientOptions{Servers: []string{server}, Timeout: opts.Timeout, Attempts: 1, NoRecursion: true})
			res := Lookup(ctx, c, name, qtype)
			a := AuthAnswer{NS: ns, Addr: server, Status: res.Status, Values: Values(res.Records)}
			if len(res.Records) > 0 {
				a.TTL = res.Records[0].Header().Ttl
			}
			if res.Err != nil {
				a.Err = res.Err.Error()
			}
			out = append(out, a)
		}
	}
	return out
}

// Values are the data of PTR, A and AAAA records as text, normalized and
// sorted, so that two answers compare as sets.
func Values(rrs []mdns.RR) []string {
	var out []string
	for _, rr := range rrs {
		switch rr := rr.(type) {
		case *mdns.PTR:
			out = append(out, NormalizeName(rr.Ptr))
		case *mdns.A:
			out = append(out, rr.A.String())
		case *mdns.AAAA:
			out = append(out, rr.AAAA.String())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
