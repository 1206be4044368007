package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"hopcheck/dns/dnstest"
)

const e2eLog = "testdata/logs-e2e/mixed.log"

// e2eRelay is the part of a relay the end-to-end tests compare with
// testdata/logs-e2e/expected.json.
type e2eRelay struct {
	Direction string   `json:"direction"`
	IP        string   `json:"ip"`
	Identity  int      `json:"identity"`
	Refusals  int      `json:"refusals"`
	Warnings  int      `json:"warnings"`
	RefusedBy []string `json:"refused_by"`
	Verdict   struct {
		Status  string `json:"status"`
		Problem string `json:"problem"`
		Owner   string `json:"owner"`
		Fix     string `json:"fix"`
	} `json:"verdict"`
}

type e2eDoc struct {
	Source struct {
		Files   []string `json:"files"`
		Offline bool     `json:"offline"`
	} `json:"source"`
	Relays []e2eRelay `json:"relays"`
	Stats  struct {
		Lines, Events, Unknown int
	} `json:"stats"`
}

// e2eServer answers from every zone file of testdata/zones over loopback.
func e2eServer(t *testing.T) *dnstest.Server {
	t.Helper()
	return dnstest.Start(t, dnstest.Options{Zone: worldZones(t)})
}

func expectedRelays(t *testing.T) []e2eRelay {
	t.Helper()
	b, err := os.ReadFile("../../testdata/logs-e2e/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var want []e2eRelay
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	return want
}

func decodeLogs(t *testing.T, out string) e2eDoc {
	t.Helper()
	var d e2eDoc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	return d
}

func gzipped(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../..", path))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	// The name hides the compression: it is detected by magic bytes.
	out := filepath.Join(t.TempDir(), "mail.log.1")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLogsEndToEnd runs the built command over the mixed log (Postfix,
// Exim and Sendmail lines, noise) against an in-process DNS server, read
// as a file, as gzip and from stdin: the relays, their ranking and their
// verdicts must be the expected ones.
func TestLogsEndToEnd(t *testing.T) {
	srv := e2eServer(t)
	raw, err := os.ReadFile(filepath.Join("../..", e2eLog))
	if err != nil {
		t.Fatal(err)
	}
	want := expectedRelays(t)
	cases := []struct {
		name  string
		stdin []byte
		input func(t *testing.T) string
	}{
		{"file", nil, func(*testing.T) string { return e2eLog }},
		{"gzip", nil, func(t *testing.T) string { return gzipped(t, e2eLog) }},
		{"stdin", raw, func(*testing.T) string { return "-" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := hopcheck(t, tc.stdin, "logs", tc.input(t), "--year", "2026", "--resolver", srv.Addr, "--format", "json")
			if code != exitMisaligned {
				t.Fatalf("exit %d, want 1; stderr %s", code, stderr)
			}
			d := decodeLogs(t, out)
			if tc.name == "file" {
				golden(t, "../../testdata/logs-e2e/expected.json", d.Relays, new([]e2eRelay))
			} else if !reflect.DeepEqual(d.Relays, want) {
				g, _ := json.MarshalIndent(d.Relays, "", " ")
				t.Fatalf("relays differ from expected.json:\n%s", g)
			}
			if d.Stats.Lines != 38 || d.Stats.Events != 16 || d.Stats.Unknown != 1 {
				t.Errorf("stats %+v, want 38 lines, 16 refusal events, 1 unknown", d.Stats)
			}
			if d.Source.Offline {
				t.Error("source says offline")
			}
		})
	}
}

// TestLogsSince drops the one refusal of 192.0.2.50, two days older.
func TestLogsSince(t *testing.T) {
	srv := e2eServer(t)
	var want []e2eRelay
	for _, r := range expectedRelays(t) {
		if r.IP != "192.0.2.50" {
			want = append(want, r)
		}
	}
	for _, since := range []string{"2026-11-21T00:00:00Z", "2026-11-21"} {
		out, stderr, code := hopcheck(t, nil, "logs", "--since", since, e2eLog, "--year", "2026", "--resolver", srv.Addr, "--format", "json")
		if code != exitMisaligned {
			t.Fatalf("--since %s: exit %d; stderr %s", since, code, stderr)
		}
		if got := decodeLogs(t, out).Relays; !reflect.DeepEqual(got, want) {
			t.Errorf("--since %s: relays %+v", since, got)
		}
	}
	out, _, code := hopcheck(t, nil, "logs", "--until", "2026-11-21T00:00:00Z", e2eLog, "--year", "2026", "--resolver", srv.Addr, "--format", "json")
	d := decodeLogs(t, out)
	if code != exitAligned || len(d.Relays) != 1 || d.Relays[0].IP != "192.0.2.50" {
		t.Errorf("--until: exit %d, relays %+v", code, d.Relays)
	}
}

// TestLogsTextRanking checks the order a person reads: our relays, then the
// clients we refused, then the others and the counts.
func TestLogsTextRanking(t *testing.T) {
	srv := e2eServer(t)
	out, stderr, code := hopcheck(t, nil, "logs", e2eLog, "--year", "2026", "--resolver", srv.Addr)
	if code != exitMisaligned {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("progress or noise on a non-terminal stderr: %q", stderr)
	}
	flat := strings.Join(strings.Fields(out), " ")
	order := []string{
		"MISALIGNED our relay 192.0.2.31 (mx1, inferred from the syslog host) was refused 5 times by google.com for 5.7.25, 4.7.23",
		"PTR is vps123.provider.example (generic)",
		"ALIGNED our relay 192.0.2.50",
		"MISALIGNED client 192.0.2.40 (HELO broken.example.test, logged as broken.example.test)",
		"fix (the DNS admin of the name's domain): the sender's admin must add the record",
		"MISALIGNED client 198.51.100.7 (HELO shop.example) was refused 2 times by us",
		"Refused for other reasons",
		"Read 38 lines from testdata/logs-e2e/mixed.log: 16 events, 1 unknown",
	}
	at := 0
	for _, s := range order {
		i := strings.Index(flat[at:], s)
		if i < 0 {
			t.Fatalf("%q missing or out of order in:\n%s", s, out)
		}
		at += i + len(s)
	}
	for _, l := range strings.Split(out, "\n") {
		if n := len([]rune(l)); n > 80 && !strings.Contains(l, "e.g.") && strings.Contains(l, " ") {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
}

// TestLogsOfflineAndOptions covers judging from the log alone, --sender-ip,
// --helo and --events.
func TestLogsOfflineAndOptions(t *testing.T) {
	out, stderr, code := hopcheck(t, nil, "logs", e2eLog, "--year", "2026", "--offline", "--format", "json", "--helo", "mail.example.test")
	if code != exitMisaligned {
		t.Fatalf("offline: exit %d; stderr %s", code, stderr)
	}
	d := decodeLogs(t, out)
	if !d.Source.Offline || d.Relays[0].IP != "192.0.2.31" || d.Relays[0].Verdict.Problem != "no-ptr" {
		t.Errorf("offline: %+v", d.Relays[0])
	}

	// A log whose refusals do not quote our IP: unattributed without
	// --sender-ip, attributed with one.
	log := "Nov 22 10:18:03 mx1 postfix/smtp[1701]: 5B1C93F00A: to=<carol@other.example>, relay=mx.other.example[203.0.113.200]:25, delay=2.9, delays=0.02/0.01/1.1/1.8, dsn=5.7.1, status=bounced (host mx.other.example[203.0.113.200] said: 550 5.7.1 Client host rejected: cannot find your reverse hostname (in reply to RCPT TO command))\n"
	out, _, code = hopcheck(t, []byte(log), "logs", "-", "--year", "2026", "--offline", "--format", "json")
	d = decodeLogs(t, out)
	if code != exitUnknown || len(d.Relays) != 1 || d.Relays[0].IP != "" || d.Relays[0].Verdict.Status != "unknown" {
		t.Errorf("unattributed: exit %d, %+v", code, d.Relays)
	}
	out, _, code = hopcheck(t, []byte(log), "logs", "-", "--year", "2026", "--offline", "--format", "json", "--sender-ip", "192.0.2.31")
	d = decodeLogs(t, out)
	if code != exitMisaligned || len(d.Relays) != 1 || d.Relays[0].IP != "192.0.2.31" || d.Relays[0].RefusedBy[0] != "other.example" {
		t.Errorf("--sender-ip: exit %d, %+v", code, d.Relays)
	}

	out, _, code = hopcheck(t, nil, "logs", "--events", e2eLog, "--year", "2026")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitAligned || len(lines) != 14 {
		t.Fatalf("--events: exit %d, %d lines:\n%s", code, len(lines), out)
	}
	var ev struct {
		Kind     string `json:"kind"`
		RemoteIP string `json:"remote_ip"`
		Line     int    `json:"line"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil || ev.Kind != "bounced" || ev.Line != 1 {
		t.Errorf("first event %s (%v)", lines[0], err)
	}
}

func TestLogsErrors(t *testing.T) {
	cases := []struct {
		name  string
		stdin []byte
		args  []string
		code  int
	}{
		{"missing file", nil, []string{"logs", "--offline", "testdata/logs-e2e/nope.log"}, exitNoInput},
		{"no file", nil, []string{"logs", "--offline"}, exitUsage},
		{"bad since", nil, []string{"logs", "--offline", "--since", "yesterday", e2eLog}, exitUsage},
		{"bad sender ip", nil, []string{"logs", "--offline", "--sender-ip", "mx1", e2eLog}, exitUsage},
		{"corrupt gzip", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3}, []string{"logs", "--offline", "-"}, exitDataErr},
		{"nothing wrong", []byte("Nov 22 10:15:01 mx1 CRON[1]: (root) CMD (true)\n"), []string{"logs", "--offline", "-"}, exitAligned},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := hopcheck(t, tc.stdin, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %s", code, tc.code, stderr)
			}
		})
	}
}

// TestLogsProgress: on a terminal the text report draws progress on stderr
// and clears it; JSON and piped stderr get none.
func TestLogsProgress(t *testing.T) {
	for _, tc := range []struct {
		format   string
		terminal bool
		want     bool
	}{{"text", true, true}, {"json", true, false}, {"text", false, false}} {
		var stdout, stderr bytes.Buffer
		e := env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" },
			isTerminal: func(v any) bool { return tc.terminal && v == any(&stderr) }}
		code := run([]string{"logs", "--offline", "--year", "2026", "--format", tc.format, filepath.Join("../..", e2eLog)}, e)
		if code != exitMisaligned {
			t.Fatalf("%+v: exit %d, stderr %q", tc, code, stderr.String())
		}
		drawn := strings.Contains(stderr.String(), "lines read") && strings.Contains(stderr.String(), "re-checked")
		got := drawn && strings.HasSuffix(stderr.String(), "\r\x1b[K")
		if got != tc.want || (!tc.want && stderr.Len() > 0) {
			t.Errorf("%+v: stderr %q", tc, stderr.String())
		}
	}
}

// TestLogsTruncatedGzipAndNoLog: a truncated .gz reports the lines read
// before the break, with a warning; a file with no mail log line (an .eml)
// says so and exits 65.
func TestLogsTruncatedGzipAndNoLog(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("../..", e2eLog))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	cut := filepath.Join(t.TempDir(), "mail.log.2.gz")
	if err := os.WriteFile(cut, buf.Bytes()[:buf.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := hopcheck(t, nil, "logs", "--offline", "--year", "2026", "--format", "json", cut)
	d := decodeLogs(t, out)
	if code == exitDataErr || !strings.Contains(stderr, "truncated") || d.Stats.Lines == 0 || d.Stats.Lines >= 38 {
		t.Fatalf("exit %d, stderr %q, %d lines", code, stderr, d.Stats.Lines)
	}
	_, stderr, code = hopcheck(t, nil, "logs", "--offline", "testdata/demo/message.eml")
	if code != exitDataErr || !strings.Contains(stderr, "is it a mail log?") {
		t.Fatalf("an .eml: exit %d, stderr %q", code, stderr)
	}
}
