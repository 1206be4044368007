package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"hopcheck/dns"
	"hopcheck/dns/dnstest"
)

// checkWorld serves the test zones and the check tests' own (IPv6, the
// SMTP loopback), answering SERVFAIL for the two servfail targets.
func checkWorld(t *testing.T) *dnstest.Server {
	files, _ := filepath.Glob("../../testdata/zones/*.zone")
	more, _ := filepath.Glob("../../testdata/check/*.zone")
	z, err := dns.LoadZoneFiles(append(files, more...)...)
	if err != nil {
		t.Fatal(err)
	}
	return dnstest.Start(t, dnstest.Options{Zone: z, ServFail: map[string]bool{
		"80.2.0.192.in-addr.arpa.": true,
		"0.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.": true,
	}})
}

// checkDoc is the part of check's JSON the tests read.
type checkDoc struct {
	Targets []struct {
		Target, HELO, Name, Status string
		ResolveError               string `json:"resolve_error"`
		Addrs                      []struct {
			IP, Family, HELO string
			HELOSource       string `json:"helo_source"`
			Verdict          struct{ Status, Problem, Owner, Fix, Detail string }
			SMTP             *struct {
				Outcome    string
				BannerHost string `json:"banner_host"`
				EHLOHost   string `json:"ehlo_host"`
			}
			Banner      []string
			Propagation *struct {
				Zone     string
				Agree    bool
				Summary  string
				Resolver struct {
					Names []string
					TTL   uint32
				}
				Servers []struct {
					Source string
					Names  []string
					TTL    uint32
				}
				Resolvers []struct {
					Source string
					Names  []string
				}
			}
		}
	}
	Summary struct{ Targets, Misaligned, Unknown, Aligned int }
}

func runCheckJSON(t *testing.T, wantCode int, args ...string) checkDoc {
	t.Helper()
	out, stderr, code := hopcheck(t, nil, append([]string{"check", "--format", "json", "--timeout", "500ms"}, args...)...)
	if code != wantCode {
		t.Fatalf("check %v: exit %d, want %d; %s\n%s", args, code, wantCode, stderr, out)
	}
	var d checkDoc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	return d
}

// TestCheckEveryProblem: each problem of the vocabulary, for IPv4 and IPv6
// targets, with its owner and a fix, over real DNS on loopback.
func TestCheckEveryProblem(t *testing.T) {
	srv := checkWorld(t)
	cases := []struct {
		ip, helo, status, problem, owner, fix string
	}{
		{"192.0.2.10", "mail.example.test", "aligned", "", "", ""},
		{"192.0.2.20", "h20.example.test", "misaligned", "no-ptr", "ip-owner", "set the PTR of 192.0.2.20 to h20.example.test"},
		{"192.0.2.30", "h30.example.test", "misaligned", "generic-ptr", "ip-owner", "2.0.192.in-addr.arpa is served by ns1.provider.example"},
		{"192.0.2.40", "broken.example.test", "misaligned", "fcrdns-fail", "dns-admin", `"broken.example.test. IN A 192.0.2.40"`},
		{"192.0.2.50", "old.example.test", "misaligned", "helo-mismatch", "mail-admin", "announce mx50.example.test"},
		{"192.0.2.10", "gone.example.test", "misaligned", "helo-unresolvable", "mail-admin", "make the relay announce mail.example.test"},
		{"192.0.2.60", "smtp.other.example", "misaligned", "ptr-mismatch", "ip-owner", "pick one name and align both"},
		{"192.0.2.70", "a70.example.test", "misaligned", "multi-ptr", "ip-owner", "keep a single PTR for 192.0.2.70"},
		{"192.0.2.80", "h80.example.test", "unknown", "ptr-temperror", "dns-admin", "retry later"},
		{"2001:db8:c::10", "mail.v6.test", "aligned", "", "", ""},
		{"2001:db8:c::20", "h20.v6.test", "misaligned", "no-ptr", "ip-owner", "set the PTR of 2001:db8:c::20 to h20.v6.test"},
		{"2001:db8:c::30", "dynamic-30.pool.v6.test", "misaligned", "generic-ptr", "ip-owner", "c.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa is served by ns1.provider.example"},
		{"2001:db8:c::40", "broken.v6.test", "misaligned", "fcrdns-fail", "dns-admin", `"broken.v6.test. IN AAAA 2001:db8:c::40"`},
		{"2001:db8:c::50", "old.v6.test", "misaligned", "helo-mismatch", "mail-admin", "announce mx50.v6.test"},
		{"2001:db8:c::10", "gone.v6.test", "misaligned", "helo-unresolvable", "mail-admin", "make the relay announce mail.v6.test"},
		{"2001:db8:c::60", "smtp.other6.test", "misaligned", "ptr-mismatch", "ip-owner", "pick one name and align both"},
		{"2001:db8:c::70", "a70.v6.test", "misaligned", "multi-ptr", "ip-owner", "keep a single PTR for 2001:db8:c::70"},
		{"2001:db8:c::80", "h80.v6.test", "unknown", "ptr-temperror", "dns-admin", "retry later"},
	}
	for _, tc := range cases {
		t.Run(tc.ip+" "+tc.helo, func(t *testing.T) {
			want := map[string]int{"aligned": exitAligned, "misaligned": exitMisaligned, "unknown": exitUnknown}[tc.status]
			d := runCheckJSON(t, want, tc.ip, "--helo", tc.helo, "--resolver", srv.Addr)
			v := d.Targets[0].Addrs[0].Verdict
			if v.Status != tc.status || v.Problem != tc.problem || v.Owner != tc.owner || !strings.Contains(v.Fix, tc.fix) {
				t.Fatalf("verdict %+v, want %s %s %s, fix with %q", v, tc.status, tc.problem, tc.owner, tc.fix)
			}
		})
	}
}

