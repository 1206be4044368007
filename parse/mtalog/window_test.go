package mtalog

import (
	"testing"
	"time"
)

func TestWindowContains(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, time.November, 22, h, m, 0, 0, time.UTC) }
	since, until := at(10, 0), at(12, 0)
	for _, c := range []struct {
		name string
		w    Window
		t    time.Time
		want bool
	}{
		{"open window", Window{}, at(3, 0), true},
		{"open window, no time", Window{}, time.Time{}, true},
		{"before since", Window{Since: since}, at(9, 59), false},
		{"at since: inclusive", Window{Since: since}, since, true},
		{"after since, no until", Window{Since: since}, at(23, 0), true},
		{"before until, no since", Window{Until: until}, at(1, 0), true},
		{"at until: exclusive", Window{Until: until}, until, false},
		{"after until", Window{Until: until}, at(12, 1), false},
		{"inside both", Window{since, until}, at(11, 0), true},
		{"a nanosecond before until", Window{since, until}, until.Add(-1), true},
		{"below both", Window{since, until}, at(9, 0), false},
		{"no time, both bounds: kept", Window{since, until}, time.Time{}, true},
		{"same instant in another zone", Window{since, until}, since.In(time.FixedZone("CET", 3600)), true},
		{"empty window", Window{until, since}, at(11, 0), false},
	} {
		if got := c.w.Contains(c.t); got != c.want {
			t.Errorf("%s: Window{%v, %v}.Contains(%v) = %v, want %v", c.name, c.w.Since, c.w.Until, c.t, got, c.want)
		}
	}
}
