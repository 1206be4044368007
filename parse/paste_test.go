package parse

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// eofOnce is a terminal as a reader: it hands out its chunks, returns
// io.EOF once (Ctrl-D), and would go on with more chunks after it — what a
// terminal does when the user types on. Reads after the EOF are counted.
type eofOnce struct {
	before, after []string
	eofWithData   bool // the last chunk before the EOF comes with the io.EOF
	eofSeen       bool
	readsAfterEOF int
}

func (r *eofOnce) Read(p []byte) (int, error) {
	if r.eofSeen {
		r.readsAfterEOF++
		if len(r.after) == 0 {
			return 0, io.EOF
		}
		n := copy(p, r.after[0])
		r.after = r.after[1:]
		return n, nil
	}
	if len(r.before) == 0 {
		r.eofSeen = true
		return 0, io.EOF
	}
	n := copy(p, r.before[0])
	r.before = r.before[1:]
	if len(r.before) == 0 && r.eofWithData {
		r.eofSeen = true
		return n, io.EOF
	}
	return n, nil
}

// TestReadMessageOneEOF: one end of file ends the input, whatever its
// shape; the reader is never read again after it.
func TestReadMessageOneEOF(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before []string
	}{
		{"headers only", []string{"Received: " + stampTop + "\n", "Subject: hello\n"}},
		{"headers only, no final newline", []string{"Received: " + stampTop + "\nSubject: hello"}},
		{"message with a body", []string{"Received: " + stampTop + "\nSubject: hello\n\n", "body line\n"}},
		{"bounce pasted as text", []string{"This is the mail system at host relay.example.test.\n\n", "<a@example.test>: host mx.example.test[198.51.100.5] said: 550 no\n"}},
		{"empty", nil},
		{"quoted", []string{"> Received: " + stampTop + "\n> Subject: hello\n"}},
	} {
		for _, withData := range []bool{false, true} {
			r := &eofOnce{before: tc.before, after: []string{"Subject: typed after Ctrl-D\n", "more\n"}, eofWithData: withData}
			m, err := ReadMessage(r, DefaultLimits)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if r.readsAfterEOF != 0 {
				t.Errorf("%s (EOF with data %v): %d reads after the end of file; want none", tc.name, withData, r.readsAfterEOF)
			}
			if strings.Contains(string(m.Body), "typed after") || strings.Contains(m.Header.Get("Subject"), "typed after") {
				t.Errorf("%s: text typed after the end of file was read", tc.name)
			}
		}
		// Input, as the command line wraps its source, keeps the promise.
		r := &eofOnce{before: tc.before, after: []string{"more\n"}}
		if _, err := ReadMessage(NewInput(r), DefaultLimits); err != nil || r.readsAfterEOF != 0 {
			t.Errorf("%s through Input: err %v, %d reads after the end of file", tc.name, err, r.readsAfterEOF)
		}
	}
}

// TestReadMessageLimitInError: the oversized-input error states the limit
// itself, whatever was read before the line that crossed it.
func TestReadMessageLimitInError(t *testing.T) {
	for _, in := range []string{
		"Received: " + strings.Repeat("x", 11<<20) + "\n",
		strings.Repeat("X-Filler: "+strings.Repeat("y", 30)+"\n", 300000),
		"Here are the headers:\n\n" + strings.Repeat("Received: from a by b; Tue, 10 Mar 2026 20:12:09 +0100\n", 200000),
	} {
		_, err := ReadMessage(strings.NewReader(in), DefaultLimits)
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "10 MiB (10485760 bytes)") {
			t.Errorf("err = %v; want ErrTooLarge naming the 10 MiB limit", err)
		}
	}
	_, err := ReadMessage(strings.NewReader(strings.Repeat("X-A: b\n", 1000)), Limits{MaxHeaderBytes: 1 << 10, MaxBodyBytes: 16})
	if err == nil || !strings.Contains(err.Error(), "1 KiB (1024 bytes)") {
		t.Errorf("err = %v; want the 1 KiB limit named", err)
	}
}

