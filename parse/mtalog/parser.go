package mtalog

import (
	"bytes"
	"encoding/binary"
	"time"
)

// DefaultMaxLine is the longest line a new Parser accepts, in bytes.
const DefaultMaxLine = 64 << 10

// Stats counts what a Parser has seen. Lines = Events + Skipped + Unknown +
// TooLong.
type Stats struct {
	Lines   int // lines given to Parse or skipped by the Scanner
	Events  int // lines that produced an Event
	Skipped int // understood, but of no interest (other programs, noise)
	Unknown int // not understood: unreadable header or malformed MTA line
	TooLong int // longer than MaxLine, skipped whole
}

// Parser parses single lines. The zero value is not usable; use NewParser.
// A Parser keeps state between lines (the year of classic stamps,
// interned strings) and is not safe for concurrent use.
type Parser struct {
	// MaxLine is the longest line accepted, in bytes; longer lines count as
	// TooLong. The Scanner uses it as its line bound. Set it before use.
	MaxLine int
	// RefusalsOnly turns away, before building them, the events that carry
	// no refusal: connects, client=, queue and arrival lines, deliveries
	// that went through, lost connections and timeouts. Every event of the
	// kinds Reject, DNSWarning, Bounced, Deferred and Expired still comes
	// through, a superset of those for which Event.IsRefusal or
	// Event.IsIdentityWarning holds; a scan for identity refusals needs no
	// more. Set it before use.
	RefusalsOnly bool
	// Borrow makes an event's strings slices of the line given to Parse
	// rather than of a copy of it: no copy is made, but the event is only
	// valid while the line's bytes are left unchanged. Host and Program
	// are copies either way. Set it only when nothing keeps an event, or
	// its strings, past the reuse of the line's buffer. Set it before use.
	Borrow bool
	// Now is the clock that dates classic syslog stamps ("Nov 22
	// 10:15:01"), which carry no year: a stamp gets the latest year that
	// puts it at or before Now() + 24h, the slack allowing for a logging
	// host whose clock runs ahead. So a Dec 31 line read on Jan 2 is last
	// year's, and a Mar 12 line read on Mar 11 at 23:30 this year's. nil
	// means time.Now, for a live log; for a finished file pass its
	// modification time as a fixed clock, so that an old file is dated by
	// its own year. Set it before use.
	//
	// The Parser reads the clock only when a stamp's day differs from the
	// previous classic stamp's or a stamp lies just past the limit it last
	// computed, and computes the limit again only when the clock has moved
	// to another second: the per-line cost stays that of a comparison.
	Now func() time.Time

	loc   *time.Location
	stats Stats

	// The year of classic stamps: the limit Now() + 24h in loc as a
	// dateKey, its year, the clock second it was computed for, and the
	// day of the previous classic stamp.
	limitKey           int64
	limitYear          int
	clockSec           int64
	prevMonth, prevDay int

	// The last classic stamp ("Nov 22 10:15:01") and its parsed fields.
	lastStamp [15]byte
	last      classicStamp
	hasLast   bool

	// Per-second timestamp cache: many lines share one stamp.
	tsLen  int
	tsBuf  [48]byte
	tsYear int
	tsTime time.Time

	zones  map[int]*time.Location
	intern map[string]string
	recent [16]string // recently interned strings, checked before the map
}

// NewParser returns a Parser that reads timestamps without a zone in loc
// (nil means time.Local) and dates classic syslog stamps by the clock Now,
// time.Now unless set.
func NewParser(loc *time.Location) *Parser {
	if loc == nil {
		loc = time.Local
	}
	return &Parser{
		MaxLine: DefaultMaxLine,
		loc:     loc,
		zones:   make(map[int]*time.Location),
		intern:  make(map[string]string),
	}
}

// Stats returns the counts so far.
func (p *Parser) Stats() Stats { return p.stats }

// stamp formats.
const (
	tsNone    = iota
	tsClassic // Nov  2 10:15:01 (no year, no zone)
	tsISO     // 2026-11-22T10:15:01.123+01:00 or 2026-11-22 10:15:01 (Exim)
)

// classicStamp is the parsed date and time of a classic syslog stamp.
type classicStamp struct{ year, month, day, sec int }

