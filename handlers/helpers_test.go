package handlers

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"github.com/soukexpo/souk/payments"
	"github.com/soukexpo/souk/storage"
	"gorm.io/gorm"
)

// testApp is one portal instance over a database and a folder object store.
type testApp struct {
	t   testing.TB
	h   *Handler
	app *fiber.App
	db  *gorm.DB
}

// newTestApp builds an instance the way cmd/souk does, on db (SQLite when nil), paying at
// the stand.
func newTestApp(t testing.TB, db *gorm.DB, cfg ...Config) *testApp {
	t.Helper()
	return newTestAppWithGateway(t, db, nil, cfg...)
}

// newTestAppWithGateway is newTestApp with a payment gateway (nil: pay at the stand).
func newTestAppWithGateway(t testing.TB, db *gorm.DB, gw payments.Gateway, cfg ...Config) *testApp {
	t.Helper()
	if db == nil {
		db = dbtest.SQLite(t)
	}
	store, err := storage.New(context.Background(), storage.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	c := Config{BaseURL: "http://example.com"}
	if len(cfg) > 0 {
		c = cfg[0]
	}
	h, err := New(Deps{DB: db, Store: store, Logger: dbtest.Logger(), Config: c, Gateway: gw})
	if err != nil {
		t.Fatalf("new handlers: %v", err)
	}
	return &testApp{t: t, h: h, app: h.App(), db: db}
}

// client is a browser: it keeps cookies and follows nothing by itself.
type client struct {
	t   testing.TB
	a   *testApp
	jar *cookiejar.Jar
}

func (a *testApp) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: a.t, a: a, jar: jar}
}

// on returns a client for another instance sharing this client's cookies.
func (c *client) on(a *testApp) *client { return &client{t: c.t, a: a, jar: c.jar} }

var base, _ = url.Parse("http://example.com/")

// do sends a request through app.Test, storing cookies like a browser would.
func (c *client) do(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	for _, ck := range c.jar.Cookies(base) {
		req.AddCookie(ck)
	}
	resp, err := c.a.app.Test(req, 60_000) // generous: -race on two loaded cores
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	c.jar.SetCookies(base, resp.Cookies())
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("read body: %v", err)
	}
	_ = resp.Body.Close()
	return resp, string(body)
}

func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	return c.do(httptest.NewRequest(http.MethodGet, path, nil))
}

// post sends a form; the CSRF token is added unless the form already has a _csrf key.
func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf fetches a page and returns the token of its form.
func (c *client) csrf(page string) string {
	c.t.Helper()
	_, body := c.get(page)
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatalf("no _csrf field on %s", page)
	}
	return m[1]
}

// login signs in through the login form and fails the test unless it works.
func (c *client) login(email, password string) {
	c.t.Helper()
	token := c.csrf("/login")
	resp, body := c.post("/login", url.Values{"_csrf": {token}, "email": {email}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("login %s: status %d, body %.300s", email, resp.StatusCode, body)
	}
}

// mkUser creates an account directly in the database.
func (a *testApp) mkUser(email string, role models.Role) models.User {
	a.t.Helper()
	nu := models.NewUser{Email: email, Name: "Test " + string(role), Password: testPassword, Role: role}
	if role == models.RoleChamber {
		nu.RegionCode = "FM"
	}
	u, err := models.CreateUser(context.Background(), a.db, nu)
	if err != nil {
		a.t.Fatalf("create %s: %v", email, err)
	}
	return u
}

const testPassword = "tagine-au-citron-2026"
