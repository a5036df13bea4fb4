package handlers

// The portal speaks French (default), Arabic (right to left) and English. These tests check that
// every message the interface can show exists in every catalog, that Arabic plurals have their
// six forms, and what a visitor sees: language choice, direction, stylesheet, dates.

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"html"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"github.com/soukexpo/souk/views"
)

var catalogLangs = []string{"fr", "ar", "en"}

var (
	tplMessageCall = regexp.MustCompile(`\.(TN?) "([A-Za-z0-9_]+)"`)
	tplPrintfID    = regexp.MustCompile(`printf "([A-Za-z0-9]+_)%s"`)
	tplFieldCall   = regexp.MustCompile(`\(field "([a-z_]+)" "[^"]*" "[^"]*" "([^"]*)"\)`)
	tplFormError   = regexp.MustCompile(`Form\.Error "([a-z_]+)"`)
	tplCountryCall = regexp.MustCompile(`\.Country\b`)
	// Go string literals shaped like message ids: FieldRequired, ErrorNotFound, Role_visitor.
	goMessageID = regexp.MustCompile(`^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+(?:_[a-z_]+)?$`)
	// Literals of that shape in handlers/ and models/ that are not message ids.
	goNotMessageIDs = map[string]bool{}
	// Message-id fields in Go sources: keys of ValidationError maps and fieldError calls.
	goFieldKeys = regexp.MustCompile(`(?:fields\["([a-z_]+)"\]|fieldError\("([a-z_]+)"|Fields: map\[string\]string\{"([a-z_]+)":)`)
)

// templateUses lists the message ids the templates can ask for, each with where it comes from.
func templateUses(t *testing.T) (ids map[string]string, plural map[string]bool) {
	t.Helper()
	ids, plural = map[string]string{}, map[string]bool{}
	labelFields := map[string]bool{}
	prefixes := map[string]string{}
	countries := false
	err := fs.WalkDir(views.FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".html") {
			return err
		}
		b, err := fs.ReadFile(views.FS, name)
		if err != nil {
			return err
		}
		src := string(b)
		for _, m := range tplMessageCall.FindAllStringSubmatch(src, -1) {
			ids[m[2]] = name
			if m[1] == "TN" {
				plural[m[2]] = true
			}
		}
		for _, m := range tplPrintfID.FindAllStringSubmatch(src, -1) {
			prefixes[m[1]] = name
		}
		for _, m := range tplFieldCall.FindAllStringSubmatch(src, -1) {
			labelFields[m[1]] = true
			if m[2] != "" {
				ids[m[2]] = name + " (field hint)"
			}
		}
		for _, m := range tplFormError.FindAllStringSubmatch(src, -1) {
			labelFields[m[1]] = true
		}
		if tplCountryCall.MatchString(src) {
			countries = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk templates: %v", err)
	}
	// Fields that can carry an error on a form (form_errors prints Label_<field> for each).
	for _, in := range []any{signupInput{}, loginInput{}, passwordInput{}, chamberAgentInput{}} {
		rt := reflect.TypeOf(in)
		for i := range rt.NumField() {
			f := rt.Field(i)
			if f.Tag.Get("validate") == "" {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("form"), ",")
			labelFields[name] = true
		}
	}
	for _, src := range goSources(t) {
		for _, m := range goFieldKeys.FindAllStringSubmatch(src.text, -1) {
			labelFields[m[1]+m[2]+m[3]] = true
		}
	}
	roles := func(rs []models.Role) []string {
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = string(r)
		}
		return out
	}
	statuses := []string{string(models.FairDraft), string(models.FairOpen), string(models.FairClosed), string(models.FairLive), string(models.FairArchived)}
	labels := make([]string, 0, len(labelFields))
	for f := range labelFields {
		labels = append(labels, f)
	}
	suffixes := map[string][]string{
		"Role_":        roles(models.Roles),
		"RolePlural_":  roles(models.Roles),
		"AccountNext_": roles(models.Roles),
		"RoleHint_":    roles(models.SelfSignupRoles),
		"FairStatus_":  statuses,
		"Label_":       labels,
		"OrderStatus_": orderStatuses(),
	}
	for prefix, file := range prefixes {
		known, ok := suffixes[prefix]
		if !ok {
			t.Errorf("%s builds ids with printf %q: list its suffixes in templateUses", file, prefix+"%s")
			continue
		}
		for _, s := range known {
			ids[prefix+s] = file + " (printf " + prefix + "%s)"
		}
	}
	if countries {
		for _, code := range []string{"BE", "FR", "MA"} {
			ids["Country"+code] = "Page.Country"
		}
	}
	return ids, plural
}

