package analyze_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"hopcheck/analyze"
	"hopcheck/dns"
	"hopcheck/dns/dnstest"
	"hopcheck/parse"
	"hopcheck/parse/mtalog"
	"hopcheck/problem"
)

// TestOneIdentityOneJudgment: the same IP and HELO in the same DNS world
// get the same verdict, problem, owner and fix whether they come as a
// message's hop (analyze), as a relay of a log (logs, tail), as an audited
// target (check), or are judged directly.
func TestOneIdentityOneJudgment(t *testing.T) {
	srv := dnstest.Start(t, failing(world(t)))
	cases := []struct{ ip, helo string }{
		{"192.0.2.10", "mail.example.test"},
		{"192.0.2.20", "h20.example.test"},
		{"192.0.2.30", "h30.example.test"},
		{"192.0.2.40", "broken.example.test"},
		{"192.0.2.50", "old.example.test"},
		{"192.0.2.60", "smtp.other.example"},
		{"192.0.2.70", "a70.example.test"},
		{"192.0.2.80", "h80.example.test"},
		{"198.51.100.6", "relay.customer.example"},
		{"2001:db8::26", "h6-26.example.test"},
		{"192.0.2.10", "[192.0.2.10]"},
	}
	seen := map[problem.Name]bool{}
	for _, tc := range cases {
		ip := netip.MustParseAddr(tc.ip)
		direct := analyze.Judge(context.Background(), newClient(srv), analyze.Identity{IP: ip, HELO: tc.helo}).Verdict

		hop := analyze.Analyze(context.Background(), []parse.Hop{hop(tc.ip, tc.helo)}, analyze.Options{Resolver: newClient(srv)}).Verdict

		// Our relay, refused by a remote server whose reply quotes its IP.
		agg := analyze.NewAggregator(analyze.AggregatorOptions{HELO: tc.helo})
		agg.Add(mtalog.Event{Kind: mtalog.Bounced, Direction: mtalog.Outbound, RemoteIP: netip.MustParseAddr("198.51.100.27"), Code: 550, Status: "5.7.25",
			Reply: "550-5.7.25 [" + tc.ip + "] The IP address sending this message does not have a 550-5.7.25 PTR record setup"})
		relays := agg.Snapshot()
		logged := analyze.Recheck(context.Background(), newClient(srv), relays, analyze.RecheckOptions{})[relays[0].RelayKey].Verdict

		audited := analyze.AuditTarget(context.Background(), newClient(srv), analyze.Target{Host: tc.ip, HELO: tc.helo}, analyze.AuditOptions{}).Addrs[0].Judgment.Verdict

		for name, v := range map[string]analyze.Verdict{"message hop": hop, "log relay": logged, "checked target": audited} {
			if v.Status != direct.Status || v.Problem != direct.Problem || v.Owner != direct.Owner || v.Fix != direct.Fix || v.Detail != direct.Detail {
				t.Errorf("%s %s as a %s:\n got  %s %s %s %q\n want %s %s %s %q", tc.ip, tc.helo, name,
					v.Status, v.Problem, v.Owner, v.Fix, direct.Status, direct.Problem, direct.Owner, direct.Fix)
			}
		}
		seen[direct.Problem] = true
	}
	if len(seen) < 8 {
		t.Errorf("the cases cover only %d verdict problems: %v", len(seen), seen)
	}
}

// TestEveryProblemHasAFix: every problem of the vocabulary a judgment can
// give is worded with a fix.
func TestEveryProblemHasAFix(t *testing.T) {
	z := world(t)
	got := map[problem.Name]bool{}
	for _, c := range []struct{ ip, helo string }{
		{"192.0.2.20", "h20.example.test"}, {"192.0.2.30", "h30.example.test"}, {"192.0.2.40", "broken.example.test"},
		{"192.0.2.50", "old.example.test"}, {"192.0.2.60", "smtp.other.example"}, {"192.0.2.70", "a70.example.test"},
		{"192.0.2.10", "gone.example.test"}, {"192.0.2.99", "h99.example.test"},
	} {
		j := analyze.Judge(context.Background(), z, analyze.Identity{IP: netip.MustParseAddr(c.ip), HELO: c.helo})
		for _, p := range j.Problems {
			if p.Fix == "" || p.Owner != p.Name.Owner() {
				t.Errorf("%s: problem %s with owner %s and fix %q", c.ip, p.Name, p.Owner, p.Fix)
			}
			got[p.Name] = true
		}
	}
	for _, n := range problem.All() {
		if n != problem.RelayRewrite && !got[n] {
			t.Errorf("no case gives %s: its fix is untested", n)
		}
	}
}

