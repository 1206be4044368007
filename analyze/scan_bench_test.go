package analyze

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"hopcheck/parse/mtalog"
	"hopcheck/parse/mtalog/mtalogtest"
	"hopcheck/parse/reply"
)

// scanInputs are the sample logs and a generated one.
func scanInputs(tb testing.TB) map[string][]byte {
	tb.Helper()
	files, _ := filepath.Glob("../testdata/logs/*.log")
	files = append(files, "../testdata/logs-e2e/mixed.log")
	in := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		in[filepath.Base(f)] = b
	}
	var gen bytes.Buffer
	if err := mtalogtest.GenPostfix(&gen, 50000, 11); err != nil {
		tb.Fatal(err)
	}
	in["generated"] = gen.Bytes()
	return in
}

func scanParser() *mtalog.Parser {
	p := mtalog.NewParser(time.UTC)
	p.MaxLine = 2000
	ref := time.Date(2026, time.November, 25, 0, 0, 0, 0, time.UTC)
	p.Now = func() time.Time { return ref }
	return p
}

// TestReplyCacheMatchesParse: the shared classification cache, whose key
// masks the event's own address, classifies every event as reply.Parse
// does on its own, client address included.
func TestReplyCacheMatchesParse(t *testing.T) {
	cache := newReplyCache().local()
	n := 0
	for name, data := range scanInputs(t) {
		s := mtalog.NewScanner(bytes.NewReader(data), scanParser())
		for s.Scan() {
			ev := s.Event()
			got, ok := cache.classify(&ev)
			if !ok || ev.Kind == mtalog.DNSWarning {
				continue
			}
			r := reply.Parse(ev.Reply)
			want := replyClass{category: r.Category, status: r.Status, code: r.Code, rule: r.Rule, problem: r.Problem, provider: r.Provider, clientIP: r.ClientIP}
			if want.status == "" {
				want.status = ev.Status
			}
			if want.code == 0 {
				want.code = ev.Code
			}
			got.clientIsRemote = false
			if got != want {
				t.Errorf("%s line %d: cached %+v, parsed %+v", name, ev.Line, got, want)
			}
			n++
		}
	}
	if n < 1000 {
		t.Fatalf("only %d refusals classified", n)
	}
}

// TestScanBorrowedMatchesCopied: a scan whose parsers borrow the chunks'
// bytes (no copy of kept lines) ends with exactly the relays of the
// line-by-line Scanner, whose events own their strings: nothing the
// Aggregator keeps points into a reused chunk.
func TestScanBorrowedMatchesCopied(t *testing.T) {
	defer SetScanChunk(4096)()
	for name, data := range scanInputs(t) {
		ref := NewAggregator(AggregatorOptions{})
		s := mtalog.NewScanner(bytes.NewReader(data), scanParser())
		for s.Scan() {
			ref.Add(s.Event())
		}
		agg := NewAggregator(AggregatorOptions{})
		if err := agg.Scan(bytes.NewReader(data), scanParser, ScanOptions{Workers: 2}); err != nil {
			t.Fatal(err)
		}
		got, want := agg.Snapshot(), ref.Snapshot()
		// The Scanner's Aggregator keeps the reply as its example line; the
		// scan keeps the line itself: compare the rest.
		for i := range got {
			got[i].Examples = nil
		}
		for i := range want {
			want[i].Examples = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %d relays from the scan differ from the Scanner's %d", name, len(got), len(want))
			for i := range min(len(got), len(want)) {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("first difference:\n got %+v\nwant %+v", got[i], want[i])
					break
				}
			}
		}
	}
}

// BenchmarkScanOnly is Aggregator.Scan alone over 200,000 generated lines
// in memory: reading, splitting, parsing, classifying and aggregating,
// without a file or the verdicts.
func BenchmarkScanOnly(b *testing.B) {
	var gen bytes.Buffer
	if err := mtalogtest.GenPostfix(&gen, 200000, 1); err != nil {
		b.Fatal(err)
	}
	data := gen.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		agg := NewAggregator(AggregatorOptions{})
		err := agg.Scan(bytes.NewReader(data), func() *mtalog.Parser {
			p := scanParser()
			p.RefusalsOnly = true
			return p
		}, ScanOptions{Workers: 2})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(200000*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
