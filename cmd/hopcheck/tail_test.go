//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hopcheck/dns"
	"hopcheck/dns/dnstest"
)

// tailDeadline bounds every wait of these tests: generous, as they assert
// what the command does, not how fast.
const tailDeadline = 30 * time.Second

// tailZones is a world where our relay 192.0.2.31 has no PTR; TTLs of a
// second.
const tailZones = `$ORIGIN example.test.
$TTL 1
@    IN SOA ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 1
mail IN A 192.0.2.31
$ORIGIN 2.0.192.in-addr.arpa.
@    IN SOA ns1.provider.example. hostmaster.provider.example. 1 7200 3600 1209600 1
`

func tailServer(t *testing.T) *dnstest.Server {
	t.Helper()
	z := dns.NewZone()
	if err := z.Load(strings.NewReader(tailZones), "tail.zone"); err != nil {
		t.Fatal(err)
	}
	return dnstest.Start(t, dnstest.Options{Zone: z})
}

// gmailMessage is Gmail refusing our relay 192.0.2.31, as Postfix logs it
// after the syslog header.
const gmailMessage = "1A2B3C4D5E: to=<old@gmail.com>, relay=gmail-smtp-in.l.google.com[198.51.100.27]:25, delay=1.2, delays=0.01/0.01/0.5/0.7, dsn=5.7.25, status=bounced (host gmail-smtp-in.l.google.com[198.51.100.27] said: 550-5.7.25 [192.0.2.31] The IP address sending this message does not have a 550-5.7.25 PTR record setup, or the corresponding forward DNS entry does not 550-5.7.25 point to the sending IP. As a policy, Gmail does not accept messages 550-5.7.25 from IPs with missing PTR records. For more information, go to 550-5.7.25 https://support.google.com/mail/answer/81126#ip-rdns 550 5.7.25 a1b2c3d4e5f6.12 - gsmtp (in reply to end of DATA command))"

func gmailLine() string {
	return time.Now().Format(time.Stamp) + " mx1 postfix/smtp[2101]: " + gmailMessage
}

// tailProc is hopcheck tail running in the background.
type tailProc struct {
	cmd    *exec.Cmd
	out    chan string
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan int
}

func (p *tailProc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.Write(b)
}

func (p *tailProc) errText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

func startTail(t *testing.T, env []string, stdin io.Reader, args ...string) *tailProc {
	t.Helper()
	p := &tailProc{cmd: exec.Command(binary, append([]string{"tail"}, args...)...), out: make(chan string, 100), done: make(chan int, 1)}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdin, p.cmd.Stderr = stdin, p
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			p.out <- sc.Text()
		}
		close(p.out)
		err := p.cmd.Wait()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		p.done <- code
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.out
	})
	return p
}

// waitErr waits for stderr to match re and returns the first submatch.
func (p *tailProc) waitErr(t *testing.T, re string) string {
	t.Helper()
	rx := regexp.MustCompile(re)
	for end := time.Now().Add(tailDeadline); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if m := rx.FindStringSubmatch(p.errText()); m != nil {
			return m[len(m)-1]
		}
	}
	t.Fatalf("stderr never matched %q:\n%s", re, p.errText())
	return ""
}

// alert waits for the next alert on stdout.
func (p *tailProc) alert(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-p.out:
		if !ok {
			t.Fatalf("no alert before the end; stderr:\n%s", p.errText())
		}
		return l
	case <-time.After(tailDeadline):
		t.Fatalf("no alert; stderr:\n%s", p.errText())
	}
	return ""
}

// signal sends sig and returns the exit code.
func (p *tailProc) signal(t *testing.T, sig os.Signal) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	for range p.out {
	}
	select {
	case code := <-p.done:
		return code
	case <-time.After(tailDeadline):
		t.Fatalf("still running after %v; stderr:\n%s", sig, p.errText())
	}
	return 0
}

type tailAlert struct {
	Kind, Direction, IP, HELO, Problem, Owner, Fix, Message, Example string
	Refusals                                                         int
	RefusedBy                                                        []string `json:"refused_by"`
}

func decodeAlert(t *testing.T, line string) tailAlert {
	t.Helper()
	var a tailAlert
	if err := json.Unmarshal([]byte(line), &a); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, line)
	}
	return a
}

func appendLog(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
		t.Fatal(err)
	}
}

// scrape fetches /metrics over HTTP once every series in want is there.
func scrape(t *testing.T, url string, want ...string) string {
	t.Helper()
	var body string
	for end := time.Now().Add(tailDeadline); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		missing := false
		for _, w := range want {
			missing = missing || !strings.Contains(body, "\n"+w)
		}
		if !missing {
			return body
		}
	}
	for _, w := range want {
		if !strings.Contains(body, "\n"+w) {
			t.Errorf("no %q", w)
		}
	}
	t.Fatalf("in /metrics:\n%s", body)
	return ""
}

