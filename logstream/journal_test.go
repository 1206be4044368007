//go:build unix

package logstream

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// standIn installs the stand-in journalctl of testdata as an executable
// (a checkout may lose the mode bit) and returns its path and the files it
// reports its arguments and process id to.
func standIn(t *testing.T) (cmd, args, pid string) {
	t.Helper()
	dir := t.TempDir()
	script, err := os.ReadFile("testdata/journalctl")
	if err != nil {
		t.Fatal(err)
	}
	cmd = filepath.Join(dir, "journalctl")
	if err := os.WriteFile(cmd, script, 0o755); err != nil {
		t.Fatal(err)
	}
	data, _ := filepath.Abs("testdata")
	args, pid = filepath.Join(dir, "args"), filepath.Join(dir, "pid")
	t.Setenv("JOURNALCTL_DATA", data)
	t.Setenv("JOURNALCTL_ARGS", args)
	t.Setenv("JOURNALCTL_PID", pid)
	t.Setenv("JOURNALCTL_FAIL", "")
	return cmd, args, pid
}

func readArgs(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

var (
	// Every entry of the default units in testdata/journal.json, in order.
	journalPast = []string{
		"2026-11-29T16:00:01.123456+00:00 mx1.example.test postfix/smtpd[4243]: connect from unknown[203.0.113.9]",
		"2026-11-29T16:00:01.456789+00:00 mx1.example.test postfix/smtpd[4243]: NOQUEUE: reject: RCPT from unknown[203.0.113.9]: 450 4.7.25 Client host rejected: cannot find your hostname, [203.0.113.9]; from=<news@shop.example> to=<ops@example.test> proto=ESMTP helo=<mail.shop.example>",
		"2026-11-29T16:00:03.250000+00:00 mx1.example.test postfix/smtp[4250]: 4F1A2B3C4D: to=<user@provider.example>, relay=mx.provider.example[198.51.100.25]:25, delay=1.2, delays=0.1/0/0.6/0.5, dsn=5.7.25, status=bounced (host mx.provider.example[198.51.100.25] said: 550 5.7.25 The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not point to the sending IP. (in reply to end of DATA command))",
		// MESSAGE as an array of bytes, not UTF-8 and with a newline.
		"2026-11-29T16:00:03.300000+00:00 mx1.example.test postfix/cleanup[4251]: 8A9B0C1D2E: warning: header Subject: caf\xe9#012menu from unknown[2001:db8::25]",
		"2026-11-29T16:00:04.000000+00:00 mx1.example.test exim[5120]: 1vXyZa-000Abc-1D ** user@other.example R=dnslookup T=remote_smtp H=mx.other.example [198.51.100.30]: SMTP error from remote mail server after pipelined MAIL FROM:<ops@example.test> SIZE=1830: 550 5.7.1 Client host [203.0.113.25] has no reverse DNS",
		"2026-11-29T16:00:05.000000+00:00 mx1.example.test postfix/qmgr[4000]: 4F1A2B3C4D: removed",
	}
	// The entries that appear while following, testdata/journal-live.json.
	journalLive = []string{
		"2026-11-29T16:00:06.654321+00:00 mx1.example.test postfix/smtp[4260]: 5E6F7A8B9C: to=<sales@provider.example>, relay=mx.provider.example[198.51.100.25]:25, delay=0.9, delays=0.1/0/0.4/0.4, dsn=4.7.25, status=deferred (host mx.provider.example[198.51.100.25] said: 450 4.7.25 Client host rejected: cannot find your reverse hostname, [203.0.113.25] (in reply to RCPT TO command))",
		"2026-11-29T16:00:07.000000+00:00 mx1.example.test postfix/smtpd[4243]: disconnect from unknown[203.0.113.9] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4",
	}
)

func journalLines(t *testing.T, src Source, n int) []Line {
	t.Helper()
	var got []Line
	for range n {
		got = append(got, next(t, src))
	}
	none(t, src, 100*time.Millisecond)
	return got
}

func texts(lines []Line) []string {
	var s []string
	for _, l := range lines {
		s = append(s, l.Text)
	}
	return s
}

func TestJournal(t *testing.T) {
	cmd, argsFile, pidFile := standIn(t)

	// From the start, default units: sshd's entry is left out.
	src, err := Journal(JournalOptions{Command: cmd, FromStart: true})
	if err != nil {
		t.Fatal(err)
	}
	got := journalLines(t, src, len(journalPast)+len(journalLive))
	if want := append(append([]string{}, journalPast...), journalLive...); strings.Join(texts(got), "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(texts(got), "\n"), strings.Join(want, "\n"))
	}
	if args := readArgs(t, argsFile); args != "-f -o json -q -u postfix@* -u postfix -u exim4 --no-tail" {
		t.Fatalf("arguments %q", args)
	}
	for _, l := range got {
		if !strings.HasPrefix(l.Pos.Cursor, "s=7f0f2f4c2bb24f1fa4d5b1e1c9b6c3a2;i=") {
			t.Fatalf("cursor %q", l.Pos.Cursor)
		}
	}
	stopKills(t, src, pidFile)

	// Resuming after the third entry delivered.
	src, err = Journal(JournalOptions{Command: cmd, AfterCursor: got[2].Pos.Cursor, Units: []string{"postfix@*"}})
	if err != nil {
		t.Fatal(err)
	}
	resumed := journalLines(t, src, 3)
	if want := []string{journalPast[3], journalLive[0], journalLive[1]}; strings.Join(texts(resumed), "\n") != strings.Join(want, "\n") {
		t.Fatalf("after cursor: got\n%s", strings.Join(texts(resumed), "\n"))
	}
	if args := readArgs(t, argsFile); args != "-f -o json -q -u postfix@* --after-cursor "+got[2].Pos.Cursor+" --no-tail" {
		t.Fatalf("arguments %q", args)
	}
	stopKills(t, src, pidFile)

	// By default only new entries.
	src, err = Journal(JournalOptions{Command: cmd})
	if err != nil {
		t.Fatal(err)
	}
	if live := journalLines(t, src, 2); strings.Join(texts(live), "\n") != strings.Join(journalLive, "\n") {
		t.Fatalf("new entries: got\n%s", strings.Join(texts(live), "\n"))
	}
	if args := readArgs(t, argsFile); !strings.HasSuffix(args, " -n 0") {
		t.Fatalf("arguments %q", args)
	}
	stopKills(t, src, pidFile)
}

// stopKills checks that Stop ends the child and closes Lines.
func stopKills(t *testing.T, src Source, pidFile string) {
	t.Helper()
	if err := src.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, ok := <-src.Lines(); ok {
		t.Fatal("lines after Stop")
	}
	b, _ := os.ReadFile(pidFile)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		t.Fatalf("journalctl (pid %d) still there after Stop: %v", pid, err)
	}
}

