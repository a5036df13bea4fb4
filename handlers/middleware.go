package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/soukexpo/souk/models"
)

// Request deadlines (database and object store calls use c.UserContext(), never the fasthttp
// context that shutdown cancels). Pages must answer — with a 503 if need be — within 2 s even
// when the database hangs; form posts (password hashing, uploads) get longer.
const (
	pageTimeout    = 1800 * time.Millisecond
	requestTimeout = 15 * time.Second
)

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(requestid.ConfigDefault.ContextKey).(string)
	return id
}

// observe is the outermost middleware: request deadline, one log line and the metrics of every
// request, with errors that escaped the inner chain rendered here.
func (h *Handler) observe(c *fiber.Ctx) error {
	start := time.Now()
	timeout := requestTimeout
	if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
		timeout = pageTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c.SetUserContext(ctx)

	err := c.Next()
	if err != nil {
		if herr := h.handleError(c, err); herr != nil {
			h.log.Error("error handler failed", slog.Any("error", herr), slog.String("request_id", requestID(c)))
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	route := c.Route().Path
	if route == "/" && c.Path() != "/" {
		// No route matched, or the request failed before routing: one bounded label.
		route = "(unmatched)"
	}
	elapsed := time.Since(start)
	h.metrics.observe(c.Method(), route, status, elapsed)
	if !strings.HasPrefix(route, "/static/") && route != "/healthz" && route != "/metrics" {
		attrs := []any{
			slog.String("request_id", requestID(c)), slog.String("method", c.Method()), slog.String("route", route),
			slog.Int("status", status), slog.Duration("latency", elapsed),
		}
		if u := currentUser(c); u != nil {
			attrs = append(attrs, slog.Int64("user_id", u.ID))
		}
		h.log.Info("request", attrs...)
	}
	return nil
}

// securityHeaders sets the browser hardening headers on every response.
func (h *Handler) securityHeaders(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "+
		"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderReferrerPolicy, "strict-origin-when-cross-origin")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	c.Set("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
	if h.secureCookies {
		c.Set(fiber.HeaderStrictTransportSecurity, "max-age=31536000; includeSubDomains")
	}
	return c.Next()
}

// withLocale picks the language of the request.
func (h *Handler) withLocale(c *fiber.Ctx) error {
	c.Locals(localsLang, h.tr.pickLanguage(c, h.secureCookies))
	c.Vary(fiber.HeaderAcceptLanguage, fiber.HeaderCookie)
	return c.Next()
}

// requireAccess lets a request through only if the route's policy admits the user: visitors
// who are not signed in are sent to the login page (GET) or refused (other methods); signed-in
// users without the role get 403.
func requireAccess(a access) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if a.public {
			return c.Next()
		}
		u := currentUser(c)
		if u == nil {
			if c.Method() == fiber.MethodGet {
				return c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
			}
			return errForbidden
		}
		if a.admits(u.Role) {
			return c.Next()
		}
		return errForbidden
	}
}

// errRateLimited is the cause of a 429 from rateLimit, so a route can answer it its own way
// (upload.js reads JSON: handlers/photos.go).
var errRateLimited = errors.New("rate limit reached")

// rateLimit builds a limiter whose counters live in the shared database, so the limit holds
// across instances. A request whose key is "" is not counted (an empty e-mail never signs in;
// it must not share one counter with every other empty key).
func (h *Handler) rateLimit(name string, maxHits int, window time.Duration, key func(c *fiber.Ctx) string, skipSuccess bool) fiber.Handler {
	return limiter.New(limiter.Config{
		Next:       func(c *fiber.Ctx) bool { return key(c) == "" },
		Max:        maxHits,
		Expiration: window,
		Storage:    h.kv,
		KeyGenerator: func(c *fiber.Ctx) string {
			return "limit:" + name + ":" + key(c)
		},
		LimiterMiddleware:      limiter.SlidingWindow{},
		SkipSuccessfulRequests: skipSuccess,
		LimitReached: func(c *fiber.Ctx) error {
			return httpError(fiber.StatusTooManyRequests, "ErrorTooManyRequests", fmt.Errorf("%w: %s", errRateLimited, name))
		},
	})
}

// clientIP is the address limits are keyed on: the peer, or, when the peer is a trusted proxy,
// the last X-Forwarded-For entry that is not itself a trusted proxy. Entries to the left of it
// were written by the client (c.IP() would return the whole header, so a client could reset its
// counters by prepending made-up addresses).
func clientIP(c *fiber.Ctx) string {
	cfg := c.App().Config()
	if !cfg.EnableTrustedProxyCheck || cfg.ProxyHeader == "" || !c.IsProxyTrusted() {
		return c.Context().RemoteIP().String()
	}
	hops := strings.Split(c.Get(cfg.ProxyHeader), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop != "" && !trustedProxy(hop, cfg.TrustedProxies) {
			return utils.CopyString(hop)
		}
	}
	return c.Context().RemoteIP().String()
}

// trustedProxy tells whether ip is one of the trusted proxies (addresses or CIDR ranges).
func trustedProxy(ip string, trusted []string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, t := range trusted {
		if p, err := netip.ParsePrefix(t); err == nil {
			if p.Contains(addr) {
				return true
			}
		} else if a, err := netip.ParseAddr(t); err == nil && a == addr {
			return true
		}
	}
	return false
}

func formEmail(c *fiber.Ctx) string {
	return models.NormalizeEmail(utils.CopyString(c.FormValue("email")))
}

// inFlightWait is how long a request waits for its turn before the instance answers 503.
const inFlightWait = 30 * time.Second

// limitInFlight lets at most Config.MaxInFlight requests work at once; the others wait their
// turn, in order of arrival, rather than all asking the database pool at the same moment (a
// burst of checkouts would otherwise overrun the 1.5 s session read). Probes and static files
// never wait.
func (h *Handler) limitInFlight(c *fiber.Ctx) error {
	if p := c.Path(); p == "/healthz" || p == "/readyz" || p == "/metrics" || strings.HasPrefix(p, "/static/") {
		return c.Next()
	}
	select {
	case h.slots <- struct{}{}:
	default:
		wait := time.NewTimer(inFlightWait)
		defer wait.Stop()
		select {
		case h.slots <- struct{}{}:
		case <-wait.C:
			return httpError(fiber.StatusServiceUnavailable, "ErrorUnavailable", errors.New("no free slot for the request"))
		case <-c.Context().Done():
			return httpError(fiber.StatusServiceUnavailable, "ErrorUnavailable", errors.New("request gone while waiting"))
		}
	}
	defer func() { <-h.slots }()
	return c.Next()
}