const (
	stampGmail    = "from mail.tyrell.example (mail.tyrell.example. [203.0.113.150]) by mx.google.com with ESMTPS id a1si2; Tue, 10 Mar 2026 12:12:09 -0700 (PDT)"
	stampGmailTop = "by 2002:a05:7000:1::1 with SMTP id x9csp1; Tue, 10 Mar 2026 12:12:10 -0700 (PDT)"
)

// TestPasteShapes reads every paste shape and checks where the headers
// were found, what they hold and what shape was reported.
func TestPasteShapes(t *testing.T) {
	eml := "Received: " + stampTop + "\nSubject: hello\n\nbody\n"
	tests := []struct {
		name, in, shape string
		received        []string
		subject, body   string
	}{
		{"eml", eml, ShapeEML, []string{stampTop}, "hello", "body\n"},
		{"headers", "Received: " + stampTop + "\nSubject: hello\n", ShapeHeaders, []string{stampTop}, "hello", ""},
		{"mbox", "From MAILER-DAEMON Tue Nov 24 10:00:03 2026\n" + eml, ShapeMbox, []string{stampTop}, "hello", "body\n"},
		{"empty", " \n\t\r\n", ShapeEmpty, nil, "", ""},
		{"text", "This is the mail system at host relay.example.test.\n", ShapeText, nil, "", "This is the mail system at host relay.example.test.\n"},
		{"quoted with '> '", "> Received: from relay.example.test (relay.example.test [198.51.100.7])\n> \tby mx.example.test (Postfix) with ESMTPS id 4ZkQ1;\n> \tTue, 24 Nov 2026 10:00:02 +0000\n> Subject: hello\n>\n> body\n",
			ShapeQuoted, []string{stampTop}, "hello", "body\n"},
		{"quoted with '>', attribution and signature", "On Tue, 24 Nov 2026 at 11:02, Alice <alice@example.test> wrote:\n\n>Received: from relay.example.test (relay.example.test [198.51.100.7])\n>\tby mx.example.test (Postfix) with ESMTPS id 4ZkQ1;\n>\tTue, 24 Nov 2026 10:00:02 +0000\n>Subject: hello\n\n-- \nBob\n",
			ShapeQuoted, []string{stampTop}, "hello", ""},
		{"quoted twice", "> > Received: " + stampTop + "\n> > Subject: hello\n", ShapeQuoted, []string{stampTop}, "hello", ""},
		{"quoted twice, no spaces", ">> Received: " + stampTop + "\n>> Subject: hello\n", ShapeQuoted, []string{stampTop}, "hello", ""},
		{"quoted bounce text", "> This is the mail system at host relay.example.test.\n>\n> <a@example.test>: host mx.example.test[198.51.100.5] said: 550 no\n",
			ShapeQuoted, nil, "", "This is the mail system at host relay.example.test.\n\n<a@example.test>: host mx.example.test[198.51.100.5] said: 550 no\n"},
		{"gmail show original, one row a line", "Original Message\nMessage ID\t<CAB1@mail.gmail.com>\nCreated at:\tTue, Mar 10, 2026 at 8:12 PM (Delivered after 1 second)\nFrom:\tRoy <roy@tyrell.example>\nTo:\tdeckard@gmail.com\nSubject:\tmore human\nSPF:\tPASS with IP 203.0.113.150 Learn more\nDKIM:\t'PASS' with domain tyrell.example Learn more\nDMARC:\t'PASS' Learn more\nDownload original\nCopy to clipboard\nDelivered-To: deckard@gmail.com\nReceived: " + stampGmailTop + "\nReceived: " + stampGmail + "\nSubject: more human\n\nbody\n",
			ShapeGmail, []string{stampGmailTop, stampGmail}, "more human", "body\n"},
		{"gmail show original, buttons on one line, blank rows", "\nOriginal Message\n\nMessage ID\t<CAB1@mail.gmail.com>\n\nCreated at:\tTue, Mar 10, 2026 at 8:12 PM (Delivered after 1 second)\nFrom:\tRoy <roy@tyrell.example>\nTo:\tdeckard@gmail.com\nSubject:\tmore human\nSPF:\tPASS with IP 203.0.113.150 Learn more\nDownload original\tCopy to clipboard\n\nDelivered-To: deckard@gmail.com\nReceived: " + stampGmail + "\n",
			ShapeGmail, []string{stampGmail}, "", ""},
		{"outlook internet headers", "Microsoft Mail Internet Headers Version 2.0\r\nReceived: " + stampTop + "\r\nSubject: hello\r\n", ShapeOutlook, []string{stampTop}, "hello", ""},
		{"preface", "Here are the headers of the message that bounced:\n\nReceived: " + stampTop + "\nSubject: hello\n", ShapePreface, []string{stampTop}, "hello", ""},
		{"rewrapped", "Received: from relay.example.test (relay.example.test [198.51.100.7])\nby mx.example.test (Postfix) with ESMTPS id 4ZkQ1;\nTue, 24 Nov 2026 10:00:02 +0000\nSubject: hello\n", ShapeRewrapped, []string{stampTop}, "hello", ""},
		{"rewrapped after a Received without its date", "Received: from relay.example.test (relay.example.test [198.51.100.7]) by mx.example.test\n(Postfix) with ESMTPS id 4ZkQ1; Tue, 24 Nov 2026 10:00:02 +0000\nSubject: hello\n", ShapeRewrapped, []string{stampTop}, "hello", ""},
		{"rewrapped, no-break space indentation", "Received: from relay.example.test (relay.example.test [198.51.100.7])\n\u00a0\u00a0by mx.example.test (Postfix) with ESMTPS id 4ZkQ1;\n\u00a0Tue, 24 Nov 2026 10:00:02 +0000\nSubject: hello\n", ShapeHeaders, []string{stampTop}, "hello", ""},
		{"rewrapped URL is no field", "X-Report-Abuse: report here:\nhttps://abuse.example.test/x\nReceived: from relay.example.test (relay.example.test [198.51.100.7])\nby mx.example.test (Postfix) with ESMTPS id 4ZkQ1;\nTue, 24 Nov 2026 10:00:02 +0000\n", ShapeRewrapped, []string{stampTop}, "", ""},
		{"quoted and rewrapped", "> Received: from relay.example.test (relay.example.test [198.51.100.7])\n> by mx.example.test (Postfix) with ESMTPS id 4ZkQ1;\n> Tue, 24 Nov 2026 10:00:02 +0000\n> Subject: hello\n", ShapeQuoted + "+" + ShapeRewrapped, []string{stampTop}, "hello", ""},
		{"sendmail transcript is no quote", "   ----- Transcript of session follows -----\n>>> RCPT To:<a@example.test>\n<<< 550 5.1.1 unknown\n>>> DATA\n<<< 503 no\n", ShapeText, nil, "", "   ----- Transcript of session follows -----\n>>> RCPT To:<a@example.test>\n<<< 550 5.1.1 unknown\n>>> DATA\n<<< 503 no\n"},
		{"a reply on top is no preface", "550 5.7.25 no PTR\n\nReceived: " + stampTop + "\n", ShapeText, nil, "", "550 5.7.25 no PTR\n\nReceived: " + stampTop + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ReadMessage(strings.NewReader(tc.in), DefaultLimits)
			if err != nil {
				t.Fatalf("ReadMessage: %v", err)
			}
			if m.Shape != tc.shape {
				t.Errorf("shape %q, want %q", m.Shape, tc.shape)
			}
			if got := m.Received(); strings.Join(got, "\n") != strings.Join(tc.received, "\n") {
				t.Errorf("received =\n%q\nwant\n%q", got, tc.received)
			}
			if s, _ := m.Header.Text("Subject"); s != tc.subject {
				t.Errorf("subject %q, want %q", s, tc.subject)
			}
			if string(m.Body) != tc.body {
				t.Errorf("body %q, want %q", m.Body, tc.body)
			}
		})
	}
}

