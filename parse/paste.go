package parse

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// The shapes of input ReadMessage recognises (Message.Shape).
const (
	ShapeEmpty   = "empty"           // nothing but white space
	ShapeEML     = "eml"             // a header section and a body: a whole message
	ShapeHeaders = "headers"         // a header section alone
	ShapeMbox    = "mbox"            // an mbox entry: a "From " line, then the message
	ShapeQuoted  = "quoted"          // quoted with "> " or ">", as a reply or forward quotes it
	ShapeGmail   = "gmail-original"  // Gmail's "Show original" page copied whole, summary table included
	ShapeOutlook = "outlook-headers" // Outlook's "Internet headers" box ("Microsoft Mail Internet Headers Version 2.0")
	ShapePreface = "preface"         // a few lines of the user's own words, then the headers
	ShapeText    = "text"            // no header section: the whole input is the body (a bounce pasted as text)
	// ShapeRewrapped is added ("+rewrapped") when continuation lines had lost
	// their indentation and were joined to the field above.
	ShapeRewrapped = "rewrapped"
)

// pasteHowTo is the advice every unreadable-paste error ends with.
const pasteHowTo = "save the message as .eml and pass the file, or paste its whole header section " +
	"(Gmail: ⋮ > Show original > Copy to clipboard; Outlook: File > Properties > Internet headers; " +
	"Apple Mail: View > Message > Raw Source; Thunderbird: View > Message Source)"

// Bounds on how far ReadMessage looks for the start of the headers in a paste.
const (
	maxPrefaceLines = 3  // lines of the user's own words above the headers
	maxGmailLines   = 40 // lines of Gmail's summary table
	maxQuoteLead    = 3  // lines above a quoted block ("On … wrote:")
)

// paste is what readPaste found in the input.
type paste struct {
	shape      string
	header     []byte // the header section, one CRLF-ended line per physical line; nil when none
	headerLine int    // the input line the header section starts at
	body       []byte
	mbox       bool // the input starts with an mbox "From " line
}

// lineAt returns the line of data that starts at off, without its line end
// (LF, CRLF, or any CRs before the LF), and the offset of the next line.
func lineAt(data []byte, off int) (line []byte, next int) {
	i := bytes.IndexByte(data[off:], '\n')
	if i < 0 {
		line, next = data[off:], len(data)
	} else {
		line, next = data[off:off+i], off+i+1
	}
	return bytes.TrimRight(line, "\r"), next
}

// isBlankLine reports whether line holds only white space (a no-break
// space, which a web page copy leaves, counts).
func isBlankLine(line []byte) bool { return len(trimIndent(line)) == 0 }

// trimIndent drops leading spaces, tabs and no-break spaces (U+00A0 in
// UTF-8, as a browser copies an indentation).
func trimIndent(line []byte) []byte {
	for len(line) > 0 {
		switch {
		case line[0] == ' ' || line[0] == '\t':
			line = line[1:]
		case len(line) > 1 && line[0] == 0xc2 && line[1] == 0xa0:
			line = line[2:]
		default:
			return line
		}
	}
	return line
}

