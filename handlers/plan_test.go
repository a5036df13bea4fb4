package handlers

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skip2/go-qrcode"
	"github.com/soukexpo/souk/models"
	"gorm.io/gorm"
)

// planFixture is a fair laid out for plan tests: one 24 × 12 m hall with eight 3 × 3 m stands
// A1…A4 (front row) and B1…B4 (back row) in every status; A1 is held by an accepted
// application of a verified artisan whose name needs escaping, listing one published piece.
type planFixture struct {
	fair     models.Fair
	hall     models.Hall
	stands   []models.Stand
	artisan  models.Artisan
	listed   models.Product
	unlisted models.Product
}

// planArtisanName has every character an SVG or HTML page must escape.
const planArtisanName = `Atelier <Zellige> & Fils "Fès"`

func newPlanFixture(t testing.TB, db *gorm.DB, slug string, status models.FairStatus) planFixture {
	t.Helper()
	ctx := context.Background()
	var fx planFixture
	start := time.Now().AddDate(0, 2, 0).Truncate(24 * time.Hour)
	fx.fair = models.Fair{Slug: slug, Name: "Salon plan " + slug, City: "Bruxelles", Country: "BE", StartsOn: start,
		EndsOn: start.AddDate(0, 0, 2), Timezone: "Europe/Brussels", Status: status}
	if err := db.WithContext(ctx).Create(&fx.fair).Error; err != nil {
		t.Fatalf("create fair: %v", err)
	}
	fx.hall = models.Hall{FairID: fx.fair.ID, Name: "Hall Atlas", WidthCm: 2400, DepthCm: 1200}
	if err := db.WithContext(ctx).Create(&fx.hall).Error; err != nil {
		t.Fatalf("create hall: %v", err)
	}
	statuses := []models.StandStatus{models.StandAvailable, models.StandAvailable, models.StandHeld, models.StandBlocked}
	for row, letter := range []string{"A", "B"} {
		for i := range 4 {
			s := models.Stand{FairID: fx.fair.ID, HallID: fx.hall.ID, Code: fmt.Sprintf("%s%d", letter, i+1), Zone: "Nord",
				Kind: models.StandStandard, XCm: 200 + i*500, YCm: 200 + row*500, WidthCm: 300, DepthCm: 300,
				PriceCents: 85000, Status: statuses[i]}
			if i == 0 {
				s.Kind = models.StandCorner
			}
			if err := db.WithContext(ctx).Create(&s).Error; err != nil {
				t.Fatalf("create stand: %v", err)
			}
			fx.stands = append(fx.stands, s)
		}
	}
	u, err := models.CreateUser(ctx, db, models.NewUser{Email: "plan-" + slug + "@example.ma", Name: "Artisan plan",
		Password: testPassword, Role: models.RoleArtisan})
	if err != nil {
		t.Fatal(err)
	}
	fx.artisan, err = models.SaveArtisanProfile(ctx, db, u.ID, models.ArtisanProfileInput{
		BusinessName: planArtisanName, Kind: "cooperative", RegionCode: "FM", CraftCode: "zellige", City: "Fès",
		BioFR: "Zellige taillé à la main.", RegistryNumber: "FM-2021-" + strconv.Itoa(100000+int(fx.fair.ID)), CardNumber: fmt.Sprintf("PLANCARD%04d", fx.fair.ID),
	})
	if err != nil {
		t.Fatalf("save profile: %v", err)
	}
	if err := db.WithContext(ctx).Model(&models.Artisan{}).Where("id = ?", fx.artisan.ID).Update("status", models.ArtisanVerified).Error; err != nil {
		t.Fatal(err)
	}
	fx.artisan.Status = models.ArtisanVerified
	product := func(title string) models.Product {
		p, err := models.CreateProduct(ctx, db, fx.artisan.ID, models.ProductInput{TitleFR: title, TitleAR: "زليج " + title,
			CraftCode: "zellige", PriceCents: 12000, Stock: 3, PickupAtFair: true})
		if err != nil {
			t.Fatalf("create product: %v", err)
		}
		if _, err := models.AddPhoto(ctx, db, fx.artisan.ID, p.ID, models.Photo{KeyBase: fmt.Sprintf("img/plan-%d", p.ID), Width: 800, Height: 800, Variants: "320,800"}); err != nil {
			t.Fatal(err)
		}
		if err := models.SetProductStatus(ctx, db, fx.artisan.ID, p.ID, models.ProductPublished); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fx.listed = product("Fontaine murale étoilée")
	fx.unlisted = product("Table basse non exposée")
	// Assignment is written directly, the way the allocation code leaves the rows.
	a1 := &fx.stands[0]
	app := models.Application{FairID: fx.fair.ID, ArtisanID: fx.artisan.ID, Status: models.AppAccepted, StandID: &a1.ID,
		SubmittedAt: time.Now(), FeeState: models.FeeDue}
	if err := db.WithContext(ctx).Create(&app).Error; err != nil {
		t.Fatalf("create application: %v", err)
	}
	if err := db.WithContext(ctx).Create(&models.ApplicationProduct{ApplicationID: app.ID, ProductID: fx.listed.ID}).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.WithContext(ctx).Model(&models.Stand{}).Where("id = ?", a1.ID).Update("status", models.StandAssigned).Error; err != nil {
		t.Fatal(err)
	}
	a1.Status = models.StandAssigned
	return fx
}

var (
	htmlTag    = regexp.MustCompile(`<[^>]*>`)
	whitespace = regexp.MustCompile(`\s+`)
)

// planText is the text a browser shows: tags dropped, entities decoded, spaces collapsed.
func planText(body string) string {
	return whitespace.ReplaceAllString(html.UnescapeString(htmlTag.ReplaceAllString(body, " ")), " ")
}

var svgElement = regexp.MustCompile(`(?s)<svg class="plan-svg".*?</svg>`)

// planSVGs returns the plan SVGs of a page, failing unless each is well-formed XML.
func planSVGs(t *testing.T, body string) []string {
	t.Helper()
	svgs := svgElement.FindAllString(body, -1)
	if len(svgs) == 0 {
		t.Fatalf("no plan svg in the page: %.500s", body)
	}
	for _, svg := range svgs {
		d := xml.NewDecoder(strings.NewReader(svg))
		d.Strict = true
		for {
			_, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("plan svg is not well-formed XML: %v\n%s", err, svg)
			}
		}
	}
	return svgs
}

