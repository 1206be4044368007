package probe

import (
	"bufio"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestReadReply(t *testing.T) {
	long := "250 " + strings.Repeat("x", maxLine-4)
	many := strings.Repeat("250-x\r\n", maxLines) + "250 x\r\n"
	tests := []struct {
		name  string
		in    string
		code  int
		lines []string
		err   string // "" no error, "not-smtp" a notSMTP, else the error's text
	}{
		{"single", "220 mail.example.test ESMTP\r\n", 220, []string{"220 mail.example.test ESMTP"}, ""},
		{"bare code", "250\r\n", 250, []string{"250"}, ""},
		{"multi-line", "220-mail.example.test\r\n220-second\r\n220 last\r\n", 220,
			[]string{"220-mail.example.test", "220-second", "220 last"}, ""},
		{"LF only", "250-a\n250 b\n", 250, []string{"250-a", "250 b"}, ""},
		{"tab kept, controls replaced", "220 a\tb\x1b[2Jc\u202ed\xff\r\n", 220, []string{"220 a\tb?[2Jc?d?"}, ""},
		{"longest line", long + "\r\n", 250, []string{long}, ""},
		{"overlong line", long + "x\r\n", 0, nil, "not-smtp"},
		{"too many lines", many, 0, nil, "not-smtp"},
		{"mismatched codes", "220-a\r\n250 b\r\n", 0, nil, "not-smtp"},
		{"no separator", "220mail.example.test\r\n", 0, nil, "not-smtp"},
		{"1yz code", "123 x\r\n", 0, nil, "not-smtp"},
		{"x6z code", "260 x\r\n", 0, nil, "not-smtp"},
		{"empty line", "\r\n", 0, nil, "not-smtp"},
		{"ssh", "SSH-2.0-OpenSSH_9.6\r\n", 0, nil, "not-smtp"},
		{"http", "HTTP/1.1 400 Bad Request\r\n", 0, nil, "not-smtp"},
		{"empty input", "", 0, nil, io.EOF.Error()},
		{"unterminated line", "220 mail", 0, nil, io.ErrUnexpectedEOF.Error()},
		{"cut after continuation", "220-a\r\n", 0, nil, io.ErrUnexpectedEOF.Error()},
	}
	for _, tt := range tests {
		// A 16-byte buffer makes lines span several buffer fills.
		for _, size := range []int{16, 4096} {
			r, err := readReply(bufio.NewReaderSize(strings.NewReader(tt.in), size))
			var bad notSMTP
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("%s (buffer %d): error %v", tt.name, size, err)
			case tt.err == "not-smtp" && !errors.As(err, &bad):
				t.Errorf("%s (buffer %d): error %v, want not SMTP", tt.name, size, err)
			case tt.err != "" && tt.err != "not-smtp" && (err == nil || err.Error() != tt.err):
				t.Errorf("%s (buffer %d): error %v, want %s", tt.name, size, err, tt.err)
			case r.code != tt.code || !slices.Equal(r.lines, tt.lines):
				t.Errorf("%s (buffer %d): got %d %q, want %d %q", tt.name, size, r.code, r.lines, tt.code, tt.lines)
			}
		}
	}
}

// Replies follow each other on a connection: reading one must not eat into
// the next.
func TestReadReplySequence(t *testing.T) {
	br := bufio.NewReader(strings.NewReader("220 a.example.test\r\n250-b.example.test\n250 SIZE\r\n221 bye\r\n"))
	var codes []int
	for {
		r, err := readReply(br)
		if err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
		codes = append(codes, r.code)
	}
	if want := []int{220, 250, 221}; !slices.Equal(codes, want) {
		t.Errorf("codes %v, want %v", codes, want)
	}
}
