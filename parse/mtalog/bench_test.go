package mtalog

import (
	"bytes"
	"testing"
	"time"

	"hopcheck/parse/mtalog/mtalogtest"
)

var benchRef = time.Date(2026, time.November, 25, 0, 0, 0, 0, time.UTC)

// benchParser reads generated logs, which start on Nov 22 2026, in UTC.
func benchParser() *Parser {
	p := NewParser(time.UTC)
	p.Now = fixedClock(benchRef)
	return p
}

func genLines(tb testing.TB, n int) [][]byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := mtalogtest.GenPostfix(&buf, n, 1); err != nil {
		tb.Fatal(err)
	}
	return bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
}

// BenchmarkParser parses 100k generated Postfix lines per iteration.
func BenchmarkParser(b *testing.B) {
	lines := genLines(b, 100000)
	var size int
	for _, l := range lines {
		size += len(l) + 1
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	events := 0
	for b.Loop() {
		p := benchParser()
		for _, l := range lines {
			if _, ok := p.Parse(l); ok {
				events++
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/line")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}

// BenchmarkScanner adds line splitting from a reader to BenchmarkParser.
func BenchmarkScanner(b *testing.B) {
	var buf bytes.Buffer
	if err := mtalogtest.GenPostfix(&buf, 100000, 1); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s := NewScanner(bytes.NewReader(data), benchParser())
		for s.Scan() {
		}
		if err := s.Err(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100000), "ns/line")
}

// BenchmarkSkipped measures lines that Parse turns away.
func BenchmarkSkipped(b *testing.B) {
	line := []byte("Nov 22 10:15:01 mx1 postfix/smtpd[51018]: disconnect from unknown[198.51.100.10] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7")
	p := benchParser()
	b.ReportAllocs()
	for b.Loop() {
		p.Parse(line)
	}
}

// BenchmarkLineKinds measures single lines of each common shape.
func BenchmarkLineKinds(b *testing.B) {
	for _, c := range []struct{ name, line string }{
		{"postfix-connect-unknown", "Nov 22 00:00:01 mx1 postfix/smtpd[51018]: connect from unknown[198.51.100.144]"},
		{"postfix-client", "Nov 22 00:00:01 mx1 postfix/smtpd[51018]: A5042FFAD4: client=mail3.sender25.example[198.51.100.144]"},
		{"postfix-qmgr-from", "Nov 22 00:00:02 mx1 postfix/qmgr[812]: A5042FFAD4: from=<user359@sender255.example>, size=12106, nrcpt=1 (queue active)"},
		{"postfix-sent", "Nov 22 00:00:02 mx1 postfix/smtp[9095]: A5042FFAD4: to=<rcpt1@gmail.com>, relay=gmail-smtp-in.l.google.com[198.51.100.27]:25, delay=0.5, delays=0.05/0.01/0.01/0.1, dsn=2.0.0, status=sent (250 2.0.0 OK  1763800000 a1b2c3d4e5f6.1 - gsmtp)"},
		{"postfix-reject", "Nov 22 00:00:03 mx1 postfix/smtpd[50481]: NOQUEUE: reject: RCPT from unknown[198.51.100.104]: 450 4.7.25 Client host rejected: cannot find your hostname, [198.51.100.104]; from=<user509@sender469.example> to=<postmaster@example.test> proto=ESMTP helo=<mail77.example>"},
		{"postfix-removed", "Nov 22 00:00:02 mx1 postfix/qmgr[812]: A5042FFAD4: removed"},
		{"exim-bounce", "2026-11-22 10:18:03 1vMkr0-000000004Qn-3Zbc ** carol@gmail.com R=dnslookup T=remote_smtp H=gmail-smtp-in.l.google.com [198.51.100.27] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes: SMTP error from remote mail server after end of data: 550-5.7.25 [203.0.113.10] The IP address sending this message does not have a PTR record"},
		{"sendmail-deferred", "Nov 22 10:18:04 mx3 sm-mta[4010]: 5AM9I0kL004008: to=<dave@gmail.com>, delay=00:00:04, xdelay=00:00:01, mailer=esmtp, pri=121822, relay=alt1.gmail-smtp-in.l.google.com. [198.51.100.28], dsn=4.7.23, stat=Deferred: 421-4.7.23 The sending IP does not match the PTR record."},
	} {
		line := []byte(c.line)
		b.Run(c.name, func(b *testing.B) {
			p := benchParser()
			b.ReportAllocs()
			for b.Loop() {
				p.Parse(line)
			}
		})
	}
}

// BenchmarkParserRefusals is what a log scan asks of the parser: every
// line of 100k generated ones through ParseTo with RefusalsOnly and
// Borrow, an event built only for refusals.
func BenchmarkParserRefusals(b *testing.B) {
	lines := genLines(b, 100000)
	var size int
	for _, l := range lines {
		size += len(l) + 1
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	events := 0
	for b.Loop() {
		p := benchParser()
		p.RefusalsOnly, p.Borrow = true, true
		var ev Event
		for _, l := range lines {
			if p.ParseTo(l, &ev) {
				events++
				ev = Event{}
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/line")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}
