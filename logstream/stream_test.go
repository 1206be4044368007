package logstream

import (
	"errors"
	"io"
	"testing"
	"time"
)

// next receives a line or fails after a generous deadline.
func next(t *testing.T, src Source) Line {
	t.Helper()
	select {
	case l, ok := <-src.Lines():
		if !ok {
			t.Fatal("source ended early")
		}
		return l
	case <-time.After(10 * time.Second):
		t.Fatal("no line within 10s")
	}
	return Line{}
}

// none checks that no line comes for a while: a line held back stays held.
func none(t *testing.T, src Source, d time.Duration) {
	t.Helper()
	select {
	case l, ok := <-src.Lines():
		if ok {
			t.Fatalf("unexpected line %q", l.Text)
		}
	case <-time.After(d):
	}
}

func TestStream(t *testing.T) {
	t.Parallel()
	r, w := io.Pipe()
	src := Stream(r)
	defer src.Stop()
	w.Write([]byte("2026-11-29T16:00:01.000000+00:00 mx1 postfix/smtpd[4243]: connect from unk"))
	none(t, src, 200*time.Millisecond)
	w.Write([]byte("nown[203.0.113.9]\r\n2026-11-29T16:00:02.000000+00:00 mx1 postfix/smtpd[4243]: "))
	l := next(t, src)
	if l.Text != "2026-11-29T16:00:01.000000+00:00 mx1 postfix/smtpd[4243]: connect from unknown[203.0.113.9]" || l.Pos.Offset != 93 {
		t.Fatalf("got %q at %d", l.Text, l.Pos.Offset)
	}
	none(t, src, 200*time.Millisecond)
	w.Write([]byte("disconnect from unknown[203.0.113.9]"))
	w.Close() // the last line, without "\n", comes at the end of input
	if l := next(t, src); l.Text != "2026-11-29T16:00:02.000000+00:00 mx1 postfix/smtpd[4243]: disconnect from unknown[203.0.113.9]" {
		t.Fatalf("got %q", l.Text)
	}
	if _, ok := <-src.Lines(); ok {
		t.Fatal("source not closed at the end of input")
	}
	if err := src.Stop(); err != nil {
		t.Fatal(err)
	}
	if st := src.Stats(); st.Lines != 2 || st.LastLine.IsZero() {
		t.Fatalf("stats %+v", st)
	}
}

func TestStreamStopAndError(t *testing.T) {
	t.Parallel()
	r, w := io.Pipe()
	src := Stream(r)
	w.Write([]byte(logB))
	next(t, src)
	// Stop does not wait for the Read that blocks.
	done := make(chan error)
	go func() { done <- src.Stop() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop blocked")
	}
	for range src.Lines() {
	}
	w.Close()

	r, w = io.Pipe()
	src = Stream(r)
	boom := errors.New("boom")
	w.CloseWithError(boom)
	for range src.Lines() {
	}
	if err := src.Stop(); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the read error", err)
	}
}
