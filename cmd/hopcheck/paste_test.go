package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
)

// terminal is standard input on a terminal: it hands out what was pasted,
// reports end of file once when Ctrl-D is pressed, and would hand out what
// the user types after that. Reads after the end of file are counted.
type terminal struct {
	pasted        []string
	eof           bool
	readsAfterEOF int
}

func (r *terminal) Read(p []byte) (int, error) {
	if r.eof {
		r.readsAfterEOF++
		return copy(p, "typed after Ctrl-D\n"), nil
	}
	if len(r.pasted) == 0 {
		r.eof = true
		return 0, io.EOF
	}
	n := copy(p, r.pasted[0])
	r.pasted = r.pasted[1:]
	return n, nil
}

// TestOneCtrlDEndsThePaste: one end of file ends the input whatever its
// shape — headers only, a whole message, a bounce pasted as text, nothing
// — and standard input is not read after it.
func TestOneCtrlDEndsThePaste(t *testing.T) {
	msg, err := os.ReadFile("../../testdata/demo/message.eml")
	if err != nil {
		t.Fatal(err)
	}
	head, body, _ := strings.Cut(string(msg), "\n\n")
	bounce, err := os.ReadFile("../../testdata/bounces/text-postfix-paste.eml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		pasted []string
		exit   int
	}{
		{"headers only", []string{head + "\n"}, exitMisaligned},
		{"whole message", []string{head + "\n\n", body}, exitMisaligned},
		{"bounce", []string{string(bounce)}, -1},
		{"nothing", nil, exitDataErr},
	} {
		stdin := &terminal{pasted: tc.pasted}
		var stdout, stderr bytes.Buffer
		e := env{stdin: stdin, stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" },
			isTerminal: func(v any) bool { return v == any(stdin) }}
		code := run([]string{"analyze", "--offline"}, e)
		if stdin.readsAfterEOF != 0 {
			t.Errorf("%s: standard input read %d times after Ctrl-D; one Ctrl-D must end the paste", tc.name, stdin.readsAfterEOF)
		}
		if tc.exit >= 0 && code != tc.exit {
			t.Errorf("%s: exit %d, want %d (%s)", tc.name, code, tc.exit, stderr.String())
		}
		if !strings.Contains(stderr.String(), "Ctrl-D") {
			t.Errorf("%s: no paste prompt on a terminal: %q", tc.name, stderr.String())
		}
	}
}

// TestBadInputIsAnError: input that is no message exits 65 and says what
// was found and what to give instead — never a bare "no external hop".
func TestBadInputIsAnError(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		says []string
	}{
		{"empty", nil, []string{"empty input", "save the message as .eml"}},
		{"white space", []byte("\n \r\n\t\n"), []string{"empty input"}},
		{"binary", []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), []string{"binary input", "NUL"}},
		{"gzip", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), []string{"binary input", "zcat"}},
		{"outlook .msg", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00"), []string{"Outlook .msg", "Internet headers"}},
		{"prose", []byte("Hi, the mail to bob bounced again, can you check?\nThanks\n"), []string{"no header fields", `"Hi, the mail to bob bounced again, can you check?"`, "Show original"}},
		{"lost line structure", []byte("Received: from relay.example.test (relay.example.test [198.51.100.7]) by mx.example.test (Postfix) with ESMTPS id 4ZkQ1; Tue, 24 Nov 2026 10:00:02 +0000\nSubject: x\nthis line is no field\n"), []string{"line 3", "neither a header field nor the continuation", "save the message as .eml"}},
	} {
		out, stderr, code := hopcheck(t, tc.in, "analyze", "--offline")
		if code != exitDataErr {
			t.Errorf("%s: exit %d, want 65\n%s%s", tc.name, code, out, stderr)
		}
		for _, s := range tc.says {
			if !strings.Contains(stderr, s) {
				t.Errorf("%s: stderr lacks %q: %s", tc.name, s, stderr)
			}
		}
		if strings.Contains(out+stderr, "no external hop") {
			t.Errorf("%s: says no external hop", tc.name)
		}
	}
}

// TestOversizedSaysTheLimit: the refusal states the real limit, not what
// was left of it when the line that crossed it came.
func TestOversizedSaysTheLimit(t *testing.T) {
	for _, in := range [][]byte{
		[]byte("Received: " + strings.Repeat("x", 11<<20) + "\n"),
		[]byte(strings.Repeat("X-Filler: "+strings.Repeat("y", 30)+"\n", 300000)),
	} {
		_, stderr, code := hopcheck(t, in, "analyze", "--offline")
		if code != exitDataErr || !strings.Contains(stderr, "over the limit of 10 MiB (10485760 bytes)") {
			t.Errorf("exit %d, stderr %q; want 65 and the 10 MiB limit", code, stderr)
		}
	}
}

// TestMboxOfSeveralMessagesWarns: only the first message of an mbox is
// judged, and the command says so.
func TestMboxOfSeveralMessagesWarns(t *testing.T) {
	one, err := os.ReadFile("../../testdata/messages/mbox-from-line.eml")
	if err != nil {
		t.Fatal(err)
	}
	mbox := append(append(append([]byte{}, one...), '\n'), one...)
	_, stderr, code := hopcheck(t, mbox, "analyze", "--offline")
	if code != exitMisaligned || !strings.Contains(stderr, "warning: the input is an mbox of 2 messages and only the first was read") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if _, stderr, _ := hopcheck(t, one, "analyze", "--offline"); strings.Contains(stderr, "warning") {
		t.Errorf("one message warns: %s", stderr)
	}
}

// TestReportSaysHowThePasteWasRead: the report names a paste's shape, in
// text and in JSON, so that a surprising verdict can be traced to it.
func TestReportSaysHowThePasteWasRead(t *testing.T) {
	out, _, _ := hopcheck(t, nil, "analyze", "--offline", "testdata/messages/paste-gmail-original.eml")
	if !strings.Contains(strings.Join(strings.Fields(out), " "), `read from Gmail's "Show original" page`) {
		t.Errorf("text report does not say how the paste was read:\n%s", out)
	}
	out, _, _ = hopcheck(t, nil, "analyze", "--offline", "--format", "json", "testdata/messages/paste-gmail-original.eml")
	var d struct{ Source struct{ Shape string } }
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.Source.Shape != "gmail-original" {
		t.Errorf("source.shape %q (%v)", d.Source.Shape, err)
	}
}
