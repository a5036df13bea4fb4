package handlers

// The public catalog through HTTP on SQLite and PostgreSQL: search in three languages, filters,
// sorts and pages (with junk in the query string), what never shows (drafts, unverified
// artisans), product pages, shops and favourites. Fixtures are made with the models functions
// the studio and the chamber use; photos are rows with made-up keys (no objects needed).

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// fixtures builds catalog rows through the models functions.
type fixtures struct {
	t      testing.TB
	db     *gorm.DB
	agents map[string]models.User
}

func newFixtures(t testing.TB, db *gorm.DB) *fixtures {
	return &fixtures{t: t, db: db, agents: map[string]models.User{}}
}

func fixtureSuffix() string { return strconv.Itoa(10_000_000 + rand.IntN(89_999_999)) }

// agent is the chamber agent of a region (created on first use).
func (f *fixtures) agent(region string) models.User {
	f.t.Helper()
	if u, ok := f.agents[region]; ok {
		return u
	}
	u, err := models.CreateUser(context.Background(), f.db, models.NewUser{
		Email: "agent-" + strings.ToLower(region) + "-" + fixtureSuffix() + "@example.ma", Name: "Agent " + region,
		Password: testPassword, Role: models.RoleChamber, RegionCode: region,
	})
	if err != nil {
		f.t.Fatalf("create agent: %v", err)
	}
	f.agents[region] = u
	return u
}

// artisanSpec describes an artisan fixture.
type artisanSpec struct {
	email, business, region, craft, city, bio string
	status                                    models.ArtisanStatus
}

// artisan creates an artisan account and profile and takes it to spec.status the way it
// happens in the portal: saved (draft), submitted (pending), then decided by the chamber.
func (f *fixtures) artisan(s artisanSpec) models.Artisan {
	f.t.Helper()
	ctx := context.Background()
	if s.email == "" {
		s.email = "artisan-" + fixtureSuffix() + "@example.ma"
	}
	if s.city == "" {
		s.city = "Fès"
	}
	if s.bio == "" {
		s.bio = "Atelier familial depuis trois générations."
	}
	u, err := models.CreateUser(ctx, f.db, models.NewUser{Email: s.email, Name: "Maître " + s.business, Password: testPassword, Role: models.RoleArtisan})
	if err != nil {
		f.t.Fatalf("create artisan user: %v", err)
	}
	a, err := models.SaveArtisanProfile(ctx, f.db, u.ID, models.ArtisanProfileInput{
		BusinessName: s.business, Kind: "individual", RegionCode: s.region, CraftCode: s.craft, City: s.city,
		BioFR: s.bio, RegistryNumber: "FM-2021-" + fixtureSuffix(), CardNumber: "CP" + fixtureSuffix(),
	})
	if err != nil {
		f.t.Fatalf("save profile: %v", err)
	}
	if s.status == models.ArtisanDraft || s.status == "" {
		return a
	}
	if a, err = models.SubmitArtisanProfile(ctx, f.db, u.ID); err != nil {
		f.t.Fatalf("submit profile: %v", err)
	}
	switch s.status {
	case models.ArtisanVerified:
		a, err = models.ReviewArtisan(ctx, f.db, f.agent(s.region), a.ID, true, "")
	case models.ArtisanRejected:
		a, err = models.ReviewArtisan(ctx, f.db, f.agent(s.region), a.ID, false, "Numéro de carte illisible.")
	}
	if err != nil {
		f.t.Fatalf("review artisan: %v", err)
	}
	return a
}

// product creates a product with photos (fake key bases), published when publish is set.
func (f *fixtures) product(a models.Artisan, in models.ProductInput, photos int, publish bool) models.Product {
	f.t.Helper()
	ctx := context.Background()
	if in.CraftCode == "" {
		in.CraftCode = a.CraftCode
	}
	if in.PriceCents == 0 {
		in.PriceCents = 5000
	}
	if !in.PickupAtFair && !in.Ships {
		in.PickupAtFair = true
	}
	p, err := models.CreateProduct(ctx, f.db, a.ID, in)
	if err != nil {
		f.t.Fatalf("create product: %v", err)
	}
	for range photos {
		ph := models.Photo{KeyBase: "img/fixture-" + fixtureSuffix() + fixtureSuffix(), Width: 1600, Height: 1200, Variants: "320,800,1600"}
		if _, err := models.AddPhoto(ctx, f.db, a.ID, p.ID, ph); err != nil {
			f.t.Fatalf("add photo: %v", err)
		}
	}
	if publish {
		if err := models.SetProductStatus(ctx, f.db, a.ID, p.ID, models.ProductPublished); err != nil {
			f.t.Fatalf("publish: %v", err)
		}
	}
	return p
}

