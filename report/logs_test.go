package report

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"hopcheck/analyze"
	"hopcheck/parse/mtalog"
)

// logSummary aggregates a log offline, as hopcheck logs --offline does.
func logSummary(t *testing.T, data []byte) LogSummary {
	t.Helper()
	agg := analyze.NewAggregator(analyze.AggregatorOptions{})
	ref := time.Date(2026, time.November, 25, 0, 0, 0, 0, time.UTC)
	err := agg.Scan(bytes.NewReader(data), func() *mtalog.Parser {
		p := mtalog.NewParser(time.UTC)
		p.Now = func() time.Time { return ref }
		return p
	}, analyze.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	relays := agg.Snapshot()
	verdicts := analyze.Recheck(context.Background(), nil, relays, analyze.RecheckOptions{Concurrency: 4,
		Now: func() time.Time { return time.Date(2026, time.November, 25, 12, 0, 0, 0, time.UTC) }})
	analyze.Rank(relays, verdicts)
	return LogSummary{Relays: relays, Verdicts: verdicts, Stats: agg.Stats()}
}

// TestLogsGolden renders the mixed end-to-end log, judged offline, as text
// and JSON and compares both with testdata/logs-e2e/report/.
func TestLogsGolden(t *testing.T) {
	data, err := os.ReadFile("../testdata/logs-e2e/mixed.log")
	if err != nil {
		t.Fatal(err)
	}
	sum := logSummary(t, data)
	src := LogSource{Files: []string{"mixed.log"}, Resolver: "offline", Offline: true,
		Since: time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)}
	cases := []struct {
		file   string
		render func(*bytes.Buffer) error
	}{
		{"offline.txt", func(b *bytes.Buffer) error { return LogsText(b, NewLogs(src, sum), TextOptions{}) }},
		{"offline.json", func(b *bytes.Buffer) error { return LogsJSON(b, NewLogs(src, sum)) }},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			var got bytes.Buffer
			if err := tc.render(&got); err != nil {
				t.Fatal(err)
			}
			path := "../testdata/logs-e2e/report/" + tc.file
			if os.Getenv("HOPCHECK_UPDATE") != "" {
				os.WriteFile(path, got.Bytes(), 0o644)
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s differs; got:\n%s", path, got.String())
			}
		})
	}
}

// TestLogsTextHostile: control characters in logged names never reach the
// terminal, and lines stay within 80 columns except for unbreakable words.
func TestLogsTextHostile(t *testing.T) {
	log := "Nov 22 10:16:11 mx1 postfix/smtpd[1303]: NOQUEUE: reject: RCPT from unknown[198.51.100.9]: 550 5.7.1 Client host rejected: cannot find your reverse hostname \x1b[2J, [198.51.100.9]; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<\x1b]0;pwned\x07x.example>\n"
	sum := logSummary(t, []byte(log))
	if len(sum.Relays) != 1 {
		t.Fatalf("%d relays", len(sum.Relays))
	}
	var b bytes.Buffer
	if err := LogsText(&b, NewLogs(LogSource{Files: []string{"-"}, Offline: true}, sum), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("control characters in output: %q", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if n := len([]rune(l)); n > 80 && strings.Count(strings.TrimSpace(l), " ") > 0 {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
	flat := strings.Join(strings.Fields(out), " ")
	if !strings.Contains(flat, "client 198.51.100.9 (HELO ]0;pwnedx.example) was refused once by us for 5.7.1") {
		t.Errorf("paragraph missing:\n%s", out)
	}
}

// TestLogsJSONEmpty: every key is present even with nothing found.
func TestLogsJSONEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := LogsJSON(&b, NewLogs(LogSource{}, LogSummary{})); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"files": []`, `"sender_ips": []`, `"relays": []`, `"too_long": 0`, `"since": ""`} {
		if !strings.Contains(b.String(), key) {
			t.Errorf("missing %s in %s", key, b.String())
		}
	}
}
