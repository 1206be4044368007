//go:build unix

package watch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"hopcheck/dns"
	"hopcheck/logstream"
	"hopcheck/problem"
)

// alertKeys are the keys of an alert's JSON, documented in docs/tail.md.
var alertKeys = []string{"time", "kind", "direction", "ip", "helo", "problem", "owner", "fix", "detail", "ptr",
	"refusals", "refused_by", "statuses", "example", "since", "reason", "message"}

// TestWatchEndToEnd follows a real file whose Postfix lines show Gmail
// refusing our relay, with DNS from a server on loopback: the misaligned
// alert, no repeat inside the window but a summary with the counts after
// it, and the recovery once the reverse zone is fixed.
func TestWatchEndToEnd(t *testing.T) {
	broken := server(t, ourZone, brokenReverse)
	fixed := server(t, ourZone, fixedReverse)
	res := newSwitchable(client(broken.Addr))
	clock := newClock(t0)
	dir := t.TempDir()
	log := filepath.Join(dir, "mail.log")
	appendLines(t, log, gmail(t0.Add(-time.Hour), "192.0.2.31")) // before the start: not read
	alerts := newCollector()
	e := New(Options{Resolver: res, HELO: "mail.example.test", Now: clock.Now, Alert: alerts.add, Tick: 10 * time.Millisecond}, State{})
	src, err := Open(Input{Path: log}, logstream.Position{})
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, e, src)

	appendLines(t, log, gmail(t0.Add(time.Second), "192.0.2.31"))
	a := alerts.next(t)
	if a.Kind != Misaligned || a.Direction != "outbound" || a.IP != "192.0.2.31" || a.HELO != "mail.example.test" ||
		a.Problem != problem.NoPTR || a.Owner != problem.IPOwner || a.Refusals != 1 ||
		!slices.Equal(a.RefusedBy, []string{"google.com"}) || !slices.Equal(a.Statuses, []string{"5.7.25"}) ||
		!a.Since.Equal(t0.Add(time.Second)) || !a.Time.Equal(t0) || len(a.PTR) != 0 || a.Reason != "" ||
		!strings.Contains(a.Example, "550-5.7.25 [192.0.2.31]") || !strings.Contains(a.Fix, "PTR") ||
		!strings.Contains(a.Message, "our relay 192.0.2.31 (HELO mail.example.test) is misaligned, 1 refusal by google.com (5.7.25)") {
		t.Fatalf("first alert: %+v", a)
	}
	var buf bytes.Buffer
	if err := Writer(&buf, JSON)(a); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil || !slices.Equal(slices.Sorted(maps.Keys(m)), slices.Sorted(slices.Values(alertKeys))) {
		t.Fatalf("JSON keys %v (%v): %s", slices.Sorted(maps.Keys(m)), err, buf.Bytes())
	}

	// More refusals inside the window and the minimum interval: counted,
	// neither checked again nor alerted.
	appendLines(t, log, gmail(t0.Add(2*time.Second), "192.0.2.31"), noise(t0.Add(2*time.Second)),
		gmail(t0.Add(3*time.Second), "192.0.2.31"), gmail(t0.Add(4*time.Second), "192.0.2.31"))
	waitFor(t, "5 lines", func() bool { return e.Stats().Lines == 5 })
	if st := e.Stats(); st.Checks != 1 || broken.Asked("31.2.0.192.in-addr.arpa.", mdns.TypePTR) != 1 {
		t.Fatalf("checks %d, PTR asked %d times: want one check", st.Checks, broken.Asked("31.2.0.192.in-addr.arpa.", mdns.TypePTR))
	}

	// The window ends: a summary of the refusals since the alert; the
	// re-check due then finds the same problem and says nothing.
	clock.Add(DefaultRepeat + time.Second)
	a = alerts.next(t)
	if a.Kind != Summary || a.IP != "192.0.2.31" || a.Problem != problem.NoPTR || a.Refusals != 3 ||
		!slices.Equal(a.RefusedBy, []string{"google.com"}) || !a.Since.Equal(t0) ||
		!strings.Contains(a.Message, "is still misaligned (no-ptr): 3 refusals by google.com (5.7.25) since 2026-11-29 16:00:00 UTC") {
		t.Fatalf("summary: %+v", a)
	}
	waitFor(t, "the re-check", func() bool { return e.Stats().Checks == 2 })

	// The reverse zone is fixed: the periodic re-check sees it.
	res.set(client(fixed.Addr))
	clock.Add(DefaultRecheck + time.Second)
	a = alerts.next(t)
	if a.Kind != Recovered || a.Reason != ReasonAligned || a.IP != "192.0.2.31" || a.Problem != problem.NoPTR ||
		!slices.Equal(a.PTR, []string{"mail.example.test"}) || a.Refusals != 4 || !a.Since.Equal(t0) ||
		!strings.Contains(a.Message, "is aligned again: PTR mail.example.test") {
		t.Fatalf("recovery: %+v", a)
	}
	if err := r.end(t); err != nil {
		t.Fatal(err)
	}
	var kinds []Kind
	for _, a := range alerts.all() {
		kinds = append(kinds, a.Kind)
	}
	if !slices.Equal(kinds, []Kind{Misaligned, Summary, Recovered}) {
		t.Fatalf("alerts %v", kinds)
	}
}

