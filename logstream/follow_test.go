//go:build unix

package logstream

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// modes runs a test with inotify and with polling, in parallel: the tests
// mostly wait.
func modes(t *testing.T, test func(t *testing.T, poll bool)) {
	t.Parallel()
	for _, poll := range []bool{false, true} {
		t.Run(map[bool]string{false: "inotify", true: "poll"}[poll], func(t *testing.T) {
			t.Parallel()
			test(t, poll)
		})
	}
}

// numbered is line n as the writers below write it: a realistic Postfix
// line that carries its number.
func numbered(n int) string {
	return fmt.Sprintf("2026-11-29T16:%02d:%02d.%06d+00:00 mx1.example.test postfix/smtp[%d]: %07d: to=<user@provider.example>, relay=mx.provider.example[198.51.100.25]:25, status=sent",
		n/60000%60, n/1000%60, n%1000000, 4000+n%1000, n)
}

func lineNumber(t *testing.T, text string) int {
	t.Helper()
	i := strings.Index(text, "]: ")
	n, err := strconv.Atoi(text[i+3 : i+10])
	if i < 0 || err != nil {
		t.Fatalf("not a numbered line: %q", text)
	}
	return n
}

func appendLines(t *testing.T, path string, from, to int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	for n := from; n < to; n++ {
		b.WriteString(numbered(n) + "\n")
	}
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
}

// expect receives lines from..to-1, in order, and nothing else.
func expect(t *testing.T, src Source, from, to int) Line {
	t.Helper()
	var l Line
	for n := from; n < to; n++ {
		l = next(t, src)
		if got := lineNumber(t, l.Text); got != n {
			t.Fatalf("got line %d, want %d", got, n)
		}
	}
	return l
}

func follow(t *testing.T, path string, opts FollowOptions) Source {
	t.Helper()
	opts.Logger = func(msg string) { t.Log(msg) }
	src, err := Follow(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Stop() })
	return src
}

// settle gives the follower time to reach the end of the file and wait:
// the following step then tests the waiting, not the first read.
func settle() { time.Sleep(100 * time.Millisecond) }

