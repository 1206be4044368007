package parse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// Limits bound what ReadMessage accepts from an untrusted source.
type Limits struct {
	// MaxHeaderBytes is the most header data read before giving up with
	// ErrTooLarge.
	MaxHeaderBytes int64
	// MaxBodyBytes is the most body data kept; the rest is discarded unread
	// and Message.BodyTruncated is set. Headers, not bodies, carry the path,
	// so a large attachment is no reason to fail.
	MaxBodyBytes int64
}

// DefaultLimits are the limits the command line uses unless told otherwise.
var DefaultLimits = Limits{MaxHeaderBytes: 10 << 20, MaxBodyBytes: 10 << 20}

// ErrTooLarge reports input beyond a Limits bound.
var ErrTooLarge = errors.New("input too large")

// InputError is input that cannot be read as a message, with the line where
// reading stopped (0 when no line is to blame: the input as a whole).
type InputError struct {
	Line int // 1-based line in the input; 0 for the input as a whole
	Err  error
}

func (e *InputError) Error() string {
	if e.Line <= 0 {
		return e.Err.Error()
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}
func (e *InputError) Unwrap() error { return e.Err }

// Message is what ReadMessage found: a header section and the body after it.
type Message struct {
	// Header is the top-level header section. It is empty when the input did
	// not start with header fields (a bounce pasted as plain text); then the
	// whole input is the Body.
	Header mail.Header
	// Body is the raw (undecoded) body, at most Limits.MaxBodyBytes of it.
	// For a quoted paste it is the text with the quoting removed.
	Body          []byte
	BodyTruncated bool
	// Shape says how the input was laid out, one of the Shape constants
	// ("eml", "headers", "quoted", "gmail-original", …); a paste whose
	// continuation lines had lost their indentation adds "+rewrapped"
	// ("rewrapped" alone for a plain header paste).
	Shape string
	// Warnings are what the reader noticed and the user should hear, in
	// plain words: an mbox with several messages of which only the first
	// was read.
	Warnings []string
}

// Received returns the values of the Received fields in header order, the
// newest (top) first, ready for Hops.
func (m *Message) Received() []string { return m.Header.Values("Received") }

// ReadMessage reads a message as users supply one: a whole .eml, an mbox
// entry (its "From " line is skipped), or a headers-only paste with CRLF or LF
// line ends, leading blank lines, a byte order mark, a common indentation
// added by copy and paste, and no body; and the pasted shapes ReadMessage
// recognises in one place (paste.go): headers quoted with "> ", Gmail's "Show
// original" page copied whole, Outlook's "Internet headers" box, a few lines
// of the user's own words above the headers, and headers whose continuation
// lines lost their indentation. Field values are unfolded; RFC 2047 encoded
// words are left for the caller (mail.Header.Text decodes them).
//
// It reads r until the first end of file and never after it, so that one
// Ctrl-D ends a paste on a terminal. At most lim.MaxHeaderBytes +
// lim.MaxBodyBytes are kept; the rest is read and discarded.
//
// It is lenient: input with no header section is returned whole as the Body
// (Shape "text"), and empty input as an empty Message (Shape "empty").
// Input.Check makes such input a clear error for a user.
func ReadMessage(r io.Reader, lim Limits) (*Message, error) {
	src := &onceEOF{r: r}
	data, more, err := readUpTo(src, lim.MaxHeaderBytes+max(lim.MaxBodyBytes, 0))
	if err != nil {
		var ie *InputError
		if errors.As(err, &ie) {
			return nil, ie
		}
		return nil, &InputError{Err: err}
	}
	p, err := readPaste(data, lim, more)
	if err != nil {
		return nil, err
	}
	m := &Message{Body: p.body, Shape: p.shape}
	if p.header != nil {
		h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(p.header)))
		if err != nil {
			return nil, &InputError{Line: p.headerLine, Err: err}
		}
		m.Header = mail.Header{Header: message.Header{Header: h}}
	}
	if int64(len(m.Body)) > lim.MaxBodyBytes {
		m.Body = m.Body[:max(lim.MaxBodyBytes, 0)]
		m.BodyTruncated = true
	}
	var mbox mboxCounter
	if p.mbox {
		mbox.start()
		mbox.Write(p.body)
	}
	if more {
		// Drain the rest so that a pipe writer is not left blocked.
		var w io.Writer = io.Discard
		if p.mbox {
			w = &mbox
		}
		if _, err := io.Copy(w, src); err != nil {
			return nil, &InputError{Err: err}
		}
		m.BodyTruncated = true // at least the byte that showed there was more
	}
	if w := mbox.warning(); w != "" {
		m.Warnings = append(m.Warnings, w)
	}
	return m, nil
}

// onceEOF reads r until its first error (io.EOF included) and then
// returns that error without reading r again: on a terminal, a read after
// end of file would wait for another Ctrl-D.
type onceEOF struct {
	r   io.Reader
	err error
}

func (o *onceEOF) Read(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.r.Read(p)
	if err != nil {
		o.err = err
	}
	return n, err
}

// readUpTo reads r to its end keeping at most limit bytes; more reports
// that r held more than that, which is left unread but for one byte.
func readUpTo(r io.Reader, limit int64) (data []byte, more bool, err error) {
	if limit < 0 {
		limit = 0
	}
	data, err = io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(data)) > limit {
		return data[:limit], true, nil
	}
	return data, false, nil
}

// isFieldLine reports whether line starts like a header field: a name of
// printable characters followed by a colon.
func isFieldLine(line []byte) bool {
	for i, c := range line {
		switch {
		case c == ':':
			return i > 0
		case c <= ' ' || c > '~':
			return false
		}
	}
	return false
}

// isNamedField reports whether line starts with a header field name as mail
// software writes one — a letter, then letters, digits and hyphens — and a
// colon that does not open a URL ("https://…" in a wrapped value).
func isNamedField(line []byte) bool {
	for i, c := range line {
		switch {
		case c == ':':
			return i > 0 && !bytes.HasPrefix(line[i+1:], []byte("//"))
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '-' || c == '_'):
		default:
			return false
		}
	}
	return false
}
