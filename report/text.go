package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"hopcheck/analyze"
)

// TextOptions shape the terminal rendering.
type TextOptions struct {
	Color bool // ANSI colors; the caller decides (a TTY, and NO_COLOR unset)
	Width int  // wrap width; 80 when zero
}

// owners says in words who an owner tag stands for.
var owners = map[string]string{
	analyze.OwnerIP:    "the owner of the IP block: hosting provider or ISP",
	analyze.OwnerMail:  "the mail admin of the relay",
	analyze.OwnerDNS:   "the DNS admin of the name's domain",
	analyze.OwnerRelay: "the admin of the relay in between",
}

// Text writes res for a person: the verdict first, then the path hop by
// hop (oldest first), then the findings on other hops.
func Text(w io.Writer, src Source, res *analyze.Result, opts TextOptions) error {
	if opts.Width <= 0 {
		opts.Width = 80
	}
	t := &textWriter{w: bufio.NewWriter(w), opts: opts}
	v := res.Verdict

	if b := res.Bounce; b != nil {
		t.line(t.bold("Bounce") + sanitize(" from "+orDash(b.ReportingMTA)))
		t.field("remote said", b.Diagnostic)
		kind := b.Category
		if b.Permanent {
			kind += ", permanent"
		} else {
			kind += ", temporary"
		}
		t.field("meaning", b.Explanation+" ("+kind+")")
		if b.RelayIP.IsValid() {
			t.field("relay", fmt.Sprintf("%s %s, address %s", b.ReportingMTA, b.RelayIP, b.RelayIPSource))
		} else {
			t.field("relay", orDash(b.ReportingMTA)+", address unknown")
		}
		if n := len(b.Recipients); n > 1 {
			t.field("recipients", fmt.Sprintf("%d; the first failed one is shown (JSON lists all)", n))
		}
		t.line("")
	}

	switch v.Status {
	case analyze.Aligned:
		t.line(t.color(green, "ALIGNED") + fmt.Sprintf("  hop %d: %s", v.Hop, hopName(res, v.Hop)))
		t.field("", "PTR, forward DNS and HELO agree for the relay the receiver judged.")
	case analyze.Misaligned:
		t.line(t.color(red, "MISALIGNED") + fmt.Sprintf("  hop %d: %s", v.Hop, hopName(res, v.Hop)))
	default:
		if v.Hop > 0 {
			t.line(t.color(yellow, "UNKNOWN") + fmt.Sprintf("  hop %d: %s", v.Hop, hopName(res, v.Hop)))
		} else {
			t.line(t.color(yellow, "UNKNOWN"))
		}
	}
	if v.Problem != "" {
		detail := ""
		if v.Hop > 0 {
			for _, p := range res.Hops[v.Hop-1].Problems {
				if p.Name == v.Problem {
					detail = p.Detail
					break
				}
			}
		}
		t.field("problem", v.Problem+": "+detail)
		t.field("owner", v.Owner+" ("+owners[v.Owner]+")")
	}
	if v.Fix != "" {
		t.field("fix", v.Fix)
	}
	if res.Offline {
		t.field("note", "offline: judged from the names the receivers recorded, no DNS lookups")
	}

	t.line("")
	t.line(t.bold("Path") + " (oldest first; * marks the hop the receiver judged)")
	for _, h := range res.Hops {
		t.hop(h, v.Hop)
	}

	if len(res.Findings) > 0 {
		t.line("")
		t.line(t.bold("Other findings"))
		for _, f := range res.Findings {
			t.field(fmt.Sprintf("hop %d", f.Hop), f.Name+": "+f.Detail)
			t.field("", "fix ("+f.Owner+"): "+f.Fix)
		}
	}
	return t.w.Flush()
}

func hopName(res *analyze.Result, index int) string {
	if index < 1 || index > len(res.Hops) {
		return ""
	}
	h := res.Hops[index-1]
	s := h.IP.String()
	if h.HELO != "" {
		s += " (HELO " + h.HELO + ")"
	}
	return sanitize(s)
}

func (t *textWriter) hop(h analyze.HopResult, judgedHop int) {
	mark := " "
	if h.Index == judgedHop {
		mark = "*"
	}
	head := fmt.Sprintf("%s%2d ", mark, h.Index)
	switch {
	case !h.Parsed:
		t.wrap(head, "unparsed: "+sanitize(h.Raw))
		return
	case !h.IP.IsValid():
		t.wrap(head, sanitize("no sender IP · by "+orDash(h.By)+timeText(h)))
		return
	}
	where := "external"
	switch {
	case h.Internal:
		where = "internal"
	case judgedHop > 0 && h.Index > judgedHop:
		where = "receiving side" // after the hop the receiver judged
	}
	status := t.color(green, "ok")
	if len(h.Problems) > 0 {
		var names []string
		for _, p := range h.Problems {
			if !slices.Contains(names, p.Name) {
				names = append(names, p.Name)
			}
		}
		status = t.color(red, strings.Join(names, ", "))
	}
	if !h.Checked {
		status = "not checked"
	}
	t.wrap(head, fmt.Sprintf("%s  %s  %s", h.IP, where, status))
	c := h.Checks
	facts := []string{"HELO " + orDash(h.HELO)}
	if h.Checked {
		ptr := strings.Join(c.PTR, ", ")
		if c.PTRStatus != analyze.StatusFound {
			ptr = c.PTRStatus
		}
		facts = append(facts, "PTR "+ptr, "FCrDNS "+c.FCrDNS, "HELO match "+c.HELOMatch)
	}
	recorded := h.RDNS
	if recorded == "" && h.RDNSRecorded {
		recorded = "unknown"
	}
	if recorded != "" {
		facts = append(facts, "recorded "+recorded)
	}
	t.wrap("    ", sanitize(strings.Join(facts, " · ")))
	t.wrap("    ", sanitize("by "+orDash(h.By)+withText(h)+timeText(h)))
}

func withText(h analyze.HopResult) string {
	if h.With == "" {
		return ""
	}
	return " with " + h.With
}

func timeText(h analyze.HopResult) string {
	if h.Time.IsZero() {
		return ""
	}
	s := " · " + h.Time.UTC().Format("2006-01-02 15:04:05Z")
	if h.HasDelay {
		s += " (+" + h.Delay.Round(time.Second).String() + ")"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
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