// catalogSet is the catalog most tests browse: a verified workshop in Fès with five published
// pieces (one with a script for a title), a draft, and an unverified Marrakech artisan whose
// published piece must never show.
type catalogSet struct {
	fes, hidden                                 models.Artisan
	panel, box, rug, jar, xss, draft, hiddenBox models.Product
}

const xssTitle = `<script>alert(1)</script>`

func seedCatalogSet(t testing.TB, db *gorm.DB) catalogSet {
	t.Helper()
	f := newFixtures(t, db)
	var s catalogSet
	s.fes = f.artisan(artisanSpec{business: "Atelier Bennani", region: "FM", craft: "zellige", status: models.ArtisanVerified,
		bio: "Zellige taillé à la main à Fès."})
	s.hidden = f.artisan(artisanSpec{business: "Atelier Caché", region: "MS", craft: "wood", city: "Marrakech", status: models.ArtisanPending})
	s.jar = f.product(s.fes, models.ProductInput{TitleFR: "Jarre de Safi", TitleEN: "Safi jar", TitleAR: "جرة آسفي", CraftCode: "pottery",
		PriceCents: 6000, Stock: 0}, 1, true)
	s.rug = f.product(s.fes, models.ProductInput{TitleFR: "Tapis Beni Ouarain", CraftCode: "carpets", PriceCents: 89000, Stock: 3,
		DescriptionFR: "Laine naturelle nouée à la main.", Materials: "Laine", Dimensions: "200 × 150 cm", WeightGrams: 4200, Ships: true}, 1, true)
	s.box = f.product(s.fes, models.ProductInput{TitleFR: "Coffret à bijoux en cèdre", TitleEN: "Cedar jewellery box",
		TitleAR: "علبة مجوهرات من خشب الأرز", CraftCode: "wood", PriceCents: 4500, Stock: 1,
		DescriptionFR: "Cèdre de l'Atlas sculpté.", DescriptionEN: "Carved Atlas cedar.", DescriptionAR: "خشب أرز الأطلس المنحوت."}, 1, true)
	s.panel = f.product(s.fes, models.ProductInput{TitleFR: "Panneau de fontaine en zellige", TitleAR: "لوحة نافورة من الزليج",
		TitleEN: "Zellige fountain panel", CraftCode: "zellige", PriceCents: 120000, Stock: 0, MadeToOrder: true, LeadTimeDays: 30}, 3, true)
	s.xss = f.product(s.fes, models.ProductInput{TitleFR: xssTitle, DescriptionFR: `"><img src=x onerror=alert(1)>`, CraftCode: "jewellery",
		PriceCents: 1000, Stock: 2}, 1, true)
	s.draft = f.product(s.fes, models.ProductInput{TitleFR: "Brouillon secret en zellige", CraftCode: "zellige"}, 1, false)
	s.hiddenBox = f.product(s.hidden, models.ProductInput{TitleFR: "Plateau caché en cèdre", CraftCode: "wood", PriceCents: 3000, Stock: 1}, 1, true)
	return s
}

var cardLink = regexp.MustCompile(`<article class="product-card">\s*<a class="product-card-link" href="/products/(\d+)"`)

// cardIDs lists the products of the grids of a page, in order.
func cardIDs(body string) []int64 {
	var out []int64
	for _, m := range cardLink.FindAllStringSubmatch(body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		out = append(out, id)
	}
	return out
}

func ids(ps ...models.Product) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// chamberFM is the French name of the Fès-Meknès chamber, from the reference data.
func chamberFM(t testing.TB, db *gorm.DB) string {
	t.Helper()
	r, err := models.GetRegion(context.Background(), db, "FM")
	if err != nil {
		t.Fatal(err)
	}
	return r.ChamberFR
}

func productPath(p models.Product) string { return "/products/" + strconv.FormatInt(p.ID, 10) }

