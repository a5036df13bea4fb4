package handlers

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"github.com/soukexpo/souk/storage"
)

// liveApp is the real portal listening on a loopback port, with the demo data seeded.
type liveApp struct {
	*testApp
	url string
}

// startLiveApp serves a seeded portal on 127.0.0.1:0 until the test ends, its photos in store
// when one is given (a temporary folder store otherwise).
func startLiveApp(t *testing.T, store ...storage.Store) *liveApp {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	base := "http://" + ln.Addr().String()
	a := newTestApp(t, nil, Config{BaseURL: base})
	if len(store) > 0 {
		a.h.store = store[0] // handlers read the store per request; nothing was served yet
	}
	if _, err := models.Seed(context.Background(), a.db, models.SeedOptions{}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- a.app.Listener(ln) }()
	t.Cleanup(func() {
		if err := a.app.ShutdownWithTimeout(5 * time.Second); err != nil {
			t.Errorf("shut down app: %v", err)
		}
		_ = ln.Close() // in case Shutdown ran before the server took the listener
		select {
		case err := <-served:
			if err != nil && !errors.Is(err, net.ErrClosed) {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("server did not stop within 5 s")
		}
	})
	// Wait until the server answers, so the browser never races its start.
	for deadline := time.Now().Add(5 * time.Second); ; {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server at %s not ready: %v", base, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &liveApp{testApp: a, url: base}
}

// tr is the text the page shows for message id in lang, so checks follow the catalogs.
func (l *liveApp) tr(lang, id string) string { return l.h.tr.localize(lang, id, nil, nil) }

// newBrowser starts headless Chromium (from TEST_CHROMIUM) for the test and returns a
// context for its first tab; the browser is closed when the test ends.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	chromium := dbtest.RequireEnv(t, "TEST_CHROMIUM")[0]
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		// Bootstrap scrolls smoothly: a click measured mid-scroll lands beside its target.
		chromedp.Flag("force-prefers-reduced-motion", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// A French-speaking visitor: Accept-Language picks the portal's language on a first visit.
		chromedp.Flag("lang", "fr-FR"),
		chromedp.Flag("accept-lang", "fr-FR,fr"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc() // waits for Chromium to exit before the temp profile is removed
	})
	if err := chromedp.Do(ctx); err != nil { // launch now, so a broken Chromium fails here
		t.Fatalf("start chromium %s: %v", chromium, err)
	}
	return ctx
}

// step runs browser actions and fails the test with the step's name and the current URL.
func step(t *testing.T, ctx context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("%s (at %s): %v", name, loc, err)
	}
}

// get runs one browser action that returns a value, failing the test with the step's name.
func get[T any](t *testing.T, ctx context.Context, name string, action chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("%s (at %s): %v", name, loc, err)
	}
	return v
}

