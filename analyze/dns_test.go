package analyze_test

import (
	"context"
	mdns "github.com/miekg/dns"
	"hopcheck/dns"
	"hopcheck/problem"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"hopcheck/analyze"
	"hopcheck/dns/dnstest"
	"hopcheck/parse"
)

// world loads the testdata zones, the world every DNS test runs in.
func world(tb testing.TB) *dns.Zone {
	return dnstest.Zones(tb, "../testdata/zones/*.zone")
}

// failing is the server behaviour the DNS tests share.
func failing(z *dns.Zone) dnstest.Options {
	return dnstest.Options{
		Zone:     z,
		ServFail: map[string]bool{"80.2.0.192.in-addr.arpa.": true},
		Drop:     map[string]bool{"81.2.0.192.in-addr.arpa.": true},
		Truncate: map[string]bool{"90.2.0.192.in-addr.arpa.": true},
	}
}

func newClient(srv *dnstest.Server) *dns.Client {
	return dns.NewClient(dns.ClientOptions{Servers: []string{srv.Addr}, Timeout: 300 * time.Millisecond, Attempts: 1})
}

func hop(ip, helo string) parse.Hop {
	return parse.Hop{Index: 1, Parsed: true, IP: netip.MustParseAddr(ip), HELO: helo, By: "mx.receiver.example"}
}

