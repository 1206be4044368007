package report

import (
	"bytes"
	"encoding/json"
	"hopcheck/dns"
	"hopcheck/problem"
	"net/netip"
	"strings"
	"testing"

	"hopcheck/analyze"
	"hopcheck/parse"
)

func hostileResult() *analyze.Result {
	h := analyze.HopResult{Hop: parse.Hop{Index: 1, Parsed: true, IP: netip.MustParseAddr("192.0.2.10"),
		HELO: "evil\x1b[2J\x1b[31m.example.test\r\n", By: "mx\x07.example.test"}, Checked: true,
		Checks:   analyze.Checks{PTRStatus: dns.NXDomain, FCrDNS: string(analyze.NotChecked), HELOMatch: analyze.MatchMismatch},
		Problems: []analyze.Problem{{Name: problem.NoPTR, Owner: problem.IPOwner, Detail: "no PTR \x1b]0;title\x07", Fix: "set it"}}}
	return &analyze.Result{Hops: []analyze.HopResult{h, {Hop: parse.Hop{Index: 2, Raw: "garbage \x1b[5m"}}},
		Verdict: analyze.Verdict{Status: analyze.Misaligned, Hop: 1, IP: h.IP, HELO: h.HELO, Problem: problem.NoPTR, Owner: problem.IPOwner, Fix: "set it"}}
}

func TestTextDropsControlCharacters(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, NewMessage(Source{}, hostileResult()), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\x07\r") {
		t.Fatalf("control characters reach the terminal:\n%q", b.String())
	}
	if !strings.Contains(b.String(), "unparsed: garbage") {
		t.Errorf("unparsed hop not shown:\n%s", b.String())
	}
}

func TestTextColorOnlyWhenAsked(t *testing.T) {
	var plain, color bytes.Buffer
	Text(&plain, NewMessage(Source{}, hostileResult()), TextOptions{})
	Text(&color, NewMessage(Source{}, hostileResult()), TextOptions{Color: true})
	if strings.Contains(plain.String(), "\x1b[") || !strings.Contains(color.String(), "\x1b[1;31mMISALIGNED") {
		t.Fatalf("color: plain %q, color %q", plain.String()[:40], color.String()[:40])
	}
}

func TestJSONNeverNullLists(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, NewMessage(Source{}, hostileResult())); err != nil {
		t.Fatal(err)
	}
	var d struct {
		Hops []struct {
			Problems []any `json:"problems"`
			Checks   struct {
				PTR     []string `json:"ptr"`
				Forward []any    `json:"forward"`
			} `json:"checks"`
		} `json:"hops"`
		Findings []any `json:"findings"`
	}
	if err := json.Unmarshal(b.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	h := d.Hops[1]
	if d.Findings == nil || h.Problems == nil || h.Checks.PTR == nil || h.Checks.Forward == nil {
		t.Fatalf("a list is null instead of []:\n%s", b.String())
	}
}
