package analyze

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// Resolver answers one DNS question. It is the only way the analyzer touches
// DNS: the network Client, the zone-file Zone and test doubles implement it.
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
	Records []dns.RR
	// Authority is the authority section; a negative answer carries the
	// zone's SOA there, which names the zone the name falls in.
	Authority []dns.RR
}

// TempError is a lookup that failed without a definite answer.
type TempError struct {
	Name   string
	Type   string // "PTR", "A", …
	Reason string // "timeout", "SERVFAIL", "REFUSED", "network unreachable", …
	Err    error
}

func (e *TempError) Error() string {
	return fmt.Sprintf("temporary DNS failure: %s %s: %s", e.Type, strings.TrimSuffix(e.Name, "."), e.Reason)
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

// lookupStatus is what a lookup of one name and type came to.
type lookupStatus string

const (
	statusFound     lookupStatus = "found"
	statusNXDomain  lookupStatus = "nxdomain"
	statusNoData    lookupStatus = "nodata"
	statusTempError lookupStatus = "temperror"
)

// result is the outcome of a lookup after following CNAMEs.
type result struct {
	Records []dns.RR // records of the asked type at the end of the chain
	Status  lookupStatus
	Final   string // the name the chain ended at
	Err     error  // set when Status is statusTempError
}

// lookup asks r for name/qtype and follows CNAMEs, whether the server
// chased them in its answer or not.
func lookup(ctx context.Context, r Resolver, name string, qtype uint16) result {
	name = dns.CanonicalName(name)
	seen := map[string]bool{}
	for range maxCNAMEs + 1 {
		seen[name] = true
		ans, err := r.Query(ctx, name, qtype)
		if err != nil {
			return result{Status: statusTempError, Final: name, Err: err}
		}
		var out []dns.RR
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
				} else if c, ok := rr.(*dns.CNAME); ok && qtype != dns.TypeCNAME {
					cname = dns.CanonicalName(c.Target)
				}
			}
			if len(out) > 0 || cname == "" {
				break
			}
			if seen[cname] {
				return result{Status: statusTempError, Final: cname, Err: &TempError{Name: name, Type: dns.TypeToString[qtype], Reason: "CNAME loop"}}
			}
			seen[cname] = true
			owner, next = cname, cname
		}
		if len(out) > 0 {
			return result{Records: out, Status: statusFound, Final: owner}
		}
		if next != "" && !ans.NXDomain && !answerCovers(ans, next) {
			// The server gave the CNAME but not what it points to.
			name = next
			continue
		}
		if ans.NXDomain {
			return result{Status: statusNXDomain, Final: owner}
		}
		return result{Status: statusNoData, Final: owner}
	}
	return result{Status: statusTempError, Final: name, Err: &TempError{Name: name, Type: dns.TypeToString[qtype], Reason: "CNAME chain too long"}}
}

// answerCovers reports whether ans says anything about name beyond the
// CNAME pointing to it (an SOA in the authority section for a negative
// answer about the target counts).
func answerCovers(ans *Answer, name string) bool {
	for _, rr := range ans.Authority {
		if soa, ok := rr.(*dns.SOA); ok && dns.IsSubDomain(soa.Hdr.Name, name) {
			return true
		}
	}
	return false
}

// reverseName is the in-addr.arpa or ip6.arpa name of ip.
func reverseName(ip netip.Addr) string {
	name, err := dns.ReverseAddr(ip.WithZone("").String())
	if err != nil {
		// ReverseAddr only fails on unparsable input; ip is valid.
		panic(err)
	}
	return name
}

// ptrNames returns the PTR names of ip in answer order, lower case and
// without the trailing dot.
func ptrNames(ctx context.Context, r Resolver, ip netip.Addr) ([]string, result) {
	res := lookup(ctx, r, reverseName(ip), dns.TypePTR)
	var names []string
	for _, rr := range res.Records {
		names = append(names, normalizeName(rr.(*dns.PTR).Ptr))
	}
	return names, res
}

// addrs returns the A and AAAA addresses of name. The status is found when
// either family has data, temperror when neither has and one failed.
func addrs(ctx context.Context, r Resolver, name string) ([]netip.Addr, lookupStatus, error) {
	ch := make(chan result, 1)
	go func() { ch <- lookup(ctx, r, name, dns.TypeAAAA) }()
	a := lookup(ctx, r, name, dns.TypeA)
	aaaa := <-ch
	var list []netip.Addr
	for _, res := range []result{a, aaaa} {
		for _, rr := range res.Records {
			var ip netip.Addr
			switch rr := rr.(type) {
			case *dns.A:
				ip, _ = netip.AddrFromSlice(rr.A.To4())
			case *dns.AAAA:
				ip, _ = netip.AddrFromSlice(rr.AAAA)
			}
			if ip.IsValid() {
				list = append(list, ip.Unmap())
			}
		}
	}
	switch {
	case len(list) > 0:
		return list, statusFound, nil
	case a.Status == statusTempError:
		return nil, statusTempError, a.Err
	case aaaa.Status == statusTempError:
		return nil, statusTempError, aaaa.Err
	case a.Status == statusNXDomain:
		return nil, statusNXDomain, nil
	}
	return nil, statusNoData, nil
}

// normalizeName lower-cases a host name and drops the trailing dot.
func normalizeName(s string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
}
