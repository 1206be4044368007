package report

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"hopcheck/analyze"
	"hopcheck/dns"
	"hopcheck/parse"
)

// goldenTime is the time of analysis every golden report shows.
var goldenTime = time.Date(2026, time.November, 25, 12, 0, 0, 0, time.UTC)

// reportSample is a message judged for the golden reports: against zone
// files, or offline when there are none.
type reportSample struct {
	name  string // of the golden files under testdata/report/
	input string
	zones string // a glob of zone files; "" for offline
}

var reportSamples = []reportSample{
	{"demo", "testdata/demo/message.eml", "testdata/demo/world.zone"},
	{"smarthost-chain", "testdata/messages/smarthost-chain.eml", "testdata/zones/*.zone"},
	{"gmail-generic-ptr-ipv6", "testdata/messages/gmail-generic-ptr-ipv6.eml", "testdata/zones/*.zone"},
	{"gmail-aligned", "testdata/messages/gmail-aligned.eml", "testdata/zones/*.zone"},
	{"exchange-online-offline", "testdata/messages/exchange-online-inbound.eml", ""},
	{"bounce-gmail-5.7.25", "testdata/bounces/dsn-gmail-5.7.25.eml", "testdata/zones/*.zone"},
}

// sampleMessage reads and judges a sample as hopcheck analyze does, from
// the repository's root (the test changes into it, so that names in the
// report are the ones a user sees).
func sampleMessage(t *testing.T, s reportSample) *Message {
	t.Helper()
	var opts analyze.Options
	resolver := "offline"
	if s.zones != "" {
		files, err := filepath.Glob(s.zones)
		if err != nil || len(files) == 0 {
			t.Fatalf("zones %s: %v", s.zones, err)
		}
		z, err := dns.LoadZoneFiles(files...)
		if err != nil {
			t.Fatal(err)
		}
		opts.Resolver = z
		resolver = "zone files: " + s.zones
	}
	f, err := os.Open(s.input)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := analyze.Read(context.Background(), f, parse.DefaultLimits, opts)
	if err != nil {
		t.Fatal(err)
	}
	return NewMessage(Source{Name: s.input, Resolver: resolver, Version: "test", Time: goldenTime}, res)
}

// goldenLogs is the log summary of the golden reports: the mixed log,
// judged offline with a fixed clock.
func goldenLogs(t *testing.T) *Logs {
	t.Helper()
	data, err := os.ReadFile("testdata/logs-e2e/mixed.log")
	if err != nil {
		t.Fatal(err)
	}
	src := LogSource{Files: []string{"mixed.log"}, Resolver: "offline", Offline: true,
		Since: time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC), Version: "test", Time: goldenTime}
	return NewLogs(src, logSummary(t, data))
}

// checkGolden compares got with testdata/report/name; with HOPCHECK_UPDATE
// set (make golden) it rewrites the file instead, to be read and judged.
// An HTML page's stylesheet and its hash are left out of the golden: they
// are the same in every page, checked by TestStyleHashMatchesStylesheet
// and the safety checks, and a change of style need not rewrite every page.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	if strings.HasSuffix(name, ".html") {
		got = withoutStylesheet(got)
	}
	path := filepath.Join("testdata/report", name)
	if os.Getenv("HOPCHECK_UPDATE") != "" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (HOPCHECK_UPDATE=1 rewrites it); got:\n%s", path, got)
	}
}

// withoutStylesheet replaces the contents of a page's <style> element and
// the stylesheet's hash with placeholders.
func withoutStylesheet(page []byte) []byte {
	page = bytes.ReplaceAll(page, []byte(StyleHash()), []byte("sha256-STYLESHEET"))
	open, end := bytes.Index(page, []byte("<style>")), bytes.Index(page, []byte("</style>"))
	if open < 0 || end < open {
		return page
	}
	out := append([]byte{}, page[:open+len("<style>")]...)
	out = append(out, "/* report/assets/report.css */"...)
	return append(out, page[end:]...)
}