func TestCatalogListing(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		s := seedCatalogSet(t, db)
		a := newTestApp(t, db)
		newest := ids(s.xss, s.panel, s.box, s.rug, s.jar)
		tests := []struct {
			name    string
			query   string
			want    []int64
			status  int
			lang    string
			has     []string // in the page text
			hasNot  []string
			checkFn func(t *testing.T, body string)
		}{
			{name: "everything, newest first", query: "", want: newest},
			{name: "search zellige (French)", query: "q=zellige&lang=fr", lang: "fr", want: ids(s.panel),
				has: []string{"Panneau de fontaine en zellige", "1 pièce pour « \u2068zellige\u2069 »"}},
			{name: "search زليج (Arabic, no article)", query: "q=" + url.QueryEscape("زليج") + "&lang=ar", lang: "ar", want: ids(s.panel),
				has: []string{"لوحة نافورة من الزليج", "قطعة واحدة تطابق"}},
			{name: "search cedre without accent (English)", query: "q=cedre&lang=en", lang: "en", want: ids(s.box),
				has: []string{"Cedar jewellery box", "€45.00"}, hasNot: []string{"Plateau caché"}},
			{name: "search cèdre with accent", query: "q=" + url.QueryEscape("cèdre"), want: ids(s.box)},
			{name: "craft filter", query: "craft=carpets", want: ids(s.rug)},
			{name: "unknown craft is ignored", query: "craft=plutonium", want: newest},
			{name: "region without verified artisans: empty state with ways out", query: "region=MS", want: nil,
				has: []string{"Aucune pièce ne correspond", "Chercher dans toutes les régions", "Effacer les filtres", "Découvrir d'autres métiers"}},
			{name: "price range in euros", query: "min=50&max=1000", want: ids(s.rug, s.jar)},
			{name: "price range with a comma", query: "min=44,99&max=45", want: ids(s.box)},
			{name: "min above max is swapped", query: "min=1000&max=50", want: ids(s.rug, s.jar)},
			{name: "junk prices are ignored", query: "min=abc&max=" + url.QueryEscape("1e400") + "&sort=", want: newest},
			{name: "negative and NaN prices are ignored", query: "min=-5&max=NaN", want: newest},
			{name: "available only", query: "available=1", want: ids(s.xss, s.panel, s.box, s.rug)},
			{name: "cheapest first", query: "sort=price_asc", want: ids(s.xss, s.box, s.jar, s.rug, s.panel)},
			{name: "dearest first", query: "sort=price_desc", want: ids(s.panel, s.rug, s.jar, s.box, s.xss)},
			{name: "SQL in sort falls back to the default", query: "sort=" + url.QueryEscape("name;DROP TABLE x--"), want: newest},
			{name: "expression in sort falls back", query: "sort=" + url.QueryEscape("(case when 1=1 then price_cents end)"), want: newest},
			{name: "relevance without a query is newest", query: "sort=relevance", want: newest},
			{name: "page beyond the end: empty state, not 500", query: "page=99", want: nil,
				has: []string{"Cette page est au-delà des résultats", `href="/products"`}},
			{name: "junk page", query: "page=" + url.QueryEscape("-1 UNION SELECT 1"), want: newest},
			{name: "search without result", query: "q=ordinateur", want: nil, has: []string{"Voir sans le mot « \u2068ordinateur\u2069 »"}},
			{name: "prices per locale: French", query: "lang=fr", lang: "fr", want: newest,
				has: []string{"45,00\u00a0€", "1\u202f200,00\u00a0€", `<bdi dir="ltr">`}},
			{name: "prices per locale: Arabic", query: "lang=ar", lang: "ar", want: newest, has: []string{"45,00\u00a0€", "5 قطع"}},
			{name: "prices per locale: English", query: "lang=en", lang: "en", want: newest, has: []string{"€45.00", "€1,200.00", "5 pieces"}},
			{name: "badges", query: "lang=fr", want: newest, has: []string{"Épuisé", "Sur commande", "Dernière pièce", "Artisan vérifié", "Atelier Bennani", "Fès-Meknès"}},
			{name: "script titles are escaped", query: "", want: newest,
				checkFn: func(t *testing.T, body string) {
					if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
						t.Error("escaped title missing")
					}
					assertEscaped(t, body, xssTitle)
				}},
			{name: "a French-only title in English carries lang=fr", query: "lang=en", want: newest,
				checkFn: func(t *testing.T, body string) {
					if !strings.Contains(body, `dir="auto" lang="fr">Tapis Beni Ouarain</h3>`) {
						t.Errorf("no lang=fr on the fallback title: %s", grepLines(body, "Beni Ouarain"))
					}
					if strings.Contains(body, `lang="en">Cedar jewellery box`) {
						t.Error("a title in the page's language needs no lang attribute")
					}
				}},
			{name: "responsive cover images", query: "craft=wood", want: ids(s.box),
				checkFn: func(t *testing.T, body string) {
					re := regexp.MustCompile(`<img src="/media/img/fixture-\d+-800\.jpg" srcset="/media/img/fixture-\d+-320\.jpg 320w, /media/img/fixture-\d+-800\.jpg 800w, /media/img/fixture-\d+-1600\.jpg 1600w" sizes="[^"]+" width="1600" height="1200" alt="Coffret à bijoux en cèdre" loading="lazy"`)
					if !re.MatchString(body) {
						t.Errorf("cover image: %s", grepLines(body, "<img src=\"/media"))
					}
				}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				path := "/products"
				if tt.query != "" {
					path += "?" + tt.query
				}
				resp, body := a.client().get(path)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: %d %.300s", path, resp.StatusCode, body)
				}
				if got := cardIDs(body); !slices.Equal(got, tt.want) {
					t.Errorf("GET %s: cards %v, want %v", path, got, tt.want)
				}
				if tt.lang != "" {
					m := htmlOpenTag.FindStringSubmatch(body)
					if m == nil || m[1] != tt.lang || m[2] != textDirection(tt.lang) {
						t.Errorf("GET %s: <html> %v, want lang=%s dir=%s", path, m, tt.lang, textDirection(tt.lang))
					}
				}
				text := pageText(body)
				for _, w := range tt.has {
					if !strings.Contains(text, w) {
						t.Errorf("GET %s: page lacks %q", path, w)
					}
				}
				for _, w := range append(tt.hasNot, "Brouillon secret", "Plateau caché") {
					if strings.Contains(text, w) {
						t.Errorf("GET %s: page shows %q", path, w)
					}
				}
				if tt.checkFn != nil {
					tt.checkFn(t, body)
				}
			})
		}
		// The tables survived the junk.
		if n := countRows(t, db, "products"); n != 7 {
			t.Errorf("products: %d rows, want 7", n)
		}
	})
}

