package handlers

// Accounts as users and attackers meet them: sign-up validation and mass assignment (A6, B3),
// login errors that reveal nothing (G1), safe redirects after login, password change ending
// other sessions (A5), logout and session lifetimes (A4).

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
	"gorm.io/gorm"
)

// fieldErrorText returns the error text shown right after the input of field (before any other
// input; for the role radios, inside their fieldset), and whether the input is aria-invalid.
func fieldErrorText(body, field string) (text string, invalid bool) {
	errRe := regexp.MustCompile(`<(?:div|p|span)[^>]*class="field-error[^"]*"[^>]*id="e-` + regexp.QuoteMeta(field) + `"[^>]*>([^<]*)<`)
	if field == "role" {
		errRe = regexp.MustCompile(`<(?:div|p|span)[^>]*class="field-error[^"]*"[^>]*id="f-role"[^>]*>([^<]*)<`)
		open := strings.Index(body, "<fieldset")
		closing := strings.Index(body, "</fieldset>")
		if open < 0 || closing < open {
			return "", false
		}
		m := errRe.FindStringSubmatch(body[open:closing])
		if m == nil {
			return "", false
		}
		return pageText(m[1]), true
	}
	inputRe := regexp.MustCompile(`<input[^>]*\bid="f-` + regexp.QuoteMeta(field) + `"[^>]*>`)
	loc := inputRe.FindStringIndex(body)
	if loc == nil {
		return "", false
	}
	rest := body[loc[1]:]
	if next := strings.Index(rest, "<input"); next >= 0 {
		rest = rest[:next]
	}
	m := errRe.FindStringSubmatch(rest)
	if m == nil {
		return "", false
	}
	return pageText(m[1]), strings.Contains(body[loc[0]:loc[1]], `aria-invalid="true"`)
}

