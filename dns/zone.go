package dns

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	mdns "github.com/miekg/dns"
)

// Zone is a Resolver that answers from RFC 1035 master files, with no
// network: for offline study, demos, and what-if checks of a planned fix.
// It answers as an authoritative server would: CNAMEs are returned (and
// followed by the analyzer), a name with no data of the asked type is
// NODATA, a missing name NXDOMAIN, both with the zone's SOA. Names outside
// every loaded zone get a temporary failure: the files say nothing of them.
type Zone struct {
	apexes  map[string]*mdns.SOA // zone apex → its SOA
	files   map[string]string    // zone apex → the file that defined it
	records map[string][]mdns.RR // owner name → records
	names   map[string]bool      // every owner and every name above it in a zone
}

// NewZone returns an empty Zone; Load adds files to it.
func NewZone() *Zone {
	return &Zone{apexes: map[string]*mdns.SOA{}, files: map[string]string{}, records: map[string][]mdns.RR{}, names: map[string]bool{}}
}

// LoadZoneFiles reads master files into a new Zone.
func LoadZoneFiles(paths ...string) (*Zone, error) {
	z := NewZone()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		err = z.Load(f, p)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return z, nil
}

// Load reads one master file. Each file needs an SOA record (its $ORIGIN
// or the SOA owner defines the zone); $INCLUDE is not followed.
func (z *Zone) Load(r io.Reader, file string) error {
	zp := mdns.NewZoneParser(r, "", file)
	var rrs []mdns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rr.Header().Name = mdns.CanonicalName(rr.Header().Name)
		if soa, isSOA := rr.(*mdns.SOA); isSOA {
			z.apexes[soa.Hdr.Name] = soa
			z.files[soa.Hdr.Name] = file
		}
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		return err
	}
	for _, rr := range rrs {
		name := rr.Header().Name
		if z.apexOf(name) == nil {
			return fmt.Errorf("%s: %s is in no zone: the file needs an SOA record for its zone", file, name)
		}
		if slices.ContainsFunc(z.records[name], func(x mdns.RR) bool { return mdns.IsDuplicate(x, rr) }) {
			continue // the same record in a parent's glue and the child's apex
		}
		z.records[name] = append(z.records[name], rr)
		for n := name; ; {
			z.names[n] = true
			if z.apexes[n] != nil {
				break
			}
			i := strings.IndexByte(n, '.')
			if i < 0 || i == len(n)-1 {
				break
			}
			n = n[i+1:]
		}
	}
	return nil
}

// Covers reports whether name falls inside a loaded zone.
func (z *Zone) Covers(name string) bool { return z.apexOf(mdns.CanonicalName(name)) != nil }

// apexOf returns the SOA of the closest zone that contains name.
func (z *Zone) apexOf(name string) *mdns.SOA {
	for n := name; ; {
		if soa := z.apexes[n]; soa != nil {
			return soa
		}
		i := strings.IndexByte(n, '.')
		if i < 0 || i == len(n)-1 {
			return nil
		}
		n = n[i+1:]
	}
}

// Query implements Resolver.
func (z *Zone) Query(_ context.Context, name string, qtype uint16) (*Answer, error) {
	name = mdns.CanonicalName(name)
	soa := z.apexOf(name)
	if soa == nil {
		return nil, &TempError{Name: name, Type: mdns.TypeToString[qtype], Reason: "outside the loaded zone files"}
	}
	ans := Answer{Source: "zone file " + z.files[soa.Hdr.Name]}
	for _, rr := range z.records[name] {
		t := rr.Header().Rrtype
		if t == qtype || (t == mdns.TypeCNAME && qtype != mdns.TypeCNAME) {
			ans.Records = append(ans.Records, rr)
		}
	}
	if len(ans.Records) == 0 {
		ans.NXDomain = !z.names[name]
		ans.Authority = []mdns.RR{soa}
	}
	return &ans, nil
}
