package handlers

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
)

// access is a route's policy: public, or the roles that may use it. Deny by default: a route
// without a policy cannot be registered.
type access struct {
	public bool
	roles  []models.Role
}

var (
	anyone     = access{public: true}
	signedIn   = access{roles: models.Roles}
	organizers = access{roles: []models.Role{models.RoleOrganizer}}
)

func (a access) admits(r models.Role) bool {
	for _, x := range a.roles {
		if x == r {
			return true
		}
	}
	return false
}

// String describes the policy for route listings and tests.
func (a access) String() string {
	if a.public {
		return "public"
	}
	parts := make([]string, len(a.roles))
	for i, r := range a.roles {
		parts[i] = string(r)
	}
	return strings.Join(parts, "|")
}

// route is one line of the route table.
type route struct {
	method  string
	path    string
	access  access
	handler fiber.Handler
	// extra middleware run after the access check (rate limits).
	before []fiber.Handler
	// noCSRF exempts a POST protected by other means (the Stripe webhook's signature).
	noCSRF bool
}

// routes is the one route table of the portal.
func (h *Handler) routes() []route {
	loginLimits := []fiber.Handler{
		// Per account and address: the strict limit; per account alone: softer, so an
		// attacker cannot lock a victim out from one address; per address: against sprays.
		h.rateLimit("login-account-ip", 5, 15*time.Minute, func(c *fiber.Ctx) string { return formEmail(c) + "|" + clientIP(c) }, true),
		h.rateLimit("login-account", 20, 15*time.Minute, formEmail, true),
		h.rateLimit("login-ip", 50, 15*time.Minute, clientIP, true),
	}
	signupLimits := []fiber.Handler{h.rateLimit("signup-ip", 10, time.Hour, clientIP, false)}
	return []route{
		// Operations.
		{method: fiber.MethodGet, path: "/healthz", access: anyone, handler: h.healthz},
		{method: fiber.MethodGet, path: "/readyz", access: anyone, handler: h.readyz},
		{method: fiber.MethodGet, path: "/metrics", access: anyone, handler: h.metricsHandler()},
		{method: fiber.MethodGet, path: "/static/:hash/*", access: anyone, handler: h.serveStatic},
		{method: fiber.MethodGet, path: "/media/*", access: anyone, handler: h.serveMedia},

		// Public pages.
		{method: fiber.MethodGet, path: "/", access: anyone, handler: h.showHome},
		{method: fiber.MethodGet, path: "/products", access: anyone, handler: h.showProducts},
		{method: fiber.MethodGet, path: "/fairs", access: anyone, handler: h.showFairs},
		{method: fiber.MethodGet, path: "/fairs/:slug", access: anyone, handler: h.showFair},

		// Accounts.
		{method: fiber.MethodGet, path: "/signup", access: anyone, handler: h.showSignup},
		{method: fiber.MethodPost, path: "/signup", access: anyone, handler: h.signup, before: signupLimits},
		{method: fiber.MethodGet, path: "/login", access: anyone, handler: h.showLogin},
		{method: fiber.MethodPost, path: "/login", access: anyone, handler: h.login, before: loginLimits},
		{method: fiber.MethodPost, path: "/logout", access: anyone, handler: h.logout},
		{method: fiber.MethodGet, path: "/account", access: signedIn, handler: h.showAccount},
		{method: fiber.MethodPost, path: "/account/password", access: signedIn, handler: h.changePassword},

		// Artisan studio (routes of handlers/studio.go and handlers/photos.go).
		// studio-routes-end

		// Public catalog, shops, favourites (handlers/catalog.go) and chamber agents (handlers/chamber.go).
		// catalog-routes-end

		// Organizer back office.
		{method: fiber.MethodGet, path: "/admin", access: organizers, handler: h.showAdminHome},
		{method: fiber.MethodGet, path: "/admin/chamber-agents", access: organizers, handler: h.showChamberAgents},
		{method: fiber.MethodPost, path: "/admin/chamber-agents", access: organizers, handler: h.createChamberAgent},
	}
}

// register adds every route of the table with its access check, CSRF check and limits.
func (h *Handler) register(app *fiber.App) {
	for _, r := range h.routes() {
		chain := []fiber.Handler{requireAccess(r.access)}
		if r.method != fiber.MethodGet && r.method != fiber.MethodHead && !r.noCSRF {
			chain = append(chain, h.verifyCSRF)
		}
		chain = append(chain, r.before...)
		chain = append(chain, r.handler)
		app.Add(r.method, r.path, chain...)
	}
}