func TestJournalFails(t *testing.T) {
	cmd, _, _ := standIn(t)
	t.Setenv("JOURNALCTL_FAIL", "Failed to open journal: permission denied")
	src, err := Journal(JournalOptions{Command: cmd})
	if err != nil {
		t.Fatal(err)
	}
	for range src.Lines() {
	}
	if err := src.Stop(); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("got %v, want journalctl's complaint", err)
	}
	if _, err := Journal(JournalOptions{Command: filepath.Join(t.TempDir(), "none")}); err == nil {
		t.Fatal("a missing command started")
	}
}

func TestJournalHasUnits(t *testing.T) {
	cmd, argsFile, _ := standIn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if !JournalHasUnits(ctx, cmd, nil) {
		t.Fatal("default units not found")
	}
	if args := readArgs(t, argsFile); args != "-o json -q -n 1 -u postfix@* -u postfix -u exim4" {
		t.Fatalf("arguments %q", args)
	}
	if JournalHasUnits(ctx, cmd, []string{"sendmail"}) {
		t.Fatal("found a unit with no entries")
	}
	if JournalHasUnits(ctx, filepath.Join(t.TempDir(), "none"), nil) {
		t.Fatal("found units without journalctl")
	}
}

func TestJournalLine(t *testing.T) {
	for _, entry := range []string{
		`{"MESSAGE":null,"__REALTIME_TIMESTAMP":"1795968001123456"}`,
		`{"MESSAGE":"x","__REALTIME_TIMESTAMP":"soon"}`,
		`{"MESSAGE":[104,300],"__REALTIME_TIMESTAMP":"1795968001123456"}`,
		`{"MESSAGE":["a","b"],"__REALTIME_TIMESTAMP":"1795968001123456"}`,
		`not json`,
	} {
		if l, ok := journalLine([]byte(entry)); ok {
			t.Errorf("%s: got %q", entry, l.Text)
		}
	}
	l, ok := journalLine([]byte(`{"MESSAGE":"to=<a@b.example>\tok","__REALTIME_TIMESTAMP":"1795968001000000","_COMM":"master"}`))
	if want := "2026-11-29T16:00:01.000000+00:00 localhost master: to=<a@b.example>\tok"; !ok || l.Text != want {
		t.Fatalf("got %q, want %q", l.Text, want)
	}
}
