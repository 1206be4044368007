package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Causes of the *InputError of Input.Check.
var (
	ErrEmpty  = errors.New("empty input")
	ErrBinary = errors.New("binary input")
)

// sniffLen is how much of the input Input looks at to tell binary data from
// text; headLen how much it keeps to tell a paste that is neither headers
// nor a bounce.
const (
	sniffLen = 8 << 10
	headLen  = 64 << 10
)

// Input reads a user's input, passing it on unchanged, and keeps what it
// takes to tell afterwards input that is no message from an empty verdict:
// nothing at all, binary data (a compressed or Outlook .msg file, UTF-16
// text), or text that is neither a header section nor a bounce (Check). It
// reads its source until the first end of file and never after it, and
// counts the messages of an mbox (Warnings). It keeps the first 64 KiB.
type Input struct {
	src      onceEOF
	head     []byte // the first headLen bytes
	n        int64  // bytes read in all
	text     bool   // a byte other than white space was seen
	mbox     mboxCounter
	mboxSeen bool // the input starts with an mbox "From " line
	checked  bool
	err      error
}

// NewInput wraps r.
func NewInput(r io.Reader) *Input { return &Input{src: onceEOF{r: r}} }

// Read implements io.Reader.
func (in *Input) Read(p []byte) (int, error) {
	n, err := in.src.Read(p)
	in.observe(p[:n])
	return n, err
}

// Check says, once the input was read, whether it can be read as a message
// at all: an *InputError whose cause is ErrEmpty, ErrBinary, or that the
// text holds neither header fields nor a bounce; nil otherwise, and for a
// paste whose header section has errors of its own (ReadMessage names
// their line).
func (in *Input) Check() error {
	if !in.checked {
		in.checked = true
		if e := sniffBinary(in.head); e != nil {
			in.err = &InputError{Err: e}
		} else {
			in.err = in.diagnose()
		}
	}
	return in.err
}

func (in *Input) observe(b []byte) {
	if len(b) == 0 {
		return
	}
	if in.n == 0 {
		t := bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		t = bytes.TrimLeft(t, " \t\r\n")
		in.mboxSeen = bytes.HasPrefix(t, []byte("From "))
		if in.mboxSeen {
			in.mbox.counting = true
		}
	}
	in.n += int64(len(b))
	if room := headLen - len(in.head); room > 0 {
		in.head = append(in.head, b[:min(room, len(b))]...)
	}
	if !in.text && len(bytes.TrimLeft(b, " \t\r\n\v\f")) > 0 {
		in.text = true
	}
	if in.mboxSeen {
		in.mbox.Write(b)
	}
}

// diagnose decides whether the text read can be read as a message at all.
func (in *Input) diagnose() error {
	if !in.text {
		return &InputError{Err: fmt.Errorf("%w: nothing was pasted or the file holds only white space; %s", ErrEmpty, pasteHowTo)}
	}
	head := in.head
	p, err := readPaste(head, Limits{MaxHeaderBytes: headLen, MaxBodyBytes: headLen}, in.n > int64(len(head)))
	if err != nil || p.header != nil {
		return nil // ReadMessage reports the paste's own errors, with their line
	}
	if rep, _ := readBounceText(string(p.body), "", ""); rep != nil {
		return nil
	}
	first, _ := lineAt(p.body, 0)
	what := fmt.Sprintf("the input starts with %.60q and holds neither a header section nor a bounce", bytes.TrimSpace(first))
	switch {
	case strings.HasPrefix(p.shape, ShapeGmail):
		what = "Gmail's \"Show original\" summary was found but no header fields below it"
	case strings.HasPrefix(p.shape, ShapeOutlook):
		what = "Outlook's \"Internet headers\" title was found but no header fields below it"
	case strings.HasPrefix(p.shape, ShapeQuoted):
		what = fmt.Sprintf("a quoted text starting with %.60q was found, but neither a header section nor a bounce in it", bytes.TrimSpace(first))
	}
	return &InputError{Line: 1, Err: fmt.Errorf("%w: %s; %s", errNoHeaders, what, pasteHowTo)}
}

