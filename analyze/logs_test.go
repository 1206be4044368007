package analyze_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hopcheck/dns"
	"hopcheck/problem"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"hopcheck/analyze"
	"hopcheck/parse/mtalog"
	"hopcheck/parse/mtalog/mtalogtest"
)

// newParser makes the parser the tests share, its clock fixed at benchRef.
func newParser() *mtalog.Parser {
	p := mtalog.NewParser(time.UTC)
	p.Now = func() time.Time { return benchRef }
	return p
}

// scanEvents runs Aggregator.Scan and returns every event it counted, with
// the line it kept.
func scanEvents(t testing.TB, data []byte, workers int) ([]mtalog.Event, []string, analyze.LogStats) {
	t.Helper()
	var evs []mtalog.Event
	var lines []string
	agg := analyze.NewAggregator(analyze.AggregatorOptions{})
	err := agg.Scan(bytes.NewReader(data), newParser, analyze.ScanOptions{Workers: workers,
		OnEvent: func(ev *mtalog.Event, line []byte) error {
			evs = append(evs, *ev)
			lines = append(lines, string(line))
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return evs, lines, agg.Stats()
}

// reference is the same input read with mtalog.Scanner, one line at a time.
func reference(data []byte) ([]mtalog.Event, []string, mtalog.Stats) {
	p := newParser()
	s := mtalog.NewScanner(bytes.NewReader(data), p)
	all := strings.Split(string(data), "\n")
	var evs []mtalog.Event
	var lines []string
	agg := analyze.NewAggregator(analyze.AggregatorOptions{})
	for s.Scan() {
		ev := s.Event()
		before := agg.Stats().Aggregated
		agg.Add(ev)
		if agg.Stats().Aggregated > before {
			evs = append(evs, ev)
			lines = append(lines, strings.TrimSuffix(all[ev.Line-1], "\r"))
		}
	}
	return evs, lines, p.Stats()
}

// TestScanMatchesScanner: the chunked, parallel scan yields the events, line
// numbers, lines and counts of the plain line-by-line Scanner, for every
// sample log of every dialect and for several worker counts.
func TestScanMatchesScanner(t *testing.T) {
	files, _ := filepath.Glob("../testdata/logs/*.log")
	files = append(files, "../testdata/logs-e2e/mixed.log")
	long := "Nov 22 10:15:01 mx1 postfix/smtpd[1]: warning: " + strings.Repeat("x", mtalog.DefaultMaxLine+10)
	inputs := map[string][]byte{
		"too-long-middle": []byte("Nov 22 10:16:11 mx1 postfix/smtpd[1303]: NOQUEUE: reject: RCPT from unknown[198.51.100.7]: 550 5.7.1 Client host rejected: cannot find your reverse hostname, [198.51.100.7]; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x.example>\n" + long + "\n" + long + "\r\nNov 22 10:17:01 mx1 postfix/smtpd[1304]: warning: hostname broken.example.test does not resolve to address 192.0.2.40\n"),
		"too-long-last":   []byte(long),
		"crlf-no-newline": []byte("Nov 22 10:17:00 mx1 postfix/smtpd[1304]: warning: hostname broken.example.test does not resolve to address 192.0.2.40\r\nNov 22 10:17:00 mx1 postfix/smtpd[1304]: warning: hostname b.example.test does not resolve to address 192.0.2.41"),
		"empty":           nil,
	}
	var gen bytes.Buffer
	if err := mtalogtest.GenPostfix(&gen, 30000, 7); err != nil {
		t.Fatal(err)
	}
	inputs["generated-30k"] = gen.Bytes()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(f)] = b
	}
	for name, data := range inputs {
		wantEv, wantLines, wantSt := reference(data)
		for _, w := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("%s/workers=%d", name, w), func(t *testing.T) {
				evs, lines, st := scanEvents(t, data, w)
				if !reflect.DeepEqual(evs, wantEv) {
					t.Errorf("events differ: got %d, want %d", len(evs), len(wantEv))
				}
				if !reflect.DeepEqual(lines, wantLines) {
					t.Errorf("lines differ:\n got %q\nwant %q", lines, wantLines)
				}
				if st.Lines != wantSt.Lines || st.Events != wantSt.Events || st.Unknown != wantSt.Unknown || st.TooLong != wantSt.TooLong {
					t.Errorf("stats %+v, scanner %+v", st, wantSt)
				}
			})
		}
	}
}

