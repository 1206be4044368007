package report

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hopcheck/analyze"
	"hopcheck/parse"
	"hopcheck/parse/mtalog/mtalogtest"
)

// encodeWhole is how the reports were written before they were streamed:
// the whole document built, then encoded at once.
func encodeWhole(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestLogsJSONStreamsSameBytes: LogsJSON, which writes one relay at a time,
// writes exactly the bytes of encoding NewLogsDocument whole.
func TestLogsJSONStreamsSameBytes(t *testing.T) {
	mixed, err := os.ReadFile("../testdata/logs-e2e/mixed.log")
	if err != nil {
		t.Fatal(err)
	}
	var gen bytes.Buffer
	if err := mtalogtest.GenPostfix(&gen, 20000, 5); err != nil {
		t.Fatal(err)
	}
	cases := map[string]*Logs{
		"empty": NewLogs(LogSource{}, LogSummary{}),
		"mixed": NewLogs(LogSource{Files: []string{"mixed.log"}, Resolver: "offline", Offline: true,
			Since: time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)}, logSummary(t, mixed)),
		"generated": NewLogs(LogSource{Files: []string{"-"}, SenderIPs: []string{"203.0.113.10"}, HELO: "mx1.example.test"}, logSummary(t, gen.Bytes())),
	}
	for name, l := range cases {
		var got bytes.Buffer
		if err := LogsJSON(&got, l); err != nil {
			t.Fatal(err)
		}
		if want := encodeWhole(t, NewLogsDocument(l)); !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: streamed JSON differs from the whole document (%d bytes, want %d)", name, got.Len(), len(want))
		}
	}
}

// TestJSONStreamsSameBytes: JSON writes exactly the bytes of encoding
// NewDocument whole, for every sample message and a hostile one.
func TestJSONStreamsSameBytes(t *testing.T) {
	msgs := []*Message{NewMessage(Source{}, hostileResult()), NewMessage(Source{}, &analyze.Result{})}
	files, _ := filepath.Glob("../testdata/messages/*.eml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res, err := analyze.Read(context.Background(), bytes.NewReader(data), parse.Limits{}, analyze.Options{})
		if err != nil {
			continue
		}
		msgs = append(msgs, NewMessage(Source{Kind: "message", Name: filepath.Base(f)}, res))
	}
	for i, m := range msgs {
		var got bytes.Buffer
		if err := JSON(&got, m); err != nil {
			t.Fatal(err)
		}
		if want := encodeWhole(t, NewDocument(m)); !bytes.Equal(got.Bytes(), want) {
			t.Errorf("message %d (%s): streamed JSON differs from the whole document:\n%s\nwant\n%s", i, m.Source.Name, got.Bytes(), want)
		}
	}
}

// TestAppendIndent: the one-pass indenter writes what json.Indent writes
// for what json.Marshal writes, strings with escaped quotes and brackets
// and empty containers included.
func TestAppendIndent(t *testing.T) {
	values := []any{
		map[string]any{}, []any{}, nil, "x", 1.5, true,
		map[string]any{"a": []any{}, "b": map[string]any{}, "c": []any{1, "two", nil, []any{map[string]any{"d": "e"}}}},
		[]string{`quote " inside`, `back\slash`, `brackets {[,:]}`, "<html> & \u2028 \x00 \xff"},
		map[string]any{`k"ey`: map[string]any{"x": []any{[]any{}, map[string]any{"y": []any{}}}}},
	}
	for _, v := range values {
		compact, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, prefix := range []string{"", "    "} {
			var want bytes.Buffer
			if err := json.Indent(&want, compact, prefix, "  "); err != nil {
				t.Fatal(err)
			}
			if got := appendIndent(nil, compact, prefix); !bytes.Equal(got, want.Bytes()) {
				t.Errorf("%s with prefix %q:\n got %s\nwant %s", compact, prefix, got, want.Bytes())
			}
		}
	}
}
