package mtalog

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

const connectLine = "Nov 22 10:15:01 mx1 postfix/smtpd[1]: connect from unknown[192.0.2.1]"

// rejectOfLen returns a Postfix reject line of exactly n bytes.
func rejectOfLen(t *testing.T, n int) string {
	t.Helper()
	head := "Nov 22 10:15:02 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.2]: 550 5.7.1 "
	tail := "; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<b.example>"
	if n < len(head)+len(tail) {
		t.Fatalf("line length %d too short", n)
	}
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}

func TestScannerLineBounds(t *testing.T) {
	p := testParser()
	p.MaxLine = 4096
	input := strings.Join([]string{
		connectLine,
		rejectOfLen(t, 4096),            // exactly MaxLine: parsed
		rejectOfLen(t, 4097),            // one byte over: too long
		strings.Repeat("\x00\xff", 1e5), // long garbage: too long
		"",
		connectLine + "\r", // CRLF
		connectLine,        // no final newline
	}, "\n")
	s := NewScanner(strings.NewReader(input), p)
	var lines []int
	var kinds []Kind
	for s.Scan() {
		lines = append(lines, s.Event().Line)
		kinds = append(kinds, s.Event().Kind)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	wantLines := []int{1, 2, 6, 7}
	wantKinds := []Kind{Connect, Reject, Connect, Connect}
	if !equalSlices(lines, wantLines) || !equalSlices(kinds, wantKinds) {
		t.Errorf("events at lines %v kinds %v, want %v %v", lines, kinds, wantLines, wantKinds)
	}
	want := Stats{Lines: 7, Events: 4, Unknown: 1, TooLong: 2}
	if st := p.Stats(); st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
}

func equalSlices[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// patternReader yields n bytes of a repeating pattern without holding them.
type patternReader struct {
	pat []byte
	n   int
}

func (r *patternReader) Read(b []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := min(len(b), r.n)
	for i := range k {
		b[i] = r.pat[i%len(r.pat)]
	}
	r.pat = append(r.pat[k%len(r.pat):], r.pat[:k%len(r.pat)]...)
	r.n -= k
	return k, nil
}

// scanAlloc returns the bytes allocated while scanning a single line of
// size bytes followed by one ordinary line, and checks that line survives.
func scanAlloc(t *testing.T, size int) uint64 {
	t.Helper()
	r := io.MultiReader(
		&patternReader{pat: []byte("Nov 22 10:15:01 mx1 postfix/smtp[1]: 4F0A1B2C3D: to=<a@b.example>, relay=x[192.0.2.1]:25, dsn=5.7.1, status=bounced ("), n: size},
		strings.NewReader("\n"+connectLine+"\n"))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p := testParser()
	s := NewScanner(r, p)
	n := 0
	for s.Scan() {
		n++
	}
	runtime.ReadMemStats(&after)
	if s.Err() != nil || n != 1 || p.Stats().TooLong != 1 {
		t.Fatalf("size %d: events %d, stats %+v, err %v", size, n, p.Stats(), s.Err())
	}
	return after.TotalAlloc - before.TotalAlloc
}

func TestScannerMemoryBounded(t *testing.T) {
	small := scanAlloc(t, 1<<20)
	large := scanAlloc(t, 10<<20)
	t.Logf("allocated %d bytes for a 1 MiB line, %d for a 10 MiB line", small, large)
	// The buffer is MaxLine (64 KiB) plus the parser's tables: the 10 MiB
	// line must cost no more than the 1 MiB one, and far less than itself.
	const limit = 512 << 10
	if large > limit || small > limit {
		t.Errorf("allocated %d (1 MiB line) and %d (10 MiB line) bytes, want ≤ %d each", small, large, limit)
	}
}

func TestParseTooLongAllocatesNothing(t *testing.T) {
	line := bytes.Repeat([]byte("x"), 10<<20)
	copy(line, connectLine)
	p := testParser()
	if allocs := testing.AllocsPerRun(10, func() { p.Parse(line) }); allocs != 0 {
		t.Errorf("Parse of a 10 MiB line allocated %v times, want 0", allocs)
	}
	if st := p.Stats(); st.TooLong != st.Lines || st.Lines == 0 {
		t.Errorf("stats = %+v, want every line too long", st)
	}
}

// TestParseAllocs pins the allocation budget: none for skipped lines and
// address-only events, one string for any other event.
func TestParseAllocs(t *testing.T) {
	p := testParser()
	for _, c := range []struct {
		line   string
		allocs float64
	}{
		{"Nov 22 10:15:01 mx1 postfix/smtpd[51018]: disconnect from unknown[198.51.100.10] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7", 0},
		{"Nov 22 10:15:01 mx1 postfix/qmgr[812]: 4F0A1B2C3D: removed", 0},
		{"Nov 22 10:15:01 mx1 postfix/smtpd[1]: Anonymous TLS connection established from unknown[192.0.2.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)", 0},
		{"Nov 22 10:15:01 mx1 postfix/smtpd[1310]: warning: TLS library problem: error:0A000126:SSL routines::unexpected eof while reading", 0},
		{"Nov 22 10:15:01 mx1 dovecot: imap-login: Login: user=<bob@example.test>, method=PLAIN, rip=192.0.2.99", 0},
		{"2026-11-22 10:15:02 1vMkqb-000000004Qm-2Yab Completed", 0},
		{"2026-11-22 10:16:15 H=(bulk.example) [203.0.113.66]:50004 incomplete transaction (RSET) from <spam@bulk.example>", 0},
		{"Nov 22 10:18:08 mx3 sm-mta[4014]: 5AM9I0kL004008: 5AM9I8mN004014: DSN: User unknown", 0},
		{"Nov 22 10:15:01 mx1 postfix/smtpd[1]: connect from unknown[192.0.2.1]", 0},
		{"Nov 22 10:15:01 mx1 postfix/postscreen[1]: DNSBL rank 3 for [192.0.2.1]:50612", 0},
		{"Nov 22 10:15:01 mx1 postfix/smtpd[1]: connect from mail.sender.example[192.0.2.10]", 1},
		{"Nov 22 10:15:01 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.1]; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<b.example>", 1},
		{"Nov 22 10:15:01 mx1 postfix/smtp[1]: 4F0A1B2C3D: to=<c@gmail.com>, relay=gmail-smtp-in.l.google.com[198.51.100.27]:25, delay=2.9, delays=0.02/0.01/1.1/1.8, dsn=5.7.25, status=bounced (host gmail-smtp-in.l.google.com[198.51.100.27] said: 550-5.7.25 no PTR (in reply to end of DATA command))", 1},
		{"2026-11-22 10:18:04 1vMkr0-000000004Qn-3Zbc == d@gmail.com R=dnslookup T=remote_smtp defer (-44) H=alt1.gmail-smtp-in.l.google.com [2001:db8:4860::1b]: SMTP error from remote mail server after RCPT TO:<d@gmail.com>: 421-4.7.23 PTR mismatch", 1},
		{"Nov 22 10:16:11 mx3 sm-mta[4003]: 5AM9GBcD004003: ruleset=check_rcpt, arg1=<b@example.test>, relay=host-7.dyn.isp.example [198.51.100.7] (may be forged), reject=550 5.7.1 <b@example.test>... Relaying denied", 1},
	} {
		line := []byte(c.line)
		if allocs := testing.AllocsPerRun(100, func() { p.Parse(line) }); allocs != c.allocs {
			t.Errorf("%.60q…: %v allocs, want %v", c.line, allocs, c.allocs)
		}
	}
}

type failingReader struct{ n int }

var errRead = errors.New("disk on fire")

func (r *failingReader) Read(b []byte) (int, error) {
	if r.n > 0 {
		r.n = 0
		return copy(b, connectLine+"\n"), nil
	}
	return 0, errRead
}

func TestScannerReadError(t *testing.T) {
	s := NewScanner(&failingReader{n: 1}, testParser())
	n := 0
	for s.Scan() {
		n++
	}
	if n != 1 || !errors.Is(s.Err(), errRead) {
		t.Errorf("events %d, err %v; want 1 event and %v", n, s.Err(), errRead)
	}
}

func TestParserDefaults(t *testing.T) {
	p := NewParser(nil)
	ev, ok := p.Parse([]byte(connectLine))
	if !ok {
		t.Fatal("connect line not parsed")
	}
	now := time.Now()
	if ev.Time.Location() != time.Local || ev.Time.After(now.Add(24*time.Hour)) || ev.Time.Before(now.AddDate(-1, 0, -1)) {
		t.Errorf("time %v: want within the year before now, in time.Local", ev.Time)
	}
}

func TestEnums(t *testing.T) {
	check := func(name string, s string, marshal func() ([]byte, error), unmarshal func([]byte) error, again func() string) {
		t.Helper()
		b, err := marshal()
		if err != nil || string(b) != s {
			t.Errorf("%s: MarshalText = %q, %v; want %q", name, b, err, s)
		}
		if err := unmarshal(b); err != nil || again() != s {
			t.Errorf("%s: UnmarshalText(%q) = %v, round trip %q", name, b, err, again())
		}
	}
	for d := NoDialect; d <= Sendmail; d++ {
		var back Dialect
		check("dialect", d.String(), d.MarshalText, back.UnmarshalText, func() string { return back.String() })
	}
	for d := NoDirection; d <= Outbound; d++ {
		var back Direction
		check("direction", d.String(), d.MarshalText, back.UnmarshalText, func() string { return back.String() })
	}
	for k := NoKind; k <= DNSBL; k++ {
		var back Kind
		check("kind", k.String(), k.MarshalText, back.UnmarshalText, func() string { return back.String() })
	}
	if Kind(200).String() != "200" || DNSWarning.String() != "dns-warning" || Exim.String() != "exim" || Inbound.String() != "inbound" {
		t.Error("unexpected String values")
	}
	var k Kind
	if err := k.UnmarshalText([]byte("nonsense")); err == nil {
		t.Error("UnmarshalText accepted an unknown kind")
	}
}
