package mtalog

import (
	"testing"
	"time"
)

// handClock is a Parser clock a test moves by hand; it counts its reads.
type handClock struct {
	now   time.Time
	reads int
}

func (c *handClock) Now() time.Time { c.reads++; return c.now }

// parserAt returns a Parser in testLoc whose clock starts at t.
func parserAt(t time.Time) (*Parser, *handClock) {
	c := &handClock{now: t}
	p := NewParser(testLoc)
	p.Now = c.Now
	return p, c
}

func at(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, testLoc)
}

// stampYear parses a connect line stamped with stamp's month, day and time
// of day, and returns the year the Parser gave it.
func stampYear(t *testing.T, p *Parser, stamp time.Time) int {
	t.Helper()
	ev, ok := p.Parse([]byte(stamp.Format(time.Stamp) + " mx1 postfix/smtpd[1]: connect from unknown[192.0.2.1]"))
	if !ok {
		t.Fatalf("line stamped %s not parsed", stamp.Format(time.Stamp))
	}
	if got := ev.Time.Format(time.Stamp); got != stamp.Format(time.Stamp) {
		t.Fatalf("stamp %s read as %s", stamp.Format(time.Stamp), got)
	}
	return ev.Time.Year()
}

// TestYearFollowsClock follows a live log for more than a year, the clock
// moving day by day: every line gets the year of the day it was written,
// also when the logging host runs a minute ahead, and the clock is read
// about once a day, not once a line.
func TestYearFollowsClock(t *testing.T) {
	start := at(2026, time.March, 10, 0, 0, 0)
	p, c := parserAt(start)
	days := 0
	for day := start; day.Before(at(2027, time.April, 1, 0, 0, 0)); day = day.AddDate(0, 0, 1) {
		days++
		for _, tod := range []time.Duration{9 * time.Hour, 12 * time.Hour, 23*time.Hour + 59*time.Minute} {
			c.now = day.Add(tod)
			for _, stamp := range []time.Time{c.now.Add(-time.Second), c.now, c.now.Add(time.Minute)} {
				if y := stampYear(t, p, stamp); y != stamp.Year() {
					t.Fatalf("clock %v: line stamped %s dated %d, want %d", c.now, stamp.Format(time.Stamp), y, stamp.Year())
				}
			}
		}
	}
	if c.reads > 3*days {
		t.Errorf("clock read %d times over %d days, want about one a day", c.reads, days)
	}
}

// TestYearNewYear crosses midnight on New Year's Eve, with the clock in step
// and with the clock lagging the logging host.
func TestYearNewYear(t *testing.T) {
	eve, day := at(2026, time.December, 31, 23, 59, 59), at(2027, time.January, 1, 0, 0, 1)

	p, c := parserAt(eve.Add(500 * time.Millisecond))
	if y := stampYear(t, p, eve); y != 2026 {
		t.Errorf("Dec 31 23:59:59 read on Dec 31: %d, want 2026", y)
	}
	c.now = day.Add(200 * time.Millisecond)
	if y := stampYear(t, p, day); y != 2027 {
		t.Errorf("Jan 1 00:00:01 read on Jan 1: %d, want 2027", y)
	}

	p, _ = parserAt(eve.Add(900 * time.Millisecond))
	if y := stampYear(t, p, eve); y != 2026 {
		t.Errorf("Dec 31 23:59:59: %d, want 2026", y)
	}
	if y := stampYear(t, p, day); y != 2027 {
		t.Errorf("Jan 1 00:00:01 read while the clock still says Dec 31: %d, want 2027", y)
	}

	p, _ = parserAt(at(2027, time.January, 2, 10, 0, 0))
	if y := stampYear(t, p, eve); y != 2026 {
		t.Errorf("Dec 31 23:59:59 read on Jan 2: %d, want 2026", y)
	}
}

// TestYearOldFile reads last December's file in January: its modification
// time is the fixed clock, so its lines keep their year whenever the file
// is read, and one that ran into the new year is dated on both sides.
func TestYearOldFile(t *testing.T) {
	p, c := parserAt(at(2026, time.December, 31, 23, 59, 0))
	for _, stamp := range []time.Time{
		at(2026, time.December, 1, 0, 0, 0),
		at(2026, time.December, 24, 18, 0, 0),
		at(2026, time.December, 31, 23, 58, 59),
	} {
		if y := stampYear(t, p, stamp); y != 2026 {
			t.Errorf("%s in a file last written on Dec 31 2026: %d, want 2026", stamp.Format(time.Stamp), y)
		}
	}
	if c.reads > 3 {
		t.Errorf("fixed clock read %d times for 3 days of lines", c.reads)
	}

	p, _ = parserAt(at(2027, time.January, 1, 0, 5, 0))
	for _, stamp := range []time.Time{
		at(2026, time.November, 30, 12, 0, 0),
		at(2026, time.December, 31, 23, 59, 59),
		at(2027, time.January, 1, 0, 4, 0),
	} {
		if y := stampYear(t, p, stamp); y != stamp.Year() {
			t.Errorf("%s in a file last written on Jan 1 2027: %d, want %d", stamp.Format(time.Stamp), y, stamp.Year())
		}
	}
}

// TestYearParserMadeInMarch: a Parser made on Mar 10 dates the Mar 12 and
// Mar 13 lines it reads on those days (or just before, from a host that
// runs ahead) this year, where one fixed reference would have put them a
// year back; a stamp up to 24 hours ahead of the clock is this year's, one
// a second more last year's.
func TestYearParserMadeInMarch(t *testing.T) {
	p, c := parserAt(at(2026, time.March, 10, 10, 0, 0))
	for _, step := range []struct {
		clock, stamp time.Time
		want         int
	}{
		{at(2026, time.March, 10, 10, 0, 0), at(2026, time.March, 10, 9, 59, 58), 2026},
		{at(2026, time.March, 11, 23, 30, 0), at(2026, time.March, 12, 0, 0, 5), 2026},
		{at(2026, time.March, 12, 10, 0, 0), at(2026, time.March, 12, 10, 0, 0), 2026},
		{at(2026, time.March, 12, 23, 45, 0), at(2026, time.March, 12, 23, 45, 0), 2026},
		{at(2026, time.March, 13, 8, 0, 0), at(2026, time.March, 13, 8, 0, 0), 2026},
		{at(2026, time.March, 13, 8, 0, 1), at(2025, time.December, 24, 18, 0, 0), 2025},
		{at(2026, time.March, 13, 8, 0, 2), at(2026, time.March, 14, 8, 0, 2), 2026},
		{at(2026, time.March, 13, 8, 0, 2), at(2025, time.March, 14, 8, 0, 3), 2025},
	} {
		c.now = step.clock
		if y := stampYear(t, p, step.stamp); y != step.want {
			t.Errorf("clock %s: %s dated %d, want %d", step.clock.Format(time.Stamp), step.stamp.Format(time.Stamp), y, step.want)
		}
	}
}

// TestYearSameDayReadsClockOnce: an hour of lines, each with a new stamp,
// reads a fixed clock once.
func TestYearSameDayReadsClockOnce(t *testing.T) {
	p, c := parserAt(at(2026, time.November, 25, 0, 0, 0))
	for s := at(2026, time.November, 22, 10, 0, 0); s.Before(at(2026, time.November, 22, 11, 0, 0)); s = s.Add(time.Second) {
		if y := stampYear(t, p, s); y != 2026 {
			t.Fatalf("%s: %d, want 2026", s.Format(time.Stamp), y)
		}
	}
	if c.reads != 1 {
		t.Errorf("clock read %d times, want 1", c.reads)
	}
}
