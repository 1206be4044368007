package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"hopcheck/analyze"
)

// TextOptions shape the terminal rendering.
type TextOptions struct {
	Color bool // ANSI colors; the caller decides (a TTY, and NO_COLOR unset)
	Width int  // wrap width; 80 when zero
}

// Text writes a message report for a person: the verdict first, then the
// path hop by hop (oldest first), then the findings on other hops.
func Text(w io.Writer, m *Message, opts TextOptions) error {
	t := newTextWriter(w, opts)
	if b := m.Bounce; b != nil {
		t.line(t.bold("Bounce") + sanitize(" from "+b.From))
		t.field("remote said", b.Said)
		t.field("meaning", b.Meaning)
		t.field("relay", b.Relay)
		if b.Recipients != "" {
			t.field("recipients", b.Recipients)
		}
		t.line("")
	}
	v := m.Verdict
	head := t.color(statusColor(v.Status), v.Label)
	if v.Hop > 0 {
		head += fmt.Sprintf("  hop %d: %s", v.Hop, sanitize(v.Relay))
	}
	t.line(head)
	if v.Summary != "" {
		t.field("", v.Summary)
	}
	if v.Problem != "" {
		t.field("problem", string(v.Problem)+": "+v.Detail)
		t.field("owner", string(v.Owner)+" ("+v.Who+")")
	}
	if v.Fix != "" {
		t.field("fix", v.Fix)
	}
	for _, n := range m.Notes {
		t.field("note", n)
	}

	t.line("")
	t.line(t.bold("Path") + " (oldest first; * marks the hop the receiver judged)")
	for _, h := range m.Hops {
		t.hop(h)
	}

	if len(m.Findings) > 0 {
		t.line("")
		t.line(t.bold("Other findings"))
		for _, f := range m.Findings {
			t.field(fmt.Sprintf("hop %d", f.Hop), string(f.Problem)+": "+f.Detail)
			t.field("", "fix ("+string(f.Owner)+"): "+f.Fix)
		}
	}
	return t.w.Flush()
}

func statusColor(s analyze.Status) string {
	switch s {
	case analyze.Aligned:
		return green
	case analyze.Misaligned:
		return red
	}
	return yellow
}

func (t *textWriter) hop(h HopView) {
	mark := " "
	if h.Judged {
		mark = "*"
	}
	head := fmt.Sprintf("%s%2d ", mark, h.Index)
	switch {
	case !h.Parsed:
		t.wrap(head, "unparsed: "+sanitize(h.Raw))
		return
	case h.IP == "":
		t.wrap(head, sanitize("no sender IP · "+h.Route+timeSuffix(h)))
		return
	}
	status := t.color(green, h.Status)
	switch {
	case h.Bad:
		status = t.color(red, h.Status)
	case !h.Checked:
		status = h.Status
	}
	t.wrap(head, fmt.Sprintf("%s  %s  %s", h.IP, h.Side, status))
	t.wrap("    ", sanitize(strings.Join(h.Facts, " · ")))
	t.wrap("    ", sanitize(h.Route+timeSuffix(h)))
}

func timeSuffix(h HopView) string {
	if h.Time == "" {
		return ""
	}
	return " · " + h.Time
}

const (
	red    = "31"
	green  = "32"
	yellow = "33"
)

type textWriter struct {
	w    *bufio.Writer
	opts TextOptions
}

func newTextWriter(w io.Writer, opts TextOptions) *textWriter {
	if opts.Width <= 0 {
		opts.Width = 80
	}
	return &textWriter{w: bufio.NewWriter(w), opts: opts}
}

func (t *textWriter) color(code, s string) string {
	if !t.opts.Color {
		return s
	}
	return "\x1b[1;" + code + "m" + s + "\x1b[0m"
}

func (t *textWriter) bold(s string) string {
	if !t.opts.Color {
		return s
	}
	return "\x1b[1m" + s + "\x1b[0m"
}

func (t *textWriter) line(s string) {
	t.w.WriteString(s)
	t.w.WriteByte('\n')
}

// field writes "  label  text" with text wrapped under itself.
func (t *textWriter) field(label, text string) {
	t.wrap(fmt.Sprintf("  %-11s ", label), sanitize(text))
}

// wrap writes text after prefix, wrapping at the width with the prefix's
// indentation; words longer than a line are left whole. Untrusted text must
// be sanitized before: wrap keeps the escapes of t.color.
func (t *textWriter) wrap(prefix, text string) {
	indent := strings.Repeat(" ", visibleLen(prefix))
	width := t.opts.Width - len(indent)
	if width < 20 {
		width = 20
	}
	line, n := prefix, 0
	for _, word := range strings.Fields(text) {
		wl := visibleLen(word)
		if n > 0 && n+1+wl > width {
			t.line(line)
			line, n = indent, 0
		}
		if n > 0 {
			line += " "
			n++
		}
		line += word
		n += wl
	}
	t.line(line)
}

// visibleLen counts the runes of s that take a column (not ANSI escapes).
func visibleLen(s string) int {
	n, esc := 0, false
	for _, r := range s {
		switch {
		case r == '\x1b':
			esc = true
		case esc:
			esc = r != 'm'
		default:
			n++
		}
	}
	return n
}

// sanitize drops control characters from attacker-supplied text so that a
// header cannot move the cursor or recolor the terminal.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			if r == '\t' || r == '\n' {
				return ' '
			}
			return -1
		}
		return r
	}, s)
}
