package handlers

// The public pages, the account page of each role and the organizer back office, on the demo
// data of `souk seed`: statuses and the content a visitor or an organizer looks for.

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// newSeededApp is an instance on a database filled by models.Seed.
func newSeededApp(t *testing.T, db *gorm.DB) *testApp {
	t.Helper()
	if db == nil {
		db = dbtest.SQLite(t)
	}
	if _, err := models.Seed(context.Background(), db, models.SeedOptions{}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return newTestApp(t, db)
}

// pagesLogin returns a client signed in as a demo account ("" = anonymous).
func pagesLogin(a *testApp, email string) *client {
	c := a.client()
	if email != "" {
		c.login(email, models.DefaultDemoPassword)
	}
	return c
}

const (
	demoFairName   = "Souk Expo Bruxelles 2027 (démonstration)"
	brussels2026   = "Salon SMAP — Bruxelles 2026"
	paris2026      = "Salon SMAP — Paris 2026"
	organizerEmail = "organizer@souk.test"
)

func TestPublicPages(t *testing.T) {
	a := newSeededApp(t, nil)
	fr := func(id string) string { return a.h.tr.localize("fr", id, nil, nil) }
	tests := []struct {
		name       string
		path       string
		header     map[string]string
		wantStatus int
		wantLang   string
		want       []string // in the page text (HTML entities decoded)
		notWant    []string
		check      func(t *testing.T, body string)
	}{
		{
			name: "home shows the next fair, marked as demo data", path: "/", wantStatus: 200,
			want:    []string{fr("HomeNextFair"), demoFairName, `href="/fairs/demo-bruxelles-2027"`, "Données de démonstration", "\u206619–21\u2069 mars 2027", "Zellige", "Fès-Meknès"},
			notWant: []string{brussels2026, paris2026},
		},
		{
			name: "catalog", path: "/products", wantStatus: 200,
			want:    []string{fr("ProductsTitle"), `<select class="form-select" id="f-craft" name="craft">`, `<option value="zellige">`, `<option value="FM">`},
			notWant: []string{fr("ProductsClearFilters")},
		},
		{
			name: "catalog filtered by craft", path: "/products?craft=zellige", wantStatus: 200,
			want: []string{`<option value="zellige" selected>`, fr("ProductsClearFilters"), "Zellige"},
		},
		{
			name: "catalog filtered by region", path: "/products?region=FM", wantStatus: 200,
			want: []string{`<option value="FM" selected>`, fr("ProductsClearFilters"), "Fès-Meknès"},
		},
		{
			name: "catalog ignores an unknown filter", path: "/products?craft=plutonium", wantStatus: 200,
			notWant: []string{`value="plutonium"`, `<option value="zellige" selected>`, fr("ProductsClearFilters")},
		},
		{
			name: "fairs: the demo edition upcoming, the two 2026 editions past", path: "/fairs", wantStatus: 200,
			want: []string{fr("FairsUpcoming"), fr("FairsPast"), demoFairName, brussels2026, paris2026, "\u206627–29\u2069 mars 2026", "\u206612–14\u2069 juin 2026"},
			check: func(t *testing.T, body string) {
				upcoming, past, ok := strings.Cut(body, `id="past-h"`)
				if !ok {
					t.Fatal("no past editions section (id=past-h)")
				}
				if !strings.Contains(upcoming, demoFairName) || strings.Contains(upcoming, brussels2026) || strings.Contains(upcoming, paris2026) {
					t.Error("upcoming section: want only the demo edition")
				}
				if strings.Contains(past, demoFairName) {
					t.Error("past section lists the upcoming demo edition")
				}
				ip, ib := strings.Index(past, paris2026), strings.Index(past, brussels2026)
				if ip < 0 || ib < 0 || ip > ib {
					t.Errorf("past section: want Paris 2026 then Bruxelles 2026 (latest first), got positions %d, %d", ip, ib)
				}
			},
		},
		{
			name: "demo fair page", path: "/fairs/demo-bruxelles-2027", wantStatus: 200,
			want:    []string{demoFairName, fr("DemoData"), fr("FairDemoNotice"), fr("FairStatus_open"), "\u206619–21\u2069 mars 2027", "Belgique", "Hall de démonstration", fr("FairArtisansCall")},
			notWant: []string{fr("FairPastNotice")},
		},
		{
			name: "past fair page", path: "/fairs/bruxelles-2026", wantStatus: 200,
			want:    []string{brussels2026, fr("FairPastNotice"), fr("FairStatus_archived"), "\u206627–29\u2069 mars 2026"},
			notWant: []string{fr("FairArtisansCall"), fr("DemoData")},
		},
		{
			name: "unknown fair: 404 page with the layout", path: "/fairs/unknown", wantStatus: 404, wantLang: "fr",
			want: []string{fr("ErrorNotFound"), fr("NavCatalog"), fr("NavFairs"), `class="souk-brand"`, "404"},
		},
		{
			name: "unknown fair in Arabic", path: "/fairs/unknown?lang=ar", wantStatus: 404, wantLang: "ar",
			want: []string{a.h.tr.localize("ar", "ErrorNotFound", nil, nil), "الكتالوج"},
		},
		{
			name: "unknown fair for an English browser", path: "/fairs/unknown", header: map[string]string{"Accept-Language": "en"}, wantStatus: 404, wantLang: "en",
			want: []string{a.h.tr.localize("en", "ErrorNotFound", nil, nil), "Catalog"},
		},
		{
			name: "signup offers visitor and artisan only", path: "/signup", wantStatus: 200,
			want:    []string{fr("SignupTitle"), `name="_csrf"`, `value="visitor"`, `value="artisan"`, `name="email"`, `name="password"`},
			notWant: []string{`value="chamber"`, `value="organizer"`},
		},
		{
			name: "signup preselects artisan from the call to action", path: "/signup?role=artisan", wantStatus: 200,
			check: func(t *testing.T, body string) {
				if !regexp.MustCompile(`value="artisan"[^>]*checked`).MatchString(body) {
					t.Error("the artisan role is not preselected")
				}
			},
		},
		{
			name: "login", path: "/login", wantStatus: 200,
			want: []string{fr("LoginTitle"), `name="_csrf"`, `name="email"`, `name="password"`, `action="/login"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := i18nGet(a.client(), tt.path, tt.header)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("GET %s: %d, want %d", tt.path, resp.StatusCode, tt.wantStatus)
			}
			lang := tt.wantLang
			if lang == "" {
				lang = "fr"
			}
			if !strings.Contains(body, `<html lang="`+lang+`"`) {
				t.Errorf("GET %s: page is not in %q", tt.path, lang)
			}
			text := html.UnescapeString(body)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("GET %s: page lacks %q", tt.path, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(text, w) {
					t.Errorf("GET %s: page shows %q", tt.path, w)
				}
			}
			if tt.check != nil {
				tt.check(t, text)
			}
		})
	}
}

var chamberOption = regexp.MustCompile(`<option value="([A-Z]+)"`)

func TestPagesByRole(t *testing.T) {
	a := newSeededApp(t, nil)
	fr := func(id string) string { return a.h.tr.localize("fr", id, nil, nil) }
	type want struct {
		status int
		text   []string
	}
	forbidden := want{status: 403, text: []string{fr("ErrorForbidden")}}
	toLogin := want{status: 303}
	tests := []struct {
		role                  string
		email                 string
		account, admin, agent want
	}{
		{
			role: "anonymous", account: toLogin, admin: toLogin, agent: toLogin,
		},
		{
			role: "visitor", email: "visitor@souk.test",
			account: want{200, []string{"visitor@souk.test", "Nadia El Amrani", fr("Role_visitor"), fr("AccountNext_visitor")}},
			admin:   forbidden, agent: forbidden,
		},
		{
			role: "artisan", email: "artisan@souk.test",
			account: want{200, []string{"artisan@souk.test", fr("Role_artisan"), fr("AccountNext_artisan")}},
			admin:   forbidden, agent: forbidden,
		},
		{
			role: "chamber", email: "chamber@souk.test",
			account: want{200, []string{"chamber@souk.test", fr("Role_chamber"), "Chambre d'Artisanat de la région Fès-Meknès"}},
			admin:   forbidden, agent: forbidden,
		},
		{
			role: "organizer", email: organizerEmail,
			account: want{200, []string{organizerEmail, fr("Role_organizer"), `href="/admin"`}},
			admin:   want{200, []string{fr("AdminTitle"), fr("RolePlural_artisan"), fr("RolePlural_chamber"), `href="/admin/chamber-agents"`}},
			agent:   want{200, []string{fr("ChamberAgentsTitle"), "Youssef Alaoui", "chamber@souk.test", `name="_csrf"`, `action="/admin/chamber-agents"`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			c := pagesLogin(a, tt.email)
			for _, p := range []struct {
				path string
				want want
			}{{"/account", tt.account}, {"/admin", tt.admin}, {"/admin/chamber-agents", tt.agent}} {
				resp, body := c.get(p.path)
				if resp.StatusCode != p.want.status {
					t.Errorf("GET %s as %s: %d, want %d", p.path, tt.role, resp.StatusCode, p.want.status)
					continue
				}
				if p.want.status == http.StatusSeeOther {
					if loc := resp.Header.Get("Location"); loc != "/login?next="+url.QueryEscape(p.path) {
						t.Errorf("GET %s as %s: redirected to %q, want the login page coming back here", p.path, tt.role, loc)
					}
					continue
				}
				text := html.UnescapeString(body)
				for _, w := range p.want.text {
					if !strings.Contains(text, w) {
						t.Errorf("GET %s as %s: page lacks %q", p.path, tt.role, w)
					}
				}
				if p.path == "/admin/chamber-agents" && p.want.status == http.StatusOK {
					if n := len(chamberOption.FindAllString(body, -1)); n != 12 {
						t.Errorf("chamber-agents form lists %d chambers, want the 12 regional chambers", n)
					}
				}
			}
			// Only organizers see the back-office link in the navigation.
			_, body := c.get("/fairs")
			if has := strings.Contains(body, `href="/admin"`); has != (tt.role == "organizer") {
				t.Errorf("as %s: admin link in the navigation = %v", tt.role, has)
			}
		})
	}
}

func TestCreateChamberAgent(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		a := newSeededApp(t, db)
		ctx := context.Background()
		fr := func(id string) string { return a.h.tr.localize("fr", id, nil, nil) }
		org, err := models.GetUserByEmail(ctx, db, organizerEmail)
		if err != nil {
			t.Fatal(err)
		}
		countUsers := func(email string) int64 {
			var n int64
			if err := db.Model(&models.User{}).Where("email = ?", email).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		countAudit := func() int64 {
			var n int64
			if err := db.Model(&models.AuditEntry{}).Where("action = ?", "chamber_agent.create").Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		const agentPassword = "mint-tea-at-the-chamber"
		valid := func(email string) url.Values {
			return url.Values{"name": {"Saïd Berrada"}, "email": {email}, "region": {"MS"}, "password": {agentPassword}}
		}
		with := func(v url.Values, k, val string) url.Values {
			out := url.Values{}
			for key, vals := range v {
				out[key] = vals
			}
			out.Set(k, val)
			return out
		}
		tests := []struct {
			name       string
			as         string // demo account posting ("" = anonymous)
			form       url.Values
			email      string // the address whose row we check
			wantStatus int
			wantText   []string
			// wantUsers is how many accounts have email afterwards.
			wantUsers int64
			wantAudit bool
		}{
			{
				name: "valid", as: organizerEmail, form: valid("said@chambre.ma"), email: "said@chambre.ma",
				wantStatus: http.StatusSeeOther, wantUsers: 1, wantAudit: true,
			},
			{
				name: "unknown region", as: organizerEmail, form: with(valid("region@chambre.ma"), "region", "XX"), email: "region@chambre.ma",
				wantStatus: http.StatusUnprocessableEntity, wantText: []string{fr("RegionRequired"), "Saïd Berrada"},
			},
			{
				name: "no region", as: organizerEmail, form: with(valid("noregion@chambre.ma"), "region", ""), email: "noregion@chambre.ma",
				wantStatus: http.StatusUnprocessableEntity, wantText: []string{fr("FieldRequired")},
			},
			{
				name: "duplicate e-mail", as: organizerEmail, form: valid("chamber@souk.test"), email: "chamber@souk.test",
				wantStatus: http.StatusUnprocessableEntity, wantText: []string{fr("EmailTaken")}, wantUsers: 1,
			},
			{
				name: "duplicate e-mail, other case", as: organizerEmail, form: valid("Chamber@Souk.Test"), email: "chamber@souk.test",
				wantStatus: http.StatusUnprocessableEntity, wantText: []string{fr("EmailTaken")}, wantUsers: 1,
			},
			{
				name: "short password", as: organizerEmail, form: with(valid("short@chambre.ma"), "password", "court"), email: "short@chambre.ma",
				wantStatus: http.StatusUnprocessableEntity, wantText: []string{fr("PasswordTooShort")},
			},
			{
				name: "invalid e-mail", as: organizerEmail, form: valid("not-an-email"), email: "not-an-email",
				wantStatus: http.StatusUnprocessableEntity, wantText: []string{fr("EmailInvalid")},
			},
			{
				name: "visitor may not", as: "visitor@souk.test", form: valid("byvisitor@chambre.ma"), email: "byvisitor@chambre.ma",
				wantStatus: http.StatusForbidden, wantText: []string{fr("ErrorForbidden")},
			},
			{
				name: "chamber agent may not", as: "chamber@souk.test", form: valid("bychamber@chambre.ma"), email: "bychamber@chambre.ma",
				wantStatus: http.StatusForbidden,
			},
			{
				name: "anonymous may not", form: valid("byanon@chambre.ma"), email: "byanon@chambre.ma",
				wantStatus: http.StatusForbidden,
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := pagesLogin(a, tt.as)
				tokenPage := "/account"
				if tt.as == "" {
					tokenPage = "/login"
				}
				form := with(tt.form, "_csrf", c.csrf(tokenPage))
				auditBefore := countAudit()
				resp, body := c.post("/admin/chamber-agents", form)
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("POST: %d, want %d; body %.400s", resp.StatusCode, tt.wantStatus, body)
				}
				text := html.UnescapeString(body)
				for _, w := range tt.wantText {
					if !strings.Contains(text, w) {
						t.Errorf("response lacks %q", w)
					}
				}
				if strings.Contains(body, agentPassword) {
					t.Error("the response echoes the password")
				}
				if got := countUsers(tt.email); got != tt.wantUsers {
					t.Errorf("%d account(s) with %s, want %d", got, tt.email, tt.wantUsers)
				}
				auditAfter := countAudit()
				if !tt.wantAudit {
					if auditAfter != auditBefore {
						t.Errorf("audit entries went from %d to %d, want no new entry", auditBefore, auditAfter)
					}
					return
				}
				if auditAfter != auditBefore+1 {
					t.Fatalf("audit entries went from %d to %d, want one more", auditBefore, auditAfter)
				}
				if loc := resp.Header.Get("Location"); loc != "/admin/chamber-agents" {
					t.Errorf("Location %q, want /admin/chamber-agents", loc)
				}
				u, err := models.GetUserByEmail(ctx, db, tt.email)
				if err != nil {
					t.Fatal(err)
				}
				if u.Role != models.RoleChamber || u.RegionCode == nil || *u.RegionCode != "MS" {
					t.Errorf("new account: role %s region %v, want chamber for MS", u.Role, u.RegionCode)
				}
				if _, err := models.Authenticate(ctx, db, tt.email, agentPassword); err != nil {
					t.Errorf("the new agent cannot log in with the password given: %v", err)
				}
				var entry models.AuditEntry
				if err := db.Where("action = ?", "chamber_agent.create").Order("id DESC").Take(&entry).Error; err != nil {
					t.Fatal(err)
				}
				if entry.ActorID == nil || *entry.ActorID != org.ID || entry.Subject != "user" || entry.SubjectID != u.ID {
					t.Errorf("audit entry %+v, want actor %d on user %d", entry, org.ID, u.ID)
				}
				if strings.Contains(entry.After, agentPassword) || strings.Contains(entry.After, u.PasswordHash) {
					t.Error("the audit entry records the password")
				}
				// The organizer lands on the list with a confirmation and the new agent.
				resp, body = c.get("/admin/chamber-agents")
				text = html.UnescapeString(body)
				for _, w := range []string{fr("FlashChamberAgentCreated"), tt.email, "Marrakech-Safi"} {
					if resp.StatusCode != http.StatusOK || !strings.Contains(text, w) {
						t.Errorf("list after creation: %d, lacks %q", resp.StatusCode, w)
					}
				}
			})
		}
	})
}