// TestAggregateSamples aggregates each sample log of testdata/logs offline
// and compares the relays with the expected summary beside it.
func TestAggregateSamples(t *testing.T) {
	files, _ := filepath.Glob("../testdata/logs/*.log")
	files = append(files, "../testdata/logs-e2e/mixed.log")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			agg := analyze.NewAggregator(analyze.AggregatorOptions{})
			if err := agg.Scan(bytes.NewReader(data), newParser, analyze.ScanOptions{}); err != nil {
				t.Fatal(err)
			}
			relays := agg.Snapshot()
			verdicts := analyze.Recheck(context.Background(), nil, relays, analyze.RecheckOptions{Concurrency: 4})
			analyze.Rank(relays, verdicts)
			got := summarize(relays, verdicts)
			wantFile := filepath.Join("../testdata/logs-e2e/aggregate", strings.TrimSuffix(filepath.Base(f), ".log")+".json")
			if os.Getenv("HOPCHECK_UPDATE") != "" {
				os.MkdirAll(filepath.Dir(wantFile), 0o755)
				b, _ := json.MarshalIndent(got, "", "  ")
				os.WriteFile(wantFile, append(b, '\n'), 0o644)
			}
			b, err := os.ReadFile(wantFile)
			if err != nil {
				t.Fatal(err)
			}
			var want []relaySummary
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				g, _ := json.MarshalIndent(got, "", "  ")
				t.Errorf("relays differ from %s:\n%s", wantFile, g)
			}
		})
	}
}

// relaySummary is what TestAggregateSamples compares.
type relaySummary struct {
	Direction  string         `json:"direction"`
	IP         string         `json:"ip"`
	HELO       []string       `json:"helo"`
	RDNSLogged []string       `json:"rdns_logged"`
	Count      int            `json:"count"`
	Identity   int            `json:"identity"`
	Categories map[string]int `json:"categories"`
	Replies    []string       `json:"replies"`
	RefusedBy  []string       `json:"refused_by"`
	Reported   map[string]int `json:"reported"`
	First      string         `json:"first"`
	Last       string         `json:"last"`
	Verdict    string         `json:"verdict"`
}

func summarize(relays []analyze.Relay, verdicts map[analyze.RelayKey]analyze.RelayVerdict) []relaySummary {
	out := []relaySummary{}
	for _, r := range relays {
		v := verdicts[r.RelayKey].Verdict
		s := relaySummary{Direction: r.Direction.String(), HELO: r.HELO, RDNSLogged: r.RDNSLogged, Count: r.Count,
			Identity: r.Identity, Categories: map[string]int{}, RefusedBy: r.RefusedBy, Reported: map[string]int{},
			First: r.First.UTC().Format(time.RFC3339), Last: r.Last.UTC().Format(time.RFC3339),
			Verdict: strings.Trim(string(v.Status)+" "+string(v.Problem)+" "+string(v.Owner), " ")}
		for p, n := range r.Reported {
			s.Reported[string(p)] = n
		}
		if r.IP.IsValid() {
			s.IP = r.IP.String()
		}
		for c, n := range r.Categories {
			s.Categories[string(c)] = n
		}
		for _, rp := range r.Replies {
			s.Replies = append(s.Replies, fmt.Sprintf("%s %d %s %s ×%d", rp.Status, rp.Code, rp.Rule, rp.Category, rp.Count))
		}
		out = append(out, s)
	}
	return out
}

