package handlers

// Security checklist tests seen from the browser (and from an attacker's script): session
// identifiers (A1–A3), CSRF (A7), rate limits and client addresses (G1, G2), browser hardening
// headers (G4), output escaping (C7), SQL in query strings (C8) and panics (C6).

import (
	"context"
	"html"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// ---- helpers shared by security_test.go, auth_test.go, routes_test.go and fuzz_test.go ----

// eachDB runs fn on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.
func eachDB(t *testing.T, fn func(t *testing.T, db *gorm.DB)) {
	t.Helper()
	dbtest.EachDialect(t, fn)
}

// sendWith sends a request with extra headers through the client (cookies included).
func (c *client) sendWith(method, path string, form url.Values, hdr map[string]string) (*http.Response, string) {
	c.t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return c.do(req)
}

// cookieValue is the value of the named cookie the client holds ("" when none).
func (c *client) cookieValue(name string) string {
	for _, ck := range c.jar.Cookies(base) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// withCookies returns a new client on a that holds only the given cookies (a replayed or forged
// cookie, as an attacker would send it).
func (a *testApp) withCookies(cookies ...*http.Cookie) *client {
	c := a.client()
	c.jar.SetCookies(base, cookies)
	return c
}

// setCookie returns the Set-Cookie of resp named name, or nil.
func setCookie(resp *http.Response, name string) *http.Cookie {
	for _, ck := range resp.Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// rawSetCookie returns the raw Set-Cookie header line for name, or "".
func rawSetCookie(resp *http.Response, name string) string {
	for _, line := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, name+"=") {
			return line
		}
	}
	return ""
}

// kvHasKey tells whether the sessions/limits table holds a row with exactly this key.
func kvHasKey(t testing.TB, db *gorm.DB, key string) bool {
	t.Helper()
	var n int64
	if err := db.Table("kv_entries").Where("key = ?", key).Count(&n).Error; err != nil {
		t.Fatalf("count kv_entries: %v", err)
	}
	return n > 0
}

// sessionStored tells whether the server still holds the session with this cookie value.
func sessionStored(t testing.TB, db *gorm.DB, id string) bool {
	t.Helper()
	return kvHasKey(t, db, sessionKeyPrefix+id)
}

// msg is the text of a catalog message as a user reads it.
func (a *testApp) msg(lang, id string) string { return a.h.tr.localize(lang, id, nil, nil) }

// pageText unescapes HTML entities so catalog texts can be compared with what a browser shows.
func pageText(body string) string { return html.UnescapeString(body) }

var htmlLangDir = regexp.MustCompile(`<html lang="([^"]*)" dir="([^"]*)">`)

// assertPageLanguage fails unless the page declares lang/dir and shows the message in lang.
func assertPageLanguage(t *testing.T, a *testApp, body, lang, dir, msgID string) {
	t.Helper()
	m := htmlLangDir.FindStringSubmatch(body)
	if m == nil || m[1] != lang || m[2] != dir {
		t.Errorf("page <html> lang/dir = %v, want lang=%q dir=%q", m, lang, dir)
	}
	if want := a.msg(lang, msgID); !strings.Contains(pageText(body), want) {
		t.Errorf("page does not show %s in %s (%q); body: %.400s", msgID, lang, want, body)
	}
}

// countRows counts the rows of a table, failing the test if the table is gone.
func countRows(t testing.TB, db *gorm.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.Table(table).Count(&n).Error; err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// ---- A1, A2, A3: session identifiers and the session cookie ----

// TestLoginIssuesNewSessionID (A1): the identifier a visitor had before logging in is replaced
// at login and at a password change, the old one is deleted on the server, and replaying it
// signs nobody in.
func TestLoginIssuesNewSessionID(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		a := newTestApp(t, db)
		a.mkUser("yasmine@example.be", models.RoleVisitor)
		c := a.client()
		c.get("/login")
		before := c.cookieValue("souk_session")
		if before == "" {
			t.Fatal("GET /login set no session cookie (the login form needs a CSRF token)")
		}
		c.login("yasmine@example.be", testPassword)
		after := c.cookieValue("souk_session")

		t.Run("cookie changes at login", func(t *testing.T) {
			if after == "" || after == before {
				t.Fatalf("session id before %q, after login %q: want a new id", before, after)
			}
			if sessionStored(t, db, before) {
				t.Errorf("the pre-login session %q is still stored on the server", before)
			}
			if !sessionStored(t, db, after) {
				t.Errorf("the signed-in session is not stored where expected")
			}
		})
		t.Run("old cookie replayed is not signed in", func(t *testing.T) {
			old := a.withCookies(&http.Cookie{Name: "souk_session", Value: before})
			resp, _ := old.get("/account")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
				t.Fatalf("GET /account with the pre-login cookie: %d %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
		t.Run("new cookie is signed in", func(t *testing.T) {
			resp, body := c.get("/account")
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "yasmine@example.be") {
				t.Fatalf("GET /account after login: %d", resp.StatusCode)
			}
		})
		t.Run("cookie changes at password change", func(t *testing.T) {
			token := c.csrf("/account")
			resp, body := c.post("/account/password", url.Values{"_csrf": {token}, "current_password": {testPassword},
				"new_password": {"couscous-du-vendredi-midi"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("change password: %d %.300s", resp.StatusCode, body)
			}
			changed := c.cookieValue("souk_session")
			if changed == after || changed == "" {
				t.Fatalf("session id unchanged after the password change (%q)", changed)
			}
			if sessionStored(t, db, after) {
				t.Errorf("the session from before the password change is still stored")
			}
		})
	})
}

// TestClientChosenSessionIDNeverAdopted (A2): a session id planted by an attacker is replaced,
// never stored, and never becomes a signed-in session.
func TestClientChosenSessionIDNeverAdopted(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		a := newTestApp(t, db)
		a.mkUser("karim@example.be", models.RoleVisitor)
		const planted = "attacker-chosen-123"
		c := a.withCookies(&http.Cookie{Name: "souk_session", Value: planted})

		resp, body := c.get("/login")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /login: %d", resp.StatusCode)
		}
		ck := setCookie(resp, "souk_session")
		if ck == nil || ck.Value == "" || ck.Value == planted {
			t.Fatalf("GET /login with a planted id: Set-Cookie %v, want a new server-made id", ck)
		}
		token := csrfField.FindStringSubmatch(body)
		if token == nil {
			t.Fatal("login form has no CSRF token")
		}
		resp, _ = c.post("/login", url.Values{"_csrf": {token[1]}, "email": {"karim@example.be"}, "password": {testPassword}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		if got := c.cookieValue("souk_session"); got == planted || got == ck.Value {
			t.Errorf("signed-in session id %q reuses a pre-login or planted id", got)
		}
		if kvHasKey(t, db, planted) || sessionStored(t, db, planted) {
			t.Errorf("kv_entries holds a session row for %q", planted)
		}
		var n int64
		db.Table("kv_entries").Where("key LIKE ?", "%attacker-chosen%").Count(&n)
		if n != 0 {
			t.Errorf("kv_entries holds %d rows mentioning the planted id", n)
		}
		// The attacker's browser, still holding the planted id, is not signed in.
		resp, _ = a.withCookies(&http.Cookie{Name: "souk_session", Value: planted}).get("/account")
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("GET /account with the planted id: %d, want 303 to /login", resp.StatusCode)
		}
	})
}

// TestSessionCookieNamingOtherKVRowsIsHarmless (A2, C6): the session cookie is a key into the
// table that also holds rate-limit counters; a cookie naming such a row must not break the page
// nor reveal that the row exists.
func TestSessionCookieNamingOtherKVRowsIsHarmless(t *testing.T) {
	a := newTestApp(t, nil)
	c := a.client()
	token := c.csrf("/login")
	resp, _ := c.post("/login", url.Values{"_csrf": {token}, "email": {"nobody@example.be"}, "password": {"not-the-password"}})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("failed login: %d, want 401", resp.StatusCode)
	}
	var keys []string
	if err := a.db.Table("kv_entries").Where("key LIKE ?", "limit:%").Pluck("key", &keys).Error; err != nil || len(keys) == 0 {
		t.Fatalf("no limiter rows after a failed login (%v)", err)
	}
	for _, key := range append(keys, "limit:nothing-here") {
		t.Run(key, func(t *testing.T) {
			for _, path := range []string{"/", "/login", "/account"} {
				resp, _ := a.withCookies(&http.Cookie{Name: "souk_session", Value: key}).get(path)
				want := http.StatusOK
				if path == "/account" {
					want = http.StatusSeeOther
				}
				if resp.StatusCode != want {
					t.Errorf("GET %s with session cookie %q: %d, want %d", path, key, resp.StatusCode, want)
				}
			}
		})
	}
}

// TestSessionCookieAttributes (A3): HttpOnly, SameSite=Lax, Path=/, no Domain; Secure and the
// __Host- name exactly when the public address is https.
func TestSessionCookieAttributes(t *testing.T) {
	tests := []struct {
		name    string
		baseURL string
		cookie  string
		secure  bool
		hsts    bool
	}{
		{name: "http", baseURL: "http://example.com", cookie: "souk_session"},
		{name: "https", baseURL: "https://souk.example", cookie: "__Host-souk_session", secure: true, hsts: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestApp(t, nil, Config{BaseURL: tt.baseURL})
			a.mkUser("salma@example.be", models.RoleVisitor)
			check := func(t *testing.T, step string, resp *http.Response) *http.Cookie {
				t.Helper()
				raw := rawSetCookie(resp, tt.cookie)
				ck := setCookie(resp, tt.cookie)
				if ck == nil {
					t.Fatalf("%s: no Set-Cookie named %s (got %q)", step, tt.cookie, resp.Header.Values("Set-Cookie"))
				}
				if !ck.HttpOnly {
					t.Errorf("%s: cookie is not HttpOnly: %s", step, raw)
				}
				if ck.SameSite != http.SameSiteLaxMode {
					t.Errorf("%s: SameSite = %v, want Lax: %s", step, ck.SameSite, raw)
				}
				if ck.Path != "/" {
					t.Errorf("%s: Path = %q, want /: %s", step, ck.Path, raw)
				}
				if ck.Domain != "" || strings.Contains(strings.ToLower(raw), "domain=") {
					t.Errorf("%s: cookie has a Domain: %s", step, raw)
				}
				if ck.Secure != tt.secure {
					t.Errorf("%s: Secure = %v, want %v: %s", step, ck.Secure, tt.secure, raw)
				}
				if other := setCookie(resp, "souk_session"); tt.secure && other != nil {
					t.Errorf("%s: an unprefixed souk_session cookie is also set on https", step)
				}
				return ck
			}
			// Cookies are carried by hand: a cookie jar keeps Secure cookies away from http URLs.
			resp, err := a.app.Test(httptest.NewRequest(http.MethodGet, "/login", nil), 10_000)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			pre := check(t, "GET /login", resp)
			if got := resp.Header.Get(fiber.HeaderStrictTransportSecurity); (got != "") != tt.hsts ||
				(tt.hsts && !strings.Contains(got, "max-age=31536000")) {
				t.Errorf("Strict-Transport-Security = %q, want present with a year: %v", got, tt.hsts)
			}
			token := csrfField.FindStringSubmatch(body)
			if token == nil {
				t.Fatal("no CSRF token on the login form")
			}
			form := url.Values{"_csrf": {token[1]}, "email": {"salma@example.be"}, "password": {testPassword}}
			req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: pre.Name, Value: pre.Value})
			resp, err = a.app.Test(req, 10_000)
			if err != nil {
				t.Fatal(err)
			}
			_ = readAll(t, resp)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("login: %d", resp.StatusCode)
			}
			post := check(t, "POST /login", resp)
			if post.Value == pre.Value {
				t.Errorf("login kept the session id")
			}
		})
	}
}

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return sb.String()
}

