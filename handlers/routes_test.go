package handlers

// The route table is the one place where access is decided (checklist B1, A7): every route the
// app serves must be in it, GET routes must change nothing, and each role gets exactly what the
// table promises.

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
	"gorm.io/gorm"
)

// allowedGETPaths are the GET routes reviewed as free of side effects. A new GET route makes
// TestNoStateChangingGET fail until it is added here, after checking it only reads.
var allowedGETPaths = []string{
	"/",
	"/account",
	"/account/favourites",
	"/admin",
	"/admin/chamber-agents",
	"/artisans/:slug",
	"/chamber/artisans",
	"/chamber/artisans/:id",
	"/fairs",
	"/fairs/:slug",
	"/healthz",
	"/login",
	"/media/*",
	"/metrics",
	"/products",
	"/products/:id",
	"/readyz",
	"/signup",
	"/static/:hash/*",
	"/studio",
	"/studio/products",
	"/studio/products/:id",
	"/studio/products/new",
	"/studio/profile",
	"/admin/fairs",
	"/admin/fairs/new",
	"/admin/fairs/:id",
	"/admin/fairs/:id/stands/grid",
	"/admin/fairs/:id/stands/import",
	"/admin/fairs/:id/stands.csv",
	// fairs-admin-get-routes
	"/fairs/:slug/plan",
	"/fairs/:slug/stands/:code",
	"/fairs/:slug/stands/:code/sign",
	// plan-get-routes
	"/studio/applications",
	"/studio/applications/new",
	"/studio/applications/:id",
	"/chamber/applications",
	"/chamber/applications/:id",
	// applications-get-routes
	"/admin/fairs/:id/applications",
	"/admin/fairs/:id/applications.csv",
	"/admin/fairs/:id/applications/:appID",
	"/admin/fairs/:id/quotas",
	"/admin/fairs/:id/waitlist",
	"/admin/outbox",
	// review-get-routes
	"/admin/fairs/:id/allocation",
	// allocation-get-routes
	"/cart",
	"/checkout",
	"/checkout/success",
	"/orders/:code",
	"/admin/shipping",
	// cart-get-routes
	// payments-get-routes
	"/studio/orders",
	"/studio/orders/packing",
	"/studio/pickup",
	"/studio/stand-sales",
	"/admin/orders",
	"/admin/orders.csv",
	"/admin/orders/:code",
	"/admin/fairs/:id/settlement",
	"/admin/fairs/:id/settlement.csv",
	// fulfilment-get-routes
}

