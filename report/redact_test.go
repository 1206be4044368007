package report

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"hopcheck/analyze"
	"hopcheck/parse"
)

func TestRedactText(t *testing.T) {
	for in, want := range map[string]string{
		"from=<a@b.example> to=carol@gmail.com":       "from=<redacted@b.example> to=redacted@gmail.com",
		`"john doe"@x.example, o'brien+tag@x.example`: "redacted@x.example, redacted@x.example",
		"user@[192.0.2.1]":                            "redacted@[192.0.2.1]",
		"<20261124101406.7F2A1C0123@app1.example>":    "<redacted@app1.example>",
		"no address here, nor @ alone":                "no address here, nor @ alone",
		"jörg@bücher.example":                         "redacted@bücher.example",
	} {
		if got := redactText(in); got != want {
			t.Errorf("redactText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := redactMessageID("<no-at-sign>"); got != "<redacted>" {
		t.Errorf("redactMessageID: %q", got)
	}
}

// TestRedactMessage: every format of a redacted report is free of the
// message's local parts and Message-ID, keeps the domains, and the
// original view is left as it was.
func TestRedactMessage(t *testing.T) {
	f, err := os.Open("../testdata/demo/message.eml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := analyze.Read(context.Background(), f, parse.DefaultLimits, analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMessage(Source{Name: "message.eml", Resolver: "offline", Version: "test"}, res)
	var before bytes.Buffer
	JSON(&before, m)
	r := Redact(m)
	renderers := map[string]func(*bytes.Buffer, *Message) error{
		"text":     func(b *bytes.Buffer, m *Message) error { return Text(b, m, TextOptions{Width: 1000}) },
		"json":     func(b *bytes.Buffer, m *Message) error { return JSON(b, m) },
		"html":     func(b *bytes.Buffer, m *Message) error { return HTML(b, m, HTMLOptions{}) },
		"markdown": func(b *bytes.Buffer, m *Message) error { return Markdown(b, m) },
	}
	for name, render := range renderers {
		var b bytes.Buffer
		if err := render(&b, r); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, secret := range []string{"customer@", "20261124101406"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s: %q is not redacted", name, secret)
			}
		}
		if name != "text" && !strings.Contains(out, "redacted@gmail.com") {
			t.Errorf("%s: no redacted@gmail.com", name)
		}
		if name == "json" && !strings.Contains(out, `"message_id": "\u003credacted@app1.internal.example.test\u003e"`) {
			t.Errorf("json: Message-ID %s", out)
		}
	}
	var after bytes.Buffer
	JSON(&after, m)
	if !bytes.Equal(before.Bytes(), after.Bytes()) {
		t.Errorf("Redact changed the original view")
	}
}

func TestRedactLogs(t *testing.T) {
	t.Chdir("..")
	l := goldenLogs(t)
	r := Redact(l)
	for name, render := range map[string]func(*bytes.Buffer, *Logs) error{
		"text":     func(b *bytes.Buffer, l *Logs) error { return LogsText(b, l, TextOptions{Width: 1000}) },
		"json":     func(b *bytes.Buffer, l *Logs) error { return LogsJSON(b, l) },
		"html":     func(b *bytes.Buffer, l *Logs) error { return LogsHTML(b, l, HTMLOptions{}) },
		"markdown": func(b *bytes.Buffer, l *Logs) error { return LogsMarkdown(b, l) },
	} {
		var b bytes.Buffer
		if err := render(&b, r); err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"carol@", "bob@", "news@"} {
			if strings.Contains(b.String(), secret) {
				t.Errorf("%s: %q is not redacted", name, secret)
			}
		}
	}
	var orig bytes.Buffer
	LogsJSON(&orig, l)
	if !strings.Contains(orig.String(), "carol@gmail.com") {
		t.Errorf("Redact changed the original view")
	}
}
