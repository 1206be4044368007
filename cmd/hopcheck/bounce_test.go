package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"hopcheck/dns/dnstest"
)

// bounceOutcome is what a bounce sample must come to, end to end.
type bounceOutcome struct {
	Kind      string `json:"kind"`
	Exit      int    `json:"exit"`
	Status    string `json:"bounce_status"`
	ReplyCode int    `json:"reply_code"`
	Category  string `json:"category"`
	Permanent bool   `json:"permanent"`
	Verdict   string `json:"verdict"`
	Hop       int    `json:"hop"`
	IP        string `json:"ip"`
	HELO      string `json:"helo"`
	Problem   string `json:"problem"`
	Owner     string `json:"owner"`
	Fix       string `json:"fix"`
}

// TestBounceSamples runs every bounce sample through the built command
// against an in-process DNS server serving testdata/zones, and compares
// the outcome with the .verdict.json beside it.
func TestBounceSamples(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Options{Zone: worldZones(t)})
	samples, _ := filepath.Glob("../../testdata/bounces/*.eml")
	if len(samples) < 10 {
		t.Fatalf("only %d bounce samples", len(samples))
	}
	for _, path := range samples {
		name := strings.TrimSuffix(filepath.Base(path), ".eml")
		t.Run(name, func(t *testing.T) {
			out, stderr, code := hopcheck(t, nil, "analyze", "--format", "json", "--resolver", srv.Addr, "--timeout", "300ms", "testdata/bounces/"+name+".eml")
			var d struct {
				Source struct{ Kind string }
				Bounce *struct {
					Status     string
					ReplyCode  int `json:"reply_code"`
					Category   string
					Permanent  bool
					Recipients []any
				}
				Verdict struct {
					Status, IP, HELO, Problem, Owner, Fix string
					Hop                                   int
				}
			}
			if err := json.Unmarshal([]byte(out), &d); err != nil {
				t.Fatalf("exit %d, %v: %s %s", code, err, out, stderr)
			}
			got := bounceOutcome{Kind: d.Source.Kind, Exit: code, Verdict: d.Verdict.Status, Hop: d.Verdict.Hop,
				IP: d.Verdict.IP, HELO: d.Verdict.HELO, Problem: d.Verdict.Problem, Owner: d.Verdict.Owner, Fix: d.Verdict.Fix}
			if b := d.Bounce; b != nil {
				got.Status, got.ReplyCode, got.Category, got.Permanent = b.Status, b.ReplyCode, b.Category, b.Permanent
			}
			golden(t, strings.TrimSuffix(path, ".eml")+".verdict.json", got, new(bounceOutcome))
		})
	}
}

// TestGmailDSNNamesTheRelay: a Gmail 550-5.7.25 DSN whose original passed
// app.example.test and relay.example.test names the relay Gmail refused,
// not the app server where the message began.
func TestGmailDSNNamesTheRelay(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Options{Zone: worldZones(t)})
	out, _, code := hopcheck(t, nil, "analyze", "--resolver", srv.Addr, "testdata/bounces/dsn-gmail-5.7.25.eml")
	if code != exitMisaligned {
		t.Fatalf("exit %d\n%s", code, out)
	}
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{
		"remote said 550-5.7.25 [198.51.100.7]",
		"Gmail refused the message because the sending IP has no PTR record",
		"relay relay.example.test 198.51.100.7, address quoted by the remote server",
		"MISALIGNED hop 3: 198.51.100.7 (HELO relay.example.test)",
		"problem no-ptr",
		"set the PTR of 198.51.100.7 to relay.example.test",
		"fix the relay of hop 3 (198.51.100.7, relay.example.test), not the origin at hop 2",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Said in this order: the reply, its meaning, the relay, the verdict.
	if !(strings.Index(flat, "remote said") < strings.Index(flat, "meaning") &&
		strings.Index(flat, "meaning") < strings.Index(flat, "relay relay.example.test") &&
		strings.Index(flat, "relay relay.example.test") < strings.Index(flat, "MISALIGNED")) {
		t.Errorf("order is not reply, meaning, relay, verdict:\n%s", out)
	}
}

