package dns_test

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"hopcheck/dns"
	"hopcheck/dns/dnstest"
)

func world(tb testing.TB) *dns.Zone { return dnstest.Zones(tb, "../testdata/zones/*.zone") }

func client(addr string) *dns.Client {
	return dns.NewClient(dns.ClientOptions{Servers: []string{addr}, Timeout: 300 * time.Millisecond, Attempts: 1})
}

// TestLookups: PTR with an RFC 2317 CNAME followed, the addresses of a
// name, and the owner of a reverse zone, over real DNS on loopback.
func TestLookups(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Options{Zone: world(t)})
	c := client(srv.Addr)
	ctx := context.Background()
	names, res := dns.PTR(ctx, c, netip.MustParseAddr("198.51.100.5"))
	if res.Status != dns.Found || !slices.Equal(names, []string{"relay.customer.example"}) || !strings.HasSuffix(res.Final, "0-63.100.51.198.in-addr.arpa.") || dns.MinTTL(res.Records) == 0 {
		t.Fatalf("PTR %v %+v", names, res)
	}
	o := dns.ZoneOwnerOf(ctx, c, res)
	if o == nil || o.Zone != "0-63.100.51.198.in-addr.arpa" || !slices.Equal(o.NameServers, []string{"ns1.customer.example"}) {
		t.Fatalf("owner %+v", o)
	}
	a := dns.Addrs(ctx, c, "mail.example.test")
	if a.Err != nil || a.Status != dns.Found || !slices.Contains(a.List, netip.MustParseAddr("192.0.2.10")) || a.Source != srv.Addr || a.TTL != 3600 {
		t.Fatalf("addrs %+v", a)
	}
	if a := dns.Addrs(ctx, c, "nothing.example.test"); a.Status != dns.NXDomain {
		t.Errorf("a missing name: %s, want nxdomain", a.Status)
	}
}

// TestOurResolverUnreachable: a resolver that cannot be reached is our
// failure, said as such, not a failure of the name's own servers; a
// SERVFAIL from a reachable resolver is not.
func TestOurResolverUnreachable(t *testing.T) {
	_, res := dns.PTR(context.Background(), client("127.0.0.1:1"), netip.MustParseAddr("192.0.2.10"))
	te, ok := dns.Unreachable(res.Err)
	if res.Status != dns.Temporary || !ok || !strings.Contains(te.Error(), "your resolver 127.0.0.1:1 did not answer") {
		t.Fatalf("status %s, error %v", res.Status, res.Err)
	}
	srv := dnstest.Start(t, dnstest.Options{Zone: world(t), ServFail: map[string]bool{"80.2.0.192.in-addr.arpa.": true}})
	_, res = dns.PTR(context.Background(), client(srv.Addr), netip.MustParseAddr("192.0.2.80"))
	if _, ok := dns.Unreachable(res.Err); res.Status != dns.Temporary || ok {
		t.Fatalf("SERVFAIL: status %s, error %v", res.Status, res.Err)
	}
}

// TestOverlay: names inside the loaded zone come from the file, others
// from the network, and each answer says where it came from.
func TestOverlay(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Options{Zone: world(t)})
	planned := dns.NewZone()
	err := planned.Load(strings.NewReader(`$ORIGIN 2.0.192.in-addr.arpa.
@ 3600 IN SOA ns1.provider.example. hostmaster.provider.example. 2 7200 3600 1209600 300
20 3600 IN PTR h20.example.test.
`), "planned.zone")
	if err != nil {
		t.Fatal(err)
	}
	o := dns.Overlay{Zone: planned, Net: client(srv.Addr)}
	ans, err := o.Query(context.Background(), "20.2.0.192.in-addr.arpa.", mdns.TypePTR)
	if err != nil || len(ans.Records) != 1 || ans.Source != "zone file planned.zone" {
		t.Fatalf("planned PTR: %+v %v", ans, err)
	}
	ans, err = o.Query(context.Background(), "h20.example.test.", mdns.TypeA)
	if err != nil || len(ans.Records) != 1 || ans.Source != srv.Addr {
		t.Fatalf("A from the network: %+v %v", ans, err)
	}
}

// TestCounting counts queries by outcome.
func TestCounting(t *testing.T) {
	var seen []string
	c := &dns.Counting{Resolver: world(t), Observe: func(qtype string, o dns.Outcome, _ time.Duration) { seen = append(seen, qtype+" "+string(o)) }}
	ctx := context.Background()
	dns.PTR(ctx, c, netip.MustParseAddr("192.0.2.10"))
	dns.PTR(ctx, c, netip.MustParseAddr("192.0.2.20"))
	c.Query(ctx, "outside.invalid.", mdns.TypeA)
	st := c.Stats()
	if st.Queries != 3 || st.ByResult[dns.OutcomeOK] != 1 || st.ByResult[dns.OutcomeNXDomain] != 1 || st.ByResult[dns.OutcomeTemporary] != 1 {
		t.Fatalf("stats %+v", st)
	}
	if !slices.Equal(seen, []string{"PTR ok", "PTR nxdomain", "A temporary"}) {
		t.Errorf("observed %v", seen)
	}
}

func TestParseServer(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.53": "127.0.0.53:53", "127.0.0.1:5353": "127.0.0.1:5353", "::1": "[::1]:53",
		"[2001:db8::53]:53": "[2001:db8::53]:53", "[::1]": "[::1]:53",
	} {
		if got, err := dns.ParseServer(in); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"not-a-host", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:dns", "", "resolver.example:53"} {
		if got, err := dns.ParseServer(bad); err == nil {
			t.Errorf("%q accepted as %q", bad, got)
		}
	}
}