// TestBrowserJourney drives headless Chromium through the public journey: language switch to
// Arabic and back, sign-up, log-out, log-in with a demo account, and a sign-up that fails
// validation keeping what was typed.
func TestBrowserJourney(t *testing.T) {
	browser := newBrowser(t) // skips (or fails under SOUK_REQUIRE_SERVICES=1) without TEST_CHROMIUM
	live := startLiveApp(t)
	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()
	u := func(path string) string { return live.url + path }
	navCatalog := chromedp.Text(chromedp.CSS(`#souk-nav a[href="/products"]`))

	// Home in French (the visitor's Accept-Language), then Arabic, then back.
	step(t, ctx, "open home",
		chromedp.Navigate(u("/")),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="fr"][dir="ltr"] .souk-hero`)),
	)
	step(t, ctx, "switch to Arabic",
		chromedp.Click(chromedp.CSS(`.lang-switch a[hreflang="ar"]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="ar"][dir="rtl"] .souk-hero`)),
	)
	if got, want := get(t, ctx, "Arabic nav", navCatalog), live.tr("ar", "NavCatalog"); strings.TrimSpace(got) != want {
		t.Errorf("Arabic nav: got %q, want %q", got, want)
	}
	step(t, ctx, "switch back to French",
		chromedp.Click(chromedp.CSS(`.lang-switch a[hreflang="fr"]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="fr"][dir="ltr"] .souk-hero`)),
	)
	if got, want := get(t, ctx, "French nav", navCatalog), live.tr("fr", "NavCatalog"); strings.TrimSpace(got) != want {
		t.Errorf("French nav: got %q, want %q", got, want)
	}

	// Sign up as a visitor: lands on the account page with the welcome flash and the e-mail.
	const email = "nadia.browser@example.be"
	step(t, ctx, "sign up",
		chromedp.Navigate(u("/signup")),
		chromedp.WaitVisible(chromedp.CSS(`#f-name`)),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Nadia El Amrani"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), testPassword),
		chromedp.Click(chromedp.CSS(`#role-visitor`)),
		chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-success`)),
	)
	if loc := get(t, ctx, "location", chromedp.Location()); loc != u("/account") {
		t.Errorf("after sign-up: at %s, want /account", loc)
	}
	if got, want := get(t, ctx, "flash", chromedp.Text(chromedp.CSS(`.flash-success`))), live.tr("fr", "FlashWelcome"); !strings.Contains(got, want) {
		t.Errorf("sign-up flash: got %q, want %q", got, want)
	}
	if got := get(t, ctx, "account", chromedp.Text(chromedp.CSS(`#main`))); !strings.Contains(got, email) {
		t.Errorf("account page does not show %s: %.300q", email, got)
	}

	// Log out with the header button: back home, signed out.
	step(t, ctx, "log out",
		chromedp.Click(chromedp.CSS(`.souk-header form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.souk-hero`)),
		chromedp.WaitVisible(chromedp.CSS(`#souk-nav a[href="/login"]`)),
	)
	if loc := get(t, ctx, "location", chromedp.Location()); loc != u("/") && !strings.HasPrefix(loc, u("/?")) {
		t.Errorf("after log-out: at %s, want home", loc)
	}

	// Log in with the demo artisan: the account shows the role.
	step(t, ctx, "log in",
		chromedp.Navigate(u("/login")),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "artisan@souk.test"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), models.DefaultDemoPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-success`)),
	)
	if loc := get(t, ctx, "location", chromedp.Location()); loc != u("/account") {
		t.Errorf("after log-in: at %s, want /account", loc)
	}
	acct := get(t, ctx, "account", chromedp.Text(chromedp.CSS(`#main`)))
	if want := live.tr("fr", "Role_artisan"); !strings.Contains(acct, want) || !strings.Contains(acct, "artisan@souk.test") {
		t.Errorf("account page of the demo artisan lacks role %q or e-mail: %.400q", want, acct)
	}

	// A fresh browser context (no cookies): a too-short password is refused next to the field,
	// listed in the summary, and the typed name is kept.
	fresh, cancelFresh := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelFresh()
	step(t, fresh, "sign up with a short password",
		chromedp.Navigate(u("/signup")),
		chromedp.WaitVisible(chromedp.CSS(`#f-name`)),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Amina Tetouani"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "amina.browser@example.be"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "abcde"),
		chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#e-password`)),
	)
	want := live.tr("fr", "PasswordTooShort")
	if got := get(t, fresh, "field error", chromedp.Text(chromedp.CSS(`#e-password`))); !strings.Contains(got, want) {
		t.Errorf("field error: got %q, want %q", got, want)
	}
	if got := get(t, fresh, "summary", chromedp.Text(chromedp.CSS(`.error-summary`))); !strings.Contains(got, want) {
		t.Errorf("error summary: got %q, want it to list %q", got, want)
	}
	if got := get(t, fresh, "typed name", chromedp.Value(chromedp.CSS(`#f-name`))); got != "Amina Tetouani" {
		t.Errorf("typed name not kept: %q", got)
	}
}