// ---- A7: CSRF ----

// TestCSRF (A7): a state-changing POST needs this session's token and must not come from
// another site; the refusal page speaks the visitor's language.
func TestCSRF(t *testing.T) {
	a := newTestApp(t, nil)
	a.mkUser("amine@example.be", models.RoleVisitor)
	a.mkUser("btissam@example.be", models.RoleVisitor)
	userA, userB := a.client(), a.client()
	userA.login("amine@example.be", testPassword)
	userB.login("btissam@example.be", testPassword)
	tokenA, tokenB := userA.csrf("/account"), userB.csrf("/account")
	if tokenA == tokenB {
		t.Fatal("two sessions share a CSRF token")
	}
	anon := a.client()
	anonToken := anon.csrf("/login")

	signedIn := func(c *client) bool {
		resp, _ := c.get("/account")
		return resp.StatusCode == http.StatusOK
	}

	tests := []struct {
		name     string
		c        *client
		path     string
		form     url.Values
		hdr      map[string]string
		want     int
		wantCSRF bool // the refusal is the CSRF one
	}{
		{name: "login without token", c: anon, path: "/login", form: url.Values{"email": {"amine@example.be"}, "password": {testPassword}}, want: 403, wantCSRF: true},
		{name: "login without any session", c: a.client(), path: "/login", form: url.Values{"email": {"amine@example.be"}, "password": {testPassword}}, want: 403, wantCSRF: true},
		{name: "login with a made-up token", c: anon, path: "/login", form: url.Values{"_csrf": {"made-up"}, "email": {"amine@example.be"}, "password": {testPassword}}, want: 403, wantCSRF: true},
		{name: "token of user A with user B's cookie", c: userB, path: "/logout", form: url.Values{"_csrf": {tokenA}}, want: 403, wantCSRF: true},
		{name: "token of user A in the header with user B's cookie", c: userB, path: "/logout", form: url.Values{}, hdr: map[string]string{"X-Csrf-Token": tokenA}, want: 403, wantCSRF: true},
		{name: "pre-login anonymous token after login", c: userB, path: "/logout", form: url.Values{"_csrf": {anonToken}}, want: 403, wantCSRF: true},
		{name: "foreign Origin with a valid token", c: userB, path: "/logout", form: url.Values{"_csrf": {tokenB}}, hdr: map[string]string{"Origin": "https://evil.example"}, want: 403, wantCSRF: true},
		{name: "look-alike Origin with a valid token", c: userB, path: "/logout", form: url.Values{"_csrf": {tokenB}}, hdr: map[string]string{"Origin": "http://example.com.evil.example"}, want: 403, wantCSRF: true},
		{name: "Sec-Fetch-Site cross-site with a valid token", c: userB, path: "/logout", form: url.Values{"_csrf": {tokenB}}, hdr: map[string]string{"Sec-Fetch-Site": "cross-site"}, want: 403, wantCSRF: true},
		{name: "GET-style query token is not read", c: userB, path: "/logout?_csrf=" + url.QueryEscape(tokenB), form: url.Values{}, want: 403, wantCSRF: true},
		// Controls: the same requests from this site pass, so the refusals above are the CSRF check.
		{name: "login with the token", c: anon, path: "/login", form: url.Values{"_csrf": {anonToken}, "email": {"nobody@example.be"}, "password": {"wrong-password"}}, hdr: map[string]string{"Origin": "http://example.com", "Sec-Fetch-Site": "same-origin"}, want: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := tt.c.sendWith(http.MethodPost, tt.path, tt.form, tt.hdr)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d; body %.300s", resp.StatusCode, tt.want, body)
			}
			if tt.wantCSRF {
				assertPageLanguage(t, a, body, "fr", "ltr", "ErrorCSRF")
			}
		})
	}
	if !signedIn(userB) {
		t.Error("user B was logged out by a refused cross-site or foreign-token POST")
	}

	t.Run("refusal page in Arabic with the language cookie", func(t *testing.T) {
		c := a.withCookies(&http.Cookie{Name: langCookie, Value: "ar"})
		resp, body := c.post("/login", url.Values{"email": {"x@example.be"}, "password": {"whatever-it-is"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", resp.StatusCode)
		}
		assertPageLanguage(t, a, body, "ar", "rtl", "ErrorCSRF")
	})
	t.Run("same-origin POST with the token works", func(t *testing.T) {
		resp, _ := userB.sendWith(http.MethodPost, "/logout", url.Values{"_csrf": {tokenB}},
			map[string]string{"Origin": "http://example.com", "Sec-Fetch-Site": "same-origin"})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout with token: %d, want 303", resp.StatusCode)
		}
		if signedIn(userB) {
			t.Error("still signed in after logout")
		}
	})
}

