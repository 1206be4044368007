package mtalog

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRefusalsOnly: with RefusalsOnly the parser returns exactly the
// refusals and DNS warnings it returns without it, and nothing else.
func TestRefusalsOnly(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/logs/*.log")
	if len(files) == 0 {
		t.Fatal("no sample logs")
	}
	refusal := map[Kind]bool{Reject: true, DNSWarning: true, Bounced: true, Deferred: true, Expired: true}
	ref := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all, only := NewParser(ref, time.UTC), NewParser(ref, time.UTC)
		only.RefusalsOnly = true
		var want, got []Event
		for _, line := range bytes.Split(data, []byte("\n")) {
			if ev, ok := all.Parse(line); ok && refusal[ev.Kind] {
				want = append(want, ev)
			}
			if ev, ok := only.Parse(line); ok {
				got = append(got, ev)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d events with RefusalsOnly, want the %d refusals", f, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: event %d\n got %+v\nwant %+v", f, i, got[i], want[i])
			}
		}
	}
}
