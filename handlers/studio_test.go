package handlers

// The artisan studio through HTTP, on SQLite and (with TEST_DATABASE_URL) PostgreSQL: the
// profile form and its errors, submitting it to the chamber, products with prices typed in
// euros, publishing only with a photo, the dashboard's next action, and above all that another
// artisan's product is a 404 on every /studio/products/:id route and stays untouched.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/soukexpo/souk/models"
	"gorm.io/gorm"
)

// studioSeq makes identity numbers unique within a test database.
var studioSeq atomic.Int64

// profileForm is a complete, valid profile form; n makes its identity numbers unique.
func profileForm(n int64) url.Values {
	return url.Values{
		"business_name": {"Atelier Bennani — Zellige de Fès"}, "kind": {"individual"}, "region": {"FM"},
		"craft": {"zellige"}, "city": {"Fès"}, "phone": {"+212 6 12 34 56 78"},
		"bio_fr": {"Zellige taillé à la main depuis trois générations."}, "bio_ar": {"زليج مقطوع باليد منذ ثلاثة أجيال."},
		"registry_number": {fmt.Sprintf("FM-2019-%06d", n)}, "card_number": {fmt.Sprintf("CP%08d", n)},
	}
}

// productForm is a complete, valid product form.
func productForm() url.Values {
	return url.Values{
		"title_fr":       {"Fontaine murale en zellige"},
		"title_ar":       {"نافورة حائطية من الزليج"},
		"description_fr": {"Panneau de zellige émaillé, taillé et posé à la main."},
		"craft":          {"zellige"},
		"materials":      {"terre cuite émaillée"},
		"dimensions":     {"60 × 90 cm"},
		"weight":         {"18000"},
		"price":          {"45,50"},
		"stock":          {"1"},
		"pickup_at_fair": {"1"},
	}
}

// withToken returns form plus the CSRF token of page.
func (c *client) withToken(page string, form url.Values) url.Values {
	c.t.Helper()
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}
	out.Set("_csrf", c.csrf(page))
	return out
}

// studioArtisan signs a new artisan in; with profile set, their profile is saved through the
// form (draft).
func (a *testApp) studioArtisan(email string, profile bool) (*client, models.User) {
	a.t.Helper()
	u := a.mkUser(email, models.RoleArtisan)
	c := a.client()
	c.login(email, testPassword)
	if profile {
		resp, body := c.post("/studio/profile", c.withToken("/studio/profile", profileForm(studioSeq.Add(1))))
		if resp.StatusCode != http.StatusSeeOther {
			a.t.Fatalf("save profile of %s: %d %.400s", email, resp.StatusCode, pageText(body))
		}
	}
	return c, u
}

var productLocation = regexp.MustCompile(`^/studio/products/(\d+)`)