// readPaste finds the header section in data, in whatever shape it was
// pasted, and the body after it. Pure and linear: each line is looked at a
// bounded number of times.
//
// cut says that data is the first part of a longer input: a header
// section that runs to its end is then over the limit.
func readPaste(data []byte, lim Limits, cut bool) (*paste, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	p := &paste{}
	off, line := skipBlank(data, 0, 1)
	if off == len(data) {
		p.shape = ShapeEmpty
		return p, nil
	}
	// Whatever the shape, its first line must fit in a header section:
	// an endless line is refused before the rest of it is read.
	if first, next := lineAt(data, off); int64(len(first)) > lim.MaxHeaderBytes || cut && next == len(data) {
		return nil, &InputError{Line: line, Err: fmt.Errorf("first line over the limit of %s: %w", byteSize(lim.MaxHeaderBytes), ErrTooLarge)}
	}
	if first, next := lineAt(data, off); bytes.HasPrefix(first, []byte("From ")) {
		p.mbox, p.shape = true, ShapeMbox
		off, line = skipBlank(data, next, line+1)
	}

	// A quoted paste is read unquoted, whatever it holds.
	quoted := false
	if q, qline, ok := unquote(data, off, line); ok {
		quoted = true
		data, off, line = q, 0, qline
		p.shape = ShapeQuoted
		off, line = skipBlank(data, off, line)
	}

	start, startLine, shape := findHeaderStart(data, off, line)
	if shape != "" {
		p.shape = shape
	}
	if start < 0 {
		if p.shape == "" || p.shape == ShapeMbox {
			p.shape = ShapeText
		}
		p.body = data[off:]
		return p, nil
	}
	hb, err := readHeaderBlock(data, start, startLine, lim, cut && !quoted)
	if err != nil {
		return nil, err
	}
	p.header, p.headerLine, p.body = hb.header, startLine, data[hb.bodyStart:]
	if p.shape == "" {
		p.shape = ShapeHeaders
		if len(bytes.TrimSpace(p.body)) > 0 {
			p.shape = ShapeEML
		}
	}
	if hb.rewrapped {
		if p.shape == ShapeHeaders || p.shape == ShapeEML {
			p.shape = ShapeRewrapped
		} else {
			p.shape += "+" + ShapeRewrapped
		}
	}
	return p, nil
}

// skipBlank returns the offset and line number of the first line at or
// after off that is not blank.
func skipBlank(data []byte, off, line int) (int, int) {
	for off < len(data) {
		l, next := lineAt(data, off)
		if !isBlankLine(l) {
			return off, line
		}
		off, line = next, line+1
	}
	return off, line
}

// findHeaderStart returns where the header section starts — at off, or
// after a preface it recognises — with its line number and the shape the
// preface gives ("" for none); -1 when there is no header section at the
// start of the input.
func findHeaderStart(data []byte, off, line int) (int, int, string) {
	first, next := lineAt(data, off)
	t := trimIndent(first)
	if isFieldLine(t) {
		return off, line, ""
	}
	switch {
	case bytes.EqualFold(bytes.TrimSpace(t), []byte("Microsoft Mail Internet Headers Version 2.0")):
		o, l := skipBlank(data, next, line+1)
		if o < len(data) {
			if nl, _ := lineAt(data, o); isFieldLine(trimIndent(nl)) {
				return o, l, ShapeOutlook
			}
		}
		return -1, 0, ShapeOutlook
	case isGmailSummary(t):
		o, l := skipGmailSummary(data, next, line+1)
		if o < len(data) {
			if nl, _ := lineAt(data, o); isFieldLine(trimIndent(nl)) {
				return o, l, ShapeGmail
			}
		}
		return -1, 0, ShapeGmail
	}
	if o, l, ok := afterPreface(data, off, line); ok {
		return o, l, ShapePreface
	}
	return -1, 0, ""
}

// The rows of the summary table at the top of Gmail's "Show original" page,
// by their labels, lower case: a copy of the whole page brings them along.
var gmailRows = []string{"original message", "message id", "created at:", "created on:", "from:", "to:", "cc:", "subject:",
	"spf:", "dkim:", "dmarc:", "download original", "copy to clipboard", "learn more"}

func isGmailSummary(t []byte) bool {
	s := strings.ToLower(string(bytes.TrimSpace(t)))
	return s == "original message" || strings.HasPrefix(s, "message id\t") || strings.HasPrefix(s, "message id ")
}