// standElements maps each stand code of the SVG to its element (a link or a group).
type svgStand struct {
	Tag, Class, Href, Label string
	Texts                   []string
}

func parseStands(t *testing.T, svg string) map[string]svgStand {
	t.Helper()
	out := map[string]svgStand{}
	d := xml.NewDecoder(strings.NewReader(svg))
	var cur *svgStand
	var code string
	depth, inText := 0, false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			attr := map[string]string{}
			for _, a := range el.Attr {
				attr[a.Name.Local] = a.Value
			}
			if c, ok := attr["data-stand-code"]; ok {
				if _, dup := out[c]; dup {
					t.Errorf("stand %s drawn twice", c)
				}
				code, cur, depth = c, &svgStand{Tag: el.Name.Local, Class: attr["class"], Href: attr["href"], Label: attr["aria-label"]}, 0
			}
			if cur != nil {
				depth++
				inText = el.Name.Local == "text"
			}
		case xml.CharData:
			if cur != nil && inText {
				cur.Texts = append(cur.Texts, string(el))
			}
		case xml.EndElement:
			inText = false
			if cur != nil {
				depth--
				if depth == 0 {
					out[code] = *cur
					cur = nil
				}
			}
		}
	}
}

func TestFairPlanVisitorView(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		a := newTestApp(t, db)
		fx := newPlanFixture(t, db, "plan-visitor", models.FairOpen)
		resp, body := a.client().get("/fairs/plan-visitor/plan")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("plan: %d %.300s", resp.StatusCode, body)
		}
		svgs := planSVGs(t, body)
		if len(svgs) != 1 {
			t.Fatalf("%d svgs, want one per hall", len(svgs))
		}
		stands := parseStands(t, svgs[0])
		if len(stands) != len(fx.stands) || strings.Count(svgs[0], "data-stand-code=") != len(fx.stands) {
			t.Fatalf("svg draws %d stands, want %d: %v", len(stands), len(fx.stands), stands)
		}
		a1 := stands["A1"]
		if a1.Tag != "a" || a1.Href != "/fairs/plan-visitor/stands/A1" || !strings.Contains(a1.Class, "plan-occupied") {
			t.Errorf("occupied stand A1 is not a link to its page: %+v", a1)
		}
		if got := strings.Join(a1.Texts, "|"); !strings.Contains(got, "A1") || !strings.Contains(got, "Atelier|<Zellige") || !strings.HasSuffix(got, "|Zellige") {
			t.Errorf("A1 shows %q, want the code, the artisan's name and the craft", got)
		}
		if !strings.Contains(a1.Label, planArtisanName) {
			t.Errorf("A1 accessible name %q lacks the artisan's name", a1.Label)
		}
		for _, code := range []string{"A2", "A3", "A4", "B1"} {
			if s := stands[code]; s.Tag != "g" || s.Href != "" || len(s.Texts) != 1 || s.Texts[0] != code {
				t.Errorf("free stand %s should be plain (its code only, no link): %+v", code, s)
			}
		}
		if strings.Contains(svgs[0], "status-held") || strings.Contains(body, "plan-legend") {
			t.Error("visitors see the organizers' status colours or legend")
		}
		if !strings.Contains(body, `href="/artisans/`+fx.artisan.Slug+`"`) || !strings.Contains(body, html.EscapeString(planArtisanName)) {
			t.Error("the list of exhibitors does not name and link the artisan")
		}
		if !strings.Contains(svgs[0], `dir="ltr"`) {
			t.Error("the svg does not keep its geometry left-to-right")
		}
	})
}