// newProduct creates a product through the form and returns its id.
func (c *client) newProduct(form url.Values) int64 {
	c.t.Helper()
	resp, body := c.post("/studio/products/new", c.withToken("/studio/products/new", form))
	m := productLocation.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		c.t.Fatalf("create product: %d Location %q %.400s", resp.StatusCode, resp.Header.Get("Location"), pageText(body))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// follow GETs the redirect target of resp (flashes are shown there).
func (c *client) follow(resp *http.Response) string {
	c.t.Helper()
	loc := resp.Header.Get("Location")
	if loc == "" {
		c.t.Fatalf("no redirect (status %d)", resp.StatusCode)
	}
	_, body := c.get(loc)
	return pageText(body)
}

func artisanOf(t testing.TB, db *gorm.DB, userID int64) models.Artisan {
	t.Helper()
	art, err := models.GetArtisanByUser(context.Background(), db, userID)
	if err != nil {
		t.Fatalf("load artisan of user %d: %v", userID, err)
	}
	return art
}

// addFakePhoto gives a product a photo row (no objects: enough for publishing rules).
func addFakePhoto(t testing.TB, db *gorm.DB, artisanID, productID int64) models.Photo {
	t.Helper()
	ph, err := models.AddPhoto(context.Background(), db, artisanID, productID, models.Photo{
		KeyBase: fmt.Sprintf("img/fake-%d-%d", productID, studioSeq.Add(1)), Width: 800, Height: 600, Variants: "320,800",
	})
	if err != nil {
		t.Fatalf("add photo: %v", err)
	}
	return ph
}

// verifyArtisan has the chamber agent of the artisan's region verify a submitted profile.
func verifyArtisan(t testing.TB, a *testApp, art models.Artisan, verify bool, note string) {
	t.Helper()
	ctx := context.Background()
	if _, err := models.SubmitArtisanProfile(ctx, a.db, art.UserID); err != nil {
		t.Fatalf("submit: %v", err)
	}
	agent, err := models.CreateUser(ctx, a.db, models.NewUser{
		Email: fmt.Sprintf("agent-%d@example.ma", studioSeq.Add(1)), Name: "Agent", Password: testPassword,
		Role: models.RoleChamber, RegionCode: art.RegionCode,
	})
	if err != nil {
		t.Fatalf("create agent: %v", err)
	}
	if _, err := models.ReviewArtisan(ctx, a.db, agent, art.ID, verify, note); err != nil {
		t.Fatalf("review: %v", err)
	}
}

func TestStudioIsForArtisansOnly(t *testing.T) {
	a := newTestApp(t, nil)
	tests := []struct {
		role     string
		want     int
		location string
	}{
		{role: "anonymous", want: http.StatusSeeOther, location: "/login?next=%2Fstudio%2Fproducts"},
		{role: string(models.RoleVisitor), want: http.StatusForbidden},
		{role: string(models.RoleChamber), want: http.StatusForbidden},
		{role: string(models.RoleOrganizer), want: http.StatusForbidden},
		{role: string(models.RoleArtisan), want: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			c := a.client()
			if tt.role != "anonymous" {
				email := "studio-" + tt.role + "@example.be"
				a.mkUser(email, models.Role(tt.role))
				c.login(email, testPassword)
			}
			for _, path := range []string{"/studio", "/studio/profile", "/studio/products", "/studio/products/new"} {
				resp, _ := c.get(path)
				if resp.StatusCode != tt.want {
					t.Errorf("GET %s as %s: %d, want %d", path, tt.role, resp.StatusCode, tt.want)
				}
				if tt.location != "" && path == "/studio/products" && resp.Header.Get("Location") != tt.location {
					t.Errorf("GET %s as %s: Location %q, want %q", path, tt.role, resp.Header.Get("Location"), tt.location)
				}
			}
			if tt.role == "anonymous" || tt.role == string(models.RoleArtisan) {
				return
			}
			// A signed-in non-artisan with a valid token still cannot create a profile or a product.
			before := countRows(t, a.db, "artisans")
			resp, _ := c.post("/studio/profile", c.withToken("/account", profileForm(studioSeq.Add(1))))
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST /studio/profile as %s: %d, want 403", tt.role, resp.StatusCode)
			}
			if after := countRows(t, a.db, "artisans"); after != before {
				t.Errorf("artisans %d → %d after a refused POST", before, after)
			}
		})
	}
}

