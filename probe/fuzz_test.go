package probe

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzReadReply judges the input's first bytes as a greeting would, then
// reads replies one after another until an error, as from a
// connection, and checks what readReply promises on any input: no panic; a
// reply has between 1 and maxLines lines, each at most maxLine bytes of
// printable UTF-8 starting with the reply's code and the right separator;
// each reply consumes input; an error is either a notSMTP or from the input
// running out (the only error a bytes.Reader gives). The seeds are in
// testdata/fuzz/FuzzReadReply.
func FuzzReadReply(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		if err := foreign(in); (err == nil) != (len(in) == 0 || in[0] >= '2' && in[0] <= '5') {
			t.Fatalf("foreign: %v", err)
		}
		src := bytes.NewReader(in)
		br := bufio.NewReaderSize(src, 16) // small, so lines span buffer fills
		for {
			before := src.Len() + br.Buffered()
			r, err := readReply(br)
			if err != nil {
				var bad notSMTP
				if !errors.As(err, &bad) && err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatalf("unexpected error %v", err)
				}
				if r.code != 0 || r.lines != nil {
					t.Fatalf("error %v with a reply %d %q", err, r.code, r.lines)
				}
				return
			}
			if src.Len()+br.Buffered() >= before {
				t.Fatal("a reply consumed no input")
			}
			checkReply(t, r)
		}
	})
}

func checkReply(t *testing.T, r reply) {
	if r.code < 200 || r.code > 559 || len(r.lines) == 0 || len(r.lines) > maxLines {
		t.Fatalf("code %d with %d lines", r.code, len(r.lines))
	}
	code := strconv.Itoa(r.code)
	for i, l := range r.lines {
		if len(l) > maxLine || !strings.HasPrefix(l, code) || !utf8.ValidString(l) {
			t.Fatalf("line %d %q of a %d reply", i, l, r.code)
		}
		if last := i == len(r.lines)-1; len(l) > 3 && (l[3] == ' ') != last || !last && len(l) == 3 {
			t.Fatalf("line %d %q has the wrong separator", i, l)
		}
		for _, c := range l {
			if c != '\t' && !unicode.IsPrint(c) {
				t.Fatalf("line %d %q keeps %U", i, l, c)
			}
		}
	}
	domainOf(r) // must not panic
}
