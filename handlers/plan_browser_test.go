package handlers

// The floor plan in headless Chromium: the organizers' and the visitors' views render one
// element per stand (screenshots taken; written to $SOUK_SCREENSHOTS_DIR when set), a visitor
// reaches a stand page by clicking the plan, the Arabic page mirrors its layout but not the
// plan, a phone keeps the plan readable, and the stand sign prints on one A4 page.

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/soukexpo/souk/models"
	"gorm.io/gorm"
)

// addPlanHall draws a second, busier hall (3 rows of 8 stands and an island) and gives some of
// its stands to the seeded demo artisans; it returns how many stands and exhibitors it added.
func addPlanHall(t *testing.T, db *gorm.DB, f models.Fair) (stands, exhibitors int) {
	t.Helper()
	hall := models.Hall{FairID: f.ID, Name: "Hall Andalous", WidthCm: 3200, DepthCm: 2000, Position: 1}
	if err := db.Create(&hall).Error; err != nil {
		t.Fatal(err)
	}
	var artisans []models.Artisan
	if err := db.Where("status = ?", models.ArtisanVerified).Order("id").Limit(7).Find(&artisans).Error; err != nil {
		t.Fatal(err)
	}
	var all []models.Stand
	for row, y := range []int{100, 500, 1500} {
		for i := range 8 {
			all = append(all, models.Stand{Code: fmt.Sprintf("%c%d", 'C'+row, i+1), XCm: 200 + i*350, YCm: y, WidthCm: 350, DepthCm: 300})
		}
	}
	all = append(all, models.Stand{Code: "ILOT", Kind: models.StandIsland, XCm: 1200, YCm: 950, WidthCm: 800, DepthCm: 400})
	for i := range all {
		s := &all[i]
		s.FairID, s.HallID, s.Zone, s.PriceCents, s.Status = f.ID, hall.ID, "Sud", 90000, models.StandAvailable
		if s.Kind == "" {
			s.Kind = models.StandStandard
		}
		switch i % 6 {
		case 2:
			s.Status = models.StandHeld
		case 5:
			s.Status = models.StandBlocked
		}
		if err := db.Create(s).Error; err != nil {
			t.Fatal(err)
		}
	}
	for i, a := range artisans {
		s := all[[]int{0, 1, 3, 7, 9, 16, 24}[i]]
		app := models.Application{FairID: f.ID, ArtisanID: a.ID, Status: models.AppAccepted, StandID: &s.ID, SubmittedAt: time.Now(), FeeState: models.FeeDue}
		if err := db.Create(&app).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Model(&models.Stand{}).Where("id = ?", s.ID).Update("status", models.StandAssigned).Error; err != nil {
			t.Fatal(err)
		}
	}
	return len(all), len(artisans)
}

// pdfPage matches one page object of a PDF (not the /Pages tree nodes).
var pdfPage = regexp.MustCompile(`/Type\s*/Page[^s]`)

