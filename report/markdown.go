package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Markdown writes a message report as GitHub-flavoured Markdown for a
// ticket, with the content of the HTML report but the diagram. Every value
// that comes from the headers is in a code span or a code block; the
// sentences that quote such values are escaped, so that nothing a header
// says can become a link, an image, a mention or HTML in the ticket.
func Markdown(w io.Writer, m *Message) error {
	d := newMessageData(m)
	b := bufio.NewWriter(w)
	v := m.Verdict
	head := "# hopcheck: " + d.Symbol + " " + d.Word
	if v.Hop > 0 {
		head += ", hop " + strconv.Itoa(v.Hop)
	}
	line(b, head)
	line(b, "")
	if v.Hop > 0 {
		s := "**" + d.Symbol + " " + d.Word + "**: hop " + strconv.Itoa(v.Hop) + ", " + code(d.IP)
		if d.HELO != "" {
			s += " announcing " + code(d.HELO)
		}
		line(b, s)
		line(b, "")
	}
	if v.Summary != "" {
		line(b, "- "+mdText(v.Summary))
	}
	if v.Problem != "" {
		line(b, "- **Problem:** "+code(string(v.Problem))+": "+mdText(v.Meaning))
		if v.Detail != "" {
			line(b, "- **What is wrong:** "+mdText(v.Detail))
		}
	}
	if v.Who != "" {
		line(b, "- **Who fixes it:** "+mdText(v.Who)+" ("+code(string(v.Owner))+")")
	}
	if v.Fix != "" {
		label := "Fix"
		if v.Problem == "" {
			label = "What is missing"
		}
		line(b, "- **"+label+":** "+mdText(v.Fix))
	}
	line(b, "")
	src := m.Source
	var about []string
	if src.Subject != "" {
		about = append(about, "Subject "+code(src.Subject))
	}
	if src.MessageID != "" {
		about = append(about, "Message-ID "+code(src.MessageID))
	}
	about = append(about, mdText(src.Kind)+" read from "+code(src.Name))
	line(b, strings.Join(about, " · "))
	for _, n := range m.Notes {
		line(b, "")
		line(b, "Note: "+mdText(n))
	}

	if bv := m.Bounce; bv != nil {
		bounce := d.Bounce
		line(b, "")
		line(b, "## What the remote server said")
		line(b, "")
		s := "The remote server"
		if bounce.RemoteMTA != "" {
			s = code(bounce.RemoteMTA)
		}
		s += " replied"
		if bounce.ReplyCode != 0 {
			s += " " + code(strconv.Itoa(bounce.ReplyCode))
		}
		if bounce.Status != "" {
			s += " " + code(bounce.Status)
		}
		line(b, s+", as reported by "+code(bv.From)+", verbatim:")
		line(b, "")
		codeBlock(b, []string{bv.Said})
		line(b, "")
		line(b, "- **What it means:** "+mdText(bv.Meaning))
		line(b, "- **Refused relay:** "+mdText(bv.Relay))
		if bv.Recipients != "" {
			line(b, "- **Recipients:** "+mdText(bv.Recipients))
		}
	}

	line(b, "")
	line(b, "## Path, oldest first")
	line(b, "")
	if len(d.Rows) == 0 {
		line(b, "No Received fields: there is no path to draw.")
	} else {
		line(b, "| Hop | Side | Sender | HELO | Reverse name | Received by | Time (UTC) | Delay | Status |")
		line(b, "| --: | --- | --- | --- | --- | --- | --- | --- | --- |")
		for _, r := range d.Rows {
			hop := strconv.Itoa(r.Index)
			if r.Judged {
				hop = "**" + hop + " ◀ judged**"
			}
			sender, helo, by := cellCode(r.IP), cellCode(r.HELO), cellCode(r.By)
			if !r.Parsed {
				sender = "stamp not understood"
			}
			if r.With != "" {
				by += " with " + mdText(r.With)
			}
			rev := mdText(r.PTR.Label)
			if r.PTR.Names != "" {
				rev += " " + cellCode(r.PTR.Names)
			}
			side := r.Side
			if side == "" {
				side = "–"
			}
			// Times and delays are hopcheck's own formatting: no escapes.
			line(b, "| "+strings.Join([]string{hop, side, sender, helo, rev, by, r.Time, r.Delay,
				r.Symbol + " " + mdText(r.Text)}, " | ")+" |")
		}
	}

	if len(d.Evidence) > 0 {
		line(b, "")
		line(b, "## DNS evidence")
		for _, e := range d.Evidence {
			line(b, "")
			line(b, "### Hop "+strconv.Itoa(e.Index)+": "+code(e.IP))
			line(b, "")
			if e.Offline {
				line(b, "Offline: nothing was looked up; this is what the receivers recorded.")
			} else {
				srcs := make([]string, len(e.Sources))
				for i, s := range e.Sources {
					srcs[i] = code(s)
				}
				line(b, "Answered by "+strings.Join(srcs, ", ")+"; shown as `dig` would show them (TTLs in seconds, as the answers gave them).")
			}
			line(b, "")
			codeBlock(b, e.Lines)
		}
	}

	if len(m.Findings) > 0 {
		line(b, "")
		line(b, "## Other findings")
		line(b, "")
		for _, f := range m.Findings {
			line(b, "- **Hop "+strconv.Itoa(f.Hop)+"**, "+code(string(f.Problem))+": "+mdText(f.Detail)+". Fix ("+mdText(f.Who)+"): "+mdText(f.Fix))
		}
	}

	if len(m.Hops) > 0 {
		line(b, "")
		line(b, fmt.Sprintf("<details><summary>Raw Received fields (%d, oldest first)</summary>", len(m.Hops)))
		line(b, "")
		raw := make([]string, len(m.Hops))
		for i, h := range m.Hops {
			raw[i] = strconv.Itoa(h.Index) + "  " + h.Raw
		}
		codeBlock(b, raw)
		line(b, "")
		line(b, "</details>")
	}
	mdFooter(b, footerLines(src.Version, src.Time, src.Resolver, src.Offline))
	return b.Flush()
}

