package analyze_test

import (
	"context"
	"hopcheck/problem"
	"net/netip"
	"testing"

	"hopcheck/analyze"
	"hopcheck/parse"
)

func path(hops ...parse.Hop) []parse.Hop {
	for i := range hops {
		hops[i].Index = i + 1
		hops[i].Parsed = true
	}
	return hops
}

func TestJudgedHop(t *testing.T) {
	z := world(t)
	ext := func(ip, helo, by string) parse.Hop {
		return parse.Hop{IP: netip.MustParseAddr(ip), HELO: helo, By: by}
	}
	tests := []struct {
		name     string
		hops     []parse.Hop
		internal []netip.Prefix
		want     int
	}{
		{"newest external sender, internal hops above it", path(
			ext("192.0.2.10", "mail.example.test", "mx.receiver.example"),
			ext("10.1.2.3", "mx.receiver.example", "filter.receiver.example"),
			ext("127.0.0.1", "localhost", "filter.receiver.example"),
		), nil, 1},
		{"hops inside the receiving organisation are passed over", path(
			ext("192.0.2.10", "mail.example.test", "mx1.receiver.example"),
			parse.Hop{IP: netip.MustParseAddr("203.0.113.9"), HELO: "mx1.receiver.example", RDNS: "mx1.receiver.example", By: "store.receiver.example"},
		), nil, 1},
		{"--internal replaces the defaults", path(
			ext("192.0.2.10", "mail.example.test", "gw.example.test"),
			ext("198.51.100.5", "relay.customer.example", "mx.receiver.example"),
		), []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}, 1},
		{"hops without an IP are not senders", path(
			ext("192.0.2.10", "mail.example.test", "mx.receiver.example"),
			parse.Hop{By: "2001:db8::1"},
		), nil, 1},
		{"no external sender", path(ext("10.0.0.1", "a", "b")), nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := analyze.Analyze(context.Background(), tc.hops, analyze.Options{Resolver: z, Internal: tc.internal})
			if res.Verdict.Hop != tc.want {
				t.Fatalf("judged hop %d, want %d (%+v)", res.Verdict.Hop, tc.want, res.Verdict)
			}
		})
	}
}

func TestRelayRewriteNamesTheRelayNotTheOrigin(t *testing.T) {
	hops := path(
		parse.Hop{IP: netip.MustParseAddr("192.0.2.10"), HELO: "mail.example.test", By: "smarthost.provider.example"},
		parse.Hop{IP: netip.MustParseAddr("192.0.2.31"), HELO: "vps123.provider.example", By: "mx.receiver.example"},
	)
	res := analyze.Analyze(context.Background(), hops, analyze.Options{Resolver: world(t)})
	if res.Verdict.Hop != 2 || res.Verdict.Problem != problem.GenericPTR {
		t.Fatalf("verdict %+v", res.Verdict)
	}
	found := false
	for _, f := range res.Findings {
		if f.Name == problem.RelayRewrite && f.Hop == 2 && f.Owner == problem.RelayAdmin {
			found = true
		}
	}
	if !found {
		t.Fatalf("no relay-rewrite finding on hop 2: %+v", res.Findings)
	}
}

func TestOffline(t *testing.T) {
	tests := []struct {
		name    string
		hop     parse.Hop
		status  analyze.Status
		problem problem.Name
	}{
		{"recorded unknown", parse.Hop{IP: netip.MustParseAddr("192.0.2.20"), HELO: "mail.example.test", RDNSRecorded: true}, analyze.Misaligned, problem.NoPTR},
		{"stamp records no reverse name: nothing to judge", parse.Hop{IP: netip.MustParseAddr("192.0.2.20"), HELO: "mail.example.test"}, analyze.Unknown, ""},
		{"may be forged", parse.Hop{IP: netip.MustParseAddr("192.0.2.40"), HELO: "broken.example.test", RDNS: "broken.example.test", RDNSRecorded: true, MayBeForged: true}, analyze.Misaligned, problem.FCrDNSFail},
		{"generic recorded name", parse.Hop{IP: netip.MustParseAddr("192.0.2.30"), HELO: "mail.example.test", RDNS: "30-2-0-192.dsl.provider.example", RDNSRecorded: true}, analyze.Misaligned, problem.GenericPTR},
		{"recorded name of another domain", parse.Hop{IP: netip.MustParseAddr("192.0.2.60"), HELO: "smtp.other.example", RDNS: "mail60.example.test", RDNSRecorded: true}, analyze.Misaligned, problem.PTRMismatch},
		{"aligned", parse.Hop{IP: netip.MustParseAddr("192.0.2.10"), HELO: "mail.example.test", RDNS: "mail.example.test", RDNSRecorded: true}, analyze.Aligned, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := analyze.Analyze(context.Background(), path(tc.hop), analyze.Options{})
			if !res.Offline || res.Verdict.Status != tc.status || res.Verdict.Problem != tc.problem {
				t.Fatalf("offline %v verdict %+v, want %s/%s", res.Offline, res.Verdict, tc.status, tc.problem)
			}
		})
	}
}