// TestEveryStateChangingRouteNeedsCSRF (A7): walking the route table, every non-GET route
// (except those exempted for another protection, like the Stripe webhook's signature) refuses
// a POST without a token from a user the route admits.
func TestEveryStateChangingRouteNeedsCSRF(t *testing.T) {
	a := newTestApp(t, nil)
	clients := map[string]*client{}
	clientFor := func(role string) *client {
		if c, ok := clients[role]; ok {
			return c
		}
		c := a.client()
		if role == "anonymous" {
			c.get("/login") // has a session with a token, but does not send it
		} else {
			email := "csrf-" + role + "@example.be"
			a.mkUser(email, models.Role(role))
			c.login(email, testPassword)
		}
		clients[role] = c
		return c
	}
	for _, r := range a.h.routes() {
		if r.method == fiber.MethodGet || r.noCSRF {
			continue
		}
		role := "anonymous"
		if !r.access.public {
			role = string(r.access.roles[0])
		}
		path, _ := concretePath(t, a, r.path)
		c := clientFor(role)
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			before := countRows(t, a.db, "users")
			resp, body := c.sendWith(r.method, path, url.Values{"email": {"csrf-x@example.be"}}, nil)
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("%s %s as %s without a token: %d, want 403", r.method, path, role, resp.StatusCode)
			}
			if !strings.Contains(pageText(body), a.msg("fr", "ErrorCSRF")) {
				t.Errorf("the refusal is not the CSRF one: %.300s", body)
			}
			if after := countRows(t, a.db, "users"); after != before {
				t.Errorf("users changed from %d to %d", before, after)
			}
		})
	}
}

