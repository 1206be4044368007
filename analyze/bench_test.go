package analyze_test

import (
	"context"
	"fmt"
	"hopcheck/dns"
	"net/netip"
	"strings"
	"testing"
	"time"

	"hopcheck/analyze"
	"hopcheck/dns/dnstest"
	"hopcheck/parse"
)

// twentyHops is a zone and a 20-hop path: every hop a distinct relay with
// a PTR, an A record for it, and a HELO equal to the PTR name.
func twentyHops(tb testing.TB) (*dns.Zone, []parse.Hop) {
	var zone strings.Builder
	zone.WriteString("$TTL 3600\n$ORIGIN 2.0.192.in-addr.arpa.\n@ IN SOA ns1.bench.test. h.bench.test. 1 7200 3600 1209600 300\n")
	hops := make([]parse.Hop, 20)
	for i := range hops {
		fmt.Fprintf(&zone, "%d IN PTR relay%d.bench.test.\n", 100+i, i)
	}
	zone.WriteString("$ORIGIN bench.test.\n@ IN SOA ns1.bench.test. h.bench.test. 1 7200 3600 1209600 300\n")
	for i := range hops {
		fmt.Fprintf(&zone, "relay%d IN A 192.0.2.%d\n", i, 100+i)
		hops[i] = parse.Hop{Index: i + 1, Parsed: true, IP: netip.MustParseAddr(fmt.Sprintf("192.0.2.%d", 100+i)),
			HELO: fmt.Sprintf("relay%d.bench.test", i), By: fmt.Sprintf("relay%d.bench.test", i+1)}
	}
	z := dns.NewZone()
	if err := z.Load(strings.NewReader(zone.String()), "bench"); err != nil {
		tb.Fatal(err)
	}
	return z, hops
}

// BenchmarkAnalyze20Hops analyses a 20-hop path against a loopback server
// that delays every answer by 10ms, with a cold cache each time. The
// rtts/op metric is wall time over the delay: about 2 (the PTRs at once,
// then every forward lookup at once), not one round trip per lookup.
func BenchmarkAnalyze20Hops(b *testing.B) {
	z, hops := twentyHops(b)
	const delay = 10 * time.Millisecond
	srv := dnstest.Start(b, dnstest.Options{Zone: z, Delay: delay})
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		c := dns.NewClient(dns.ClientOptions{Servers: []string{srv.Addr}, Timeout: time.Second})
		res := analyze.Analyze(context.Background(), hops, analyze.Options{Resolver: c})
		if res.Verdict.Status != analyze.Aligned {
			b.Fatalf("verdict %+v", res.Verdict)
		}
	}
	b.ReportMetric(float64(time.Since(start))/float64(b.N)/float64(delay), "rtts/op")
	b.ReportMetric(float64(srv.UDPQueries.Load())/float64(b.N), "queries/op")
}

// BenchmarkAnalyze20HopsZone is the analysis alone, with answers from
// memory: the cost of the checks and verdict without the network.
func BenchmarkAnalyze20HopsZone(b *testing.B) {
	z, hops := twentyHops(b)
	b.ReportAllocs()
	for range b.N {
		analyze.Analyze(context.Background(), hops, analyze.Options{Resolver: z})
	}
}
