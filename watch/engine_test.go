package watch

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hopcheck/analyze"
	"hopcheck/problem"
)

// offline is an engine that judges from the log alone (no resolver), on a
// fake clock, fed through a pipe.
func offline(t *testing.T, clock *fakeClock, opts Options) (*running, *collector, func(...string)) {
	t.Helper()
	alerts := newCollector()
	opts.Now, opts.Alert, opts.Tick, opts.Location = clock.Now, alerts.add, 10*time.Millisecond, time.UTC
	src, write := pipe(t)
	return run(t, New(opts, State{}), src), alerts, write
}

// TestWatchQuietRecovery: a relay no longer refused for a whole window is
// reported recovered, with the refusals of its episode.
func TestWatchQuietRecovery(t *testing.T) {
	clock := newClock(t0)
	r, alerts, write := offline(t, clock, Options{})
	write(gmail(t0, "192.0.2.31"), gmail(t0, "192.0.2.31"))
	if a := alerts.next(t); a.Kind != Misaligned || a.Problem != problem.NoPTR || a.Refusals < 1 {
		t.Fatalf("alert %+v", a)
	}
	waitFor(t, "2 lines", func() bool { return r.e.Stats().Lines == 2 })
	clock.Add(DefaultRepeat)
	a := alerts.next(t)
	if a.Kind != Recovered || a.Reason != ReasonQuiet || a.Refusals != 2 || !a.Since.Equal(t0) ||
		!strings.Contains(a.Message, "has not been refused for 1h0m0s: taken as recovered") {
		t.Fatalf("quiet recovery: %+v", a)
	}
}

// TestWatchMinInterval: a relay refused again and again is checked once
// per interval, not once per refusal.
func TestWatchMinInterval(t *testing.T) {
	clock := newClock(t0)
	r, _, write := offline(t, clock, Options{})
	for range 50 {
		write(gmail(t0, "192.0.2.31"))
	}
	waitFor(t, "50 lines and a check", func() bool { st := r.e.Stats(); return st.Lines == 50 && st.Checks == 1 })
	clock.Add(MinInterval - time.Second)
	write(gmail(t0.Add(MinInterval), "192.0.2.31"))
	waitFor(t, "51 lines", func() bool { return r.e.Stats().Lines == 51 })
	if n := r.e.Stats().Checks; n != 1 {
		t.Fatalf("%d checks inside the interval", n)
	}
	clock.Add(time.Second)
	write(gmail(t0.Add(MinInterval), "192.0.2.31"))
	waitFor(t, "a second check", func() bool { return r.e.Stats().Checks == 2 })
}

// TestWatchDatesAcrossNewYear: classic stamps carry no year; the engine's
// clock gives it, right across midnight on New Year's Eve, for a late line
// of the old year, and weeks later.
func TestWatchDatesAcrossNewYear(t *testing.T) {
	eve := time.Date(2026, time.December, 31, 23, 59, 58, 0, time.UTC)
	clock := newClock(eve)
	_, alerts, write := offline(t, clock, Options{})
	since := func(at time.Time, ip string) time.Time {
		t.Helper()
		write(gmail(at, ip))
		a := alerts.next(t)
		if a.IP != ip {
			t.Fatalf("alert for %s, want %s", a.IP, ip)
		}
		return a.Since
	}
	if got := since(eve.Add(-time.Second), "192.0.2.31"); !got.Equal(eve.Add(-time.Second)) {
		t.Errorf("on New Year's Eve: %v", got)
	}
	clock.Set(eve.Add(5 * time.Second)) // 2027-01-01 00:00:03
	if got := since(eve.Add(time.Second), "192.0.2.32"); !got.Equal(eve.Add(time.Second)) {
		t.Errorf("a late line of the old year: %v", got)
	}
	if got := since(eve.Add(4*time.Second), "192.0.2.33"); got.Year() != 2027 || !got.Equal(eve.Add(4*time.Second)) {
		t.Errorf("after midnight: %v", got)
	}
	weeks := time.Date(2027, time.January, 21, 10, 0, 0, 0, time.UTC)
	clock.Set(weeks)
	if got := since(weeks, "192.0.2.34"); !got.Equal(weeks) {
		t.Errorf("three weeks on: %v", got)
	}
}

// TestWatchInboundAndBlocker: clients our server refuses are alerted on
// only when asked for; a refusal that does not show our address is no
// alert, but the reason is told once.
func TestWatchInboundAndBlocker(t *testing.T) {
	var mu sync.Mutex
	var blocked []analyze.Blocker
	opts := Options{Blocked: func(b analyze.Blocker) {
		mu.Lock()
		blocked = append(blocked, b)
		mu.Unlock()
	}}
	r, _, write := offline(t, newClock(t0), opts)
	write(reject(t0, "198.51.100.23"), strings.Replace(gmail(t0, "192.0.2.31"), "[192.0.2.31] ", "", 1),
		strings.Replace(gmail(t0, "192.0.2.31"), "[192.0.2.31] ", "", 1))
	waitFor(t, "3 lines and a check", func() bool { st := r.e.Stats(); return st.Lines == 3 && st.Checks == 1 })
	if st := r.e.Stats(); st.Alerts != 0 {
		t.Fatalf("%d alerts", st.Alerts)
	}
	mu.Lock()
	if !slices.Equal(blocked, []analyze.Blocker{analyze.SenderNotInLog}) {
		t.Errorf("blockers %v", blocked)
	}
	mu.Unlock()

	_, alerts, write := offline(t, newClock(t0), Options{Inbound: true})
	write(reject(t0, "198.51.100.23"))
	if a := alerts.next(t); a.Direction != "inbound" || a.IP != "198.51.100.23" || a.HELO != "relay.customer.example" ||
		!strings.Contains(a.Message, "client 198.51.100.23 (HELO relay.customer.example) is misaligned, 1 refusal by us (5.7.1)") {
		t.Fatalf("inbound alert %+v", a)
	}
}

// TestWatchCounts: lines not understood and lines over 64 KiB are counted
// and skipped.
func TestWatchCounts(t *testing.T) {
	r, _, write := offline(t, newClock(t0), Options{})
	write("this line has no syslog header at all", noise(t0)+strings.Repeat(" x", 40<<10), noise(t0), reject(t0, "198.51.100.23"))
	waitFor(t, "4 lines", func() bool { return r.e.Stats().Lines == 4 })
	if st := r.e.Stats(); st.Unknown != 1 || st.TooLong != 1 || st.Events != 1 || st.Checks != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestWatchTextFormat: one readable line, the fix and who makes it.
func TestWatchTextFormat(t *testing.T) {
	a := Alert{Time: t0, Kind: Misaligned, Direction: "outbound", IP: "192.0.2.31", HELO: "mail.example.test",
		Problem: problem.NoPTR, Owner: problem.IPOwner, Fix: "add a PTR", Detail: "no PTR\nat all", Refusals: 1,
		RefusedBy: []string{"google.com"}, Statuses: []string{"5.7.25"}}
	a.decide(time.Hour)
	var b strings.Builder
	if err := Writer(&b, Text)(a); err != nil {
		t.Fatal(err)
	}
	want := "2026-11-29T16:00:00Z MISALIGNED our relay 192.0.2.31 (HELO mail.example.test) is misaligned, 1 refusal by google.com (5.7.25): no-ptr: no PTR at all — fix (" + problem.IPOwner.Describe() + "): add a PTR\n"
	if b.String() != want {
		t.Fatalf("got  %q\nwant %q", b.String(), want)
	}
}
