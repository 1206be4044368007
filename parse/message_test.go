package parse

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const stampTop = "from relay.example.test (relay.example.test [198.51.100.7]) by mx.example.test (Postfix) with ESMTPS id 4ZkQ1; Tue, 24 Nov 2026 10:00:02 +0000"
const stampBottom = "from app.example.test ([192.0.2.10]) by relay.example.test with ESMTP id 1; Tue, 24 Nov 2026 10:00:00 +0000"

func TestReadMessageVariants(t *testing.T) {
	plain := "Received: " + stampTop + "\nReceived: " + stampBottom + "\nSubject: hello\n\nbody line\n"
	tests := []struct {
		name     string
		in       string
		subject  string
		received []string
		body     string
	}{
		{"lf", plain, "hello", []string{stampTop, stampBottom}, "body line\n"},
		{"crlf", strings.ReplaceAll(plain, "\n", "\r\n"), "hello", []string{stampTop, stampBottom}, "body line\r\n"},
		{"headers only, no final newline", "Received: " + stampTop + "\nSubject: hello", "hello", []string{stampTop}, ""},
		{"headers only, blank line end", "Received: " + stampTop + "\n\n", "", []string{stampTop}, ""},
		{"leading blank lines and BOM", "\xef\xbb\xbf\n  \r\n\nReceived: " + stampTop + "\n", "", []string{stampTop}, ""},
		{"mbox From line", "From MAILER-DAEMON Tue Nov 24 10:00:03 2026\nReceived: " + stampTop + "\nSubject: hello\n\nx\n", "hello", []string{stampTop}, "x\n"},
		{"common indentation", "    Received: from relay.example.test (relay.example.test [198.51.100.7])\n    \tby mx.example.test (Postfix) with ESMTPS id 4ZkQ1;\n    \tTue, 24 Nov 2026 10:00:02 +0000\n    Subject: hello\n", "hello", []string{stampTop}, ""},
		{"folded", "Received: from relay.example.test (relay.example.test [198.51.100.7])\n        by mx.example.test (Postfix)\n\twith ESMTPS id 4ZkQ1; Tue, 24 Nov 2026 10:00:02 +0000\n", "", []string{stampTop}, ""},
		{"encoded word", "Subject: =?UTF-8?B?w6ljaGVj?= de livraison\nReceived: " + stampTop + "\n", "échec de livraison", []string{stampTop}, ""},
		{"bare CR inside a field", "Received: " + stampTop[:40] + "\r" + stampTop[41:] + "\n", "", []string{stampTop[:40] + " " + stampTop[41:]}, ""},
		{"8-bit bytes", "Subject: caf\xe9 \xc3\xa9\nReceived: " + stampTop + "\n", "caf\xe9 \xc3\xa9", []string{stampTop}, ""},
		{"plain text", "This is the mail system at host relay.example.test.\n\nI'm sorry\n", "", nil, "This is the mail system at host relay.example.test.\n\nI'm sorry\n"},
		{"empty", "", "", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ReadMessage(strings.NewReader(tc.in), DefaultLimits)
			if err != nil {
				t.Fatalf("ReadMessage: %v", err)
			}
			subject, _ := m.Header.Text("Subject")
			if subject != tc.subject {
				t.Errorf("subject = %q, want %q", subject, tc.subject)
			}
			got := m.Received()
			if strings.Join(got, "\n") != strings.Join(tc.received, "\n") {
				t.Errorf("received =\n%q\nwant\n%q", got, tc.received)
			}
			if string(m.Body) != tc.body {
				t.Errorf("body = %q, want %q", m.Body, tc.body)
			}
		})
	}
}

func TestReadMessageMalformedLine(t *testing.T) {
	in := "Received: " + stampTop + "\nSubject: x\nthis line is no field\nFrom: a@example.test\n"
	_, err := ReadMessage(strings.NewReader(in), DefaultLimits)
	var ie *InputError
	if !errors.As(err, &ie) || ie.Line != 3 {
		t.Fatalf("err = %v, want an InputError at line 3", err)
	}
}

func TestReadMessageLimits(t *testing.T) {
	lim := Limits{MaxHeaderBytes: 1 << 10, MaxBodyBytes: 16}
	t.Run("header over the limit", func(t *testing.T) {
		in := "Received: " + strings.Repeat("x", 2<<10) + "\n\n"
		_, err := ReadMessage(strings.NewReader(in), lim)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("many fields over the limit", func(t *testing.T) {
		in := strings.Repeat("X-A: b\n", 1000)
		_, err := ReadMessage(strings.NewReader(in), lim)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("body truncated, not refused", func(t *testing.T) {
		m, err := ReadMessage(strings.NewReader("Subject: x\n\n"+strings.Repeat("b", 100)), lim)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Body) != 16 || !m.BodyTruncated {
			t.Fatalf("body %d bytes, truncated %v; want 16, true", len(m.Body), m.BodyTruncated)
		}
	})
	t.Run("endless header stays bounded", func(t *testing.T) {
		// An unending line must stop at the limit without reading it all.
		r := io.LimitReader(repeatReader('a'), 1<<30)
		_, err := ReadMessage(r, lim)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
	})
}

type repeatReader byte

func (b repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func FuzzReadMessage(f *testing.F) {
	f.Add([]byte("Received: " + stampTop + "\r\nSubject: x\r\n\r\nbody"))
	f.Add([]byte("From x\n  Received: a\n  \tb\n\n"))
	f.Add([]byte("\xef\xbb\xbf\n\nplain text"))
	f.Add([]byte("A:\n:\n \n"))
	// Every paste shape: quoted, Gmail's page, Outlook's box, rewrapped, …
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "messages", "*.eml"))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{"> > Received: x\n>> y\n", "Original Message\nMessage ID\tx\nCopy to clipboard\nReceived: a\n",
		"Microsoft Mail Internet Headers Version 2.0\n", "Received: from a (b\nby c;\nSubject: (x\nTo: y\n", "Hi:\n\nReceived: x\n",
		"From x\n\nFrom y\n\nFrom z\n", "\xc2\xa0Received: a\n\xc2\xa0\xc2\xa0b\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		lim := Limits{MaxHeaderBytes: 4 << 10, MaxBodyBytes: 4 << 10}
		m, err := ReadMessage(bytes.NewReader(in), lim)
		if err != nil {
			return
		}
		if len(m.Body) > int(lim.MaxBodyBytes) {
			t.Fatalf("body %d bytes over the limit", len(m.Body))
		}
		for _, v := range m.Received() {
			if strings.ContainsAny(v, "\r\n") {
				t.Fatalf("unfolded value keeps a line break: %q", v)
			}
		}
	})
}