// ---- G1, G2: rate limits and client addresses ----

func failLogin(t *testing.T, c *client, token, email string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	return c.sendWith(http.MethodPost, "/login", url.Values{"_csrf": {token}, "email": {email}, "password": {"not-the-right-one"}}, hdr)
}

// TestLoginRateLimitSharedAcrossInstances (G1): the sixth failed login for one account from one
// address answers 429, whichever instance gets it; another account from the same address can
// still sign in.
func TestLoginRateLimitSharedAcrossInstances(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		a, b := newTestApp(t, db), newTestApp(t, db)
		a.mkUser("victime@example.be", models.RoleVisitor)
		a.mkUser("autre@example.be", models.RoleVisitor)
		attacker := a.client()
		token := attacker.csrf("/login")
		instances := []*client{attacker, attacker.on(b)}
		for i := range 5 {
			resp, _ := failLogin(t, instances[i%2], token, "victime@example.be", nil)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("failed login %d: %d, want 401", i+1, resp.StatusCode)
			}
		}
		t.Run("sixth attempt on either instance is refused, in French", func(t *testing.T) {
			for _, c := range instances {
				resp, body := failLogin(t, c, token, "Victime@Example.BE", nil)
				if resp.StatusCode != http.StatusTooManyRequests {
					t.Fatalf("attempt after 5 failures: %d, want 429", resp.StatusCode)
				}
				assertPageLanguage(t, a, body, "fr", "ltr", "ErrorTooManyRequests")
			}
		})
		t.Run("refusal in Arabic with the language cookie", func(t *testing.T) {
			ar := attacker.on(b)
			ar.jar.SetCookies(base, []*http.Cookie{{Name: langCookie, Value: "ar"}})
			resp, body := failLogin(t, ar, token, "victime@example.be", nil)
			if resp.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("status %d, want 429", resp.StatusCode)
			}
			assertPageLanguage(t, a, body, "ar", "rtl", "ErrorTooManyRequests")
			ar.jar.SetCookies(base, []*http.Cookie{{Name: langCookie, Value: "fr"}})
		})
		t.Run("another account from the same address signs in", func(t *testing.T) {
			c := b.client()
			c.login("autre@example.be", testPassword)
			resp, _ := c.get("/account")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /account: %d", resp.StatusCode)
			}
		})
	})
}

