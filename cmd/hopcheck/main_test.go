package main

import (
	"bytes"
	"encoding/json"
	"hopcheck/dns"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"hopcheck/dns/dnstest"
)

var binary string

// TestMain builds the real command once; the CLI tests run it.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hopcheck-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "hopcheck")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		panic("go build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// hopcheck runs the built command and returns stdout, stderr, exit code.
func hopcheck(t *testing.T, stdin []byte, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = "../.."
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

type doc struct {
	Verdict struct {
		Status, IP, HELO, Problem, Owner, Fix string
		Hop                                   int
	}
	Hops []struct {
		Index    int
		Internal bool
		Checks   struct {
			PTR        []string `json:"ptr"`
			PTRStatus  string   `json:"ptr_status"`
			GenericPTR *struct{ Name string }
		}
	}
}

func decode(t *testing.T, out string) doc {
	t.Helper()
	var d doc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	return d
}

func TestDemoWithZoneFile(t *testing.T) {
	out, stderr, code := hopcheck(t, nil, "analyze", "--zone", "testdata/demo/world.zone", "testdata/demo/message.eml", "--format", "json")
	if code != exitMisaligned {
		t.Fatalf("exit %d, want 1; stderr %s", code, stderr)
	}
	d := decode(t, out)
	v := d.Verdict
	if v.Status != "misaligned" || v.Hop != 3 || v.IP != "203.0.113.25" || v.Problem != "generic-ptr" || v.Owner != "ip-owner" {
		t.Fatalf("verdict %+v", v)
	}
	for _, want := range []string{"set the PTR of 203.0.113.25 to mail.example.test", "113.0.203.in-addr.arpa is served by ns1.provider.example"} {
		if !strings.Contains(v.Fix, want) {
			t.Errorf("fix %q lacks %q", v.Fix, want)
		}
	}
	if len(d.Hops) != 4 || !d.Hops[1].Internal {
		t.Errorf("hops %+v: want 4, the second internal", d.Hops)
	}
}

func TestResolverOverLoopback(t *testing.T) {
	z, err := dns.LoadZoneFiles("../../testdata/demo/world.zone")
	if err != nil {
		t.Fatal(err)
	}
	srv := dnstest.Start(t, dnstest.Options{Zone: z})
	out, stderr, code := hopcheck(t, nil, "analyze", "testdata/demo/message.eml", "--format", "json", "--resolver", srv.Addr)
	if code != exitMisaligned {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	d := decode(t, out)
	if d.Verdict.Problem != "generic-ptr" || !slices.Equal(d.Hops[2].Checks.PTR, []string{"25-113-0-203.static.provider.example"}) {
		t.Fatalf("verdict %+v, hop 3 checks %+v", d.Verdict, d.Hops[2].Checks)
	}
}

func TestUnreachableResolverSaysTemporary(t *testing.T) {
	out, _, code := hopcheck(t, nil, "analyze", "testdata/demo/message.eml", "--resolver", "127.0.0.1:1", "--timeout", "200ms")
	if code != exitUnknown {
		t.Fatalf("exit %d, want 2\n%s", code, out)
	}
	flat := strings.Join(strings.Fields(out), " ")
	if !strings.Contains(flat, "temporary DNS failure") || strings.Contains(flat, "no-ptr") {
		t.Fatalf("output does not say temporary DNS failure (or claims no-ptr):\n%s", out)
	}
	if !strings.Contains(flat, "your resolver 127.0.0.1:1 did not") || strings.Contains(flat, "name servers of the reverse zone") {
		t.Fatalf("output blames the remote zone, not our resolver:\n%s", out)
	}
}

func TestOfflineJudgesTheRecord(t *testing.T) {
	out, _, code := hopcheck(t, nil, "analyze", "--offline", "--format", "json", "-", "testdata/demo/message.eml")
	if code != exitUsage {
		t.Fatalf("two inputs: exit %d, want 64", code)
	}
	msg, err := os.ReadFile("../../testdata/demo/message.eml")
	if err != nil {
		t.Fatal(err)
	}
	out, _, code = hopcheck(t, msg, "analyze", "--offline", "--format", "json")
	if code != exitMisaligned {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if d := decode(t, out); d.Verdict.Problem != "generic-ptr" || d.Verdict.Hop != 3 {
		t.Fatalf("verdict %+v", d.Verdict)
	}
}

func TestJSONKeysAreExactlyTheDesign(t *testing.T) {
	out, _, _ := hopcheck(t, nil, "analyze", "--zone", "testdata/demo/world.zone", "testdata/demo/message.eml", "--format", "json")
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	keys := func(v any) []string {
		return slices.Sorted(func(yield func(string) bool) {
			for k := range v.(map[string]any) {
				if !yield(k) {
					return
				}
			}
		})
	}
	hop := m["hops"].([]any)[2]
	for _, tc := range []struct {
		name string
		v    any
		want []string
	}{
		{"top", m, []string{"bounce", "findings", "hops", "source", "verdict"}},
		{"hop", hop, []string{"by", "checks", "delay_seconds", "helo", "id", "index", "internal", "ip", "parsed", "platform", "problems", "raw", "rdns", "time", "with"}},
		{"checks", hop.(map[string]any)["checks"], []string{"fcrdns", "forward", "generic_ptr", "helo_forward", "helo_match", "ptr", "ptr_source", "ptr_status", "ptr_ttl", "rdns_drift"}},
		{"verdict", m["verdict"], []string{"detail", "fix", "helo", "hop", "ip", "owner", "problem", "status"}},
	} {
		if got := keys(tc.v); !slices.Equal(got, tc.want) {
			t.Errorf("%s keys %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestInputErrors(t *testing.T) {
	if _, stderr, code := hopcheck(t, nil, "analyze", "--offline", "no/such/file.eml"); code != exitNoInput {
		t.Errorf("missing file: exit %d (%s), want 66", code, stderr)
	}
	big := []byte("Received: " + strings.Repeat("x", 11<<20) + "\n")
	if _, stderr, code := hopcheck(t, big, "analyze", "--offline"); code != exitDataErr || !strings.Contains(stderr, "too large") {
		t.Errorf("oversized: exit %d (%s), want 65 and 'too large'", code, stderr)
	}
	if _, _, code := hopcheck(t, nil, "analyze", "--no-such-flag"); code != exitUsage {
		t.Errorf("bad flag: exit %d, want 64", code)
	}
	if _, _, code := hopcheck(t, nil, "analyze", "--format", "yaml", "--offline"); code != exitUsage {
		t.Errorf("bad format: exit %d, want 64", code)
	}
	for _, bad := range []string{"not-a-host", "127.0.0.1:70000", "127.0.0.1:0"} {
		if _, stderr, code := hopcheck(t, nil, "analyze", "--resolver", bad, "testdata/demo/message.eml"); code != exitUsage || !strings.Contains(stderr, "resolver") {
			t.Errorf("--resolver %s: exit %d (%s), want 64", bad, code, stderr)
		}
	}
	if _, _, code := hopcheck(t, nil, "frobnicate"); code != exitUsage {
		t.Errorf("unknown command: exit %d, want 64", code)
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"help", "analyze"}, {"analyze", "--help"}} {
		out, _, code := hopcheck(t, nil, args...)
		if code != 0 || !strings.Contains(out, "Examples:") {
			t.Errorf("%v: exit %d, output %q", args, code, out)
		}
	}
	if out, _, code := hopcheck(t, nil, "--version"); code != 0 || !strings.HasPrefix(out, "hopcheck ") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
}

func TestTextReportFitsTheTerminal(t *testing.T) {
	out, _, _ := hopcheck(t, nil, "analyze", "--zone", "testdata/demo/world.zone", "testdata/demo/message.eml")
	if !strings.HasPrefix(out, "MISALIGNED  hop 3: 203.0.113.25") {
		t.Fatalf("verdict is not first:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if n := len([]rune(line)); n > 80 && strings.Contains(line, " ") {
			t.Errorf("line of %d columns: %q", n, line)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("color with NO_COLOR set")
	}
}

// worldZones loads every zone file of testdata/zones: the world the
// end-to-end tests run in.
func worldZones(t *testing.T) *dns.Zone {
	return dnstest.Zones(t, "../../testdata/zones/*.zone")
}

// golden compares got with the JSON file at path, decoded into want (a
// pointer to a value of got's type); with HOPCHECK_UPDATE=1 in the
// environment (the project's one golden switch, `make golden`) it rewrites
// the file from got instead, and then every rewritten file must be read and
// judged.
func golden(t *testing.T, path string, got, want any) {
	t.Helper()
	if os.Getenv("HOPCHECK_UPDATE") != "" {
		data, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, want); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if w := reflect.ValueOf(want).Elem().Interface(); !reflect.DeepEqual(got, w) {
		t.Errorf("%s:\ngot  %+v\nwant %+v", path, got, w)
	}
}

// TestPastePrompt: reading a paste from a terminal says how to end it;
// from a pipe it says nothing.
func TestPastePrompt(t *testing.T) {
	msg, err := os.ReadFile("../../testdata/demo/message.eml")
	if err != nil {
		t.Fatal(err)
	}
	for _, terminal := range []bool{true, false} {
		var stdout, stderr bytes.Buffer
		stdin := bytes.NewReader(msg)
		e := env{stdin: stdin, stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" },
			isTerminal: func(v any) bool { return terminal && v == any(stdin) }}
		if code := run([]string{"analyze", "--offline"}, e); code != exitMisaligned {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		if got := strings.Contains(stderr.String(), "Ctrl-D"); got != terminal {
			t.Errorf("terminal %v: stderr %q", terminal, stderr.String())
		}
		if strings.Contains(stdout.String(), "\x1b[") {
			t.Errorf("color on a stdout that is no terminal")
		}
	}
}
