package mtalog

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds single lines of every dialect and stamp format to Parse.
// Besides not panicking, an event must be complete, its strings must come
// from the line, and it must not change when the caller reuses the line's
// buffer.
func FuzzParse(f *testing.F) {
	logs, _ := filepath.Glob(filepath.Join(logsDir, "*.log"))
	for _, path := range logs {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range bytes.Split(b, []byte("\n")) {
			f.Add(l)
		}
	}
	for _, nasty := range []string{
		"", "<", "<1>1 ", "<22>1 2026-11-22T10:15:01Z h p 1 - [a b=\"\\", "Nov 22 10:15:01 h p[: x",
		"Nov 22 10:15:01 h postfix/smtpd[1]: NOQUEUE: reject: RCPT from [",
		"Nov 22 10:15:01 h postfix/smtp[1]: 4F0A1B2C3D: to=<, relay=, dsn=, status=",
		"Nov 22 10:15:01 h postfix/smtpd[1]: warning: hostname  does not resolve to address ",
		"2026-11-22 10:15:01 1abcDE-000123-4X ** a R=x H=(",
		"2026-11-22 10:15:01 H=( [ rejected ",
		"2026-11-22 10:15:01 +9999 [99999999999999] x",
		"Nov 22 10:15:01 h sm-mta[1]: ruleset=x, relay=[, reject=",
		"Nov 22 10:15:01 h sm-mta[1]: lost input channel from ",
		"Dec 31 23:59:60.999999999999 h exim[1]: no host name found for IP address ::ffff:192.0.2.1%eth0",
	} {
		f.Add([]byte(nasty))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		// RefusalsOnly returns exactly the refusals of a full parse.
		only := testParser()
		only.RefusalsOnly = true
		oev, ook := only.Parse(bytes.Clone(line))
		p := testParser()
		ev, ok := p.Parse(line)
		refusal := ok && (ev.Kind == Reject || ev.Kind == DNSWarning || ev.Kind == Bounced || ev.Kind == Deferred || ev.Kind == Expired)
		if ook != refusal || ook && oev != ev {
			t.Fatalf("RefusalsOnly gave %v %+v; the full parse %v %+v", ook, oev, ok, ev)
		}
		// Borrow and ParseTo give the same event without copying the line.
		borrow := testParser()
		borrow.Borrow, borrow.RefusalsOnly = true, true
		var bev Event
		bline := bytes.Clone(line)
		if bok := borrow.ParseTo(bline, &bev); bok != ook || bev != oev {
			t.Fatalf("Borrow gave %v %+v; RefusalsOnly %v %+v", bok, bev, ook, oev)
		}
		st := p.Stats()
		if st.Lines != 1 || st.Events+st.Skipped+st.Unknown+st.TooLong != 1 || (st.Events == 1) != ok {
			t.Fatalf("stats %+v inconsistent with ok=%v", st, ok)
		}
		if !ok {
			return
		}
		if ev.Kind == NoKind || ev.Dialect == NoDialect {
			t.Fatalf("incomplete event %+v", ev)
		}
		program := ev.Program
		if ev.Host == "" && program == "exim" {
			program = "" // Exim's mainlog carries no tag; the parser names it
		}
		for _, s := range []string{ev.Host, program, ev.QueueID, ev.HELO, ev.From, ev.To,
			ev.MessageID, ev.Status, ev.Reply, ev.Delivery, ev.Relay} {
			if !bytes.Contains(line, []byte(s)) {
				t.Fatalf("field %q is not from the line", s)
			}
		}
		if n := ev.RemoteName; n != "" && !bytes.Contains(line, []byte(n)) {
			t.Fatalf("remote name %q is not from the line", n)
		}
		if ev.Code != 0 && (ev.Code < 200 || ev.Code > 599) {
			t.Fatalf("code %d", ev.Code)
		}
		before, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		for i := range line {
			line[i] = 'Z'
		}
		after, _ := json.Marshal(ev)
		if !bytes.Equal(before, after) {
			t.Fatalf("event changed when the line buffer was reused:\n%s\n%s", before, after)
		}
	})
}

// FuzzScanner checks line splitting and accounting with a small MaxLine:
// every line is counted once, and events carry their line numbers.
func FuzzScanner(f *testing.F) {
	logs, _ := filepath.Glob(filepath.Join(logsDir, "*.log"))
	for _, path := range logs {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(120))
	}
	f.Add([]byte("\n\n\r\n"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, max uint8) {
		p := testParser()
		p.MaxLine = int(max)
		s := NewScanner(bytes.NewReader(data), p)
		prev := 0
		for s.Scan() {
			ev := s.Event()
			if ev.Line <= prev {
				t.Fatalf("line numbers not increasing: %d after %d", ev.Line, prev)
			}
			prev = ev.Line
		}
		if s.Err() != nil {
			t.Fatal(s.Err())
		}
		lines := bytes.Count(data, []byte("\n"))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			lines++
		}
		st := p.Stats()
		if st.Lines != lines || st.Events+st.Skipped+st.Unknown+st.TooLong != lines || prev > lines {
			t.Fatalf("stats %+v for %d lines (last event at %d)", st, lines, prev)
		}
	})
}