// TestClientAddressForLimits (G2): with no trusted proxy, X-Forwarded-For is ignored, so
// changing it does not reset the limit. Behind a trusted balancer, the address it appends is
// the key: a client cannot escape the limit by prepending addresses of its own.
func TestClientAddressForLimits(t *testing.T) {
	t.Run("no trusted proxy: spoofed header ignored", func(t *testing.T) {
		a := newTestApp(t, nil)
		c := a.client()
		token := c.csrf("/login")
		for i := range 5 {
			hdr := map[string]string{"X-Forwarded-For": "203.0.113." + string(rune('1'+i))}
			if resp, _ := failLogin(t, c, token, "cible@example.be", hdr); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("failed login %d: %d", i+1, resp.StatusCode)
			}
		}
		for _, xff := range []string{"198.51.100.7", "10.0.0.1, 198.51.100.8", "::1", "garbage"} {
			resp, _ := failLogin(t, c, token, "cible@example.be", map[string]string{"X-Forwarded-For": xff, "X-Real-Ip": xff})
			if resp.StatusCode != http.StatusTooManyRequests {
				t.Errorf("X-Forwarded-For %q reset the limit: %d, want 429", xff, resp.StatusCode)
			}
		}
	})
	t.Run("trusted balancer: its address is the key", func(t *testing.T) {
		// app.Test connects from 0.0.0.0: make that peer the trusted balancer.
		a := newTestApp(t, nil, Config{BaseURL: "http://example.com", TrustedProxies: []string{"0.0.0.0"}})
		c := a.client()
		token := c.csrf("/login")
		for i := range 5 {
			// The attacker at 198.51.100.9 sends a different fake address each time; the
			// balancer appends the address it really sees.
			hdr := map[string]string{"X-Forwarded-For": "203.0.113." + string(rune('1'+i)) + ", 198.51.100.9"}
			if resp, _ := failLogin(t, c, token, "cible@example.be", hdr); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("failed login %d: %d", i+1, resp.StatusCode)
			}
		}
		resp, _ := failLogin(t, c, token, "cible@example.be", map[string]string{"X-Forwarded-For": "192.0.2.77, 198.51.100.9"})
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("prepending a fake address escaped the limit: %d, want 429", resp.StatusCode)
		}
		resp, _ = failLogin(t, c, token, "cible@example.be", map[string]string{"X-Forwarded-For": "198.51.100.20"})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("a different real client behind the balancer is held: %d, want 401", resp.StatusCode)
		}
	})
}

