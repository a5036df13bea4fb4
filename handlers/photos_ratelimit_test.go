package handlers

// The per-account upload limit (security checklist C): every upload request runs the image
// pipeline, so one account may send at most uploadLimit of them per uploadWindow, both upload
// routes together, counted in the shared database (on SQLite and, with TEST_DATABASE_URL,
// PostgreSQL; a second instance on the same database sees the same counters). The refusal is a
// 429 with Retry-After and a message in the user's language saying when to try again: in the
// JSON upload.js reads (and shows next to each file, checked in Chromium), or on the error page
// of a form posted without JavaScript. Another artisan keeps their whole budget.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/soukexpo/souk/models"
	"gorm.io/gorm"
)

// lowerUploadLimit sets the per-account upload limit for the apps the test builds next.
func lowerUploadLimit(t *testing.T, n int) {
	t.Helper()
	before := uploadLimit
	uploadLimit = n
	t.Cleanup(func() { uploadLimit = before })
}

// limitedMessage checks a 429 answer: Retry-After within the window, and msg is the limit
// message for that wait in lang.
func limitedMessage(t *testing.T, a *testApp, resp *http.Response, lang, msg, what string) {
	t.Helper()
	wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || wait < 0 || wait > int(uploadWindow/time.Second) {
		t.Errorf("%s: Retry-After %q, want seconds within the %v window", what, resp.Header.Get("Retry-After"), uploadWindow)
	}
	want := a.h.tr.localize(lang, "PhotoRateLimited", max(1, (wait+59)/60), nil)
	if msg != want {
		t.Errorf("%s: message %q, want %q", what, msg, want)
	}
	if want == "PhotoRateLimited" || !strings.Contains(want, strconv.Itoa(max(1, (wait+59)/60))) {
		t.Errorf("%s: the %s limit message does not say when to try again: %q", what, lang, want)
	}
}

func TestPhotoUploadRateLimit(t *testing.T) {
	if uploadLimit != 60 || uploadWindow != 10*time.Minute {
		t.Errorf("upload limit %d per %v, want 60 per 10 minutes", uploadLimit, uploadWindow)
	}
	const limit = 3
	lowerUploadLimit(t, limit)
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		store := diskStore(t)
		s := newPhotoSetup(t, db, store)
		other := newPhotoSetup(t, db, store) // another artisan, on another instance of the same database
		photo := testFile{name: "zellige.jpg", data: smallJPEG(t)}

		for i := range limit {
			if code, r := s.uploadJSON(t, "fr", photo); code != http.StatusOK {
				t.Fatalf("upload %d of %d: %d %+v", i+1, limit, code, r)
			}
		}

		// One more, as upload.js sends it: 429 with a JSON report in the user's language.
		for _, lang := range []string{"fr", "ar", "en"} {
			token := s.c.csrf(s.productURL() + "?lang=" + lang)
			resp, body := s.c.upload(s.photosURL(), token, "photos", []testFile{photo}, true)
			if resp.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("%s: upload over the limit: %d, want 429: %.300s", lang, resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("%s: 429 Content-Type %q, want JSON for upload.js", lang, ct)
			}
			var r uploadReport
			if err := json.Unmarshal([]byte(body), &r); err != nil {
				t.Fatalf("%s: 429 answer is not JSON: %.300s", lang, body)
			}
			if len(r.Files) != 0 {
				t.Errorf("%s: 429 report lists files %+v (upload.js shows the report's message)", lang, r.Files)
			}
			limitedMessage(t, s.a, resp, lang, r.Message, lang+" JSON")
		}

		// The same without JavaScript: the error page, status 429, the message.
		resp, body := s.c.upload(s.photosURL(), s.c.csrf(s.productURL()+"?lang=fr"), "photos", []testFile{photo}, false)
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("form upload over the limit: %d, want 429", resp.StatusCode)
		}
		text := pageText(body)
		start := strings.Index(text, "<h1>")
		end := strings.Index(text, "</h1>")
		if start < 0 || end < start {
			t.Fatalf("form upload over the limit: no page heading: %.300s", text)
		}
		limitedMessage(t, s.a, resp, "fr", text[start+len("<h1>"):end], "form")
		if !strings.Contains(text, `<html lang="fr"`) {
			t.Error("form upload over the limit: the page is not in French")
		}

		// The workshop photo shares the budget: refused before the pipeline runs.
		resp, body = s.c.upload("/studio/profile/photo", s.c.csrf("/studio/profile"), "photo", []testFile{{name: "IMG_1.HEIC", data: heicHeader()}}, true)
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("workshop photo over the limit: %d, want 429: %.300s", resp.StatusCode, body)
		}

		// Nothing of the refused uploads was stored.
		if n := len(s.photos(t)); n != limit {
			t.Errorf("%d photos after the refused uploads, want %d", n, limit)
		}
		if a := artisanOf(t, db, s.user.ID); a.WorkshopPhotoKey != "" {
			t.Errorf("refused workshop photo was saved: %q", a.WorkshopPhotoKey)
		}
		if n := len(listKeys(t, store, "img/")); n != limit { // one variant of each small photo
			t.Errorf("%d objects after the refused uploads, want %d", n, limit)
		}

		// The limited artisan still works in the studio (only uploads are limited).
		if resp, _ := s.c.get(s.productURL()); resp.StatusCode != http.StatusOK {
			t.Errorf("studio page of the limited artisan: %d", resp.StatusCode)
		}

		// The counters are in the database: another instance refuses the same account too.
		again := newStudioTestApp(t, db, store)
		c2 := s.c.on(again)
		resp, _ = c2.upload(s.photosURL(), c2.csrf(s.productURL()), "photos", []testFile{photo}, true)
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("upload over the limit through a second instance: %d, want 429", resp.StatusCode)
		}

		// Another artisan has the whole budget.
		for i := range limit - 1 {
			if code, r := other.uploadJSON(t, "fr", photo); code != http.StatusOK {
				t.Fatalf("other artisan, upload %d: %d %+v", i+1, code, r)
			}
		}
		resp, _ = other.c.upload("/studio/profile/photo", other.c.csrf("/studio/profile"), "photo", []testFile{photo}, false)
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(other.c.follow(resp), other.a.msg("fr", "FlashWorkshopPhotoSaved")) {
			t.Errorf("other artisan's workshop photo: %d", resp.StatusCode)
		}
		if n := len(other.photos(t)); n != limit-1 {
			t.Errorf("other artisan has %d photos, want %d", n, limit-1)
		}
		if code, _ := other.uploadJSON(t, "fr", photo); code != http.StatusTooManyRequests {
			t.Errorf("other artisan over their own limit: %d, want 429", code)
		}
	})
}

