package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"
	"golang.org/x/net/html"

	"hopcheck/analyze"
	"hopcheck/dns"
	"hopcheck/parse"
	"hopcheck/probe"
)

// servFail fails, as a temporary error, the names that the check tests'
// DNS server answers SERVFAIL, so that a Zone gives the same world.
type servFail struct{ dns.Resolver }

var servFailNames = []string{"80.2.0.192.in-addr.arpa.", "0.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."}

func (s servFail) Query(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	if slices.Contains(servFailNames, mdns.CanonicalName(name)) {
		return nil, &dns.TempError{Name: name, Type: mdns.TypeToString[qtype], Reason: "SERVFAIL"}
	}
	return s.Resolver.Query(ctx, name, qtype)
}

func loadZones(t *testing.T, globs ...string) *dns.Zone {
	t.Helper()
	var files []string
	for _, g := range globs {
		m, err := filepath.Glob(g)
		if err != nil || len(m) == 0 {
			t.Fatalf("zones %s: %v", g, err)
		}
		files = append(files, m...)
	}
	z, err := dns.LoadZoneFiles(files...)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// goldenInventory audits testdata/check/inventory.txt in the DNS world of
// the check command's tests, from the repository's root.
func goldenInventory(t *testing.T) *Check {
	t.Helper()
	f, err := os.Open("testdata/check/inventory.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, err := parse.ReadInventory(f)
	if err != nil {
		t.Fatal(err)
	}
	var targets []analyze.Target
	for _, e := range entries {
		targets = append(targets, analyze.Target{Host: e.Target, HELO: e.HELO})
	}
	r := servFail{loadZones(t, "testdata/zones/*.zone", "testdata/check/*.zone")}
	audits := analyze.AuditTargets(context.Background(), r, targets, 8, analyze.AuditOptions{})
	return NewCheck(CheckSource{Resolver: "zone files: testdata/zones/*.zone, testdata/check/*.zone", Version: "test", Time: goldenTime}, audits)
}

// goldenPropagation audits one relay whose PTR was just fixed: the
// resolver still serves the old generic name from its cache while another
// resolver has the new one, and its SMTP banner names the new one.
func goldenPropagation(t *testing.T) *Check {
	t.Helper()
	dir := "testdata/check/propagation/"
	old := loadZones(t, dir+"recursive.zone", dir+"forward.zone")
	fixed := loadZones(t, dir+"authoritative.zone", dir+"forward.zone")
	opts := analyze.AuditOptions{
		Compare: []analyze.NamedResolver{{Name: "192.0.2.53:53", Resolver: fixed}},
		Probe: func(_ context.Context, ip netip.Addr) probe.Result {
			return probe.Result{Addr: netip.AddrPortFrom(ip, 25), Outcome: probe.OK, GreetCode: 220, BannerHost: "mail.moved.test",
				Greeting:  []string{"220-mail.moved.test ESMTP Postfix", "220 no UCE"},
				EHLOReply: []string{"250-mail.moved.test", "250-PIPELINING", "250 8BITMIME"}, EHLOCode: 250, EHLOHost: "mail.moved.test"}
		},
	}
	audits := analyze.AuditTargets(context.Background(), old, []analyze.Target{{Host: "203.0.113.50"}}, 1, opts)
	return NewCheck(CheckSource{Resolver: "zone files: " + dir + "recursive.zone, " + dir + "forward.zone", SMTP: true, Version: "test", Time: goldenTime}, audits)
}

// TestCheckGoldens renders the inventory and the propagation audit as
// HTML and Markdown and compares them with testdata/report/check-*; each
// page passes the safety checks, each Markdown report renders inert.
func TestCheckGoldens(t *testing.T) {
	t.Chdir("..")
	for name, build := range map[string]func(*testing.T) *Check{"check-inventory": goldenInventory, "check-propagation": goldenPropagation} {
		t.Run(name, func(t *testing.T) {
			c := build(t)
			var h, m bytes.Buffer
			if err := CheckHTML(&h, c, HTMLOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := CheckMarkdown(&m, c); err != nil {
				t.Fatal(err)
			}
			checkHTMLSafe(t, h.Bytes())
			checkMarkdownInert(t, m.Bytes())
			checkGolden(t, name+".html", h.Bytes())
			checkGolden(t, name+".md", m.Bytes())
		})
	}
}

// TestCheckInventoryWorld: the report's inventory judges every target as
// the check command does over its DNS server (testdata/check/inventory.json),
// and its table has a row per address, worst first.
func TestCheckInventoryWorld(t *testing.T) {
	t.Chdir("..")
	c := goldenInventory(t)
	var got, want []string
	rows := 0
	for _, tv := range c.Targets {
		for _, a := range tv.Audit.Addrs {
			v := a.Judgment.Verdict
			got = append(got, strings.TrimSpace(fmt.Sprintf("%s %s %s %s %s", tv.Audit.Target.Host, a.IP, a.HELO, v.Status, v.Problem)))
		}
		if len(tv.Addrs) == 0 {
			got = append(got, tv.Audit.Target.Host+" "+string(tv.Audit.Worst()))
		}
		rows += max(1, len(tv.Addrs))
	}
	data, err := os.ReadFile("testdata/check/inventory.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("verdicts differ from testdata/check/inventory.json:\ngot  %q\nwant %q", got, want)
	}
	var b bytes.Buffer
	if err := CheckMarkdown(&b, c); err != nil {
		t.Fatal(err)
	}
	n := strings.Count(b.String(), "\n| ") - 2 // the header and its separator
	if n != rows || len(c.Targets) != 52 {
		t.Errorf("%d table rows for %d addresses of %d targets", n, rows, len(c.Targets))
	}
}

// hostileCheck is an audit whose PTR names, HELO, target, SMTP greeting,
// banner and EHLO hosts are HTML, SVG, script and Markdown payloads.
func hostileCheck(t *testing.T) *Check {
	t.Helper()
	const ptr = "<img src=x onerror=alert(1)>|`x`|](javascript:alert(1))."
	r := answerer(func(name string, qtype uint16) []mdns.RR {
		if qtype != mdns.TypePTR {
			return nil
		}
		return []mdns.RR{&mdns.PTR{Hdr: mdns.RR_Header{Name: name, Rrtype: mdns.TypePTR, Class: mdns.ClassINET, Ttl: 60}, Ptr: ptr}}
	})
	opts := analyze.AuditOptions{
		Compare: []analyze.NamedResolver{{Name: "<svg onload=alert(1)>", Resolver: r}},
		Probe: func(_ context.Context, ip netip.Addr) probe.Result {
			return probe.Result{Addr: netip.AddrPortFrom(ip, 25), Outcome: probe.OK, GreetCode: 220, BannerHost: "<img/src=x/onerror=alert(1)>`|`.example",
				Greeting:  []string{"220 <img/src=x/onerror=alert(1)>`|`.example </style><script>alert(1)</script> | `a` ![i](http://evil.example/i.png)"},
				EHLOReply: []string{"250 <svg/onload=alert(1)>.example www.evil.example @everyone"}, EHLOCode: 250, EHLOHost: "<svg/onload=alert(1)>.example"}
		},
	}
	targets := []analyze.Target{
		{Host: "192.0.2.66", HELO: `"><img src=x onerror=alert(1)>|x`},
		{Host: "192.0.2.67"}, // judged with the banner's name
		{Host: "<script>alert(1)</script>|`x`.example"},
	}
	return NewCheck(CheckSource{Resolver: "</style><b>", SMTP: true, Version: "test"}, analyze.AuditTargets(context.Background(), r, targets, 3, opts))
}

// answerer answers every question with the records of f, NXDOMAIN when
// there are none.
type answerer func(name string, qtype uint16) []mdns.RR

func (f answerer) Query(_ context.Context, name string, qtype uint16) (*dns.Answer, error) {
	rr := f(name, qtype)
	return &dns.Answer{NXDomain: len(rr) == 0, Records: rr, Source: "test"}, nil
}

// TestCheckHostile: every payload is text, in the HTML page and in the
// Markdown report alike, and no pipe of one splits a table row.
func TestCheckHostile(t *testing.T) {
	c := hostileCheck(t)
	var h, m bytes.Buffer
	if err := CheckHTML(&h, c, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	checkHTMLSafe(t, h.Bytes())
	for _, raw := range []string{"<img", "<svg", "</style><script>", "</style><b>"} {
		if strings.Contains(h.String(), raw) {
			t.Errorf("payload %q reached the page unescaped", raw)
		}
	}
	if err := CheckMarkdown(&m, c); err != nil {
		t.Fatal(err)
	}
	out := html.UnescapeString(checkMarkdownInert(t, m.Bytes()))
	for _, text := range []string{
		"<img src=x onerror=alert(1)>|`x`|](javascript:alert(1))",                  // PTR
		"</style><script>alert(1)</script> | `a` ![i](http://evil.example/i.png)",  // greeting
		"HELO <img/src=x/onerror=alert(1)>`|`.example (taken from the SMTP banner", // banner host
		"<svg/onload=alert(1)>.example www.evil.example @everyone",                 // EHLO reply
		`"><img src=x onerror=alert(1)>|x`,                                         // HELO
		"<script>alert(1)</script>|`x`.example",                                    // target
		"resolver <svg onload=alert(1)>",                                           // compared resolver
	} {
		if !strings.Contains(out, text) || !strings.Contains(html.UnescapeString(h.String()), text) {
			t.Errorf("%q is not shown as text", text)
		}
	}
	for _, row := range strings.Split(out, "<tr>")[1:] {
		if n := strings.Count(row, "<td") + strings.Count(row, "<th"); n != 7 {
			t.Errorf("a row of %d cells: %s", n, row)
		}
	}
}

// TestRedactCheck: an address in a banner is redacted in every format,
// and the original view is left as it was.
func TestRedactCheck(t *testing.T) {
	t.Chdir("..")
	c := goldenPropagation(t)
	c.Targets[0].Addrs[0].SMTP[0] = "greeting: 220 mail.moved.test ESMTP; abuse to jane.doe@moved.test"
	c.Targets[0].Audit.Addrs[0].SMTP.Greeting = []string{"220 mail.moved.test ESMTP; abuse to jane.doe@moved.test"}
	r := Redact(c)
	for name, render := range map[string]func(io.Writer, *Check) error{
		"text":     func(w io.Writer, c *Check) error { return CheckText(w, c, TextOptions{Width: 1000}) },
		"json":     CheckJSON,
		"html":     func(w io.Writer, c *Check) error { return CheckHTML(w, c, HTMLOptions{}) },
		"markdown": CheckMarkdown,
	} {
		var b bytes.Buffer
		if err := render(&b, r); err != nil {
			t.Fatal(err)
		}
		// Markdown escapes the @.
		if out := strings.ReplaceAll(b.String(), `\@`, "@"); strings.Contains(out, "jane.doe") || !strings.Contains(out, "redacted@moved.test") {
			t.Errorf("%s: the banner's address is not redacted", name)
		}
	}
	if !strings.Contains(c.Targets[0].Addrs[0].SMTP[0], "jane.doe@") || r.Counts[analyze.Misaligned] != 1 {
		t.Errorf("Redact changed the original view, or lost the counts")
	}
}
