package reply

import (
	"encoding/json"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"hopcheck/problem"
)

// replyCase is one example in testdata/replies/replies.json with what Parse
// must make of it.
type replyCase struct {
	Name       string       `json:"name"`
	Input      string       `json:"input"`
	Code       int          `json:"code"`
	Status     string       `json:"status"`
	Category   Category     `json:"category"`
	Permanent  bool         `json:"permanent"`
	Problem    problem.Name `json:"problem"`
	ClientIP   string       `json:"client_ip"`
	Names      []string     `json:"names"`
	RemoteHost string       `json:"remote_host"`
	RemoteIP   string       `json:"remote_ip"`
	Provider   string       `json:"provider"`
	Rule       string       `json:"rule"`
	Text       *string      `json:"text"` // checked when present
}

func loadCases(t testing.TB) []replyCase {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/replies/replies.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []replyCase
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func TestParseCases(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			r := Parse(c.Input)
			check := func(field string, got, want any) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %#v, want %#v", field, got, want)
				}
			}
			check("Code", r.Code, c.Code)
			check("Status", r.Status, c.Status)
			check("Category", r.Category, c.Category)
			check("Permanent", r.Permanent, c.Permanent)
			check("Problem", r.Problem, c.Problem)
			check("ClientIP", addrString(r.ClientIP), c.ClientIP)
			check("RemoteHost", r.RemoteHost, c.RemoteHost)
			check("RemoteIP", addrString(r.RemoteIP), c.RemoteIP)
			check("Provider", r.Provider, c.Provider)
			check("Rule", r.Rule, c.Rule)
			if !slices.Equal(r.Names, c.Names) && len(r.Names)+len(c.Names) > 0 {
				t.Errorf("Names = %q, want %q", r.Names, c.Names)
			}
			if c.Text != nil {
				check("Text", r.Text, *c.Text)
			}
			if r.Explanation == "" {
				t.Error("Explanation is empty")
			}
			if r.Truncated {
				t.Error("Truncated set on a short input")
			}
		})
	}
}

// TestEveryEntryHasExample keeps the knowledge base honest: an entry no
// example exercises is an entry nobody checked against a real text.
func TestEveryEntryHasExample(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range loadCases(t) {
		seen[c.Rule] = true
	}
	ids := map[string]bool{}
	for _, e := range kb {
		if ids[e.id] {
			t.Errorf("entry id %q is used twice", e.id)
		}
		ids[e.id] = true
		if !seen[e.id] {
			t.Errorf("entry %q has no example in testdata/replies/replies.json", e.id)
		}
		if e.explain == "" || e.cat == "" {
			t.Errorf("entry %q lacks a category or an explanation", e.id)
		}
		if (e.cat == RDNS || e.cat == HELO) != (e.problem != "") {
			t.Errorf("entry %q: rdns/helo entries, and only they, name a problem", e.id)
		}
		if e.names == namesAfter && len(e.after) == 0 {
			t.Errorf("entry %q reads names after a phrase but names none", e.id)
		}
	}
	for id := range seen {
		if id != "" && !ids[id] {
			t.Errorf("example names rule %q, which does not exist", id)
		}
	}
}

// TestProblemsKnown: every problem the knowledge base names is one of the
// vocabulary's.
func TestProblemsKnown(t *testing.T) {
	for _, e := range kb {
		for _, p := range []problem.Name{e.problem, e.problemTemp} {
			if p != "" && !p.Known() {
				t.Errorf("entry %q names problem %q, not in package problem", e.id, p)
			}
		}
	}
}

func TestPhraseBudget(t *testing.T) {
	if n := compiled().m.nPhrase; n > maxPhrases {
		t.Fatalf("%d phrases, more than maxPhrases %d", n, maxPhrases)
	}
}

// TestMatcher checks the automaton against strings.Contains on phrases that
// overlap and share suffixes, where fail links matter.
func TestMatcher(t *testing.T) {
	phrases := []string{"he", "she", "his", "hers", "ptr record", "no ptr record", "r"}
	m := newMatcher(phrases)
	for _, text := range []string{"USHERS", "ahishe", "There is NO PTR RECORD here", "", "xyz", "hhhhhe"} {
		hits := make([]int32, len(phrases))
		m.scan(text, hits)
		low := strings.ToLower(text)
		for id, p := range phrases {
			want := int32(0)
			if i := strings.Index(low, p); i >= 0 {
				want = int32(i + len(p))
			}
			if hits[id] != want {
				t.Errorf("scan(%q) phrase %q at %d, want %d", text, p, hits[id], want)
			}
		}
	}
}

// TestHugeInput: a megabyte of continuation lines is read in bounded time
// and memory, cut at MaxInput.
func TestHugeInput(t *testing.T) {
	huge := strings.Repeat("550-5.7.25 does not have a PTR record setup\r\n", (1<<20)/44)
	r := Parse(huge)
	if !r.Truncated || r.Code != 550 || r.Status != "5.7.25" || r.Rule != "gmail-ptr" {
		t.Fatalf("got Truncated=%v Code=%d Status=%q Rule=%q", r.Truncated, r.Code, r.Status, r.Rule)
	}
	if len(r.Text) > MaxInput {
		t.Fatalf("Text is %d bytes, more than MaxInput", len(r.Text))
	}
	r = Parse(strings.Repeat("550-", 1<<18))
	if r.Code != 550 || !r.Truncated {
		t.Fatalf("got Code=%d Truncated=%v", r.Code, r.Truncated)
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range loadCases(f) {
		f.Add(c.Input)
	}
	for _, s := range []string{
		"", "550", "550-", "550 5.", "5.7.", "<", "<[", "<a[::]>", "[", "host [", "host x[1.2.3.4] said:",
		"SMTP error from remote mail server after ", "SMTP error from remote mail server after RCPT TO:<:",
		"Remote Server returned '", "reject: RCPT from [", "smtp;", "\xff\xfe550-5.7.1\x00",
		strings.Repeat("550-", 1000), strings.Repeat("[1::", 500), strings.Repeat("ptr record ", 300),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := Parse(s)
		if r.Category == "" {
			t.Fatal("no category")
		}
		if len(r.Text) > len(s) {
			t.Fatalf("Text longer than the input: %d > %d", len(r.Text), len(s))
		}
		if r.Code != 0 && (r.Code < 200 || r.Code > 599) {
			t.Fatalf("code %d", r.Code)
		}
		if r.Status != "" && !isStatus(r.Status) {
			t.Fatalf("status %q", r.Status)
		}
		if r.Problem != "" && r.Category != RDNS && r.Category != HELO {
			t.Fatalf("problem %q on category %q", r.Problem, r.Category)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	inputs := map[string]string{
		"postfix-bounced": "Mar  3 10:00:01 mx1 postfix/smtp[4242]: 3F1A2B: to=<bob@example.test>, relay=mx.example.test[198.51.100.5]:25, delay=0.4, delays=0.1/0/0.2/0.1, dsn=5.7.1, status=bounced (host mx.example.test[198.51.100.5] said: 550 5.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.10] (in reply to RCPT TO command))",
		"gmail-multiline": "550-5.7.25 [192.0.2.10] The IP address sending this message does not have a\r\n550-5.7.25 PTR record setup, or the corresponding forward DNS entry does not\r\n550-5.7.25 point to the sending IP. As a policy, Gmail does not accept\r\n550-5.7.25 messages from IPs with missing PTR records. For more information,\r\n550 5.7.25 go to https://support.google.com/mail/answer/81126 a1si2 - gsmtp\r\n",
	}
	compiled()
	for name, in := range inputs {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				Parse(in)
			}
		})
	}
}
