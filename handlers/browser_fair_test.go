package handlers

// The first acceptance point of issue 4 in headless Chromium, each person in their own browser
// context: an organizer creates a fair with a hall, imports 40 stands from a CSV file (a wrong
// line 7 is reported with its number and nothing is saved; the corrected file is imported),
// opens applications; three verified artisans from two regions apply; the chamber agents of
// Fès-Meknès and Marrakech-Safi rank them; the organizer accepts two, waitlists one with a
// reason, runs the auto-allocation and applies it; an anonymous visitor sees the two artisans
// at their stands on the public plan; one accepted artisan withdraws and the waitlisted one is
// offered the place, with a deadline, and takes it. Only the accounts, profiles and products
// are made outside the browser.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/soukexpo/souk/models"
)

// journeyStandsCSV writes a stands file for a 60 × 30 m hall: 40 stands of 3 × 3 m in four
// rows of ten (A1…D10), corners at both ends of each row. With badLine set, the stand on that
// line of the file (the header is line 1) has the unknown kind "kiosk".
func journeyStandsCSV(t *testing.T, name string, badLine int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("code,zone,kind,x,y,width,depth,price_cents\n")
	for i := range 40 {
		row, col := i/10, i%10
		zone, kind, price := "Nord", "standard", 45000
		if row >= 2 {
			zone = "Sud"
		}
		if col == 0 || col == 9 {
			kind, price = "corner", 55000
		}
		if i+2 == badLine {
			kind = "kiosk"
		}
		fmt.Fprintf(&b, "%c%d,%s,%s,%d,%d,3,3,%d\n", 'A'+row, col+1, zone, kind, 6+col*5, 3+row*7, price)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// dialogLog accepts every confirm() of a tab (the data-confirm buttons) and keeps their texts.
type dialogLog struct {
	mu   sync.Mutex
	msgs []string
}

func (d *dialogLog) texts() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.msgs...)
}

// acceptDialogs answers "OK" to every dialog the tab opens, as a user confirming would.
func acceptDialogs(t *testing.T, tab context.Context) *dialogLog {
	t.Helper()
	log := &dialogLog{}
	opening := chromedp.Events(tab, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range opening {
			if err != nil {
				return
			}
			log.mu.Lock()
			log.msgs = append(log.msgs, ev.Message)
			log.mu.Unlock()
			// The click that opened the dialog waits for it: answer from another goroutine.
			go func() {
				_, _ = chromedp.Call(tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}()
		}
	}()
	return log
}

// journeyArtisan is one of the three applicants, made outside the browser.
type journeyArtisan struct {
	models.Artisan
	email   string
	zone    string // the zone asked for
	product models.Product
	tab     context.Context
	appID   int64
}

// staleFlashes marks the flashes of a page, so that waiting for the next one cannot match them
// before the browser has navigated. They stay in place, so nothing moves under the next click.
const staleFlashes = `document.querySelectorAll('.flash').forEach(e => e.setAttribute('data-stale', ''))`

// pageLoaded waits until the page has finished loading (deferred scripts run, images in),
// so that a click lands where the element has settled.
var pageLoaded = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	_, err := chromedp.Poll[bool](`document.readyState === "complete"`)(ctx, t)
	return err
})

// fairStepTimeout bounds one step of the journey: a page that never shows what a step waits
// for fails that step, naming the page the browser stayed on, long before the test's deadline.
const fairStepTimeout = 60 * time.Second

// fairStep is step with a bound of its own and the page's state in the failure message.
func fairStep(t *testing.T, tab context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(tab, fairStepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, pageState(tab))
	}
}

// fairGet is get with a bound of its own and the page's state in the failure message.
func fairGet[T any](t *testing.T, tab context.Context, name string, action chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(tab, fairStepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, action)
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, pageState(tab))
	}
	return v
}

// pageState says where a tab is and what it shows: address, heading, flashes, errors.
func pageState(tab context.Context) string {
	sctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	state, err := chromedp.Run(sctx, chromedp.Evaluate[string](`(() => {
		const txt = sel => Array.from(document.querySelectorAll(sel)).map(e => e.textContent.replace(/\s+/g, ' ').trim()).join(' | ');
		const main = document.querySelector('#main');
		return 'page ' + location.href + '\nheading: ' + txt('h1') + '\nflashes: ' + txt('.flash') +
			'\nerrors: ' + txt('.error-summary, .field-error') + '\ntext: ' + (main ? main.textContent.replace(/\s+/g, ' ').trim().slice(0, 600) : '');
	})()`))
	if err != nil {
		return "(page state unavailable: " + err.Error() + ")"
	}
	return state
}

var studioApplicationURL = regexp.MustCompile(`/studio/applications/(\d+)$`)