// TestWatchRestartResumes stops the engine in the middle, writes and
// rotates the log while it is down, and starts it again from its state:
// every line is read once, and the open alert is not repeated.
func TestWatchRestartResumes(t *testing.T) {
	srv := server(t, ourZone, brokenReverse)
	dir := t.TempDir()
	log, state := filepath.Join(dir, "mail.log"), filepath.Join(dir, "tail.state")
	appendLines(t, log, noise(t0), noise(t0)) // before the first start: not read
	opts := func(alerts *collector) Options {
		return Options{Resolver: client(srv.Addr), HELO: "mail.example.test", Now: newClock(t0).Now, Alert: alerts.add,
			StatePath: state, Tick: 10 * time.Millisecond}
	}
	start := func(alerts *collector) *running {
		st, err := LoadState(state)
		if err != nil {
			t.Fatal(err)
		}
		src, err := Open(Input{Path: log}, st.Position)
		if err != nil {
			t.Fatal(err)
		}
		return run(t, New(opts(alerts), st), src)
	}

	first := newCollector()
	r := start(first)
	appendLines(t, log, gmail(t0, "192.0.2.31"), noise(t0))
	if a := first.next(t); a.Kind != Misaligned || a.IP != "192.0.2.31" {
		t.Fatalf("first run: %+v", a)
	}
	waitFor(t, "2 lines", func() bool { return r.e.Stats().Lines == 2 })
	if err := r.end(t); err != nil {
		t.Fatal(err)
	}

	// Down: more lines, then a rotation and lines in the new file.
	appendLines(t, log, gmail(t0.Add(time.Minute), "192.0.2.31"), gmail(t0.Add(time.Minute), "192.0.2.50"))
	if err := os.Rename(log, log+".1"); err != nil {
		t.Fatal(err)
	}
	appendLines(t, log, gmail(t0.Add(2*time.Minute), "192.0.2.31"), noise(t0.Add(2*time.Minute)))

	second := newCollector()
	r = start(second)
	a := second.next(t)
	if a.Kind != Misaligned || a.IP != "192.0.2.50" {
		t.Fatalf("second run: %+v", a)
	}
	waitFor(t, "4 lines and 2 checks", func() bool { st := r.e.Stats(); return st.Lines >= 4 && st.Checks >= 2 })
	if err := r.end(t); err != nil {
		t.Fatal(err)
	}
	if st := r.e.Stats(); st.Lines != 4 || st.Alerts != 1 {
		t.Fatalf("second run read %d lines (want the 4 written while down) and sent %d alerts (want 1): %v", st.Lines, st.Alerts, second.all())
	}
	st, err := LoadState(state)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Episodes) != 2 || st.Episodes[0].IP.String() != "192.0.2.31" || st.Episodes[0].Refusals != 2 || st.Episodes[0].Total != 3 ||
		st.Episodes[1].IP.String() != "192.0.2.50" || st.Position.Path != log || st.Position.Offset == 0 {
		t.Fatalf("state %+v", st)
	}
}

// TestWatchFloodRateBound floods the engine with refusals of 10,000
// distinct clients: every line is read, while the queries that reach the
// DNS server stay within the pace (counted by the server, over the run).
func TestWatchFloodRateBound(t *testing.T) {
	const qps, burst = 100, 1 // the command's burst
	srv := server(t, reverse6, ourZone)
	var lines []string
	for i := range 10000 {
		lines = append(lines, reject(t0, fmt.Sprintf("2001:db8::1:%x", i)))
	}
	src, write := pipe(t)
	// One attempt per lookup: the pace bounds lookups, and a lookup the
	// server answers SERVFAIL (names outside the test zones) would
	// otherwise be sent twice.
	once := dns.NewClient(dns.ClientOptions{Servers: []string{srv.Addr}, Timeout: 2 * time.Second, Attempts: 1})
	e := New(Options{Resolver: dns.NewPaced(once, qps, burst), Inbound: true, Now: newClock(t0).Now,
		Tick: 10 * time.Millisecond}, State{})
	began := time.Now()
	r := run(t, e, src)
	write(lines...)
	waitFor(t, "every line", func() bool { return e.Stats().Lines == int64(len(lines)) })
	waitFor(t, "a few checks", func() bool { return e.Stats().Checks >= 20 })
	r.end(t)
	took := time.Since(began)
	queries := srv.UDPQueries.Load() + srv.TCPQueries.Load()
	if bound := int64(qps*took.Seconds()) + burst; queries > bound {
		t.Fatalf("%d queries in %v: over the bound of %d", queries, took, bound)
	}
	if st := e.Stats(); st.Checks >= int64(len(lines)) || st.Dropped != 0 {
		t.Fatalf("stats %+v: the pace should have held most checks back, and queued them all", st)
	}
	t.Logf("%d lines, %d checks, %d queries in %v", len(lines), e.Stats().Checks, queries, took)
}