// inputValue is the value attribute of the input named field ("" when none).
func inputValue(body, field string) string {
	m := regexp.MustCompile(`<input[^>]*\bname="` + regexp.QuoteMeta(field) + `"[^>]*\bvalue="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return pageText(m[1])
}

func usersWithEmail(t testing.TB, db *gorm.DB, email string) []models.User {
	t.Helper()
	var us []models.User
	if err := db.Where("lower(email) = ?", strings.ToLower(email)).Find(&us).Error; err != nil {
		t.Fatalf("find users: %v", err)
	}
	return us
}

// TestSignupValidation: each mistake is shown in French next to its field, with what was typed
// kept (never the password), and no account is created.
func TestSignupValidation(t *testing.T) {
	a := newTestApp(t, nil)
	a.mkUser("nadia.dup@example.be", models.RoleVisitor)
	valid := func(overrides map[string]string) url.Values {
		f := url.Values{"email": {"nouvelle@example.be"}, "password": {"menthe-fraiche-au-souk"}, "name": {"Nouvelle Personne"}, "role": {"visitor"}}
		for k, v := range overrides {
			f.Set(k, v)
		}
		return f
	}
	tests := []struct {
		name   string
		form   url.Values
		field  string
		msgIDs []string // any of these texts
	}{
		{name: "missing email", form: valid(map[string]string{"email": ""}), field: "email", msgIDs: []string{"FieldRequired"}},
		{name: "invalid email", form: valid(map[string]string{"email": "nadia-at-example.be"}), field: "email", msgIDs: []string{"EmailInvalid"}},
		{name: "email with display name", form: valid(map[string]string{"email": "Nadia <nadia@example.be>"}), field: "email", msgIDs: []string{"EmailInvalid"}},
		{name: "7-character password", form: valid(map[string]string{"password": "zaatar7"}), field: "password", msgIDs: []string{"PasswordTooShort"}},
		{name: "common password", form: valid(map[string]string{"password": "password123"}), field: "password", msgIDs: []string{"PasswordTooCommon"}},
		{name: "missing name", form: valid(map[string]string{"name": "   "}), field: "name", msgIDs: []string{"FieldRequired", "NameRequired"}},
		{name: "role escalation to organizer", form: valid(map[string]string{"role": "organizer"}), field: "role", msgIDs: []string{"FieldInvalidChoice", "RoleInvalid"}},
		{name: "role escalation to chamber", form: valid(map[string]string{"role": "chamber"}), field: "role", msgIDs: []string{"FieldInvalidChoice", "RoleInvalid"}},
		{name: "duplicate email in other case", form: valid(map[string]string{"email": "Nadia.DUP@Example.be"}), field: "email", msgIDs: []string{"EmailTaken"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := countRows(t, a.db, "users")
			c := a.client()
			form := url.Values{"_csrf": {c.csrf("/signup")}}
			for k, v := range tt.form {
				form[k] = v
			}
			resp, body := c.post("/signup", form)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422; Location %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			got, invalid := fieldErrorText(body, tt.field)
			var wants []string
			ok := false
			for _, id := range tt.msgIDs {
				want := a.msg("fr", id)
				wants = append(wants, want)
				ok = ok || got == want
			}
			if !ok {
				t.Errorf("error next to %s = %q, want one of %q", tt.field, got, wants)
			}
			if !invalid {
				t.Errorf("field %s is not marked aria-invalid", tt.field)
			}
			if m := htmlLangDir.FindStringSubmatch(body); m == nil || m[1] != "fr" {
				t.Errorf("page language %v, want fr", m)
			}
			if pw := tt.form.Get("password"); pw != "" && strings.Contains(body, pw) {
				t.Errorf("the page echoes the password %q", pw)
			}
			for _, f := range []string{"email", "name"} {
				if got, want := inputValue(body, f), strings.TrimSpace(tt.form.Get(f)); got != want {
					t.Errorf("typed %s not kept: value %q, want %q", f, got, want)
				}
			}
			if role := tt.form.Get("role"); role == "visitor" && !strings.Contains(body, `value="visitor" checked`) {
				t.Error("chosen role not kept")
			}
			if after := countRows(t, a.db, "users"); after != before {
				t.Errorf("users went from %d to %d", before, after)
			}
		})
	}
	if us := usersWithEmail(t, a.db, "nadia.dup@example.be"); len(us) != 1 {
		t.Errorf("%d accounts for nadia.dup@example.be, want 1", len(us))
	}
	var organizers int64
	a.db.Model(&models.User{}).Where("role IN ?", []string{"organizer", "chamber"}).Count(&organizers)
	if organizers != 0 {
		t.Errorf("sign-up created %d organizer/chamber accounts", organizers)
	}
}

// TestSignupMassAssignment (B3): extra fields naming columns are ignored; the account gets the
// defaults.
func TestSignupMassAssignment(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		a := newTestApp(t, db)
		first := a.mkUser("premier@example.be", models.RoleVisitor)
		extras := url.Values{
			"session_epoch": {"9"}, "SessionEpoch": {"9"}, "region_code": {"FM"}, "RegionCode": {"FM"},
			"id": {fmt.Sprint(first.ID)}, "ID": {fmt.Sprint(first.ID)}, "password_hash": {"$argon2id$forged"},
			"disabled_at": {"2020-01-01T00:00:00Z"}, "locale": {"xx"}, "created_at": {"2000-01-01T00:00:00Z"},
		}
		tests := []struct {
			name  string
			email string
			role  string
			more  url.Values
		}{
			{name: "column names", email: "masse@example.be", role: "artisan"},
			{name: "role in other case", email: "masse2@example.be", role: "visitor", more: url.Values{"Role": {"organizer"}, "ROLE": {"organizer"}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := a.client()
				form := url.Values{"_csrf": {c.csrf("/signup")}, "email": {tt.email}, "password": {testPassword}, "name": {"Masse"}, "role": {tt.role}}
				for k, v := range extras {
					form[k] = v
				}
				for k, v := range tt.more {
					form[k] = v
				}
				resp, body := c.post("/signup", form)
				switch resp.StatusCode {
				case http.StatusSeeOther:
				case http.StatusUnprocessableEntity:
					if tt.more == nil {
						t.Fatalf("signup refused: %.300s", body)
					}
				default:
					t.Fatalf("signup: %d", resp.StatusCode)
				}
				us := usersWithEmail(t, db, tt.email)
				if resp.StatusCode == http.StatusUnprocessableEntity {
					if len(us) != 0 {
						t.Fatalf("refused sign-up created %d rows", len(us))
					}
					return
				}
				if len(us) != 1 {
					t.Fatalf("%d rows for %s", len(us), tt.email)
				}
				u := us[0]
				if u.ID == first.ID || u.SessionEpoch != 0 || u.RegionCode != nil || u.DisabledAt != nil ||
					u.Locale != "fr" || string(u.Role) != tt.role || u.PasswordHash == "$argon2id$forged" ||
					u.CreatedAt.Before(time.Now().Add(-time.Hour)) {
					t.Errorf("row took values from the form: %+v", u)
				}
				if !models.VerifyPassword(u.PasswordHash, testPassword) {
					t.Error("stored hash does not verify the typed password")
				}
			})
		}
		got, err := models.GetUser(context.Background(), db, first.ID)
		if err != nil || got.Email != "premier@example.be" || got.SessionEpoch != 0 {
			t.Errorf("the existing user %d was touched: %+v, %v", first.ID, got, err)
		}
		var escalated int64
		db.Model(&models.User{}).Where("role = ?", "organizer").Count(&escalated)
		if escalated != 0 {
			t.Errorf("%d organizer accounts after sign-ups", escalated)
		}
	})
}

var errorSummary = regexp.MustCompile(`(?s)<div class="error-summary".*?</div>`)

// TestLoginFailureRevealsNothing (G1): wrong password, unknown address and disabled account
// look the same: status and error text.
func TestLoginFailureRevealsNothing(t *testing.T) {
	a := newTestApp(t, nil)
	a.mkUser("connue@example.be", models.RoleVisitor)
	disabled := a.mkUser("desactivee@example.be", models.RoleVisitor)
	if err := a.db.Model(&models.User{}).Where("id = ?", disabled.ID).Update("disabled_at", time.Now().UTC()).Error; err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, email, password string }{
		{name: "wrong password", email: "connue@example.be", password: "pas-le-bon-mot"},
		{name: "unknown e-mail", email: "inconnue@example.be", password: "pas-le-bon-mot"},
		{name: "disabled account, right password", email: "desactivee@example.be", password: testPassword},
	}
	var summaries []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := a.client()
			resp, body := c.post("/login", url.Values{"_csrf": {c.csrf("/login")}, "email": {tt.email}, "password": {tt.password}})
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
			s := errorSummary.FindString(body)
			if !strings.Contains(pageText(s), a.msg("fr", "LoginFailed")) {
				t.Errorf("error summary %q lacks the login failure text", s)
			}
			if strings.Contains(body, tt.password) {
				t.Error("the page echoes the password")
			}
			summaries = append(summaries, s)
			if resp, _ := c.get("/account"); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("signed in after a failed login: %d", resp.StatusCode)
			}
		})
	}
	for i := 1; i < len(summaries); i++ {
		if summaries[i] != summaries[0] {
			t.Errorf("error text differs:\n%s: %q\n%s: %q", tests[0].name, summaries[0], tests[i].name, summaries[i])
		}
	}
}

// TestLoginNextRedirect: after login (or when already signed in) the visitor is only ever sent
// to a page of this site.
func TestLoginNextRedirect(t *testing.T) {
	a := newTestApp(t, nil)
	a.mkUser("suivante@example.be", models.RoleVisitor)
	tests := []struct {
		next, want string
		post       bool // also through the login form (costs a password hash)
	}{
		{next: "//evil.example", want: "/account", post: true},
		{next: "https://evil.example", want: "/account", post: true},
		{next: `/\evil.example`, want: "/account", post: true},
		{next: "/\t/evil.example", want: "/account", post: true}, // browsers drop tabs: //evil.example
		{next: "/fairs", want: "/fairs", post: true},
		{next: "", want: "/account"},
		{next: "evil.example", want: "/account"},
		{next: "javascript:alert(1)", want: "/account"},
		{next: `\\evil.example`, want: "/account"},
		{next: "/\n/evil.example", want: "/account"},
		{next: "/\r\nSet-Cookie: x=y", want: "/account"},
		{next: "/%2F%2Fevil.example", want: "/%2F%2Fevil.example"},
		{next: "/products?craft=zellige", want: "/products?craft=zellige"},
	}
	signedIn := a.client()
	signedIn.login("suivante@example.be", testPassword)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.next), func(t *testing.T) {
			resp, _ := signedIn.get("/login?next=" + url.QueryEscape(tt.next))
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tt.want {
				t.Errorf("GET /login?next signed in: %d %q, want 303 %q", resp.StatusCode, resp.Header.Get("Location"), tt.want)
			}
			if !tt.post {
				return
			}
			c := a.client()
			resp, _ = c.post("/login", url.Values{"_csrf": {c.csrf("/login?next=" + url.QueryEscape(tt.next))},
				"email": {"suivante@example.be"}, "password": {testPassword}, "next": {tt.next}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tt.want {
				t.Errorf("POST /login: %d %q, want 303 %q", resp.StatusCode, resp.Header.Get("Location"), tt.want)
			}
		})
	}
}

// TestChangePassword (A5): a wrong current password is refused next to its field; a change
// ends every other session of the user on every instance, and keeps the current one.
func TestChangePassword(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		a, b := newTestApp(t, db), newTestApp(t, db)
		a.mkUser("mdp@example.be", models.RoleVisitor)
		const newPassword = "amlou-et-pain-chaud"
		here, elsewhere := a.client(), b.client()
		here.login("mdp@example.be", testPassword)
		elsewhere.login("mdp@example.be", testPassword)

		tests := []struct {
			name, current, next, field, msgID string
		}{
			{name: "wrong current password", current: "pas-le-mot-actuel", next: newPassword, field: "current_password", msgID: "PasswordWrong"},
			{name: "new password too short", current: testPassword, next: "court", field: "new_password", msgID: "PasswordTooShort"},
			{name: "new password too common", current: testPassword, next: "password123", field: "new_password", msgID: "PasswordTooCommon"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := here.post("/account/password", url.Values{"_csrf": {here.csrf("/account")},
					"current_password": {tt.current}, "new_password": {tt.next}})
				if resp.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("status %d, want 422", resp.StatusCode)
				}
				if got, _ := fieldErrorText(body, tt.field); got != a.msg("fr", tt.msgID) {
					t.Errorf("error next to %s = %q, want %q", tt.field, got, a.msg("fr", tt.msgID))
				}
				for _, pw := range []string{tt.current, tt.next} {
					if strings.Contains(body, pw) {
						t.Errorf("page echoes password %q", pw)
					}
				}
				if resp, _ := elsewhere.get("/account"); resp.StatusCode != http.StatusOK {
					t.Errorf("a refused change ended the other session: %d", resp.StatusCode)
				}
			})
		}

		t.Run("success", func(t *testing.T) {
			resp, _ := here.post("/account/password", url.Values{"_csrf": {here.csrf("/account")},
				"current_password": {testPassword}, "new_password": {newPassword}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account" {
				t.Fatalf("change: %d %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp, body := here.get("/account"); resp.StatusCode != http.StatusOK || !strings.Contains(pageText(body), a.msg("fr", "FlashPasswordChanged")) {
				t.Errorf("current session after the change: %d (or no confirmation)", resp.StatusCode)
			}
			for name, c := range map[string]*client{"other session, other instance": elsewhere, "other session, same instance": elsewhere.on(a)} {
				resp, _ := c.get("/account")
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Faccount" {
					t.Errorf("%s: %d %q, want 303 to /login?next=%%2Faccount", name, resp.StatusCode, resp.Header.Get("Location"))
				}
			}
			old := b.client()
			if resp, _ := old.post("/login", url.Values{"_csrf": {old.csrf("/login")}, "email": {"mdp@example.be"}, "password": {testPassword}}); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("old password still accepted: %d", resp.StatusCode)
			}
			b.client().login("mdp@example.be", newPassword)
		})
	})
}

// TestLogoutEndsSessionOnServer (A4): after logout, a copy of the cookie signs nobody in.
func TestLogoutEndsSessionOnServer(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		a := newTestApp(t, db)
		a.mkUser("sortie@example.be", models.RoleArtisan)
		c := a.client()
		c.login("sortie@example.be", testPassword)
		stolen := c.cookieValue("souk_session")
		if !sessionStored(t, db, stolen) {
			t.Fatal("the signed-in session is not where the test looks for it")
		}
		resp, _ := c.post("/logout", url.Values{"_csrf": {c.csrf("/account")}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout: %d", resp.StatusCode)
		}
		if sessionStored(t, db, stolen) {
			t.Error("session row still stored after logout")
		}
		for _, path := range []string{"/account", "/account/password"} {
			replay := a.withCookies(&http.Cookie{Name: "souk_session", Value: stolen})
			if path == "/account" {
				resp, _ = replay.get(path)
				if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
					t.Errorf("GET %s with the old cookie: %d %q, want 303 to /login", path, resp.StatusCode, resp.Header.Get("Location"))
				}
				continue
			}
			resp, _ = replay.post(path, url.Values{"current_password": {testPassword}, "new_password": {"vol-de-session-123"}})
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with the old cookie: %d, want 403", path, resp.StatusCode)
			}
		}
	})
}

// TestSessionLifetimes (A4): a session ends on the server after 7 days even while in use, and
// after a day without use.
func TestSessionLifetimes(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		a := newTestApp(t, db)
		// Test-only route: back-dates the start of the request's session, as if it had been
		// created that long ago; the session is saved by the normal middleware.
		a.app.Post("/test/age-session", func(c *fiber.Ctx) error {
			ws := webSessionOf(c)
			if !ws.active() {
				return c.SendStatus(http.StatusBadRequest)
			}
			age, err := time.ParseDuration(c.Query("age"))
			if err != nil {
				return c.SendStatus(http.StatusBadRequest)
			}
			ws.sess.Set(sessCreated, time.Now().Add(-age).Unix())
			ws.dirty = true
			return c.SendStatus(http.StatusNoContent)
		})
		tests := []struct {
			name       string
			age        time.Duration
			idleExpiry bool // the stored row's expiry is in the past
			signedIn   bool
		}{
			{name: "started 6 days 23 hours ago", age: 7*24*time.Hour - time.Hour, signedIn: true},
			{name: "started 7 days and a minute ago", age: 7*24*time.Hour + time.Minute},
			{name: "started 30 days ago", age: 30 * 24 * time.Hour},
			{name: "idle past its expiry", age: time.Hour, idleExpiry: true},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				email := fmt.Sprintf("duree%d@example.be", i)
				a.mkUser(email, models.RoleVisitor)
				c := a.client()
				c.login(email, testPassword)
				resp, _ := c.post("/test/age-session?age="+tt.age.String(), url.Values{})
				if resp.StatusCode != http.StatusNoContent {
					t.Fatalf("age session: %d", resp.StatusCode)
				}
				id := c.cookieValue("souk_session")
				if tt.idleExpiry {
					res := db.Table("kv_entries").Where("key = ?", sessionKeyPrefix+id).Update("expires_at", time.Now().Add(-time.Second).Unix())
					if res.Error != nil || res.RowsAffected != 1 {
						t.Fatalf("expire the session row: %v, %d rows", res.Error, res.RowsAffected)
					}
				}
				resp, _ = c.get("/account")
				if tt.signedIn {
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("GET /account: %d, want 200", resp.StatusCode)
					}
					return
				}
				if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
					t.Fatalf("GET /account: %d %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
				}
				if !tt.idleExpiry && sessionStored(t, db, id) {
					t.Error("the expired session is still stored on the server")
				}
			})
		}
	})
}