func TestBrowserFairJourney(t *testing.T) {
	browser := newBrowser(t) // skips (or fails under SOUK_REQUIRE_SERVICES=1) without TEST_CHROMIUM
	live := startLiveApp(t)
	ctx, cancel := context.WithTimeout(browser, 5*time.Minute)
	defer cancel()
	db := live.db
	u := func(path string) string { return live.url + path }
	msg := func(id string, kv ...string) string { return live.applMsg("fr", id, kv...) }
	shot := func(tab context.Context, name string) { t.Helper(); journeyShot(t, tab, "fair-journey-"+name, 1280) }
	flash := func(tab context.Context, name, kind, want string) { t.Helper(); waitFlash(t, tab, name, kind, want) }
	text := func(tab context.Context, name, sel string) string {
		t.Helper()
		return strings.TrimSpace(fairGet(t, tab, name, chromedp.Text(chromedp.CSS(sel))))
	}
	newTab := func() context.Context { t.Helper(); return journeyTab(t, ctx) }
	login := func(tab context.Context, who, email, password string) {
		t.Helper()
		journeyLogin(t, tab, live.url, who, email, password)
	}
	appOf := func(name string, id int64) models.Application {
		t.Helper()
		var a models.Application
		if err := db.Where("id = ?", id).Take(&a).Error; err != nil {
			t.Fatalf("%s: application %d: %v", name, id, err)
		}
		return a
	}

	// Setup outside the browser: three verified artisans (two of Fès-Meknès, one of
	// Marrakech-Safi) with a published product each, and the two regions' chamber agents.
	fx := newFixtures(t, db)
	suffix := fixtureSuffix()
	mk := func(business, region, craft, city, zone, title string) *journeyArtisan {
		email := "parcours-" + strings.ToLower(region) + "-" + craft + "-" + suffix + "@example.ma"
		a := fx.artisan(artisanSpec{email: email, business: business, region: region, craft: craft, city: city, status: models.ArtisanVerified})
		return &journeyArtisan{Artisan: a, email: email, zone: zone, product: fx.product(a, models.ProductInput{TitleFR: title}, 1, true)}
	}
	nour := mk("Atelier Nour", "FM", "zellige", "Fès", "Nord", "Fontaine murale en zellige")  // ranked 1, accepted
	fakhar := mk("Dar Fakhar", "FM", "pottery", "Meknès", "Nord", "Jarre émaillée de Meknès") // ranked 2, waitlisted
	arz := mk("Bois d'Arz", "MS", "wood", "Essaouira", "Sud", "Coffret en thuya d'Essaouira") // ranked 1, accepted, withdraws
	agentFM, agentMS := fx.agent("FM"), fx.agent("MS")

	// ---- 1. The organizer creates the fair, its hall, imports the stands, opens the call. ----
	org := newTab()
	login(org, "organizer", "organizer@souk.test", models.DefaultDemoPassword)
	orgDialogs := acceptDialogs(t, org)

	slug := "parcours-bruxelles-" + suffix
	fairName := "Salon du parcours " + suffix
	brussels, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(brussels)
	startsOn := now.AddDate(0, 4, 0)
	fairStep(t, org, "organizer opens the new fair form",
		chromedp.Navigate(u("/admin/fairs")),
		chromedp.WaitVisible(chromedp.CSS(`.page-header a[href="/admin/fairs/new"]`)),
		chromedp.Click(chromedp.CSS(`.page-header a[href="/admin/fairs/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-fair_name`)),
		pageLoaded,
	)
	fairStep(t, org, "organizer fills the fair form",
		chromedp.SendKeys(chromedp.CSS(`#f-fair_name`), fairName),
		chromedp.SendKeys(chromedp.CSS(`#f-fair_slug`), slug),
		chromedp.SendKeys(chromedp.CSS(`#f-fair_city`), "Bruxelles"),
		chromedp.SetValue(chromedp.CSS(`#f-fair_country`), "BE"),
		chromedp.SendKeys(chromedp.CSS(`#f-fair_venue`), "Tour & Taxis"),
		chromedp.SendKeys(chromedp.CSS(`#f-fair_address`), "Avenue du Port 86C, 1000 Bruxelles"),
		chromedp.SetValue(chromedp.CSS(`#f-fair_starts_on`), startsOn.Format(models.FairDateLayout)),
		chromedp.SetValue(chromedp.CSS(`#f-fair_ends_on`), startsOn.AddDate(0, 0, 2).Format(models.FairDateLayout)),
		chromedp.SetValue(chromedp.CSS(`#f-fair_timezone`), "Europe/Brussels"),
		chromedp.SetValue(chromedp.CSS(`#f-fair_opens_at`), now.AddDate(0, 0, -1).Format(models.FairDateTimeLayout)),
		chromedp.SetValue(chromedp.CSS(`#f-fair_closes_at`), now.AddDate(0, 1, 0).Format(models.FairDateTimeLayout)),
		chromedp.Click(chromedp.CSS(`form[action="/admin/fairs/new"] button[type="submit"]`)),
	)
	flash(org, "organizer creates the fair", "success", msg("FlashFairCreated"))
	var fair models.Fair
	if err := db.Where("slug = ?", slug).Take(&fair).Error; err != nil {
		t.Fatalf("organizer creates the fair: not saved: %v", err)
	}
	if fair.Status != models.FairDraft || fair.Country != "BE" || fair.Timezone != "Europe/Brussels" || fair.ApplicationsOpenAt == nil {
		t.Fatalf("organizer creates the fair: saved %+v", fair)
	}
	fairAdmin := fmt.Sprintf("/admin/fairs/%d", fair.ID)
	if loc := fairGet(t, org, "organizer creates the fair: location", chromedp.Location()); !strings.HasPrefix(loc, u(fairAdmin)) {
		t.Fatalf("organizer creates the fair: at %s, want the fair's page", loc)
	}
	if got := text(org, "organizer creates the fair: heading", `.page-header h1`); got != fairName {
		t.Errorf("organizer creates the fair: heading %q", got)
	}

	fairStep(t, org, "organizer adds a hall",
		chromedp.Evaluate[chromedp.Void](staleFlashes),
		chromedp.WaitVisible(chromedp.CSS(`#f-hall_name`)),
		chromedp.SendKeys(chromedp.CSS(`#f-hall_name`), "Hall principal"),
		chromedp.SendKeys(chromedp.CSS(`#f-hall_width`), "60"),
		chromedp.SendKeys(chromedp.CSS(`#f-hall_depth`), "30"),
		chromedp.Click(chromedp.CSS(`form[action="`+fairAdmin+`/halls"] button[type="submit"]`)),
	)
	flash(org, "organizer adds a hall", "success", msg("FlashHallAdded"))
	var hall models.Hall
	if err := db.Where("fair_id = ?", fair.ID).Take(&hall).Error; err != nil || hall.WidthCm != 6000 || hall.DepthCm != 3000 {
		t.Fatalf("organizer adds a hall: %+v (%v), want 60 × 30 m", hall, err)
	}
	if got := text(org, "organizer adds a hall: listed", `.fa-hall h3`); got != "Hall principal" {
		t.Errorf("organizer adds a hall: hall listed as %q", got)
	}

	// The import: a file with a wrong line 7 is refused with the line's number, nothing saved.
	importURL := fairAdmin + "/stands/import"
	fairStep(t, org, "organizer opens the stands import",
		pageLoaded,
		chromedp.Click(chromedp.CSS(`.fa-section-head a[href="`+importURL+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-import_csv`)),
		pageLoaded,
	)
	fairStep(t, org, "organizer checks a file with a wrong line 7",
		chromedp.SetUploadFiles(chromedp.CSS(`#f-import_csv`), []string{journeyStandsCSV(t, "stands-faux.csv", 7)}),
		chromedp.Click(chromedp.CSS(`form[action="`+importURL+`"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.fa-preview .error-summary`)),
		pageLoaded,
	)
	errorsShown := fairGet(t, org, "import error preview: errors", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('.fa-error-list li')).map(li => li.textContent.trim())`))
	wantErr := live.h.tr.localize("fr", "ImportAtLineField", nil, map[string]any{"Line": 7, "Field": "kind",
		"Message": msg("ImportUnknownKind", "Value", "kiosk")})
	if len(errorsShown) != 1 || errorsShown[0] != wantErr {
		t.Errorf("import error preview: errors %q, want only %q", errorsShown, wantErr)
	}
	if n := fairGet(t, org, "import error preview: link to line 7", chromedp.Evaluate[int](
		`document.querySelectorAll('.fa-error-list a[href="#line-7"]').length + document.querySelectorAll('tr#line-7.is-bad').length`)); n != 2 {
		t.Errorf("import error preview: line 7 not linked and marked in the table (%d of 2)", n)
	}
	if got := text(org, "import error preview: nothing saved", `.fa-preview .error-summary`); !strings.Contains(got, msg("FairAdminImportNothingSaved")) {
		t.Errorf("import error preview: summary %q does not say nothing was saved", got)
	}
	if n := fairGet(t, org, "import error preview: no confirm button", chromedp.Evaluate[int](
		`document.querySelectorAll('form[action$="/stands/import/confirm"]').length`)); n != 0 {
		t.Errorf("import error preview: a confirm form is offered for a wrong file")
	}
	shot(org, "import-error")
	var standCount int64
	if err := db.Model(&models.Stand{}).Where("fair_id = ?", fair.ID).Count(&standCount).Error; err != nil || standCount != 0 {
		t.Fatalf("import error preview: %d stands in the database (%v), want 0", standCount, err)
	}

	// The corrected file: previewed without errors, confirmed, 40 stands.
	fairStep(t, org, "organizer checks the corrected file",
		chromedp.SetUploadFiles(chromedp.CSS(`#f-import_csv`), []string{journeyStandsCSV(t, "stands.csv", 0)}),
		chromedp.Click(chromedp.CSS(`form[action="`+importURL+`"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="`+importURL+`/confirm"] button[type="submit"]`)),
		pageLoaded,
	)
	ready := live.h.tr.localize("fr", "FairAdminImportReady", 40, map[string]any{"Hall": "Hall principal"})
	if got := text(org, "corrected file: preview", `.fa-preview .flash-success`); got != ready {
		t.Errorf("corrected file: preview says %q, want %q", got, ready)
	}
	if err := db.Model(&models.Stand{}).Where("fair_id = ?", fair.ID).Count(&standCount).Error; err != nil || standCount != 0 {
		t.Fatalf("corrected file: the preview saved %d stands (%v)", standCount, err)
	}
	fairStep(t, org, "organizer confirms the import",
		chromedp.Evaluate[chromedp.Void](staleFlashes), // the preview's own "ready" notice is a flash
		chromedp.Click(chromedp.CSS(`form[action="`+importURL+`/confirm"] button[type="submit"]`)),
	)
	flash(org, "organizer confirms the import", "success", msg("FlashStandsImported"))
	fairStep(t, org, "organizer confirms the import: stands listed", chromedp.WaitVisible(chromedp.CSS(`table.fa-stands`)))
	if n := fairGet(t, org, "organizer confirms the import: rows", chromedp.Evaluate[int](`document.querySelectorAll('table.fa-stands tbody tr').length`)); n != 40 {
		t.Errorf("organizer confirms the import: %d stand rows on the page, want 40", n)
	}
	var stands []models.Stand
	if err := db.Where("fair_id = ?", fair.ID).Order("code").Find(&stands).Error; err != nil || len(stands) != 40 {
		t.Fatalf("organizer confirms the import: %d stands saved (%v), want 40", len(stands), err)
	}
	for _, s := range stands {
		if s.HallID != hall.ID || s.Status != models.StandAvailable || s.WidthCm != 300 || s.DepthCm != 300 {
			t.Fatalf("organizer confirms the import: stand %+v", s)
		}
	}

	// Open the call for applications: draft → open, after the confirmation dialog.
	fairStep(t, org, "organizer opens applications",
		chromedp.Navigate(u(fairAdmin)),
		chromedp.Evaluate[chromedp.Void](staleFlashes),
		chromedp.WaitVisible(chromedp.CSS(`.fa-status form[action="`+fairAdmin+`/status"]:has(input[name="to"][value="open"]) button`)),
		chromedp.Click(chromedp.CSS(`.fa-status form[action="`+fairAdmin+`/status"]:has(input[name="to"][value="open"]) button`)),
	)
	flash(org, "organizer opens applications", "success", msg("FlashFairOpened"))
	fairStep(t, org, "organizer opens applications: status", chromedp.WaitVisible(chromedp.CSS(`.fa-status .status-pill.status-open`)))
	if d := orgDialogs.texts(); len(d) != 1 || d[0] != msg("FairAdminConfirmOpen") {
		t.Errorf("organizer opens applications: confirmations %q, want one %q", d, msg("FairAdminConfirmOpen"))
	}
	if err := db.Where("id = ?", fair.ID).Take(&fair).Error; err != nil || fair.Status != models.FairOpen {
		t.Fatalf("organizer opens applications: status %s (%v), want open", fair.Status, err)
	}

	// ---- 2. Three verified artisans apply from their studio. ----
	applyURL := "/studio/applications/new?fair=" + slug
	for _, a := range []*journeyArtisan{nour, fakhar, arz} {
		who := a.BusinessName
		a.tab = newTab()
		login(a.tab, who, a.email, testPassword)
		fairStep(t, a.tab, who+" finds the open call",
			chromedp.Navigate(u("/studio/applications")),
			chromedp.WaitVisible(chromedp.CSS(`#open-fairs a[href="`+applyURL+`"]`)),
			chromedp.Click(chromedp.CSS(`#open-fairs a[href="`+applyURL+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#f-motivation`)),
			pageLoaded,
		)
		fairStep(t, a.tab, who+" fills the application",
			chromedp.Click(chromedp.CSS(`label[for="kind-standard"]`)),
			chromedp.Click(chromedp.CSS(`label[for="size-9"]`)),
			chromedp.SendKeys(chromedp.CSS(`#f-preferred_zone`), a.zone),
			chromedp.Click(chromedp.CSS(fmt.Sprintf(`label[for="p-%d"]`, a.product.ID))),
			chromedp.SendKeys(chromedp.CSS(`#f-motivation`), "Démonstration de notre savoir-faire sur le stand, pièces uniques de "+a.City+"."),
			chromedp.Click(chromedp.CSS(`form.appl-form button[type="submit"]`)),
		)
		flash(a.tab, who+" applies", "success", msg("FlashApplicationSent"))
		fairStep(t, a.tab, who+" applies: state", chromedp.WaitVisible(chromedp.CSS(`.page-header .status-pill.status-submitted`)))
		if got := text(a.tab, who+" applies: state text", `.page-header .status-pill`); got != msg("ApplStatus_submitted") {
			t.Errorf("%s applies: state %q, want %q", who, got, msg("ApplStatus_submitted"))
		}
		m := studioApplicationURL.FindStringSubmatch(fairGet(t, a.tab, who+" applies: location", chromedp.Location()))
		if m == nil {
			t.Fatalf("%s applies: not on the application's page", who)
		}
		a.appID, _ = strconv.ParseInt(m[1], 10, 64)
		app := appOf(who+" applies", a.appID)
		if app.FairID != fair.ID || app.Status != models.AppSubmitted || app.PreferredKind != "standard" || app.PreferredSizeM2 != 9 || app.PreferredZone != a.zone {
			t.Fatalf("%s applies: saved %+v", who, app)
		}
		var linked int64
		db.Model(&models.ApplicationProduct{}).Where("application_id = ? AND product_id = ?", a.appID, a.product.ID).Count(&linked)
		if linked != 1 {
			t.Errorf("%s applies: product %d not linked to the application", who, a.product.ID)
		}
	}

	// ---- 3. The chamber agents recommend and rank their region's applicants. ----
	rank := func(agentTab context.Context, agentName string, a *journeyArtisan, r int) {
		t.Helper()
		id := strconv.FormatInt(a.appID, 10)
		name := agentName + " ranks " + a.BusinessName + " " + strconv.Itoa(r)
		fairStep(t, agentTab, name,
			chromedp.Navigate(u(fmt.Sprintf("/chamber/applications?fair=%d", fair.ID))),
			chromedp.WaitVisible(chromedp.CSS(`#review-`+id)),
			chromedp.Click(chromedp.CSS(`label[for="rec-`+id+`"]`)),
			chromedp.Clear(chromedp.CSS(`#rank-`+id)),
			chromedp.SendKeys(chromedp.CSS(`#rank-`+id), strconv.Itoa(r)),
			chromedp.Click(chromedp.CSS(`#review-`+id+` button[type="submit"]`)),
		)
		flash(agentTab, name, "success", msg("FlashChamberRecommended", "Name", a.BusinessName, "Rank", strconv.Itoa(r)))
		fairStep(t, agentTab, name+": saved", chromedp.WaitVisible(chromedp.CSS(`#row-`+id+` .rank-badge`)))
		if got := text(agentTab, name+": rank shown", `#row-`+id+` .rank-badge`); got != strconv.Itoa(r) {
			t.Errorf("%s: rank shown %q", name, got)
		}
		if got := text(agentTab, name+": state shown", `#row-`+id+` .status-pill`); got != msg("ApplStatus_chamber_reviewed") {
			t.Errorf("%s: state shown %q, want %q", name, got, msg("ApplStatus_chamber_reviewed"))
		}
		app := appOf(name, a.appID)
		if app.Status != models.AppChamberReviewed || app.ChamberRecommended == nil || !*app.ChamberRecommended ||
			app.ChamberRank == nil || *app.ChamberRank != r {
			t.Fatalf("%s: saved status %s, recommended %v, rank %v", name, app.Status, app.ChamberRecommended, app.ChamberRank)
		}
	}
	fmTab := newTab()
	login(fmTab, "Fès-Meknès agent", agentFM.Email, testPassword)
	fairStep(t, fmTab, "Fès-Meknès agent opens the applications",
		chromedp.Navigate(u(fmt.Sprintf("/chamber/applications?fair=%d", fair.ID))),
		chromedp.WaitVisible(chromedp.CSS(`.chamber-appl-table`)),
	)
	fmRows := fairGet(t, fmTab, "Fès-Meknès agent: rows", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('.chamber-appl-table a.row-link')).map(a => a.textContent.trim()).sort()`))
	if strings.Join(fmRows, "|") != "Atelier Nour|Dar Fakhar" {
		t.Errorf("Fès-Meknès agent sees %q, want the region's two applicants only", fmRows)
	}
	rank(fmTab, "Fès-Meknès agent", nour, 1)
	rank(fmTab, "Fès-Meknès agent", fakhar, 2)
	if app := appOf("Fès-Meknès ranking", nour.appID); app.ChamberRank == nil || *app.ChamberRank != 1 {
		t.Errorf("Fès-Meknès ranking: Atelier Nour's rank moved to %v", app.ChamberRank)
	}
	msTab := newTab()
	login(msTab, "Marrakech-Safi agent", agentMS.Email, testPassword)
	fairStep(t, msTab, "Marrakech-Safi agent opens the applications",
		chromedp.Navigate(u(fmt.Sprintf("/chamber/applications?fair=%d", fair.ID))),
		chromedp.WaitVisible(chromedp.CSS(`.chamber-appl-table`)),
	)
	msRows := fairGet(t, msTab, "Marrakech-Safi agent: rows", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('.chamber-appl-table a.row-link')).map(a => a.textContent.trim())`))
	if strings.Join(msRows, "|") != "Bois d'Arz" {
		t.Errorf("Marrakech-Safi agent sees %q, want the region's one applicant only", msRows)
	}
	rank(msTab, "Marrakech-Safi agent", arz, 1)

	// ---- 4. The organizer accepts two, waitlists one, runs and applies the auto-allocation. ----
	reviewList := fairAdmin + "/applications"
	decide := func(a *journeyArtisan, decision, reason, flashID string, want models.ApplicationStatus) {
		t.Helper()
		name := "organizer decides " + decision + " on " + a.BusinessName
		appURL := fmt.Sprintf("%s/%d", reviewList, a.appID)
		fairStep(t, org, name,
			chromedp.Navigate(u(reviewList)),
			chromedp.WaitVisible(chromedp.CSS(`a.rv-name[href="`+appURL+`"]`)),
			chromedp.Click(chromedp.CSS(`a.rv-name[href="`+appURL+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`button[name="decision"][value="`+decision+`"]`)),
			pageLoaded,
		)
		if reason != "" {
			fairStep(t, org, name+": reason", chromedp.SendKeys(chromedp.CSS(`#f-note`), reason))
		}
		fairStep(t, org, name+": click",
			chromedp.Click(chromedp.CSS(`button[name="decision"][value="`+decision+`"]`)),
		)
		flash(org, name, "success", msg(flashID))
		fairStep(t, org, name+": state", chromedp.WaitVisible(chromedp.CSS(`.page-header .status-pill.status-`+string(want))))
		app := appOf(name, a.appID)
		if app.Status != want || app.DecisionNote != reason {
			t.Fatalf("%s: saved status %s with reason %q, want %s with %q", name, app.Status, app.DecisionNote, want, reason)
		}
	}
	fairStep(t, org, "organizer opens the applications",
		chromedp.Navigate(u(fairAdmin)),
		chromedp.WaitVisible(chromedp.CSS(`.fa-links a[href="`+reviewList+`"]`)),
		chromedp.Click(chromedp.CSS(`.fa-links a[href="`+reviewList+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.rv-table`)),
		pageLoaded,
	)
	if n := fairGet(t, org, "organizer opens the applications: rows", chromedp.Evaluate[int](`document.querySelectorAll('table.rv-table tbody tr').length`)); n != 3 {
		t.Errorf("organizer opens the applications: %d rows, want 3", n)
	}
	waitReason := "Le quota de stands de la région est atteint ; vous êtes le premier sur la liste d'attente."
	decide(nour, "accept", "", "FlashReviewAccepted", models.AppAccepted)
	decide(arz, "accept", "", "FlashReviewAccepted", models.AppAccepted)
	decide(fakhar, "waitlist", waitReason, "FlashReviewWaitlisted", models.AppWaitlisted)
	if app := appOf("waitlist", fakhar.appID); app.WaitlistPosition == nil || *app.WaitlistPosition != 1 {
		t.Errorf("waitlist: position %v, want 1", app.WaitlistPosition)
	}

	allocURL := fairAdmin + "/allocation"
	fairStep(t, org, "organizer opens the allocation",
		chromedp.Navigate(u(reviewList)),
		chromedp.WaitVisible(chromedp.CSS(`.rv-links a[href="`+allocURL+`"]`)),
		chromedp.Click(chromedp.CSS(`.rv-links a[href="`+allocURL+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#proposal form[action="`+allocURL+`/propose"] button`)),
		pageLoaded,
	)
	fairStep(t, org, "organizer asks for a proposal",
		chromedp.Evaluate[chromedp.Void](staleFlashes),
		chromedp.Click(chromedp.CSS(`#proposal form[action="`+allocURL+`/propose"] button`)),
	)
	flash(org, "organizer asks for a proposal", "info", msg("FlashProposalReady", "Assigned", "2", "Unplaced", "0"))
	fairStep(t, org, "proposal drawn on the plan", chromedp.WaitVisible(chromedp.CSS(`svg .plan-stand.status-proposed`)))
	type proposed struct {
		Code  string `json:"code"`
		Title string `json:"title"`
	}
	onPlan := fairGet(t, org, "proposal drawn on the plan: stands", chromedp.Evaluate[[]proposed](
		`Array.from(document.querySelectorAll('svg .plan-stand.status-proposed')).map(s => ({code: s.dataset.standCode, title: s.querySelector('title').textContent}))`))
	proposedTo := map[string]string{} // business name → proposed stand code
	for _, p := range onPlan {
		for _, a := range []*journeyArtisan{nour, arz, fakhar} {
			if strings.Contains(p.Title, a.BusinessName) {
				proposedTo[a.BusinessName] = p.Code
			}
		}
	}
	if len(onPlan) != 2 || proposedTo[nour.BusinessName] == "" || proposedTo[arz.BusinessName] == "" {
		t.Fatalf("proposal drawn on the plan: %+v, want the two accepted artisans", onPlan)
	}
	reasons := fairGet(t, org, "proposal reasons", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('#proposal table.alloc-proposal-table tbody tr')).map(r => r.textContent.replace(/\s+/g, ' ').trim())`))
	if len(reasons) != 2 {
		t.Errorf("proposal reasons: %d lines, want 2: %q", len(reasons), reasons)
	}
	for _, r := range reasons {
		if !strings.HasSuffix(r, msg("AllocReason_kind_zone")) {
			t.Errorf("proposal reasons: line %q, want the reason %q", r, msg("AllocReason_kind_zone"))
		}
	}
	shot(org, "proposal")
	fairStep(t, org, "organizer applies the proposal",
		chromedp.Evaluate[chromedp.Void](staleFlashes),
		chromedp.Click(chromedp.CSS(`#proposal form[action="`+allocURL+`/apply"] button`)),
	)
	flash(org, "organizer applies the proposal", "success", msg("FlashProposalApplied", "Applied", "2", "Skipped", "0"))
	fairStep(t, org, "organizer applies the proposal: plan", chromedp.WaitVisible(chromedp.CSS(`svg .plan-stand.status-assigned`)))
	if n := fairGet(t, org, "organizer applies the proposal: stands", chromedp.Evaluate[[]int](
		`[document.querySelectorAll('svg .plan-stand.status-assigned').length, document.querySelectorAll('svg .plan-stand.status-proposed').length]`)); n[0] != 2 || n[1] != 0 {
		t.Errorf("organizer applies the proposal: %d assigned and %d proposed stands on the plan, want 2 and 0", n[0], n[1])
	}
	standCodes := map[string]string{} // business name → assigned stand code, from the database
	for _, a := range []*journeyArtisan{nour, arz} {
		app := appOf("organizer applies the proposal", a.appID)
		if app.StandID == nil {
			t.Fatalf("organizer applies the proposal: %s has no stand", a.BusinessName)
		}
		var s models.Stand
		if err := db.Where("id = ?", *app.StandID).Take(&s).Error; err != nil || s.Status != models.StandAssigned || s.FairID != fair.ID {
			t.Fatalf("organizer applies the proposal: stand of %s: %+v (%v)", a.BusinessName, s, err)
		}
		if s.Zone != a.zone || s.Kind != models.StandStandard {
			t.Errorf("organizer applies the proposal: %s got %s in zone %s (%s), asked for a standard stand in %s", a.BusinessName, s.Code, s.Zone, s.Kind, a.zone)
		}
		if s.Code != proposedTo[a.BusinessName] {
			t.Errorf("organizer applies the proposal: %s got %s, the plan proposed %s", a.BusinessName, s.Code, proposedTo[a.BusinessName])
		}
		standCodes[a.BusinessName] = s.Code
	}
	if app := appOf("organizer applies the proposal", fakhar.appID); app.StandID != nil {
		t.Errorf("organizer applies the proposal: the waitlisted artisan got a stand")
	}

	// ---- 5. An anonymous visitor sees the two artisans at their stands on the public plan. ----
	visitor := newTab()
	planPath := "/fairs/" + slug + "/plan"
	fairStep(t, visitor, "visitor opens the public plan",
		chromedp.Navigate(u(planPath+"?lang=fr")),
		chromedp.WaitVisible(chromedp.CSS(`svg.plan-svg`)),
		pageLoaded,
	)
	for _, a := range []*journeyArtisan{nour, arz} {
		code := standCodes[a.BusinessName]
		sel := fmt.Sprintf(`a.plan-stand[data-stand-code="%s"]`, code)
		name := "public plan: " + a.BusinessName + " at " + code
		fairStep(t, visitor, name, chromedp.WaitVisible(chromedp.CSS(sel)))
		if got := fairGet(t, visitor, name+": text", chromedp.TextContent(chromedp.CSS(sel))); !strings.Contains(got, a.BusinessName) {
			t.Errorf("%s: stand shows %q", name, got)
		}
		if href := fairGet(t, visitor, name+": link", chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).getAttribute('href')`, sel))); href != "/fairs/"+slug+"/stands/"+code {
			t.Errorf("%s: links to %q", name, href)
		}
	}
	if n := fairGet(t, visitor, "public plan: occupied stands", chromedp.Evaluate[int](`document.querySelectorAll('svg .plan-stand.plan-occupied').length`)); n != 2 {
		t.Errorf("public plan: %d occupied stands, want 2", n)
	}
	if main := fairGet(t, visitor, "public plan: page text", chromedp.TextContent(chromedp.CSS(`#main`))); strings.Contains(main, fakhar.BusinessName) {
		t.Errorf("public plan: the waitlisted %s is shown", fakhar.BusinessName)
	}
	shot(visitor, "public-plan")
	// The stand's link leads to the artisan's stand page.
	first := standCodes[nour.BusinessName]
	fairStep(t, visitor, "visitor opens a stand",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a.plan-stand[data-stand-code="%s"]`, first))),
		chromedp.WaitVisible(chromedp.CSS(`#main h1`)),
	)
	if loc := fairGet(t, visitor, "visitor opens a stand: location", chromedp.Location()); loc != u("/fairs/"+slug+"/stands/"+first) {
		t.Errorf("visitor opens a stand: at %s", loc)
	}
	if got := fairGet(t, visitor, "visitor opens a stand: text", chromedp.TextContent(chromedp.CSS(`#main`))); !strings.Contains(got, nour.BusinessName) {
		t.Errorf("visitor opens a stand: the page does not name %s", nour.BusinessName)
	}

	// ---- 6. An accepted artisan withdraws. ----
	arzApp := applicationPath(arz.appID)
	fairStep(t, arz.tab, "Bois d'Arz withdraws",
		chromedp.Navigate(u(arzApp)),
		chromedp.WaitVisible(chromedp.CSS(`#withdraw form[action="`+arzApp+`/withdraw"]`)),
		chromedp.Click(chromedp.CSS(`label[for="f-confirm"]`)),
		chromedp.Click(chromedp.CSS(`#withdraw form[action="`+arzApp+`/withdraw"] button[type="submit"]`)),
	)
	flash(arz.tab, "Bois d'Arz withdraws", "success", msg("FlashApplicationWithdrawn"))
	fairStep(t, arz.tab, "Bois d'Arz withdraws: state", chromedp.WaitVisible(chromedp.CSS(`.page-header .status-pill.status-withdrawn`)))
	if app := appOf("Bois d'Arz withdraws", arz.appID); app.Status != models.AppWithdrawn || app.StandID != nil {
		t.Fatalf("Bois d'Arz withdraws: status %s, stand %v", app.Status, app.StandID)
	}
	var freed models.Stand
	if err := db.Where("fair_id = ? AND code = ?", fair.ID, standCodes[arz.BusinessName]).Take(&freed).Error; err != nil || freed.Status == models.StandAssigned {
		t.Errorf("Bois d'Arz withdraws: stand %s still %s (%v)", freed.Code, freed.Status, err)
	}

	// ---- 7. The waitlisted artisan is offered the place, with a deadline, and takes it. ----
	offered := appOf("offer", fakhar.appID)
	if offered.Status != models.AppOffered || offered.OfferExpiresAt == nil || !offered.OfferExpiresAt.After(time.Now()) {
		t.Fatalf("offer: the waitlisted application is %s, deadline %v", offered.Status, offered.OfferExpiresAt)
	}
	fakharApp := applicationPath(fakhar.appID)
	card := `.appl-card.is-offer:has(a[href="` + fakharApp + `"])`
	fairStep(t, fakhar.tab, "Dar Fakhar sees the offer",
		chromedp.Navigate(u("/studio/applications")),
		chromedp.WaitVisible(chromedp.CSS(card)),
		pageLoaded,
	)
	if got := text(fakhar.tab, "Dar Fakhar sees the offer: state", card+` .status-pill`); got != msg("ApplStatus_offered") {
		t.Errorf("Dar Fakhar sees the offer: state %q, want %q", got, msg("ApplStatus_offered"))
	}
	deadline := text(fakhar.tab, "Dar Fakhar sees the offer: deadline", card+` .appl-deadline`)
	if local := offered.OfferExpiresAt.In(brussels); !strings.Contains(deadline, local.Format("15:04")) || !strings.Contains(deadline, strconv.Itoa(local.Year())) {
		t.Errorf("Dar Fakhar sees the offer: deadline %q does not give %s", deadline, local.Format("2006-01-02 15:04"))
	}
	fairStep(t, fakhar.tab, "Dar Fakhar opens the offer",
		chromedp.Click(chromedp.CSS(card+` .appl-card-actions a[href="`+fakharApp+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#offer form[action="`+fakharApp+`/accept-offer"] button`)),
		pageLoaded,
	)
	if got := text(fakhar.tab, "Dar Fakhar opens the offer: text", `#offer`); !strings.Contains(got, offerClock(offered.OfferExpiresAt, brussels)) {
		t.Errorf("Dar Fakhar opens the offer: %q does not give the deadline", got)
	}
	fairStep(t, fakhar.tab, "Dar Fakhar accepts the place",
		chromedp.Evaluate[chromedp.Void](staleFlashes),
		chromedp.Click(chromedp.CSS(`#offer form[action="`+fakharApp+`/accept-offer"] button`)),
	)
	flash(fakhar.tab, "Dar Fakhar accepts the place", "success", msg("FlashOfferAccepted"))
	fairStep(t, fakhar.tab, "Dar Fakhar accepts the place: state", chromedp.WaitVisible(chromedp.CSS(`.page-header .status-pill.status-accepted`)))
	if app := appOf("Dar Fakhar accepts the place", fakhar.appID); app.Status != models.AppAccepted {
		t.Fatalf("Dar Fakhar accepts the place: status %s", app.Status)
	}
}

// offerClock is the hour and minute of a deadline in loc, as the pages write it.
func offerClock(t *time.Time, loc *time.Location) string { return t.In(loc).Format("15:04") }
