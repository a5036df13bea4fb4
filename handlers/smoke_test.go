package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/soukexpo/souk/models"
)

func TestSignupLoginLogoutJourney(t *testing.T) {
	a := newTestApp(t, nil)
	c := a.client()
	token := c.csrf("/signup")
	resp, body := c.post("/signup", url.Values{"_csrf": {token}, "email": {"nadia@example.be"}, "password": {testPassword},
		"name": {"Nadia"}, "role": {"visitor"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account" {
		t.Fatalf("signup: %d %s %.500s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	resp, body = c.get("/account")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "nadia@example.be") {
		t.Fatalf("account: %d %.300s", resp.StatusCode, body)
	}
	logout := c.csrf("/account")
	resp, _ = c.post("/logout", url.Values{"_csrf": {logout}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	resp, _ = c.get("/account")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("account after logout: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	c.login("nadia@example.be", testPassword)
	a.mkUser("org@example.be", models.RoleOrganizer)
}
