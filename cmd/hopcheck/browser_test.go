package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// browser starts Debian's chromium headless for the test, on a fresh
// profile, without the background connections this machine's closed
// network refuses. Without chromium the test is skipped, except in CI
// (CI=true), where make deps installs it and its absence is a failure.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed, and CI must run the browser tests (make deps installs it)")
		}
		t.Skip("chromium is not installed (make deps installs it): skipping the browser test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // tests run as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// within runs f with a deadline, so that a hung browser fails the test.
func within[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// writeReport runs the built command with args and writes its report to
// a file of the test's.
func writeReport(t *testing.T, name string, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	if _, stderr, code := hopcheck(t, nil, append(args, "-o", out)...); code != exitMisaligned {
		t.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
	return out
}

// hostileFacts is what the page shows of the hostile message, read in the
// browser after every event had its chance to run.
type hostileFacts struct {
	Title      string   `json:"title"`
	Scripts    int      `json:"scripts"`
	Injected   bool     `json:"injected"`
	Handlers   []string `json:"handlers"`
	Links      []string `json:"links"`
	Foreign    int      `json:"foreign"`
	Text       string   `json:"text"`
	Diagram    string   `json:"diagram"`
	Styled     bool     `json:"styled"`
	StyleCount int      `json:"styleCount"`
}

const hostileProbe = `(() => {
	const all = [...document.querySelectorAll('*')];
	return {
		title: document.title,
		scripts: document.scripts.length,
		injected: document.getElementById('injected') !== null,
		handlers: all.flatMap(e => [...e.attributes].filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name)),
		links: [...document.querySelectorAll('[href],[src],[action]')].map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action')),
		foreign: document.querySelectorAll('img,iframe,object,embed,b,textarea,foreignObject,image').length,
		text: document.body.textContent,
		diagram: [...document.querySelectorAll('svg.diagram text')].map(t => t.textContent).join('\n'),
		styled: getComputedStyle(document.querySelector('.verdict')).borderLeftWidth === '10px',
		styleCount: document.styleSheets.length,
	};
})()`

// TestBrowserHostileReport (a): a report of headers full of script, event
// handler, javascript: URL, </style>, </textarea> and SVG payloads runs
// nothing in a real browser and shows every payload as text. The page is
// first loaded with its CSP bypassed, so that the escaping is what is
// tested, then with it, to see that the policy lets the stylesheet apply.
func TestBrowserHostileReport(t *testing.T) {
	ctx := browser(t)
	file := writeReport(t, "hostile.html", "analyze", "--offline", "testdata/report/hostile.eml", "--format", "html")
	if _, err := chromedp.Call(ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate("file://"+file), chromedp.Sleep(500*time.Millisecond))
	f := within(t, ctx, chromedp.Evaluate[hostileFacts](hostileProbe))
	if strings.Contains(f.Title, "pwned") || f.Title != "hopcheck: Misaligned, hop 3 198.51.100.7" {
		t.Errorf("title %q: a payload ran", f.Title)
	}
	if f.Scripts != 0 || f.Injected || len(f.Handlers) > 0 || f.Foreign > 0 || len(f.Links) > 0 {
		t.Errorf("payloads became markup: %d scripts, injected %v, handlers %v, foreign elements %d, links %v", f.Scripts, f.Injected, f.Handlers, f.Foreign, f.Links)
	}
	for _, text := range []string{
		"<svg/onload=document.title='pwned'>",
		"<img/src=x/onerror=document.title='pwned'>",
		"]]><svg><script>document.title='pwned'</script>",
		"</textarea><script>document.title='pwned'</script><b id=injected>x</b>",
		"javascript:document.title='pwned'",
		"4Zk</style><script>document.title='pwned'</script>",
	} {
		if !strings.Contains(f.Text, text) {
			t.Errorf("not shown as text: %s", text)
		}
	}
	if !strings.Contains(f.Diagram, "HELO <svg/onload=document.title='pwned'>") {
		t.Errorf("the diagram does not show the HELO as text:\n%s", f.Diagram)
	}

	if _, err := chromedp.Call(ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: false}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate("file://"+file+"?csp"))
	f = within(t, ctx, chromedp.Evaluate[hostileFacts](hostileProbe))
	if !f.Styled {
		t.Errorf("the stylesheet did not apply under the page's own CSP: its hash does not match")
	}
}

// TestBrowserServe (b): in the browser, the paste page takes a sample,
// and the answer shows the verdict and the culprit's address.
func TestBrowserServe(t *testing.T) {
	ctx := browser(t)
	url := startServe(t, "--zone", "testdata/demo/world.zone")
	demo, err := os.ReadFile("../../testdata/demo/message.eml")
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(url), chromedp.SetValue(chromedp.ID("headers"), string(demo)))
	ctx2, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx2, chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 {
		t.Fatalf("status %d", resp.Status)
	}
	label := within(t, ctx, chromedp.Text(chromedp.CSS(".verdict .label")))
	where := within(t, ctx, chromedp.Text(chromedp.CSS(".verdict .where")))
	if !strings.Contains(label, "Misaligned") || !strings.Contains(where, "203.0.113.25") {
		t.Errorf("verdict %q, %q", label, where)
	}
	links := within(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('a[download]')].map(a => a.download + ' ' + a.href.slice(0, 30))`))
	if len(links) != 2 || !strings.HasPrefix(links[1], "hopcheck-report.json data:application/json;base64,") {
		t.Errorf("downloads %q", links)
	}
}

// TestBrowserScreenshots (c): screenshots of the demo's report and of the
// log summary, on screen and as printed on A4, and PDFs on A4 and Letter,
// written to $HOPCHECK_ARTIFACTS (else the test's directory) for a person
// to look at.
func TestBrowserScreenshots(t *testing.T) {
	ctx := browser(t)
	dir := os.Getenv("HOPCHECK_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	reports := map[string]string{
		"demo-report": writeReport(t, "demo.html", "analyze", "--zone", "testdata/demo/world.zone", "testdata/demo/message.eml", "--format", "html"),
		"logs-report": writeReport(t, "logs.html", "logs", "--offline", "testdata/logs-e2e/mixed.log", "--format", "html"),
	}
	for name, file := range reports {
		for _, media := range []struct {
			suffix string
			media  string
			width  int64
		}{{"", "", 1000}, {"-print-a4", "print", 703}} { // A4's width within the print margins
			if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media.media}); err != nil {
				t.Fatal(err)
			}
			do(t, ctx, chromedp.EmulateViewport(media.width, 900), chromedp.Navigate("file://"+file))
			shot := within(t, ctx, chromedp.FullScreenshot(100))
			img, err := png.Decode(bytes.NewReader(shot))
			if err != nil {
				t.Fatalf("%s: not a PNG: %v", name, err)
			}
			if b := img.Bounds(); b.Dx() != int(media.width) || b.Dy() < 600 {
				t.Errorf("%s%s: a %v screenshot", name, media.suffix, b)
			}
			path := filepath.Join(dir, name+media.suffix+".png")
			if err := os.WriteFile(path, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", path)
		}
		for paper, size := range map[string][2]float64{"a4": {8.27, 11.69}, "letter": {8.5, 11}} {
			pdf := within(t, ctx, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
				res, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: size[0], PaperHeight: size[1], PrintBackground: new(true)})
				return res.Data, err
			})
			if !bytes.HasPrefix(pdf, []byte("%PDF")) {
				t.Errorf("%s %s: not a PDF", name, paper)
			}
			path := filepath.Join(dir, name+"-"+paper+".pdf")
			if err := os.WriteFile(path, pdf, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("PDF: %s", path)
		}
	}
}
