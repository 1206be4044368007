package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hopcheck/dns/dnstest"
)

// messageOutcome is what analysing a received message must come to, end to
// end: the verdict, the hops seen, which stamps were not understood and the
// problems reported on other hops.
type messageOutcome struct {
	Kind    string `json:"kind"`
	Exit    int    `json:"exit"`
	Verdict string `json:"verdict"`
	Hop     int    `json:"hop"`
	IP      string `json:"ip"`
	HELO    string `json:"helo"`
	Problem string `json:"problem"`
	Owner   string `json:"owner"`
	Fix     string `json:"fix"`
	Hops    int    `json:"hops"`
	// Unparsed lists the indexes of hops whose stamp matched no known shape.
	Unparsed []int `json:"unparsed"`
	// Findings are "hop N problem", in report order.
	Findings []string `json:"findings"`
}

// messageVerdict is a sample's .verdict.json: the outcome against the test
// DNS server, and under "offline" the outcome with --offline.
type messageVerdict struct {
	messageOutcome
	Offline messageOutcome `json:"offline"`
}

// TestMessageSamples runs every message sample in testdata/messages through
// the built command, once against an in-process DNS server serving
// testdata/zones (names listed in the sample's .servfail file are answered
// SERVFAIL) and once with --offline, and compares both outcomes with the
// .verdict.json beside the sample.
func TestMessageSamples(t *testing.T) {
	z := worldZones(t)
	samples, _ := filepath.Glob("../../testdata/messages/*.eml")
	if len(samples) < 13 {
		t.Fatalf("only %d message samples", len(samples))
	}
	for _, path := range samples {
		name := strings.TrimSuffix(filepath.Base(path), ".eml")
		t.Run(name, func(t *testing.T) {
			servfail, err := readServFail(strings.TrimSuffix(path, ".eml") + ".servfail")
			if err != nil {
				t.Fatal(err)
			}
			srv := dnstest.Start(t, dnstest.Options{Zone: z, ServFail: servfail})
			rel := "testdata/messages/" + name + ".eml"
			got := messageVerdict{
				messageOutcome: runSample(t, "analyze", "--format", "json", "--resolver", srv.Addr, "--timeout", "300ms", rel),
				Offline:        runSample(t, "analyze", "--format", "json", "--offline", rel),
			}
			golden(t, strings.TrimSuffix(path, ".eml")+".verdict.json", got, new(messageVerdict))
		})
	}
}

// runSample runs the command and reduces its JSON report to an outcome.
func runSample(t *testing.T, args ...string) messageOutcome {
	t.Helper()
	out, stderr, code := hopcheck(t, nil, args...)
	var d struct {
		Source struct{ Kind string }
		Hops   []struct {
			Index  int
			Parsed bool
		}
		Verdict struct {
			Status, IP, HELO, Problem, Owner, Fix string
			Hop                                   int
		}
		Findings []struct {
			Hop     int
			Problem string
		}
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v: exit %d, %v: %s %s", args, code, err, out, stderr)
	}
	o := messageOutcome{
		Kind: d.Source.Kind, Exit: code, Verdict: d.Verdict.Status, Hop: d.Verdict.Hop,
		IP: d.Verdict.IP, HELO: d.Verdict.HELO, Problem: d.Verdict.Problem, Owner: d.Verdict.Owner, Fix: d.Verdict.Fix,
		Hops: len(d.Hops), Unparsed: []int{}, Findings: []string{},
	}
	for _, h := range d.Hops {
		if !h.Parsed {
			o.Unparsed = append(o.Unparsed, h.Index)
		}
	}
	for _, f := range d.Findings {
		o.Findings = append(o.Findings, fmt.Sprintf("hop %d %s", f.Hop, f.Problem))
	}
	return o
}

// readServFail reads the fully-qualified, lower-case names a sample's DNS
// server must answer SERVFAIL, one a line ('#' starts a comment); a sample
// without the file has none.
func readServFail(path string) (map[string]bool, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line != "" {
			names[strings.ToLower(line)] = true
		}
	}
	return names, sc.Err()
}
