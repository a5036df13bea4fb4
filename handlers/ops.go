package handlers

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/storage"
)

// healthz says the process is up; it touches nothing else.
func (h *Handler) healthz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString("ok")
}

// readyz says whether this instance should get traffic: not shutting down, database and
// object store answering — all within 2 s.
func (h *Handler) readyz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if !h.ready.Load() {
		return c.Status(fiber.StatusServiceUnavailable).SendString("shutting down")
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 1800*time.Millisecond)
	defer cancel()
	dbErr := make(chan error, 1)
	go func() { dbErr <- models.Ping(ctx, h.db) }()
	storeErr := h.store.Ping(ctx)
	var failed []string
	if err := <-dbErr; err != nil {
		h.log.Warn("readiness: database", "error", err)
		failed = append(failed, "database")
	}
	if storeErr != nil {
		h.log.Warn("readiness: object store", "error", storeErr)
		failed = append(failed, "object store")
	}
	if len(failed) > 0 {
		return c.Status(fiber.StatusServiceUnavailable).SendString(fmt.Sprintf("unavailable: %v", failed))
	}
	return c.SendString("ready")
}

func (h *Handler) metricsHandler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(h.metrics.registry, promhttp.HandlerOpts{}))
}

// serveStatic serves embedded files under content-hash URLs, cached for a year.
func (h *Handler) serveStatic(c *fiber.Ctx) error {
	asset, ok := h.assets.Lookup(c.Params("hash"), c.Params("*"))
	if !ok {
		return errNotFound
	}
	c.Set(fiber.HeaderContentType, asset.ContentType)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderETag, `"`+asset.Hash+`"`)
	return c.Send(asset.Data)
}

// serveMedia streams an object from the store with a long cache lifetime: keys are generated
// by the server and never reused for other bytes.
func (h *Handler) serveMedia(c *fiber.Ctx) error {
	key := c.Params("*")
	if err := storage.ValidateKey(key); err != nil {
		return errNotFound
	}
	// The body is streamed after this handler returns, when the request context is already
	// cancelled; the store bounds the read with its own timeout.
	body, info, err := h.store.Open(context.WithoutCancel(c.UserContext()), key)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return errNotFound
		}
		return fmt.Errorf("open media %s: %w", key, err)
	}
	ctype := info.ContentType
	if _, _, perr := mime.ParseMediaType(ctype); perr != nil || ctype == "" {
		ctype = fiber.MIMEOctetStream
	}
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentDisposition, "inline")
	c.Set(fiber.HeaderLastModified, info.ModTime.UTC().Format(time.RFC1123))
	c.Set(fiber.HeaderContentLength, strconv.FormatInt(info.Size, 10))
	// fasthttp closes the reader once the body is written.
	return c.SendStream(body, int(info.Size))
}