// TestCheckHostBothFamilies: a host name is checked at every address; its
// IPv6 address without a PTR is misaligned while IPv4 is aligned.
func TestCheckHostBothFamilies(t *testing.T) {
	srv := checkWorld(t)
	d := runCheckJSON(t, exitMisaligned, "dual.v6.test", "--helo", "mail.example.test", "--resolver", srv.Addr)
	got := map[string]string{}
	for _, a := range d.Targets[0].Addrs {
		got[a.Family+" "+a.IP] = a.Verdict.Status + " " + a.Verdict.Problem
	}
	want := map[string]string{"IPv4 192.0.2.10": "aligned ", "IPv6 2001:db8:c::20": "misaligned no-ptr"}
	if fmt.Sprint(got) != fmt.Sprint(want) || d.Targets[0].Status != "misaligned" {
		t.Fatalf("addresses %v, target %s", got, d.Targets[0].Status)
	}
	// Without --helo the verdict covers PTR and FCrDNS and says so.
	out, _, _ := hopcheck(t, nil, "check", "192.0.2.10", "--resolver", srv.Addr)
	if !strings.Contains(out, "HELO not checked") || !strings.HasPrefix(out, "ALIGNED") {
		t.Errorf("without --helo:\n%s", out)
	}
	d = runCheckJSON(t, exitUnknown, "nothing.example.test", "--resolver", srv.Addr)
	if d.Targets[0].ResolveError == "" || d.Targets[0].Status != "unknown" {
		t.Errorf("a name without addresses: %+v", d.Targets[0])
	}
}

// TestCheckRFC2317: a PTR behind an RFC 2317 CNAME is followed, and the
// fix names the delegated zone's servers.
func TestCheckRFC2317(t *testing.T) {
	srv := checkWorld(t)
	runCheckJSON(t, exitAligned, "198.51.100.5", "--helo", "relay.customer.example", "--resolver", srv.Addr)
	d := runCheckJSON(t, exitMisaligned, "198.51.100.6", "--helo", "relay.customer.example", "--resolver", srv.Addr)
	if v := d.Targets[0].Addrs[0].Verdict; v.Problem != "no-ptr" || !strings.Contains(v.Fix, "0-63.100.51.198.in-addr.arpa is served by ns1.customer.example") {
		t.Fatalf("verdict %+v", v)
	}
}