type goSource struct{ path, text string }

// goSources reads the non-test Go files of handlers/ and models/.
func goSources(t *testing.T) []goSource {
	t.Helper()
	var out []goSource
	for _, pattern := range []string{"*.go", filepath.Join("..", "models", "*.go")} {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			if strings.HasSuffix(p, "_test.go") {
				continue
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, goSource{path: p, text: string(b)})
		}
	}
	if len(out) < 10 {
		t.Fatalf("found only %d Go sources: run the test from handlers/", len(out))
	}
	return out
}

// goMessageIDs lists the string literals of handlers/ and models/ shaped like message ids
// (passed to httpError, addFlash, newPage, Form.Summary, validationMessages, ValidationError…).
func goMessageIDs(t *testing.T) map[string]string {
	t.Helper()
	ids := map[string]string{}
	fset := token.NewFileSet()
	for _, src := range goSources(t) {
		f, err := parser.ParseFile(fset, src.path, src.text, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", src.path, err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && goMessageID.MatchString(s) && !goNotMessageIDs[s] {
				ids[s] = fset.Position(lit.Pos()).String()
			}
			return true
		})
	}
	return ids
}

func TestCatalogsCoverEveryMessage(t *testing.T) {
	a := newTestApp(t, nil)
	tplIDs, _ := templateUses(t)
	goIDs := goMessageIDs(t)
	// The extraction must find what we know is there, or the test would pass on nothing.
	for _, id := range []string{"NavCatalog", "ArtisanCount", "Role_chamber", "FairStatus_archived", "Label_current_password",
		"Label_region", "CountryMA", "PasswordHint", "ChamberAgentPasswordHint", "RoleHint_artisan", "AccountNext_organizer"} {
		if _, ok := tplIDs[id]; !ok {
			t.Errorf("template extraction missed %s", id)
		}
	}
	for _, id := range []string{"FieldRequired", "FieldInvalid", "EmailTaken", "ErrorNotFound", "ErrorUnavailable", "ErrorCSRF",
		"LoginFailed", "FlashChamberAgentCreated", "PasswordTooShort", "RegionRequired", "ErrorTitle", "HomeTitle"} {
		if _, ok := goIDs[id]; !ok {
			t.Errorf("Go extraction missed %s", id)
		}
	}
	all := map[string]string{}
	for id, from := range tplIDs {
		all[id] = from
	}
	for id, from := range goIDs {
		all[id] = from
	}
	ids := make([]string, 0, len(all))
	for id := range all {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, lang := range catalogLangs {
		t.Run(lang, func(t *testing.T) {
			for _, id := range ids {
				if !a.h.tr.hasMessage(lang, id) {
					t.Errorf("active.%s.toml lacks %s (used in %s)", lang, id, all[id])
				}
			}
			if a.h.tr.hasMessage(lang, "NoSuchMessageAnywhere") {
				t.Error("hasMessage says yes to an id no catalog defines")
			}
		})
	}
}

// readCatalogs decodes the TOML catalogs: id → plural form → text (plain ids get "other").
func readCatalogs(t *testing.T) map[string]map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]map[string]string{}
	for _, lang := range catalogLangs {
		names, err := fs.Glob(views.FS, "locales/*."+lang+".toml")
		if err != nil || len(names) == 0 {
			t.Fatalf("no catalog for %s: %v", lang, err)
		}
		raw := map[string]any{}
		for _, name := range names {
			b, err := fs.ReadFile(views.FS, name)
			if err != nil {
				t.Fatal(err)
			}
			var part map[string]any
			if err := toml.Unmarshal(b, &part); err != nil {
				t.Fatalf("decode %s: %v", name, err)
			}
			for id, v := range part {
				if _, dup := raw[id]; dup {
					t.Errorf("%s: message %s is defined in two catalogs", name, id)
				}
				raw[id] = v
			}
		}
		msgs := map[string]map[string]string{}
		for id, v := range raw {
			switch v := v.(type) {
			case string:
				msgs[id] = map[string]string{"other": v}
			case map[string]any:
				forms := map[string]string{}
				for k, s := range v {
					if str, ok := s.(string); ok {
						forms[k] = str
					}
				}
				msgs[id] = forms
			}
		}
		out[lang] = msgs
	}
	return out
}

