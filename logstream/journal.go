package logstream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// DefaultJournalUnits are the units read when JournalOptions.Units is empty.
// Debian runs Postfix as the instance postfix@-.service, which "postfix"
// alone does not match.
var DefaultJournalUnits = []string{"postfix@*", "postfix", "exim4"}

// JournalOptions says how Journal runs journalctl.
type JournalOptions struct {
	Command     string   // default "journalctl"
	Units       []string // default DefaultJournalUnits
	AfterCursor string   // resume after this entry (a saved Pos.Cursor)
	FromStart   bool     // without a cursor: every stored entry, not only new ones
}

// maxJournalEntry bounds one entry's JSON: MESSAGE as an array of byte
// values takes up to four bytes a byte.
const maxJournalEntry = 1 << 20

type journal struct {
	base
	cmd    *exec.Cmd
	cancel context.CancelFunc
	stderr tailBuffer
}

// Journal follows the systemd journal by running "journalctl -f -o json"
// and delivers each entry as a classic syslog line with an ISO stamp in UTC,
// "2026-11-29T16:00:01.123456+00:00 HOST IDENT[PID]: MESSAGE", which the log
// parsers read like a file's; control characters in MESSAGE are escaped as
// rsyslog does ("#012" for a newline). Pos.Cursor is the entry's cursor.
// Stop kills journalctl.
func Journal(opts JournalOptions) (Source, error) {
	args := append([]string{"-f", "-o", "json", "-q"}, unitArgs(opts.Units)...)
	switch {
	case opts.AfterCursor != "":
		// --no-tail: -f alone would limit the catch-up to 10 entries.
		args = append(args, "--after-cursor", opts.AfterCursor, "--no-tail")
	case opts.FromStart:
		args = append(args, "--no-tail")
	default:
		args = append(args, "-n", "0")
	}
	ctx, cancel := context.WithCancel(context.Background())
	j := &journal{base: newBase(), cmd: journalCommand(ctx, opts.Command, args), cancel: cancel}
	j.cmd.Stderr = &j.stderr
	stdout, err := j.cmd.StdoutPipe()
	if err == nil {
		err = j.cmd.Start()
	}
	if err != nil {
		cancel()
		return nil, err
	}
	go j.run(stdout)
	return j, nil
}

// journalCommand runs journalctl, killed when ctx ends.
func journalCommand(ctx context.Context, command string, args []string) *exec.Cmd {
	if command == "" {
		command = "journalctl"
	}
	cmd := exec.CommandContext(ctx, command, args...)
	killGroup(cmd)
	cmd.WaitDelay = time.Second
	return cmd
}

func unitArgs(units []string) []string {
	if len(units) == 0 {
		units = DefaultJournalUnits
	}
	var args []string
	for _, u := range units {
		args = append(args, "-u", u)
	}
	return args
}

func (j *journal) Stop() error {
	j.stopOnce.Do(func() { close(j.quit) }) // first: the kill is then no failure
	j.cancel()
	return j.base.Stop()
}

func (j *journal) run(stdout io.Reader) {
	defer close(j.done)
	defer close(j.out)
	sp := newSplitter(maxJournalEntry)
	ok := true
	emit := func(text []byte, cut bool, _ int64) {
		if !ok || cut {
			return // an entry cut short is no JSON: skipped
		}
		if l, good := journalLine(text); good {
			ok = j.send(l)
		}
	}
	buf := make([]byte, 64<<10)
	for ok {
		n, err := stdout.Read(buf)
		sp.write(buf[:n], emit)
		if err != nil {
			break
		}
	}
	// Only Stop ends the loop early, and it kills journalctl.
	if err := j.cmd.Wait(); err != nil && !j.stopped() {
		j.fail(fmt.Errorf("%s: %v: %s", j.cmd.Path, err, bytes.TrimSpace(j.stderr.b)))
	}
	j.cancel()
}

// tailBuffer keeps the last 4 KiB written to it: enough of journalctl's
// complaint for an error message.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4<<10 {
		t.b = t.b[len(t.b)-4<<10:]
	}
	return len(p), nil
}

// journalLine turns one entry of "journalctl -o json" into a syslog line.
func journalLine(entry []byte) (Line, bool) {
	var e map[string]json.RawMessage
	if json.Unmarshal(entry, &e) != nil {
		return Line{}, false
	}
	msg, ok := journalField(e["MESSAGE"])
	if !ok {
		return Line{}, false
	}
	usec, err := strconv.ParseInt(string(mustField(e["__REALTIME_TIMESTAMP"])), 10, 64)
	if err != nil {
		return Line{}, false
	}
	host := string(mustField(e["_HOSTNAME"]))
	if host == "" {
		host = "localhost"
	}
	ident := string(mustField(e["SYSLOG_IDENTIFIER"]))
	if ident == "" {
		ident = string(mustField(e["_COMM"]))
	}
	var b strings.Builder
	b.WriteString(time.UnixMicro(usec).UTC().Format("2006-01-02T15:04:05.000000-07:00"))
	b.WriteString(" " + host + " " + ident)
	if pid := mustField(e["_PID"]); len(pid) > 0 {
		b.WriteString("[" + string(pid) + "]")
	}
	b.WriteString(": ")
	escapeControl(&b, msg)
	text, cut := b.String(), false
	if len(text) > DefaultMaxLine {
		text, cut = text[:DefaultMaxLine], true
	}
	return Line{Text: text, Truncated: cut, Pos: Position{Cursor: string(mustField(e["__CURSOR"]))}}, true
}

// journalField decodes a field, which journal JSON writes as a string, or
// as an array of byte values when it is not valid UTF-8 or holds control
// characters.
func journalField(raw json.RawMessage) ([]byte, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, false
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return []byte(s), err == nil
	}
	var vals []int
	if json.Unmarshal(raw, &vals) != nil {
		return nil, false
	}
	bs := make([]byte, len(vals))
	for i, v := range vals {
		if v < 0 || v > 255 {
			return nil, false
		}
		bs[i] = byte(v)
	}
	return bs, true
}

func mustField(raw json.RawMessage) []byte {
	b, _ := journalField(raw)
	return b
}

// escapeControl writes msg with control characters as "#" and three octal
// digits, as rsyslog writes them to files: a line stays one line.
func escapeControl(b *strings.Builder, msg []byte) {
	for _, c := range msg {
		if c < 0x20 && c != '\t' || c == 0x7f {
			fmt.Fprintf(b, "#%03o", c)
			continue
		}
		b.WriteByte(c)
	}
}

// JournalHasUnits reports whether the journal holds any entry of the units
// (DefaultJournalUnits if none), so that a command can point to the journal
// where no log file is found.
func JournalHasUnits(ctx context.Context, command string, units []string) bool {
	out, err := journalCommand(ctx, command, append([]string{"-o", "json", "-q", "-n", "1"}, unitArgs(units)...)).Output()
	if err != nil {
		return false
	}
	for entry := range bytes.Lines(out) {
		if _, ok := journalLine(bytes.TrimSpace(entry)); ok {
			return true
		}
	}
	return false
}
