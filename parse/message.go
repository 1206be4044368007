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
// reading stopped.
type InputError struct {
	Line int // 1-based line in the input
	Err  error
}

func (e *InputError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *InputError) Unwrap() error { return e.Err }

// Message is what ReadMessage found: a header section and the body after it.
type Message struct {
	// Header is the top-level header section. It is empty when the input did
	// not start with header fields (a bounce pasted as plain text); then the
	// whole input is the Body.
	Header mail.Header
	// Body is the raw (undecoded) body, at most Limits.MaxBodyBytes of it.
	Body          []byte
	BodyTruncated bool
}

// Received returns the values of the Received fields in header order, the
// newest (top) first, ready for Hops.
func (m *Message) Received() []string { return m.Header.Values("Received") }

// ReadMessage reads a message as users supply one: a whole .eml, an mbox
// entry (its "From " line is skipped), or a headers-only paste with CRLF or LF
// line ends, leading blank lines, a byte order mark, a common indentation
// added by copy and paste, and no body. Field values are unfolded; RFC 2047
// encoded words are left for the caller (mail.Header.Text decodes them).
func ReadMessage(r io.Reader, lim Limits) (*Message, error) {
	br := bufio.NewReaderSize(r, 8<<10)
	head, line, err := readHeaderBlock(br, lim.MaxHeaderBytes)
	if err != nil {
		return nil, err
	}
	m := &Message{}
	if head.fields {
		h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(head.data)))
		if err != nil {
			return nil, &InputError{Line: head.firstLine, Err: err}
		}
		m.Header = mail.Header{Header: message.Header{Header: h}}
	} else {
		m.Body = head.data
	}
	body, truncated, err := readBounded(br, lim.MaxBodyBytes-int64(len(m.Body)))
	if err != nil {
		return nil, &InputError{Line: line, Err: err}
	}
	m.Body = append(m.Body, body...)
	m.BodyTruncated = truncated
	return m, nil
}

type headerBlock struct {
	data      []byte // the header section, de-indented, or the first text line when fields is false
	fields    bool   // the input starts with header fields
	firstLine int    // the input line data starts at
}

// readHeaderBlock reads up to and including the blank line that ends the
// header section, skipping what precedes it in pastes. It returns the line
// number the body starts at.
func readHeaderBlock(br *bufio.Reader, max int64) (headerBlock, int, error) {
	var (
		hb     headerBlock
		indent []byte
		read   int64
		line   int
	)
	for {
		raw, err := readLine(br, max-read)
		if err != nil && !errors.Is(err, io.EOF) {
			return hb, line, &InputError{Line: line + 1, Err: err}
		}
		if len(raw) == 0 && errors.Is(err, io.EOF) {
			return hb, line, nil
		}
		line++
		read += int64(len(raw))
		text := bytes.TrimRight(raw, "\r\n")
		if hb.firstLine == 0 {
			if line == 1 {
				text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))
			}
			if len(bytes.TrimSpace(text)) == 0 || (!hb.fields && bytes.HasPrefix(text, []byte("From "))) {
				if errors.Is(err, io.EOF) {
					return hb, line, nil
				}
				continue
			}
			hb.firstLine = line
			indent = text[:len(text)-len(bytes.TrimLeft(text, " \t"))]
			indent = append([]byte(nil), indent...)
			if !isFieldLine(text[len(indent):]) {
				// Not a header section: hand the text over as the body.
				hb.data = append(hb.data, raw...)
				return hb, line + 1, nil
			}
			hb.fields = true
		}
		if len(bytes.TrimSpace(text)) == 0 {
			return hb, line + 1, nil
		}
		text = bytes.TrimPrefix(text, indent)
		if text[0] != ' ' && text[0] != '\t' && !isFieldLine(text) {
			return hb, line, &InputError{Line: line, Err: fmt.Errorf("not a header field or continuation: %.40q", text)}
		}
		start := len(hb.data)
		hb.data = append(hb.data, text...)
		// A bare CR is no line end in a header (RFC 5322 2.2); left in a
		// value it would rewind the terminal line the value is shown on.
		for i := start; i < len(hb.data); i++ {
			if hb.data[i] == '\r' {
				hb.data[i] = ' '
			}
		}
		hb.data = append(hb.data, '\r', '\n')
		if errors.Is(err, io.EOF) {
			return hb, line + 1, nil
		}
	}
}

// readLine reads one line including its end, failing with ErrTooLarge once
// more than max bytes would be needed.
func readLine(br *bufio.Reader, max int64) ([]byte, error) {
	var out []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if int64(len(out)+len(chunk)) > max {
			return nil, fmt.Errorf("header section over %d bytes: %w", max, ErrTooLarge)
		}
		out = append(out, chunk...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return out, err
		}
	}
}

// readBounded reads the rest of br, keeping at most max bytes and draining
// the remainder so a pipe writer is not left blocked.
func readBounded(br *bufio.Reader, max int64) ([]byte, bool, error) {
	if max < 0 {
		max = 0
	}
	data, err := io.ReadAll(io.LimitReader(br, max))
	if err != nil {
		return nil, false, err
	}
	n, err := io.Copy(io.Discard, br)
	return data, n > 0, err
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
