package analyze_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"hopcheck/analyze"
	"hopcheck/parse/mtalog"
)

// FuzzScan checks the chunked, parallel scan against the line-by-line
// Scanner on arbitrary input, with blocks small enough that lines straddle
// them and a line limit small enough that some lines are too long. It must
// never panic and must count and yield exactly what the Scanner does.
func FuzzScan(f *testing.F) {
	files, _ := filepath.Glob("../testdata/logs/*.log")
	files = append(files, "../testdata/logs-e2e/mixed.log")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(""))
	f.Add([]byte("\n\n\r\n"))
	f.Add([]byte(strings.Repeat("x", 300)))
	f.Add([]byte("Nov 22 10:17:00 mx1 postfix/smtpd[1]: warning: hostname a.example does not resolve to address 192.0.2.1" + strings.Repeat("y", 200) + "\nNov 22 10:17:00 mx1 postfix/smtpd[1]: warning: hostname a.example does not resolve to address 192.0.2.1"))
	f.Add([]byte("Nov 22 10:16:11 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 550 5.7.1 \x00\xff\xfe; helo=<\x1b[31m>\n"))
	defer analyze.SetScanChunk(512)()
	const maxLine = 200
	newP := func() *mtalog.Parser {
		p := newParser()
		p.MaxLine = maxLine
		return p
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := newP()
		s := mtalog.NewScanner(bytes.NewReader(data), p)
		ref := analyze.NewAggregator(analyze.AggregatorOptions{})
		var want []mtalog.Event
		for s.Scan() {
			before := ref.Stats().Aggregated
			ref.Add(s.Event())
			if ref.Stats().Aggregated > before {
				want = append(want, s.Event())
			}
		}
		var got []mtalog.Event
		agg := analyze.NewAggregator(analyze.AggregatorOptions{})
		err := agg.Scan(bytes.NewReader(data), newP, analyze.ScanOptions{Workers: 2, OnEvent: func(ev *mtalog.Event, line []byte) error {
			if len(line) > maxLine {
				t.Errorf("line of %d bytes passed the limit", len(line))
			}
			got = append(got, *ev)
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("events differ: got %d, want %d\n%+v\n%+v", len(got), len(want), got, want)
		}
		st, pst := agg.Stats(), p.Stats()
		if st.Lines != pst.Lines || st.Events != pst.Events || st.Unknown != pst.Unknown || st.TooLong != pst.TooLong {
			t.Fatalf("stats %+v, scanner %+v", st, pst)
		}
		for _, r := range agg.Snapshot() {
			if len(r.Examples) > 3 || len(r.HELO) > 4 || len(r.RDNSLogged) > 4 {
				t.Fatalf("unbounded relay %+v", r)
			}
		}
	})
}