// skipGmailSummary skips the rows of Gmail's summary table and returns the
// first line after them: the raw message, which Gmail starts with
// Delivered-To. A row is recognised by its label; the table ends at the
// "Copy to clipboard" button at the latest.
func skipGmailSummary(data []byte, off, line int) (int, int) {
	for n := 0; off < len(data) && n < maxGmailLines; n++ {
		l, next := lineAt(data, off)
		s := strings.ToLower(string(bytes.TrimSpace(l)))
		if s == "" {
			off, line = next, line+1
			continue
		}
		row := false
		for _, r := range gmailRows {
			if strings.HasPrefix(s, r) {
				row = true
				break
			}
		}
		if !row {
			return off, line
		}
		off, line = next, line+1
		if strings.Contains(s, "copy to clipboard") {
			return skipBlank(data, off, line)
		}
	}
	return off, line
}

// afterPreface recognises a few lines of the user's own words above the
// headers ("Here are the headers:"): at most maxPrefaceLines lines that are
// neither header fields, nor quoted, nor a server's reply, nor a bounce's
// text, then a blank line, then a header section that holds a Received
// field. It returns where that section starts.
func afterPreface(data []byte, off, line int) (int, int, bool) {
	var prose []string
	for len(prose) <= maxPrefaceLines && off < len(data) {
		l, next := lineAt(data, off)
		if isBlankLine(l) {
			break
		}
		t := trimIndent(l)
		if isFieldLine(t) || t[0] == '>' || t[0] == '-' || t[0] == '=' || replyLike(string(t)) {
			return 0, 0, false
		}
		prose = append(prose, string(t))
		off, line = next, line+1
	}
	if len(prose) == 0 || len(prose) > maxPrefaceLines || detectFamily(prose) != nil {
		return 0, 0, false
	}
	off, line = skipBlank(data, off, line)
	if off == len(data) || !blockHasReceived(data, off) {
		return 0, 0, false
	}
	if first, _ := lineAt(data, off); !isFieldLine(trimIndent(first)) {
		return 0, 0, false
	}
	return off, line, true
}

// blockHasReceived reports whether the header section starting at off has
// a Received field among its first fields.
func blockHasReceived(data []byte, off int) bool {
	for n := 0; off < len(data) && n < 64; n++ {
		l, next := lineAt(data, off)
		t := trimIndent(l)
		if len(t) == 0 {
			return false
		}
		if len(t) > len("received:") && strings.EqualFold(string(t[:len("received:")]), "received:") {
			return true
		}
		off = next
	}
	return false
}

// replyLike reports whether a line reads as an SMTP reply or a status: it
// starts with a reply code ("550-5.7.25 …", "550 …") or holds an enhanced
// status code.
func replyLike(t string) bool {
	if len(t) >= 4 && t[0] >= '2' && t[0] <= '5' && isDigitByte(t[1]) && isDigitByte(t[2]) && (t[3] == ' ' || t[3] == '-' || t[3] == ':') {
		return true
	}
	return findStatus(t) != ""
}

func isDigitByte(c byte) bool { return '0' <= c && c <= '9' }

// unquote recognises a quoted paste: within the first lines, after at most
// maxQuoteLead lines of attribution ("On … wrote:", "Begin forwarded
// message:"), a run of lines quoted with ">" holding at least two lines of
// text. It returns the run with one quoting level per line removed (the
// depth of the run's first line, "> > " and ">>" alike), and the line
// number it starts at. Unquoted lines inside the run (a client that wrapped
// after quoting) are kept as they are; what follows the run's last quoted
// line is the user's own and dropped.
func unquote(data []byte, off, line int) ([]byte, int, bool) {
	lead := 0
	for off < len(data) {
		l, next := lineAt(data, off)
		if isBlankLine(l) {
			off, line = next, line+1
			continue
		}
		if quoteDepth(l) > 0 {
			break
		}
		if t := trimIndent(l); lead >= maxQuoteLead || isFieldLine(t) || replyLike(string(t)) || detectFamily([]string{string(t)}) != nil {
			return nil, 0, false
		}
		lead++
		off, line = next, line+1
	}
	if off == len(data) {
		return nil, 0, false
	}
	first, _ := lineAt(data, off)
	depth := quoteDepth(first)
	// The run ends after its last quoted line. Most of its lines must be
	// quoted: Sendmail's transcript (">>> RCPT To:", "<<< 550 …") is no
	// quote.
	end, quoted, plain, plainSince := off, 0, 0, 0
	for o := off; o < len(data); {
		l, next := lineAt(data, o)
		switch {
		case quoteDepth(l) > 0:
			end = next
			if !isBlankLine(stripQuote(l, depth)) {
				quoted++
			}
			plain += plainSince
			plainSince = 0
		case !isBlankLine(l):
			plainSince++
		}
		o = next
	}
	if quoted < 2 || plain*2 > quoted {
		return nil, 0, false
	}
	out := make([]byte, 0, end-off)
	for o := off; o < end; {
		l, next := lineAt(data, o)
		out = append(out, stripQuote(l, depth)...)
		out = append(out, '\n')
		o = next
	}
	return out, line, true
}