func TestCatalogLiveFilterFragment(t *testing.T) {
	db := dbtest.SQLite(t)
	s := seedCatalogSet(t, db)
	a := newTestApp(t, db)
	c := a.client()
	resp, body := c.sendWith(http.MethodGet, "/products?q=&craft=wood&region=&min=&max=&sort=", nil, map[string]string{"HX-Request": "true"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("htmx GET: %d", resp.StatusCode)
	}
	if strings.Contains(body, "<html") || strings.Contains(body, `id="catalog-filters"`) {
		t.Error("htmx answer is a whole page, want the results fragment")
	}
	if got := cardIDs(body); !slices.Equal(got, ids(s.box)) {
		t.Errorf("fragment cards %v, want %v", got, ids(s.box))
	}
	if got := resp.Header.Get("HX-Push-Url"); got != "/products?craft=wood" {
		t.Errorf("HX-Push-Url %q, want the canonical /products?craft=wood", got)
	}
	if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "HX-Request") {
		t.Error("Vary lacks HX-Request: a cache could serve the fragment as the page")
	}
	// Back/forward restores ask for the whole page.
	_, body = c.sendWith(http.MethodGet, "/products?craft=wood", nil, map[string]string{"HX-Request": "true", "HX-History-Restore-Request": "true"})
	if !strings.Contains(body, "<html") {
		t.Error("history restore got a fragment, want the page")
	}
	// Without htmx: the whole page with the filter form that works as a plain GET form.
	_, body = c.get("/products?craft=wood&sort=price_desc&available=1")
	for _, want := range []string{`<form id="catalog-filters" class="catalog-filters" method="get" action="/products"`, `hx-get="/products"`,
		`hx-push-url="true"`, `hx-target="#catalog-results"`, `<option value="wood" selected>`, `<option value="price_desc" selected>`,
		`name="available" value="1" checked`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

func TestCatalogPagination(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		f := newFixtures(t, db)
		potter := f.artisan(artisanSpec{business: "Poterie de Safi", region: "MS", craft: "pottery", city: "Safi", status: models.ArtisanVerified})
		var all []models.Product
		for i := range 26 {
			all = append(all, f.product(potter, models.ProductInput{TitleFR: fmt.Sprintf("Tajine n°%02d", i+1), PriceCents: int64(1000 + i), Stock: 1}, 1, true))
		}
		a := newTestApp(t, db)
		c := a.client()
		resp, body := c.get("/products?craft=pottery")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("page 1: %d", resp.StatusCode)
		}
		first := cardIDs(body)
		if len(first) != models.CatalogPerPage || first[0] != all[25].ID {
			t.Fatalf("page 1: %d cards starting with %v, want %d starting with the newest", len(first), first[:1], models.CatalogPerPage)
		}
		text := pageText(body)
		for _, want := range []string{"26 pièces", `href="/products?craft=pottery&page=2"`, `rel="next"`, `aria-current="page"`} {
			if !strings.Contains(text, want) {
				t.Errorf("page 1 lacks %s", want)
			}
		}
		if strings.Contains(body, `rel="prev"`) {
			t.Error("page 1 has a previous link")
		}
		_, body = c.get("/products?craft=pottery&page=2")
		second := cardIDs(body)
		if !slices.Equal(second, ids(all[1], all[0])) {
			t.Errorf("page 2: %v, want the two oldest", second)
		}
		if !strings.Contains(pageText(body), "26 pièces · page 2 sur 2") {
			t.Error("page 2 does not say which page it is")
		}
		if !strings.Contains(pageText(body), `rel="prev" href="/products?craft=pottery"`) || strings.Contains(body, `rel="next"`) {
			t.Error("page 2: want a previous link to page 1 (with the filter) and no next link")
		}
		// Sorted pages keep their sort in the links.
		_, body = c.get("/products?sort=price_asc")
		if got := cardIDs(body); len(got) != 24 || got[0] != all[0].ID {
			t.Errorf("cheapest first: %v", got)
		}
		if !strings.Contains(pageText(body), `href="/products?page=2&sort=price_asc"`) {
			t.Error("pagination link loses the sort")
		}
	})
}

