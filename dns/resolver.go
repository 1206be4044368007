package dns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	mdns "github.com/miekg/dns"
)

// Resolver answers one DNS question. It is the only way hopcheck touches
// DNS: the network Client, the zone-file Zone, the Overlay of both and test
// doubles implement it.
//
// A definite answer (NOERROR with or without data, NXDOMAIN) is an Answer
// and a nil error. Anything that says nothing about the data — a timeout,
// SERVFAIL, REFUSED, an unreachable server — is a *TempError, so that a
// failure to look up is never mistaken for "no such record".
type Resolver interface {
	Query(ctx context.Context, name string, qtype uint16) (*Answer, error)
}

// Answer is a definite DNS answer.
type Answer struct {
	NXDomain bool
	// Records is the answer section as served; it may hold CNAMEs before
	// (or instead of) records of the asked type.
	Records []mdns.RR
	// Authority is the authority section; a negative answer carries the
	// zone's SOA there, which names the zone the name falls in.
	Authority []mdns.RR
	// Source names what answered: a server's address or a zone file.
	Source string
}

// TempError is a lookup that failed without a definite answer.
type TempError struct {
	Name   string
	Type   string // "PTR", "A", …
	Reason string // "timeout", "SERVFAIL", "REFUSED", "network unreachable", …
	// Unreachable says that no resolver we were told to ask answered at
	// all (connection refused, unreachable, REFUSED, none configured): the
	// failure is ours, and says nothing about the name's own servers.
	Unreachable bool
	// Servers are the resolvers that were asked.
	Servers []string
	Err     error
}

func (e *TempError) Error() string {
	if e.Unreachable && len(e.Servers) > 0 {
		return fmt.Sprintf("temporary DNS failure: %s %s: your resolver %s did not answer (%s)", e.Type, strings.TrimSuffix(e.Name, "."), strings.Join(e.Servers, ", "), e.Reason)
	}
	return fmt.Sprintf("temporary DNS failure: %s %s: %s", e.Type, strings.TrimSuffix(e.Name, "."), e.Reason)
}

// Unreachable reports whether err says our own resolvers did not answer.
func Unreachable(err error) (*TempError, bool) {
	var te *TempError
	if errors.As(err, &te) && te.Unreachable {
		return te, true
	}
	return nil, false
}

func (e *TempError) Unwrap() error { return e.Err }

// IsTemporary reports whether err is a lookup failure that says nothing
// about the data.
func IsTemporary(err error) bool {
	var te *TempError
	return errors.As(err, &te)
}

// maxCNAMEs bounds CNAME chains (RFC 2317 delegations use one; loops and
// long chains are errors of the zone, not reasons to spin).
const maxCNAMEs = 8

// Status is what a lookup of one name and type came to.
type Status string

// Lookup statuses. Temporary says nothing about the data.
const (
	Found     Status = "found"
	NXDomain  Status = "nxdomain"
	NoData    Status = "nodata"
	Temporary Status = "temperror"
)

// Result is the outcome of a lookup after following CNAMEs.
type Result struct {
	Records []mdns.RR // records of the asked type at the end of the chain
	Status  Status
	Final   string // the name the chain ended at (after RFC 2317 CNAMEs)
	Err     error  // set when Status is Temporary
	Source  string // what gave the last answer (a server, a zone file)
	// SOA is the zone's SOA a negative answer carried in its authority
	// section: it names the zone without another query.
	SOA *mdns.SOA
}

// soaOf returns the SOA in a negative answer's authority section.
func soaOf(ans *Answer) *mdns.SOA {
	for _, rr := range ans.Authority {
		if soa, ok := rr.(*mdns.SOA); ok {
			return soa
		}
	}
	return nil
}

// Lookup asks r for name/qtype and follows CNAMEs, whether the server
// chased them in its answer or not.
func Lookup(ctx context.Context, r Resolver, name string, qtype uint16) Result {
	name = mdns.CanonicalName(name)
	seen := map[string]bool{}
	for range maxCNAMEs + 1 {
		seen[name] = true
		ans, err := r.Query(ctx, name, qtype)
		if err != nil {
			return Result{Status: Temporary, Final: name, Err: err}
		}
		src := ans.Source
		var out []mdns.RR
		next := ""
		owner := name
		// Walk the answer as a chain: records at the current owner, then
		// the CNAME target, so unrelated records are ignored.
		for range maxCNAMEs + 1 {
			var cname string
			for _, rr := range ans.Records {
				h := rr.Header()
				if !strings.EqualFold(h.Name, owner) {
					continue
				}
				if h.Rrtype == qtype {
					out = append(out, rr)
				} else if c, ok := rr.(*mdns.CNAME); ok && qtype != mdns.TypeCNAME {
					cname = mdns.CanonicalName(c.Target)
				}
			}
			if len(out) > 0 || cname == "" {
				break
			}
			if seen[cname] {
				return Result{Status: Temporary, Final: cname, Err: &TempError{Name: name, Type: mdns.TypeToString[qtype], Reason: "CNAME loop"}}
			}
			seen[cname] = true
			owner, next = cname, cname
		}
		if len(out) > 0 {
			return Result{Records: out, Status: Found, Final: owner, Source: src}
		}
		if next != "" && !ans.NXDomain && !answerCovers(ans, next) {
			// The server gave the CNAME but not what it points to.
			name = next
			continue
		}
		if ans.NXDomain {
			return Result{Status: NXDomain, Final: owner, Source: src, SOA: soaOf(ans)}
		}
		return Result{Status: NoData, Final: owner, Source: src, SOA: soaOf(ans)}
	}
	return Result{Status: Temporary, Final: name, Err: &TempError{Name: name, Type: mdns.TypeToString[qtype], Reason: "CNAME chain too long"}}
}