func TestBrowserPlan(t *testing.T) {
	browser := newBrowser(t) // skips (or fails under SOUK_REQUIRE_SERVICES=1) without TEST_CHROMIUM
	live := startLiveApp(t)
	fx := newPlanFixture(t, live.db, "plan-live", models.FairOpen)
	more, exhibitors := addPlanHall(t, live.db, fx.fair)
	total, occupied := len(fx.stands)+more, 1+exhibitors
	ctx, cancel := context.WithTimeout(browser, 3*time.Minute)
	defer cancel()
	planURL := live.url + "/fairs/plan-live/plan"
	shots := os.Getenv("SOUK_SCREENSHOTS_DIR")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// screenshot captures the whole page (the viewport grown to it) and writes it when asked.
	screenshot := func(tab context.Context, name string, width int64, mobile bool) {
		t.Helper()
		h := get(t, tab, name, chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
		step(t, tab, name, viewport(width, max(h, 700), mobile))
		img := get(t, tab, name, chromedp.CaptureScreenshot())
		step(t, tab, name, viewport(width, 900, mobile))
		if cfg, err := png.DecodeConfig(bytes.NewReader(img)); err != nil || cfg.Width < int(width) {
			t.Fatalf("screenshot %s: %v (%d px wide)", name, err, cfg.Width)
		}
		if shots != "" {
			if err := os.WriteFile(filepath.Join(shots, "plan-"+name+".png"), img, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	count := func(tab context.Context, what, selector string) int64 {
		t.Helper()
		return get(t, tab, what, chromedp.Evaluate[int64](fmt.Sprintf(`document.querySelectorAll(%q).length`, selector)))
	}

	anon, cancelAnon := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelAnon()
	step(t, anon, "visitor opens the plan", chromedp.Navigate(planURL+"?lang=fr"), chromedp.WaitVisible(chromedp.CSS(`.plan-svg`)))
	if n := count(anon, "visitor stands", `[data-stand-code]`); n != int64(total) {
		t.Errorf("visitor view draws %d stand elements, want %d", n, total)
	}
	if n := count(anon, "visitor links", `a.plan-stand[href]`); n != int64(occupied) {
		t.Errorf("visitor view has %d clickable stands, want the %d occupied ones", n, occupied)
	}
	if n := count(anon, "halls", `svg.plan-svg`); n != 2 {
		t.Errorf("%d plan svgs, want one per hall", n)
	}
	drawn := get(t, anon, "stand boxes", chromedp.Evaluate[int64](`[...document.querySelectorAll('.plan-stand-box')].filter(r => { const b = r.getBoundingClientRect(); return b.width > 20 && b.height > 20 }).length`))
	if drawn != int64(total) {
		t.Errorf("%d stand rectangles are drawn at a visible size, want %d", drawn, total)
	}
	// Keyboard: Tab reaches the first exhibitor's stand, and the focus is drawn around it.
	focused := ""
	for range 40 {
		step(t, anon, "tab", chromedp.KeyEvent("\t"))
		if focused = get(t, anon, "focus", chromedp.Evaluate[string](`document.activeElement.closest('a.plan-stand')?.dataset.standCode ?? ''`)); focused != "" {
			break
		}
	}
	if focused != "A1" {
		t.Errorf("Tab reaches stand %q first, want A1", focused)
	} else if w := get(t, anon, "focus ring", chromedp.Evaluate[string](`getComputedStyle(document.activeElement.querySelector('.plan-stand-box')).strokeWidth`)); w != "5px" {
		t.Errorf("the focused stand's outline is %s wide: focus not visible", w)
	}
	screenshot(anon, "visitor-fr-1280", 1280, false)

	// Geometry in French, to compare with Arabic: A1's offset inside its svg.
	offset := `(() => { const s = document.querySelector('.plan-svg').getBoundingClientRect(); const r = document.querySelector('[data-stand-code="A1"] .plan-stand-box').getBoundingClientRect(); return Math.round(r.left - s.left) + ',' + Math.round(r.top - s.top) })()`
	frOffset := get(t, anon, "A1 offset", chromedp.Evaluate[string](offset))

	step(t, anon, "visitor clicks an exhibitor's stand",
		chromedp.Click(chromedp.CSS(`a.plan-stand[data-stand-code="A1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.stand-title`)),
	)
	if loc := get(t, anon, "location", chromedp.Location()); loc != live.url+"/fairs/plan-live/stands/A1" {
		t.Errorf("clicking A1 leads to %s", loc)
	}
	if got := get(t, anon, "exhibitor", chromedp.Text(chromedp.CSS(`.stand-exhibitor-name`))); !strings.Contains(got, planArtisanName) {
		t.Errorf("stand page names %q, want %q", got, planArtisanName)
	}
	if shots != "" {
		screenshot(anon, "stand-fr-1280", 1280, false)
	}

	// Arabic: the page is right-to-left, the plan keeps its geometry.
	step(t, anon, "visitor opens the Arabic plan", chromedp.Navigate(planURL+"?lang=ar"), chromedp.WaitVisible(chromedp.CSS(`html[dir="rtl"] .plan-svg`)))
	if dir := get(t, anon, "svg direction", chromedp.Evaluate[string](`getComputedStyle(document.querySelector('.plan-svg')).direction`)); dir != "ltr" {
		t.Errorf("the Arabic plan's svg has direction %q, want ltr", dir)
	}
	if arOffset := get(t, anon, "A1 offset", chromedp.Evaluate[string](offset)); arOffset != frOffset {
		t.Errorf("A1 sits at %s in the Arabic plan, %s in French: the geometry must not mirror", arOffset, frOffset)
	}
	screenshot(anon, "visitor-ar-1280", 1280, false)

	// A phone: the page never scrolls sideways (the plan scrolls in its own box) and the
	// stand codes and names stay readable.
	step(t, anon, "phone", viewport(390, 844, true), chromedp.Navigate(planURL+"?lang=fr"), chromedp.WaitVisible(chromedp.CSS(`.plan-svg`)))
	if w := get(t, anon, "page width", chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); w > 390 {
		t.Errorf("on a 390 px phone the page is %d px wide", w)
	}
	for _, sel := range []string{`[data-stand-code="A1"] .plan-stand-code`, `[data-stand-code="A1"] .plan-stand-label`} {
		h := get(t, anon, "text size", chromedp.Evaluate[float64](fmt.Sprintf(`document.querySelector(%q).getBoundingClientRect().height`, sel)))
		if h < 10 {
			t.Errorf("on a phone %s is %.1f px tall: unreadable", sel, h)
		}
	}
	screenshot(anon, "visitor-fr-390", 390, true)
	if shots != "" {
		step(t, anon, "phone ar", chromedp.Navigate(planURL+"?lang=ar"), chromedp.WaitVisible(chromedp.CSS(`.plan-svg`)))
		screenshot(anon, "visitor-ar-390", 390, true)
		step(t, anon, "phone stand", chromedp.Navigate(live.url+"/fairs/plan-live/stands/A1?lang=ar"), chromedp.WaitVisible(chromedp.CSS(`.stand-title`)))
		screenshot(anon, "stand-ar-390", 390, true)
		step(t, anon, "phone sign", chromedp.Navigate(live.url+"/fairs/plan-live/stands/A1/sign?lang=fr"), chromedp.WaitVisible(chromedp.CSS(`.stand-sign`)))
		screenshot(anon, "sign-fr-390", 390, true)
	}

	// The organizer sees every stand by status, with the legend.
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
	step(t, org, "organizer opens the plan", chromedp.Navigate(planURL+"?lang=fr"), chromedp.WaitVisible(chromedp.CSS(`.plan-legend`)))
	if n := count(org, "organizer stands", `[data-stand-code]`); n != int64(total) {
		t.Errorf("organizer view draws %d stand elements, want %d", n, total)
	}
	var byStatus int64
	for _, st := range models.StandStatuses {
		byStatus += count(org, "status "+string(st), `.plan-stand.status-`+string(st))
	}
	if byStatus != int64(total) {
		t.Errorf("%d stands carry a status class, want all %d", byStatus, total)
	}
	if n := count(org, "assigned", `.plan-stand.status-assigned`); n != int64(occupied) {
		t.Errorf("%d stands drawn as assigned, want %d", n, occupied)
	}
	if n := count(org, "legend", `.plan-legend li`); n != int64(len(models.StandStatuses)) {
		t.Errorf("legend has %d entries, want one per status", n)
	}
	screenshot(org, "organizer-fr-1280", 1280, false)
	if shots != "" {
		step(t, org, "organizer ar", chromedp.Navigate(planURL+"?lang=ar"), chromedp.WaitVisible(chromedp.CSS(`.plan-legend`)))
		screenshot(org, "organizer-ar-1280", 1280, false)
		step(t, org, "organizer phone", viewport(390, 844, true), chromedp.Navigate(planURL+"?lang=fr"), chromedp.WaitVisible(chromedp.CSS(`.plan-legend`)))
		screenshot(org, "organizer-fr-390", 390, true)
	}

	// The sign prints on one A4 page (Chromium's own print to PDF, as an organizer would).
	for _, code := range []string{"A1", "B2"} {
		pdf := printPDF(t, live.url+"/fairs/plan-live/stands/"+code+"/sign")
		if n := len(pdfPage.FindAll(pdf, -1)); n != 1 {
			t.Errorf("sign of %s prints on %d pages, want 1", code, n)
		}
		box := regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]`).FindSubmatch(pdf)
		if box == nil {
			t.Fatalf("sign of %s: no MediaBox in the PDF", code)
		}
		w, _ := strconv.ParseFloat(string(box[1]), 64)
		h, _ := strconv.ParseFloat(string(box[2]), 64)
		if math.Abs(w-595.3) > 1.5 || math.Abs(h-841.9) > 1.5 {
			t.Errorf("sign of %s is printed on %.1f × %.1f pt, want A4 (595.3 × 841.9 pt)", code, w, h)
		}
		if shots != "" {
			if err := os.WriteFile(filepath.Join(shots, "plan-sign-"+code+".pdf"), pdf, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// viewport sets the window size (a touch phone when mobile).
func viewport(width, height int64, mobile bool) chromedp.Action[chromedp.Void] {
	if mobile {
		return chromedp.EmulateViewport(width, height, chromedp.EmulateMobile, chromedp.EmulatePortrait, chromedp.EmulateTouch)
	}
	return chromedp.EmulateViewport(width, height)
}

// printPDF prints a page to PDF with the headless Chromium of TEST_CHROMIUM, the way a browser
// prints it: no header or footer, the page size of the page's CSS.
func printPDF(t *testing.T, url string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "print.pdf")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Getenv("TEST_CHROMIUM"), "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--disable-dev-shm-usage", "--user-data-dir="+t.TempDir(), "--no-pdf-header-footer", "--print-to-pdf="+out, url)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("print %s to PDF: %v\n%s", url, err, msg)
	}
	pdf, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("read PDF: %v", err)
	}
	return pdf
}
