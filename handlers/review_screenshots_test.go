//go:build screenshots

// Screenshots of the organizers' review pages for design review, not a check:
// SOUK_SCREENSHOTS=/tmp/shots TEST_CHROMIUM=/usr/bin/chromium go test -tags screenshots -run ReviewScreenshots ./handlers/

package handlers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/soukexpo/souk/models"
)

func TestReviewScreenshotsForReview(t *testing.T) {
	dir := os.Getenv("SOUK_SCREENSHOTS")
	if dir == "" {
		t.Skip("screenshot tool, not a check: set SOUK_SCREENSHOTS=/tmp/shots (and TEST_CHROMIUM)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	browser := newBrowser(t)
	live := startLiveApp(t)
	ctx := context.Background()
	if _, err := models.SeedDemoFair(ctx, live.db); err != nil {
		t.Fatal(err)
	}
	var fair models.Fair
	if err := live.db.Where("slug = ?", "demo-bruxelles-2027").Take(&fair).Error; err != nil {
		t.Fatal(err)
	}
	var org models.User
	if err := live.db.Where("role = ?", models.RoleOrganizer).Take(&org).Error; err != nil {
		t.Fatal(err)
	}
	// A few decisions so the outbox and the history have something to show.
	var reviewed []models.Application
	live.db.Where("fair_id = ? AND status = ?", fair.ID, models.AppChamberReviewed).Order("id").Limit(2).Find(&reviewed)
	if len(reviewed) > 0 {
		if _, err := models.DecideApplication(ctx, live.db, org, fair.ID, reviewed[0].ID, models.DecisionWaitlist, "Le hall est complet pour ce métier ; nous vous proposerons la première place libérée.", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	var detail models.Application
	live.db.Where("fair_id = ? AND status = ? AND stand_id IS NOT NULL", fair.ID, models.AppAccepted).Order("id").Take(&detail)

	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	defer cancel()
	step(t, tab, "organizer logs in",
		chromedp.Navigate(live.url+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "organizer@souk.test"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), models.DefaultDemoPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-success`)),
	)
	base := "/admin/fairs/" + strconv.FormatInt(fair.ID, 10)
	pages := []struct{ name, path string }{
		{"applications", base + "/applications"},
		{"applications-filtered", base + "/applications?region=FM&q=zz"},
		{"application", base + "/applications/" + strconv.FormatInt(detail.ID, 10)},
		{"quotas", base + "/quotas"},
		{"waitlist", base + "/waitlist"},
		{"outbox", "/admin/outbox"},
	}
	for _, lang := range []string{"fr", "ar"} {
		for _, dev := range []struct {
			name   string
			w, h   int64
			mobile bool
		}{{"phone", 390, 844, true}, {"laptop", 1280, 900, false}} {
			for _, p := range pages {
				what := fmt.Sprintf("review-%s-%s-%s", lang, dev.name, p.name)
				sep := "?"
				if strings.Contains(p.path, "?") {
					sep = "&"
				}
				step(t, tab, what, emulate(dev.w, dev.h, dev.mobile), chromedp.Navigate(live.url+p.path+sep+"lang="+lang), chromedp.WaitVisible(chromedp.CSS(`footer`)))
				if p.name == "outbox" {
					_ = get(t, tab, what, chromedp.Evaluate[int64](`document.querySelectorAll("details.rv-mail").forEach(function(d,i){ if (i < 2) d.open = true }), 0`))
				}
				h := get(t, tab, what, chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
				step(t, tab, what, emulate(dev.w, max(h, dev.h), dev.mobile))
				png := get(t, tab, what, chromedp.CaptureScreenshot())
				if err := os.WriteFile(filepath.Join(dir, what+".png"), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}