// TestCatalogSearchBeyondMaxResults: a search with more results than the catalog counts
// (models.CatalogMaxResults) says "more than 500" in each language and pages up to the bound,
// then shows the past-the-end state.
func TestCatalogSearchBeyondMaxResults(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		if _, err := models.Seed(ctx, db, models.SeedOptions{}); err != nil {
			t.Fatalf("seed: %v", err)
		}
		// Every load product says "apprenti" in its French description.
		if _, err := models.SeedLoadProducts(ctx, db, models.CatalogMaxResults+50); err != nil {
			t.Fatalf("load products: %v", err)
		}
		a := newTestApp(t, db)
		last := (models.CatalogMaxResults + models.CatalogPerPage - 1) / models.CatalogPerPage
		if models.CatalogMaxResults != 500 {
			t.Fatalf("the texts below say 500, the bound is %d", models.CatalogMaxResults)
		}
		for _, tt := range []struct{ lang, count, page string }{
			{"fr", "Plus de 500 pièces pour « \u2068apprenti\u2069 »", fmt.Sprintf("page 1 sur %d", last)},
			{"en", "More than 500 pieces for “\u2068apprenti\u2069”", ""},
			{"ar", "أكثر من 500 قطعة تطابق «\u2068apprenti\u2069»", ""},
		} {
			resp, body := a.client().get("/products?q=apprenti&lang=" + tt.lang)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET in %s: %d", tt.lang, resp.StatusCode)
			}
			text := pageText(body)
			if !strings.Contains(text, tt.count) || !strings.Contains(text, tt.page) {
				t.Errorf("in %s: no %q and %q in %s", tt.lang, tt.count, tt.page, grepLines(body, "results-count"))
			}
			if n := len(cardIDs(body)); n != models.CatalogPerPage {
				t.Errorf("in %s: %d cards", tt.lang, n)
			}
		}
		c := a.client()
		_, body := c.get(fmt.Sprintf("/products?q=apprenti&lang=fr&page=%d", last))
		if n, want := len(cardIDs(body)), models.CatalogMaxResults-(last-1)*models.CatalogPerPage; n != want {
			t.Errorf("last page: %d cards, want %d", n, want)
		}
		if !strings.Contains(body, `rel="prev"`) || strings.Contains(body, `rel="next"`) {
			t.Error("last page: want a previous link and no next link")
		}
		if !strings.Contains(pageText(body), fmt.Sprintf("page %d sur %d", last, last)) {
			t.Errorf("last page: %s", grepLines(body, "results-count"))
		}
		_, body = c.get(fmt.Sprintf("/products?q=apprenti&lang=fr&page=%d", last+1))
		if len(cardIDs(body)) != 0 || !strings.Contains(pageText(body), "Cette page est au-delà des résultats") {
			t.Errorf("past the last page: %d cards, %s", len(cardIDs(body)), grepLines(body, "<h2"))
		}
	})
}

func TestProductPage(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		s := seedCatalogSet(t, db)
		a := newTestApp(t, db)
		c := a.client()
		tests := []struct {
			name   string
			path   string
			status int
			has    []string
			hasNot []string
		}{
			{name: "made to order, three photos, in French", path: productPath(s.panel) + "?lang=fr", status: 200, has: []string{
				`<h1 class="product-title" dir="auto">Panneau de fontaine en zellige</h1>`, "1\u202f200,00\u00a0€",
				"Fabriqué sur commande, délai de 30 jours", `href="#photo-2"`, `id="photo-3"`, "Panneau de fontaine en zellige, photo 2 sur 3",
				`href="/artisans/` + s.fes.Slug + `"`, "Atelier Bennani", "Fès-Meknès", chamberFM(t, db), "Artisan vérifié",
				"Retrait sur le stand de l'artisan pendant le salon", "Du même atelier", productPath(s.box),
				`href="/login?next=%2Fproducts%2F` + strconv.FormatInt(s.panel.ID, 10) + `"`, "Connectez-vous pour la garder"}},
			{name: "in Arabic, right to left", path: productPath(s.box) + "?lang=ar", status: 200, has: []string{
				`<html lang="ar" dir="rtl"`, "علبة مجوهرات من خشب الأرز", "خشب أرز الأطلس المنحوت.", "آخر قطعة متوفرة", "45,00\u00a0€", "فاس مكناس"}},
			{name: "in English", path: productPath(s.box) + "?lang=en", status: 200, has: []string{"Cedar jewellery box", "Carved Atlas cedar.", "Last piece available", "€45.00"}},
			{name: "French-only text in English keeps lang=fr", path: productPath(s.rug) + "?lang=en", status: 200, has: []string{
				`<h1 class="product-title" dir="auto" lang="fr">Tapis Beni Ouarain</h1>`, `dir="auto" lang="fr">Laine naturelle`,
				"In stock: 3 pieces", "Delivery to Belgium and France", "4.2\u00a0kg", "200 × 150 cm", "Laine"}},
			{name: "sold out", path: productPath(s.jar) + "?lang=fr", status: 200, has: []string{"Épuisé"}},
			{name: "escaped title and description", path: productPath(s.xss), status: 200, hasNot: []string{xssTitle, `"><img src=x`}},
			{name: "draft: 404", path: productPath(s.draft), status: 404},
			{name: "unverified artisan's published piece: 404", path: productPath(s.hiddenBox), status: 404},
			{name: "non-numeric id: 404", path: "/products/abc", status: 404},
			{name: "zero: 404", path: "/products/0", status: 404},
			{name: "signed id: 404", path: "/products/+" + strconv.FormatInt(s.box.ID, 10), status: 404},
			{name: "huge id: 404", path: "/products/99999999999999999999999", status: 404},
			{name: "unknown id: 404", path: "/products/987654", status: 404},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := c.get(tt.path)
				if resp.StatusCode != tt.status {
					t.Fatalf("GET %s: %d, want %d", tt.path, resp.StatusCode, tt.status)
				}
				text := pageText(body)
				for _, w := range tt.has {
					if !strings.Contains(text, w) {
						t.Errorf("GET %s lacks %q", tt.path, w)
					}
				}
				for _, w := range tt.hasNot {
					if strings.Contains(body, w) {
						t.Errorf("GET %s shows %q", tt.path, w)
					}
				}
				if tt.status == 404 && !strings.Contains(text, a.msg("fr", "ErrorNotFound")) {
					t.Error("404 without the not-found page")
				}
				for _, hidden := range []string{"Brouillon secret", "Plateau caché"} {
					if strings.Contains(text, hidden) {
						t.Errorf("GET %s shows %q", tt.path, hidden)
					}
				}
			})
		}
	})
}