// TestPasteErrors: a paste that cannot be read as headers is an
// *InputError naming the line and saying how to paste instead.
func TestPasteErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		line     int
		says     string
	}{
		{"one line lost its indentation after a finished field", "Received: " + stampTop + "\nSubject: x\nthis line is no field\nFrom: a@example.test\n", 3, "neither a header field nor the continuation"},
		{"a field that may continue an open comment", "Received: from relay.example.test (relay.example.test\nby mx.example.test (Postfix) with ESMTPS id 4ZkQ1;\nTue, 24 Nov 2026 10:00:02 +0000\nX-Note: [198.51.100.7]) said\n", 4, "may go on with the field above"},
	} {
		_, err := ReadMessage(strings.NewReader(tc.in), DefaultLimits)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Line != tc.line || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), "save the message as .eml") {
			t.Errorf("%s: err = %v; want an InputError at line %d saying %q and how to paste", tc.name, err, tc.line, tc.says)
		}
	}
}

func TestInputCheck(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     error // nil: readable
		says     string
	}{
		{"empty", "", ErrEmpty, "empty input"},
		{"white space", " \r\n\t\n", ErrEmpty, "empty input"},
		{"NUL bytes", "Received: x\x00\x00\x00", ErrBinary, "NUL"},
		{"control characters", strings.Repeat("\x01\x02\x03ab", 100), ErrBinary, "control characters"},
		{"gzip", "\x1f\x8b\x08\x00rest", ErrBinary, "zcat"},
		{"outlook .msg", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", ErrBinary, "Outlook .msg"},
		{"utf-16", "\xff\xfeR\x00e\x00", ErrBinary, "UTF-16"},
		{"prose", "I think the mail server is down.\nCan you look?\n", errNoHeaders, `starts with "I think the mail server is down."`},
		{"gmail summary alone", "Original Message\nMessage ID\t<x@y>\nCreated at:\tTue, Mar 10, 2026\n", errNoHeaders, "Show original"},
		{"headers", "Received: " + stampTop + "\n", nil, ""},
		{"a draft without Received", "Subject: x\n\nbody\n", nil, ""},
		{"bounce text", "This is the mail system at host relay.example.test.\n\n<a@example.test>: host mx.example.test[198.51.100.5] said: 550 5.7.1 no\n", nil, ""},
		{"reply pasted alone", "550-5.7.25 [192.0.2.10] The IP address sending this message does not have a\n550 5.7.25 PTR record setup. a1si2 - gsmtp\n", nil, ""},
		{"UTF-8 text with a BOM", "\xef\xbb\xbfReceived: " + stampTop + "\n", nil, ""},
	} {
		in := NewInput(strings.NewReader(tc.in))
		if _, err := io.Copy(io.Discard, in); err != nil {
			t.Fatal(err)
		}
		err := in.Check()
		var ie *InputError
		switch {
		case tc.want == nil && err != nil:
			t.Errorf("%s: Check = %v, want nil", tc.name, err)
		case tc.want != nil && (!errors.Is(err, tc.want) || !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.says)):
			t.Errorf("%s: Check = %v, want an InputError of %v saying %q", tc.name, err, tc.want, tc.says)
		}
	}
}

