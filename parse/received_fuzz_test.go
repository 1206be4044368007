package parse

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReceived checks that Received never panics and keeps its promises on
// any input: an IP is never IPv4-mapped nor zoned, RDNS has no ASCII upper
// case and no trailing dot, Raw is the input trimmed of ASCII white space,
// every extracted field is text of the input (so memory stays bounded by it),
// and Hops orders and indexes whatever it is given.
func FuzzReceived(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "received", "stamps.json"))
	if err != nil {
		f.Fatal(err)
	}
	var cases []struct {
		Raw string `json:"raw"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		f.Fatal(err)
	}
	for _, c := range cases {
		f.Add(c.Raw)
	}
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "received", "paths", "*.json"))
	for _, p := range paths {
		var pc struct {
			Received []string `json:"received"`
		}
		if data, err := os.ReadFile(p); err == nil && json.Unmarshal(data, &pc) == nil {
			for _, r := range pc.Received {
				f.Add(r)
			}
		}
	}
	for _, nasty := range []string{
		"((((((((((", "[[[[[[[[", ")))))", "\"unterminated", "from \\(", "from x (\\", "from [", "from []:",
		"from x ([::ffff:1.2.3.4%eth0]:99999 helo=)", "from x (HELO", "from x (y [IPv6:::ffff:192.0.2.1])",
		"from x (y [fe80::1%25])", "from x (@[192.0.2.1])", "from . (.... [192.0.2.1])", "by;;;;", "; 1 Jan 0 0:0 +9999",
		"from x (y [192.0.2.1] (may be forged", "with tls", "with (TLS) tls", "from x\x00(y\xff [192.0.2.1])",
		"from \xc3 (\xc3\xa9\xc3 [192.0.2.1])", "(from", "(qmail 1 invoked ", "from 1.2.3.4:5 by y",
	} {
		f.Add(nasty)
	}
	f.Fuzz(func(t *testing.T, value string) {
		h := Received(value)
		if h.Raw != strings.Trim(value, " \t\r\n") {
			t.Fatalf("Raw = %q, want the trimmed input", h.Raw)
		}
		if h.IP.IsValid() && (h.IP.Is4In6() || h.IP.Zone() != "") {
			t.Fatalf("IP %v is mapped or zoned", h.IP)
		}
		if strings.HasSuffix(h.RDNS, ".") || strings.ContainsAny(h.RDNS, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			t.Fatalf("RDNS %q is not normalised", h.RDNS)
		}
		if !h.Parsed && (h.HELO != "" || h.IP.IsValid() || h.By != "" || h.RDNS != "") {
			t.Fatalf("unparsed hop carries fields: %+v", h)
		}
		if h.Index != 0 || h.HasDelay {
			t.Fatalf("Received set Index or HasDelay")
		}
		for _, field := range []string{h.HELO, h.By, h.ID, h.For} {
			if !strings.Contains(value, field) {
				t.Fatalf("field %q is not text of the input", field)
			}
		}
		if len(h.With) > len(value) || len(h.TLS) > len(value) || len(h.RDNS) > len(value) {
			t.Fatalf("a field outgrew the input: %+v", h)
		}
		hops := Hops([]string{value, "by x.example.test; 1 Jan 2000 00:00 +0000", value})
		for i, hop := range hops {
			if hop.Index != i+1 {
				t.Fatalf("hop %d has Index %d", i, hop.Index)
			}
			if hop.HasDelay != (i > 0 && !hop.Time.IsZero() && !hops[i-1].Time.IsZero()) {
				t.Fatalf("hop %d HasDelay = %v", i, hop.HasDelay)
			}
		}
	})
}
