package mtalog

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"hopcheck/parse/mtalog/mtalogtest"
)

// TestRefusalsOnly: with RefusalsOnly the parser returns exactly the
// refusals and DNS warnings it returns without it, and nothing else.
func TestRefusalsOnly(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/logs/*.log")
	if len(files) == 0 {
		t.Fatal("no sample logs")
	}
	refusal := map[Kind]bool{Reject: true, DNSWarning: true, Bounced: true, Deferred: true, Expired: true}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all, only := benchParser(), benchParser()
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

func TestIsRefusal(t *testing.T) {
	ip := netip.MustParseAddr("192.0.2.1")
	for _, c := range []struct {
		name             string
		ev               Event
		refusal, warning bool
	}{
		{"inbound reject", Event{Kind: Reject, Direction: Inbound, RemoteIP: ip, Code: 550}, true, false},
		{"inbound reject without address", Event{Kind: Reject, Direction: Inbound, Code: 550}, false, false},
		{"inbound reject without code", Event{Kind: Reject, Direction: Inbound, RemoteIP: ip}, true, false},
		{"outbound bounce 550", Event{Kind: Bounced, Direction: Outbound, RemoteIP: ip, Code: 550}, true, false},
		{"outbound deferral 421, no address", Event{Kind: Deferred, Direction: Outbound, Code: 421}, true, false},
		{"outbound expiry 450", Event{Kind: Expired, Direction: Outbound, Code: 450}, true, false},
		{"timeout deferral, no reply", Event{Kind: Deferred, Direction: Outbound, RemoteIP: ip}, false, false},
		{"local bounce, no reply", Event{Kind: Bounced, Direction: Outbound}, false, false},
		{"delivered", Event{Kind: Delivered, Direction: Outbound, RemoteIP: ip, Code: 250}, false, false},
		{"connect", Event{Kind: Connect, Direction: Inbound, RemoteIP: ip}, false, false},
		{"DNS warning", Event{Kind: DNSWarning, Direction: Inbound, RemoteIP: ip}, false, true},
		{"DNS warning without address", Event{Kind: DNSWarning, Direction: Inbound}, false, false},
	} {
		if got := c.ev.IsRefusal(); got != c.refusal {
			t.Errorf("%s: IsRefusal = %v, want %v", c.name, got, c.refusal)
		}
		if got := c.ev.IsIdentityWarning(); got != c.warning {
			t.Errorf("%s: IsIdentityWarning = %v, want %v", c.name, got, c.warning)
		}
	}
}

// TestRefusalsOnlyKeepsRefusals: what RefusalsOnly lets through includes
// every event for which IsRefusal or IsIdentityWarning holds.
func TestRefusalsOnlyKeepsRefusals(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/logs/*.log")
	var buf bytes.Buffer
	if err := mtalogtest.GenPostfix(&buf, 20000, 3); err != nil {
		t.Fatal(err)
	}
	inputs := [][]byte{buf.Bytes()}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, data)
	}
	n := 0
	for _, data := range inputs {
		only := benchParser()
		only.RefusalsOnly = true
		all := benchParser()
		for _, line := range bytes.Split(data, []byte("\n")) {
			ev, ok := all.Parse(line)
			oev, ook := only.Parse(line)
			if ok && (ev.IsRefusal() || ev.IsIdentityWarning()) {
				n++
				if !ook || oev != ev {
					t.Errorf("RefusalsOnly dropped %+v", ev)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no refusals in the samples")
	}
}