// TestReportGoldens renders every sample and the log summary as HTML and
// Markdown and compares them with testdata/report/. Each HTML page must
// also pass the safety checks of checkHTMLSafe.
func TestReportGoldens(t *testing.T) {
	t.Chdir("..")
	render := func(t *testing.T, name string, html func(io.Writer) error, md func(io.Writer) error) {
		var h, m bytes.Buffer
		if err := html(&h); err != nil {
			t.Fatal(err)
		}
		if err := md(&m); err != nil {
			t.Fatal(err)
		}
		checkHTMLSafe(t, h.Bytes())
		checkGolden(t, name+".html", h.Bytes())
		checkGolden(t, name+".md", m.Bytes())
	}
	for _, s := range reportSamples {
		t.Run(s.name, func(t *testing.T) {
			m := sampleMessage(t, s)
			render(t, s.name, func(w io.Writer) error { return HTML(w, m, HTMLOptions{}) },
				func(w io.Writer) error { return Markdown(w, m) })
		})
	}
	t.Run("logs", func(t *testing.T) {
		l := goldenLogs(t)
		render(t, "logs-mixed", func(w io.Writer) error { return LogsHTML(w, l, HTMLOptions{}) },
			func(w io.Writer) error { return LogsMarkdown(w, l) })
	})
}

// checkHTMLSafe parses a page as a browser would and checks that nothing
// in it can run or load: no script or other active element, no event
// handler attribute, no URL but a fragment, a same-origin path or a data:
// download; and that the CSP meta element allows exactly the page's one
// style element, by its hash.
func checkHTMLSafe(t *testing.T, page []byte) {
	t.Helper()
	if bytes.Contains(bytes.ToLower(page), []byte("<script")) {
		t.Errorf("a <script in the page")
	}
	z := html.NewTokenizer(bytes.NewReader(page))
	var csp, style string
	var styles int
	inStyle := false
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatal(z.Err())
			}
			break
		}
		tok := z.Token()
		switch tt {
		case html.TextToken:
			if inStyle {
				style += tok.Data
			}
		case html.EndTagToken:
			inStyle = false
		case html.StartTagToken, html.SelfClosingTagToken:
			switch tok.Data {
			case "script", "iframe", "object", "embed", "img", "image", "link", "base", "frame", "use", "foreignobject", "animate", "set":
				t.Errorf("active element <%s> in the page", tok.Data)
			case "style":
				styles++
				inStyle = tt == html.StartTagToken
			}
			for _, a := range tok.Attr {
				key := strings.ToLower(a.Key)
				switch {
				case strings.HasPrefix(key, "on"):
					t.Errorf("event handler %s=%q on <%s>", a.Key, a.Val, tok.Data)
				case key == "style":
					t.Errorf("style attribute on <%s>: the CSP forbids it", tok.Data)
				case key == "href" || key == "src" || key == "action" || key == "formaction" || key == "xlink:href" || key == "srcset":
					if !safeURL(tok.Data, tok.Attr, a.Val) {
						t.Errorf("URL %s=%q on <%s>", a.Key, a.Val, tok.Data)
					}
				case key == "http-equiv" && strings.EqualFold(a.Val, "Content-Security-Policy"):
					for _, b := range tok.Attr {
						if b.Key == "content" {
							csp = b.Val
						}
					}
				}
			}
		}
	}
	if styles != 1 {
		t.Errorf("%d style elements, want 1", styles)
	}
	sum := sha256.Sum256([]byte(style))
	hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	for _, want := range []string{"default-src 'none'", "style-src " + hash + ";", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP meta %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP meta %q allows too much", csp)
	}
}

// safeURL: a fragment, a path on the same origin, or a data: URL that an
// <a download> saves.
func safeURL(tag string, attrs []html.Attribute, v string) bool {
	switch {
	case strings.HasPrefix(v, "#"):
		return true
	case strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//") && !strings.Contains(v, `\`):
		return true
	case strings.HasPrefix(v, "data:") && tag == "a":
		for _, a := range attrs {
			if a.Key == "download" {
				return true
			}
		}
	}
	return false
}