// ---- G4: browser hardening headers ----

// TestSecurityHeaders (G4): a snapshot of the hardening headers on a sample of responses, and
// no CORS for a foreign origin.
func TestSecurityHeaders(t *testing.T) {
	a := newTestApp(t, nil)
	css, err := a.h.assets.URL("css/souk.css")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path string
		status             int
	}{
		{name: "home", method: http.MethodGet, path: "/", status: 200},
		{name: "login", method: http.MethodGet, path: "/login", status: 200},
		{name: "not found", method: http.MethodGet, path: "/no-such-page", status: 404},
		{name: "static asset", method: http.MethodGet, path: css, status: 200},
		{name: "forbidden", method: http.MethodPost, path: "/login", status: 403},
		{name: "health", method: http.MethodGet, path: "/healthz", status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := a.client().sendWith(tt.method, tt.path, nil, map[string]string{"Origin": "https://evil.example"})
			if resp.StatusCode != tt.status {
				t.Fatalf("%s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.status)
			}
			csp := resp.Header.Get("Content-Security-Policy")
			for _, want := range []string{"script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			for _, bad := range []string{"'unsafe-inline'", "'unsafe-eval'", "*"} {
				if strings.Contains(csp, bad) {
					t.Errorf("CSP %q contains %s", csp, bad)
				}
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			if resp.Header.Get("Referrer-Policy") == "" {
				t.Error("no Referrer-Policy")
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("Access-Control-Allow-Origin = %q for a foreign origin", got)
			}
		})
	}
	t.Run("preflight from a foreign origin", func(t *testing.T) {
		resp, _ := a.client().sendWith(http.MethodOptions, "/account/password", nil, map[string]string{
			"Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "X-Csrf-Token",
		})
		for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Headers", "Access-Control-Allow-Methods"} {
			if got := resp.Header.Get(h); got != "" {
				t.Errorf("%s = %q", h, got)
			}
		}
		if resp.StatusCode < 400 {
			t.Errorf("preflight answered %d", resp.StatusCode)
		}
	})
}

