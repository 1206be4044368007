package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"hopcheck/dns"
)

var demo = func() []byte {
	data, err := os.ReadFile("../testdata/demo/message.eml")
	if err != nil {
		panic(err)
	}
	return data
}()

// start serves the page on loopback over real HTTP, answering DNS from the
// demo's zone file.
func start(t *testing.T, redact bool) *httptest.Server {
	t.Helper()
	z, err := dns.LoadZoneFiles("../testdata/demo/world.zone")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(Config{Resolver: z, ResolverName: "zone files: world.zone", Version: "test", Redact: redact,
		Now: func() time.Time { return time.Date(2026, time.November, 25, 12, 0, 0, 0, time.UTC) }}))
	t.Cleanup(srv.Close)
	return srv
}

// form is the paste page's multipart form.
func form(t *testing.T, fields map[string]string, file []byte) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, err := mw.CreateFormFile("eml", "message.eml")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(file)
	mw.Close()
	return &b, mw.FormDataContentType()
}

func post(t *testing.T, srv *httptest.Server, body io.Reader, ctype string) (*http.Response, string) {
	t.Helper()
	resp, err := srv.Client().Post(srv.URL+"/report", ctype, body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(data)
}

// checkHeaders: every response carries the policy and the other headers,
// and the policy's style hash is that of the page's style element.
func checkHeaders(t *testing.T, resp *http.Response, page string) {
	t.Helper()
	h := resp.Header
	if got := h.Get("Content-Security-Policy"); got != ContentSecurityPolicy {
		t.Errorf("CSP %q, want %q", got, ContentSecurityPolicy)
	}
	for _, want := range []string{"default-src 'none'", "form-action 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(ContentSecurityPolicy, want) {
			t.Errorf("CSP lacks %s", want)
		}
	}
	if strings.Contains(ContentSecurityPolicy, "script") || strings.Contains(ContentSecurityPolicy, "unsafe") {
		t.Errorf("CSP allows too much: %s", ContentSecurityPolicy)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", h)
	}
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no style element in %s", page)
	}
	sum := sha256.Sum256([]byte(m[1]))
	if hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(h.Get("Content-Security-Policy"), "style-src "+hash) {
		t.Errorf("the style element's hash %s is not in the policy", hash)
	}
	if strings.Contains(strings.ToLower(page), "<script") {
		t.Errorf("a script element in the page")
	}
}