func TestVerdictOverRealDNS(t *testing.T) {
	srv := dnstest.Start(t, failing(world(t)))
	tests := []struct {
		name    string
		hop     parse.Hop
		status  analyze.Status
		problem problem.Name
		owner   problem.Owner
		fix     []string // substrings the fix must contain
		check   func(t *testing.T, c analyze.Checks)
	}{
		{name: "aligned", hop: hop("192.0.2.10", "mail.example.test"), status: analyze.Aligned,
			check: func(t *testing.T, c analyze.Checks) {
				if c.FCrDNS != analyze.FCrDNSPass || c.HELOMatch != analyze.MatchExact {
					t.Errorf("fcrdns %s, helo match %s", c.FCrDNS, c.HELOMatch)
				}
			}},
		{name: "nxdomain is no-ptr", hop: hop("192.0.2.20", "h20.example.test"), status: analyze.Misaligned, problem: problem.NoPTR, owner: problem.IPOwner,
			fix: []string{"set the PTR of 192.0.2.20 to h20.example.test", "h20.example.test already resolves to 192.0.2.20", "2.0.192.in-addr.arpa is served by ns1.provider.example, ns2.provider.example"},
			check: func(t *testing.T, c analyze.Checks) {
				if c.PTRStatus != dns.NXDomain {
					t.Errorf("ptr status %s", c.PTRStatus)
				}
			}},
		{name: "no ptr, and the helo names another host", hop: hop("192.0.2.20", "mail.example.test"), status: analyze.Misaligned, problem: problem.NoPTR,
			fix: []string{"set the PTR of 192.0.2.20 to the relay's own mail host name"},
			check: func(t *testing.T, c analyze.Checks) {
				if f := c.HELOForward; f == nil || f.MatchesIP || len(f.Addrs) != 1 || f.Addrs[0] != netip.MustParseAddr("192.0.2.10") {
					t.Errorf("helo forward %+v", f)
				}
			}},
		{name: "nodata is no-ptr", hop: hop("192.0.2.21", "h21.example.test"), status: analyze.Misaligned, problem: problem.NoPTR,
			check: func(t *testing.T, c analyze.Checks) {
				if c.PTRStatus != dns.NoData {
					t.Errorf("ptr status %s", c.PTRStatus)
				}
			}},
		{name: "generic ptr with ip digits", hop: hop("192.0.2.30", "h30.example.test"), status: analyze.Misaligned, problem: problem.GenericPTR, owner: problem.IPOwner,
			fix: []string{"set the PTR of 192.0.2.30 to h30.example.test"}},
		{name: "generic ptr vps", hop: hop("192.0.2.31", "vps123.provider.example"), status: analyze.Misaligned, problem: problem.GenericPTR},
		{name: "ptr does not resolve back", hop: hop("192.0.2.40", "broken.example.test"), status: analyze.Misaligned, problem: problem.FCrDNSFail, owner: problem.DNSAdmin,
			fix: []string{`"broken.example.test. IN A 192.0.2.40"`, "example.test"}},
		{name: "old helo name", hop: hop("192.0.2.50", "old.example.test"), status: analyze.Misaligned, problem: problem.HELOMismatch, owner: problem.MailAdmin,
			fix: []string{"announce mx50.example.test"}},
		{name: "helo does not resolve", hop: hop("192.0.2.10", "gone.example.test"), status: analyze.Misaligned, problem: problem.HELOUnresolvable, owner: problem.MailAdmin},
		{name: "helo not fqdn", hop: hop("192.0.2.10", "localhost"), status: analyze.Misaligned, problem: problem.HELOUnresolvable},
		{name: "helo literal", hop: hop("192.0.2.10", "[192.0.2.10]"), status: analyze.Misaligned, problem: problem.HELOUnresolvable,
			check: func(t *testing.T, c analyze.Checks) {
				if c.HELOMatch != analyze.MatchLiteral {
					t.Errorf("helo match %s", c.HELOMatch)
				}
			}},
		{name: "ptr names another domain than a valid helo", hop: hop("192.0.2.60", "smtp.other.example"), status: analyze.Misaligned, problem: problem.PTRMismatch},
		{name: "several ptr names", hop: hop("192.0.2.70", "a70.example.test"), status: analyze.Misaligned, problem: problem.MultiPTR,
			check: func(t *testing.T, c analyze.Checks) {
				if len(c.PTR) != 2 {
					t.Errorf("ptr %v, want both names", c.PTR)
				}
			}},
		{name: "servfail is temperror, not no-ptr", hop: hop("192.0.2.80", "h80.example.test"), status: analyze.Unknown, problem: problem.PTRTempError,
			check: func(t *testing.T, c analyze.Checks) {
				if c.PTRStatus != dns.Temporary || !strings.Contains(c.PTRError, "SERVFAIL") {
					t.Errorf("ptr status %s (%s)", c.PTRStatus, c.PTRError)
				}
			}},
		{name: "timeout is temperror, not no-ptr", hop: hop("192.0.2.81", "h81.example.test"), status: analyze.Unknown, problem: problem.PTRTempError,
			check: func(t *testing.T, c analyze.Checks) {
				if !strings.Contains(c.PTRError, "timeout") {
					t.Errorf("ptr error %q", c.PTRError)
				}
			}},
		{name: "truncated answer retried over tcp", hop: hop("192.0.2.90", "big.example.test"), status: analyze.Aligned},
		{name: "rfc 2317 cname", hop: hop("198.51.100.5", "relay.customer.example"), status: analyze.Aligned},
		{name: "rfc 2317 cname to nothing", hop: hop("198.51.100.6", "relay.customer.example"), status: analyze.Misaligned, problem: problem.NoPTR,
			fix: []string{"0-63.100.51.198.in-addr.arpa is served by ns1.customer.example"}},
		{name: "cname loop is temperror", hop: hop("192.0.2.99", "h99.example.test"), status: analyze.Unknown, problem: problem.PTRTempError},
		{name: "ipv6", hop: hop("2001:db8::25", "mail6.example.test"), status: analyze.Aligned},
		{name: "ipv6 without ptr", hop: hop("2001:db8::26", "h6-26.example.test"), status: analyze.Misaligned, problem: problem.NoPTR,
			fix: []string{"set the PTR of 2001:db8::26 to h6-26.example.test", "0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa is served by ns1.provider.example"}},
		{name: "ipv6 without ptr, helo yet to be created", hop: hop("2001:db8::27", "new6.example.test"), status: analyze.Misaligned, problem: problem.NoPTR,
			fix: []string{"new6.example.test must also have an AAAA record 2001:db8::27"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := analyze.Analyze(context.Background(), []parse.Hop{tc.hop}, analyze.Options{Resolver: newClient(srv)})
			v := res.Verdict
			if v.Status != tc.status || v.Problem != tc.problem {
				t.Fatalf("verdict %s/%s, want %s/%s (%s; %s)", v.Status, v.Problem, tc.status, tc.problem, v.Detail, v.Fix)
			}
			if tc.owner != "" && v.Owner != tc.owner {
				t.Errorf("owner %s, want %s", v.Owner, tc.owner)
			}
			for _, want := range tc.fix {
				if !strings.Contains(v.Fix, want) {
					t.Errorf("fix %q lacks %q", v.Fix, want)
				}
			}
			if tc.check != nil {
				tc.check(t, res.Hops[0].Checks)
			}
		})
	}
	if srv.TCPQueries.Load() == 0 {
		t.Error("no query came over TCP: the truncated answer was not retried")
	}
}