// quoteDepth counts the quoting levels a line opens with: ">", "> >",
// ">>", after any indentation.
func quoteDepth(l []byte) int {
	l = trimIndent(l)
	n := 0
	for len(l) > 0 && l[0] == '>' {
		n++
		l = l[1:]
		if len(l) > 0 && l[0] == ' ' && len(l) > 1 && l[1] == '>' {
			l = l[1:]
		}
	}
	return n
}

// stripQuote removes up to depth quoting levels: each is a ">" and at most
// one space after it, so an indentation inside the quote stays.
func stripQuote(l []byte, depth int) []byte {
	if depth > 0 {
		l = trimIndent(l)
	}
	for ; depth > 0 && len(l) > 0 && l[0] == '>'; depth-- {
		l = l[1:]
		if len(l) > 0 && l[0] == ' ' {
			l = l[1:]
		}
	}
	return l
}

// headerBlock is a header section read from a paste.
type headerBlock struct {
	header    []byte
	bodyStart int
	rewrapped bool
}

// fieldState follows one field's value over its lines, to tell whether it
// is unfinished: a bracket still open, a list going on, or a Received
// stamp without its date.
type fieldState struct {
	received             bool
	semi                 bool // a ';' seen (a Received stamp's date follows it)
	paren, square, angle int
	last                 byte // the value's last byte that is not white space
}

func (f *fieldState) reset(name []byte) {
	*f = fieldState{received: bytes.EqualFold(name, []byte("Received"))}
}

func (f *fieldState) add(b []byte) {
	for _, c := range b {
		switch c {
		case '(':
			f.paren++
		case ')':
			f.paren = max(f.paren-1, 0)
		case '[':
			f.square++
		case ']':
			f.square = max(f.square-1, 0)
		case '<':
			f.angle++
		case '>':
			f.angle = max(f.angle-1, 0)
		case ';':
			f.semi = true
		}
		if c != ' ' && c != '\t' {
			f.last = c
		}
	}
}

// open reports a comment or an address literal left open: the next line
// must go on.
func (f *fieldState) open() bool { return f.paren+f.square > 0 }

// unfinished reports whether the value so far plainly goes on.
func (f *fieldState) unfinished() bool {
	return f.open() || f.angle > 0 || (f.received && !f.semi) || f.last == ',' || f.last == ';' || f.last == ':'
}