// TestPhotoUploadRateLimitInBrowser: three files chosen at once with a limit of one upload:
// upload.js adds the first, shows the limit message (with the wait) next to the second, and
// does not send the third, showing the same message next to it.
func TestPhotoUploadRateLimitInBrowser(t *testing.T) {
	browser := newBrowser(t) // skips (or fails under SOUK_REQUIRE_SERVICES=1) without TEST_CHROMIUM
	lowerUploadLimit(t, 1)
	live := startLiveApp(t)
	email := fmt.Sprintf("limite-%d@example.ma", studioSeq.Add(1))
	c, _ := live.studioArtisan(email, true)
	product := c.newProduct(productForm())
	files := writeJPEGs(t, 3)

	ctx, cancel := context.WithTimeout(browser, 90*time.Second)
	defer cancel()
	step(t, ctx, "log in as the artisan",
		chromedp.Navigate(live.url+"/login?lang=fr"),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-success`)),
	)
	step(t, ctx, "send three photos",
		chromedp.Navigate(fmt.Sprintf("%s/studio/products/%d", live.url, product)),
		chromedp.WaitReady(chromedp.CSS(`#f-photos`)),
		chromedp.Evaluate[chromedp.Void](uploadProgress),
		chromedp.SetUploadFiles(chromedp.CSS(`#f-photos`), files),
		chromedp.Click(chromedp.CSS(`form[data-upload] button[type="submit"]`)),
	)
	get(t, ctx, "wait for the three results", chromedp.Poll[bool](
		`document.querySelectorAll('[data-upload-list] li.is-ok, [data-upload-list] li.is-error').length === 3`,
		chromedp.WithPollingTimeout(30*time.Second)))
	rows := get(t, ctx, "read the results", chromedp.Evaluate[[]struct {
		Class string `json:"class"`
		State string `json:"state"`
	}](`Array.from(document.querySelectorAll('[data-upload-list] li')).map(li => ({class: li.className, state: li.querySelector('.upload-state').textContent}))`))
	if len(rows) != 3 {
		t.Fatalf("%d result rows, want 3", len(rows))
	}
	if rows[0].Class != "is-ok" || rows[0].State != live.tr("fr", "PhotoAdded") {
		t.Errorf("first photo: %+v, want added", rows[0])
	}
	limited := map[string]bool{}
	for m := 1; m <= int(uploadWindow/time.Minute); m++ {
		limited[live.h.tr.localize("fr", "PhotoRateLimited", m, nil)] = true
	}
	for i, r := range rows[1:] {
		if r.Class != "is-error" || !limited[r.State] {
			t.Errorf("photo %d over the limit: %+v, want the limit message", i+2, r)
		}
	}
	// The third file was never sent: its bar never moved and it was never "processing".
	rec := get(t, ctx, "progress record", chromedp.Evaluate[uploadRecord](`window.__upload`))
	if got := rec.Max[filepath.Base(files[2])]; got != 0 {
		t.Errorf("the third photo was sent after the 429 (its progress reached %v)", got)
	}
	processing := 0
	for _, s := range rec.States {
		if s == live.tr("fr", "UploadProcessing") {
			processing++
		}
	}
	if processing != 2 {
		t.Errorf("%d files reached the server, want 2 (states %q)", processing, rec.States)
	}
	if photos, err := models.ListPhotos(context.Background(), live.db, product); err != nil || len(photos) != 1 {
		t.Errorf("product has %d photos (%v), want 1", len(photos), err)
	}
}