// TestMetricsAfterMixedTraffic: /metrics keeps answering after requests of every method (the
// labels must not alias request buffers), and an unknown method adds no series.
func TestMetricsAfterMixedTraffic(t *testing.T) {
	a := newTestApp(t, nil)
	c := a.client()
	token := c.csrf("/login")
	for _, m := range []string{http.MethodPost, http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodDelete, "PROPFIND", "BREWCOFFEE"} {
		c.sendWith(m, "/login", url.Values{"_csrf": {token}}, nil)
		c.sendWith(m, "/no-such-page", nil, nil)
	}
	resp, body := c.get("/metrics")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %.300s", resp.StatusCode, body)
	}
	if !strings.Contains(body, `souk_http_requests_total{method="POST",route="/login",status="422"}`) {
		t.Errorf("no series for POST /login:\n%s", grepLines(body, "souk_http_requests_total"))
	}
	for _, bad := range []string{"BREWCOFFEE", `route="/no-such-page"`} {
		if strings.Contains(body, bad) {
			t.Errorf("metrics contain %q: label cardinality is not bounded", bad)
		}
	}
}

// ---- C7: output escaping ----

// TestUserTextIsEscaped (C7): markup typed as a name or e-mail shows as text on every page that
// echoes it.
func TestUserTextIsEscaped(t *testing.T) {
	a := newTestApp(t, nil)
	payloads := []string{`<img src=x onerror=alert(1)>`, `"><script>alert(1)</script>`}
	for i, name := range payloads {
		t.Run("account page/"+name, func(t *testing.T) {
			c := a.client()
			token := c.csrf("/signup")
			email := "xss" + string(rune('a'+i)) + "@example.be"
			resp, body := c.post("/signup", url.Values{"_csrf": {token}, "email": {email}, "password": {testPassword},
				"name": {name}, "role": {"visitor"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("signup: %d %.300s", resp.StatusCode, body)
			}
			resp, body = c.get("/account")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("account: %d", resp.StatusCode)
			}
			assertEscaped(t, body, name)
		})
		t.Run("signup form echo/"+name, func(t *testing.T) {
			c := a.client()
			token := c.csrf("/signup")
			resp, body := c.post("/signup", url.Values{"_csrf": {token}, "email": {name}, "password": {"x"},
				"name": {name}, "role": {name}})
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("signup: %d", resp.StatusCode)
			}
			assertEscaped(t, body, name)
		})
		t.Run("catalog search echo/"+name, func(t *testing.T) {
			resp, body := a.client().get("/products?q=" + url.QueryEscape(name) + "&craft=" + url.QueryEscape(name))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("products: %d", resp.StatusCode)
			}
			assertEscaped(t, body, name)
		})
		t.Run("language switch links/"+name, func(t *testing.T) {
			resp, body := a.client().get("/fairs?x=" + url.QueryEscape(name))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("fairs: %d", resp.StatusCode)
			}
			assertEscaped(t, body, name)
		})
	}
}

