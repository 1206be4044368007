package main

import (
	"bufio"
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"hopcheck/web"
)

// startServe runs the built command's serve on a free loopback port and
// returns the page's URL; the process is stopped when the test ends.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Dir = "../.."
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	url := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if _, after, ok := strings.Cut(sc.Text(), "serving on "); ok {
				url <- strings.Fields(after)[0]
			}
		}
	}()
	select {
	case u := <-url:
		return u
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not say where it listens")
	}
	return ""
}

// postPaste posts headers as the paste page's form does.
func postPaste(t *testing.T, url string, headers []byte) (*http.Response, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("headers", string(headers))
	mw.Close()
	resp, err := http.Post(url+"report", mw.FormDataContentType(), &b)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(page)
}

// TestServe: the command serves the paste page on loopback over real
// HTTP, with the DNS its flags give; a pasted sample gets the verdict, and
// more than 10 MiB a clear 413 page, every response with the policy.
func TestServe(t *testing.T) {
	url := startServe(t, "--zone", "testdata/demo/world.zone")
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("listens on %s", url)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "<textarea") || !strings.Contains(string(page), "zone files: testdata/demo/world.zone") {
		t.Fatalf("GET /: %d\n%s", resp.StatusCode, page)
	}
	if got := resp.Header.Get("Content-Security-Policy"); got != web.ContentSecurityPolicy {
		t.Errorf("CSP %q", got)
	}

	demo, err := os.ReadFile("../../testdata/demo/message.eml")
	if err != nil {
		t.Fatal(err)
	}
	resp, report := postPaste(t, url, demo)
	if resp.StatusCode != 200 || !strings.Contains(report, "✗ Misaligned") || !strings.Contains(report, "<code>203.0.113.25</code>") {
		t.Fatalf("POST: %d\n%s", resp.StatusCode, report)
	}
	if resp.Header.Get("Content-Security-Policy") != web.ContentSecurityPolicy {
		t.Errorf("no CSP on the report")
	}

	big := append(demo, bytes.Repeat([]byte("X-Filler: 0123456789abcdef\n"), web.MaxRequestBytes/27+1)...)
	resp, refused := postPaste(t, url, big)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(refused, "larger than 10 MiB") {
		t.Errorf("over 10 MiB: %d\n%s", resp.StatusCode, refused)
	}
	if resp.Header.Get("Content-Security-Policy") != web.ContentSecurityPolicy {
		t.Errorf("no CSP on the 413 page")
	}
}

func TestServeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--format", "json"},
		{"serve", "-o", "x.html"},
		{"serve", "extra"},
		{"serve", "--offline", "--zone", "testdata/demo/world.zone"},
	} {
		if _, stderr, code := hopcheck(t, nil, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 64; %s", args, code, stderr)
		}
	}
	if out, _, code := hopcheck(t, nil, "help", "serve"); code != 0 || !strings.Contains(out, "--listen ADDR") {
		t.Errorf("help serve: %d %s", code, out)
	}
}

// TestFormatsAndRedact: analyze and logs write HTML and Markdown, and
// --redact reaches every format.
func TestFormatsAndRedact(t *testing.T) {
	for _, format := range []string{"text", "json", "html", "markdown"} {
		out, stderr, code := hopcheck(t, nil, "analyze", "--zone", "testdata/demo/world.zone", "testdata/demo/message.eml", "--format", format, "--redact")
		if code != exitMisaligned {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		if strings.Contains(out, "customer@gmail.com") || strings.Contains(out, "20261124101406") {
			t.Errorf("%s: not redacted:\n%s", format, out)
		}
		out, stderr, code = hopcheck(t, nil, "logs", "--offline", "testdata/logs-e2e/mixed.log", "--format", format, "--redact")
		if code != exitMisaligned || strings.Contains(out, "carol@gmail.com") || !strings.Contains(out, "192.0.2.31") {
			t.Errorf("logs %s: exit %d, %s\n%s", format, code, stderr, out)
		}
	}
	out, _, _ := hopcheck(t, nil, "analyze", "--offline", "testdata/demo/message.eml", "--format", "html")
	if !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, "Content-Security-Policy") {
		t.Errorf("html:\n%s", out)
	}
	if _, stderr, code := hopcheck(t, nil, "analyze", "--format", "pdf", "testdata/demo/message.eml"); code != exitUsage || !strings.Contains(stderr, "html or markdown") {
		t.Errorf("--format pdf: exit %d, %s", code, stderr)
	}
}