var pluralForms = map[string][]string{
	"ar": {"zero", "one", "two", "few", "many", "other"},
	"fr": {"one", "other"}, // CLDR "many" (1 000 000) is not needed by our counts
	"en": {"one", "other"},
}

func TestPluralMessagesHaveEveryForm(t *testing.T) {
	cats := readCatalogs(t)
	_, usedWithCount := templateUses(t)
	isPlural := map[string]bool{}
	for id := range usedWithCount {
		isPlural[id] = true
	}
	for _, msgs := range cats {
		for id, forms := range msgs {
			for k := range forms {
				if k != "other" && k != "description" {
					isPlural[id] = true
				}
			}
		}
	}
	if !isPlural["ArtisanCount"] {
		t.Fatal("ArtisanCount is not detected as a plural message")
	}
	for id := range isPlural {
		for _, lang := range catalogLangs {
			for _, form := range pluralForms[lang] {
				if cats[lang][id][form] == "" {
					t.Errorf("active.%s.toml: plural message %s lacks its %q form", lang, id, form)
				}
			}
		}
	}
}

func TestArtisanCountPlurals(t *testing.T) {
	a := newTestApp(t, nil)
	cats := readCatalogs(t)
	form := func(lang, f string, n int) string {
		return strings.ReplaceAll(cats[lang]["ArtisanCount"][f], "{{.Count}}", strconv.Itoa(n))
	}
	tests := []struct {
		lang string
		n    int
		form string // the CLDR form the language uses for n
	}{
		{"ar", 0, "zero"}, {"ar", 1, "one"}, {"ar", 2, "two"}, {"ar", 3, "few"}, {"ar", 11, "many"}, {"ar", 100, "other"},
		{"fr", 0, "one"}, {"fr", 1, "one"}, {"fr", 2, "other"}, {"fr", 100, "other"},
		{"en", 0, "other"}, {"en", 1, "one"}, {"en", 2, "other"},
	}
	seen := map[string]map[string]int{}
	for _, tt := range tests {
		got := a.h.tr.localize(tt.lang, "ArtisanCount", tt.n, nil)
		if want := form(tt.lang, tt.form, tt.n); got != want {
			t.Errorf("%s ArtisanCount(%d) = %q, want the %q form %q", tt.lang, tt.n, got, tt.form, want)
		}
		if strings.Contains(got, "{{") || strings.Contains(got, "<no value>") {
			t.Errorf("%s ArtisanCount(%d) = %q: count not filled in", tt.lang, tt.n, got)
		}
		if seen[tt.lang] == nil {
			seen[tt.lang] = map[string]int{}
		}
		if prev, dup := seen[tt.lang][got]; dup && tt.lang == "ar" {
			t.Errorf("ar ArtisanCount(%d) and (%d) both render %q: the six forms must differ", prev, tt.n, got)
		}
		seen[tt.lang][got] = tt.n
	}
	// French: 0 and 1 take the singular.
	if got := a.h.tr.localize("fr", "ArtisanCount", 0, nil); got != "0 artisan vérifié" {
		t.Errorf("fr ArtisanCount(0) = %q, want the singular \"0 artisan vérifié\"", got)
	}
}

// i18nGet sends one GET with extra headers through c.
func i18nGet(c *client, path string, header map[string]string) (*http.Response, string) {
	c.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return c.do(req)
}

