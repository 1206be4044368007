package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hopcheck/dns/dnstest"
)

// formatOutcome is what a report says about a bounce or a paste, reduced to
// what these tests look at.
type formatOutcome struct {
	Source struct{ Kind string }
	Bounce *struct {
		Status     string
		ReplyCode  int `json:"reply_code"`
		Category   string
		Diagnostic string
		Recipients []struct {
			Recipient string
			Category  string
			ReplyCode int `json:"reply_code"`
			Status    string
		}
	}
	Verdict struct {
		Status, IP, HELO, Problem, Fix string
		Hop                            int
	}
}

func runFormat(t *testing.T, stdin []byte, args ...string) (formatOutcome, int) {
	t.Helper()
	out, stderr, code := hopcheck(t, stdin, append([]string{"analyze", "--format", "json"}, args...)...)
	var o formatOutcome
	if err := json.Unmarshal([]byte(out), &o); err != nil {
		t.Fatalf("%v: exit %d, %v: %s %s", args, code, err, out, stderr)
	}
	return o, code
}

// TestPastedShapesThroughStdin: every paste sample gives the same verdict
// pasted on standard input as named as a file — the shapes are read from
// what users paste, not from file names.
func TestPastedShapesThroughStdin(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Options{Zone: worldZones(t)})
	paths, _ := filepath.Glob("../../testdata/messages/paste-*.eml")
	if len(paths) < 7 {
		t.Fatalf("only %d paste samples", len(paths))
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(p, "../../")
		file, fcode := runFormat(t, nil, "--resolver", srv.Addr, "--timeout", "300ms", rel)
		piped, pcode := runFormat(t, data, "--resolver", srv.Addr, "--timeout", "300ms")
		if fcode != pcode || file.Verdict != piped.Verdict {
			t.Errorf("%s: file exit %d %+v, stdin exit %d %+v", rel, fcode, file.Verdict, pcode, piped.Verdict)
		}
		if file.Verdict.Hop == 0 || file.Verdict.Fix == "" {
			t.Errorf("%s: no hop judged or no fix: %+v", rel, file.Verdict)
		}
	}
}

// TestBounceFormatsSayWhatTheRemoteSaid: for each bounce family and shape
// added for the long tail, what the report says about the remote's reply.
func TestBounceFormatsSayWhatTheRemoteSaid(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Options{Zone: worldZones(t)})
	for _, tc := range []struct {
		sample           string
		status, category string
		code             int
		ip, fixHas       string
	}{
		{"exchange-online-ndr-paste", "5.7.25", "rdns", 550, "203.0.113.156", "set the PTR of 203.0.113.156"},
		{"exchange-online-ndr", "5.7.25", "rdns", 550, "203.0.113.155", "set the PTR of 203.0.113.155"},
		{"text-reply-dashes", "5.7.25", "rdns", 550, "192.0.2.21", "set the PTR of 192.0.2.21 to h21.example.test"},
		{"text-reply-blank-line", "4.7.23", "rdns", 421, "192.0.2.40", `add the record "broken.example.test. IN A 192.0.2.40"`},
		{"opensmtpd-notice", "5.7.1", "rdns", 550, "192.0.2.30", "set the PTR of 192.0.2.30 to h30.example.test"},
		{"exchange-ims-ndr", "5.7.1", "rdns", 550, "192.0.2.21", "set the PTR of 192.0.2.21 to h21.example.test"},
		{"postfix-postmaster-transcript", "4.7.25", "rdns", 450, "192.0.2.40", "broken.example.test. IN A 192.0.2.40"},
		{"exim-host-line-wrapped", "5.7.1", "rdns", 550, "198.51.100.7", "set the PTR of 198.51.100.7 to relay.example.test"},
		{"sendmail-status-rewrite", "5.7.1", "blocklist", 550, "192.0.2.30", ""},
		{"qmail-status-trailer", "5.7.1", "rdns", 554, "198.51.100.7", "set the PTR of 198.51.100.7"},
		{"dsn-broken-boundary", "5.7.25", "rdns", 550, "198.51.100.7", "set the PTR of 198.51.100.7"},
		{"sendmail-lone-transcript", "5.7.1", "rdns", 554, "192.0.2.21", "set the PTR of 192.0.2.21"},
		{"quoted-forwarded-bounce", "5.7.1", "rdns", 550, "198.51.100.7", "set the PTR of 198.51.100.7"},
	} {
		o, _ := runFormat(t, nil, "--resolver", srv.Addr, "--timeout", "300ms", "testdata/bounces/"+tc.sample+".eml")
		if o.Source.Kind != "bounce" || o.Bounce == nil {
			t.Errorf("%s: kind %q, not read as a bounce", tc.sample, o.Source.Kind)
			continue
		}
		b := o.Bounce
		if b.Status != tc.status || b.Category != tc.category || b.ReplyCode != tc.code {
			t.Errorf("%s: status %q category %q code %d; want %q %q %d", tc.sample, b.Status, b.Category, b.ReplyCode, tc.status, tc.category, tc.code)
		}
		if o.Verdict.IP != tc.ip || !strings.Contains(o.Verdict.Fix, tc.fixHas) {
			t.Errorf("%s: verdict %s fix %q; want %s and %q", tc.sample, o.Verdict.IP, o.Verdict.Fix, tc.ip, tc.fixHas)
		}
	}
}

// TestMailboxRepliesAreNeverDNS: a full mailbox or an unknown user is
// classified as the recipient's mailbox, whatever else the reply mentions,
// and a local mailer's exit status is no reply code.
func TestMailboxRepliesAreNeverDNS(t *testing.T) {
	for _, tc := range []struct{ sample, recipient, status string }{
		{"yahoo-colon-mailbox-full", "cleo@mx.example.test", "5.2.2"},
		{"sendmail-local-mailer", "zack@relay.example.test", "5.1.1"},
		{"dsn-plain-text-groups", "eric@mx.example.test", "5.1.1"},
	} {
		o, _ := runFormat(t, nil, "--offline", "testdata/bounces/"+tc.sample+".eml")
		if o.Bounce == nil {
			t.Fatalf("%s: no bounce", tc.sample)
		}
		found := false
		for _, r := range o.Bounce.Recipients {
			if r.ReplyCode == 255 {
				t.Errorf("%s: reply code 255 reported for %s", tc.sample, r.Recipient)
			}
			if r.Recipient != tc.recipient {
				continue
			}
			found = true
			if r.Category != "mailbox" || r.Status != tc.status {
				t.Errorf("%s: %s category %q status %q; want mailbox %s", tc.sample, r.Recipient, r.Category, r.Status, tc.status)
			}
		}
		if !found {
			t.Errorf("%s: recipient %s not reported", tc.sample, tc.recipient)
		}
	}
}