// Warnings says what the user should know about an input read to its end:
// an mbox of several messages, of which only the first is read.
func (in *Input) Warnings() []string {
	if w := in.mbox.warning(); w != "" {
		return []string{w}
	}
	return nil
}

// sniffBinary tells binary data from text by its first bytes: the magic
// numbers of the files users mistake for a message, NUL bytes, or many
// control characters.
func sniffBinary(b []byte) error {
	for _, m := range []struct{ magic, what string }{
		{"\x1f\x8b", "gzip-compressed data: decompress it first (zcat FILE | hopcheck analyze)"},
		{"PK\x03\x04", "a zip archive: extract the message (.eml) from it first"},
		{"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Outlook .msg file (or another OLE document): in Outlook, save the message as .eml, or copy its headers from File > Properties > Internet headers"},
		{"%PDF-", "a PDF document: headers printed to PDF cannot be read; paste them as text"},
		{"\xff\xfe", "UTF-16 text: convert it to UTF-8 first (iconv -f UTF-16 -t UTF-8 FILE)"},
		{"\xfe\xff", "UTF-16 text: convert it to UTF-8 first (iconv -f UTF-16 -t UTF-8 FILE)"},
		{"BZh", "bzip2-compressed data: decompress it first (bzcat FILE | hopcheck analyze)"},
		{"\xfd7zXZ\x00", "xz-compressed data: decompress it first (xzcat FILE | hopcheck analyze)"},
		{"\x28\xb5\x2f\xfd", "zstd-compressed data: decompress it first (zstdcat FILE | hopcheck analyze)"},
	} {
		if bytes.HasPrefix(b, []byte(m.magic)) {
			return fmt.Errorf("%w: %s", ErrBinary, m.what)
		}
	}
	if len(b) > sniffLen {
		b = b[:sniffLen]
	}
	ctl := 0
	for _, c := range b {
		switch {
		case c == 0:
			return fmt.Errorf("%w: the input holds NUL bytes, so it is no mail message or paste; pass the message as text (.eml)", ErrBinary)
		case c < ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1b, c == 0x7f:
			ctl++
		}
	}
	if len(b) > 0 && ctl*10 > len(b) {
		return fmt.Errorf("%w: %d of its first %d bytes are control characters, so it is no mail message or paste; pass the message as text (.eml)", ErrBinary, ctl, len(b))
	}
	return nil
}

// mboxCounter counts the messages of an mbox as its bytes stream by: a
// line that starts with "From " after a blank line (or at the start) opens
// one. Lines in bodies that start so are escaped as ">From " by mbox
// writers.
type mboxCounter struct {
	counting  bool
	messages  int
	col       int  // bytes of the current line seen, up to 5
	match     bool // the current line so far matches "From "
	blankPrev bool // the previous line was blank (or this is the first line)
	blank     bool // the current line is blank so far
}

// start counts the message whose "From " line was already read.
func (c *mboxCounter) start() {
	c.counting, c.messages, c.blankPrev, c.blank, c.match = true, 1, true, true, true
}

func (c *mboxCounter) Write(p []byte) (int, error) {
	if !c.counting {
		return len(p), nil
	}
	if c.messages == 0 && c.col == 0 {
		c.blankPrev, c.blank, c.match = true, true, true
	}
	const from = "From "
	for _, b := range p {
		if b == '\n' {
			c.blankPrev, c.blank, c.match, c.col = c.blank, true, true, 0
			continue
		}
		if b != ' ' && b != '\t' && b != '\r' {
			c.blank = false
		}
		if c.col < len(from) {
			c.match = c.match && b == from[c.col]
			c.col++
			if c.col == len(from) && c.match && c.blankPrev {
				c.messages++
			}
		}
	}
	return len(p), nil
}

// warning says that only the first of several messages is read.
func (c *mboxCounter) warning() string {
	if c.messages < 2 {
		return ""
	}
	return fmt.Sprintf("the input is an mbox of %d messages and only the first was read: split it (formail -s, or git mailsplit) and pass each message", c.messages)
}