func TestStudioProfile(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		a := newTestApp(t, db)
		c, u := a.studioArtisan("karim@example.ma", false)

		// A new artisan is told to start with the profile.
		_, body := c.get("/studio")
		if !strings.Contains(pageText(body), a.msg("fr", "StudioStepProfile")) || !strings.Contains(body, `aria-current="step"`) {
			t.Errorf("dashboard of a new artisan does not lead to the profile: %.500s", pageText(body))
		}

		bad := []struct {
			name   string
			change url.Values
			fields map[string]string // field → message id shown next to it
		}{
			{name: "empty form", change: url.Values{"business_name": {""}, "city": {""}, "region": {""}, "craft": {""},
				"bio_fr": {""}, "bio_ar": {""}, "registry_number": {""}, "card_number": {""}},
				fields: map[string]string{"business_name": "FieldRequired", "city": "FieldRequired", "region": "RegionRequired",
					"craft": "CraftRequired", "bio_fr": "BioRequired", "registry_number": "RegistryNumberInvalid", "card_number": "CardNumberInvalid"}},
			{name: "badly formed numbers", change: url.Values{"registry_number": {"12345"}, "card_number": {"x"}, "phone": {"abc"}},
				fields: map[string]string{"registry_number": "RegistryNumberInvalid", "card_number": "CardNumberInvalid", "phone": "PhoneInvalid"}},
			{name: "unknown region and kind", change: url.Values{"region": {"XX"}, "kind": {"empire"}},
				fields: map[string]string{"kind": "FieldInvalidChoice"}},
		}
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				form := profileForm(studioSeq.Add(1))
				for k, v := range tt.change {
					form[k] = v
				}
				resp, body := c.post("/studio/profile", c.withToken("/studio/profile", form))
				if resp.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("POST /studio/profile: %d, want 422", resp.StatusCode)
				}
				text := pageText(body)
				if !strings.Contains(body, `class="error-summary"`) {
					t.Error("no error summary at the top")
				}
				for field, id := range tt.fields {
					want := `id="e-` + field + `">` + a.msg("fr", id)
					if field == "kind" {
						want = `id="f-kind">` + a.msg("fr", id)
					}
					if !strings.Contains(text, want) {
						t.Errorf("field %s: no %q next to it", field, a.msg("fr", id))
					}
				}
				if _, emptied := tt.change["business_name"]; !emptied && !strings.Contains(text, "Atelier Bennani — Zellige de Fès") {
					t.Error("the typed business name is not kept")
				}
				if tt.change.Get("registry_number") != "" && !strings.Contains(body, `value="`+tt.change.Get("registry_number")+`"`) {
					t.Error("the typed registry number is not kept")
				}
				if n := countRows(t, db, "artisans"); n != 0 {
					t.Errorf("%d artisan rows after a refused form", n)
				}
			})
		}

		// A valid profile, with fields the form must never bind.
		form := profileForm(4512)
		form.Set("status", "verified")
		form.Set("user_id", "1")
		form.Set("slug", "stolen")
		resp, _ := c.post("/studio/profile", c.withToken("/studio/profile", form))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/studio" {
			t.Fatalf("save profile: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if text := c.follow(resp); !strings.Contains(text, a.msg("fr", "FlashProfileCreated")) {
			t.Error("no flash after the profile was saved")
		}
		art := artisanOf(t, db, u.ID)
		if art.Status != models.ArtisanDraft || art.Slug == "stolen" || art.UserID != u.ID || art.BioAR != "زليج مقطوع باليد منذ ثلاثة أجيال." {
			t.Errorf("saved profile = status %s slug %s user %d bio_ar %q", art.Status, art.Slug, art.UserID, art.BioAR)
		}
		_, body = c.get("/studio/profile")
		if !strings.Contains(body, `value="FM-2019-004512"`) || !strings.Contains(pageText(body), "Atelier Bennani — Zellige de Fès") {
			t.Error("the profile page does not show the saved values")
		}

		// Another artisan cannot take the same identity numbers.
		c2, _ := a.studioArtisan("brahim@example.ma", false)
		dup := profileForm(4512)
		dup.Set("business_name", "Argent de Tiznit")
		resp, body = c2.post("/studio/profile", c2.withToken("/studio/profile", dup))
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("duplicate registry number: %d, want 422", resp.StatusCode)
		}
		if !strings.Contains(pageText(body), `id="e-registry_number">`+a.msg("fr", "IdentityNumberTaken")) {
			t.Error("duplicate registry number: no error next to the field")
		}
		if !strings.Contains(pageText(body), "Argent de Tiznit") {
			t.Error("duplicate registry number: typed name lost")
		}

		// The dashboard now leads to the chamber; submitting sends the profile to its queue.
		_, body = c.get("/studio")
		if !strings.Contains(pageText(body), a.msg("fr", "StudioStepSubmit")) {
			t.Error("after the profile, the next action is not the submission")
		}
		resp, _ = c.post("/studio/profile/submit", c.withToken("/studio", nil))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("submit: %d", resp.StatusCode)
		}
		if text := c.follow(resp); !strings.Contains(text, a.msg("fr", "FlashProfileSubmitted")) || !strings.Contains(text, a.msg("fr", "StudioStepProduct")) {
			t.Error("after submitting: no flash, or the next action is not the first product")
		}
		if art := artisanOf(t, db, u.ID); art.Status != models.ArtisanPending || art.SubmittedAt == nil {
			t.Errorf("after submit: status %s submitted %v", art.Status, art.SubmittedAt)
		}
		resp, _ = c.post("/studio/profile/submit", c.withToken("/studio", nil))
		if text := c.follow(resp); !strings.Contains(text, a.msg("fr", "FlashProfileAlreadySubmitted")) {
			t.Error("a second submission is not explained")
		}

		// Submitting without a profile is explained, not a 500.
		c3, _ := a.studioArtisan("sans-profil@example.ma", false)
		resp, _ = c3.post("/studio/profile/submit", c3.withToken("/studio", nil))
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(c3.follow(resp), a.msg("fr", "FlashProfileFirst")) {
			t.Errorf("submit without profile: %d", resp.StatusCode)
		}
	})
}

