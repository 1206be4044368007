package parse

import (
	"sync/atomic"
	"time"
)

// maxZoneMinutes bounds numeric zone offsets: real zones stay within ±14h, and
// anything past a day is garbage, not a clock.
const maxZoneMinutes = 24*60 - 1

// zones caches one *time.Location per offset so that dates with a numeric
// zone cost no allocation after the first use of that offset.
var zones [2*maxZoneMinutes + 1]atomic.Pointer[time.Location]

func zoneAt(minutes int) *time.Location {
	if minutes == 0 {
		return time.UTC
	}
	slot := &zones[minutes+maxZoneMinutes]
	if loc := slot.Load(); loc != nil {
		return loc
	}
	// Racing stores build equal locations, so whichever wins is fine.
	loc := time.FixedZone("", minutes*60)
	slot.Store(loc)
	return loc
}

// namedZones holds the zone names RFC 5322 §4.3 keeps as obsolete syntax,
// in minutes east of UTC.
var namedZones = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
	"EST": -5 * 60, "EDT": -4 * 60,
	"CST": -6 * 60, "CDT": -5 * 60,
	"MST": -7 * 60, "MDT": -6 * 60,
	"PST": -8 * 60, "PDT": -7 * 60,
}

var monthNames = [12]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

var dayNames = [7]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// dateScanner walks a date-time once, left to right.
type dateScanner struct {
	s string
	i int
}

// skipCFWS skips white space and comments; an unclosed comment runs to the
// end, as in the field lexer.
func (d *dateScanner) skipCFWS() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\r', '\n':
			d.i++
		case '(':
			d.i = commentEnd(d.s, d.i)
		default:
			return
		}
	}
}

func (d *dateScanner) letters() string {
	start := d.i
	for d.i < len(d.s) && isLetter(d.s[d.i]) {
		d.i++
	}
	return d.s[start:d.i]
}

// digits reads 1 to max decimal digits and returns their value and count.
func (d *dateScanner) digits(max int) (v, n int) {
	for d.i < len(d.s) && n < max && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		v = v*10 + int(d.s[d.i]-'0')
		d.i++
		n++
	}
	return v, n
}

func (d *dateScanner) accept(c byte) bool {
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// nameIndex finds w among three-letter lower-case prefixes ("feb" matches
// "Feb" and "February"); -1 when none does.
func nameIndex(w string, names []string) int {
	if len(w) < 3 {
		return -1
	}
	for i, n := range names {
		if w[0]|0x20 == n[0] && w[1]|0x20 == n[1] && w[2]|0x20 == n[2] {
			return i
		}
	}
	return -1
}

// parseDate reads the RFC 5322 date-time at the start of s and ignores what
// follows it (trailing comments such as "(PST)", Courier's "id …"). It
// tolerates what real stamps write: no weekday, single-digit days, two- and
// three-digit years, missing seconds, fractional seconds, extra spaces,
// comments between tokens, "+hh:mm" zones and the obsolete zone names. A
// missing or unknown zone name makes the date unreadable rather than guessed:
// a wrong zone would invent hours of delay.
func parseDate(s string) (time.Time, bool) {
	d := dateScanner{s: s}
	d.skipCFWS()
	if w := d.letters(); w != "" {
		if nameIndex(w, dayNames[:]) < 0 {
			return time.Time{}, false
		}
		d.skipCFWS()
		d.accept(',')
		d.skipCFWS()
	}
	day, n := d.digits(2)
	if n == 0 {
		return time.Time{}, false
	}
	d.skipCFWS()
	d.accept('-')
	mon := nameIndex(d.letters(), monthNames[:])
	if mon < 0 {
		return time.Time{}, false
	}
	d.skipCFWS()
	d.accept('-')
	year, n := d.digits(4)
	switch {
	case n == 2 && year < 50:
		year += 2000
	case n == 2 || n == 3:
		year += 1900
	case n != 4:
		return time.Time{}, false
	}
	d.skipCFWS()
	hour, n := d.digits(2)
	if n == 0 || !d.accept(':') {
		return time.Time{}, false
	}
	minute, n := d.digits(2)
	if n != 2 {
		return time.Time{}, false
	}
	sec, nsec := 0, 0
	if d.accept(':') {
		if sec, n = d.digits(2); n != 2 {
			return time.Time{}, false
		}
		if d.accept('.') {
			frac, n := d.digits(9)
			if n == 0 {
				return time.Time{}, false
			}
			for ; n < 9; n++ {
				frac *= 10
			}
			nsec = frac
			for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
				d.i++
			}
		}
	}
	if hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, false
	}
	if sec == 60 {
		sec = 59 // a leap second: keep the stamp's minute
	}
	d.skipCFWS()
	loc, ok := d.zone()
	if !ok {
		return time.Time{}, false
	}
	if day < 1 || day > daysIn(mon, year) {
		return time.Time{}, false // 31 Feb and the like
	}
	return time.Date(year, time.Month(mon+1), day, hour, minute, sec, nsec, loc), true
}

// daysIn returns the length of month mon (0 = January) in year.
func daysIn(mon, year int) int {
	switch mon {
	case 1:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 3, 5, 8, 10:
		return 30
	}
	return 31
}

func (d *dateScanner) zone() (*time.Location, bool) {
	if d.i >= len(d.s) {
		return nil, false
	}
	if c := d.s[d.i]; c == '+' || c == '-' {
		d.i++
		hh, n := d.digits(2)
		if n != 2 {
			return nil, false
		}
		d.accept(':')
		mm, n := d.digits(2)
		if n != 2 || hh > 23 || mm > 59 {
			return nil, false
		}
		off := hh*60 + mm
		if c == '-' {
			off = -off
		}
		return zoneAt(off), true
	}
	w := d.letters()
	if w == "" || len(w) > 3 {
		return nil, false
	}
	var up [3]byte
	for i := range len(w) {
		up[i] = w[i] &^ 0x20
	}
	if off, ok := namedZones[string(up[:len(w)])]; ok {
		return zoneAt(off), true
	}
	if len(w) == 1 && up[0] != 'J' {
		// RFC 5322 military zones: their sign was defined backwards in RFC
		// 822, so their offset means nothing; read them as UTC, as advised.
		return time.UTC, true
	}
	return nil, false
}
