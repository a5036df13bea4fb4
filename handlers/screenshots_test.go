//go:build screenshots

// Screenshots for design review, not a check: go test -tags screenshots -run Screenshots ./handlers/
// with SOUK_SCREENSHOTS=/tmp/shots and TEST_CHROMIUM=/usr/bin/chromium.

package handlers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/soukexpo/souk/models"
)

// TestScreenshotsForReview is a tool, not a check: with SOUK_SCREENSHOTS=/some/dir (and
// TEST_CHROMIUM) it writes full-page PNGs of the main pages in French and Arabic, on a phone
// and a laptop, for a human to review the design.
func TestScreenshotsForReview(t *testing.T) {
	dir := os.Getenv("SOUK_SCREENSHOTS")
	if dir == "" {
		t.Skip("screenshot tool, not a check: set SOUK_SCREENSHOTS=/tmp/shots (and TEST_CHROMIUM) to write review PNGs")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	browser := newBrowser(t) // skips (or fails under SOUK_REQUIRE_SERVICES=1) without TEST_CHROMIUM
	live := startLiveApp(t)
	ctx, cancel := context.WithTimeout(browser, 5*time.Minute)
	defer cancel()

	if _, err := models.SeedDemoFair(context.Background(), live.db); err != nil {
		t.Fatalf("seed demo fair: %v", err)
	}
	demo, err := models.GetPublicFair(context.Background(), live.db, "demo-bruxelles-2027")
	if err != nil {
		t.Fatal(err)
	}
	adminFair := fmt.Sprintf("/admin/fairs/%d", demo.ID)
	var bennani models.Artisan
	if err := live.db.Where("slug = ?", "atelier-bennani-zellige").Take(&bennani).Error; err != nil {
		t.Fatal(err)
	}
	piece := models.Product{ArtisanID: bennani.ID, Status: models.ProductPublished, TitleFR: "Panneau de fontaine en zellige",
		TitleAR: "لوحة نافورة من الزليج", TitleEN: "Zellige fountain panel", CraftCode: "zellige", PriceCents: 45000, Stock: 10,
		PickupAtFair: true, Ships: true}
	if err := live.db.Create(&piece).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := models.SeedDemoOrders(context.Background(), live.db); err != nil {
		t.Fatalf("seed demo orders: %v", err)
	}
	// The pending card order, left on the Stripe page 5 minutes ago: its page offers to resume.
	if err := live.db.Model(&models.Order{}).Where("code = ?", "SX-DEMO4W").Updates(map[string]any{
		"checkout_session_id": "cs_demo_resume", "checkout_expires_at": time.Now().UTC().Add(25 * time.Minute)}).Error; err != nil {
		t.Fatal(err)
	}
	pendingOrder := live.h.orderLink(context.Background(), "SX-DEMO4W", true)
	// The cart's add box works with or without a session yet; wait for the cart itself, not
	// a footer the page being left still shows.
	addToCart := []chromedp.Action[chromedp.Void]{
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('.cart-lines').forEach(e => e.setAttribute('data-stale', ''))`),
		chromedp.Click(chromedp.CSS(`.cart-add-box button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.cart-lines:not([data-stale])`)),
		pageLoaded,
	}

	anon, cancelAnon := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelAnon()
	org, cancelOrg := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelOrg()
	step(t, org, "organizer logs in",
		chromedp.Navigate(live.url+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "organizer@souk.test"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), models.DefaultDemoPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-success`)),
	)
	art, cancelArt := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelArt()
	step(t, art, "artisan logs in",
		chromedp.Navigate(live.url+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "artisan@souk.test"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), models.DefaultDemoPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-success`)),
	)
	cha, cancelCha := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelCha()
	step(t, cha, "chamber agent logs in",
		chromedp.Navigate(live.url+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "chamber@souk.test"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), models.DefaultDemoPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-success`)),
	)

	type shot struct {
		name, path string
		tab        context.Context
		before     []chromedp.Action[chromedp.Void] // after loading, before the capture
		viewport   bool                             // only the viewport, not the full page
	}
	badSignup := []chromedp.Action[chromedp.Void]{
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Amina Tetouani"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "amina@"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "abcde"),
		chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
	}
	focusField := []chromedp.Action[chromedp.Void]{chromedp.Focus(chromedp.CSS(`#f-email`))}
	openMenu := []chromedp.Action[chromedp.Void]{
		chromedp.Click(chromedp.CSS(`[data-nav-toggle]`)),
		chromedp.WaitVisible(chromedp.CSS(`#souk-nav a[href="/signup"]`)),
	}
	shots := []shot{
		{name: "home", path: "/", tab: anon},
		{name: "products", path: "/products", tab: anon},
		{name: "products-filtered", path: "/products?craft=zellige&q=table", tab: anon},
		{name: "fairs", path: "/fairs", tab: anon},
		{name: "fair-demo", path: "/fairs/demo-bruxelles-2027", tab: anon},
		{name: "fair-past", path: "/fairs/paris-2026", tab: anon},
		{name: "signup", path: "/signup", tab: anon},
		{name: "signup-errors", path: "/signup", tab: anon, before: badSignup},
		{name: "login", path: "/login", tab: anon, before: focusField, viewport: true},
		{name: "404", path: "/no-such-page", tab: anon},
		{name: "account", path: "/account", tab: org},
		{name: "admin", path: "/admin", tab: org},
		{name: "admin-chamber-agents", path: "/admin/chamber-agents", tab: org},
		// Fairs, plans, applications, allocation (issue 4).
		{name: "plan-visitor", path: "/fairs/demo-bruxelles-2027/plan", tab: anon},
		{name: "plan-organizer", path: "/fairs/demo-bruxelles-2027/plan", tab: org},
		{name: "stand", path: "/fairs/demo-bruxelles-2027/stands/B2", tab: anon},
		{name: "admin-fairs", path: "/admin/fairs", tab: org},
		{name: "admin-fair", path: adminFair, tab: org},
		{name: "admin-applications", path: adminFair + "/applications", tab: org},
		{name: "admin-allocation", path: adminFair + "/allocation?stand=B3", tab: org},
		{name: "admin-waitlist", path: adminFair + "/waitlist", tab: org},
		{name: "admin-outbox", path: "/admin/outbox", tab: org},
		{name: "studio-applications", path: "/studio/applications", tab: art},
		{name: "chamber-applications", path: "/chamber/applications", tab: cha},
		// Orders (issue 5).
		{name: "cart", path: fmt.Sprintf("/cart?add=%d", piece.ID), tab: anon, before: addToCart},
		{name: "checkout", path: "/checkout", tab: anon},
		{name: "order-pending-card", path: pendingOrder, tab: anon},
		{name: "studio-home", path: "/studio", tab: art},
		{name: "studio-orders", path: "/studio/orders", tab: art},
		{name: "studio-packing", path: fmt.Sprintf("/studio/orders/packing?fair=%d", demo.ID), tab: art},
		{name: "studio-pickup", path: "/studio/pickup", tab: art},
		{name: "studio-stand-sales", path: "/studio/stand-sales", tab: art},
		{name: "admin-orders", path: "/admin/orders", tab: org},
		{name: "admin-order", path: "/admin/orders/SX-DEMO2P", tab: org},
		{name: "admin-settlement", path: adminFair + "/settlement", tab: org},
		{name: "admin-shipping", path: "/admin/shipping", tab: org},
	}
	if only := os.Getenv("SOUK_SCREENSHOTS_ONLY"); only != "" {
		var kept []shot
		for _, s := range shots {
			for _, want := range strings.Split(only, ",") {
				if want != "" && strings.Contains(s.name, want) {
					kept = append(kept, s)
					break
				}
			}
		}
		shots = kept
	}
	devices := []struct {
		name          string
		width, height int64
		mobile        bool
	}{
		{"phone", 390, 844, true},
		{"laptop", 1366, 900, false},
	}
	written := 0
	save := func(name string, png []byte) {
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		written++
	}
	for _, lang := range []string{"fr", "ar"} {
		for _, dev := range devices {
			step(t, anon, "viewport", emulate(dev.width, dev.height, dev.mobile))
			step(t, org, "viewport", emulate(dev.width, dev.height, dev.mobile))
			step(t, art, "viewport", emulate(dev.width, dev.height, dev.mobile))
			step(t, cha, "viewport", emulate(dev.width, dev.height, dev.mobile))
			for _, s := range shots {
				sep := "?"
				if strings.Contains(s.path, "?") {
					sep = "&"
				}
				what := fmt.Sprintf("%s-%s-%s", lang, dev.name, s.name)
				steps := append([]chromedp.Action[chromedp.Void]{
					chromedp.Navigate(live.url + s.path + sep + "lang=" + lang),
					chromedp.WaitVisible(chromedp.CSS(`footer`)),
				}, s.before...)
				step(t, s.tab, what, steps...)
				if !s.viewport {
					// Grow the viewport to the page (Chromium's capture beyond the viewport
					// shifts right-to-left pages), capture, then restore it.
					h := get(t, s.tab, what, chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
					step(t, s.tab, what, emulate(dev.width, max(h, dev.height), dev.mobile))
				}
				save(what, get(t, s.tab, what, chromedp.CaptureScreenshot()))
				step(t, s.tab, what, emulate(dev.width, dev.height, dev.mobile))
			}
			if dev.mobile {
				what := lang + "-phone-menu"
				step(t, anon, what, append([]chromedp.Action[chromedp.Void]{
					chromedp.Navigate(live.url + "/?lang=" + lang),
					chromedp.WaitVisible(chromedp.CSS(`footer`)),
				}, openMenu...)...)
				save(what, get(t, anon, what, chromedp.CaptureScreenshot()))
			}
		}
	}
	t.Logf("wrote %d screenshots to %s", written, dir)
}

// emulate sets the viewport of a phone (mobile, portrait) or of a laptop.
func emulate(width, height int64, mobile bool) chromedp.Action[chromedp.Void] {
	if mobile {
		return chromedp.EmulateViewport(width, height, chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateTouch)
	}
	return chromedp.EmulateViewport(width, height)
}
