package mtalog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const logsDir = "../../testdata/logs"

// Every sample is read as of this reference time and zone, so that the
// classic syslog stamps of late November fall in 2026 and rollover.log
// crosses into 2027.
var (
	testLoc = time.FixedZone("CET", 3600)
	testRef = time.Date(2027, time.January, 2, 0, 0, 0, 0, testLoc)
)

// fixedClock is a Parser clock stopped at t, as for a finished file.
func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// testParser reads the samples as of testRef in testLoc.
func testParser() *Parser {
	p := NewParser(testLoc)
	p.Now = fixedClock(testRef)
	return p
}

func scanFile(t *testing.T, path string) ([]Event, Stats) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := testParser()
	s := NewScanner(f, p)
	var evs []Event
	for s.Scan() {
		evs = append(evs, s.Event())
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return evs, p.Stats()
}

func TestLogs(t *testing.T) {
	logs, err := filepath.Glob(filepath.Join(logsDir, "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no samples in %s: %v", logsDir, err)
	}
	for _, path := range logs {
		base := strings.TrimSuffix(path, ".log")
		t.Run(filepath.Base(base), func(t *testing.T) {
			evs, st := scanFile(t, path)
			var got bytes.Buffer
			for _, ev := range evs {
				b, err := json.Marshal(ev)
				if err != nil {
					t.Fatal(err)
				}
				got.Write(b)
				got.WriteByte('\n')
			}
			stats, _ := json.MarshalIndent(st, "", "  ")
			if os.Getenv("HOPCHECK_UPDATE") != "" { // make golden
				writeFile(t, base+".events.jsonl", got.Bytes())
				writeFile(t, base+".stats.json", append(stats, '\n'))
				return
			}
			compareEvents(t, base+".events.jsonl", evs)
			var want Stats
			readJSON(t, base+".stats.json", &want)
			if st != want {
				t.Errorf("stats = %+v, want %+v", st, want)
			}
		})
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// compareEvents checks events against a JSON Lines file field by field.
func compareEvents(t *testing.T, path string, got []Event) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	i := 0
	for ; sc.Scan(); i++ {
		if i >= len(got) {
			t.Errorf("event %d missing: want %s", i, sc.Text())
			continue
		}
		want := map[string]any{}
		if err := json.Unmarshal(sc.Bytes(), &want); err != nil {
			t.Fatalf("%s:%d: %v", path, i+1, err)
		}
		var wantEv Event
		if err := json.Unmarshal(sc.Bytes(), &wantEv); err != nil {
			t.Fatalf("%s:%d: %v", path, i+1, err)
		}
		if !wantEv.Time.Equal(got[i].Time) {
			t.Errorf("event %d (line %d): time = %v, want %v", i, got[i].Line, got[i].Time, wantEv.Time)
		}
		gb, _ := json.Marshal(got[i])
		have := map[string]any{}
		_ = json.Unmarshal(gb, &have)
		for k, v := range want {
			if hv, ok := have[k]; !ok || !jsonEqual(hv, v) {
				t.Errorf("event %d (line %d): %s = %v, want %v", i, got[i].Line, k, hv, v)
			}
		}
		for k, v := range have {
			if _, ok := want[k]; !ok {
				t.Errorf("event %d (line %d): unexpected %s = %v", i, got[i].Line, k, v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for ; i < len(got); i++ {
		b, _ := json.Marshal(got[i])
		t.Errorf("unexpected event %d: %s", i, b)
	}
}

func jsonEqual(a, b any) bool {
	ab, _ := json.Marshal(a)
	bb, _ := json.Marshal(b)
	return bytes.Equal(ab, bb)
}