// header is a line's syslog (or Exim mainlog) envelope, as slices of it.
type header struct {
	tsKind int
	ts     []byte
	// parsed stamp fields
	year, month, day, sec, nsec int
	offset                      int // seconds east of UTC when hasZone
	hasZone                     bool
	host, prog                  []byte
	pid                         int
	msg                         []byte
}

// Parse parses one line (without its newline). It returns ok=false for
// lines that carry nothing of interest or are not understood, and counts
// them (see Stats). It does not retain line; with Borrow, the event does.
func (p *Parser) Parse(line []byte) (ev Event, ok bool) {
	if !p.parse(line, &ev) {
		return Event{}, false
	}
	return ev, true
}

// ParseTo is Parse into *ev, which must be the zero Event: it spares a
// caller that parses many lines and keeps few the copy and the clearing of
// an Event per line. When it returns false, *ev is still the zero Event.
func (p *Parser) ParseTo(line []byte, ev *Event) bool {
	return p.parse(line, ev)
}

// parse is ParseTo: it fills a zeroed *ev, and leaves it zero when it
// returns false.
func (p *Parser) parse(line []byte, ev *Event) bool {
	p.stats.Lines++
	if len(line) > p.MaxLine {
		p.stats.TooLong++
		return false
	}
	var h header
	if p.hasLast && len(line) > 16 && line[15] == ' ' &&
		binary.LittleEndian.Uint64(line) == binary.LittleEndian.Uint64(p.lastStamp[:]) &&
		binary.LittleEndian.Uint64(line[7:]) == binary.LittleEndian.Uint64(p.lastStamp[7:]) {
		// Same second as the previous line: reuse its stamp and year.
		h.tsKind, h.ts = tsClassic, line[:15]
		h.year, h.month, h.day, h.sec = p.last.year, p.last.month, p.last.day, p.last.sec
		if !parseHostTag(line[16:], &h) {
			p.stats.Unknown++
			return false
		}
	} else {
		if !parseHeader(line, &h) {
			p.stats.Unknown++
			return false
		}
		if h.tsKind == tsClassic {
			p.inferYear(&h)
			if len(h.ts) == len(p.lastStamp) {
				copy(p.lastStamp[:], h.ts)
				p.last, p.hasLast = classicStamp{year: h.year, month: h.month, day: h.day, sec: h.sec}, true
			}
		}
	}
	var res result
	m := mode{refusalsOnly: p.RefusalsOnly, borrow: p.Borrow}
	d := dialectOf(h.prog)
	switch d {
	case Postfix:
		res = parsePostfix(h.prog, h.msg, ev, m)
	case Exim:
		res = parseExim(h.msg, ev, m)
	case Sendmail:
		res = parseSendmail(h.msg, ev, m)
	default:
		res = skipped
	}
	// A skipped line has left ev untouched; a malformed one may not have.
	switch res {
	case skipped:
		p.stats.Skipped++
		return false
	case malformed:
		p.stats.Unknown++
		*ev = Event{}
		return false
	}
	p.stats.Events++
	ev.Dialect = d
	ev.Time = p.stampTime(&h)
	ev.Host = p.internBytes(h.host)
	ev.Program = p.internBytes(h.prog)
	ev.PID = h.pid
	return true
}

// result of a dialect parser.
type result uint8

const (
	parsed result = iota
	skipped
	malformed
)

// dialectOf tells the MTA from a syslog program name: "postfix/smtpd" (or
// a multi-instance "postfix-out/smtp"), "exim", "exim4", "sendmail",
// "sm-mta", "sm-msp-queue".
func dialectOf(prog []byte) Dialect {
	switch {
	case bytes.HasPrefix(prog, []byte("postfix")):
		return Postfix
	case bytes.HasPrefix(prog, []byte("exim")):
		return Exim
	case bytes.Equal(prog, []byte("sendmail")), bytes.HasPrefix(prog, []byte("sm-")):
		return Sendmail
	}
	return NoDialect
}

// internBytes returns b as a string shared between events; the table is
// bounded so that hostile input cannot grow it without limit.
func (p *Parser) internBytes(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	// A small direct-mapped cache in front of the map: lines mostly share
	// host and a handful of programs.
	slot := &p.recent[(len(b)+int(b[len(b)-1]))%len(p.recent)]
	if *slot == string(b) {
		return *slot
	}
	if s, ok := p.intern[string(b)]; ok {
		*slot = s
		return s
	}
	s := string(b)
	if len(p.intern) < 1024 {
		p.intern[s] = s
	}
	return s
}

