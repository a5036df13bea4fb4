package handlers

import (
	"errors"
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/storage"
)

// HTTPError carries a status, the message id of the text safe to show, and the internal cause.
type HTTPError struct {
	Code int
	Safe string // message id in the catalogs
	Err  error
}

func (e *HTTPError) Error() string {
	if e.Err != nil {
		return e.Safe + ": " + e.Err.Error()
	}
	return e.Safe
}

func (e *HTTPError) Unwrap() error { return e.Err }

func httpError(code int, safe string, cause error) *HTTPError {
	return &HTTPError{Code: code, Safe: safe, Err: cause}
}

var (
	errNotFound  = &HTTPError{Code: fiber.StatusNotFound, Safe: "ErrorNotFound"}
	errForbidden = &HTTPError{Code: fiber.StatusForbidden, Safe: "ErrorForbidden"}
)

// classify maps any error to a status and the message id to show.
func classify(err error) (int, string) {
	var he *HTTPError
	var fe *fiber.Error
	switch {
	case errors.As(err, &he):
		return he.Code, he.Safe
	case errors.Is(err, models.ErrNotFound), errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrInvalidKey):
		return fiber.StatusNotFound, "ErrorNotFound"
	case errors.Is(err, models.ErrUnavailable), errors.Is(err, storage.ErrUnavailable):
		return fiber.StatusServiceUnavailable, "ErrorUnavailable"
	case errors.Is(err, models.ErrConflict):
		return fiber.StatusConflict, "ErrorConflict"
	case errors.Is(err, models.ErrInvalidState):
		return fiber.StatusConflict, "ErrorInvalidState"
	case errors.As(err, &fe):
		switch fe.Code {
		case fiber.StatusNotFound:
			return fe.Code, "ErrorNotFound"
		case fiber.StatusForbidden:
			return fe.Code, "ErrorForbidden"
		case fiber.StatusRequestEntityTooLarge:
			return fe.Code, "ErrorTooLarge"
		case fiber.StatusMethodNotAllowed:
			return fe.Code, "ErrorMethodNotAllowed"
		case fiber.StatusTooManyRequests:
			return fe.Code, "ErrorTooManyRequests"
		}
		if fe.Code >= 400 && fe.Code < 500 {
			return fe.Code, "ErrorBadRequest"
		}
		return fiber.StatusInternalServerError, "ErrorInternal"
	}
	return fiber.StatusInternalServerError, "ErrorInternal"
}

// handleError is Fiber's ErrorHandler: one place that turns an error into a status and a page
// in the user's language, logging the cause but showing only safe text.
func (h *Handler) handleError(c *fiber.Ctx, err error) error {
	code, safe := classify(err)
	attrs := []any{
		slog.Int("status", code), slog.String("method", c.Method()), slog.String("route", c.Route().Path),
		slog.String("request_id", requestID(c)), slog.Any("error", err),
	}
	switch {
	case code >= 500:
		h.log.Error("request failed", attrs...)
	case code != fiber.StatusNotFound:
		h.log.Info("request refused", attrs...)
	}
	if code == fiber.StatusServiceUnavailable {
		c.Set(fiber.HeaderRetryAfter, "5")
	}
	c.Status(code)
	page := h.newPage(c, "ErrorTitle")
	page.Data = errorPageData{Code: code, Message: page.T(safe)}
	if rerr := h.render(c, code, tplError, page); rerr != nil {
		h.log.Error("render error page", slog.Any("error", rerr), slog.String("request_id", requestID(c)))
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(code).SendString(page.T(safe))
	}
	return nil
}

type errorPageData struct {
	Code    int
	Message string
}