// TestTailFileEndToEnd runs the command on a followed file: the JSON alert
// of Gmail's refusal of our relay, the metrics scraped over HTTP on
// loopback, SIGHUP going on, SIGTERM exiting 0 with the state saved.
func TestTailFileEndToEnd(t *testing.T) {
	srv := tailServer(t)
	dir := t.TempDir()
	log, state := filepath.Join(dir, "mail.log"), filepath.Join(dir, "tail.state")
	appendLog(t, log, gmailLine()) // already there: not read
	p := startTail(t, nil, nil, log, "--resolver", srv.Addr, "--format", "json", "--helo", "mail.example.test",
		"--state", state, "--metrics", "127.0.0.1:0")
	url := p.waitErr(t, `metrics at (http://127\.0\.0\.1:\d+/metrics)`)
	p.waitErr(t, "following "+regexp.QuoteMeta(log))

	appendLog(t, log, gmailLine(), "this line has no syslog header at all")
	a := decodeAlert(t, p.alert(t))
	if a.Kind != "misaligned" || a.Direction != "outbound" || a.IP != "192.0.2.31" || a.HELO != "mail.example.test" ||
		a.Problem != "no-ptr" || a.Owner != "ip-owner" || a.Refusals != 1 || len(a.RefusedBy) != 1 || a.RefusedBy[0] != "google.com" ||
		!strings.Contains(a.Example, "5.7.25") || !strings.Contains(a.Fix, "PTR") {
		t.Fatalf("alert %+v", a)
	}
	scrape(t, url,
		"hopcheck_tail_lines_total 2",
		"hopcheck_tail_lines_unknown_total 1",
		`hopcheck_tail_events_total{category="rdns",direction="outbound",kind="bounced"} 1`,
		`hopcheck_tail_refusals_total{category="rdns",direction="outbound",provider="gmail",status="5.7.25"} 1`,
		`hopcheck_tail_misaligned{direction="outbound",ip="192.0.2.31",problem="no-ptr"} 1`,
		`hopcheck_tail_alerts_total{kind="misaligned"} 1`,
		`hopcheck_tail_checks_total{verdict="misaligned"} 1`,
		`hopcheck_dns_queries_total{outcome="nxdomain",type="PTR"} 1`,
		`hopcheck_dns_query_duration_seconds_count{type="PTR"} 1`,
		"hopcheck_tail_rotations_total 0",
		"hopcheck_tail_reopen_errors_total 0",
		"hopcheck_tail_last_line_age_seconds ",
	)

	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitErr(t, "SIGHUP: reopening")
	appendLog(t, log, gmailLine())
	scrape(t, url, "hopcheck_tail_lines_total 3")
	if code := p.signal(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit %d after SIGTERM; stderr:\n%s", code, p.errText())
	}
	var st struct {
		Position struct{ Path string }
		Episodes []struct{ IP, Problem string }
	}
	b, err := os.ReadFile(state)
	if err != nil || json.Unmarshal(b, &st) != nil || st.Position.Path != log || len(st.Episodes) != 1 || st.Episodes[0].IP != "192.0.2.31" {
		t.Fatalf("state (%v):\n%s", err, b)
	}
}

// TestTailStdin reads a stream on standard input: its alerts, in text,
// then exit 0 at its end.
func TestTailStdin(t *testing.T) {
	srv := tailServer(t)
	in := gmailLine() + "\n" + time.Now().Format(time.Stamp) + " mx1 postfix/qmgr[812]: 5B1C93F00A: removed\n"
	out, errOut, code := hopcheck(t, []byte(in), "tail", "-", "--resolver", srv.Addr, "--helo", "mail.example.test")
	if code != 0 || !strings.Contains(out, " MISALIGNED our relay 192.0.2.31 (HELO mail.example.test) is misaligned, 1 refusal by google.com (5.7.25)") ||
		!strings.Contains(out, "— fix (the owner of the IP block") || strings.Count(out, "\n") != 1 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// journalEntry is one entry as "journalctl -o json" prints it.
func journalEntry(cursor string, message string) string {
	b, _ := json.Marshal(map[string]string{"__CURSOR": cursor, "__REALTIME_TIMESTAMP": fmt.Sprint(time.Now().UnixMicro()),
		"_HOSTNAME": "mx1.example.test", "SYSLOG_IDENTIFIER": "postfix/smtp", "_PID": "2101",
		"_SYSTEMD_UNIT": "postfix@-.service", "MESSAGE": message})
	return string(b) + "\n"
}

// journalStandIn puts logstream's stand-in for journalctl first in a PATH,
// with entries of its own, and returns the environment to run with.
func journalStandIn(t *testing.T, recorded, live string) (env []string, args string) {
	t.Helper()
	dir := t.TempDir()
	script, err := filepath.Abs("../../logstream/testdata/journalctl")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(script, filepath.Join(dir, "journalctl")); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"journal.json": recorded, "journal-live.json": live} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args = filepath.Join(dir, "args")
	return []string{"PATH=" + dir + ":/usr/bin:/bin", "JOURNALCTL_DATA=" + dir, "JOURNALCTL_ARGS=" + args}, args
}