func TestTimeoutIsBounded(t *testing.T) {
	srv := dnstest.Start(t, failing(world(t)))
	c := dns.NewClient(dns.ClientOptions{Servers: []string{srv.Addr}, Timeout: 50 * time.Millisecond, Attempts: 2})
	res := analyze.Analyze(context.Background(), []parse.Hop{hop("192.0.2.81", "h81.example.test")}, analyze.Options{Resolver: c})
	if res.Verdict.Status != analyze.Unknown {
		t.Fatalf("verdict %s", res.Verdict.Status)
	}
	// Two attempts at one server: the dropped query was sent twice, no more.
	// An attempt re-sends its query early when the retransmission timer
	// expires, but that timer is never shorter than 100 ms nor longer than
	// the attempt's Timeout; with a 50 ms Timeout it ends each attempt at its
	// one send, so two attempts are exactly two sends. (With a longer
	// Timeout an attempt sends at most 3 times: dns.TestSendsBounded.)
	if n := srv.Asked("81.2.0.192.in-addr.arpa.", mdns.TypePTR); n != 2 {
		t.Errorf("the dropped PTR query was sent %d times, want 2 (one retry, no more)", n)
	}
}

func TestUnreachableServerIsTemporary(t *testing.T) {
	// Nothing listens on this port: every query fails, none is "no PTR".
	c := dns.NewClient(dns.ClientOptions{Servers: []string{"127.0.0.1:1"}, Timeout: 100 * time.Millisecond, Attempts: 1})
	res := analyze.Analyze(context.Background(), []parse.Hop{hop("192.0.2.10", "mail.example.test")}, analyze.Options{Resolver: c})
	if res.Verdict.Status != analyze.Unknown || res.Verdict.Problem != problem.PTRTempError {
		t.Fatalf("verdict %+v", res.Verdict)
	}
	if !strings.Contains(res.Hops[0].Checks.PTRError, "temporary DNS failure") {
		t.Errorf("ptr error %q does not say temporary DNS failure", res.Hops[0].Checks.PTRError)
	}
}

func TestZoneResolverMatchesServer(t *testing.T) {
	z := world(t)
	srv := dnstest.Start(t, dnstest.Options{Zone: z})
	for _, ip := range []string{"192.0.2.10", "192.0.2.30", "192.0.2.40", "198.51.100.5", "2001:db8::25", "192.0.2.20"} {
		h := hop(ip, "mail.example.test")
		a := analyze.Analyze(context.Background(), []parse.Hop{h}, analyze.Options{Resolver: z})
		b := analyze.Analyze(context.Background(), []parse.Hop{h}, analyze.Options{Resolver: newClient(srv)})
		if a.Verdict != b.Verdict {
			t.Errorf("%s: zone verdict %+v, network verdict %+v", ip, a.Verdict, b.Verdict)
		}
	}
}