// dateKey orders local date-times as integers without building a time.Time.
func dateKey(y, m, d, sec int) int64 {
	return ((int64(y)*16+int64(m))*32+int64(d))*86400 + int64(sec)
}

// nearLimit is how far past the limit, in dateKey units, a stamp makes the
// Parser read the clock again: about a day, a month's end counting up to
// four days more. Stamps further out are last year's; reading the clock
// for each would cost a whole old file a clock read per line.
const nearLimit = 6 * 86400

// inferYear gives a classic stamp its year (see Parser.Now).
func (p *Parser) inferYear(h *header) {
	if h.month != p.prevMonth || h.day != p.prevDay {
		p.prevMonth, p.prevDay = h.month, h.day
		p.readClock()
	}
	key := dateKey(p.limitYear, h.month, h.day, h.sec)
	if key > p.limitKey && key-p.limitKey <= nearLimit {
		// The clock may have moved on since it was read: a live log whose
		// host runs ahead reaches the limit within the day.
		p.readClock()
		key = dateKey(p.limitYear, h.month, h.day, h.sec)
	}
	h.year = p.limitYear
	if key > p.limitKey {
		h.year--
	}
}

// readClock computes the limit of classic stamps, Now() + 24h, unless the
// clock is still in the second it was computed for.
func (p *Parser) readClock() {
	var now time.Time
	if p.Now != nil {
		now = p.Now()
	} else {
		now = time.Now()
	}
	sec := now.Unix()
	if sec == p.clockSec && p.limitYear != 0 {
		return
	}
	p.clockSec = sec
	lim := now.In(p.loc).Add(24 * time.Hour)
	p.limitYear = lim.Year()
	p.limitKey = dateKey(lim.Year(), int(lim.Month()), lim.Day(), lim.Hour()*3600+lim.Minute()*60+lim.Second())
}

// stampTime builds the event's time, reusing the previous one when the
// stamp is the same.
func (p *Parser) stampTime(h *header) time.Time {
	if h.tsKind == tsNone {
		return time.Time{}
	}
	if len(h.ts) <= len(p.tsBuf) && len(h.ts) == p.tsLen && h.year == p.tsYear &&
		bytes.Equal(h.ts, p.tsBuf[:p.tsLen]) {
		return p.tsTime
	}
	loc := p.loc
	if h.hasZone {
		loc = p.zone(h.offset)
	}
	t := time.Date(h.year, time.Month(h.month), h.day, 0, 0, h.sec, h.nsec, loc)
	if len(h.ts) <= len(p.tsBuf) {
		p.tsLen = copy(p.tsBuf[:], h.ts)
		p.tsYear = h.year
		p.tsTime = t
	}
	return t
}

// zone returns a fixed zone for an offset, cached so that stamps with a
// numeric offset do not allocate a Location each.
func (p *Parser) zone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	if z, ok := p.zones[off]; ok {
		return z
	}
	z := time.FixedZone("", off)
	if len(p.zones) < 64 {
		p.zones[off] = z
	}
	return z
}

// month returns 1-12 for an English month abbreviation, 0 otherwise.
func month(b []byte) int {
	switch uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]) {
	case 'J'<<16 | 'a'<<8 | 'n':
		return 1
	case 'F'<<16 | 'e'<<8 | 'b':
		return 2
	case 'M'<<16 | 'a'<<8 | 'r':
		return 3
	case 'A'<<16 | 'p'<<8 | 'r':
		return 4
	case 'M'<<16 | 'a'<<8 | 'y':
		return 5
	case 'J'<<16 | 'u'<<8 | 'n':
		return 6
	case 'J'<<16 | 'u'<<8 | 'l':
		return 7
	case 'A'<<16 | 'u'<<8 | 'g':
		return 8
	case 'S'<<16 | 'e'<<8 | 'p':
		return 9
	case 'O'<<16 | 'c'<<8 | 't':
		return 10
	case 'N'<<16 | 'o'<<8 | 'v':
		return 11
	case 'D'<<16 | 'e'<<8 | 'c':
		return 12
	}
	return 0
}