var htmlOpenTag = regexp.MustCompile(`<html lang="([a-z]+)" dir="(ltr|rtl)"`)

func TestLanguageChoice(t *testing.T) {
	a := newTestApp(t, nil)
	nav := map[string]string{"fr": "Catalogue", "ar": "الكتالوج", "en": "Catalog"}
	type visit struct {
		path       string
		header     map[string]string
		wantLang   string
		wantCookie string // souk_lang set by this response ("" = none)
	}
	tests := []struct {
		name   string
		visits []visit
	}{
		{name: "French by default", visits: []visit{{path: "/", wantLang: "fr"}}},
		{name: "?lang=ar is remembered", visits: []visit{
			{path: "/?lang=ar", wantLang: "ar", wantCookie: "ar"},
			{path: "/", wantLang: "ar"},
			{path: "/fairs", wantLang: "ar"},
		}},
		{name: "?lang=en is remembered", visits: []visit{
			{path: "/?lang=en", wantLang: "en", wantCookie: "en"},
			{path: "/", wantLang: "en"},
		}},
		{name: "switching back to French", visits: []visit{
			{path: "/?lang=ar", wantLang: "ar", wantCookie: "ar"},
			{path: "/?lang=fr", wantLang: "fr", wantCookie: "fr"},
			{path: "/", wantLang: "fr"},
		}},
		{name: "Arabic browser on first visit", visits: []visit{
			{path: "/", header: map[string]string{"Accept-Language": "ar-MA,ar;q=0.9"}, wantLang: "ar"},
		}},
		{name: "English browser on first visit", visits: []visit{
			{path: "/", header: map[string]string{"Accept-Language": "en-GB,en;q=0.8"}, wantLang: "en"},
		}},
		{name: "Dutch is not available yet: French", visits: []visit{
			{path: "/", header: map[string]string{"Accept-Language": "nl-BE"}, wantLang: "fr"},
		}},
		{name: "the remembered choice beats the browser", visits: []visit{
			{path: "/?lang=ar", wantLang: "ar", wantCookie: "ar"},
			{path: "/", header: map[string]string{"Accept-Language": "en"}, wantLang: "ar"},
		}},
		{name: "?lang=xx is ignored", visits: []visit{
			{path: "/?lang=xx", wantLang: "fr"},
			{path: "/?lang=xx", header: map[string]string{"Accept-Language": "en"}, wantLang: "en"},
		}},
		{name: "unknown cookie value is ignored", visits: []visit{
			{path: "/", header: map[string]string{"Cookie": "souk_lang=xx", "Accept-Language": "ar"}, wantLang: "ar"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := a.client()
			for i, v := range tt.visits {
				resp, body := i18nGet(c, v.path, v.header)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("visit %d GET %s: %d", i, v.path, resp.StatusCode)
				}
				m := htmlOpenTag.FindStringSubmatch(body)
				wantDir := textDirection(v.wantLang)
				if m == nil || m[1] != v.wantLang || m[2] != wantDir {
					t.Fatalf("visit %d GET %s: <html> is %v, want lang=%q dir=%q", i, v.path, m, v.wantLang, wantDir)
				}
				if !strings.Contains(body, ">"+nav[v.wantLang]+"<") {
					t.Errorf("visit %d GET %s: navigation is not in %s (no %q)", i, v.path, v.wantLang, nav[v.wantLang])
				}
				rtlCSS := strings.Contains(body, "/bootstrap.rtl.min.css")
				if rtlCSS != (wantDir == "rtl") {
					t.Errorf("visit %d GET %s: RTL stylesheet linked = %v, want %v", i, v.path, rtlCSS, wantDir == "rtl")
				}
				var cookie *http.Cookie
				for _, ck := range resp.Cookies() {
					if ck.Name == langCookie {
						cookie = ck
					}
				}
				switch {
				case v.wantCookie == "" && cookie != nil:
					t.Errorf("visit %d GET %s: sets %s=%q, want no cookie", i, v.path, langCookie, cookie.Value)
				case v.wantCookie != "" && (cookie == nil || cookie.Value != v.wantCookie):
					t.Errorf("visit %d GET %s: %s cookie %v, want %q", i, v.path, langCookie, cookie, v.wantCookie)
				case cookie != nil && (cookie.Path != "/" || cookie.MaxAge < 30*24*3600):
					t.Errorf("visit %d GET %s: %s cookie path %q max-age %d, want / and a long life", i, v.path, langCookie, cookie.Path, cookie.MaxAge)
				}
				if vary := resp.Header.Values("Vary"); !strings.Contains(strings.Join(vary, ","), "Accept-Language") {
					t.Errorf("visit %d GET %s: Vary %v lacks Accept-Language (caches would mix languages)", i, v.path, vary)
				}
			}
		})
	}
}

