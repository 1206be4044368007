package analyze_test

import (
	"context"
	"fmt"
	"hopcheck/dns"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hopcheck/analyze"
	"hopcheck/dns/dnstest"
	"hopcheck/parse/mtalog"
	"hopcheck/parse/mtalog/mtalogtest"
)

var benchWorkers = 2

var benchRef = time.Date(2026, time.November, 25, 0, 0, 0, 0, time.UTC)

// BenchmarkLogs1M is the offline pipeline of hopcheck logs — read, parse,
// aggregate, judge — over a million generated Postfix lines in a file.
func BenchmarkLogs1M(b *testing.B) {
	const n = 1000000
	path := filepath.Join(b.TempDir(), "mail.log")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := mtalogtest.GenPostfix(f, n, 1); err != nil {
		b.Fatal(err)
	}
	st, _ := f.Stat()
	f.Close()
	b.SetBytes(st.Size())
	b.ReportAllocs()
	var relays int
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		agg := analyze.NewAggregator(analyze.AggregatorOptions{})
		if err := agg.Scan(f, func() *mtalog.Parser {
			p := newParser()
			p.RefusalsOnly = true
			return p
		}, analyze.ScanOptions{Workers: benchWorkers}); err != nil {
			b.Fatal(err)
		}
		f.Close()
		rs := agg.Snapshot()
		analyze.Recheck(context.Background(), nil, rs, analyze.RecheckOptions{})
		relays = len(rs)
		if got := agg.Stats().Lines; got != n {
			b.Fatalf("read %d lines, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(relays), "relays")
}

// BenchmarkRecheck10k re-checks 10,000 distinct IPs against a DNS server
// on loopback that delays every answer by 20 ms, with the default relay
// concurrency of Recheck. wire= is the client's bound of queries in flight
// (dns.DefaultConcurrency, 384, is the default); x-bound is the time over the
// bound queries × 20 ms ÷ wire; rtt-ms the mean round trip the client
// measured. Every relay must be judged with no lookup failed.
//
// With HOPCHECK_BENCH_RESOLVER=ip:port the queries go to that server
// instead (a real resolver forwarding to a delaying server, as in
// docs/performance.md); queries and x-bound are then not reported.
func BenchmarkRecheck10k(b *testing.B) {
	for _, wire := range []int{256, 384, 512} {
		b.Run(fmt.Sprintf("wire=%d", wire), func(b *testing.B) { benchRecheck(b, wire) })
	}
}

func benchRecheck(b *testing.B, wire int) {
	const (
		n     = 10000
		delay = 20 * time.Millisecond
	)
	z, err := dns.LoadZoneFiles(zoneFiles(b)...)
	if err != nil {
		b.Fatal(err)
	}
	srv := dnstest.Start(b, dnstest.Options{Zone: z, Delay: delay})
	addr, external := srv.Addr, os.Getenv("HOPCHECK_BENCH_RESOLVER")
	if external != "" {
		addr = external
	}
	base := netip.MustParseAddr("2001:db8:1::")
	var ts dns.TransportStats
	for b.Loop() {
		relays := make([]analyze.Relay, n)
		ip := base
		for i := range relays {
			ip = ip.Next()
			relays[i] = analyze.Relay{RelayKey: analyze.RelayKey{Direction: mtalog.Inbound, IP: ip}, HELO: []string{fmt.Sprintf("h%d.example.test", i)}}
		}
		before := srv.UDPQueries.Load() + srv.TCPQueries.Load()
		cl := dns.NewClient(dns.ClientOptions{Servers: []string{addr}, Concurrency: wire})
		start := time.Now()
		verdicts := analyze.Recheck(context.Background(), cl, relays, analyze.RecheckOptions{})
		took := time.Since(start)
		queries := srv.UDPQueries.Load() + srv.TCPQueries.Load() - before
		bound := time.Duration(queries) * delay / time.Duration(wire)
		if external == "" {
			b.ReportMetric(float64(queries), "queries")
			b.ReportMetric(took.Seconds()/bound.Seconds(), "x-bound")
		}
		ts = cl.TransportStats()
		cl.Close()
		for _, r := range relays {
			v := verdicts[r.RelayKey]
			if v.Verdict.Status == "" || v.Verdict.Status == analyze.Unknown || v.Checks.PTRStatus == dns.Temporary ||
				v.Checks.HELOForward == nil || v.Checks.HELOForward.Status == dns.Temporary {
				b.Fatalf("%s: verdict %+v, checks %+v", r.IP, v.Verdict, v.Checks)
			}
		}
	}
	b.ReportMetric(float64(ts.Retransmits), "retransmits")
	b.ReportMetric(float64(ts.MinLimit), "min-wire")
	if ts.Answers > 0 {
		b.ReportMetric(float64(ts.RTTSum.Milliseconds())/float64(ts.Answers), "rtt-ms")
	}
}

func zoneFiles(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob("../testdata/zones/*.zone")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no zone files: %v", err)
	}
	return files
}