// TestSenderIPAndHELOFlags: a bounce that quotes no address is judged at
// the address and HELO given, in any order with the file; aligned now, the
// explanation says the mismatch was fixed since or the remote saw another
// address.
func TestSenderIPAndHELOFlags(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/zones/*.zone")
	var args []string
	for _, f := range files {
		args = append(args, "--zone", strings.TrimPrefix(f, "../../"))
	}
	out, stderr, code := hopcheck(t, nil, append([]string{"analyze", "--sender-ip", "192.0.2.10", "testdata/bounces/dsn-no-original.eml", "--helo", "mail.example.test", "--format", "json"}, args...)...)
	if code != exitAligned {
		t.Fatalf("exit %d (%s)\n%s", code, stderr, out)
	}
	var d struct {
		Bounce  struct{ Explanation string }
		Verdict struct{ IP, HELO, Status string }
		Hops    []struct{ Raw string }
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if d.Verdict.IP != "192.0.2.10" || d.Verdict.HELO != "mail.example.test" || d.Verdict.Status != "aligned" {
		t.Fatalf("verdict %+v", d.Verdict)
	}
	if !strings.Contains(d.Bounce.Explanation, "aligned now") {
		t.Errorf("explanation %q does not say the relay is aligned now", d.Bounce.Explanation)
	}
	if last := d.Hops[len(d.Hops)-1].Raw; !strings.Contains(last, "address given by you") {
		t.Errorf("judged hop %q does not say where its address came from", last)
	}
	if _, _, code := hopcheck(t, nil, "analyze", "--sender-ip", "not-an-ip", "--offline"); code != exitUsage {
		t.Errorf("bad --sender-ip: exit %d, want 64", code)
	}
}

// TestOfflineBounceAgreesWithLogs: offline, a bounce's refusal and the
// same refusal in a log are judged alike — by what the remote server said.
func TestOfflineBounceAgreesWithLogs(t *testing.T) {
	out, stderr, code := hopcheck(t, nil, "analyze", "--offline", "--format", "json", "testdata/bounces/dsn-gmail-5.7.25.eml")
	var a struct {
		Bounce  struct{ Diagnostic string }
		Verdict struct{ Status, Problem, Owner, IP string }
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("exit %d %s: %v", code, stderr, err)
	}
	reply := strings.Join(strings.Fields(a.Bounce.Diagnostic), " ")
	line := "Nov 24 10:00:05 relay postfix/smtp[1705]: 4ZkQ9F2m3Hz9tw: to=<bob@gmail.com>, relay=gmail-smtp-in.l.google.com[198.51.100.27]:25, delay=4, delays=0.02/0.01/2/2, dsn=5.7.25, status=bounced (host gmail-smtp-in.l.google.com[198.51.100.27] said: " + reply + " (in reply to end of DATA command))\n"
	out, stderr, _ = hopcheck(t, []byte(line), "logs", "--offline", "--year", "2026", "--format", "json", "-")
	var l struct {
		Relays []struct {
			IP      string
			Verdict struct{ Status, Problem, Owner string }
		}
	}
	if err := json.Unmarshal([]byte(out), &l); err != nil || len(l.Relays) != 1 {
		t.Fatalf("logs: %v %s\n%s", err, stderr, out)
	}
	g := l.Relays[0]
	if a.Verdict.Status != "misaligned" || g.IP != a.Verdict.IP || g.Verdict.Status != a.Verdict.Status || g.Verdict.Problem != a.Verdict.Problem || g.Verdict.Owner != a.Verdict.Owner {
		t.Fatalf("analyze --offline %+v, logs --offline %+v", a.Verdict, g)
	}
}

// TestMailboxRefusalIsNotBlamedOnDNS: a bounce for a full mailbox says
// that its refusal is not about reverse DNS or HELO, whatever the relay's
// identity check finds.
func TestMailboxRefusalIsNotBlamedOnDNS(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Options{Zone: worldZones(t)})
	out, _, _ := hopcheck(t, nil, "analyze", "--format", "json", "--resolver", srv.Addr, "testdata/bounces/yahoo-colon-mailbox-full.eml")
	var d struct {
		Bounce struct{ Category, Explanation string }
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if d.Bounce.Category != "mailbox" || !strings.Contains(d.Bounce.Explanation, "not about reverse DNS or HELO") {
		t.Fatalf("bounce %+v", d.Bounce)
	}
}