func TestFairPlanOrganizerView(t *testing.T) {
	a := newTestApp(t, nil)
	newPlanFixture(t, a.db, "plan-org", models.FairOpen)
	a.mkUser("org-plan@example.be", models.RoleOrganizer)
	org := a.client()
	org.login("org-plan@example.be", testPassword)
	resp, body := org.get("/fairs/plan-org/plan")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("plan: %d", resp.StatusCode)
	}
	stands := parseStands(t, planSVGs(t, body)[0])
	want := map[string]string{"A1": "status-assigned", "A2": "status-available", "A3": "status-held", "A4": "status-blocked",
		"B1": "status-available", "B3": "status-held", "B4": "status-blocked"}
	for code, class := range want {
		s := stands[code]
		if !strings.Contains(s.Class, class) || s.Href != "/fairs/plan-org/stands/"+code {
			t.Errorf("stand %s: class %q href %q, want %s and a link to its page", code, s.Class, s.Href, class)
		}
	}
	if got := strings.Join(stands["A1"].Texts, "|"); !strings.Contains(got, "Atelier|<Zellige") {
		t.Errorf("assigned stand does not name its exhibitor: %q", got)
	}
	if got := strings.Join(stands["A3"].Texts, "|"); !strings.Contains(got, a.msg("fr", "PlanStatus_held")) {
		t.Errorf("held stand does not say so in text: %q", got)
	}
	// Textures: colour is never the only cue.
	if !regexp.MustCompile(`fill="url\(#plan-hall-\d+-hatch\)"`).MatchString(body) || !regexp.MustCompile(`fill="url\(#plan-hall-\d+-cross\)"`).MatchString(body) {
		t.Error("held and blocked stands carry no texture")
	}
	_, legendHTML, ok := strings.Cut(body, `class="plan-legend"`)
	if !ok {
		t.Fatal("the organizers' view has no legend")
	}
	legend := planText(legendHTML)
	for _, st := range []struct {
		id    string
		count string
	}{{"PlanStatus_available", "3 stands"}, {"PlanStatus_held", "2 stands"}, {"PlanStatus_assigned", "1 stand"}, {"PlanStatus_blocked", "2 stands"}} {
		if !strings.Contains(legend, a.msg("fr", st.id)+" "+st.count) {
			t.Errorf("legend lacks %q with %q: %.400s", a.msg("fr", st.id), st.count, legend)
		}
	}
	// The organizer can switch to what visitors see.
	_, visitor := org.get("/fairs/plan-org/plan?view=visitor")
	if vs := parseStands(t, planSVGs(t, visitor)[0]); strings.Contains(vs["A3"].Class, "status-held") || vs["A3"].Href != "" {
		t.Errorf("visitor view for organizers still shows statuses: %+v", vs["A3"])
	}
}

