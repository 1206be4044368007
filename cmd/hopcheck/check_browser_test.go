package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestCheckReportFormats: check writes HTML and Markdown, redacted when
// asked, with the exit code of the audit.
func TestCheckReportFormats(t *testing.T) {
	srv := checkWorld(t)
	for _, format := range []string{"html", "markdown"} {
		out, stderr, code := hopcheck(t, nil, "check", "192.0.2.20", "192.0.2.10", "--helo", "mail.example.test", "--resolver", srv.Addr, "--format", format, "--redact")
		if code != exitMisaligned || !strings.Contains(out, "2 targets") || !strings.Contains(out, "no-ptr") {
			t.Errorf("%s: exit %d: %s\n%s", format, code, stderr, out)
		}
	}
}

// TestBrowserCheckScreenshots: the inventory's report in chromium, on
// screen and as printed on A4, under its own CSP, written to
// $HOPCHECK_ARTIFACTS (else the test's directory) for a person to look at.
func TestBrowserCheckScreenshots(t *testing.T) {
	ctx := browser(t)
	srv := checkWorld(t)
	dir := os.Getenv("HOPCHECK_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := writeReport(t, "check.html", "check", "--file", "testdata/check/inventory.txt", "--resolver", srv.Addr, "--format", "html")
	for _, media := range []struct {
		suffix, media string
		width         int64
	}{{"", "", 1000}, {"-print-a4", "print", 703}} { // A4's width within the print margins
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media.media}); err != nil {
			t.Fatal(err)
		}
		do(t, ctx, chromedp.EmulateViewport(media.width, 900), chromedp.Navigate("file://"+file))
		f := within(t, ctx, chromedp.Evaluate[struct {
			Styled bool `json:"styled"`
			Cards  int  `json:"cards"`
			Rows   int  `json:"rows"`
			Wide   bool `json:"wide"`
		}](`({
			styled: getComputedStyle(document.querySelector('.verdict')).borderLeftWidth === '10px',
			cards: document.querySelectorAll('article[id^="t-"]').length,
			rows: document.querySelectorAll('tbody tr').length,
			wide: document.documentElement.scrollWidth > window.innerWidth,
		})`))
		if !f.Styled || f.Cards != 52 || f.Rows < 52 || f.Wide {
			t.Errorf("%s: styled %v, %d cards, %d rows, wider than the page %v", media.suffix, f.Styled, f.Cards, f.Rows, f.Wide)
		}
		shot := within(t, ctx, chromedp.FullScreenshot(100))
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatalf("not a PNG: %v", err)
		}
		if b := img.Bounds(); b.Dx() != int(media.width) || b.Dy() < 2000 {
			t.Errorf("a %v screenshot", b)
		}
		path := filepath.Join(dir, "check-report"+media.suffix+".png")
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
}