// unlistedRoutes returns the routes app serves that have no line in the table. Fiber answers
// HEAD for a GET route with the GET handler, so HEAD counts as GET.
func unlistedRoutes(app *fiber.App, table []route) []string {
	listed := map[string]bool{}
	for _, r := range table {
		listed[r.method+" "+r.path] = true
	}
	var out []string
	for _, r := range app.GetRoutes(true) {
		m := r.Method
		if m == fiber.MethodHead {
			m = fiber.MethodGet
		}
		if !listed[m+" "+r.Path] {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// TestEveryRouteHasAPolicy (B1): deny by default — a route served by the app without a line in
// the route table (and so without a declared access policy) fails the build.
func TestEveryRouteHasAPolicy(t *testing.T) {
	a := newTestApp(t, nil)
	table := a.h.routes()
	if extra := unlistedRoutes(a.app, table); len(extra) > 0 {
		t.Errorf("routes without an entry in routes(): %v", extra)
	}
	registered := map[string]bool{}
	for _, r := range a.app.GetRoutes(true) {
		registered[r.Method+" "+r.Path] = true
	}
	seen := map[string]bool{}
	for _, r := range table {
		key := r.method + " " + r.path
		if seen[key] {
			t.Errorf("route %s appears twice in the table", key)
		}
		seen[key] = true
		if !registered[key] {
			t.Errorf("route %s is in the table but not served", key)
		}
		if !r.access.public && len(r.access.roles) == 0 {
			t.Errorf("route %s admits nobody: declare its roles", key)
		}
	}
	t.Run("the walk catches a route added outside the table", func(t *testing.T) {
		b := newTestApp(t, nil)
		b.app.Get("/sneaky", func(c *fiber.Ctx) error { return c.SendString("no policy") })
		b.app.Post("/account/sneaky", func(c *fiber.Ctx) error { return c.SendString("no policy") })
		got := unlistedRoutes(b.app, b.h.routes())
		for _, want := range []string{"GET /sneaky", "POST /account/sneaky"} {
			if !slices.Contains(got, want) {
				t.Errorf("unlistedRoutes = %v, want it to report %s", got, want)
			}
		}
	})
}

// TestNoStateChangingGET (A7): state changes only through POST/PUT/PATCH/DELETE (which carry a
// CSRF token); the GET routes are exactly the reviewed list.
func TestNoStateChangingGET(t *testing.T) {
	a := newTestApp(t, nil)
	var gets []string
	for _, r := range a.h.routes() {
		switch r.method {
		case fiber.MethodGet:
			gets = append(gets, r.path)
			lower := strings.ToLower(r.path)
			for _, verb := range []string{"logout", "delete", "remove", "create", "update", "cancel", "approve", "reject", "pay", "confirm", "toggle", "reset"} {
				if strings.Contains(lower, verb) {
					t.Errorf("GET %s looks like an action (%q): make it a POST", r.path, verb)
				}
			}
		case fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete:
		default:
			t.Errorf("route %s %s: method not allowed in the table", r.method, r.path)
		}
	}
	sort.Strings(gets)
	want := slices.Clone(allowedGETPaths)
	sort.Strings(want)
	if !slices.Equal(gets, want) {
		for _, g := range gets {
			if !slices.Contains(want, g) {
				t.Errorf("new GET route %s: check it changes nothing, then add it to allowedGETPaths", g)
			}
		}
		for _, w := range want {
			if !slices.Contains(gets, w) {
				t.Errorf("GET route %s is gone: remove it from allowedGETPaths", w)
			}
		}
	}
}

// matrixFair is the fair seeded for routes with a :slug.
const matrixFair = "demo-x"

// concretePath turns a route pattern into a URL a test can request. seeded tells whether the
// URL names a row the test created; otherwise its parameters are harmless placeholders
// (an id or slug that does not exist), so an admitted user may get 404 instead of 200.
func concretePath(t testing.TB, a *testApp, pattern string) (path string, seeded bool) {
	t.Helper()
	switch pattern {
	case "/static/:hash/*":
		u, err := a.h.assets.URL("css/souk.css")
		if err != nil {
			t.Fatal(err)
		}
		return u, true
	case "/media/*":
		return "/media/img/00000000-0000-4000-8000-000000000000.jpg", false // well formed, not stored
	case "/fairs/:slug":
		return "/fairs/" + matrixFair, true
	}
	segs := strings.Split(pattern, "/")
	seeded = true
	for i, s := range segs {
		switch {
		case strings.HasPrefix(s, ":") && strings.Contains(s, "id"):
			segs[i], seeded = "999999999", false
		case strings.HasPrefix(s, ":"):
			segs[i], seeded = "no-such-thing", false
		case s == "*":
			segs[i], seeded = "no-such-thing", false
		}
	}
	return strings.Join(segs, "/"), seeded
}

func seedMatrixFair(t testing.TB, db *gorm.DB) {
	t.Helper()
	start := time.Now().AddDate(0, 2, 0).Truncate(24 * time.Hour)
	f := models.Fair{Slug: matrixFair, Name: "Salon démo X", City: "Bruxelles", Country: "BE", StartsOn: start,
		EndsOn: start.AddDate(0, 0, 2), Timezone: "Europe/Brussels", Status: models.FairOpen}
	if err := db.WithContext(context.Background()).Create(&f).Error; err != nil {
		t.Fatalf("seed fair: %v", err)
	}
}

var matrixRoles = []string{"anonymous", string(models.RoleVisitor), string(models.RoleArtisan), string(models.RoleChamber), string(models.RoleOrganizer)}

// getExpectation is what a role must get from GET on a route. For a URL with placeholder
// parameters, an admitted role gets 404 (the access check passed, the row does not exist).
func getExpectation(r route, role, path string, seeded bool) (status int, location string) {
	signedIn := role != "anonymous"
	admitted := r.access.public || (signedIn && r.access.admits(models.Role(role)))
	if want, ok := emptyAnswers[r.path]; ok && admitted {
		return want.status, want.location
	}
	switch {
	case admitted && !seeded:
		return http.StatusNotFound, ""
	case r.access.public && signedIn && (r.path == "/login" || r.path == "/signup"):
		return http.StatusSeeOther, "/account" // already signed in: sent on to the account
	case r.access.public:
		return http.StatusOK, ""
	case !signedIn:
		return http.StatusSeeOther, "/login?next=" + url.QueryEscape(path)
	case r.access.admits(models.Role(role)):
		return http.StatusOK, ""
	default:
		return http.StatusForbidden, ""
	}
}

// emptyAnswers are the GET pages that need something the matrix's fresh accounts do not have:
// an admitted role gets this answer instead of 200.
var emptyAnswers = map[string]struct {
	status   int
	location string
}{
	"/checkout":         {http.StatusSeeOther, "/cart"}, // an empty cart goes back to the cart
	"/checkout/success": {http.StatusNotFound, ""},      // no order named: nothing to show
}

// postNotFound are the POST routes that answer 404 by design in the matrix's set-up.
var postNotFound = map[string]string{
	"/webhooks/stripe": "pay at the stand (no Stripe key): there is no webhook",
}

// dangerousForms are complete, valid forms for the state-changing routes: sent by a role the
// route does not admit, they must change nothing.
var dangerousForms = map[string]url.Values{
	"/admin/chamber-agents": {"name": {"Agent intrus"}, "email": {"intrus@example.be"}, "region": {"FM"}, "password": {"mot-de-passe-intrus-1"}},
	"/account/password":     {"current_password": {testPassword}, "new_password": {"mot-de-passe-intrus-2"}},
}

// TestRoleRouteMatrix (B1): every route of the table × every role. GET answers exactly 200
// when allowed, 303 to the login page (with next) for anonymous visitors on protected pages, and
// 403 for signed-in users without the role. A POST carrying a valid CSRF token is refused with
// 403 for a role the route does not admit, and changes nothing.
func TestRoleRouteMatrix(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		a := newTestApp(t, db)
		seedMatrixFair(t, db)
		clients := map[string]*client{}
		tokens := map[string]string{}
		for _, role := range matrixRoles {
			c := a.client()
			if role == "anonymous" {
				tokens[role] = c.csrf("/login")
			} else {
				email := "matrix-" + role + "@example.be"
				a.mkUser(email, models.Role(role))
				c.login(email, testPassword)
				tokens[role] = c.csrf("/account")
			}
			clients[role] = c
		}
		table := a.h.routes()
		// Logout ends the session: run it last for each role.
		sort.SliceStable(table, func(i, j int) bool { return table[i].path != "/logout" && table[j].path == "/logout" })

		for _, role := range matrixRoles {
			c := clients[role]
			for _, r := range table {
				path, seeded := concretePath(t, a, r.path)
				t.Run(role+"/"+r.method+" "+r.path, func(t *testing.T) {
					if r.method == fiber.MethodGet {
						want, loc := getExpectation(r, role, path, seeded)
						resp, body := c.get(path)
						if resp.StatusCode != want {
							t.Fatalf("GET %s as %s: %d, want %d (Location %q) %.200s", path, role, resp.StatusCode, want, resp.Header.Get("Location"), body)
						}
						if loc != "" && resp.Header.Get("Location") != loc {
							t.Errorf("GET %s as %s: Location %q, want %q", path, role, resp.Header.Get("Location"), loc)
						}
						if want == http.StatusForbidden && !strings.Contains(pageText(body), a.msg("fr", "ErrorForbidden")) {
							t.Errorf("403 page does not say access is refused: %.300s", body)
						}
						return
					}
					allowed := r.access.public || (role != "anonymous" && r.access.admits(models.Role(role)))
					usersBefore, auditBefore := countRows(t, db, "users"), countRows(t, db, "audit_entries")
					var form url.Values
					if allowed {
						// Harmless: an empty form (refused by validation) or logout.
						form = url.Values{"email": {"matrix-nobody-" + role + "@example.be"}}
					} else {
						form = url.Values{}
						for k, v := range dangerousForms[r.path] {
							form[k] = v
						}
					}
					form.Set("_csrf", tokens[role])
					resp, body := c.sendWith(r.method, path, form, nil)
					if !allowed {
						if resp.StatusCode != http.StatusForbidden {
							t.Fatalf("%s %s as %s: %d, want 403", r.method, path, role, resp.StatusCode)
						}
						if !strings.Contains(pageText(body), a.msg("fr", "ErrorForbidden")) {
							t.Errorf("403 is not the access refusal: %.300s", body)
						}
						if u, au := countRows(t, db, "users"), countRows(t, db, "audit_entries"); u != usersBefore || au != auditBefore {
							t.Errorf("refused POST changed rows: users %d→%d, audit %d→%d", usersBefore, u, auditBefore, au)
						}
						return
					}
					if _, by404 := postNotFound[r.path]; by404 && resp.StatusCode == http.StatusNotFound {
						return
					}
					if resp.StatusCode == http.StatusForbidden || resp.StatusCode >= 500 || resp.StatusCode == http.StatusOK ||
						(seeded && resp.StatusCode == http.StatusNotFound) {
						t.Errorf("%s %s as %s (allowed, valid token): %d, want a redirect or a form error %.300s", r.method, path, role, resp.StatusCode, body)
					}
				})
			}
		}
	})
}