// parseHeader splits a line into stamp, host, program[pid] and message.
func parseHeader(line []byte, h *header) bool {
	if len(line) < 16 {
		return false
	}
	switch c := line[0]; {
	case c == '<':
		return parse5424(line, h)
	case isDigit(c):
		n, ok := parseISO(line, h)
		if !ok {
			return false
		}
		h.tsKind = tsISO
		h.ts = line[:n]
		rest := line[n:]
		if line[10] == ' ' {
			// Exim's mainlog: no host, no tag.
			h.prog = eximProgram
			h.msg = eximPID(rest, h)
			return true
		}
		if len(rest) == 0 || rest[0] != ' ' {
			return false
		}
		return parseHostTag(rest[1:], h)
	default:
		n, ok := parseClassic(line, h)
		if !ok {
			return false
		}
		h.tsKind = tsClassic
		h.ts = line[:n]
		return parseHostTag(line[n+1:], h)
	}
}

// eximProgram names Exim's own mainlog lines, which carry no tag.
var eximProgram = []byte("exim")

// parseClassic reads "Mmm dd hh:mm:ss" (day space- or zero-padded, or not
// padded at all) and returns its length; a space must follow.
func parseClassic(b []byte, h *header) (int, bool) {
	m := month(b)
	if m == 0 || b[3] != ' ' {
		return 0, false
	}
	i := 4
	if b[i] == ' ' {
		i++
	}
	d := 0
	start := i
	for i < len(b) && isDigit(b[i]) && i-start < 2 {
		d = d*10 + int(b[i]-'0')
		i++
	}
	if i == start || d < 1 || d > 31 || i+9 > len(b) || b[i] != ' ' {
		return 0, false
	}
	sec, ok := clock(b[i+1:])
	if !ok {
		return 0, false
	}
	i += 9
	nsec, n := fraction(b[i:])
	i += n
	if i >= len(b) || b[i] != ' ' {
		return 0, false
	}
	h.month, h.day, h.sec, h.nsec = m, d, sec, nsec
	return i, true
}

// clock reads "hh:mm:ss" as seconds of the day.
func clock(b []byte) (int, bool) {
	if len(b) < 8 || b[2] != ':' || b[5] != ':' {
		return 0, false
	}
	hh, ok1 := num2(b[0:])
	mm, ok2 := num2(b[3:])
	ss, ok3 := num2(b[6:])
	if !ok1 || !ok2 || !ok3 || hh > 23 || mm > 59 || ss > 60 {
		return 0, false
	}
	return hh*3600 + mm*60 + ss, true
}

// fraction reads an optional ".ddd…" and returns nanoseconds and length.
func fraction(b []byte) (int, int) {
	if len(b) < 2 || b[0] != '.' || !isDigit(b[1]) {
		return 0, 0
	}
	ns, scale, i := 0, 100000000, 1
	for i < len(b) && isDigit(b[i]) {
		ns += int(b[i]-'0') * scale
		scale /= 10
		i++
	}
	return ns, i
}

func num2(b []byte) (int, bool) {
	if !isDigit(b[0]) || !isDigit(b[1]) {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}

// parseISO reads "YYYY-MM-DD[T ]hh:mm:ss[.frac][Z|±hh:mm|±hhmm]"; Exim's
// mainlog separates a zone by a space ("2026-11-22 10:15:01 +0100").
func parseISO(b []byte, h *header) (int, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ') {
		return 0, false
	}
	y1, ok1 := num2(b[0:])
	y2, ok2 := num2(b[2:])
	mo, ok3 := num2(b[5:])
	d, ok4 := num2(b[8:])
	sec, ok5 := clock(b[11:])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return 0, false
	}
	h.year, h.month, h.day, h.sec = y1*100+y2, mo, d, sec
	i := 19
	ns, n := fraction(b[i:])
	h.nsec = ns
	i += n
	z := b[i:]
	if b[10] == ' ' && len(z) >= 6 && z[0] == ' ' && (z[1] == '+' || z[1] == '-') {
		z = z[1:]
		i++
	}
	if len(z) > 0 && z[0] == 'Z' {
		h.hasZone = true
		return i + 1, true
	}
	if len(z) >= 5 && (z[0] == '+' || z[0] == '-') {
		hh, ok := num2(z[1:])
		j := 3
		if z[j] == ':' {
			j++
		}
		if !ok || len(z) < j+2 {
			return 0, false
		}
		mm, ok := num2(z[j:])
		if !ok || hh > 23 || mm > 59 {
			return 0, false
		}
		off := hh*3600 + mm*60
		if z[0] == '-' {
			off = -off
		}
		h.hasZone, h.offset = true, off
		return i + j + 2, true
	}
	return i, true
}