// TestTailJournal follows the journal through a stand-in journalctl: the
// alert of a recorded entry, the cursor saved, and a restart that asks
// journalctl for the entries after it.
func TestTailJournal(t *testing.T) {
	srv := tailServer(t)
	env, argsFile := journalStandIn(t, journalEntry("s=1;i=1", gmailMessage), journalEntry("s=1;i=2", "5B1C93F00A: removed"))
	state := filepath.Join(t.TempDir(), "tail.state")
	p := startTail(t, env, nil, "--journal", "--from-start", "--state", state, "--resolver", srv.Addr, "--format", "json", "--helo", "mail.example.test")
	if a := decodeAlert(t, p.alert(t)); a.Kind != "misaligned" || a.IP != "192.0.2.31" || a.Problem != "no-ptr" {
		t.Fatalf("alert %+v", a)
	}
	if code := p.signal(t, syscall.SIGINT); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, p.errText())
	}
	if b, _ := os.ReadFile(state); !strings.Contains(string(b), `"cursor": "s=1;i=2"`) {
		t.Fatalf("state:\n%s", b)
	}
	p = startTail(t, env, nil, "--journal", "postfix@-", "--state", state, "--resolver", srv.Addr)
	p.waitErr(t, "following the journal of postfix@-")
	for end := time.Now().Add(tailDeadline); ; time.Sleep(10 * time.Millisecond) {
		if b, _ := os.ReadFile(argsFile); strings.Contains(string(b), "-u\npostfix@-\n--after-cursor\ns=1;i=2\n") {
			break
		} else if time.Now().After(end) {
			t.Fatalf("journalctl's arguments:\n%s", b)
		}
	}
	if code := p.signal(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, p.errText())
	}
}

// TestTailNoLog: without /var/log/mail.log, the command points to the
// journal when it holds mail entries, and exits 66 either way.
func TestTailNoLog(t *testing.T) {
	if _, err := os.Stat(defaultMailLog); err == nil {
		t.Skip(defaultMailLog + " exists on this machine")
	}
	env, _ := journalStandIn(t, journalEntry("s=1;i=1", gmailMessage), "")
	_, errOut, code := hopcheckEnv(t, env, "tail", "--offline")
	if code != exitNoInput || !strings.Contains(errOut, "the systemd journal holds mail entries (postfix@*, postfix, exim4): run hopcheck tail --journal") {
		t.Errorf("journal with mail: exit %d\n%s", code, errOut)
	}
	env, _ = journalStandIn(t, "", "")
	_, errOut, code = hopcheckEnv(t, env, "tail", "--offline")
	if code != exitNoInput || !strings.Contains(errOut, "the systemd journal holds no mail entries: name the mail log to follow") {
		t.Errorf("no journal: exit %d\n%s", code, errOut)
	}
}

func hopcheckEnv(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errb.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}

// TestTailUsage: flags that cannot work are usage errors; a file in a
// directory that does not exist is no input.
func TestTailUsage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--format", "html", "-"},
		{"--metrics", "nine", "-"},
		{"--sender-ip", "mail.example.test", "-"},
		{"--repeat", "0s", "-"},
		{"--max-qps", "-1", "-"},
		{filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")},
	} {
		if _, errOut, code := hopcheck(t, nil, append([]string{"tail", "--offline"}, args...)...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args, code, exitUsage, errOut)
		}
	}
	if _, errOut, code := hopcheck(t, nil, "tail", "--offline", filepath.Join(dir, "nowhere", "mail.log")); code != exitNoInput {
		t.Errorf("a missing directory: exit %d\n%s", code, errOut)
	}
}

// TestTailMetricsAddr: a bare port listens on loopback only.
func TestTailMetricsAddr(t *testing.T) {
	for in, want := range map[string]string{"9464": "127.0.0.1:9464", ":9464": "127.0.0.1:9464",
		"0.0.0.0:9464": "0.0.0.0:9464", "[::1]:9464": "[::1]:9464", "[2001:db8::1]:0": "[2001:db8::1]:0"} {
		if got, err := metricsAddr(in); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "nine", "127.0.0.1:http", "70000"} {
		if got, err := metricsAddr(in); err == nil {
			t.Errorf("%q: %q, want an error", in, got)
		}
	}
}
