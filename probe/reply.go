package probe

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// RFC 5321 4.5.3.1.5 caps a reply line at 512 octets; real servers overrun
// that with long banners, so the parser tolerates four times as much and
// stops there. The line cap bounds what one hostile reply can make us read
// and keep.
const (
	maxLine  = 2048 // bytes of a reply line, line ending excluded
	maxLines = 100  // lines of one multi-line reply
)

// notSMTP is input that is not an SMTP reply, as opposed to an I/O failure
// while reading one; it says what is wrong with it.
type notSMTP string

func (e notSMTP) Error() string { return string(e) }

func notSMTPf(format string, args ...any) error {
	return notSMTP(fmt.Sprintf(format, args...))
}

var errLongLine = notSMTPf("a line is longer than %d bytes", maxLine)

// reply is one SMTP reply: its code and its lines without their line
// endings, made safe to print (see printable).
type reply struct {
	code  int
	lines []string
}

// readReply reads one reply (RFC 5321 4.2): zero or more "250-text" lines
// and a last "250 text" (or bare "250") line, all with the same code. Lines
// may end in CRLF or a bare LF. A read error is returned as is, except that
// an end of input inside a reply becomes io.ErrUnexpectedEOF; anything
// malformed is a notSMTP. On error the reply is the zero value.
func readReply(br *bufio.Reader) (reply, error) {
	var r reply
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err != nil {
			if err == io.EOF && n > 1 {
				err = io.ErrUnexpectedEOF
			}
			return reply{}, err
		}
		code, last, ok := replyLine(line)
		switch {
		case !ok:
			return reply{}, notSMTPf("line %d is %s", n, quote(line))
		case n == 1:
			r.code = code
		case code != r.code:
			return reply{}, notSMTPf("line %d has code %d inside a %d reply", n, code, r.code)
		}
		r.lines = append(r.lines, printable(line))
		if last {
			return r, nil
		}
		if n == maxLines {
			return reply{}, notSMTPf("more than %d lines", maxLines)
		}
	}
}

// readLine returns the next line without its ending. The line is valid
// until the next read from br: in the usual case it is br's own buffer.
// However small that buffer, readLine reads only about maxLine bytes of an
// overlong line before it gives up.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		line = append([]byte(nil), line...)
		for err == bufio.ErrBufferFull && len(line) <= maxLine+2 {
			var more []byte
			more, err = br.ReadSlice('\n')
			line = append(line, more...)
		}
	}
	switch {
	case len(line) > maxLine+2:
		return nil, errLongLine
	case err == io.EOF && len(line) > 0:
		return nil, io.ErrUnexpectedEOF
	case err != nil:
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > maxLine {
		return nil, errLongLine
	}
	return line, nil
}

// replyLine checks a line's code (RFC 5321 4.2: first digit 2-5, second
// 0-5) and the separator after it: '-' on all but the last line, ' ' or
// nothing on the last.
func replyLine(line []byte) (code int, last, ok bool) {
	if len(line) < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' || line[2] < '0' || line[2] > '9' {
		return 0, false, false
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	switch {
	case len(line) == 3:
		return code, true, true
	case line[3] == ' ':
		return code, true, true
	case line[3] == '-':
		return code, false, true
	}
	return 0, false, false
}

// printable keeps a reply line safe to show on a terminal or in a report:
// tabs (which RFC 5321 allows in reply text) and printable characters stay,
// anything else (control characters, bidirectional overrides, invalid
// UTF-8) becomes '?'. The result is never longer than the input.
func printable(b []byte) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r != utf8.RuneError && unicode.IsPrint(r) {
			return r
		}
		return '?'
	}, string(b))
}

// quote shows at most the first 40 bytes of foreign input, Go-quoted so
// that any byte is visible and harmless.
func quote(b []byte) string {
	const show = 40
	if len(b) > show {
		return fmt.Sprintf("%+q…", b[:show])
	}
	return fmt.Sprintf("%+q", b)
}