// TestCheckPropagation: the reverse zone's own server publishes the fixed
// PTR while the resolver still serves the old one from its cache: check
// says the fix is published and how long caches may lag; asking the zone's
// server as the resolver, both agree; several resolvers are compared.
func TestCheckPropagation(t *testing.T) {
	load := func(f string) *dns.Zone {
		dir := "../../testdata/check/propagation/"
		z, err := dns.LoadZoneFiles(dir+f, dir+"forward.zone")
		if err != nil {
			t.Fatal(err)
		}
		return z
	}
	recursive := dnstest.Start(t, dnstest.Options{Zone: load("recursive.zone")})
	auth := dnstest.Start(t, dnstest.Options{Zone: load("authoritative.zone")})
	_, authPort, _ := net.SplitHostPort(auth.Addr)

	// The resolver's old PTR is a provider's generic name: misaligned until
	// the cache expires.
	d := runCheckJSON(t, exitMisaligned, "203.0.113.50", "--helo", "mail.moved.test", "--resolver", recursive.Addr, "--authoritative", "--ns-port", authPort)
	p := d.Targets[0].Addrs[0].Propagation
	if p == nil || p.Agree || p.Zone != "113.0.203.in-addr.arpa" {
		t.Fatalf("propagation %+v", p)
	}
	if fmt.Sprint(p.Resolver.Names) != "[vps-50.cloud.test]" || p.Resolver.TTL != 3600 || len(p.Servers) != 1 || fmt.Sprint(p.Servers[0].Names) != "[mail.moved.test]" || p.Servers[0].TTL != 300 {
		t.Fatalf("answers: resolver %+v, servers %+v", p.Resolver, p.Servers)
	}
	if !strings.Contains(p.Summary, "published") || !strings.Contains(p.Summary, "3600") || !strings.Contains(p.Summary, "vps-50.cloud.test") {
		t.Errorf("summary %q", p.Summary)
	}
	// Two resolvers: the second still answers the old name, and is named.
	d = runCheckJSON(t, exitAligned, "203.0.113.50", "--helo", "mail.moved.test", "--resolver", auth.Addr, "--resolver", recursive.Addr)
	p = d.Targets[0].Addrs[0].Propagation
	if p == nil || p.Agree || len(p.Resolvers) != 1 || !strings.Contains(p.Summary, "resolver "+recursive.Addr+" answers vps-50.cloud.test") {
		t.Fatalf("compared resolvers: %+v", p)
	}
}