// TestDeadResolverIsOurs: when our own resolver does not answer, the fix
// says so and blames no remote zone.
func TestDeadResolverIsOurs(t *testing.T) {
	c := dns.NewClient(dns.ClientOptions{Servers: []string{"127.0.0.1:1"}, Timeout: 200 * time.Millisecond, Attempts: 1})
	v := analyze.Judge(context.Background(), c, analyze.Identity{IP: netip.MustParseAddr("192.0.2.10"), HELO: "mail.example.test"}).Verdict
	if v.Status != analyze.Unknown || v.Problem != problem.PTRTempError {
		t.Fatalf("verdict %+v", v)
	}
	if !strings.Contains(v.Fix, "your resolver") || !strings.Contains(v.Fix, "127.0.0.1:1") || strings.Contains(v.Fix, "name servers of the reverse zone") {
		t.Errorf("fix %q", v.Fix)
	}
}

// TestSomeoneElsesServer: a client our server refused is someone else's
// server; its fixes say what its admin must do, never our MTA's settings or
// "mail.<your domain>".
func TestSomeoneElsesServer(t *testing.T) {
	z := world(t)
	for _, c := range []struct{ ip, helo string }{
		{"192.0.2.20", "mail.example.test"}, {"192.0.2.50", "old.example.test"}, {"192.0.2.40", "broken.example.test"}, {"192.0.2.10", "[192.0.2.10]"},
	} {
		agg := analyze.NewAggregator(analyze.AggregatorOptions{})
		agg.Add(mtalog.Event{Dialect: mtalog.Postfix, Kind: mtalog.Reject, Direction: mtalog.Inbound, RemoteIP: netip.MustParseAddr(c.ip), HELO: c.helo, Code: 550, Status: "5.7.1",
			Reply: "550 5.7.1 Client host rejected: cannot find your reverse hostname, [" + c.ip + "]"})
		rel := agg.Snapshot()[0]
		rv := analyze.CheckRelay(context.Background(), z, &rel, analyze.RecheckOptions{})
		for _, p := range rv.Problems {
			if !strings.HasPrefix(p.Fix, "the sender's admin must") || strings.Contains(p.Fix, "main.cf") || strings.Contains(p.Fix, "your domain") {
				t.Errorf("%s %s: %s fix %q", c.ip, c.helo, p.Name, p.Fix)
			}
		}
	}
}

// TestNeverANameThatCannotWork: a fix never proposes localhost.localdomain,
// a name under no public suffix, or an internal name that does not
// resolve, when a name of the sender already forward-confirms; and an
// fcrdns-fail fix does not add an A record for a name that points to
// another host when the HELO already resolves to the IP.
func TestNeverANameThatCannotWork(t *testing.T) {
	z := world(t)
	judge := func(id analyze.Identity) analyze.Verdict { return analyze.Judge(context.Background(), z, id).Verdict }
	for _, helo := range []string{"localhost.localdomain", "exch01.corp.example.test", "mail.lan"} {
		// 192.0.2.20 has no PTR; the reporting MTA's name resolves to it.
		v := judge(analyze.Identity{IP: netip.MustParseAddr("192.0.2.20"), HELO: helo, Names: []string{"h20.example.test"}})
		if v.Problem != problem.NoPTR || !strings.Contains(v.Fix, "set the PTR of 192.0.2.20 to h20.example.test") || strings.Contains(v.Fix, helo+" must") {
			t.Errorf("HELO %s: %s %q", helo, v.Problem, v.Fix)
		}
		// With no other name known, the fix asks for the relay's own name.
		v = judge(analyze.Identity{IP: netip.MustParseAddr("192.0.2.20"), HELO: helo})
		if strings.Contains(v.Fix, "to "+helo) {
			t.Errorf("HELO %s alone: %q", helo, v.Fix)
		}
	}
	// broken.example.test, 192.0.2.40's PTR, has no address here: adding
	// one is right. A PTR name pointing elsewhere is not to be given a
	// second address when the HELO already resolves to the IP.
	v := judge(analyze.Identity{IP: netip.MustParseAddr("192.0.2.40"), HELO: "broken.example.test"})
	if !strings.Contains(v.Fix, `"broken.example.test. IN A 192.0.2.40"`) {
		t.Errorf("fcrdns-fail, name without address: %q", v.Fix)
	}
	v = judge(analyze.Identity{IP: netip.MustParseAddr("192.0.2.41"), HELO: "h41.example.test"})
	if v.Problem != problem.FCrDNSFail || !strings.Contains(v.Fix, "changed from old.example.test (which points to 203.0.113.200) to h41.example.test, which already resolves to 192.0.2.41") || strings.Contains(v.Fix, "IN A") {
		t.Errorf("fcrdns-fail, PTR name of another host: %s %q", v.Problem, v.Fix)
	}
}
