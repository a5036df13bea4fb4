//go:build screenshots

package handlers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/soukexpo/souk/models"
	"gorm.io/gorm"
)

// TestApplicationScreenshots is a tool, not a check: with SOUK_APPL_SHOTS=/some/dir (and
// TEST_CHROMIUM) it writes PNGs of the application pages in French and Arabic, on a phone and a
// laptop, for a human to review the design.
func TestApplicationScreenshots(t *testing.T) {
	dir := os.Getenv("SOUK_APPL_SHOTS")
	if dir == "" {
		t.Skip("screenshot tool, not a check: set SOUK_APPL_SHOTS=/tmp/shots (and TEST_CHROMIUM) to write review PNGs")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	browser := newBrowser(t)
	ctx := context.Background()
	// By default a seeded portal of the test (products without photo files); with
	// SOUK_APPL_SHOTS_URL and SOUK_APPL_SHOTS_DB, a portal started by `souk seed && souk` on that
	// SQLite file, to see the real demo photos.
	var (
		db      *gorm.DB
		baseURL string
	)
	if u, file := os.Getenv("SOUK_APPL_SHOTS_URL"), os.Getenv("SOUK_APPL_SHOTS_DB"); u != "" && file != "" {
		var err error
		if db, err = models.Open(ctx, models.DBConfig{SQLitePath: file}); err != nil {
			t.Fatal(err)
		}
		baseURL = u
	} else {
		live := startLiveApp(t)
		db, baseURL = live.db, live.url
		if _, err := models.SeedDemoFair(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	live := struct{ url string }{baseURL}
	// A second open call, so the demo artisans see the form; two more FM applicants to rank;
	// the first waitlisted artisan is offered a place.
	paris := openApplFair(t, db, "paris-2027-demo")
	db.Model(&paris).Updates(map[string]any{"name": "Souk Expo Paris 2027 (démonstration)", "city": "Paris", "country": "FR", "venue": "Paris Expo"})
	f := newFixtures(t, db)
	for i, name := range []string{"Dinanderie Fassia", "Babouches de Meknès"} {
		x := newApplArtisan(t, f, name, "FM", models.ArtisanVerified)
		var demo models.Fair
		db.Where("slug = ?", "demo-bruxelles-2027").Take(&demo)
		if _, err := models.Apply(ctx, db, x.UserID, demo.ID, models.ApplicationInput{PreferredKind: "standard", PreferredSizeM2: 6,
			Motivation: "Plateaux et lanternes en cuivre ciselé, démonstration de ciselure sur le stand pendant les trois jours.",
			ProductIDs: []int64{x.published.ID}, NeedsChamberFunding: i == 0}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	db.Model(&models.Application{}).Where("status = ? AND waitlist_position = 1", models.AppWaitlisted).
		Updates(map[string]any{"status": models.AppOffered, "offer_expires_at": time.Now().Add(60 * time.Hour)})
	appOf := func(email string) string {
		var id int64
		db.Table("applications a").Select("a.id").Joins("JOIN artisans ar ON ar.id = a.artisan_id").
			Joins("JOIN users u ON u.id = ar.user_id").Where("u.email = ?", email).Order("a.id").Limit(1).Scan(&id)
		return applicationPath(id)
	}
	var ranked int64
	db.Table("applications a").Select("a.id").Joins("JOIN artisans ar ON ar.id = a.artisan_id").
		Where("ar.region_code = 'FM' AND a.status = 'submitted'").Limit(1).Scan(&ranked)

	tab := func(email string) context.Context {
		c, _ := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		step(t, c, "log in "+email, chromedp.Navigate(live.url+"/login"), chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
			chromedp.SendKeys(chromedp.CSS(`#f-email`), email), chromedp.SendKeys(chromedp.CSS(`#f-password`), models.DefaultDemoPassword),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`.flash-success`)))
		return c
	}
	shots := []struct {
		name, email, path string
	}{
		{"list-accepted", "artisan@souk.test", "/studio/applications"},
		{"page-accepted", "artisan@souk.test", appOf("artisan@souk.test")},
		{"form", "artisan@souk.test", "/studio/applications/new?fair=" + paris.Slug},
		{"page-submitted", "caftan@souk.test", appOf("caftan@souk.test")},
		{"page-offered", "poterie@souk.test", appOf("poterie@souk.test")},
		{"list-offered", "poterie@souk.test", "/studio/applications"},
		{"refused-pending", "cuir@souk.test", "/studio/applications/new?fair=" + paris.Slug},
		{"chamber-list", "chamber@souk.test", "/chamber/applications"},
		{"chamber-page", "chamber@souk.test", chamberApplicationPath(ranked)},
		{"dashboard", "artisan@souk.test", "/studio"},
	}
	tabs := map[string]context.Context{}
	for _, s := range shots {
		if tabs[s.email] == nil {
			tabs[s.email] = tab(s.email)
		}
	}
	for _, lang := range []string{"fr", "ar"} {
		for _, dev := range []struct {
			name  string
			width int64
		}{{"phone", 390}, {"laptop", 1280}} {
			for _, s := range shots {
				c := tabs[s.email]
				sep := "?"
				if strings.Contains(s.path, "?") {
					sep = "&"
				}
				what := lang + "-" + dev.name + "-" + s.name
				step(t, c, what, chromedp.EmulateViewport(dev.width, 900), chromedp.Navigate(live.url+s.path+sep+"lang="+lang),
					chromedp.WaitVisible(chromedp.CSS(`footer`)))
				h := get(t, c, what, chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
				step(t, c, what, chromedp.EmulateViewport(dev.width, max(h, 900)))
				png := get(t, c, what, chromedp.CaptureScreenshot())
				if err := os.WriteFile(filepath.Join(dir, what+".png"), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}