func TestShopPage(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		s := seedCatalogSet(t, db)
		ctx := context.Background()
		if _, err := models.SetWorkshopPhoto(ctx, db, s.fes.UserID, "img/workshop-"+fixtureSuffix()); err != nil {
			t.Fatal(err)
		}
		fes, err := models.GetArtisanByUser(ctx, db, s.fes.UserID)
		if err != nil {
			t.Fatal(err)
		}
		a := newTestApp(t, db)
		c := a.client()
		resp, body := c.get("/artisans/" + fes.Slug + "?lang=fr")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("shop: %d", resp.StatusCode)
		}
		text := pageText(body)
		for _, want := range []string{"Atelier Bennani", "Zellige taillé à la main à Fès.", "Vérifié par la " + chamberFM(t, db),
			"Artisan vérifié", `src="/media/` + fes.WorkshopPhotoKey + `-320.jpg"`, "L'atelier de Atelier Bennani", "Fès-Meknès", "Zellige"} {
			if !strings.Contains(text, want) {
				t.Errorf("shop lacks %q", want)
			}
		}
		if got := cardIDs(body); !slices.Equal(got, ids(s.xss, s.panel, s.box, s.rug, s.jar)) {
			t.Errorf("shop cards %v", got)
		}
		// The Arabic page falls back to the French presentation, marked as French.
		_, body = c.get("/artisans/" + fes.Slug + "?lang=ar")
		if !strings.Contains(body, `dir="auto" lang="fr">Zellige taillé`) {
			t.Errorf("bio fallback without lang=fr: %s", grepLines(body, "Zellige taillé"))
		}
		for _, path := range []string{"/artisans/" + s.hidden.Slug, "/artisans/nobody-here", "/artisans/" + url.PathEscape("' OR 1=1 --")} {
			if resp, _ := c.get(path); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
			}
		}
	})
}

func TestShopPagination(t *testing.T) {
	db := dbtest.SQLite(t)
	f := newFixtures(t, db)
	w := f.artisan(artisanSpec{business: "Tisserands de Khénifra", region: "BMK", craft: "carpets", status: models.ArtisanVerified})
	for i := range models.CatalogPerPage + 3 {
		f.product(w, models.ProductInput{TitleFR: fmt.Sprintf("Tapis n°%02d", i+1)}, 1, true)
	}
	c := newTestApp(t, db).client()
	_, body := c.get("/artisans/" + w.Slug)
	if n := len(cardIDs(body)); n != models.CatalogPerPage || !strings.Contains(body, `href="/artisans/`+w.Slug+`?page=2"`) {
		t.Errorf("page 1: %d cards, next link %v", n, strings.Contains(body, "?page=2"))
	}
	_, body = c.get("/artisans/" + w.Slug + "?page=2")
	if n := len(cardIDs(body)); n != 3 || strings.Contains(body, `rel="next"`) || !strings.Contains(body, `rel="prev" href="/artisans/`+w.Slug+`"`) {
		t.Errorf("page 2: %d cards", n)
	}
	if resp, body := c.get("/artisans/" + w.Slug + "?page=9"); resp.StatusCode != http.StatusOK || len(cardIDs(body)) != 0 {
		t.Errorf("page past the end: %d", resp.StatusCode)
	}
}

