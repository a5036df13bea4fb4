package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
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
	anyone      = access{public: true}
	signedIn    = access{roles: models.Roles}
	organizers  = access{roles: []models.Role{models.RoleOrganizer}}
	artisans    = access{roles: []models.Role{models.RoleArtisan}}
	chamberOnly = access{roles: []models.Role{models.RoleChamber}}
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
	// upload lets a POST carry a body up to the app's BodyLimit (photo uploads); every other
	// POST is refused above formBodyLimit.
	upload bool
}

// formBodyLimit bounds the body of a POST that is not an upload. Fiber's BodyLimit is global
// and sized for photo uploads.
const formBodyLimit = 1 << 20

// limitFormBody answers 413 to a form post larger than formBodyLimit.
func limitFormBody(c *fiber.Ctx) error {
	if len(c.Request().Body()) > formBodyLimit {
		return fiber.ErrRequestEntityTooLarge
	}
	return c.Next()
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
	// Placing orders holds stock: a visitor (account or browser session) may try 20 times in
	// 10 minutes; the open-orders cap bounds what stays held.
	checkoutLimits := []fiber.Handler{h.rateLimit("checkout-visitor", checkoutLimit, 10*time.Minute, h.visitorKey, false)}
	return []route{
		// Operations.
		{method: fiber.MethodGet, path: "/healthz", access: anyone, handler: h.healthz},
		{method: fiber.MethodGet, path: "/readyz", access: anyone, handler: h.readyz},
		{method: fiber.MethodGet, path: "/metrics", access: anyone, handler: h.metricsHandler()},
		{method: fiber.MethodGet, path: "/static/:hash/*", access: anyone, handler: h.serveStatic},
		{method: fiber.MethodGet, path: "/media/*", access: anyone, handler: h.serveMedia},

		// Public pages.
		{method: fiber.MethodGet, path: "/", access: anyone, handler: h.showHome},
		{method: fiber.MethodGet, path: "/products", access: anyone, handler: h.showCatalog},
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
		{method: fiber.MethodGet, path: "/studio", access: artisans, handler: h.showStudio},
		{method: fiber.MethodGet, path: "/studio/profile", access: artisans, handler: h.showStudioProfile},
		{method: fiber.MethodPost, path: "/studio/profile", access: artisans, handler: h.saveStudioProfile},
		{method: fiber.MethodPost, path: "/studio/profile/submit", access: artisans, handler: h.submitStudioProfile},
		{method: fiber.MethodPost, path: "/studio/profile/photo", access: artisans, handler: h.uploadWorkshopPhoto, upload: true, before: h.limitUploads()},
		{method: fiber.MethodGet, path: "/studio/products", access: artisans, handler: h.showStudioProducts},
		{method: fiber.MethodGet, path: "/studio/products/new", access: artisans, handler: h.showNewProduct},
		{method: fiber.MethodPost, path: "/studio/products/new", access: artisans, handler: h.createProduct},
		{method: fiber.MethodGet, path: "/studio/products/:id", access: artisans, handler: h.showEditProduct},
		{method: fiber.MethodPost, path: "/studio/products/:id", access: artisans, handler: h.updateProduct},
		{method: fiber.MethodPost, path: "/studio/products/:id/status", access: artisans, handler: h.setProductStatus},
		{method: fiber.MethodPost, path: "/studio/products/:id/photos", access: artisans, handler: h.uploadPhotos, upload: true, before: h.limitUploads()},
		{method: fiber.MethodPost, path: "/studio/products/:id/photos/order", access: artisans, handler: h.reorderPhotos},
		{method: fiber.MethodPost, path: "/studio/products/:id/photos/:photoID/delete", access: artisans, handler: h.deletePhoto},
		{method: fiber.MethodPost, path: "/studio/products/:id/photos/:photoID/cover", access: artisans, handler: h.setCoverPhoto},
		// studio-routes-end

		// Public catalog, shops, favourites (handlers/catalog.go) and chamber agents (handlers/chamber.go).
		{method: fiber.MethodGet, path: "/products/:id", access: anyone, handler: h.showProduct},
		{method: fiber.MethodPost, path: "/products/:id/favourite", access: signedIn, handler: h.addFavourite},
		{method: fiber.MethodPost, path: "/products/:id/unfavourite", access: signedIn, handler: h.removeFavourite},
		{method: fiber.MethodGet, path: "/artisans/:slug", access: anyone, handler: h.showShop},
		{method: fiber.MethodGet, path: "/account/favourites", access: signedIn, handler: h.showFavourites},
		{method: fiber.MethodGet, path: "/chamber/artisans", access: chamberOnly, handler: h.showChamberQueue},
		{method: fiber.MethodGet, path: "/chamber/artisans/:id", access: chamberOnly, handler: h.showChamberArtisan},
		{method: fiber.MethodPost, path: "/chamber/artisans/:id/review", access: chamberOnly, handler: h.reviewArtisan},
		// catalog-routes-end

		// Organizer back office.
		{method: fiber.MethodGet, path: "/admin", access: organizers, handler: h.showAdminHome},
		{method: fiber.MethodGet, path: "/admin/chamber-agents", access: organizers, handler: h.showChamberAgents},
		{method: fiber.MethodPost, path: "/admin/chamber-agents", access: organizers, handler: h.createChamberAgent},

		// Fairs, halls and stands for organizers (handlers/fairs_admin.go).
		// "new", "grid" and "import" come before the :id / :standID routes they would match.
		{method: fiber.MethodGet, path: "/admin/fairs", access: organizers, handler: h.showAdminFairs},
		{method: fiber.MethodGet, path: "/admin/fairs/new", access: organizers, handler: h.showNewFair},
		{method: fiber.MethodPost, path: "/admin/fairs/new", access: organizers, handler: h.createFair},
		{method: fiber.MethodGet, path: "/admin/fairs/:id", access: organizers, handler: h.showAdminFair},
		{method: fiber.MethodPost, path: "/admin/fairs/:id", access: organizers, handler: h.updateFair},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/status", access: organizers, handler: h.setFairStatus},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/halls", access: organizers, handler: h.createHall},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/halls/:hallID", access: organizers, handler: h.updateHall},
		{method: fiber.MethodGet, path: "/admin/fairs/:id/stands/grid", access: organizers, handler: h.showStandGrid},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/stands/grid", access: organizers, handler: h.createStandGrid},
		{method: fiber.MethodGet, path: "/admin/fairs/:id/stands/import", access: organizers, handler: h.showStandImport},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/stands/import", access: organizers, handler: h.previewStandImport, upload: true},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/stands/import/confirm", access: organizers, handler: h.confirmStandImport, upload: true},
		{method: fiber.MethodGet, path: "/admin/fairs/:id/stands.csv", access: organizers, handler: h.exportStands},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/stands", access: organizers, handler: h.createStand},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/stands/:standID", access: organizers, handler: h.updateStand},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/stands/:standID/status", access: organizers, handler: h.setStandStatus},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/stands/:standID/delete", access: organizers, handler: h.deleteStand},
		// fairs-admin-routes-end

		// Floor plans, stand pages and signs (handlers/plan.go).
		{method: fiber.MethodGet, path: "/fairs/:slug/plan", access: anyone, handler: h.showFairPlan},
		{method: fiber.MethodGet, path: "/fairs/:slug/stands/:code", access: anyone, handler: h.showStand},
		{method: fiber.MethodGet, path: "/fairs/:slug/stands/:code/sign", access: anyone, handler: h.showStandSign},
		// plan-routes-end

		// Booth applications: artisans and chamber agents (handlers/applications.go).
		{method: fiber.MethodGet, path: "/studio/applications", access: artisans, handler: h.showStudioApplications},
		{method: fiber.MethodGet, path: "/studio/applications/new", access: artisans, handler: h.showNewApplication},
		{method: fiber.MethodPost, path: "/studio/applications/new", access: artisans, handler: h.createApplication},
		{method: fiber.MethodGet, path: "/studio/applications/:id", access: artisans, handler: h.showStudioApplication},
		{method: fiber.MethodPost, path: "/studio/applications/:id", access: artisans, handler: h.updateStudioApplication},
		{method: fiber.MethodPost, path: "/studio/applications/:id/withdraw", access: artisans, handler: h.withdrawStudioApplication},
		{method: fiber.MethodPost, path: "/studio/applications/:id/accept-offer", access: artisans, handler: h.acceptApplicationOffer},
		{method: fiber.MethodPost, path: "/studio/applications/:id/decline-offer", access: artisans, handler: h.declineApplicationOffer},
		{method: fiber.MethodGet, path: "/chamber/applications", access: chamberOnly, handler: h.showChamberApplications},
		{method: fiber.MethodGet, path: "/chamber/applications/:id", access: chamberOnly, handler: h.showChamberApplication},
		{method: fiber.MethodPost, path: "/chamber/applications/:id/review", access: chamberOnly, handler: h.reviewChamberApplication},
		// applications-routes-end

		// Booth applications: organizers' review, quotas, waitlist, outbox, exports (handlers/review.go).
		{method: fiber.MethodGet, path: "/admin/fairs/:id/applications", access: organizers, handler: h.showReviewList},
		{method: fiber.MethodGet, path: "/admin/fairs/:id/applications.csv", access: organizers, handler: h.exportApplications},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/applications/bulk", access: organizers, handler: h.bulkDecide},
		{method: fiber.MethodGet, path: "/admin/fairs/:id/applications/:appID", access: organizers, handler: h.showReviewApplication},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/applications/:appID/decision", access: organizers, handler: h.decideApplication},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/applications/:appID/fee-covered", access: organizers, handler: h.setFeeCovered},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/applications/:appID/fee-paid", access: organizers, handler: h.markFeePaid},
		{method: fiber.MethodGet, path: "/admin/fairs/:id/quotas", access: organizers, handler: h.showQuotas},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/quotas", access: organizers, handler: h.saveQuotas},
		{method: fiber.MethodGet, path: "/admin/fairs/:id/waitlist", access: organizers, handler: h.showWaitlist},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/waitlist/:appID/move", access: organizers, handler: h.moveWaitlistEntry},
		{method: fiber.MethodGet, path: "/admin/outbox", access: organizers, handler: h.showOutbox},
		// review-routes-end

		// Stand assignment and auto-allocation (handlers/allocation.go).
		{method: fiber.MethodGet, path: "/admin/fairs/:id/allocation", access: organizers, handler: h.showAllocation},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/allocation/assign", access: organizers, handler: h.assignStand},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/allocation/unassign", access: organizers, handler: h.unassignStand},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/allocation/propose", access: organizers, handler: h.proposeAllocation},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/allocation/apply", access: organizers, handler: h.applyAllocation},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/allocation/discard", access: organizers, handler: h.discardAllocation},
		// allocation-routes-end

		// Cart, checkout, orders and shipping rates (handlers/cart.go, checkout.go, orders.go).
		{method: fiber.MethodGet, path: "/cart", access: anyone, handler: h.showCart},
		{method: fiber.MethodPost, path: "/cart/add", access: anyone, handler: h.addToCart},
		{method: fiber.MethodPost, path: "/cart/update", access: anyone, handler: h.updateCart},
		{method: fiber.MethodPost, path: "/cart/remove", access: anyone, handler: h.removeFromCart},
		{method: fiber.MethodGet, path: "/checkout", access: anyone, handler: h.showCheckout},
		{method: fiber.MethodPost, path: "/checkout", access: anyone, handler: h.placeOrder, before: checkoutLimits},
		{method: fiber.MethodGet, path: "/checkout/success", access: anyone, handler: h.showCheckoutSuccess},
		{method: fiber.MethodGet, path: "/orders/:code", access: anyone, handler: h.showOrder},
		{method: fiber.MethodPost, path: "/orders/:code/cancel", access: anyone, handler: h.cancelOrder},
		{method: fiber.MethodPost, path: "/orders/:code/pay", access: anyone, handler: h.resumePayment, before: checkoutLimits},
		{method: fiber.MethodGet, path: "/admin/shipping", access: organizers, handler: h.showShipping},
		{method: fiber.MethodPost, path: "/admin/shipping", access: organizers, handler: h.saveShipping},
		// cart-routes-end

		// Payment webhooks, refunds and booth fees (handlers/payments.go).
		{method: fiber.MethodPost, path: "/webhooks/stripe", access: anyone, handler: h.stripeWebhook, noCSRF: true},
		{method: fiber.MethodPost, path: "/admin/orders/:code/refund", access: organizers, handler: h.refundOrder},
		{method: fiber.MethodPost, path: "/studio/applications/:id/pay-fee", access: artisans, handler: h.payBoothFee},
		// payments-routes-end

		// Artisans' orders, packing lists, pickups; organizers' orders and settlement (handlers/fulfilment.go).
		{method: fiber.MethodGet, path: "/studio/orders", access: artisans, handler: h.showStudioOrders},
		{method: fiber.MethodGet, path: "/studio/orders/packing", access: artisans, handler: h.showPackingList},
		{method: fiber.MethodPost, path: "/studio/orders/parts/:id/ready", access: artisans, handler: h.markPartReady},
		{method: fiber.MethodPost, path: "/studio/orders/parts/:id/shipped", access: artisans, handler: h.markPartShipped},
		{method: fiber.MethodPost, path: "/studio/orders/parts/:id/delivered", access: artisans, handler: h.markPartDelivered},
		{method: fiber.MethodGet, path: "/studio/pickup", access: artisans, handler: h.showPickup},
		{method: fiber.MethodPost, path: "/studio/pickup", access: artisans, handler: h.handOver},
		{method: fiber.MethodGet, path: "/studio/stand-sales", access: artisans, handler: h.showStandSales},
		{method: fiber.MethodPost, path: "/studio/stand-sales", access: artisans, handler: h.recordStandSale},
		// "orders.csv" comes before "orders/:code".
		{method: fiber.MethodGet, path: "/admin/orders", access: organizers, handler: h.showAdminOrders},
		{method: fiber.MethodGet, path: "/admin/orders.csv", access: organizers, handler: h.exportOrders},
		{method: fiber.MethodGet, path: "/admin/orders/:code", access: organizers, handler: h.showAdminOrder},
		{method: fiber.MethodGet, path: "/admin/fairs/:id/settlement", access: organizers, handler: h.showSettlement},
		{method: fiber.MethodGet, path: "/admin/fairs/:id/settlement.csv", access: organizers, handler: h.exportSettlement},
		{method: fiber.MethodPost, path: "/admin/fairs/:id/settlement/commission", access: organizers, handler: h.setCommission},
		// fulfilment-routes-end
	}
}