func TestCacheAndInflightDedup(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Options{Zone: world(t), Delay: 20 * time.Millisecond})
	c := newClient(srv)
	// Ten hops from the same relay: one PTR and one A for the PTR name
	// (the HELO is the same name; an IPv4 client needs no AAAA), whatever
	// the concurrency.
	hops := make([]parse.Hop, 10)
	for i := range hops {
		hops[i] = hop("192.0.2.10", "mail.example.test")
		hops[i].Index = i + 1
	}
	analyze.Analyze(context.Background(), hops, analyze.Options{Resolver: c})
	if got := srv.UDPQueries.Load(); got != 2 {
		t.Errorf("%d queries on the wire, want 2 (PTR, A)", got)
	}
	analyze.Analyze(context.Background(), hops, analyze.Options{Resolver: c})
	if got := srv.UDPQueries.Load(); got != 2 {
		t.Errorf("%d queries after a second run, want the cache to answer", got)
	}
	// Negative answers are cached too (for the SOA minimum, 300s here).
	// A client without a PTR costs the PTR and the HELO's A, and its
	// reverse zone's NS: the zone's SOA came with the negative answer.
	noPTR := []parse.Hop{hop("192.0.2.20", "h20.example.test")}
	before := srv.UDPQueries.Load()
	analyze.Analyze(context.Background(), noPTR, analyze.Options{Resolver: c})
	if got := srv.UDPQueries.Load() - before; got != 3 || srv.Asked("2.0.192.in-addr.arpa.", mdns.TypeSOA)+srv.Asked("20.2.0.192.in-addr.arpa.", mdns.TypeSOA) != 0 {
		t.Errorf("%d queries for a client without PTR, want 3 (PTR, A, NS) and no SOA query", got)
	}
	before = srv.UDPQueries.Load()
	analyze.Analyze(context.Background(), noPTR, analyze.Options{Resolver: c})
	if got := srv.UDPQueries.Load(); got != before {
		t.Errorf("%d queries for a cached NXDOMAIN, want none", got-before)
	}
}

func TestMultiPTRReportsEveryName(t *testing.T) {
	z := world(t)
	res := analyze.Analyze(context.Background(), []parse.Hop{hop("192.0.2.70", "a70.example.test")}, analyze.Options{Resolver: z})
	got := slices.Sorted(slices.Values(res.Hops[0].Checks.PTR))
	if !slices.Equal(got, []string{"a70.example.test", "b70.example.test"}) {
		t.Fatalf("ptr %v", got)
	}
}

// TestConcurrencyIsBounded: however many lookups an analysis starts, no
// more than ClientOptions.Concurrency are on the wire at once.
func TestConcurrencyIsBounded(t *testing.T) {
	z, hops := twentyHops(t)
	srv := dnstest.Start(t, dnstest.Options{Zone: z, Delay: 5 * time.Millisecond})
	c := dns.NewClient(dns.ClientOptions{Servers: []string{srv.Addr}, Timeout: time.Second, Concurrency: 3})
	res := analyze.Analyze(context.Background(), hops, analyze.Options{Resolver: c})
	if res.Verdict.Status != analyze.Aligned {
		t.Fatalf("verdict %+v", res.Verdict)
	}
	if got := srv.MaxInFlight.Load(); got > 3 || got < 2 {
		t.Fatalf("%d queries in flight at most, want 2 or 3 (the bound is 3)", got)
	}
}

// TestServerFailover: a dead first server costs a retry, not the answer;
// every server failing is a temporary failure naming the reason.
func TestServerFailover(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Options{Zone: world(t)})
	c := dns.NewClient(dns.ClientOptions{Servers: []string{"127.0.0.1:1", srv.Addr}, Timeout: 200 * time.Millisecond, Attempts: 1})
	res := analyze.Analyze(context.Background(), []parse.Hop{hop("192.0.2.10", "mail.example.test")}, analyze.Options{Resolver: c})
	if res.Verdict.Status != analyze.Aligned {
		t.Fatalf("verdict %+v", res.Verdict)
	}
	refusing := dnstest.Start(t, dnstest.Options{}) // answers REFUSED to everything
	c = dns.NewClient(dns.ClientOptions{Servers: []string{refusing.Addr}, Timeout: 200 * time.Millisecond, Attempts: 1})
	res = analyze.Analyze(context.Background(), []parse.Hop{hop("192.0.2.10", "mail.example.test")}, analyze.Options{Resolver: c})
	if res.Verdict.Status != analyze.Unknown || !strings.Contains(res.Hops[0].Checks.PTRError, "REFUSED") {
		t.Fatalf("verdict %+v, ptr error %q", res.Verdict, res.Hops[0].Checks.PTRError)
	}
}
