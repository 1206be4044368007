package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"golang.org/x/net/html"
)

func TestCodeSpan(t *testing.T) {
	for _, tc := range []struct{ in, code, cell string }{
		{"mail.example.test", "`mail.example.test`", "`mail.example.test`"},
		{"a`b", "``a`b``", "``a`b``"},
		{"`x", "`` `x ``", "`` `x ``"},
		{"x``", "``` x`` ```", "``` x`` ```"},
		{" padded ", "`  padded  `", "`  padded  `"},
		{"a|b", "`a|b`", "`a\\|b`"},
		{"two\nlines\r\n", "`two lines  `", "`two lines  `"},
		{"", "–", "–"},
	} {
		if got := code(tc.in); got != tc.code {
			t.Errorf("code(%q) = %q, want %q", tc.in, got, tc.code)
		}
		if got := cellCode(tc.in); got != tc.cell {
			t.Errorf("cellCode(%q) = %q, want %q", tc.in, got, tc.cell)
		}
	}
}

func TestMDText(t *testing.T) {
	for in, want := range map[string]string{
		"the PTR of 192.0.2.1 is mail.example.test": "the PTR of 192.0.2.1 is mail.example.test",
		"[x](javascript:alert(1))":                  `\[x\](javascript\:alert(1))`,
		"![i](http://e.example/i.png)":              `\!\[i\](http\://e.example/i.png)`,
		"<b>www.evil.example</b> @team #1":          `\<b\>www\.evil.example\</b\> \@team \#1`,
		"*a* _b_ ~c~ `d` $e$ a|b &amp;":             `\*a\* \_b\_ \~c\~ \` + "`" + `d\` + "`" + ` \$e\$ a\|b \&amp;`,
	} {
		if got := mdText(in); got != want {
			t.Errorf("mdText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := mdPara("- item"); got != `\- item` {
		t.Errorf("mdPara: %q", got)
	}
}

// gfm renders Markdown as GitHub does: tables, autolinks of www., URLs and
// addresses, and raw HTML passed through (GitHub then filters it, but a
// ticket system may not).
func gfm(t *testing.T, md []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe())).Convert(md, &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// markdownElements are the only elements a Markdown report may come to.
var markdownElements = map[string]bool{"h1": true, "h2": true, "h3": true, "p": true, "ul": true, "li": true, "strong": true,
	"code": true, "pre": true, "table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true,
	"details": true, "summary": true, "hr": true, "br": true}

// checkMarkdownInert renders a Markdown report and checks that nothing a
// header said became a link, an image or HTML: only the report's own
// elements are there.
func checkMarkdownInert(t *testing.T, md []byte) string {
	t.Helper()
	out := gfm(t, md)
	z := html.NewTokenizer(strings.NewReader(out))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if !markdownElements[tok.Data] {
			t.Errorf("element <%s> %v in the rendered Markdown", tok.Data, tok.Attr)
		}
		for _, a := range tok.Attr {
			if a.Key != "style" && a.Key != "class" {
				t.Errorf("attribute %s=%q on <%s>", a.Key, a.Val, tok.Data)
			}
		}
	}
	return out
}

// TestMarkdownHostile: the hostile message's payloads (HTML, SVG, script,
// Markdown links and images, autolinks, mentions, backticks and pipes)
// stay text, in the table as in the prose.
func TestMarkdownHostile(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, hostileMessage(t)); err != nil {
		t.Fatal(err)
	}
	out := checkMarkdownInert(t, b.Bytes())
	for _, text := range []string{"&lt;svg/onload=document.title='pwned'&gt;", "![x](http://evil.example/x.png)", "www.evil.example @everyone", "`SMTP|x`"} {
		if !strings.Contains(html.UnescapeString(out), html.UnescapeString(text)) {
			t.Errorf("%q is not shown as text:\n%s", text, out)
		}
	}
	// Every row of the path table has its nine cells: no pipe of a header
	// split one.
	for _, row := range strings.Split(out, "<tr>")[1:] {
		if n := strings.Count(row, "<td") + strings.Count(row, "<th"); n != 9 {
			t.Errorf("a row of %d cells: %s", n, row)
		}
	}
}

func TestLogsMarkdownHostile(t *testing.T) {
	log := "Nov 22 10:16:11 mx1 postfix/smtpd[1303]: NOQUEUE: reject: RCPT from unknown[198.51.100.9]: 550 5.7.1 Client host rejected: cannot find your reverse hostname [x](http://evil.example) <img src=x>, [198.51.100.9]; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<www.evil.example|`x`>\n"
	var b bytes.Buffer
	if err := LogsMarkdown(&b, NewLogs(LogSource{Files: []string{"[f](http://e.example)"}, Offline: true}, logSummary(t, []byte(log)))); err != nil {
		t.Fatal(err)
	}
	out := checkMarkdownInert(t, b.Bytes())
	if !strings.Contains(out, "www.evil.example|`x`") {
		t.Errorf("the HELO is not shown as text:\n%s", out)
	}
}
