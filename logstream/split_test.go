package logstream

import (
	"strings"
	"testing"
)

type splitLine struct {
	text string
	cut  bool
	raw  int64
}

func splitAll(max int, chunks [][]byte, flush bool) []splitLine {
	var got []splitLine
	emit := func(text []byte, cut bool, raw int64) {
		got = append(got, splitLine{string(text), cut, raw})
	}
	s := newSplitter(max)
	for _, c := range chunks {
		s.write(c, emit)
	}
	if flush {
		s.flush(emit)
	}
	return got
}

func TestSplit(t *testing.T) {
	long := strings.Repeat("x", 20)
	tests := []struct {
		name  string
		in    string
		flush bool
		want  []splitLine
	}{
		{"lines", "a\nbc\n\n", false, []splitLine{{"a", false, 2}, {"bc", false, 3}, {"", false, 1}}},
		{"crlf", "a\r\nb\r\r\n", false, []splitLine{{"a", false, 3}, {"b\r", false, 4}}},
		{"partial held", "a\nbc", false, []splitLine{{"a", false, 2}}},
		{"partial flushed", "a\nbc", true, []splitLine{{"a", false, 2}, {"bc", false, 2}}},
		{"at the bound", "abcdefghij\n", false, []splitLine{{"abcdefghij", false, 11}}},
		{"bound and cr", "abcdefghij\r\n", false, []splitLine{{"abcdefghij", false, 12}}},
		{"one over", "abcdefghijk\n", false, []splitLine{{"abcdefghij", true, 12}}},
		{"long then short", long + "\r\nok\n", false, []splitLine{{long[:10], true, 22}, {"ok", false, 3}}},
		{"nothing flushed", "", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			whole := splitAll(10, [][]byte{[]byte(tt.in)}, tt.flush)
			if !equalSplit(whole, tt.want) {
				t.Errorf("whole: got %+v, want %+v", whole, tt.want)
			}
			var bytewise [][]byte
			for i := range len(tt.in) {
				bytewise = append(bytewise, []byte{tt.in[i]})
			}
			if got := splitAll(10, bytewise, tt.flush); !equalSplit(got, tt.want) {
				t.Errorf("byte by byte: got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func equalSplit(a, b []splitLine) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzSplit checks that any chunking of any input gives the lines of the
// whole input, that no line is longer than the bound, and that the sizes add
// up to the input's (positions depend on it).
func FuzzSplit(f *testing.F) {
	f.Add([]byte("Nov 29 16:00:01 mx1 postfix/smtpd[4242]: connect from unknown[192.0.2.7]\n"), []byte{3, 40, 1}, uint8(16))
	f.Add([]byte("a\r\nb\rc\n\n\r\n"), []byte{1}, uint8(1))
	f.Add([]byte("no newline at all"), []byte{5, 0}, uint8(4))
	f.Fuzz(func(t *testing.T, data, cuts []byte, bound uint8) {
		max := int(bound%64) + 1
		want := splitAll(max, [][]byte{data}, true)
		var chunks [][]byte
		rest := data
		for i := 0; len(rest) > 0; i++ {
			n := len(rest)
			if len(cuts) > 0 {
				n = min(int(cuts[i%len(cuts)]), n)
			}
			if n == 0 { // an empty write, then on
				chunks = append(chunks, nil)
				n = 1
			}
			chunks = append(chunks, rest[:n])
			rest = rest[n:]
		}
		got := splitAll(max, chunks, true)
		if !equalSplit(got, want) {
			t.Fatalf("chunked %q: got %+v, want %+v", chunks, got, want)
		}
		var total int64
		for i, l := range got {
			total += l.raw
			if len(l.text) > max {
				t.Fatalf("line %d has %d bytes, bound %d", i, len(l.text), max)
			}
		}
		if total != int64(len(data)) {
			t.Fatalf("line sizes add up to %d, input has %d", total, len(data))
		}
		// Against a plain split for inputs whose lines fit.
		lines := strings.SplitAfter(string(data), "\n")
		if lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		if len(lines) != len(got) {
			t.Fatalf("%d lines, plain split has %d", len(got), len(lines))
		}
		for i, l := range lines {
			text := strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r")
			if len(text) <= max && (got[i].text != text || got[i].cut) {
				t.Fatalf("line %d: got %q (cut %v), want %q", i, got[i].text, got[i].cut, text)
			}
			if len(text) > max && (!got[i].cut || !strings.HasPrefix(text, got[i].text)) {
				t.Fatalf("line %d: got %q (cut %v), want a cut prefix of %q", i, got[i].text, got[i].cut, text)
			}
		}
	})
}