func TestFollowStartsAtEnd(t *testing.T) {
	modes(t, func(t *testing.T, poll bool) {
		path := filepath.Join(t.TempDir(), "mail.log")
		appendLines(t, path, 0, 10)
		// A line being written when Follow starts is delivered whole.
		f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		defer f.Close()
		f.WriteString(numbered(10)[:30])
		src := follow(t, path, FollowOptions{Poll: poll})
		settle()
		f.WriteString(numbered(10)[30:] + "\n")
		appendLines(t, path, 11, 20)
		l := expect(t, src, 10, 20)
		if size := must(os.Stat(path)).Size(); l.Pos.Offset != size || l.Pos.Path != path {
			t.Fatalf("last position %+v, file has %d bytes", l.Pos, size)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestFollowFromStart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mail.log")
	appendLines(t, path, 0, 10)
	src := follow(t, path, FollowOptions{FromStart: true})
	expect(t, src, 0, 10)
	appendLines(t, path, 10, 20)
	expect(t, src, 10, 20)
}

func TestFollowPartialLine(t *testing.T) {
	modes(t, func(t *testing.T, poll bool) {
		path := filepath.Join(t.TempDir(), "mail.log")
		os.WriteFile(path, nil, 0o644)
		src := follow(t, path, FollowOptions{Poll: poll})
		settle()
		f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		defer f.Close()
		line := numbered(1)
		for i := 0; i < len(line); i += 60 {
			f.WriteString(line[i:min(i+60, len(line))])
			none(t, src, checkEvery+50*time.Millisecond) // held, over more than one poll
		}
		f.WriteString("\r\n")
		if l := next(t, src); l.Text != line || l.Pos.Offset != int64(len(line)+2) {
			t.Fatalf("got %q at %d", l.Text, l.Pos.Offset)
		}
		none(t, src, checkEvery)
	})
}

func TestFollowLongLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mail.log")
	os.WriteFile(path, nil, 0o644)
	src := follow(t, path, FollowOptions{MaxLine: 100})
	settle()
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(strings.Repeat("x", 5000) + "\n" + "ok\r\n")
	f.Close()
	if l := next(t, src); l.Text != strings.Repeat("x", 100) || !l.Truncated || l.Pos.Offset != 5001 {
		t.Fatalf("got %d bytes, truncated %v, at %d", len(l.Text), l.Truncated, l.Pos.Offset)
	}
	if l := next(t, src); l.Text != "ok" || l.Truncated {
		t.Fatalf("the next line: %q, truncated %v", l.Text, l.Truncated)
	}
}

func TestFollowRenameCreate(t *testing.T) {
	modes(t, func(t *testing.T, poll bool) {
		path := filepath.Join(t.TempDir(), "mail.log")
		appendLines(t, path, 0, 10)
		src := follow(t, path, FollowOptions{Poll: poll})
		settle()
		appendLines(t, path, 10, 20)
		expect(t, src, 10, 20)
		// Lines written just before the rename, and after it by a writer
		// that has not reopened yet, are read from the rotated file.
		appendLines(t, path, 20, 30)
		if err := os.Rename(path, path+".1"); err != nil {
			t.Fatal(err)
		}
		appendLines(t, path+".1", 30, 40)
		appendLines(t, path, 40, 50)
		expect(t, src, 20, 50)
		appendLines(t, path, 50, 60)
		expect(t, src, 50, 60)
		if st := src.Stats(); st.Rotations != 1 || st.Lines != 50 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestFollowCopyTruncate(t *testing.T) {
	modes(t, func(t *testing.T, poll bool) {
		path := filepath.Join(t.TempDir(), "mail.log")
		os.WriteFile(path, nil, 0o644)
		src := follow(t, path, FollowOptions{Poll: poll})
		settle()
		appendLines(t, path, 0, 100)
		expect(t, src, 0, 100)
		settle()
		// logrotate's copytruncate: copy, then truncate in place.
		if err := os.WriteFile(path+".1", must(os.ReadFile(path)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(path, 0); err != nil {
			t.Fatal(err)
		}
		appendLines(t, path, 100, 110)
		l := expect(t, src, 100, 110)
		if l.Pos.Offset != must(os.Stat(path)).Size() {
			t.Fatalf("position %d after a truncation, file has %d bytes", l.Pos.Offset, must(os.Stat(path)).Size())
		}
		appendLines(t, path, 110, 120)
		expect(t, src, 110, 120)
		if st := src.Stats(); st.Truncations != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestFollowTruncate(t *testing.T) {
	modes(t, func(t *testing.T, poll bool) {
		path := filepath.Join(t.TempDir(), "mail.log")
		appendLines(t, path, 0, 50)
		src := follow(t, path, FollowOptions{Poll: poll, FromStart: true})
		expect(t, src, 0, 50)
		settle()
		// Emptied and written again, shorter than before.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(numbered(50) + "\n")
		f.Close()
		expect(t, src, 50, 51)
		appendLines(t, path, 51, 60)
		expect(t, src, 51, 60)
	})
}

func TestFollowDeleteRecreate(t *testing.T) {
	modes(t, func(t *testing.T, poll bool) {
		path := filepath.Join(t.TempDir(), "mail.log")
		appendLines(t, path, 0, 10)
		src := follow(t, path, FollowOptions{Poll: poll, FromStart: true})
		expect(t, src, 0, 10)
		settle()
		// Written and deleted at once: still read from the open file.
		appendLines(t, path, 10, 20)
		os.Remove(path)
		appendLines(t, path, 20, 30)
		expect(t, src, 10, 30)
		// Deleted, and some time passes before the new file.
		os.Remove(path)
		settle()
		appendLines(t, path, 30, 40)
		expect(t, src, 30, 40)
	})
}

func TestFollowWaitsForFile(t *testing.T) {
	modes(t, func(t *testing.T, poll bool) {
		path := filepath.Join(t.TempDir(), "mail.log")
		src := follow(t, path, FollowOptions{Poll: poll})
		settle()
		appendLines(t, path, 0, 10) // a new file is read from its start
		expect(t, src, 0, 10)
		appendLines(t, path, 10, 20)
		expect(t, src, 10, 20)
	})
}

func TestFollowReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mail.log")
	src := follow(t, path, FollowOptions{})
	appendLines(t, path, 0, 10)
	expect(t, src, 0, 10)
	src.Reopen()
	appendLines(t, path, 10, 20)
	src.Reopen()
	expect(t, src, 10, 20)
	none(t, src, checkEvery)
}

func TestFollowResumeRotatedWhileDown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "mail.log")
	state := filepath.Join(dir, "tail.state")
	appendLines(t, path, 0, 10)
	src := follow(t, path, FollowOptions{FromStart: true})
	l := expect(t, src, 0, 5) // stopped with lines 5..9 not yet handled
	if err := SaveState(state, l.Pos); err != nil {
		t.Fatal(err)
	}
	src.Stop()
	// Down for two rotations, numbered the logrotate way.
	appendLines(t, path, 10, 20)
	os.Rename(path, path+".1")
	appendLines(t, path, 20, 30)
	os.Rename(path+".1", path+".2")
	time.Sleep(20 * time.Millisecond) // modification times apart, as rotations are
	os.Rename(path, path+".1")
	appendLines(t, path, 30, 40)
	var pos Position
	if err := LoadState(state, &pos); err != nil {
		t.Fatal(err)
	}
	src = follow(t, path, FollowOptions{Resume: &pos})
	expect(t, src, 5, 40)
	none(t, src, checkEvery)
	if st := src.Stats(); st.Rotations != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestFollowResumeSameFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mail.log")
	appendLines(t, path, 0, 10)
	src := follow(t, path, FollowOptions{FromStart: true})
	l := expect(t, src, 0, 3)
	src.Stop()
	appendLines(t, path, 10, 20)
	src = follow(t, path, FollowOptions{Resume: &l.Pos})
	expect(t, src, 3, 20)
	// A position for another path is not used: start at the end.
	other := l.Pos
	other.Path += ".other"
	src = follow(t, path, FollowOptions{Resume: &other})
	settle()
	appendLines(t, path, 20, 21)
	expect(t, src, 20, 21)
}

// rotatingWriter appends lines from..to-1 to path, renaming it every
// `every` lines as logrotate's dateext does (mail.log-0001, ...) and
// creating a new one.
func rotatingWriter(t *testing.T, path string, from, to, every int) <-chan error {
	errc := make(chan error, 1)
	go func() {
		errc <- func() error {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(f)
			for n := from; n < to; n++ {
				if n > from && n%every == 0 {
					if err := w.Flush(); err != nil {
						return err
					}
					f.Close()
					if err := os.Rename(path, fmt.Sprintf("%s-%04d", path, n/every)); err != nil {
						return err
					}
					if f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err != nil {
						return err
					}
					w.Reset(f)
				}
				w.WriteString(numbered(n) + "\n")
				// Flushed in bursts, with a pause now and then, like a busy
				// MTA: a rotated file then spans more than one clock tick.
				if n%100 == 99 {
					if err := w.Flush(); err != nil {
						return err
					}
					time.Sleep(time.Millisecond)
				}
			}
			if err := w.Flush(); err != nil {
				return err
			}
			return f.Close()
		}()
	}()
	return errc
}

// receiveNumbered receives lines until `to` or stop, checking that each is
// the next number.
func receiveNumbered(t *testing.T, src Source, from, to int, deadline time.Duration) (last Line, n int) {
	t.Helper()
	timeout := time.After(deadline)
	n = from
	for n < to {
		select {
		case l, ok := <-src.Lines():
			if !ok {
				t.Fatalf("source ended at line %d", n)
			}
			if got := lineNumber(t, l.Text); got != n {
				t.Fatalf("got line %d, want %d: lost or delivered twice", got, n)
			}
			last = l
			n++
		case <-timeout:
			t.Fatalf("only up to line %d of %d after %v", n, to, deadline)
		}
	}
	return last, n
}

func TestFollowManyRotations(t *testing.T) {
	modes(t, func(t *testing.T, poll bool) {
		path := filepath.Join(t.TempDir(), "mail.log")
		os.WriteFile(path, nil, 0o644)
		src := follow(t, path, FollowOptions{Poll: poll})
		settle()
		errc := rotatingWriter(t, path, 0, 100_000, 1000)
		receiveNumbered(t, src, 0, 100_000, 60*time.Second)
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		none(t, src, checkEvery)
		st := src.Stats()
		t.Logf("stats %+v", st)
		if st.Rotations != 99 || st.Lines != 100_000 || st.ReopenErrors != 0 {
			t.Fatalf("stats %+v, want 99 rotations", st)
		}
	})
}

// TestFollowRestartDuringRotations stops the follower in the middle of a
// rotating writer's run, saves its last position, lets the writer rotate
// on while no one reads, and resumes: the two runs together deliver every
// line once.
func TestFollowRestartDuringRotations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "mail.log")
	state := filepath.Join(dir, "tail.state")
	os.WriteFile(path, nil, 0o644)
	src := follow(t, path, FollowOptions{})
	settle()
	errc := rotatingWriter(t, path, 0, 100_000, 1000)
	last, n := receiveNumbered(t, src, 0, 40_000, 60*time.Second)
	if err := src.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := SaveState(state, last.Pos); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // rotations happen while down
	var pos Position
	if err := LoadState(state, &pos); err != nil {
		t.Fatal(err)
	}
	src = follow(t, path, FollowOptions{Resume: &pos})
	receiveNumbered(t, src, n, 100_000, 60*time.Second)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	none(t, src, checkEvery)
}

// BenchmarkFollow measures the lines a second that Follow delivers from a
// file written ahead of it.
func BenchmarkFollow(b *testing.B) {
	path := filepath.Join(b.TempDir(), "mail.log")
	var buf strings.Builder
	for n := range b.N {
		buf.WriteString(numbered(n) + "\n")
	}
	if err := os.WriteFile(path, []byte(buf.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	src, err := Follow(path, FollowOptions{FromStart: true})
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		<-src.Lines()
	}
	b.StopTimer()
	src.Stop()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	b.SetBytes(int64(buf.Len() / b.N))
}

func TestRotatedName(t *testing.T) {
	for name, want := range map[string]bool{
		"mail.log.1":                   true,
		"mail.log.12":                  true,
		"mail.log-20261129":            true,
		"mail.log-20261129-1795968000": true,
		"mail.log.2026-11-29":          true,
		"mail.log.2.gz":                false,
		"mail.log-20261129.xz":         false,
		"mail.log":                     false,
		"mail.log.state":               false,
		"mail.log.bak":                 false,
		"mail.logger.1":                false,
		"mail.log.":                    false,
	} {
		if got := rotatedName(name, "mail.log"); got != want {
			t.Errorf("%s: got %v", name, got)
		}
	}
}