func TestDrift(t *testing.T) {
	z := world(t)
	tests := []struct {
		name     string
		hop      parse.Hop
		drift    bool
		recorded string
	}{
		{"recorded name gone", parse.Hop{IP: netip.MustParseAddr("192.0.2.10"), HELO: "mail.example.test", RDNS: "old.example.test", RDNSRecorded: true}, true, "old.example.test"},
		{"recorded unknown, resolves now", parse.Hop{IP: netip.MustParseAddr("192.0.2.10"), HELO: "mail.example.test", RDNSRecorded: true}, true, ""},
		{"same name", parse.Hop{IP: netip.MustParseAddr("192.0.2.10"), HELO: "mail.example.test", RDNS: "mail.example.test", RDNSRecorded: true}, false, ""},
		{"stamp records none", parse.Hop{IP: netip.MustParseAddr("192.0.2.10"), HELO: "mail.example.test"}, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := analyze.Analyze(context.Background(), path(tc.hop), analyze.Options{Resolver: z})
			d := res.Hops[0].Checks.RDNSDrift
			if (d != nil) != tc.drift || (d != nil && d.Recorded != tc.recorded) {
				t.Fatalf("drift %+v, want %v %q", d, tc.drift, tc.recorded)
			}
		})
	}
}

func TestGenericPTR(t *testing.T) {
	tests := []struct {
		name, ip string
		generic  bool
	}{
		{"30-2-0-192.dsl.provider.example", "192.0.2.30", true},
		{"192-0-2-30.static.provider.example", "192.0.2.30", true},
		{"static.30.2.0.192.clients.provider.example", "192.0.2.30", true},
		{"ec2-203-0-113-5.compute-1.amazonaws.com", "203.0.113.5", true},
		{"c000021e.provider.example", "192.0.2.30", true},
		{"192000002030.provider.example", "192.0.2.30", true},
		{"vps123.provider.example", "192.0.2.31", true},
		{"dsl-4.isp.example", "192.0.2.31", true},
		{"li123-45.members.linode.com", "198.51.100.45", true},
		{"2001-db8--25.ip6.provider.example", "2001:db8::25", true},
		{"mail.example.test", "192.0.2.10", false},
		{"mail2.example.test", "192.0.2.10", false},
		{"mx50.example.test", "192.0.2.50", false},
		{"client.example.test", "192.0.2.10", false},
		{"smtp-out.dynamic.example", "192.0.2.10", false},
	}
	for _, tc := range tests {
		if got, why := analyze.GenericPTR(tc.name, netip.MustParseAddr(tc.ip)); got != tc.generic {
			t.Errorf("GenericPTR(%s, %s) = %v (%s), want %v", tc.name, tc.ip, got, why, tc.generic)
		}
	}
}

// TestHostilePathIsBounded: a header with thousands of external hops gets
// a verdict, and only the hops nearest the judged one are looked up.
func TestHostilePathIsBounded(t *testing.T) {
	hops := make([]parse.Hop, 5000)
	for i := range hops {
		hops[i] = parse.Hop{IP: netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)}), HELO: "x.example.test", By: "y.example.test"}
	}
	hops[len(hops)-1] = parse.Hop{IP: netip.MustParseAddr("192.0.2.10"), HELO: "mail.example.test", By: "mx.receiver.example"}
	res := analyze.Analyze(context.Background(), path(hops...), analyze.Options{Resolver: world(t)})
	if res.Verdict.Hop != 5000 || res.Verdict.Status != analyze.Aligned {
		t.Fatalf("verdict %+v", res.Verdict)
	}
	checked := 0
	for _, h := range res.Hops {
		if h.Checked {
			checked++
		}
	}
	if checked != 64 {
		t.Fatalf("%d hops looked up, want 64", checked)
	}
}

// TestForgedHELODoesNotHideTheSender: a sender the receiver recorded as
// "unknown" is external even when its HELO claims the receiver's domain.
func TestForgedHELODoesNotHideTheSender(t *testing.T) {
	hops := path(
		parse.Hop{IP: netip.MustParseAddr("192.0.2.10"), HELO: "mail.example.test", RDNS: "mail.example.test", RDNSRecorded: true, By: "relay.other.example"},
		parse.Hop{IP: netip.MustParseAddr("192.0.2.20"), HELO: "mx.receiver.example", RDNSRecorded: true, By: "mx.receiver.example"},
	)
	res := analyze.Analyze(context.Background(), hops, analyze.Options{Resolver: world(t)})
	if res.Verdict.Hop != 2 || res.Verdict.Problem != problem.NoPTR {
		t.Fatalf("verdict %+v: want hop 2, no-ptr", res.Verdict)
	}
}