func TestStudioShowsTheChambersReason(t *testing.T) {
	a := newTestApp(t, nil)
	c, u := a.studioArtisan("rejete@example.ma", true)
	verifyArtisan(t, a, artisanOf(t, a.db, u.ID), false, "Le numéro de carte ne correspond pas au registre.")
	for _, lang := range []string{"fr", "ar", "en"} {
		_, body := c.get("/studio?lang=" + lang)
		text := pageText(body)
		for _, want := range []string{"Le numéro de carte ne correspond pas au registre.", a.msg(lang, "StudioRejectedTitle"), a.msg(lang, "StudioStepResubmit")} {
			if !strings.Contains(text, want) {
				t.Errorf("%s dashboard of a rejected artisan lacks %q", lang, want)
			}
		}
	}
	// Correcting and resubmitting puts the profile back in the queue.
	resp, _ := c.post("/studio/profile/submit", c.withToken("/studio/profile", nil))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("resubmit: %d", resp.StatusCode)
	}
	if art := artisanOf(t, a.db, u.ID); art.Status != models.ArtisanPending {
		t.Errorf("after resubmitting: %s", art.Status)
	}
}

func TestStudioProducts(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		a := newTestApp(t, db)
		c, u := a.studioArtisan("produits@example.ma", true)
		art := artisanOf(t, db, u.ID)

		// The empty list teaches how to add the first piece.
		_, body := c.get("/studio/products")
		for _, id := range []string{"StudioProductsEmpty", "StudioHowto1Title", "StudioHowto2Title", "StudioAddFirstProduct"} {
			if !strings.Contains(pageText(body), a.msg("fr", id)) {
				t.Errorf("empty product list lacks %s", id)
			}
		}

		t.Run("refused forms keep what was typed", func(t *testing.T) {
			tests := []struct {
				name   string
				change url.Values
				fields map[string]string
			}{
				{name: "price not a number", change: url.Values{"price": {"beaucoup"}}, fields: map[string]string{"price": "PriceInvalid"}},
				{name: "price with four decimals", change: url.Values{"price": {"45,5055"}}, fields: map[string]string{"price": "PriceInvalid"}},
				{name: "no title, no delivery", change: url.Values{"title_fr": {""}, "title_ar": {""}, "pickup_at_fair": nil},
					fields: map[string]string{"title_fr": "ProductTitleRequired", "pickup_at_fair": "DeliveryRequired"}},
				{name: "stock and lead time", change: url.Values{"stock": {"-2"}, "made_to_order": {"1"}, "lead_time": {"0"}},
					fields: map[string]string{"stock": "StockInvalid", "lead_time": "LeadTimeInvalid"}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					form := productForm()
					for k, v := range tt.change {
						if v == nil {
							delete(form, k)
						} else {
							form[k] = v
						}
					}
					resp, body := c.post("/studio/products/new", c.withToken("/studio/products/new", form))
					if resp.StatusCode != http.StatusUnprocessableEntity {
						t.Fatalf("POST /studio/products/new: %d, want 422", resp.StatusCode)
					}
					text := pageText(body)
					for field, id := range tt.fields {
						if !strings.Contains(text, `id="e-`+field+`">`+a.msg("fr", id)) {
							t.Errorf("no %s next to %s", id, field)
						}
					}
					if p := tt.change.Get("price"); p != "" && !strings.Contains(body, `value="`+p+`"`) {
						t.Errorf("typed price %q not kept", p)
					}
					if n := countRows(t, db, "products"); n != 0 {
						t.Errorf("%d product rows after a refused form", n)
					}
				})
			}
		})

		form := productForm()
		form.Set("status", "published") // never bound
		form.Set("artisan_id", "999")
		id := c.newProduct(form)
		p, err := models.GetOwnProduct(context.Background(), db, art.ID, id)
		if err != nil {
			t.Fatalf("load created product: %v", err)
		}
		if p.PriceCents != 4550 || p.Status != models.ProductDraft || p.Stock != 1 || !p.PickupAtFair || p.Ships || p.WeightGrams != 18000 {
			t.Errorf("created product = price %d status %s stock %d pickup %v ships %v weight %d", p.PriceCents, p.Status, p.Stock, p.PickupAtFair, p.Ships, p.WeightGrams)
		}
		_, body = c.get(fmt.Sprintf("/studio/products/%d", id))
		if !strings.Contains(body, `value="45,50"`) || !strings.Contains(pageText(body), "Fontaine murale en zellige") {
			t.Error("the edit page does not show the saved values")
		}
		_, body = c.get(fmt.Sprintf("/studio/products/%d?lang=en", id))
		if !strings.Contains(body, `value="45.50"`) || !strings.Contains(pageText(body), "€45.50") {
			t.Error("the English edit page does not show the price in English")
		}
		c.get("/studio?lang=fr") // back to French for the checks below

		// Edit: price with a dot and thousands, ships, made to order.
		edit := productForm()
		edit.Set("price", "1.250,00")
		edit.Set("ships", "1")
		edit.Set("made_to_order", "1")
		edit.Set("lead_time", "٢١") // Arabic-Indic digits
		edit.Set("stock", "0")
		resp, _ := c.post(fmt.Sprintf("/studio/products/%d", id), c.withToken(fmt.Sprintf("/studio/products/%d", id), edit))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit: %d", resp.StatusCode)
		}
		p, _ = models.GetOwnProduct(context.Background(), db, art.ID, id)
		if p.PriceCents != 125000 || !p.Ships || !p.MadeToOrder || p.LeadTimeDays != 21 || p.Stock != 0 {
			t.Errorf("edited product = price %d ships %v made %v lead %d stock %d", p.PriceCents, p.Ships, p.MadeToOrder, p.LeadTimeDays, p.Stock)
		}

		status := func(to string) *http.Response {
			t.Helper()
			resp, _ := c.post(fmt.Sprintf("/studio/products/%d/status", id),
				c.withToken(fmt.Sprintf("/studio/products/%d", id), url.Values{"to": {to}}))
			return resp
		}
		// Publishing without a photo is refused with a clear message.
		resp = status("published")
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(c.follow(resp), a.msg("fr", "FlashPublishNeedsPhoto")) {
			t.Errorf("publish without photo: %d, no clear message", resp.StatusCode)
		}
		if p, _ = models.GetOwnProduct(context.Background(), db, art.ID, id); p.Status != models.ProductDraft {
			t.Errorf("published without a photo: %s", p.Status)
		}
		addFakePhoto(t, db, art.ID, id)
		steps := []struct {
			to   string
			code int
			want models.ProductStatus
		}{
			{"published", http.StatusSeeOther, models.ProductPublished},
			{"published", http.StatusConflict, models.ProductPublished},
			{"draft", http.StatusSeeOther, models.ProductDraft},
			{"archived", http.StatusSeeOther, models.ProductArchived},
			{"published", http.StatusConflict, models.ProductArchived}, // restored as a draft first
			{"draft", http.StatusSeeOther, models.ProductDraft},
			{"deleted", http.StatusConflict, models.ProductDraft},
		}
		for i, s := range steps {
			resp := status(s.to)
			if resp.StatusCode != s.code {
				t.Errorf("step %d → %s: %d, want %d", i, s.to, resp.StatusCode, s.code)
			}
			if p, _ = models.GetOwnProduct(context.Background(), db, art.ID, id); p.Status != s.want {
				t.Errorf("step %d → %s: status %s, want %s", i, s.to, p.Status, s.want)
			}
		}
		// The list shows it with its status, price and actions.
		_, body = c.get("/studio/products")
		text := pageText(body)
		for _, want := range []string{"Fontaine murale en zellige", a.msg("fr", "StudioProductStatus_draft"), "1\u202f250,00\u00a0€", a.msg("fr", "StudioPublish")} {
			if !strings.Contains(text, want) {
				t.Errorf("product list lacks %q", want)
			}
		}
	})
}

