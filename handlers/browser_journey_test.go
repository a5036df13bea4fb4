package handlers

// Helpers shared by the browser journeys: a tab per person, their login, the flash a step
// waits for, and review screenshots.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// journeyTab opens a tab in a browser context of its own (its own cookies: one person).
func journeyTab(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	tab, cancelTab := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelTab)
	// Open the tab now: a target lives as long as the context of its first run, and the
	// steps run under shorter contexts of their own.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open a browser context: %v", err)
	}
	// A visitor who asked for reduced motion: Bootstrap scrolls smoothly otherwise, and a
	// click aimed at a button while the page still glides lands beside it.
	if _, err := chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
	}); err != nil {
		t.Fatalf("emulate reduced motion: %v", err)
	}
	return tab
}

// journeyLogin signs in through the French login form and waits for the welcome flash.
func journeyLogin(t *testing.T, tab context.Context, base, who, email, password string) {
	t.Helper()
	fairStep(t, tab, who+" logs in",
		chromedp.Navigate(base+"/login?lang=fr"),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-success`)),
	)
}

// waitFlash waits for the flash of that kind (success, info, error) on the next page and
// checks that its text contains want.
func waitFlash(t *testing.T, tab context.Context, name, kind, want string) {
	t.Helper()
	sel := chromedp.CSS(`.flash-` + kind + `:not([data-stale])`)
	fairStep(t, tab, name+": flash", chromedp.WaitVisible(sel), pageLoaded)
	if got := fairGet(t, tab, name+": flash text", chromedp.Text(sel)); !strings.Contains(got, want) {
		t.Fatalf("%s: flash %q, want %q", name, got, want)
	}
}

// journeyShot writes the whole page at that width to SOUK_SCREENSHOTS_DIR/file.png when the
// variable is set (for review; the journeys check nothing with it), then restores 1280 × 900.
func journeyShot(t *testing.T, tab context.Context, file string, width int64) {
	t.Helper()
	dir := os.Getenv("SOUK_SCREENSHOTS_DIR")
	if dir == "" {
		return
	}
	fairStep(t, tab, file+": set the width", chromedp.EmulateViewport(width, 900))
	h := fairGet(t, tab, file+": page height", chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
	fairStep(t, tab, file+": grow the viewport", chromedp.EmulateViewport(width, max(h, 900)))
	png := fairGet(t, tab, file+": screenshot", chromedp.CaptureScreenshot())
	fairStep(t, tab, file+": restore the viewport", chromedp.EmulateViewport(1280, 900))
	if err := os.WriteFile(filepath.Join(dir, file+".png"), png, 0o644); err != nil {
		t.Errorf("write screenshot %s: %v", file, err)
	}
}