func TestLocalizedDatesAndCounts(t *testing.T) {
	db := dbtest.SQLite(t)
	if _, err := models.Seed(context.Background(), db, models.SeedOptions{}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	a := newTestApp(t, db)
	tests := []struct {
		lang string
		// on /fairs: the 2026 Brussels edition and the demo edition.
		past, demo string
		// on the home page: the region counts (Fès-Meknès has one verified artisan, l'Oriental none).
		counts []string
	}{
		{lang: "fr", past: "\u206627–29\u2069 mars 2026", demo: "\u206619–21\u2069 mars 2027", counts: []string{"1 artisan vérifié", "0 artisan vérifié"}},
		{lang: "ar", past: "\u206627–29\u2069 مارس 2026", demo: "\u206619–21\u2069 مارس 2027", counts: []string{"صانع موثَّق واحد", "لا يوجد صانع موثَّق"}},
		{lang: "en", past: "\u206627–29\u2069 March 2026", demo: "\u206619–21\u2069 March 2027", counts: []string{"1 verified artisan", "0 verified artisans"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			c := a.client()
			resp, body := c.get("/fairs?lang=" + tt.lang)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /fairs: %d", resp.StatusCode)
			}
			text := html.UnescapeString(body)
			for _, want := range []string{tt.past, tt.demo, "Paris"} {
				if !strings.Contains(text, want) {
					t.Errorf("/fairs in %s lacks %q", tt.lang, want)
				}
			}
			resp, body = c.get("/")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /: %d", resp.StatusCode)
			}
			text = html.UnescapeString(body)
			for _, want := range append([]string{tt.demo}, tt.counts...) {
				if !strings.Contains(text, want) {
					t.Errorf("home in %s lacks %q", tt.lang, want)
				}
			}
		})
	}
}

// TestLanguageLinksOfARefusedForm: a form shown again after a POST links the languages to the
// page the form came from, not to its POST-only address.
func TestLanguageLinksOfARefusedForm(t *testing.T) {
	a := newTestApp(t, nil)
	c := a.client()
	token := c.csrf("/signup")
	req := httptest.NewRequest(http.MethodPost, "/signup", strings.NewReader(url.Values{"_csrf": {token}, "email": {"not-an-email"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", "http://example.com/signup?next=%2Fstudio")
	resp, body := c.do(req)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad signup: status %d, want 422", resp.StatusCode)
	}
	if !strings.Contains(body, `href="/signup?lang=ar&amp;next=%2Fstudio"`) {
		t.Fatalf("language link of the refused form does not lead back to the form page")
	}
	// A foreign Referer is not followed.
	req = httptest.NewRequest(http.MethodPost, "/signup", strings.NewReader(url.Values{"_csrf": {token}, "email": {"x"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", "http://evil.example/phish")
	resp, body = c.do(req)
	if resp.StatusCode == http.StatusUnprocessableEntity && !strings.Contains(body, `href="/?lang=ar"`) {
		t.Fatal("refused form with a foreign Referer: language links should fall back to the home page")
	}
	if strings.Contains(body, "phish") {
		t.Fatal("language link follows a foreign Referer")
	}
}

func orderStatuses() []string {
	out := make([]string, len(models.OrderStatuses))
	for i, st := range models.OrderStatuses {
		out[i] = string(st)
	}
	return out
}