func TestMboxWarning(t *testing.T) {
	entry := "From a@example.test Tue Nov 24 10:00:03 2026\nReceived: " + stampTop + "\nSubject: s\n\nbody\nFrom the start, a line of prose.\n\n>From escaped\n"
	for n := 1; n <= 3; n++ {
		in := strings.Repeat(entry+"\n", n)
		m, err := ReadMessage(strings.NewReader(in), DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		inp := NewInput(strings.NewReader(in))
		io.Copy(io.Discard, inp)
		for _, w := range [][]string{m.Warnings, inp.Warnings()} {
			if got := strings.Join(w, ";"); (n > 1) != strings.Contains(got, "mbox of") || n > 1 && !strings.Contains(got, string(rune('0'+n))+" messages") {
				t.Errorf("%d messages: warnings %q", n, got)
			}
		}
	}
	// Thunderbird's "From - " line opens a single message: no warning.
	m, _ := ReadMessage(strings.NewReader("From - Tue Mar 10 20:12:10 2026\nX-Mozilla-Status: 0001\nReceived: "+stampTop+"\n\nbody\n"), DefaultLimits)
	if len(m.Warnings) != 0 || m.Shape != ShapeMbox {
		t.Errorf("Thunderbird source: warnings %q, shape %q", m.Warnings, m.Shape)
	}
}

func TestFindStatus(t *testing.T) {
	for in, want := range map[string]string{
		"550 5.7.1 no": "5.7.1",
		"Sorry, no mailbox here by that name. (#5.1.1)": "5.1.1",
		"qmail #5.1.0 spelling":                         "5.1.0",
		"host said 550 5.7.25 x":                        "5.7.25",
		"version 4.96.1 of Exim":                        "",
		"version 5.1":                                   "",
		"10.5.0.1 address":                              "",
		"at 5.2.2b":                                     "",
		"code 4.4.7.":                                   "4.4.7",
		"5.7.1234":                                      "",
		"":                                              "",
	} {
		if got := findStatus(in); got != want {
			t.Errorf("findStatus(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzInputCheck(f *testing.F) {
	for _, s := range []string{"", " \n", "Received: x\n", "\x00", "\x1f\x8b", "Original Message\n", "> > x\n> y\n", "From x\n\nFrom y\n", "hello\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewInput(bytes.NewReader(in))
		out, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("Input changed the bytes or failed: %v", err)
		}
		err = r.Check()
		var ie *InputError
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("Check = %v, not an InputError", err)
		}
		_ = r.Warnings()
	})
}

// TestPasteLinear: hostile pastes cost time in proportion to their size in
// this package's readers — the shape detection, the bounce text readers and
// Input (the header section's own parsing is go-message's). Each shape is
// read at 256 KiB and 1 MiB, best of two; the larger may take at most ten
// times as long (four times is linear; the rest is slack for a busy
// machine).
func TestPasteLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	shapes := map[string]string{
		"quote marks":        "> > > > \n",
		"quoted fields":      "> X-A: b\n",
		"bare lines":         "Received: from a (b\nc d\n",
		"blank lines":        "\n",
		"gmail rows":         "Original Message\nFrom:\tx\n",
		"open brackets":      "Received: ((((([[[[\n",
		"blank then fields":  "\nReceived: x\n",
		"reply lines":        "550-5.7.25 x\n",
		"separators":         "----- Original message -----\n",
		"exchange labels":    "Reported error:\n",
		"exim column 0":      "\"a@b.test\":\n",
		"postmaster session": " In:  RCPT TO:<a@b>\n Out: 550 5.1.1 no\n",
	}
	lim := Limits{MaxHeaderBytes: 8 << 20, MaxBodyBytes: 8 << 20}
	once := func(in string) time.Duration {
		start := time.Now()
		if p, err := readPaste([]byte(in), lim, false); err == nil {
			readBounceText(string(p.body), "", "Undelivered Mail Returned to Sender")
			readPlainDSN(string(p.body))
		}
		readBounceText(in, "", "")
		in2 := NewInput(strings.NewReader(in))
		io.Copy(io.Discard, in2)
		in2.Check()
		return time.Since(start)
	}
	run := func(in string) time.Duration {
		best := once(in)
		best = min(best, once(in))
		return best
	}
	for name, unit := range shapes {
		small := strings.Repeat(unit, (256<<10)/len(unit))
		large := strings.Repeat(unit, (1<<20)/len(unit))
		ts, tl := run(small), run(large)
		if tl > 10*ts+50*time.Millisecond {
			t.Errorf("%s: 256 KiB in %v, 1 MiB in %v: not linear", name, ts, tl)
		}
	}
}
