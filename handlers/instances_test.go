package handlers

// Scale-out (checklist F6): nothing a second instance needs lives in one instance's memory.
// Sessions and CSRF tokens are in the shared database, so a browser may be sent to any
// instance, and a restart (new Handler, new Fiber app, same database) logs nobody out.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// TestInstancesShareSessions: a login through one instance is seen by the other.
func TestInstancesShareSessions(t *testing.T) {
	db := dbtest.Postgres(t)
	a, b := newTestApp(t, db), newTestApp(t, db)
	tests := []struct {
		name           string
		loginOn, getOn *testApp
		email          string
	}{
		{name: "login through A, read through B", loginOn: a, getOn: b, email: "amal@example.be"},
		{name: "login through B, read through A", loginOn: b, getOn: a, email: "brahim@example.be"},
		{name: "login and read through A", loginOn: a, getOn: a, email: "chaima@example.be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.loginOn.mkUser(tt.email, models.RoleVisitor)
			c := tt.loginOn.client()
			c.login(tt.email, testPassword)
			resp, body := c.on(tt.getOn).get("/account")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /account on the other instance: status %d, want 200 (Location %q)", resp.StatusCode, resp.Header.Get("Location"))
			}
			if !strings.Contains(body, tt.email) {
				t.Errorf("account page on the other instance does not show %s", tt.email)
			}
		})
	}
	// Control: without the cookie the other instance sends the visitor to the login page, so
	// the 200 above really comes from the shared session.
	resp, _ := b.client().get("/account")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("anonymous GET /account: %d %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestFormFromOneInstancePostedToAnother: the CSRF token of a form rendered by A is accepted by
// B (it lives in the shared session), and a wrong token is still refused by B.
func TestFormFromOneInstancePostedToAnother(t *testing.T) {
	db := dbtest.Postgres(t)
	a, b := newTestApp(t, db), newTestApp(t, db)
	const newPassword = "harira-du-vendredi-soir"
	tests := []struct {
		name         string
		email        string
		path         string
		form         url.Values
		forgeToken   bool
		wantStatus   int
		wantLocation string
		// after checks the effect through the instances.
		after func(t *testing.T, c *client, email string)
	}{
		{
			name: "change password", email: "pw@example.be", path: "/account/password",
			form:       url.Values{"current_password": {testPassword}, "new_password": {newPassword}},
			wantStatus: http.StatusSeeOther, wantLocation: "/account",
			after: func(t *testing.T, c *client, email string) {
				if _, err := models.Authenticate(context.Background(), db, email, newPassword); err != nil {
					t.Errorf("new password does not work after the change through B: %v", err)
				}
				// The session that changed the password stays signed in, on both instances.
				for name, inst := range map[string]*testApp{"A": a, "B": b} {
					if resp, _ := c.on(inst).get("/account"); resp.StatusCode != http.StatusOK {
						t.Errorf("GET /account on %s after the change: %d, want 200", name, resp.StatusCode)
					}
				}
			},
		},
		{
			name: "logout", email: "out@example.be", path: "/logout",
			wantStatus: http.StatusSeeOther, wantLocation: "/?lang=fr",
			after: func(t *testing.T, c *client, _ string) {
				// The session ended for every instance, not only B.
				resp, _ := c.on(a).get("/account")
				if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
					t.Errorf("GET /account on A after logout through B: %d %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
				}
			},
		},
		{
			name: "forged token is refused by B", email: "forged@example.be", path: "/account/password",
			form:       url.Values{"current_password": {testPassword}, "new_password": {newPassword}},
			forgeToken: true, wantStatus: http.StatusForbidden,
			after: func(t *testing.T, _ *client, email string) {
				if _, err := models.Authenticate(context.Background(), db, email, testPassword); err != nil {
					t.Errorf("password changed despite a forged token: %v", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.mkUser(tt.email, models.RoleVisitor)
			ca := a.client()
			ca.login(tt.email, testPassword)
			token := ca.csrf("/account") // the form is rendered by A
			if tt.forgeToken {
				token = "forged-" + token
			}
			form := url.Values{}
			for k, v := range tt.form {
				form[k] = v
			}
			form.Set("_csrf", token)
			resp, body := ca.on(b).post(tt.path, form) // and posted to B
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("POST %s to B: status %d, want %d; body %.300s", tt.path, resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantLocation != "" && resp.Header.Get("Location") != tt.wantLocation {
				t.Errorf("POST %s to B: Location %q, want %q", tt.path, resp.Header.Get("Location"), tt.wantLocation)
			}
			tt.after(t, ca, tt.email)
		})
	}
}

// TestRestartKeepsSessions: "restart both" builds brand-new instances (fresh Handler, fresh
// Fiber app) on the same database; the old cookie and the old form token keep working.
func TestRestartKeepsSessions(t *testing.T) {
	tests := []struct {
		name string
		open func(testing.TB) *gorm.DB
	}{
		{name: "postgres", open: dbtest.Postgres},
		{name: "sqlite", open: dbtest.SQLite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := tt.open(t)
			oldA, oldB := newTestApp(t, db), newTestApp(t, db)
			oldA.mkUser("restart@example.be", models.RoleArtisan)
			c := oldA.client()
			c.login("restart@example.be", testPassword)
			if resp, _ := c.on(oldB).get("/account"); resp.StatusCode != http.StatusOK {
				t.Fatalf("before restart: GET /account on B: %d", resp.StatusCode)
			}
			logoutToken := c.csrf("/account")

			// Restart both: nothing of the old instances is used from here on.
			newA, newB := newTestApp(t, db), newTestApp(t, db)
			if newA.h == oldA.h || newA.app == oldA.app {
				t.Fatal("the restarted instance reuses the old Handler or app")
			}
			for name, inst := range map[string]*testApp{"new A": newA, "new B": newB} {
				resp, body := c.on(inst).get("/account")
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("after restart: GET /account on %s: %d, want 200 (Location %q)", name, resp.StatusCode, resp.Header.Get("Location"))
				}
				if !strings.Contains(body, "restart@example.be") {
					t.Errorf("after restart: account page on %s does not show the user", name)
				}
			}
			// A form rendered before the restart is still accepted after it.
			resp, _ := c.on(newB).post("/logout", url.Values{"_csrf": {logoutToken}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("after restart: POST /logout with the pre-restart token: %d, want 303", resp.StatusCode)
			}
			resp, _ = c.on(newA).get("/account")
			if resp.StatusCode != http.StatusSeeOther {
				t.Errorf("after logout: GET /account on new A: %d, want 303 to /login", resp.StatusCode)
			}
		})
	}
}