// hostileMessage judges testdata/report/hostile.eml offline: its HELO
// names, reverse names, receiving hosts, subject and Message-ID are HTML,
// SVG, script and Markdown payloads.
func hostileMessage(t *testing.T) *Message {
	t.Helper()
	f, err := os.Open("../testdata/report/hostile.eml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := analyze.Read(context.Background(), f, parse.DefaultLimits, analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return NewMessage(Source{Name: "hostile.eml", Resolver: "offline", Version: "test"}, res)
}

// TestHTMLHostile: every payload of the hostile message is written as
// text, in HTML, in attributes and in the SVG diagram alike, and the page
// passes the safety checks, with the paste page's download links too.
func TestHTMLHostile(t *testing.T) {
	m := hostileMessage(t)
	var b bytes.Buffer
	opts := HTMLOptions{Back: "/", Downloads: []Download{{Label: "JSON", Filename: `r".json`, Type: "application/json", Data: []byte(`{"a":"<script>"}`)}}}
	if err := HTML(&b, m, opts); err != nil {
		t.Fatal(err)
	}
	checkHTMLSafe(t, b.Bytes())
	out := b.String()
	for _, raw := range []string{"<svg/onload", "<img/src", "</style><script>", "</textarea>", "<b id", "]]><svg>"} {
		if strings.Contains(out, raw) {
			t.Errorf("payload %q reached the page unescaped", raw)
		}
	}
	for _, escaped := range []string{
		"&lt;svg/onload=document.title=&#39;pwned&#39;&gt;",             // HELO
		"&lt;img/src=x/onerror=document.title=&#39;pwned&#39;&gt;",      // recorded reverse name
		"]]&gt;&lt;svg/onload=document.title=&#39;pwned&#39;&gt;",       // receiving host
		"&lt;/textarea&gt;&lt;script&gt;document.title=&#39;pwned&#39;", // an unparsed stamp
	} {
		if !strings.Contains(out, escaped) {
			t.Errorf("payload not shown as text: %s", escaped)
		}
	}
	// The diagram's text elements carry the payloads as text too.
	svg := out[strings.Index(out, "<svg class=\"diagram\""):]
	svg = svg[:strings.Index(svg, "</svg>")]
	if !strings.Contains(svg, "HELO &lt;svg/onload=document.title=&#39;pwned&#39;&gt;") {
		t.Errorf("the diagram does not show the hostile HELO as text:\n%s", svg)
	}
	if !regexp.MustCompile(`href="data:application/json;base64,[A-Za-z0-9/=]*(&#43;|[A-Za-z0-9/=])*"`).MatchString(out) {
		t.Errorf("no JSON download link")
	}
}

// TestLogsHTMLHostile: a log line's names and reply are text in the page.
func TestLogsHTMLHostile(t *testing.T) {
	log := "Nov 22 10:16:11 mx1 postfix/smtpd[1303]: NOQUEUE: reject: RCPT from unknown[198.51.100.9]: 550 5.7.1 Client host rejected: cannot find your reverse hostname <script>document.title=1</script>, [198.51.100.9]; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<<svg/onload=alert(1)>>\n"
	l := NewLogs(LogSource{Files: []string{"<img src=x onerror=alert(1)>"}, Offline: true}, logSummary(t, []byte(log)))
	var b bytes.Buffer
	if err := LogsHTML(&b, l, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	checkHTMLSafe(t, b.Bytes())
	if !strings.Contains(b.String(), "&lt;svg/onload=alert(1)&gt;") {
		t.Errorf("the HELO is not shown as text:\n%s", b.String())
	}
}

func TestStyleHashMatchesStylesheet(t *testing.T) {
	sum := sha256.Sum256([]byte(Stylesheet))
	if want := "sha256-" + base64.StdEncoding.EncodeToString(sum[:]); StyleHash() != want || !strings.Contains(ContentSecurityPolicy, "'"+want+"'") {
		t.Fatalf("StyleHash %s, CSP %s, want %s", StyleHash(), ContentSecurityPolicy, want)
	}
}

// TestClip: diagram lines fit their box, wide characters counting two
// columns.
func TestClip(t *testing.T) {
	for in, want := range map[string]string{
		"abcdefgh":   "abcdefgh",
		"abcdefghi":  "abcdefg…",
		"ab\ncd  ef": "ab cd ef",
		"日本語日本語":     "日本語…",
		"abc日本語":     "abc日本…",
		"mail.例え.jp": "mail.例…",
	} {
		if got := clip(in, 8); got != want {
			t.Errorf("clip(%q, 8) = %q, want %q", in, got, want)
		}
	}
}