func TestFairPlanDraftIsHidden(t *testing.T) {
	a := newTestApp(t, nil)
	newPlanFixture(t, a.db, "plan-draft", models.FairDraft)
	a.mkUser("org-draft@example.be", models.RoleOrganizer)
	a.mkUser("visitor-draft@example.be", models.RoleVisitor)
	org, visitor, anon := a.client(), a.client(), a.client()
	org.login("org-draft@example.be", testPassword)
	visitor.login("visitor-draft@example.be", testPassword)
	for _, path := range []string{"/fairs/plan-draft/plan", "/fairs/plan-draft/stands/A1", "/fairs/plan-draft/stands/A1/sign"} {
		for name, c := range map[string]*client{"anonymous": anon, "visitor": visitor} {
			if resp, _ := c.get(path); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s as %s: %d, want 404 (a draft is not public)", path, name, resp.StatusCode)
			}
		}
		if resp, _ := org.get(path); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s as organizer: %d, want 200", path, resp.StatusCode)
		}
	}
}

func TestFairPlanArabicKeepsGeometry(t *testing.T) {
	a := newTestApp(t, nil)
	newPlanFixture(t, a.db, "plan-ar", models.FairOpen)
	_, body := a.client().get("/fairs/plan-ar/plan?lang=ar")
	if !strings.Contains(body, `<html lang="ar" dir="rtl">`) {
		t.Errorf("Arabic page is not right-to-left: %.200s", body)
	}
	svg := planSVGs(t, body)[0]
	if !strings.HasPrefix(svg, `<svg class="plan-svg" dir="ltr"`) {
		t.Errorf("the svg does not stay left-to-right: %.200s", svg)
	}
	if !strings.Contains(svg, " م</text>") || !strings.Contains(body, a.msg("ar", "PlanHeading")) {
		t.Error("Arabic plan is not in Arabic")
	}
	// The same stands at the same places as in French: only the page around it is mirrored.
	_, fr := a.client().get("/fairs/plan-ar/plan?lang=fr")
	geometry := regexp.MustCompile(`<rect class="plan-stand-box"[^>]*>`)
	if g1, g2 := geometry.FindAllString(svg, -1), geometry.FindAllString(planSVGs(t, fr)[0], -1); strings.Join(g1, "") != strings.Join(g2, "") || len(g1) != 8 {
		t.Errorf("stand geometry differs between Arabic and French:\n%v\n%v", g1, g2)
	}
	css, err := os.ReadFile("../static/css/plan.css")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`\.plan-svg\{[^}]*direction:ltr`).Match(css) {
		t.Error("plan.css does not keep the svg left-to-right")
	}
}

