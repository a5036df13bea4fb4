// Package handlers is the web face of Souk Expo: the Fiber app, its one route table with each
// route's allowed roles, the middleware (sessions, CSRF, locale, limits, metrics), the error
// handler and one file per area of the portal.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/gofiber/fiber/v2/middleware/session"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/payments"
	"github.com/soukexpo/souk/static"
	"github.com/soukexpo/souk/storage"
	"github.com/soukexpo/souk/views"
	"github.com/valyala/fasthttp"
	"gorm.io/gorm"
)

// Config is the part of the program's configuration the web layer needs.
type Config struct {
	// BaseURL is the public address (https:// turns on Secure cookies and HSTS).
	BaseURL string
	// TrustedProxies are the load balancers whose X-Forwarded-For is believed.
	TrustedProxies []string
	// BodyLimit bounds a request body in bytes.
	BodyLimit int
	// SMTPURL sends the outbox's e-mails (smtp[s]://user:password@host:port); empty keeps
	// them in the outbox for organizers to read (handlers/outbox.go).
	SMTPURL string
	// MaxInFlight bounds the requests one instance works on at once (default 64); the others
	// wait their turn (handlers/middleware.go limitInFlight).
	MaxInFlight int
}

// Deps are the dependencies of the handlers, wired by cmd/souk.
type Deps struct {
	DB     *gorm.DB
	Store  storage.Store
	Logger *slog.Logger
	Config Config
	// Gateway takes the payments (Stripe or pay at the stand); nil means pay at the stand.
	Gateway payments.Gateway
}

// Handler holds every dependency of the HTTP handlers; each handler is a method on it.
type Handler struct {
	db            *gorm.DB
	store         storage.Store
	gateway       payments.Gateway
	images        *storage.ImageProcessor
	log           *slog.Logger
	tr            *translator
	tpl           *templates
	assets        *static.Assets
	sessions      *session.Store
	kv            *models.KVStore
	metrics       *metrics
	cfg           Config
	baseURL       *url.URL
	secureCookies bool
	sessionCookie string
	validate      *validator.Validate
	ready         atomic.Bool
	slots         chan struct{} // one per request being worked on (limitInFlight)
}

// New parses templates and catalogs (failing fast on any error) and builds the Handler.
func New(d Deps) (*Handler, error) {
	if d.DB == nil || d.Store == nil {
		return nil, errors.New("new handlers: database and object store are required")
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Config.BodyLimit <= 0 {
		d.Config.BodyLimit = 4 << 20
	}
	if d.Config.MaxInFlight <= 0 {
		d.Config.MaxInFlight = 64
	}
	h := &Handler{db: d.DB, store: d.Store, log: d.Logger, cfg: d.Config, metrics: newMetrics(), validate: newValidator()}
	h.slots = make(chan struct{}, d.Config.MaxInFlight)
	h.gateway = d.Gateway
	if h.gateway == nil {
		h.gateway = payments.NewStand()
	}
	if d.Config.BaseURL != "" {
		u, err := url.Parse(d.Config.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("parse base url: %w", err)
		}
		h.baseURL = u
		h.secureCookies = u.Scheme == "https"
	}
	assets, err := static.Load()
	if err != nil {
		return nil, fmt.Errorf("load static assets: %w", err)
	}
	h.assets = assets
	locales, err := fs.Sub(views.FS, "locales")
	if err != nil {
		return nil, fmt.Errorf("open catalogs: %w", err)
	}
	if h.tr, err = newTranslator(locales); err != nil {
		return nil, err
	}
	if h.tpl, err = parseTemplates(views.FS, templateFuncs(assets.URL)); err != nil {
		return nil, err
	}
	h.kv = models.NewKVStore(d.DB)
	h.images = storage.NewImageProcessor(runtime.NumCPU(), storage.DefaultImageLimits())
	// Browsers refuse __Host- cookies without Secure, so plain-http runs use a plain name.
	h.sessionCookie = "souk_session"
	if h.secureCookies {
		h.sessionCookie = "__Host-souk_session"
	}
	h.sessions = session.New(session.Config{
		Storage:        sessionStorage{h.kv},
		Expiration:     sessionIdle,
		KeyLookup:      "cookie:" + h.sessionCookie,
		CookiePath:     "/",
		CookieSecure:   h.secureCookies,
		CookieHTTPOnly: true,
		CookieSameSite: fiber.CookieSameSiteLaxMode,
	})
	h.ready.Store(true)
	return h, nil
}

// App builds the Fiber application with its middleware and the route table.
func (h *Handler) App() *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:                 "souk",
		Views:                   h.tpl,
		ErrorHandler:            h.handleError,
		BodyLimit:               h.cfg.BodyLimit,
		ReadTimeout:             30 * time.Second,
		WriteTimeout:            60 * time.Second,
		IdleTimeout:             120 * time.Second,
		Concurrency:             4096,
		DisableStartupMessage:   true,
		EnableTrustedProxyCheck: len(h.cfg.TrustedProxies) > 0,
		TrustedProxies:          h.cfg.TrustedProxies,
		ProxyHeader:             proxyHeader(h.cfg.TrustedProxies),
		ReadBufferSize:          16 << 10,
	})
	app.Use(
		requestid.New(),
		h.observe,
		h.limitInFlight,
		recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: h.logPanic}),
		h.securityHeaders,
		h.withLocale,
		h.withSession,
	)
	h.register(app)
	// Fiber fills its list of view sets lazily, unguarded, at the first Render: fill it now,
	// before any request, so the first concurrent renders cannot race on it. (The unknown
	// template name renders nothing.)
	warm := app.AcquireCtx(&fasthttp.RequestCtx{})
	_ = warm.Render("-", nil)
	app.ReleaseCtx(warm)
	return app
}

func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}

func (h *Handler) logPanic(c *fiber.Ctx, e any) {
	h.log.Error("panic", slog.Any("panic", e), slog.String("route", c.Route().Path), slog.String("request_id", requestID(c)))
}

// SetReady switches /readyz; shutdown turns it off first so the balancer stops sending traffic.
func (h *Handler) SetReady(ready bool) { h.ready.Store(ready) }

// jobsEvery is how often expired waitlist offers move on and pending e-mails are sent.
const jobsEvery = time.Minute

// RunJanitor deletes expired sessions and limiter counters until ctx ends, and every hour the
// photo objects no row points to (handlers/photos.go); every minute it also expires the booth
// offers whose deadline passed and sends the outbox (handlers/review.go, outbox.go). Every
// instance may run it: the deletes are idempotent, expiries and e-mails are claimed once.
func (h *Handler) RunJanitor(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	sweep := time.NewTicker(sweepEvery)
	defer sweep.Stop()
	// Offers and e-mails are waited for by people: checked every minute, not every sweep.
	jobs := time.NewTicker(jobsEvery)
	defer jobs.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sweep.C:
			h.sweepOrphans(ctx)
		case <-jobs.C:
			h.expireOffers(ctx, time.Now())
			h.deliverOutboxJob(ctx)
		case <-t.C:
			n, err := h.kv.DeleteExpired(ctx)
			if err != nil {
				h.log.Warn("delete expired sessions", slog.Any("error", err))
				continue
			}
			if n > 0 {
				h.log.Info("deleted expired sessions and counters", slog.Int64("rows", n))
			}
		}
	}
}
