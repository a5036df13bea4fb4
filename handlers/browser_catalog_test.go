package handlers

// The acceptance journey of issue 3 in headless Chromium, on a live portal whose photos go to a
// real MinIO (TEST_S3_*; the folder store when MinIO is not configured and services are not
// required): an artisan signs up, fills the profile, submits it, adds a product with three
// photos sent at once from the file input (per-file progress), publishes it; the chamber agent
// of Fès-Meknès verifies the artisan; an anonymous visitor then finds the product in /products in
// French, Arabic and English with photos that load. Another artisan gets 404 on it in the
// studio and cannot change it; a visitor account gets 403 on /studio, and an anonymous visitor
// is sent to the login page.

import (
	"context"
	"fmt"
	"image/color"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/storage"
)

// writeJPEGs writes n distinct camera-sized JPEGs (1200×900, some noise so each is a few
// hundred KB) into a temporary folder and returns their paths.
func writeJPEGs(t *testing.T, n int) []string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(n), 2026))
	tints := []color.RGBA{{200, 60, 40, 255}, {30, 120, 160, 255}, {220, 170, 40, 255}, {60, 140, 70, 255}}
	paths := make([]string, n)
	for i := range n {
		m := quadrants(1200, 900)
		tint := tints[i%len(tints)]
		for y := range 900 {
			for x := range 1200 {
				if x > 300 && x < 900 && y > 225 && y < 675 { // a tinted, grainy centre
					d := uint8(rng.IntN(40))
					m.SetRGBA(x, y, color.RGBA{tint.R - min(tint.R, d), tint.G - min(tint.G, d), tint.B - min(tint.B, d), 255})
				}
			}
		}
		paths[i] = filepath.Join(dir, fmt.Sprintf("piece-%d.jpg", i+1))
		if err := os.WriteFile(paths[i], encodeJPEG(t, m), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// journeyStore is MinIO when it is configured (or required), else nil: the live app's folder.
func journeyStore(t *testing.T) []storage.Store {
	t.Helper()
	if os.Getenv("TEST_S3_ENDPOINT") != "" || os.Getenv("SOUK_REQUIRE_SERVICES") == "1" {
		t.Log("photos in MinIO at", os.Getenv("TEST_S3_ENDPOINT"))
		return []storage.Store{minioStore(t)}
	}
	t.Log("TEST_S3_ENDPOINT not set: photos in a folder store")
	return nil
}

// uploadProgress records, in the page, what upload.js shows while it sends: the rows it adds,
// whether each had a <progress>, the highest value each bar reached and every state text.
const uploadProgress = `(() => {
  const list = document.querySelector('form[data-upload] [data-upload-list]');
  const up = window.__upload = {rows: 0, bars: 0, max: {}, states: []};
  new MutationObserver(ms => { for (const m of ms) {
    if (m.type === 'attributes') {
      const v = m.target.getAttribute('value');
      if (v !== null) { const k = m.target.getAttribute('aria-label'); up.max[k] = Math.max(up.max[k] || 0, Number(v)); }
      continue;
    }
    for (const n of m.addedNodes) {
      if (n.nodeType !== 1) continue;
      if (n.tagName === 'LI') { up.rows++; if (n.querySelector('progress')) up.bars++; up.states.push(n.querySelector('.upload-state').textContent); }
    }
    if (m.target.classList && m.target.classList.contains('upload-state')) up.states.push(m.target.textContent);
  }}).observe(list, {childList: true, subtree: true, attributes: true, attributeFilter: ['value']});
})()`

// uploadRecord is what uploadProgress recorded.
type uploadRecord struct {
	Rows   int                `json:"rows"`
	Bars   int                `json:"bars"`
	Max    map[string]float64 `json:"max"`
	States []string           `json:"states"`
}

// clearFlashes removes the flashes of a page, so that waiting for the next one cannot match a
// stale one before the browser has navigated.
const clearFlashes = `document.querySelectorAll('.flash').forEach(e => e.remove())`

var studioProductURL = regexp.MustCompile(`/studio/products/(\d+)`)

func TestBrowserCatalogJourney(t *testing.T) {
	browser := newBrowser(t) // skips (or fails under SOUK_REQUIRE_SERVICES=1) without TEST_CHROMIUM
	live := startLiveApp(t, journeyStore(t)...)
	ctx, cancel := context.WithTimeout(browser, 4*time.Minute)
	defer cancel()
	u := func(path string) string { return live.url + path }
	tr := live.tr
	flash := func(tab context.Context, name, id string) {
		t.Helper()
		step(t, tab, name+": flash", chromedp.WaitVisible(chromedp.CSS(`.flash-success`)))
		if got, want := get(t, tab, name+": flash text", chromedp.Text(chromedp.CSS(`.flash-success`))), tr("fr", id); !strings.Contains(got, want) {
			t.Fatalf("%s: flash %q, want %q", name, got, want)
		}
	}

	suffix := fixtureSuffix()
	email := "artisan.navigateur." + suffix + "@example.ma"
	business := "Atelier Lamrani " + suffix
	titles := map[string]string{"fr": "Table basse en zellige de Fès", "ar": "طاولة منخفضة من زليج فاس", "en": "Fès zellige coffee table"}

	// 1. Sign up as an artisan.
	step(t, ctx, "artisan signs up",
		chromedp.Navigate(u("/signup?lang=fr")),
		chromedp.WaitVisible(chromedp.CSS(`#f-name`)),
		chromedp.Click(chromedp.CSS(`#role-artisan`)),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Youssef Lamrani"),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), email),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type="submit"]`)),
	)
	flash(ctx, "artisan signs up", "FlashWelcome")
	user, err := models.GetUserByEmail(context.Background(), live.db, email)
	if err != nil || user.Role != models.RoleArtisan {
		t.Fatalf("artisan signs up: account %+v (%v), want role artisan", user, err)
	}

	// 2. Fill the profile: Fès-Meknès, registry and card numbers in the formats the form checks.
	step(t, ctx, "artisan fills the profile",
		chromedp.Navigate(u("/studio/profile")),
		chromedp.WaitVisible(chromedp.CSS(`#f-business_name`)),
		chromedp.SendKeys(chromedp.CSS(`#f-business_name`), business),
		chromedp.Click(chromedp.CSS(`#kind-individual`)),
		chromedp.SetValue(chromedp.CSS(`#f-craft`), "zellige"),
		chromedp.SetValue(chromedp.CSS(`#f-region`), "FM"),
		chromedp.SendKeys(chromedp.CSS(`#f-city`), "Fès"),
		chromedp.SendKeys(chromedp.CSS(`#f-phone`), "+212 6 61 23 45 67"),
		chromedp.SendKeys(chromedp.CSS(`#f-bio_fr`), "Zellige taillé à la main, de père en fils, dans la médina de Fès."),
		chromedp.SetValue(chromedp.CSS(`#f-bio_ar`), "زليج مقطوع باليد في مدينة فاس العتيقة."),
		chromedp.SendKeys(chromedp.CSS(`#f-registry_number`), "FM-2024-"+suffix[:6]),
		chromedp.SendKeys(chromedp.CSS(`#f-card_number`), "CP"+suffix),
		chromedp.Click(chromedp.CSS(`form[action="/studio/profile"] button[type="submit"]`)),
	)
	flash(ctx, "artisan fills the profile", "FlashProfileCreated")
	art := artisanOf(t, live.db, user.ID)
	if art.RegionCode != "FM" || art.BusinessName != business || art.Status != models.ArtisanDraft {
		t.Fatalf("artisan fills the profile: saved %q in %s, status %s", art.BusinessName, art.RegionCode, art.Status)
	}

	// 3. Submit it to the chamber.
	step(t, ctx, "artisan submits the profile",
		chromedp.Navigate(u("/studio/profile")),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/studio/profile/submit"] button`)),
		chromedp.Click(chromedp.CSS(`form[action="/studio/profile/submit"] button`)),
	)
	flash(ctx, "artisan submits the profile", "FlashProfileSubmitted")

	// 4. Create a product with its titles in three languages.
	step(t, ctx, "artisan creates a product",
		chromedp.Navigate(u("/studio/products/new")),
		chromedp.WaitVisible(chromedp.CSS(`#f-title_fr`)),
		chromedp.SendKeys(chromedp.CSS(`#f-title_fr`), titles["fr"]),
		chromedp.SetValue(chromedp.CSS(`#f-title_ar`), titles["ar"]),
		chromedp.SendKeys(chromedp.CSS(`#f-title_en`), titles["en"]),
		chromedp.SendKeys(chromedp.CSS(`#f-description_fr`), "Plateau de zellige émaillé posé sur un piètement en fer forgé."),
		chromedp.SetValue(chromedp.CSS(`#f-craft`), "zellige"),
		chromedp.SendKeys(chromedp.CSS(`#f-price`), "450,00"),
		chromedp.Click(chromedp.CSS(`form#details button[type="submit"]`)),
	)
	flash(ctx, "artisan creates a product", "FlashProductCreated")
	m := studioProductURL.FindStringSubmatch(get(t, ctx, "artisan creates a product: location", chromedp.Location()))
	if m == nil {
		t.Fatalf("artisan creates a product: not on the product's page")
	}
	productID, _ := strconv.ParseInt(m[1], 10, 64)
	productPage := "/studio/products/" + m[1]

	// 5. Three photos at once through the file input: a row per file with its progress bar,
	// every bar reaches the end, each file is added, and the gallery shows the three.
	files := writeJPEGs(t, 3)
	step(t, ctx, "artisan sends three photos",
		chromedp.WaitVisible(chromedp.CSS(`#f-photos`)),
		chromedp.Evaluate[chromedp.Void](uploadProgress),
		chromedp.SetUploadFiles(chromedp.CSS(`#f-photos`), files),
		chromedp.Click(chromedp.CSS(`form[data-upload] button[type="submit"]`)),
	)
	get(t, ctx, "artisan sends three photos: three results", chromedp.Poll[bool](
		`document.querySelectorAll('#photos [data-upload-list] li.is-ok, #photos [data-upload-list] li.is-error').length === 3`,
		chromedp.WithPollingTimeout(90*time.Second)))
	get(t, ctx, "artisan sends three photos: three thumbnails load", chromedp.Poll[bool](`(() => {
		const s = document.querySelector('#photos'); if (s) s.scrollIntoView();
		const imgs = Array.from(document.querySelectorAll('#photos .photo-grid img'));
		return imgs.length === 3 && imgs.every(i => i.complete && i.naturalWidth > 0 && i.getAttribute('src').startsWith('/media/'));
	})()`, chromedp.WithPollingTimeout(30*time.Second)))
	rec := get(t, ctx, "artisan sends three photos: progress record", chromedp.Evaluate[uploadRecord](`window.__upload`))
	if rec.Rows != 3 || rec.Bars != 3 {
		t.Errorf("artisan sends three photos: %d rows with %d progress bars, want 3 and 3", rec.Rows, rec.Bars)
	}
	for _, f := range files {
		if got := rec.Max[filepath.Base(f)]; got != 100 {
			t.Errorf("artisan sends three photos: progress of %s reached %v, want 100", filepath.Base(f), got)
		}
	}
	for _, id := range []string{"UploadSending", "UploadProcessing", "PhotoAdded"} {
		n := 0
		for _, s := range rec.States {
			if s == tr("fr", id) {
				n++
			}
		}
		if n != 3 {
			t.Errorf("artisan sends three photos: state %q shown %d times, want once per file (states %q)", tr("fr", id), n, rec.States)
		}
	}
	results := get(t, ctx, "artisan sends three photos: results", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('#photos [data-upload-list] li')).map(li => li.className + ' ' + li.querySelector('.upload-name').textContent + ': ' + li.querySelector('.upload-state').textContent)`))
	for i, f := range files {
		if want := "is-ok " + filepath.Base(f) + ": " + tr("fr", "PhotoAdded"); i >= len(results) || results[i] != want {
			t.Errorf("artisan sends three photos: result rows %q, want %q at %d", results, want, i)
		}
	}
	photos, err := models.ListPhotos(context.Background(), live.db, productID)
	if err != nil || len(photos) != 3 {
		t.Fatalf("artisan sends three photos: %d photo rows (%v), want 3", len(photos), err)
	}
	for _, ph := range photos {
		if ph.Width != 800 || ph.Height != 600 || ph.Variants != "320,800" {
			t.Errorf("artisan sends three photos: photo %dx%d variants %q, want 800x600 (its largest variant) and 320,800", ph.Width, ph.Height, ph.Variants)
		}
		for _, v := range ph.VariantNames() {
			if _, _, err := live.h.store.Open(context.Background(), ph.Key(v)); err != nil {
				t.Errorf("artisan sends three photos: object %s not in the store: %v", ph.Key(v), err)
			}
		}
	}

	// 6. Publish it: published, but not shown until the chamber verifies the artisan.
	step(t, ctx, "artisan publishes the product",
		chromedp.Evaluate[chromedp.Void](clearFlashes), // the product's creation left one
		chromedp.Click(chromedp.CSS(`#status form:has(input[name="to"][value="published"]) button[type="submit"]`)),
	)
	flash(ctx, "artisan publishes the product", "FlashProductPublished")
	step(t, ctx, "artisan publishes the product: status", chromedp.WaitVisible(chromedp.CSS(`#status .status-pill.status-published`)))
	if resp, _ := live.client().get(productPath(models.Product{ID: productID})); resp.StatusCode != http.StatusNotFound {
		t.Errorf("artisan publishes the product: before verification the public page answers %d, want 404", resp.StatusCode)
	}

	// 7. The chamber agent of Fès-Meknès verifies the artisan from the queue.
	agentEmail := "agent.fm." + suffix + "@example.ma"
	if _, err := models.CreateUser(context.Background(), live.db, models.NewUser{
		Email: agentEmail, Name: "Agent Fès-Meknès", Password: testPassword, Role: models.RoleChamber, RegionCode: "FM",
	}); err != nil {
		t.Fatalf("create the agent: %v", err)
	}
	agent, cancelAgent := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelAgent()
	rowLink := fmt.Sprintf(`a.row-link[href="/chamber/artisans/%d"]`, art.ID)
	step(t, agent, "agent logs in",
		chromedp.Navigate(u("/login?lang=fr")),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), agentEmail),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash-success`)),
	)
	step(t, agent, "agent opens the queue",
		chromedp.Navigate(u("/chamber/artisans")),
		chromedp.WaitVisible(chromedp.CSS(rowLink)),
	)
	if got := get(t, agent, "agent opens the queue: row", chromedp.Text(chromedp.CSS(rowLink))); got != business {
		t.Errorf("agent opens the queue: row %q, want %q", got, business)
	}
	step(t, agent, "agent verifies the artisan",
		chromedp.Click(chromedp.CSS(rowLink)),
		chromedp.WaitVisible(chromedp.CSS(`button[name="decision"][value="verify"]`)),
		chromedp.Click(chromedp.CSS(`button[name="decision"][value="verify"]`)),
	)
	flash(agent, "agent verifies the artisan", "FlashArtisanVerified")
	if a := artisanOf(t, live.db, user.ID); a.Status != models.ArtisanVerified {
		t.Fatalf("agent verifies the artisan: status %s", a.Status)
	}

	// 8. An anonymous visitor finds it in the catalog in three languages, with a photo that loads.
	visitor, cancelVisitor := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelVisitor()
	card := fmt.Sprintf(`#catalog-results a.product-card-link[href="/products/%d"]`, productID)
	for _, lang := range []string{"fr", "ar", "en"} {
		name := "visitor opens /products?lang=" + lang
		dir := "ltr"
		if lang == "ar" {
			dir = "rtl"
		}
		step(t, visitor, name,
			chromedp.Navigate(u("/products?lang="+lang)),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`html[lang="%s"][dir="%s"] #catalog-results .product-grid`, lang, dir))),
			chromedp.WaitVisible(chromedp.CSS(card)),
		)
		if got := get(t, visitor, name+": card title", chromedp.Text(chromedp.CSS(card+` .product-card-title`))); got != titles[lang] {
			t.Errorf("%s: card title %q, want %q", name, got, titles[lang])
		}
		src := get(t, visitor, name+": card photo loads", chromedp.Poll[string](fmt.Sprintf(`(() => {
			const img = document.querySelector(%q);
			if (!img) return false;
			img.scrollIntoView({block: 'center'});
			return img.complete && img.naturalWidth > 0 && img.getAttribute('src');
		})()`, card+` img`), chromedp.WithPollingTimeout(20*time.Second)))
		if !strings.HasPrefix(src, "/media/img/") {
			t.Errorf("%s: card photo src %q, want under /media/", name, src)
		}
		if lang == "ar" {
			if dir := os.Getenv("SOUK_SCREENSHOTS_DIR"); dir != "" {
				// The whole page: grow the viewport to it, capture, restore.
				h := get(t, visitor, name+": page height", chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
				step(t, visitor, name+": grow the viewport", chromedp.EmulateViewport(1280, max(h, 900)))
				png := get(t, visitor, name+": screenshot", chromedp.CaptureScreenshot())
				step(t, visitor, name+": restore the viewport", chromedp.EmulateViewport(1280, 900))
				if err := os.WriteFile(filepath.Join(dir, "catalog-journey-ar.png"), png, 0o644); err != nil {
					t.Errorf("write screenshot: %v", err)
				}
			}
		}
	}
	// The product page shows the three photos, each of which the visitor can fetch.
	step(t, visitor, "visitor opens the product",
		chromedp.Navigate(u(fmt.Sprintf("/products/%d?lang=fr", productID))),
		chromedp.WaitVisible(chromedp.CSS(`.gallery-main img`)),
	)
	fetched := get(t, visitor, "visitor opens the product: photos", chromedp.Evaluate[[]string](
		`Promise.all(Array.from(document.querySelectorAll('.gallery-slide img')).map(i => fetch(i.getAttribute('src')).then(r => i.getAttribute('src').slice(0, 11) + ' ' + r.status + ' ' + r.headers.get('content-type'))))`,
		chromedp.EvalAwaitPromise))
	if len(fetched) != 3 {
		t.Errorf("visitor opens the product: %d photos, want 3", len(fetched))
	}
	for _, f := range fetched {
		if f != "/media/img/ 200 image/jpeg" {
			t.Errorf("visitor opens the product: photo fetch %q, want /media/img/… 200 image/jpeg", f)
		}
	}

	// 9. An anonymous visitor who opens /studio is sent to the login page.
	step(t, visitor, "anonymous visitor opens /studio",
		chromedp.Navigate(u("/studio")),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)),
	)
	if loc := get(t, visitor, "anonymous visitor opens /studio: location", chromedp.Location()); loc != u("/login?next="+url.QueryEscape("/studio")) {
		t.Errorf("anonymous visitor opens /studio: at %s, want the login page", loc)
	}

	// 10. Another artisan: 404 on every studio route of the product, which stays untouched.
	before := rowHash(t, live.db, productID)
	other, _ := live.studioArtisan("autre.artisan."+suffix+"@example.ma", true)
	token := other.csrf("/studio/products")
	for _, r := range []struct {
		method, path string
		form         url.Values
	}{
		{http.MethodGet, productPage, nil},
		{http.MethodPost, productPage, productForm()},
		{http.MethodPost, productPage + "/status", url.Values{"to": {"draft"}}},
		{http.MethodPost, productPage + "/photos/order", url.Values{"photo": {strconv.FormatInt(photos[1].ID, 10)}, "dir": {"up"}}},
		{http.MethodPost, fmt.Sprintf("%s/photos/%d/cover", productPage, photos[2].ID), url.Values{}},
		{http.MethodPost, fmt.Sprintf("%s/photos/%d/delete", productPage, photos[0].ID), url.Values{}},
	} {
		var resp *http.Response
		if r.method == http.MethodGet {
			resp, _ = other.get(r.path)
		} else {
			r.form.Set("_csrf", token)
			resp, _ = other.post(r.path, r.form)
		}
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("other artisan %s %s: %d, want 404", r.method, r.path, resp.StatusCode)
		}
	}
	resp, _ := other.upload(productPage+"/photos", token, "photos", []testFile{{name: "intrus.jpg", data: smallJPEG(t)}}, true)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("other artisan uploads to the product: %d, want 404", resp.StatusCode)
	}
	if after := rowHash(t, live.db, productID); after != before {
		t.Error("other artisan: the product or its photos changed")
	}

	// 11. A visitor account cannot reach the studio.
	live.mkUser("visiteur."+suffix+"@example.be", models.RoleVisitor)
	v := live.client()
	v.login("visiteur."+suffix+"@example.be", testPassword)
	for _, path := range []string{"/studio", productPage} {
		if resp, _ := v.get(path); resp.StatusCode != http.StatusForbidden {
			t.Errorf("visitor account GET %s: %d, want 403", path, resp.StatusCode)
		}
	}
}