func TestFairPlanUnknown(t *testing.T) {
	a := newTestApp(t, nil)
	newPlanFixture(t, a.db, "plan-404", models.FairOpen)
	for _, path := range []string{"/fairs/no-such-fair/plan", "/fairs/plan-404/stands/Z9", "/fairs/plan-404/stands/Z9/sign",
		"/fairs/no-such-fair/stands/A1", "/fairs/plan-404/stands/" + strings.Repeat("A", 40)} {
		if resp, _ := a.client().get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
	// An empty plan teaches instead of drawing nothing.
	f := models.Fair{Slug: "plan-empty", Name: "Salon vide", City: "Paris", Country: "FR", StartsOn: time.Now().AddDate(0, 1, 0),
		EndsOn: time.Now().AddDate(0, 1, 2), Timezone: "Europe/Paris", Status: models.FairOpen}
	if err := a.db.Create(&f).Error; err != nil {
		t.Fatal(err)
	}
	resp, body := a.client().get("/fairs/plan-empty/plan")
	if resp.StatusCode != http.StatusOK || !strings.Contains(pageText(body), a.msg("fr", "PlanEmptyVisitor")) || strings.Contains(body, "<svg class=\"plan-svg\"") {
		t.Errorf("empty plan: %d, want the empty state %.300s", resp.StatusCode, pageText(body))
	}
}

// qrModules reads a qrCode's path back into its grid of dark modules.
func qrModules(t *testing.T, q qrCode) [][]bool {
	t.Helper()
	grid := make([][]bool, q.Size)
	for i := range grid {
		grid[i] = make([]bool, q.Size)
	}
	run := regexp.MustCompile(`^M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
	rest := q.Path
	for rest != "" {
		m := run.FindStringSubmatch(rest)
		if m == nil || m[3] != m[4] {
			t.Fatalf("unexpected path segment at %.30q", rest)
		}
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		n, _ := strconv.Atoi(m[3])
		for i := range n {
			grid[y][x+i] = true
		}
		rest = rest[len(m[0]):]
	}
	return grid
}

func TestQRCodeEncodesTheURL(t *testing.T) {
	const u = "https://souk.example/fairs/demo-bruxelles-2027/stands/B12"
	q, err := newQRCode(u)
	if err != nil {
		t.Fatal(err)
	}
	want, err := qrcode.New(u, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	got, bitmap := qrModules(t, q), want.Bitmap()
	if q.Size != len(bitmap) || q.Text != u {
		t.Fatalf("size %d text %q, want %d and the URL", q.Size, q.Text, len(bitmap))
	}
	for y := range bitmap {
		for x := range bitmap[y] {
			if got[y][x] != bitmap[y][x] {
				t.Fatalf("module (%d,%d) differs from go-qrcode's symbol for the URL", x, y)
			}
		}
	}
	// Quiet zone: four light modules on every side.
	for i := range q.Size {
		for b := range 4 {
			if got[b][i] || got[q.Size-1-b][i] || got[i][b] || got[i][q.Size-1-b] {
				t.Fatalf("quiet zone is not empty at border %d, index %d", b, i)
			}
		}
	}
	other, _ := newQRCode(u + "3")
	if other.Path == q.Path {
		t.Error("two URLs give the same code")
	}
}

func TestStandPage(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		a := newTestApp(t, db)
		fx := newPlanFixture(t, db, "plan-stand", models.FairLive)
		resp, body := a.client().get("/fairs/plan-stand/stands/a1") // codes are matched case-insensitively
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("stand page: %d %.300s", resp.StatusCode, body)
		}
		text := planText(body)
		for _, want := range []string{"A1", "Hall Atlas", "Nord", a.msg("fr", "PlanKind_corner"), "9 m² (3 × 3 m)", planArtisanName,
			"Zellige", "Fès-Meknès", a.msg("fr", "BadgeVerified"), fx.listed.TitleFR, a.msg("fr", "PlanStandProductsListed")} {
			if !strings.Contains(text, want) {
				t.Errorf("stand page lacks %q: %.800s", want, text)
			}
		}
		if strings.Contains(text, fx.unlisted.TitleFR) {
			t.Error("stand page shows a piece the application does not list")
		}
		if !strings.Contains(body, `href="/artisans/`+fx.artisan.Slug+`"`) || !strings.Contains(body, `href="/fairs/plan-stand/stands/A1/sign"`) {
			t.Error("stand page does not link the shop and the sign")
		}
		if strings.Contains(text, a.msg("fr", "PlanStandPrice")) {
			t.Error("visitors see the organizers' stand price")
		}
		// The QR code is go-qrcode's symbol for the stand's absolute URL.
		q, err := newQRCode("http://example.com/fairs/plan-stand/stands/A1")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(body, `d="`+q.Path+`"`) || !strings.Contains(body, `data-qr-text="http://example.com/fairs/plan-stand/stands/A1"`) {
			t.Error("the stand page's QR code does not encode the stand's absolute URL")
		}

		_, free := a.client().get("/fairs/plan-stand/stands/B2")
		if ft := planText(free); !strings.Contains(ft, a.msg("fr", "PlanStandFree")) || strings.Contains(ft, planArtisanName) {
			t.Errorf("free stand page: %.500s", ft)
		}
		a.mkUser("org-stand@example.be", models.RoleOrganizer)
		org := a.client()
		org.login("org-stand@example.be", testPassword)
		_, held := org.get("/fairs/plan-stand/stands/A3")
		if ht := planText(held); !strings.Contains(ht, a.msg("fr", "PlanStatus_held")) || !strings.Contains(ht, "850,00") {
			t.Errorf("organizers do not see a free stand's status and price: %.600s", ht)
		}
	})
}

func TestStandSign(t *testing.T) {
	a := newTestApp(t, nil)
	newPlanFixture(t, a.db, "plan-sign", models.FairOpen)
	for _, lang := range []string{"fr", "ar", "en"} {
		resp, body := a.client().get("/fairs/plan-sign/stands/A1/sign?lang=" + lang)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("sign: %d", resp.StatusCode)
		}
		_, sign, ok := strings.Cut(body, `<article class="stand-sign`)
		if !ok {
			t.Fatalf("%s: no sign on the page", lang)
		}
		text := planText(sign)
		// Whatever the language of who prints it, the sign speaks French and Arabic.
		for _, want := range []string{"A1", planArtisanName, "Zellige", "الزليج", "Fès-Meknès", a.msg("fr", "PlanSignScan"),
			a.msg("ar", "PlanSignScan"), a.msg("fr", "PlanSignCraft"), a.msg("ar", "PlanSignRegion")} {
			if !strings.Contains(text, want) {
				t.Errorf("%s sign lacks %q: %.600s", lang, want, text)
			}
		}
		if !strings.Contains(sign, `lang="ar" dir="rtl"`) {
			t.Error("Arabic lines of the sign are not marked right-to-left")
		}
		q, _ := newQRCode("http://example.com/fairs/plan-sign/stands/A1")
		if !strings.Contains(sign, `d="`+q.Path+`"`) {
			t.Error("the sign's QR code does not encode the stand's absolute URL")
		}
	}
	_, free := a.client().get("/fairs/plan-sign/stands/B2/sign")
	if ft := planText(free); !strings.Contains(ft, a.msg("fr", "PlanSignFree")) || !strings.Contains(ft, a.msg("ar", "PlanSignFree")) {
		t.Errorf("free stand sign does not say it is available: %.400s", ft)
	}
	css, err := os.ReadFile("../static/css/plan.css")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`@page\{size:A4;margin:`).Match(css) {
		t.Error("plan.css does not set an A4 page for the sign")
	}
}

