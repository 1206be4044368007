package mtalog

import (
	"bytes"
	"io"
	"testing"
	"time"
)

var benchRef = time.Date(2026, time.November, 25, 0, 0, 0, 0, time.UTC)

func genLines(tb testing.TB, n int) [][]byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := GenPostfix(&buf, n, 1); err != nil {
		tb.Fatal(err)
	}
	return bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
}

// BenchmarkParser parses 100k generated Postfix lines per iteration.
func BenchmarkParser(b *testing.B) {
	lines := genLines(b, 100000)
	var size int
	for _, l := range lines {
		size += len(l) + 1
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	events := 0
	for b.Loop() {
		p := NewParser(benchRef, time.UTC)
		for _, l := range lines {
			if _, ok := p.Parse(l); ok {
				events++
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/line")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}

// BenchmarkScanner adds line splitting from a reader to BenchmarkParser.
func BenchmarkScanner(b *testing.B) {
	var buf bytes.Buffer
	if err := GenPostfix(&buf, 100000, 1); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s := NewScanner(bytes.NewReader(data), NewParser(benchRef, time.UTC))
		for s.Scan() {
		}
		if err := s.Err(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100000), "ns/line")
}

// BenchmarkSkipped measures lines that Parse turns away.
func BenchmarkSkipped(b *testing.B) {
	line := []byte("Nov 22 10:15:01 mx1 postfix/smtpd[51018]: disconnect from unknown[198.51.100.10] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7")
	p := NewParser(benchRef, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		p.Parse(line)
	}
}

var _ = io.Discard
