package mtalogtest

import (
	"bytes"
	"testing"
	"time"

	"hopcheck/parse/mtalog"
)

func TestGenPostfix(t *testing.T) {
	var a, b, c bytes.Buffer
	for _, x := range []struct {
		buf  *bytes.Buffer
		seed int64
	}{{&a, 7}, {&b, 7}, {&c, 8}} {
		if err := GenPostfix(x.buf, 20000, x.seed); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("same seed, different output")
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("different seeds, same output")
	}
	if n := bytes.Count(a.Bytes(), []byte("\n")); n != 20000 {
		t.Errorf("%d lines, want 20000", n)
	}

	// Every generated line is understood, and the mix has what the logs
	// command looks for.
	p := mtalog.NewParser(nil)
	p.Now = func() time.Time { return time.Date(2026, time.November, 25, 0, 0, 0, 0, time.UTC) }
	s := mtalog.NewScanner(&a, p)
	count := map[string]int{}
	for s.Scan() {
		ev := s.Event()
		count[ev.Kind.String()]++
		count["status "+ev.Status]++
	}
	if st := p.Stats(); st.Unknown != 0 || st.Lines != 20000 || st.Events == 0 || st.Skipped == 0 {
		t.Errorf("stats = %+v, want no unknown lines, some events and some skipped", st)
	}
	for _, k := range []string{"connect", "reject", "dns-warning", "delivered", "deferred", "bounced",
		"lost-connection", "queue", "pass", "dnsbl", "status 5.7.25", "status 4.7.23", "status 4.4.1"} {
		if count[k] == 0 {
			t.Errorf("no %q events in generated log (%v)", k, count)
		}
	}
}
