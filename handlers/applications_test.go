package handlers

// Booth applications over HTTP: the whole artisan → chamber flow (apply, edit, review,
// withdraw), every rule violation answered with its message and no change, and access: another
// artisan's application and another region's agent get 404 on every route, other roles 403.

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"gorm.io/gorm"
)

// applFair creates a fair whose call is open from a day ago for a month (or closed, or not yet
// open, by the window given).
func applFair(t *testing.T, db *gorm.DB, slug string, openAt, closeAt time.Time) models.Fair {
	t.Helper()
	start := time.Now().AddDate(0, 4, 0).Truncate(24 * time.Hour)
	f := models.Fair{Slug: slug, Name: "Salon " + slug, City: "Bruxelles", Country: "BE", Venue: "Tour & Taxis", StartsOn: start,
		EndsOn: start.AddDate(0, 0, 2), Timezone: "Europe/Brussels", Status: models.FairOpen,
		ApplicationsOpenAt: &openAt, ApplicationsCloseAt: &closeAt, Currency: "EUR", FeePolicy: models.FeeStandPrice}
	if err := db.Create(&f).Error; err != nil {
		t.Fatal(err)
	}
	return f
}

func openApplFair(t *testing.T, db *gorm.DB, slug string) models.Fair {
	return applFair(t, db, slug, time.Now().AddDate(0, 0, -1), time.Now().AddDate(0, 1, 0))
}

// applArtisan is an artisan fixture that can log in, with one published and one draft product.
type applArtisan struct {
	models.Artisan
	email            string
	published, draft models.Product
}

func newApplArtisan(t *testing.T, f *fixtures, business, region string, status models.ArtisanStatus) applArtisan {
	t.Helper()
	email := "appl-" + fixtureSuffix() + "@example.ma"
	a := f.artisan(artisanSpec{email: email, business: business, region: region, craft: "zellige", status: status})
	return applArtisan{Artisan: a, email: email,
		published: f.product(a, models.ProductInput{TitleFR: "Panneau " + business}, 1, true),
		draft:     f.product(a, models.ProductInput{TitleFR: "Brouillon " + business}, 0, false)}
}

func (x applArtisan) client(a *testApp) (*client, string) {
	c := a.client()
	c.login(x.email, testPassword)
	return c, c.csrf("/account")
}

func applForm(token string, products ...models.Product) url.Values {
	v := url.Values{"_csrf": {token}, "preferred_kind": {"corner"}, "preferred_size": {"9"}, "preferred_zone": {"Allée centrale"},
		"motivation": {"Zellige taillé à la main, démonstration de taille sur le stand."}, "needs_chamber_funding": {"1"}}
	for _, p := range products {
		v.Add("products", strconv.FormatInt(p.ID, 10))
	}
	return v
}

// follow requests the page a redirect points to.
func (c *client) applFollow(resp *http.Response, _ string) (*http.Response, string) {
	c.t.Helper()
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("want a redirect, got %d", resp.StatusCode)
	}
	return c.get(resp.Header.Get("Location"))
}

func (a *testApp) applMsg(lang, id string, kv ...string) string {
	data := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		data[kv[i]] = kv[i+1]
	}
	return a.h.tr.localize(lang, id, nil, data)
}

func applStatusOf(t *testing.T, db *gorm.DB, id int64) models.Application {
	t.Helper()
	var app models.Application
	if err := db.Where("id = ?", id).Take(&app).Error; err != nil {
		t.Fatal(err)
	}
	return app
}

var applPathRe = regexp.MustCompile(`^/studio/applications/(\d+)$`)