// rowHash fingerprints a product and its photos, to prove a refused request changed nothing.
func rowHash(t testing.TB, db *gorm.DB, productID int64) string {
	t.Helper()
	var p models.Product
	if err := db.Where("id = ?", productID).Take(&p).Error; err != nil {
		t.Fatalf("load product %d: %v", productID, err)
	}
	photos, err := models.ListPhotos(context.Background(), db, productID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(struct {
		P  models.Product
		Ph []models.Photo
	}{p, photos})
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// TestStudioOtherArtisansProductIs404 (B2): every /studio/products/:id route of the table, GET
// and POST, with another artisan's product (and photo) id answers 404 — the same as a product
// that does not exist — and the row and its photos stay byte for byte the same.
func TestStudioOtherArtisansProductIs404(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		a := newTestApp(t, db, Config{BaseURL: "http://example.com", BodyLimit: 64 << 20})
		owner, ou := a.studioArtisan("proprietaire@example.ma", true)
		id := owner.newProduct(productForm())
		ownerArt := artisanOf(t, db, ou.ID)
		ph := addFakePhoto(t, db, ownerArt.ID, id)
		addFakePhoto(t, db, ownerArt.ID, id)

		intruder, _ := a.studioArtisan("intrus@example.ma", true)
		intruder.newProduct(productForm()) // has products of their own
		noProfile, _ := a.studioArtisan("intrus-sans-profil@example.ma", false)

		forms := map[string]url.Values{
			"/studio/products/:id":                        func() url.Values { f := productForm(); f.Set("price", "1"); return f }(),
			"/studio/products/:id/status":                 {"to": {"archived"}},
			"/studio/products/:id/photos/order":           {"ids": {strconv.FormatInt(ph.ID, 10)}},
			"/studio/products/:id/photos/:photoID/delete": {},
			"/studio/products/:id/photos/:photoID/cover":  {},
		}
		covered := 0
		for _, r := range a.h.routes() {
			if !strings.HasPrefix(r.path, "/studio/products/:id") {
				continue
			}
			covered++
			path := strings.NewReplacer(":id", strconv.FormatInt(id, 10), ":photoID", strconv.FormatInt(ph.ID, 10)).Replace(r.path)
			for name, c := range map[string]*client{"other artisan": intruder, "artisan without profile": noProfile} {
				t.Run(name+" "+r.method+" "+r.path, func(t *testing.T) {
					before := rowHash(t, db, id)
					var resp *http.Response
					var body string
					switch {
					case r.method == http.MethodGet:
						resp, body = c.get(path)
					case r.upload:
						resp, body = c.upload(path, c.csrf("/studio"), "photos", []testFile{{name: "x.jpg", data: smallJPEG(t)}}, false)
					default:
						resp, body = c.post(path, c.withToken("/studio", forms[r.path]))
					}
					if resp.StatusCode != http.StatusNotFound {
						t.Errorf("%s %s: %d, want 404", r.method, path, resp.StatusCode)
					}
					if strings.Contains(body, "Fontaine murale") {
						t.Errorf("%s %s leaks the product", r.method, path)
					}
					if after := rowHash(t, db, id); after != before {
						t.Errorf("%s %s changed the product or its photos", r.method, path)
					}
				})
			}
		}
		if covered < 7 {
			t.Errorf("only %d /studio/products/:id routes found", covered)
		}
		// The owner still reaches it (the 404 is about ownership, not the id).
		if resp, _ := owner.get(fmt.Sprintf("/studio/products/%d", id)); resp.StatusCode != http.StatusOK {
			t.Errorf("owner GET: %d", resp.StatusCode)
		}
		// Not a product id at all.
		for _, path := range []string{"/studio/products/abc", "/studio/products/0", "/studio/products/-1", "/studio/products/99999999999999999999"} {
			if resp, _ := owner.get(path); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
			}
		}
	})
}

