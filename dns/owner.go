package dns

import (
	"context"
	"slices"

	mdns "github.com/miekg/dns"
)

// ZoneOwner is who serves the zone a name lives in: for a PTR name, the
// reverse zone of the IP block, whose owner sets the PTR.
type ZoneOwner struct {
	Zone        string   // the zone's apex, from its SOA
	NameServers []string // its NS names, sorted
	Serial      uint32   // the SOA serial: a changed zone has a new one
}

// FindZoneOwner finds the zone that holds name (for a PTR, pass where the
// lookup ended, after RFC 2317 CNAMEs) from the SOA in the answer or in a
// negative answer's authority section, and its name servers; nil when it
// cannot tell.
func FindZoneOwner(ctx context.Context, r Resolver, name string) *ZoneOwner {
	return ZoneOwnerOf(ctx, r, Result{Final: name})
}

// ZoneOwnerOf is FindZoneOwner for the name a lookup ended at, taking the
// zone from the SOA its negative answer carried when it did: one query
// fewer for every address without a PTR.
func ZoneOwnerOf(ctx context.Context, r Resolver, res Result) *ZoneOwner {
	soa := res.SOA
	if soa == nil && res.Final != "" {
		ans, err := r.Query(ctx, mdns.CanonicalName(res.Final), mdns.TypeSOA)
		if err != nil {
			return nil
		}
		for _, rr := range append(ans.Records, ans.Authority...) {
			if s, ok := rr.(*mdns.SOA); ok {
				soa = s
				break
			}
		}
	}
	if soa == nil {
		return nil
	}
	o := &ZoneOwner{Zone: NormalizeName(soa.Hdr.Name), Serial: soa.Serial}
	for _, rr := range Lookup(ctx, r, soa.Hdr.Name, mdns.TypeNS).Records {
		o.NameServers = append(o.NameServers, NormalizeName(rr.(*mdns.NS).Ns))
	}
	slices.Sort(o.NameServers)
	o.NameServers = slices.Compact(o.NameServers)
	return o
}