// TestAggregatorMemoryBounded feeds a million events over 100 relays: the
// live heap and every per-relay list stay bounded whatever the line count.
func TestAggregatorMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("a million events")
	}
	agg := analyze.NewAggregator(analyze.AggregatorOptions{SenderIPs: nil})
	ev := mtalog.Event{Dialect: mtalog.Postfix, Kind: mtalog.Reject, Direction: mtalog.Inbound, Code: 550, Status: "5.7.1",
		Host: "mx1", Program: "postfix/smtpd", Time: benchRef}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var helos, names, replies [100][]string
	for n := range 100 {
		for k := range 7 {
			helos[n] = append(helos[n], fmt.Sprintf("helo%d-%d.example", n, k))
		}
		for k := range 11 {
			names[n] = append(names[n], fmt.Sprintf("host-%d-%d.dyn.isp.example", n, k))
		}
		// Texts differ past the cache key (as per-message ids do) and
		// in it (a few distinct replies per relay).
		for k := range 20 {
			replies[n] = append(replies[n], fmt.Sprintf("550 5.7.%d Client host rejected: cannot find your reverse hostname, [%s]%s id=%d", k, netipFrom(n), strings.Repeat(" ", 200), k))
		}
	}
	var after10k uint64
	for i := range 1000000 {
		n := i % 100
		ev.RemoteIP = netipFrom(n)
		ev.HELO = helos[n][i%7]
		ev.RemoteName = names[n][i%11]
		ev.Reply = replies[n][i%20]
		ev.Status = ev.Reply[4:9]
		ev.Time = benchRef.Add(time.Duration(i) * time.Second)
		agg.Add(ev)
		if i == 10000 {
			after10k = heap()
		}
	}
	final := heap()
	relays := agg.Snapshot()
	t.Logf("heap after 10k events %d KB, after 1M %d KB, %d relays", after10k>>10, final>>10, len(relays))
	if len(relays) != 100 || agg.Stats().Aggregated != 1000000 {
		t.Fatalf("%d relays, %d aggregated", len(relays), agg.Stats().Aggregated)
	}
	if final > after10k+4<<20 {
		t.Errorf("heap grew from %d KB to %d KB between 10k and 1M events", after10k>>10, final>>10)
	}
	for _, r := range relays {
		if len(r.HELO) > 4 || len(r.RDNSLogged) > 4 || len(r.Examples) > 3 || len(r.Replies) > 16 || r.Count != 10000 {
			t.Fatalf("relay %s: %d HELOs, %d names, %d examples, %d replies, count %d",
				r.IP, len(r.HELO), len(r.RDNSLogged), len(r.Examples), len(r.Replies), r.Count)
		}
	}
	runtime.KeepAlive(agg)
}

// TestMaxRelays: past the bound the relay seen least recently makes room,
// and Add says which; a relay seen again is kept.
func TestMaxRelays(t *testing.T) {
	agg := analyze.NewAggregator(analyze.AggregatorOptions{MaxRelays: 3})
	warn := func(i int) analyze.Change {
		return agg.Add(mtalog.Event{Kind: mtalog.DNSWarning, Direction: mtalog.Inbound, RemoteIP: netipFrom(i), Reply: "hostname x.example does not resolve to address"})
	}
	for i := range 3 {
		if ch := warn(i); !ch.NewRelay || !ch.FirstIdentity || ch.Evicted.IP.IsValid() {
			t.Fatalf("event %d: %+v", i, ch)
		}
	}
	if ch := warn(0); ch.NewRelay || ch.FirstIdentity || ch.Evicted.IP.IsValid() {
		t.Fatalf("a known relay: %+v", ch)
	}
	// 1 is now the least recently seen.
	if ch := warn(9); !ch.NewRelay || ch.Evicted.IP != netipFrom(1) {
		t.Fatalf("past the bound: %+v, want relay 1 evicted", ch)
	}
	if _, ok := agg.Relay(analyze.RelayKey{Direction: mtalog.Inbound, IP: netipFrom(1)}); ok {
		t.Error("the evicted relay is still tracked")
	}
	if st := agg.Stats(); len(agg.Snapshot()) != 3 || st.Aggregated != 5 || st.Evicted != 1 {
		t.Fatalf("%d relays, stats %+v", len(agg.Snapshot()), st)
	}
	if ch := agg.Add(mtalog.Event{Kind: mtalog.Connect, Direction: mtalog.Inbound, RemoteIP: netipFrom(5)}); ch.Counted {
		t.Errorf("a connect counted: %+v", ch)
	}
}

// TestSnapshotIsACopy: a snapshot does not change as events keep coming.
func TestSnapshotIsACopy(t *testing.T) {
	agg := analyze.NewAggregator(analyze.AggregatorOptions{})
	ev := mtalog.Event{Kind: mtalog.Reject, Direction: mtalog.Inbound, RemoteIP: netipFrom(1), HELO: "a.example", Code: 550, Status: "5.7.1",
		Reply: "550 5.7.1 Client host rejected: cannot find your reverse hostname, [198.51.100.1]"}
	agg.Add(ev)
	snap := agg.Snapshot()
	for i := range 10 {
		ev.HELO = fmt.Sprintf("h%d.example", i)
		agg.Add(ev)
	}
	if r := snap[0]; r.Count != 1 || len(r.HELO) != 1 || r.Categories["rdns"] != 1 || r.Reported[problem.NoPTR] != 1 {
		t.Fatalf("the snapshot changed: %+v", r)
	}
	if now, _ := agg.Relay(snap[0].RelayKey); now.Count != 11 {
		t.Fatalf("count now %d, want 11", now.Count)
	}
}

