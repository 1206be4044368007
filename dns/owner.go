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

// ZoneOwnerOf finds the zone that holds the name a lookup ended at (for a
// PTR, after RFC 2317 CNAMEs), and its name servers; nil when it cannot
// tell. The zone comes from the SOA a negative answer carried, else from an
// SOA query: one query fewer for every address without a PTR.
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