// readHeaderBlock reads the header section that starts at data[start]: up to
// a blank line or the end. A common indentation (that of the first line) is
// removed. A line that is neither a field nor indented is a continuation
// whose indentation was lost in copy and paste when the structure says so:
// it follows a field that plainly goes on (a bracket open, a Received stamp
// without its date), or no line of the section kept its indentation and
// several lost it. Otherwise it is an *InputError naming the line.
func readHeaderBlock(data []byte, start, startLine int, lim Limits, cut bool) (*headerBlock, error) {
	first, _ := lineAt(data, start)
	indent := first[:len(first)-len(trimIndent(first))]

	// Pass 1: where the section ends, and what its lines are.
	var (
		f                       fieldState
		indented, bare          int
		firstPlainBare          int // line number of the first bare line after a finished field
		end, bodyStart, lineNum = len(data), len(data), startLine
	)
	for o := start; o < len(data); lineNum++ {
		l, next := lineAt(data, o)
		if int64(next-start) > lim.MaxHeaderBytes || (cut && next == len(data)) {
			return nil, &InputError{Line: lineNum, Err: fmt.Errorf("header section over the limit of %s: %w", byteSize(lim.MaxHeaderBytes), ErrTooLarge)}
		}
		if isBlankLine(l) {
			end, bodyStart = o, next
			break
		}
		t := bytes.TrimPrefix(l, indent)
		switch {
		case t[0] == ' ' || t[0] == '\t' || len(trimIndent(t)) < len(t):
			indented++
		case isFieldLine(t):
			name, value, _ := bytes.Cut(t, []byte(":"))
			f.reset(name)
			t = value
		default:
			bare++
			if firstPlainBare == 0 && !f.unfinished() {
				firstPlainBare = lineNum
			}
		}
		f.add(t)
		o = next
	}
	rewrapped := bare > 0 && (firstPlainBare == 0 || (bare >= 2 && indented == 0))
	if bare > 0 && !rewrapped {
		l, _ := lineAt(data, offsetOfLine(data, start, firstPlainBare-startLine))
		return nil, &InputError{Line: firstPlainBare, Err: fmt.Errorf(
			"%.60q is neither a header field nor the continuation of one (continuation lines start with a space or a tab): the paste lost its line structure; %s",
			bytes.TrimSpace(l), pasteHowTo)}
	}

	// Pass 2: the section, one CRLF-ended line per physical line; a
	// continuation that lost its indentation gets a space back.
	hb := &headerBlock{bodyStart: bodyStart, rewrapped: rewrapped}
	out := make([]byte, 0, end-start+2*(lineNum-startLine+1)+bare)
	lineNum = startLine
	for o := start; o < end; lineNum++ {
		l, next := lineAt(data, o)
		t := bytes.TrimPrefix(l, indent)
		if in := trimIndent(t); len(in) < len(t) && bytes.IndexByte(t[:len(t)-len(in)], 0xc2) >= 0 {
			t = append([]byte{' '}, in...) // a no-break space indentation is an indentation
		}
		at := len(out)
		switch {
		case lineNum > startLine && (t[0] == ' ' || t[0] == '\t'):
			f.add(t)
		case lineNum == startLine || rewrapped && isNamedField(t) || !rewrapped && isFieldLine(t):
			if rewrapped && f.open() && lineNum > startLine {
				return nil, &InputError{Line: lineNum, Err: fmt.Errorf(
					"%.60q may go on with the field above (a bracket is still open) or start a new field: the paste lost its line structure; %s",
					bytes.TrimSpace(t), pasteHowTo)}
			}
			name, value, _ := bytes.Cut(t, []byte(":"))
			f.reset(name)
			f.add(value)
		default:
			out = append(out, ' ')
			f.add(t)
		}
		out = append(out, t...)
		// A bare CR is no line end in a header (RFC 5322 2.2); left in a
		// value it would rewind the terminal line the value is shown on.
		for i := at; i < len(out); i++ {
			if out[i] == '\r' {
				out[i] = ' '
			}
		}
		out = append(out, '\r', '\n')
		o = next
	}
	hb.header = out
	return hb, nil
}

// offsetOfLine returns the offset of the line n lines after the one at off.
func offsetOfLine(data []byte, off, n int) int {
	for ; n > 0 && off < len(data); n-- {
		_, off = lineAt(data, off)
	}
	return off
}

// byteSize writes a limit the way people read it: "10 MiB (10485760 bytes)".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB (%d bytes)", n>>20, n)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB (%d bytes)", n>>10, n)
	}
	return fmt.Sprintf("%d bytes", n)
}

// errNoHeaders is the cause of an InputError for input that is neither a
// message's header section nor a bounce.
var errNoHeaders = errors.New("no header fields")