// answerCovers reports whether ans says anything about name beyond the
// CNAME pointing to it (an SOA in the authority section for a negative
// answer about the target counts).
func answerCovers(ans *Answer, name string) bool {
	for _, rr := range ans.Authority {
		if soa, ok := rr.(*mdns.SOA); ok && mdns.IsSubDomain(soa.Hdr.Name, name) {
			return true
		}
	}
	return false
}

// ReverseName is the in-addr.arpa or ip6.arpa name of ip.
func ReverseName(ip netip.Addr) string {
	name, err := mdns.ReverseAddr(ip.WithZone("").String())
	if err != nil {
		// ReverseAddr only fails on unparsable input; ip is valid.
		panic(err)
	}
	return name
}

// PTR returns the PTR names of ip in answer order, lower case and without
// the trailing dot, with RFC 2317 CNAMEs followed.
func PTR(ctx context.Context, r Resolver, ip netip.Addr) ([]string, Result) {
	res := Lookup(ctx, r, ReverseName(ip), mdns.TypePTR)
	var names []string
	for _, rr := range res.Records {
		names = append(names, NormalizeName(rr.(*mdns.PTR).Ptr))
	}
	return names, res
}

// Addresses are the A and AAAA addresses of a name.
type Addresses struct {
	List []netip.Addr
	// Status is found when either family has data, temperror when neither
	// has and one failed.
	Status Status
	Err    error
	Source string // what answered
	TTL    uint32 // the smallest TTL of the records, as the answer gave it
}

// MinTTL is the smallest TTL of records, 0 for none: how long the answer
// may still be served from a cache.
func MinTTL(rrs []mdns.RR) uint32 {
	var ttl uint32
	for i, rr := range rrs {
		ttl = minTTL(ttl, i == 0, rr.Header().Ttl)
	}
	return ttl
}

func minTTL(cur uint32, first bool, t uint32) uint32 {
	if first || t < cur {
		return t
	}
	return cur
}

// Addrs looks up the A and AAAA addresses of name, both at once.
func Addrs(ctx context.Context, r Resolver, name string) Addresses {
	ch := make(chan Result, 1)
	go func() { ch <- Lookup(ctx, r, name, mdns.TypeAAAA) }()
	return addresses(Lookup(ctx, r, name, mdns.TypeA), <-ch)
}

// AddrsLike looks up only the addresses of name in ip's family: what a
// forward confirmation of ip needs (as Postfix asks only A records for an
// IPv4 client), at half the queries of Addrs.
func AddrsLike(ctx context.Context, r Resolver, name string, ip netip.Addr) Addresses {
	qtype := mdns.TypeA
	if ip.Is6() {
		qtype = mdns.TypeAAAA
	}
	return addresses(Lookup(ctx, r, name, qtype))
}

// addresses merges lookups of address records; the status is found when
// one has data, temperror when none has and one failed, nxdomain when the
// first says so.
func addresses(results ...Result) Addresses {
	var out Addresses
	for _, res := range results {
		for _, rr := range res.Records {
			var ip netip.Addr
			switch rr := rr.(type) {
			case *mdns.A:
				ip, _ = netip.AddrFromSlice(rr.A.To4())
			case *mdns.AAAA:
				ip, _ = netip.AddrFromSlice(rr.AAAA)
			}
			if ip.IsValid() {
				out.List = append(out.List, ip.Unmap())
				out.TTL = minTTL(out.TTL, len(out.List) == 1, rr.Header().Ttl)
			}
		}
		if out.Source == "" {
			out.Source = res.Source
		}
	}
	out.Status = NoData
	switch {
	case len(out.List) > 0:
		out.Status = Found
	case slices.ContainsFunc(results, func(r Result) bool { return r.Status == Temporary }):
		i := slices.IndexFunc(results, func(r Result) bool { return r.Status == Temporary })
		out.Status, out.Err = Temporary, results[i].Err
	case results[0].Status == NXDomain:
		out.Status = NXDomain
	}
	return out
}

// NormalizeName lower-cases a host name and drops the trailing dot.
func NormalizeName(s string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
}