func TestPastePage(t *testing.T) {
	srv := start(t, false)
	resp, err := srv.Client().Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	checkHeaders(t, resp, string(page))
	for _, want := range []string{`<form class="paste" method="post" action="/report" enctype="multipart/form-data">`, `<textarea id="headers" name="headers"`, `type="file"`, "zone files: world.zone"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

// TestPostSample: a pasted sample gets the report with the verdict, the
// culprit's address and the downloads, of which the JSON says the same.
func TestPostSample(t *testing.T) {
	srv := start(t, false)
	body, ctype := form(t, map[string]string{"headers": string(demo)}, nil)
	resp, page := post(t, srv, body, ctype)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, page)
	}
	checkHeaders(t, resp, page)
	for _, want := range []string{"✗ Misaligned", "<code>203.0.113.25</code>", `download="hopcheck-report.html" href="data:text/html;base64,`, `<a href="/">`} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %s", want)
		}
	}
	m := regexp.MustCompile(`download="hopcheck-report.json" href="data:application/json;base64,([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no JSON download")
	}
	data, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(m[1], "&#43;", "+"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Verdict struct{ Status, IP string } }
	if err := json.Unmarshal(data, &doc); err != nil || doc.Verdict.Status != "misaligned" || doc.Verdict.IP != "203.0.113.25" {
		t.Errorf("JSON download %+v, %v", doc, err)
	}
}

func TestPostFileWinsAndURLEncoded(t *testing.T) {
	srv := start(t, false)
	body, ctype := form(t, map[string]string{"headers": "not a message"}, demo)
	if resp, page := post(t, srv, body, ctype); resp.StatusCode != 200 || !strings.Contains(page, "<code>message.eml</code>") {
		t.Errorf("upload: status %d", resp.StatusCode)
	}
	resp, page := post(t, srv, strings.NewReader(url.Values{"headers": {string(demo)}}.Encode()), "application/x-www-form-urlencoded")
	if resp.StatusCode != 200 || !strings.Contains(page, "<code>203.0.113.25</code>") {
		t.Errorf("URL-encoded: status %d", resp.StatusCode)
	}
}

// TestTooLarge: over 10 MiB is refused with a page that says so, which the
// client receives whole although it sent more than the server reads.
func TestTooLarge(t *testing.T) {
	srv := start(t, false)
	line := []byte("X-Filler: 0123456789abcdef0123456789abcdef\n")
	big := bytes.Repeat(line, MaxRequestBytes/len(line)+1)
	body, ctype := form(t, map[string]string{"headers": string(demo) + string(big)}, nil)
	resp, page := post(t, srv, body, ctype)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
	checkHeaders(t, resp, page)
	if !strings.Contains(page, "larger than 10 MiB") {
		t.Errorf("page: %s", page)
	}
}

func TestErrors(t *testing.T) {
	srv := start(t, false)
	body, ctype := form(t, map[string]string{"headers": "  \n"}, nil)
	if resp, page := post(t, srv, body, ctype); resp.StatusCode != 400 || !strings.Contains(page, "Nothing to analyse") {
		t.Errorf("empty: %d %s", resp.StatusCode, page)
	}
	if resp, _ := post(t, srv, strings.NewReader("x"), "text/plain"); resp.StatusCode != 400 {
		t.Errorf("text/plain: %d", resp.StatusCode)
	}
	for path, want := range map[string]int{"/nope": 404, "/report": 405} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
		checkHeaders(t, resp, string(page))
	}
	// A form on another site that posts here is refused; this page's own
	// posts say Origin: null, as they send no referrer.
	for _, tc := range []struct {
		origin, site string
		want         int
	}{
		{"https://evil.example", "", http.StatusForbidden},
		{"null", "cross-site", http.StatusForbidden},
		{"http://localhost:3000", "same-site", http.StatusForbidden},
		{"null", "same-origin", http.StatusOK},
		{"null", "", http.StatusOK},
		{srv.URL, "", http.StatusOK},
	} {
		req, _ := http.NewRequest("POST", srv.URL+"/report", strings.NewReader(url.Values{"headers": {string(demo)}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", tc.origin)
		if tc.site != "" {
			req.Header.Set("Sec-Fetch-Site", tc.site)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Origin %s, Sec-Fetch-Site %q: %d, want %d", tc.origin, tc.site, resp.StatusCode, tc.want)
		}
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct {
		server bool
		fields map[string]string
	}{{false, map[string]string{"headers": string(demo), "redact": "on"}}, {true, map[string]string{"headers": string(demo)}}} {
		srv := start(t, tc.server)
		body, ctype := form(t, tc.fields, nil)
		_, page := post(t, srv, body, ctype)
		if strings.Contains(page, "customer@gmail.com") || strings.Contains(page, "20261124101406") || !strings.Contains(page, "redacted@gmail.com") {
			t.Errorf("server redact %v: addresses not redacted", tc.server)
		}
	}
}

// TestLoopbackHostOnly: on loopback, a request for another host name (DNS
// rebinding) is refused.
func TestLoopbackHostOnly(t *testing.T) {
	h := NewServer("127.0.0.1:8026", Config{}).Handler
	for host, want := range map[string]int{"127.0.0.1:8026": 200, "localhost:8026": 200, "[::1]:8026": 200, "rebind.evil.example:8026": http.StatusMisdirectedRequest} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %s: %d, want %d", host, rec.Code, want)
		}
	}
	for addr, want := range map[string]bool{"127.0.0.1:8026": true, "[::1]:8026": true, "localhost:1": true, ":8026": false, "0.0.0.0:8026": false, "192.0.2.1:80": false} {
		if IsLoopback(addr) != want {
			t.Errorf("IsLoopback(%q) = %v", addr, !want)
		}
	}
}

// TestNothingLogged: the server's log sees nothing of what was pasted, and
// no temporary file is written.
func TestNothingLogged(t *testing.T) {
	var logged bytes.Buffer
	old := log.Writer()
	log.SetOutput(&logged)
	defer log.SetOutput(old)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	srv := NewServer("127.0.0.1:0", Config{Version: "test"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	marker := "secret-marker-4f1c"
	payload := append(append([]byte{}, demo...), bytes.Repeat([]byte("X-Note: "+marker+"\n"), 100000)...)
	body, ctype := form(t, map[string]string{"headers": "Subject: " + marker}, payload)
	resp, err := http.Post("http://"+ln.Addr().String()+"/report", ctype, body)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if strings.Contains(logged.String(), marker) {
		t.Errorf("the paste reached the log: %s", logged.String())
	}
	if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
		t.Errorf("temporary files written: %v", entries)
	}
}