// TestCheckRelay runs the single-relay check against the zone files.
func TestCheckRelay(t *testing.T) {
	z, err := dns.LoadZoneFiles(zoneFiles(t)...)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		ip, helo string
		status   analyze.Status
		problem  problem.Name
	}{
		{"192.0.2.10", "mail.example.test", analyze.Aligned, ""},
		{"192.0.2.31", "mail.example.test", analyze.Misaligned, problem.GenericPTR},
		{"192.0.2.40", "", analyze.Misaligned, problem.FCrDNSFail},
		{"198.51.100.23", "relay.customer.example", analyze.Misaligned, problem.NoPTR},
	}
	for _, tc := range cases {
		rel := analyze.Relay{RelayKey: analyze.RelayKey{Direction: mtalog.Outbound, IP: netipParse(tc.ip)}}
		if tc.helo != "" {
			rel.HELO = []string{tc.helo}
		}
		rv := analyze.CheckRelay(context.Background(), z, &rel, analyze.RecheckOptions{})
		if v := rv.Verdict; v.Status != tc.status || v.Problem != tc.problem || !rv.Checked || rv.CheckedAt.IsZero() {
			t.Errorf("%s: verdict %+v checks %+v", tc.ip, v, rv.Checks)
		}
		for _, p := range rv.Problems {
			if p.Fix == "" {
				t.Errorf("%s: problem %s without a fix", tc.ip, p.Name)
			}
		}
	}
}

func netipFrom(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})
}

func netipParse(s string) netip.Addr { return netip.MustParseAddr(s) }

// TestRecheckSkipsInternal: clients in the internal ranges are not looked
// up (no receiver judges a private address's reverse DNS); --internal
// replaces the ranges.
func TestRecheckSkipsInternal(t *testing.T) {
	reject := func(ip string) mtalog.Event {
		return mtalog.Event{Dialect: mtalog.Postfix, Kind: mtalog.Reject, Direction: mtalog.Inbound,
			RemoteIP: netip.MustParseAddr(ip), HELO: "host.example.test", Code: 550, Status: "5.7.1",
			Reply: "550 5.7.1 Client host rejected: cannot find your reverse hostname, [" + ip + "]"}
	}
	for _, tc := range []struct {
		name     string
		internal []netip.Prefix
		ip       string
		checked  bool
	}{
		{"private client, default ranges", nil, "10.1.2.3", false},
		{"public client, default ranges", nil, "198.51.100.23", true},
		{"public client in --internal", []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}, "198.51.100.23", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			agg := analyze.NewAggregator(analyze.AggregatorOptions{})
			agg.Add(reject(tc.ip))
			relays := agg.Snapshot()
			verdicts := analyze.Recheck(context.Background(), world(t), relays, analyze.RecheckOptions{Internal: tc.internal})
			rv := verdicts[relays[0].RelayKey]
			if len(relays) != 1 || rv.Checked != tc.checked {
				t.Fatalf("relays %+v: want one, checked %v", relays, tc.checked)
			}
			if !tc.checked && rv.Verdict.Problem != "" {
				t.Errorf("internal relay judged: %+v", rv.Verdict)
			}
		})
	}
}

// TestSenderIPByFamily: an outbound refusal that quotes no address is ours
// of the connection's family, never the other family's.
func TestSenderIPByFamily(t *testing.T) {
	v4, v6 := netip.MustParseAddr("192.0.2.31"), netip.MustParseAddr("2001:db8::31")
	refusal := func(remote string) mtalog.Event {
		return mtalog.Event{Kind: mtalog.Bounced, Direction: mtalog.Outbound, RemoteIP: netip.MustParseAddr(remote), Code: 550, Status: "5.7.25",
			Reply: "550 5.7.25 The sending IP does not match the IP address of the hostname specified in the pointer (PTR) record."}
	}
	for _, tc := range []struct {
		name   string
		ours   []netip.Addr
		remote string
		want   netip.Addr
	}{
		{"ipv6 path, both given", []netip.Addr{v4, v6}, "2001:db8:ffff::27", v6},
		{"ipv4 path, both given", []netip.Addr{v4, v6}, "198.51.100.27", v4},
		{"ipv6 path, only ipv4 given", []netip.Addr{v4}, "2001:db8:ffff::27", netip.Addr{}},
		{"ipv4 path, only ipv4 given", []netip.Addr{v4}, "198.51.100.27", v4},
	} {
		agg := analyze.NewAggregator(analyze.AggregatorOptions{SenderIPs: tc.ours})
		if ch := agg.Add(refusal(tc.remote)); ch.Key.IP != tc.want {
			t.Errorf("%s: attributed to %v, want %v", tc.name, ch.Key.IP, tc.want)
		}
	}
}