// LogsMarkdown writes a log summary as GitHub-flavoured Markdown: the
// relays ranked in a table, then each one's story, fix and an example
// line in a code block.
func LogsMarkdown(w io.Writer, l *Logs) error {
	d := newLogsData(l)
	b := bufio.NewWriter(w)
	if len(d.Counts) == 0 {
		line(b, "# hopcheck logs: ✓ No reverse DNS or HELO refusals")
	} else {
		line(b, "# hopcheck logs: "+d.Counts[0].Symbol+" "+d.Headline)
		line(b, "")
		var counts []string
		for _, c := range d.Counts {
			counts = append(counts, fmt.Sprintf("**%s %d %s**", c.Symbol, c.N, c.Word))
		}
		line(b, strings.Join(counts, " · "))
	}
	line(b, "")
	line(b, mdPara(l.Totals))
	for _, n := range l.Notes {
		line(b, "")
		line(b, mdPara(n))
	}
	if len(d.Rows) > 0 {
		line(b, "")
		line(b, "## Relays, most urgent first")
		line(b, "")
		line(b, "| # | Verdict | Relay | Count | First seen | Last seen |")
		line(b, "| --: | --- | --- | --: | --- | --- |")
		for _, r := range d.Rows {
			verdict := r.Symbol + " " + r.Word
			if r.ProblemShown != "" {
				verdict += " " + cellCode(r.ProblemShown)
			}
			relay := r.Who + " " + cellCode(r.IP)
			if r.HELO != "" {
				relay += " " + cellCode(r.HELO)
			}
			line(b, fmt.Sprintf("| %d | %s | %s | %d | %s | %s |", r.Rank, verdict, relay, r.Count, r.First, r.Last))
		}
		line(b, "")
		line(b, "Count: refusals and DNS warnings about reverse DNS or HELO.")
		line(b, "")
		line(b, "## What is wrong, and the fix")
		for _, r := range d.Rows {
			line(b, "")
			line(b, fmt.Sprintf("### %d. %s %s: %s %s", r.Rank, r.Symbol, r.Word, r.Who, code(r.IP)))
			line(b, "")
			line(b, "Story: "+mdText(r.Story))
			if r.Fix != "" {
				line(b, "")
				line(b, "**"+mdText(r.FixFor)+":** "+mdText(r.Fix))
			}
			if r.Example != "" {
				line(b, "")
				line(b, "For example:")
				line(b, "")
				codeBlock(b, []string{r.Example})
			}
		}
	}
	if l.Other != "" {
		line(b, "")
		line(b, mdPara(l.Other))
	}
	footer := footerLines(l.Source.Version, l.Source.Time, l.Source.Resolver, l.Source.Offline)
	files := make([]string, len(l.Source.Files))
	for i, f := range l.Source.Files {
		files[i] = code(f)
	}
	mdFooter(b, footer)
	line(b, "Logs read: "+strings.Join(files, ", ")+mdText(window(l.Source)))
	return b.Flush()
}

func mdFooter(b *bufio.Writer, lines []string) {
	line(b, "")
	line(b, "---")
	line(b, "")
	for _, l := range lines {
		line(b, mdPara(l)+"  ")
	}
}

func line(b *bufio.Writer, s string) {
	b.WriteString(s)
	b.WriteByte('\n')
}

// oneLine turns control characters (newlines among them) into spaces:
// every value is written on one line of its block.
func oneLine(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// code writes s as a code span, whose content Markdown shows literally:
// the fence is one backtick longer than the longest run of backticks in
// s, and padded when s starts or ends with one.
func code(s string) string {
	s = oneLine(s)
	if strings.TrimSpace(s) == "" {
		return "–"
	}
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if s[0] == '`' || s[len(s)-1] == '`' || (s[0] == ' ' && s[len(s)-1] == ' ') {
		s = " " + s + " "
	}
	return fence + s + fence
}

// cellCode is code for a table cell: a table splits its row at every pipe
// not escaped, even inside a code span, and drops the escape.
func cellCode(s string) string {
	return strings.ReplaceAll(code(s), "|", `\|`)
}

// mdText escapes a sentence that quotes values from the headers: every
// character that can start Markdown syntax (emphasis, links, images, HTML,
// entities, tables, strikethrough, math, mentions, issue references,
// emoji) is backslash-escaped, and "www." loses its power to autolink, as
// ":" and "@" do for URLs and addresses.
func mdText(s string) string {
	s = oneLine(s)
	var b strings.Builder
	for i, r := range s {
		switch {
		case strings.ContainsRune("\\`*_[]<>!|#~&:@$^{}", r):
			b.WriteByte('\\')
		case r == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www"):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdPara is mdText for a paragraph, whose first character could also
// start a list, a heading or a quote.
func mdPara(s string) string {
	s = mdText(s)
	if s != "" && strings.ContainsRune("-+=.)>", rune(s[0])) {
		return "\\" + s
	}
	return s
}

// codeBlock writes lines as a fenced code block whose fence is longer than
// any run of backticks in them.
func codeBlock(b *bufio.Writer, lines []string) {
	longest := 0
	clean := make([]string, len(lines))
	for i, l := range lines {
		clean[i] = oneLine(l)
		run := 0
		for _, r := range clean[i] {
			if r == '`' {
				run++
				longest = max(longest, run)
			} else {
				run = 0
			}
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	line(b, fence+"text")
	for _, l := range clean {
		line(b, l)
	}
	line(b, fence)
}