// eximPID strips Exim's optional " [pid]" and the separating space.
func eximPID(b []byte, h *header) []byte {
	if len(b) == 0 || b[0] != ' ' {
		return b
	}
	b = b[1:]
	if len(b) > 2 && b[0] == '[' {
		pid, n := number(b[1:])
		if n > 0 && 1+n < len(b) && b[1+n] == ']' {
			h.pid = pid
			b = b[2+n:]
			if len(b) > 0 && b[0] == ' ' {
				b = b[1:]
			}
		}
	}
	return b
}

// number reads up to 9 decimal digits.
func number[T string | []byte](b T) (int, int) {
	v, i := 0, 0
	for i < len(b) && i < 9 && isDigit(b[i]) {
		v = v*10 + int(b[i]-'0')
		i++
	}
	return v, i
}

// tagStop marks the bytes that end a syslog tag's program name.
var tagStop = [256]bool{'[': true, ':': true, ' ': true}

// parseHostTag reads "host program[pid]: message". Host and tag are short,
// so plain loops beat IndexByte's setup cost here.
func parseHostTag(b []byte, h *header) bool {
	sp := 0
	for sp < len(b) && b[sp] != ' ' {
		sp++
	}
	if sp == 0 || sp == len(b) {
		return false
	}
	h.host = b[:sp]
	b = b[sp+1:]
	i := 0
	if hasPrefix(b, "postfix/") {
		i = len("postfix/")
	}
	for i < len(b) && !tagStop[b[i]] {
		i++
	}
	if i == 0 || i == len(b) {
		return false
	}
	h.prog = b[:i]
	if b[i] == '[' {
		pid := 0
		i++
		for end := min(len(b), i+9); i < end && b[i]-'0' <= 9; i++ {
			pid = pid*10 + int(b[i]-'0')
		}
		if i >= len(b) || b[i] != ']' {
			return false
		}
		h.pid = pid
		i++
	}
	if i+1 >= len(b) || b[i] != ':' || b[i+1] != ' ' {
		return false
	}
	h.msg = b[i+2:]
	return true
}

// parse5424 reads "<PRI>1 STAMP HOST APP PROCID MSGID SD [MSG]".
func parse5424(b []byte, h *header) bool {
	i := bytes.IndexByte(b, '>')
	if i < 2 || i > 4 || i+3 > len(b) || b[i+1] != '1' || b[i+2] != ' ' {
		return false
	}
	b = b[i+3:]
	field := func() []byte {
		sp := bytes.IndexByte(b, ' ')
		if sp < 0 {
			f := b
			b = nil
			return f
		}
		f := b[:sp]
		b = b[sp+1:]
		return f
	}
	ts := field()
	if len(ts) == 1 && ts[0] == '-' {
		h.tsKind = tsNone
	} else {
		n, ok := parseISO(ts, h)
		if !ok || n != len(ts) || ts[10] != 'T' {
			return false
		}
		h.tsKind, h.ts = tsISO, ts
	}
	h.host = nilDash(field())
	h.prog = nilDash(field())
	if pid, n := number(b); n > 0 && n < len(b) && b[n] == ' ' {
		h.pid = pid
	}
	field() // PROCID
	field() // MSGID
	if len(b) == 0 || len(h.prog) == 0 {
		return false
	}
	if b[0] == '-' {
		b = b[1:]
	} else {
		n, ok := skipSD(b)
		if !ok {
			return false
		}
		b = b[n:]
	}
	if len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	h.msg = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	return true
}

func nilDash(f []byte) []byte {
	if len(f) == 1 && f[0] == '-' {
		return nil
	}
	return f
}

// skipSD returns the length of RFC 5424 structured data: one or more
// [id param="value"...] elements, values with \" \\ \] escapes.
func skipSD(b []byte) (int, bool) {
	i := 0
	for i < len(b) && b[i] == '[' {
		inQuote := false
		i++
		for ; i < len(b); i++ {
			c := b[i]
			if inQuote {
				if c == '\\' {
					i++
				} else if c == '"' {
					inQuote = false
				}
				continue
			}
			if c == '"' {
				inQuote = true
			} else if c == ']' {
				break
			}
		}
		if i >= len(b) {
			return 0, false
		}
		i++
	}
	return i, i > 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