func assertEscaped(t *testing.T, body, payload string) {
	t.Helper()
	for _, raw := range []string{payload, "<script>alert(1)", "<img src=x", "onerror=alert(1)>"} {
		if strings.Contains(payload, raw) && strings.Contains(body, raw) {
			t.Errorf("page contains the unescaped %q", raw)
		}
	}
	if strings.Count(body, "<script") != strings.Count(body, "<script src=") {
		t.Errorf("page has an inline <script>")
	}
}

// TestNoTrustedTemplateTypes (C7): no Go file outside tests turns a string into trusted
// template.HTML or template.JS, which html/template would not escape.
func TestNoTrustedTemplateTypes(t *testing.T) {
	root := ".."
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found from handlers/: %v", err)
	}
	forbidden := regexp.MustCompile(`template\.(HTML|JS)\(`)
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "node_modules", "vendor", "data":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files++
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(src), "\n") {
			if forbidden.MatchString(line) {
				t.Errorf("%s:%d: %s — build HTML in templates, never trust a string", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Fatalf("walked only %d Go files: the walk is not covering the module", files)
	}
}

// ---- C8: SQL in query strings ----

// TestCatalogQueryInjection (C8): SQL fragments in the catalog's query string are plain values:
// the page answers normally and the tables are intact.
func TestCatalogQueryInjection(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		a := newTestApp(t, db)
		a.mkUser("intact@example.be", models.RoleVisitor)
		users, regions := countRows(t, db, "users"), countRows(t, db, "regions")
		queries := []string{
			"sort=" + url.QueryEscape("name;DROP TABLE users--"),
			"craft=" + url.QueryEscape("' OR 1=1 --"),
			"region=" + url.QueryEscape("FM' OR '1'='1"),
			"q=" + url.QueryEscape("'; DROP TABLE users; --"),
			"sort=" + url.QueryEscape("(case when (select 1)=1 then name else price end)"),
			"sort=name&dir=" + url.QueryEscape("asc;--"),
			"fair=" + url.QueryEscape("1 OR 1=1"),
			"page=" + url.QueryEscape("-1 UNION SELECT password_hash FROM users"),
		}
		for _, q := range queries {
			t.Run(q, func(t *testing.T) {
				resp, body := a.client().get("/products?" + q)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET /products?%s: %d, want 200", q, resp.StatusCode)
				}
				if strings.Contains(body, "$argon2id$") {
					t.Error("page shows a password hash")
				}
			})
		}
		if got := countRows(t, db, "users"); got != users {
			t.Errorf("users: %d rows, had %d", got, users)
		}
		if got := countRows(t, db, "regions"); got != regions {
			t.Errorf("regions: %d rows, had %d", got, regions)
		}
	})
}

// ---- C6: panics ----

// TestHandlerPanicGives500AndServerGoesOn (C6): a panicking handler answers a 500 page that
// shows no internals, and the next requests (including the same user's session) work.
func TestHandlerPanicGives500AndServerGoesOn(t *testing.T) {
	a := newTestApp(t, nil)
	a.app.Get("/test-panic", func(*fiber.Ctx) error { panic("boom: secret internal detail") })
	a.mkUser("panique@example.be", models.RoleVisitor)
	c := a.client()
	c.login("panique@example.be", testPassword)
	for i := range 3 {
		resp, body := c.get("/test-panic")
		if resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("panic %d: status %d, want 500", i, resp.StatusCode)
		}
		assertPageLanguage(t, a, body, "fr", "ltr", "ErrorInternal")
		for _, leak := range []string{"boom", "secret internal detail", "goroutine", ".go:"} {
			if strings.Contains(body, leak) {
				t.Errorf("500 page leaks %q", leak)
			}
		}
		if resp.Header.Get("Content-Security-Policy") == "" {
			t.Error("500 page without CSP")
		}
		resp, body = c.get("/account")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "panique@example.be") {
			t.Fatalf("GET /account after a panic: %d", resp.StatusCode)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := models.Ping(ctx, a.db); err != nil {
		t.Fatalf("database after panics: %v", err)
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