func TestStudioDashboardNextAction(t *testing.T) {
	a := newTestApp(t, nil)
	c, u := a.studioArtisan("etapes@example.ma", true)
	art := artisanOf(t, a.db, u.ID)
	next := func() string {
		t.Helper()
		_, body := c.get("/studio")
		m := regexp.MustCompile(`(?s)<h2 id="next-h" class="h4">(.*?)</h2>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no next action on the dashboard")
		}
		return pageText(m[1])
	}
	if got := next(); got != a.msg("fr", "StudioStepSubmit") {
		t.Errorf("next after profile = %q", got)
	}
	if _, err := models.SubmitArtisanProfile(context.Background(), a.db, u.ID); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != a.msg("fr", "StudioStepProduct") {
		t.Errorf("next after submit = %q", got)
	}
	id := c.newProduct(productForm())
	if got := next(); got != a.msg("fr", "StudioStepPhotos") {
		t.Errorf("next after the first product = %q", got)
	}
	addFakePhoto(t, a.db, art.ID, id)
	if got := next(); got != a.msg("fr", "StudioStepPublish") {
		t.Errorf("next after photos = %q", got)
	}
	if err := models.SetProductStatus(context.Background(), a.db, art.ID, id, models.ProductPublished); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != a.msg("fr", "StudioAllDone") {
		t.Errorf("next after publishing = %q", got)
	}
}

func TestStudioFormBodyLimit(t *testing.T) {
	a := newTestApp(t, nil, Config{BaseURL: "http://example.com", BodyLimit: 64 << 20})
	c, _ := a.studioArtisan("gros@example.ma", true)
	form := productForm()
	form.Set("description_fr", strings.Repeat("a", 2<<20))
	resp, _ := c.post("/studio/products/new", c.withToken("/studio/products/new", form))
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB form post: %d, want 413 (only uploads get the large body limit)", resp.StatusCode)
	}
}

func TestParsePriceInput(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"45", 4500, true}, {"45,50", 4550, true}, {"45.50", 4550, true}, {"45,5", 4550, true}, {" 45 € ", 4500, true},
		{"1 250,00", 125000, true}, {"1.250,00", 125000, true}, {"1,250.00", 125000, true}, {"1.250", 125000, true},
		{"1\u202f250,50", 125050, true}, {"٤٥٫٥٠", 4550, true}, {"0,99", 99, true}, {",50", 50, true},
		{"", 0, false}, {"abc", 0, false}, {"45,5055", 0, false}, {"45,505", 4550500, true}, {"-5", 0, false}, {"1.2.3", 0, false},
		{"12,34,56", 0, false}, {"4 5", 4500, true}, {"1e3", 0, false}, {"99999999999", 0, false},
	}
	for _, tt := range tests {
		got, ok := parsePriceInput(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parsePriceInput(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// testFile is one file of a multipart upload.
type testFile struct {
	name string
	data []byte
}

// upload posts files in a multipart field, like the form (asJSON=false) or like upload.js
// (Accept: application/json and the token in X-Csrf-Token).
func (c *client) upload(path, token, field string, files []testFile, asJSON bool) (*http.Response, string) {
	c.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if !asJSON {
		_ = w.WriteField("_csrf", token)
	}
	for _, f := range files {
		fw, err := w.CreateFormFile(field, f.name)
		if err != nil {
			c.t.Fatal(err)
		}
		_, _ = fw.Write(f.data)
	}
	_ = w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if asJSON {
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-Csrf-Token", token)
	}
	return c.do(req)
}