// TestCheckZoneOverlay: a planned PTR in a zone file, over the live
// resolver, turns no-ptr into aligned; the answer says it came from the
// file, the forward lookup from the resolver.
func TestCheckZoneOverlay(t *testing.T) {
	srv := checkWorld(t)
	runCheckJSON(t, exitMisaligned, "192.0.2.20", "--helo", "h20.example.test", "--resolver", srv.Addr)
	out, stderr, code := hopcheck(t, nil, "check", "192.0.2.20", "--helo", "h20.example.test", "--resolver", srv.Addr,
		"--zone", "testdata/check/propagation/planned.zone", "--format", "json")
	if code != exitAligned {
		t.Fatalf("exit %d: %s %s", code, stderr, out)
	}
	var d struct {
		Source  struct{ Resolver string }
		Targets []struct {
			Addrs []struct {
				Checks struct {
					PTRSource string `json:"ptr_source"`
					Forward   []struct{ Source string }
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	c := d.Targets[0].Addrs[0].Checks
	if c.PTRSource != "zone file testdata/check/propagation/planned.zone" || len(c.Forward) != 1 || c.Forward[0].Source != srv.Addr {
		t.Fatalf("sources: ptr %q, forward %+v", c.PTRSource, c.Forward)
	}
	if !strings.Contains(d.Source.Resolver, "planned.zone over "+srv.Addr) {
		t.Errorf("source %q", d.Source.Resolver)
	}
}

// smtpServer listens on 127.0.0.1 and answers each connection with
// greeting, then replies "250 ehlo" to EHLO and 221 to QUIT.
func smtpServer(t *testing.T, greeting, ehlo string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fmt.Fprint(c, greeting)
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					switch {
					case strings.HasPrefix(line, "EHLO"):
						fmt.Fprint(c, ehlo)
					case strings.HasPrefix(line, "QUIT"):
						fmt.Fprint(c, "221 bye\r\n")
						return
					}
				}
			}()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// TestCheckSMTP: --smtp reads the banner and EHLO reply of a server on
// loopback and compares them with its PTR; without --helo the banner's
// name is judged and said to be.
func TestCheckSMTP(t *testing.T) {
	srv := checkWorld(t)
	cases := []struct {
		name, greeting, ehlo string
		code                 int
		outcome, helo, note  string
	}{
		{"matching", "220 mail.loopback.test ESMTP\r\n", "250-mail.loopback.test Hello\r\n250 8BITMIME\r\n", exitAligned, "ok", "mail.loopback.test", "the forward-confirmed PTR name"},
		{"mismatching", "220 mx-old.loopback.test ESMTP\r\n", "250 mail.loopback.test\r\n", exitMisaligned, "ok", "mx-old.loopback.test", "not the PTR name mail.loopback.test"},
		{"multi-line", "220-mail.loopback.test ESMTP\r\n220-no UCE\r\n220 ready\r\n", "250 mail.loopback.test\r\n", exitAligned, "ok", "mail.loopback.test", "the forward-confirmed PTR name"},
		{"554 greeting", "554 mail.loopback.test no SMTP service here\r\n", "", exitAligned, "rejected", "mail.loopback.test", ""},
		{"not smtp", "SSH-2.0-OpenSSH_9.2\r\n", "", exitAligned, "not-smtp", "", "SMTP:"},
		{"accepts and never speaks", "", "", exitAligned, "timeout", "", "SMTP:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			port := smtpServer(t, tc.greeting, tc.ehlo)
			d := runCheckJSON(t, tc.code, "127.0.0.1", "--smtp", "--port", port, "--resolver", srv.Addr)
			a := d.Targets[0].Addrs[0]
			if a.SMTP == nil || a.SMTP.Outcome != tc.outcome || a.HELO != tc.helo {
				t.Fatalf("smtp %+v, helo %q (%s)", a.SMTP, a.HELO, a.HELOSource)
			}
			if tc.helo != "" && a.HELOSource != "banner" {
				t.Errorf("helo source %q", a.HELOSource)
			}
			if !strings.Contains(strings.Join(a.Banner, "\n"), tc.note) {
				t.Errorf("banner notes %q lack %q", a.Banner, tc.note)
			}
		})
	}
	// A refused port: the audit still judges DNS and says the port is closed.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	d := runCheckJSON(t, exitAligned, "127.0.0.1", "--helo", "mail.loopback.test", "--smtp", "--port", port, "--resolver", srv.Addr)
	if a := d.Targets[0].Addrs[0]; a.SMTP == nil || a.SMTP.Outcome != "refused" || a.HELOSource != "given" {
		t.Fatalf("refused port: %+v", a)
	}
}

// TestCheckInventory: 50 and more targets from a file, checked at once,
// worst first; the JSON reduced to each target's verdicts is the golden
// testdata/check/inventory.json.
func TestCheckInventory(t *testing.T) {
	srv := checkWorld(t)
	d := runCheckJSON(t, exitMisaligned, "--file", "testdata/check/inventory.txt", "--resolver", srv.Addr)
	if d.Summary.Targets < 50 || d.Summary.Misaligned == 0 || d.Summary.Aligned == 0 || d.Summary.Unknown == 0 {
		t.Fatalf("summary %+v", d.Summary)
	}
	rank := map[string]int{"misaligned": 0, "unknown": 1, "aligned": 2}
	var lines []string
	for i, tg := range d.Targets {
		if i > 0 && rank[tg.Status] < rank[d.Targets[i-1].Status] {
			t.Fatalf("target %d (%s) is worse than the one before: not sorted worst first", i, tg.Target)
		}
		for _, a := range tg.Addrs {
			lines = append(lines, strings.TrimSpace(fmt.Sprintf("%s %s %s %s %s", tg.Target, a.IP, a.HELO, a.Verdict.Status, a.Verdict.Problem)))
		}
		if len(tg.Addrs) == 0 {
			lines = append(lines, tg.Target+" "+tg.Status)
		}
	}
	golden(t, "../../testdata/check/inventory.json", lines, new([]string))
	if _, stderr, code := hopcheck(t, nil, "check", "--file", "testdata/check/no-such-inventory.txt"); code != exitNoInput {
		t.Errorf("missing inventory: exit %d (%s)", code, stderr)
	}
}

func TestCheckUsage(t *testing.T) {
	for _, args := range [][]string{{"check"}, {"check", "192.0.2.10", "--offline"}, {"check", "192.0.2.10", "--port", "0"}, {"check", "192.0.2.10", "--resolver", "not-a-host"}} {
		if _, stderr, code := hopcheck(t, nil, args...); code != exitUsage {
			t.Errorf("%v: exit %d (%s), want 64", args, code, stderr)
		}
	}
}