func TestFavourites(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		s := seedCatalogSet(t, db)
		a := newTestApp(t, db)
		a.mkUser("nadia@example.be", models.RoleVisitor)
		anon := a.client()
		token := anon.csrf("/login")
		resp, _ := anon.post(productPath(s.box)+"/favourite", url.Values{"_csrf": {token}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("anonymous favourite: %d, want 403", resp.StatusCode)
		}
		if resp, _ := anon.get("/account/favourites"); resp.StatusCode != http.StatusSeeOther ||
			resp.Header.Get("Location") != "/login?next=%2Faccount%2Ffavourites" {
			t.Errorf("anonymous favourites page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}

		c := a.client()
		c.login("nadia@example.be", testPassword)
		_, body := c.get("/account/favourites")
		if !strings.Contains(pageText(body), "Aucun favori pour l'instant") {
			t.Error("empty favourites: no empty state")
		}
		_, body = c.get(productPath(s.box))
		token = csrfField.FindStringSubmatch(body)[1]
		if !strings.Contains(body, `action="`+productPath(s.box)+`/favourite"`) {
			t.Fatal("product page has no favourite form for a signed-in visitor")
		}
		for i := range 2 { // twice: idempotent
			resp, _ := c.post(productPath(s.box)+"/favourite", url.Values{"_csrf": {token}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != productPath(s.box) {
				t.Fatalf("favourite #%d: %d → %s", i+1, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
		if n := countRows(t, db, "favourites"); n != 1 {
			t.Errorf("favourites: %d rows, want 1", n)
		}
		// back: a local path is followed, another site is not.
		resp, _ = c.post(productPath(s.panel)+"/favourite", url.Values{"_csrf": {token}, "back": {"/products?craft=zellige"}})
		if resp.Header.Get("Location") != "/products?craft=zellige" {
			t.Errorf("back to a local page: %s", resp.Header.Get("Location"))
		}
		for _, evil := range []string{"https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)"} {
			resp, _ = c.post(productPath(s.panel)+"/favourite", url.Values{"_csrf": {token}, "back": {evil}})
			if resp.Header.Get("Location") != productPath(s.panel) {
				t.Errorf("back %q: redirected to %s", evil, resp.Header.Get("Location"))
			}
		}
		_, body = c.get("/account/favourites")
		if got := cardIDs(body); !slices.Equal(got, ids(s.panel, s.box)) {
			t.Errorf("favourites list: %v, want panel then box", got)
		}
		if !strings.Contains(pageText(body), "2 pièces gardées") {
			t.Error("favourites count missing")
		}
		_, body = c.get(productPath(s.box))
		if !strings.Contains(body, `action="`+productPath(s.box)+`/unfavourite"`) || !strings.Contains(pageText(body), "Retirer de mes favoris") {
			t.Error("product page does not show the kept state")
		}
		// A draft or a hidden artisan's piece cannot be kept.
		for _, p := range []models.Product{s.draft, s.hiddenBox} {
			if resp, _ := c.post(productPath(p)+"/favourite", url.Values{"_csrf": {token}}); resp.StatusCode != http.StatusNotFound {
				t.Errorf("favourite %d: %d, want 404", p.ID, resp.StatusCode)
			}
		}
		if resp, _ := c.post("/products/abc/favourite", url.Values{"_csrf": {token}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("favourite abc: %d", resp.StatusCode)
		}
		// htmx gets the toggled button.
		resp, body = c.sendWith(http.MethodPost, productPath(s.box)+"/unfavourite", url.Values{"_csrf": {token}}, map[string]string{"HX-Request": "true"})
		if resp.StatusCode != http.StatusOK || strings.Contains(body, "<html") || !strings.Contains(body, `action="`+productPath(s.box)+`/favourite"`) {
			t.Errorf("htmx unfavourite: %d %.300s", resp.StatusCode, body)
		}
		if resp, _ := c.post(productPath(s.box)+"/unfavourite", url.Values{"_csrf": {token}}); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("unfavourite twice: %d", resp.StatusCode)
		}
		_, body = c.get("/account/favourites")
		if got := cardIDs(body); !slices.Equal(got, ids(s.panel)) {
			t.Errorf("after removal: %v", got)
		}
		// Without the token: refused.
		if resp, _ := c.post(productPath(s.jar)+"/favourite", url.Values{}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("favourite without CSRF token: %d", resp.StatusCode)
		}
	})
}

func TestMoneyAndWeightFormats(t *testing.T) {
	tests := []struct {
		lang  string
		cents int64
		want  string
	}{
		{"fr", 4500, "45,00\u00a0€"}, {"ar", 4500, "45,00\u00a0€"}, {"en", 4500, "€45.00"},
		{"fr", 5, "0,05\u00a0€"}, {"en", 5, "€0.05"},
		{"fr", 120000, "1\u202f200,00\u00a0€"}, {"en", 120000, "€1,200.00"},
		{"fr", 1234567890, "12\u202f345\u202f678,90\u00a0€"}, {"en", 10000000, "€100,000.00"},
	}
	for _, tt := range tests {
		if got := formatEuros(tt.lang, tt.cents); got != tt.want {
			t.Errorf("formatEuros(%s, %d) = %q, want %q", tt.lang, tt.cents, got, tt.want)
		}
	}
	for in, want := range map[int]string{0: "", 850: "850\u00a0g", 1000: "1\u00a0kg", 1250: "1,3\u00a0kg", 4200: "4,2\u00a0kg"} {
		if got := formatWeight("fr", in); got != want {
			t.Errorf("formatWeight(fr, %d) = %q, want %q", in, got, want)
		}
	}
	if got := formatWeight("en", 4200); got != "4.2\u00a0kg" {
		t.Errorf("formatWeight(en, 4200) = %q", got)
	}
	if got, ok := parseEuros("\t12 "); got != 1200 || !ok {
		t.Errorf("parseEuros with spaces = %d, %v", got, ok)
	}
	for in, want := range map[string]int64{"45": 4500, "45.5": 4550, "45,50": 4550, "abc": 0, "-3": 0, "0": 0,
		"NaN": 0, "Inf": 0, "1e400": 0, "0x10": 0, "100001": 0, "0.001": 0} {
		got, ok := parseEuros(in)
		if got != want || ok != (want > 0) {
			t.Errorf("parseEuros(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
}

// TestCatalogInBrowser drives headless Chromium: the filter form updates the results in place
// with htmx (no reload; the address bar gets the canonical URL), and the favourite button
// toggles in place with the session's CSRF token.
func TestCatalogInBrowser(t *testing.T) {
	browser := newBrowser(t) // skips (or fails under SOUK_REQUIRE_SERVICES=1) without TEST_CHROMIUM
	live := startLiveApp(t)
	s := seedCatalogSet(t, live.db)
	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()
	u := func(path string) string { return live.url + path }
	cards := `document.querySelectorAll('#catalog-results .product-card').length`

	step(t, ctx, "open the catalog",
		chromedp.Navigate(u("/products?lang=fr")),
		chromedp.WaitVisible(chromedp.CSS(`#catalog-results .product-grid`)),
	)
	if n := get(t, ctx, "cards", chromedp.Evaluate[int](cards)); n < 5 {
		t.Fatalf("catalog shows %d cards", n)
	}
	step(t, ctx, "choose a craft",
		chromedp.Evaluate[chromedp.Void](`window.__noReload = true; const s = document.querySelector('#f-craft'); s.value = 'wood'; s.dispatchEvent(new Event('change', {bubbles: true}))`),
	)
	get(t, ctx, "results updated", chromedp.Poll[bool](cards+` === 1 && location.search === '?craft=wood'`, chromedp.WithPollingTimeout(10*time.Second)))
	if !get(t, ctx, "no reload", chromedp.Evaluate[bool](`window.__noReload === true`)) {
		t.Error("the page reloaded: want an htmx swap")
	}
	if got := get(t, ctx, "card title", chromedp.Text(chromedp.CSS(`#catalog-results .product-card-title`))); got != "Coffret à bijoux en cèdre" {
		t.Errorf("filtered card %q", got)
	}

	// Favourite in place: log in as the demo visitor, open the box, keep it.
	step(t, ctx, "log in",
		chromedp.Navigate(u("/login?next="+url.QueryEscape(productPath(s.box)))),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "visitor@souk.test"),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), models.DefaultDemoPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.fav-toggle button`)),
	)
	step(t, ctx, "keep the piece",
		chromedp.Evaluate[chromedp.Void](`window.__noReload = true`),
		chromedp.Click(chromedp.CSS(`.fav-toggle button`)),
		chromedp.WaitVisible(chromedp.CSS(`.fav-toggle .fav-button.is-on`)),
	)
	if !get(t, ctx, "no reload", chromedp.Evaluate[bool](`window.__noReload === true`)) {
		t.Error("the favourite button reloaded the page")
	}
	if got := get(t, ctx, "button", chromedp.Text(chromedp.CSS(`.fav-toggle button`))); !strings.Contains(got, live.tr("fr", "FavouriteRemove")) {
		t.Errorf("button after keeping: %q", got)
	}
	step(t, ctx, "favourites page", chromedp.Navigate(u("/account/favourites")), chromedp.WaitVisible(chromedp.CSS(`.product-grid`)))
	if got := get(t, ctx, "favourite", chromedp.Text(chromedp.CSS(`.product-card-title`))); got != "Coffret à bijoux en cèdre" {
		t.Errorf("favourites page shows %q", got)
	}
}