func applWant(t *testing.T, body string, wants ...string) {
	t.Helper()
	text := pageText(body)
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func TestApplicationFlowOverHTTP(t *testing.T) {
	a := newTestApp(t, nil)
	db := a.db
	f := newFixtures(t, db)
	fair := openApplFair(t, db, "flow-bruxelles")
	me := newApplArtisan(t, f, "Atelier Zellige Fassi", "FM", models.ArtisanVerified)
	other := newApplArtisan(t, f, "Atelier Voisin", "FM", models.ArtisanVerified)
	c, token := me.client(a)

	// The list shows the open call with its Apply link, and no application yet.
	resp, body := c.get("/studio/applications")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("list: %d", resp.StatusCode)
	}
	newURL := "/studio/applications/new?fair=" + fair.Slug
	applWant(t, body, fair.Name, newURL, a.msg("fr", "ApplNoneYet"))

	// The form: stand kinds, sizes, the artisan's own products only.
	resp, body = c.get(newURL)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("form: %d", resp.StatusCode)
	}
	applWant(t, body, `name="motivation"`, `value="corner"`, `value="18"`, `value="`+strconv.FormatInt(me.published.ID, 10)+`"`,
		`value="`+strconv.FormatInt(me.draft.ID, 10)+`"`, "Panneau Atelier Zellige Fassi", a.msg("fr", "ApplKindHint_island"))
	if strings.Contains(body, "Panneau Atelier Voisin") {
		t.Error("the form offers another artisan's product")
	}

	// Invalid: messages next to the fields, what was typed kept, nothing saved.
	bad := applForm(token)
	bad.Set("motivation", "Trop court")
	resp, body = c.post(newURL, bad)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid form: %d", resp.StatusCode)
	}
	// The error sits right under the textarea, which is marked invalid and points to it.
	if m := regexp.MustCompile(`<textarea[^>]*id="f-motivation"[^>]*aria-describedby="e-motivation h-motivation"[^>]*aria-invalid="true"[^>]*>[^<]*</textarea>\s*<p class="field-error" id="e-motivation">([^<]*)</p>`).
		FindStringSubmatch(body); m == nil || pageText(m[1]) != a.msg("fr", "ApplicationMotivationTooShort") {
		t.Errorf("motivation error missing next to the field: %s", grepLines(body, "motivation"))
	}
	applWant(t, body, a.msg("fr", "ApplicationProductsRequired"), ">Trop court</textarea>", "Allée centrale")
	resp, body = c.post(newURL, applForm(token, me.published, other.published))
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("another artisan's product: %d", resp.StatusCode)
	}
	applWant(t, body, a.msg("fr", "ApplicationProductsNotYours"))
	junk := applForm(token)
	junk["products"] = []string{"abc", "-4"}
	junk.Set("preferred_size", "neuf")
	if resp, body = c.post(newURL, junk); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("junk product ids: %d", resp.StatusCode)
	}
	applWant(t, body, a.msg("fr", "ApplicationProductsNotYours"), a.msg("fr", "FieldInvalidChoice"))
	if n := countRows(t, db, "applications"); n != 0 {
		t.Fatalf("%d applications after invalid forms", n)
	}

	// Valid: saved, the artisan lands on the application with a confirmation.
	resp, _ = c.post(newURL, applForm(token, me.published, me.draft))
	m := applPathRe.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("apply: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	appID, _ := strconv.ParseInt(m[1], 10, 64)
	appURL := applicationPath(appID)
	_, body = c.get(appURL)
	applWant(t, body, a.msg("fr", "FlashApplicationSent"), a.msg("fr", "ApplStatus_submitted"), a.msg("fr", "ApplEditTitle"),
		"Allée centrale", `name="confirm"`)
	app := applStatusOf(t, db, appID)
	if app.PreferredKind != "corner" || app.PreferredSizeM2 != 9 || !app.NeedsChamberFunding {
		t.Errorf("saved %+v", app)
	}

	// Twice: refused with a pointer to the existing application; still one row.
	resp, _ = c.post(newURL, applForm(token, me.published))
	if resp.Header.Get("Location") != appURL {
		t.Errorf("second application sent to %q, want the existing %s", resp.Header.Get("Location"), appURL)
	}
	_, body = c.applFollow(resp, "")
	applWant(t, body, a.msg("fr", "ApplyRefusedAlreadyApplied"))
	_, body = c.get(newURL)
	applWant(t, body, a.msg("fr", "ApplAlreadyTitle"), appURL)
	if n := countRows(t, db, "applications"); n != 1 {
		t.Fatalf("%d applications after a second submit, want 1", n)
	}

	// Edit while submitted.
	edit := applForm(token, me.draft)
	edit.Set("motivation", "Nouvelle motivation : fontaines et tables en zellige.")
	edit.Set("preferred_kind", "island")
	_, body = c.applFollow(c.post(appURL, edit))
	applWant(t, body, a.msg("fr", "FlashApplicationSaved"), "Nouvelle motivation : fontaines et tables en zellige.")
	if got := applStatusOf(t, db, appID); got.PreferredKind != "island" {
		t.Errorf("edit not saved: %+v", got)
	}

	// The chamber agent of FM ranks the application.
	f.agent("FM")
	agent := a.client()
	agent.login(f.agents["FM"].Email, testPassword)
	agentToken := agent.csrf("/account")
	resp, body = agent.get("/chamber/applications")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chamber list: %d", resp.StatusCode)
	}
	applWant(t, body, "Atelier Zellige Fassi", fair.Name, chamberApplicationPath(appID))
	resp, body = agent.get(chamberApplicationPath(appID))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chamber page: %d", resp.StatusCode)
	}
	applWant(t, body, "Nouvelle motivation : fontaines et tables en zellige.", "Brouillon Atelier Zellige Fassi")
	review := chamberApplicationPath(appID) + "/review"
	resp, body = agent.post(review, url.Values{"_csrf": {agentToken}, "decision": {"not_recommend"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("review without a note: %d", resp.StatusCode)
	}
	applWant(t, body, a.msg("fr", "ChamberNoteRequired"))
	resp, body = agent.post(review, url.Values{"_csrf": {agentToken}, "decision": {"recommend"}, "rank": {"zéro"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(pageText(body), a.msg("fr", "ChamberRankInvalid")) {
		t.Errorf("review with a bad rank: %d", resp.StatusCode)
	}
	resp, body = agent.applFollow(agent.post(review, url.Values{"_csrf": {agentToken}, "decision": {"recommend"}, "rank": {"1"}, "back": {"list"}}))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after review: %d", resp.StatusCode)
	}
	applWant(t, body, a.applMsg("fr", "FlashChamberRecommended", "Name", "Atelier Zellige Fassi", "Rank", "1"), `<span class="rank-badge"><bdi>1</bdi></span>`)
	if got := applStatusOf(t, db, appID); got.Status != models.AppChamberReviewed || got.ChamberRank == nil || *got.ChamberRank != 1 {
		t.Errorf("after review: %+v", got)
	}

	// The artisan sees "reviewed by your chamber", not the rank; editing is over.
	_, body = c.get(appURL)
	applWant(t, body, a.msg("fr", "ApplReviewedByChamber"), a.msg("fr", "ApplEditLockedReviewed"))
	if strings.Contains(body, `name="motivation"`) {
		t.Error("the edit form is still offered after the chamber's review")
	}
	_, body = c.applFollow(c.post(appURL, edit))
	applWant(t, body, a.msg("fr", "ApplicationRefusedLocked"))

	// Withdraw: the box must be ticked.
	resp, body = c.post(appURL+"/withdraw", url.Values{"_csrf": {token}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("withdraw without confirmation: %d", resp.StatusCode)
	}
	applWant(t, body, a.msg("fr", "ApplConfirmRequired"))
	if got := applStatusOf(t, db, appID); got.Status != models.AppChamberReviewed {
		t.Fatalf("unconfirmed withdrawal changed the state to %s", got.Status)
	}
	_, body = c.applFollow(c.post(appURL+"/withdraw", url.Values{"_csrf": {token}, "confirm": {"1"}}))
	applWant(t, body, a.msg("fr", "FlashApplicationWithdrawn"), a.msg("fr", "ApplStatus_withdrawn"))
	if strings.Contains(body, `name="confirm"`) {
		t.Error("a withdrawn application still offers to withdraw")
	}
	_, body = c.applFollow(c.post(appURL+"/withdraw", url.Values{"_csrf": {token}, "confirm": {"1"}}))
	applWant(t, body, a.msg("fr", "ApplicationRefusedWithdraw"))

	// The agent can no longer revise a withdrawn application.
	_, body = agent.applFollow(agent.post(review, url.Values{"_csrf": {agentToken}, "decision": {"recommend"}, "rank": {"2"}}))
	applWant(t, body, a.msg("fr", "ChamberReviewRefusedLocked"))

	// One e-mail per step that concerns the artisan.
	var kinds []string
	db.Model(&models.OutboxEmail{}).Where("to_address = ?", me.email).Order("id").Pluck("kind", &kinds)
	if strings.Join(kinds, ",") != "application_received,chamber_reviewed,application_withdrawn" {
		t.Errorf("notices %v", kinds)
	}
}

func TestApplicationRuleViolationsOverHTTP(t *testing.T) {
	a := newTestApp(t, nil)
	db := a.db
	f := newFixtures(t, db)
	now := time.Now()
	open := openApplFair(t, db, "rules-open")
	closed := applFair(t, db, "rules-closed", now.AddDate(0, -2, 0), now.AddDate(0, 0, -3))
	later := applFair(t, db, "rules-later", now.AddDate(0, 0, 10), now.AddDate(0, 2, 0))

	t.Run("unverified artisan", func(t *testing.T) {
		x := newApplArtisan(t, f, "Atelier en attente", "FM", models.ArtisanPending)
		c, token := x.client(a)
		resp, body := c.get("/studio/applications/new?fair=" + open.Slug)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("form page: %d", resp.StatusCode)
		}
		applWant(t, body, a.msg("fr", "ApplyRefusedNotVerified"), `href="/studio/profile"`)
		if strings.Contains(body, `name="motivation"`) {
			t.Error("an unverified artisan is offered the form")
		}
		resp, body = c.post("/studio/applications/new?fair="+open.Slug, applForm(token, x.published))
		if resp.StatusCode != http.StatusConflict {
			t.Fatalf("unverified POST: %d", resp.StatusCode)
		}
		applWant(t, body, a.msg("fr", "ApplyRefusedNotVerified"))
		_, body = c.get("/studio/applications")
		applWant(t, body, a.msg("fr", "ApplCannotApplyTitle"), a.msg("fr", "ApplApplyAfterVerification"))
	})

	x := newApplArtisan(t, f, "Atelier Règles", "FM", models.ArtisanVerified)
	c, token := x.client(a)
	t.Run("outside the window", func(t *testing.T) {
		for _, tc := range []struct {
			fair models.Fair
			id   string
		}{{closed, "ApplyRefusedClosed"}, {later, "ApplyRefusedNotYetOpen"}} {
			page := &Page{Lang: "fr", tr: a.h.tr}
			want := a.applMsg("fr", tc.id, "Opens", fairMoment(page, tc.fair, tc.fair.ApplicationsOpenAt),
				"Closes", fairMoment(page, tc.fair, tc.fair.ApplicationsCloseAt))
			_, body := c.get("/studio/applications/new?fair=" + tc.fair.Slug)
			applWant(t, body, want)
			if strings.Contains(body, `name="motivation"`) {
				t.Errorf("%s: the form is offered outside the window", tc.fair.Slug)
			}
			resp, body := c.post("/studio/applications/new?fair="+tc.fair.Slug, applForm(token, x.published))
			if resp.StatusCode != http.StatusConflict {
				t.Errorf("%s POST: %d, want 409", tc.fair.Slug, resp.StatusCode)
			}
			applWant(t, body, want)
		}
		if n := countRows(t, db, "applications"); n != 0 {
			t.Errorf("%d applications outside the window", n)
		}
		if resp, _ := c.get("/studio/applications/new?fair=no-such-fair"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown fair: %d", resp.StatusCode)
		}
	})

	resp, _ := c.post("/studio/applications/new?fair="+open.Slug, applForm(token, x.published))
	m := applPathRe.FindStringSubmatch(resp.Header.Get("Location"))
	if m == nil {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	appURL := applicationPath(id)

	t.Run("offer answers from wrong states", func(t *testing.T) {
		for _, path := range []string{"/accept-offer", "/decline-offer"} {
			_, body := c.applFollow(c.post(appURL+path, url.Values{"_csrf": {token}, "confirm_decline": {"1"}}))
			applWant(t, body, a.msg("fr", "ApplicationRefusedNoOffer"))
		}
		// An offer past its deadline cannot be taken any more.
		db.Model(&models.Application{}).Where("id = ?", id).Updates(map[string]any{"status": models.AppOffered, "offer_expires_at": now.Add(-time.Minute)})
		_, body := c.applFollow(c.post(appURL+"/accept-offer", url.Values{"_csrf": {token}}))
		applWant(t, body, a.msg("fr", "ApplicationRefusedOfferExpired"))
		if got := applStatusOf(t, db, id); got.Status != models.AppOffered {
			t.Errorf("late acceptance changed the state to %s", got.Status)
		}
	})
	t.Run("an open offer", func(t *testing.T) {
		db.Model(&models.Application{}).Where("id = ?", id).Update("offer_expires_at", now.Add(48*time.Hour))
		_, body := c.get(appURL)
		applWant(t, body, a.msg("fr", "ApplOfferTitle"), "/accept-offer", `name="confirm_decline"`)
		_, body = c.get("/studio/applications")
		applWant(t, body, a.msg("fr", "ApplAnswerOffer"))
		resp, body := c.post(appURL+"/decline-offer", url.Values{"_csrf": {token}})
		if resp.StatusCode != http.StatusUnprocessableEntity || applStatusOf(t, db, id).Status != models.AppOffered {
			t.Fatalf("decline without confirmation: %d", resp.StatusCode)
		}
		applWant(t, body, a.msg("fr", "ApplConfirmRequired"))
		_, body = c.applFollow(c.post(appURL+"/accept-offer", url.Values{"_csrf": {token}}))
		applWant(t, body, a.msg("fr", "FlashOfferAccepted"), a.msg("fr", "ApplStatus_accepted"))
	})
}

func TestApplicationAccessOverHTTP(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		a := newTestApp(t, db)
		f := newFixtures(t, db)
		fair := openApplFair(t, db, "access-"+fixtureSuffix())
		owner := newApplArtisan(t, f, "Atelier Propriétaire", "FM", models.ArtisanVerified)
		ms := newApplArtisan(t, f, "Atelier Marrakech", "MS", models.ArtisanVerified)
		ctx := context.Background()
		var owner1, ms1 models.Application
		var err error
		if owner1, err = models.Apply(ctx, db, owner.UserID, fair.ID, models.ApplicationInput{Motivation: "Motivation assez longue pour passer.", ProductIDs: []int64{owner.published.ID}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		if ms1, err = models.Apply(ctx, db, ms.UserID, fair.ID, models.ApplicationInput{Motivation: "Motivation assez longue pour passer.", ProductIDs: []int64{ms.published.ID}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		audit := countRows(t, db, "audit_entries")

		// Every application route of the table, with the id filled in.
		type target struct{ method, path string }
		var studio, chamber []target
		for _, r := range a.h.routes() {
			switch {
			case strings.HasPrefix(r.path, "/studio/applications/:id"):
				studio = append(studio, target{r.method, strings.Replace(r.path, ":id", strconv.FormatInt(owner1.ID, 10), 1)})
			case strings.HasPrefix(r.path, "/chamber/applications/:id"):
				chamber = append(chamber, target{r.method, strings.Replace(r.path, ":id", strconv.FormatInt(owner1.ID, 10), 1)})
			}
		}
		if len(studio) != 6 || len(chamber) != 2 { // view, edit, withdraw, accept, decline, pay the fee; view, review
			t.Fatalf("found %d studio and %d chamber application routes", len(studio), len(chamber))
		}
		send := func(c *client, token string, tg target) *http.Response {
			if tg.method == http.MethodGet {
				resp, _ := c.get(tg.path)
				return resp
			}
			resp, _ := c.post(tg.path, url.Values{"_csrf": {token}, "confirm": {"1"}, "confirm_decline": {"1"}, "decision": {"recommend"}, "rank": {"1"},
				"motivation": {"Je prends la place de quelqu'un d'autre."}, "products": {strconv.FormatInt(ms.published.ID, 10)}})
			return resp
		}

		// Another artisan: 404 everywhere, nothing changes.
		intruder, token := ms.client(a)
		for _, tg := range studio {
			if resp := send(intruder, token, tg); resp.StatusCode != http.StatusNotFound {
				t.Errorf("another artisan %s %s: %d, want 404", tg.method, tg.path, resp.StatusCode)
			}
		}
		if got := applStatusOf(t, db, owner1.ID); got.Status != models.AppSubmitted || got.Motivation != owner1.Motivation {
			t.Errorf("another artisan changed the application: %+v", got)
		}

		// Another region's agent: 404 on the application, and the list shows only their region.
		agentMS := f.agent("MS")
		agent := a.client()
		agent.login(agentMS.Email, testPassword)
		agentToken := agent.csrf("/account")
		for _, tg := range chamber {
			if resp := send(agent, agentToken, tg); resp.StatusCode != http.StatusNotFound {
				t.Errorf("MS agent %s %s: %d, want 404", tg.method, tg.path, resp.StatusCode)
			}
		}
		_, body := agent.get("/chamber/applications")
		if !strings.Contains(pageText(body), "Atelier Marrakech") || strings.Contains(pageText(body), "Atelier Propriétaire") {
			t.Error("MS agent's list: want the MS applicant only")
		}
		if resp, _ := agent.get("/chamber/applications?fair=999999"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown fair in the chamber list: %d", resp.StatusCode)
		}
		if resp, _ := agent.get(chamberApplicationPath(ms1.ID)); resp.StatusCode != http.StatusOK {
			t.Errorf("MS agent on the MS application: %d", resp.StatusCode)
		}
		if got := applStatusOf(t, db, owner1.ID); got.ChamberRecommended != nil {
			t.Error("another region's agent reviewed the application")
		}

		// Roles without access: 403 on every application route (list pages included).
		all := append(append([]target{{http.MethodGet, "/studio/applications"}, {http.MethodGet, "/studio/applications/new"},
			{http.MethodPost, "/studio/applications/new?fair=" + fair.Slug}, {http.MethodGet, "/chamber/applications"}}, studio...), chamber...)
		for _, role := range []models.Role{models.RoleVisitor, models.RoleOrganizer} {
			email := "appl-" + string(role) + "@example.be"
			a.mkUser(email, role)
			c := a.client()
			c.login(email, testPassword)
			tok := c.csrf("/account")
			for _, tg := range all {
				if resp := send(c, tok, tg); resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s %s %s: %d, want 403", role, tg.method, tg.path, resp.StatusCode)
				}
			}
		}
		// An artisan on the chamber's routes, an agent on the studio's: 403.
		for _, tg := range append([]target{{http.MethodGet, "/chamber/applications"}}, chamber...) {
			if resp := send(intruder, token, tg); resp.StatusCode != http.StatusForbidden {
				t.Errorf("artisan %s %s: %d, want 403", tg.method, tg.path, resp.StatusCode)
			}
		}
		for _, tg := range append([]target{{http.MethodGet, "/studio/applications"}}, studio...) {
			if resp := send(agent, agentToken, tg); resp.StatusCode != http.StatusForbidden {
				t.Errorf("agent %s %s: %d, want 403", tg.method, tg.path, resp.StatusCode)
			}
		}
		if n := countRows(t, db, "audit_entries"); n != audit {
			t.Errorf("refused requests wrote %d audit entries", n-audit)
		}
		if n := countRows(t, db, "applications"); n != 2 {
			t.Errorf("%d applications, want 2", n)
		}
	})
}