func TestPlanStandLayoutFits(t *testing.T) {
	cases := []PlanStand{
		{Code: "B12", XCm: 0, YCm: 0, WidthCm: 300, DepthCm: 300, Label: "Coopérative Tissage Al Amal de Salé", Sublabel: "Tapis"},
		{Code: "ISLAND-01", XCm: 500, YCm: 200, WidthCm: 600, DepthCm: 400, Label: "تعاونية النسيج", Sublabel: "الزرابي"},
		{Code: "C3", XCm: 0, YCm: 0, WidthCm: 200, DepthCm: 100, Label: "Atelier", Sublabel: "Bois"},
		{Code: "A1", WidthCm: 300, DepthCm: 300},
	}
	for _, s := range cases {
		l := s.Layout()
		if len(l.Lines) == 0 || l.Lines[0].Text != s.Code || l.Lines[0].Font <= 0 || l.CX != s.XCm+s.WidthCm/2 {
			t.Errorf("%s: first line %+v at x %d, want the code centred", s.Code, l.Lines, l.CX)
			continue
		}
		top, bottom, prev := s.YCm, s.YCm+s.DepthCm, s.YCm
		for _, line := range l.Lines {
			if line.Y-line.Font/2 < prev-1 || line.Y+line.Font/2 > bottom {
				t.Errorf("%s: line %q (y %d, size %d) overlaps the previous one or leaves the stand [%d, %d]", s.Code, line.Text, line.Y, line.Font, top, bottom)
			}
			prev = line.Y + line.Font/2
			em := planLabelEm
			if line.Class == "plan-stand-code" {
				em = planCodeEm
			}
			if width := float64(len([]rune(line.Text))) * float64(line.Font) * em; width > float64(s.WidthCm) {
				t.Errorf("%s: line %q (%.0f cm) is wider than the stand (%d cm)", s.Code, line.Text, width, s.WidthCm)
			}
		}
	}
	if l := cases[0].Layout(); len(l.Lines) < 3 || !strings.HasPrefix(l.Lines[1].Text, "Coopérative") || !strings.HasSuffix(l.Lines[2].Text, "…") {
		t.Errorf("a long name takes two lines and ends with an ellipsis: %+v", l.Lines)
	}
	hall := PlanHall{WidthCm: 6000, DepthCm: 4000, Stands: []PlanStand{{WidthCm: 300, DepthCm: 300}}}
	if px := hall.MinWidthPx(); px < 390 {
		t.Errorf("a 60 m hall of 3 m stands is drawn %d px wide at least: too small to read on a phone", px)
	}
}