// register adds every route of the table with its access check, CSRF check and limits.
func (h *Handler) register(app *fiber.App) {
	for _, r := range h.routes() {
		chain := []fiber.Handler{requireAccess(r.access)}
		if r.method != fiber.MethodGet && r.method != fiber.MethodHead && !r.upload {
			chain = append([]fiber.Handler{limitFormBody}, chain...)
		}
		if r.method != fiber.MethodGet && r.method != fiber.MethodHead && !r.noCSRF {
			chain = append(chain, h.verifyCSRF)
		}
		chain = append(chain, r.before...)
		chain = append(chain, r.handler)
		if r.method == fiber.MethodGet {
			app.Get(r.path, chain...) // also answers HEAD, for monitors and balancers
			continue
		}
		app.Add(r.method, r.path, chain...)
	}
}

// checkoutLimit is the number of order attempts per visitor in 10 minutes (a variable so a
// test can lower it).
var checkoutLimit = 20

// visitorKey identifies the visitor for limits: the account, or a digest of the browser's
// session (never the session id itself: it is a credential); "" (not counted) without either.
func (h *Handler) visitorKey(c *fiber.Ctx) string {
	if u := currentUser(c); u != nil {
		return "user:" + strconv.FormatInt(u.ID, 10)
	}
	if sid := c.Cookies(h.sessionCookie); sid != "" {
		sum := sha256.Sum256([]byte(sid))
		return "session:" + hex.EncodeToString(sum[:12])
	}
	return ""
}
