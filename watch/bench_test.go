//go:build unix

package watch

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"hopcheck/dns"
	"hopcheck/logstream"
	"hopcheck/parse/mtalog/mtalogtest"
)

// BenchmarkLineToAlert measures the time from writing a line to a
// followed file to its alert: each line is a refusal of a new client, so
// each needs a check with DNS from a server on loopback, unpaced and at the
// command's default pace. Run it with -benchtime 1000x for the median and
// p99 over 1,000 events.
func BenchmarkLineToAlert(b *testing.B) {
	for _, qps := range []float64{0, 50} {
		b.Run(fmt.Sprintf("max-qps=%g", qps), func(b *testing.B) { lineToAlert(b, qps) })
	}
}

func lineToAlert(b *testing.B, qps float64) {
	srv := server(b, reverse6, ourZone)
	log := filepath.Join(b.TempDir(), "mail.log")
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	alerts := newCollector()
	e := New(Options{Resolver: dns.NewPaced(client(srv.Addr), qps, 1), Inbound: true, Alert: alerts.add, Location: time.UTC}, State{})
	src, err := Open(Input{Path: log}, logstream.Position{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, src) }()
	defer func() {
		cancel()
		<-done
	}()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		line := reject(time.Now().UTC(), fmt.Sprintf("2001:db8::2:%x", i)) + "\n"
		start := time.Now()
		if _, err := f.WriteString(line); err != nil {
			b.Fatal(err)
		}
		if a := alerts.next(b); a.Kind != Misaligned {
			b.Fatalf("alert %+v", a)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)/2]), "ms-median")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "ms-p99")
	b.ReportMetric(float64(srv.UDPQueries.Load()+srv.TCPQueries.Load())/float64(b.N), "queries/alert")
}

// BenchmarkThroughput measures lines a second through the engine (parse,
// aggregate, metrics, check scheduling) on a generated Postfix log in
// which every tenth line is a refusal of a new client: a flood of distinct
// IPs, whose checks the DNS pace of 50 queries a second holds back. Run it
// with -cpu 1 for one core. It fails if the server saw more queries than
// the pace allows.
func BenchmarkThroughput(b *testing.B) {
	const qps = 50
	srv := server(b, reverse6, ourZone)
	var gen bytes.Buffer
	if err := mtalogtest.GenPostfix(&gen, b.N, 1); err != nil {
		b.Fatal(err)
	}
	lines := strings.SplitAfter(gen.String(), "\n")
	var log bytes.Buffer
	for i, l := range lines[:min(len(lines), b.N)] {
		if i%10 == 9 {
			l = reject(t0, fmt.Sprintf("2001:db8::3:%x", i)) + "\n"
		}
		log.WriteString(l)
	}
	e := New(Options{Resolver: dns.NewPaced(client(srv.Addr), qps, 1), Inbound: true, Location: time.UTC,
		Now: newClock(t0).Now}, State{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	b.ResetTimer()
	start := time.Now()
	go func() { done <- e.Run(ctx, logstream.Stream(&log)) }()
	for e.Stats().Lines < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	took := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	queries := srv.UDPQueries.Load() + srv.TCPQueries.Load()
	if bound := int64(qps*time.Since(start).Seconds()) + 1; queries > bound {
		b.Fatalf("%d queries, over the pace's bound of %d", queries, bound)
	}
	b.ReportMetric(float64(b.N)/took.Seconds(), "lines/s")
	b.ReportMetric(float64(queries)/took.Seconds(), "queries/s")
}
