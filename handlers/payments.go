package handlers

// Payments: the Stripe webhook, organizers' refunds, artisans paying their booth fee online,
// and the periodic reconciliation job. Orders are paid only by verified events (or the
// reconciliation, which re-reads the session from Stripe) through models.ApplyCheckoutEvent.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/payments"
)

// webhookBodyLimit bounds a Stripe event; real ones are a few KiB.
const webhookBodyLimit = 256 << 10

// stripeWebhook verifies and applies one Stripe event. Answers: 2xx once stored (or a
// duplicate, or an event about nothing of ours); 400 for a bad signature or body (nothing
// changes); 500 with an alert for an API version mismatch, and 503 when the event could not be
// applied (database down),
// so Stripe retries; 404 when card payments are not configured.
func (h *Handler) stripeWebhook(c *fiber.Ctx) error {
	raw := c.BodyRaw()
	if len(raw) > webhookBodyLimit {
		return c.Status(fiber.StatusRequestEntityTooLarge).SendString("payload too large")
	}
	// Fiber reuses its buffers after the handler returns: copy what we keep.
	payload := bytes.Clone(raw)
	sig := utils.CopyString(c.Get("Stripe-Signature"))
	ev, err := h.gateway.ParseWebhook(payload, sig)
	switch {
	case errors.Is(err, payments.ErrNotSupported):
		return c.Status(fiber.StatusNotFound).SendString("card payments are not configured")
	case errors.Is(err, payments.ErrAPIVersionMismatch):
		h.metrics.webhookVersionMismatch.Inc()
		h.log.Error("stripe webhook refused: API version mismatch; recreate the endpoint with the pinned version",
			slog.Any("error", err), slog.String("request_id", requestID(c)))
		return c.Status(fiber.StatusInternalServerError).SendString("api version mismatch")
	case err != nil:
		h.log.Info("stripe webhook refused", slog.Any("error", err), slog.String("request_id", requestID(c)))
		return c.Status(fiber.StatusBadRequest).SendString("invalid webhook")
	}
	applied, err := models.ApplyCheckoutEvent(c.UserContext(), h.db, ev, time.Now().UTC())
	if err != nil {
		h.log.Error("stripe webhook not applied; Stripe will retry", slog.String("event", ev.ID), slog.String("type", ev.Type),
			slog.Any("error", err), slog.String("request_id", requestID(c)))
		// Nothing was stored (one transaction): a 5xx makes Stripe deliver it again.
		return c.Status(fiber.StatusServiceUnavailable).SendString("try again later")
	}
	h.log.Info("stripe webhook", slog.String("event", ev.ID), slog.String("type", ev.Type), slog.Bool("applied", applied))
	return c.JSON(fiber.Map{"received": true})
}

// adminOrderPath is the organizer's page of an order (handlers of the fulfilment area).
func adminOrderPath(code string) string { return "/admin/orders/" + code }

// refundOrder gives money back for a line (form field line_id) or the whole order, with a
// reason; the amount is always computed from the database. Organizers only.
func (h *Handler) refundOrder(c *fiber.Ctx) error {
	code := models.NormalizeCode(c.Params("code"))
	if code == "" {
		return errNotFound
	}
	var lineID *int64
	if raw := strings.TrimSpace(c.FormValue("line_id")); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			return errNotFound
		}
		lineID = &id
	}
	reason := utils.CopyString(c.FormValue("reason"))
	ws := webSessionOf(c)
	r, err := models.RefundOrder(c.UserContext(), h.db, h.gateway, *currentUser(c), code, lineID, reason, time.Now().UTC())
	var ve *models.ValidationError
	switch {
	case err == nil:
		ws.addFlashArgs("success", "FlashOrderRefunded", "Amount", formatEuros(localsLanguage(c), r.AmountCents))
	case errors.As(err, &ve):
		for _, msg := range ve.Fields {
			ws.addFlash("error", msg)
		}
	case errors.Is(err, models.ErrNotFound):
		return fmt.Errorf("refund order %s: %w", code, err)
	case errors.Is(err, models.ErrInvalidState):
		ws.addFlash("error", "FlashRefundNothingLeft")
	case errors.Is(err, payments.ErrUnavailable):
		h.log.Warn("refund: Stripe unavailable", slog.String("order", code), slog.Any("error", err))
		ws.addFlash("error", "FlashRefundUnavailable")
	case errors.Is(err, payments.ErrInvalid), errors.Is(err, payments.ErrCard), errors.Is(err, payments.ErrConflict),
		errors.Is(err, payments.ErrNotFound):
		h.log.Warn("refund refused by Stripe", slog.String("order", code), slog.Any("error", err))
		ws.addFlash("error", "FlashRefundRefused")
	default:
		return fmt.Errorf("refund order %s: %w", code, err)
	}
	return c.Redirect(adminOrderPath(code), fiber.StatusSeeOther)
}

// payBoothFee sends the artisan to a Checkout Session for their own booth fee. At the stand
// (no card payments) the fee is paid to the organizers directly: a message says so.
func (h *Handler) payBoothFee(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	user := currentUser(c)
	ws := webSessionOf(c)
	if _, err := models.GetArtisanApplication(ctx, h.db, user.ID, id); err != nil {
		return fmt.Errorf("pay fee: %w", err)
	}
	if h.gateway.Name() != payments.NameStripe {
		ws.addFlash("info", "FlashFeePayOrganizers")
		return c.Redirect(applicationPath(id), fiber.StatusSeeOther)
	}
	now := time.Now().UTC()
	d, prev, attempt, err := models.StartFeeCheckout(ctx, h.db, user.ID, id, now)
	switch {
	case errors.Is(err, models.ErrInvalidState), errors.Is(err, models.ErrConflict):
		ws.addFlash("error", "FlashFeeNotDue")
		return c.Redirect(applicationPath(id), fiber.StatusSeeOther)
	case err != nil:
		return err
	}
	// The previous attempt may have been paid (webhook not yet here) or still be open: never
	// let the artisan pay twice.
	if prev != "" {
		st, gerr := h.gateway.GetSession(ctx, prev)
		switch {
		case gerr == nil && st.PaymentStatus == payments.PaymentPaid:
			ev := payments.Event{ID: "reconcile:" + prev + ":paid", Type: payments.EventCheckoutCompleted, Session: &st}
			if _, err := models.ApplyCheckoutEvent(ctx, h.db, ev, now); err != nil {
				return fmt.Errorf("pay fee: %w", err)
			}
			ws.addFlash("success", "FlashFeePaidOnline")
			return c.Redirect(applicationPath(id), fiber.StatusSeeOther)
		case gerr == nil && st.Status == payments.StatusOpen:
			if err := h.gateway.ExpireSession(ctx, prev); err != nil && !errors.Is(err, payments.ErrInvalid) {
				return httpError(fiber.StatusServiceUnavailable, "FeePaymentUnavailable", err)
			}
		case gerr != nil && errors.Is(gerr, payments.ErrUnavailable):
			return httpError(fiber.StatusServiceUnavailable, "FeePaymentUnavailable", gerr)
		}
	}
	page := &Page{Lang: localsLanguage(c), tr: h.tr}
	back := h.absURL(applicationPath(id))
	co, err := h.gateway.CreateCheckout(ctx, payments.CheckoutRequest{
		Reference: models.FeeReference(id), Attempt: attempt, Currency: "eur", CustomerEmail: user.Email,
		Lines:      []payments.Line{{Name: page.T("FeeCheckoutLine", "Fair", d.Fair.Name, "Stand", d.StandCode), UnitAmount: d.FeeCents, Quantity: 1}},
		SuccessURL: back + "?fee=paid", CancelURL: back, ExpiresAt: now.Add(time.Hour), Locale: page.Lang,
		Metadata: map[string]string{"kind": models.FeeCheckoutKind, "application": strconv.FormatInt(id, 10)},
	})
	if err != nil {
		if errors.Is(err, payments.ErrUnavailable) {
			return httpError(fiber.StatusServiceUnavailable, "FeePaymentUnavailable", err)
		}
		return httpError(fiber.StatusBadGateway, "FeePaymentUnavailable", err)
	}
	if err := models.SetFeeCheckoutSession(ctx, h.db, id, attempt, co.SessionID, now); err != nil {
		ws.addFlash("error", "FlashFeeNotDue")
		return c.Redirect(applicationPath(id), fiber.StatusSeeOther)
	}
	return c.Redirect(co.URL, fiber.StatusSeeOther)
}

// Periodic payment work, run once across instances by models.Jobs.
const (
	reconcileEvery     = 5 * time.Minute
	reconcileOlderThan = 15 * time.Minute
)

// reservationsEvery is how often lapsed pay-at-the-stand reservations are looked for.
const reservationsEvery = time.Hour

// PeriodicTasks is the background work of the orders: reconciliation of pending Stripe
// orders (it also expires the holds of checkouts Stripe reports expired or never opened), and
// the release of pay-at-the-stand reservations nobody collected before their fair ended.
func (h *Handler) PeriodicTasks() []models.PeriodicTask {
	return []models.PeriodicTask{{
		Name: "release_lapsed_reservations", Every: reservationsEvery,
		Run: func(ctx context.Context) error {
			rep, err := models.ReleaseLapsedReservations(ctx, h.db, time.Now().UTC())
			if rep.Expired+rep.Completed > 0 {
				h.log.Info("uncollected reservations released", slog.Int("expired", rep.Expired), slog.Int("completed", rep.Completed))
			}
			return err
		},
	}, {
		Name: "reconcile_payments", Every: reconcileEvery,
		Run: func(ctx context.Context) error {
			rep, err := models.Reconcile(ctx, h.db, h.gateway, reconcileOlderThan, time.Now().UTC())
			if rep.Applied > 0 {
				h.log.Info("payments reconciled", slog.Int("checked", rep.Checked), slog.Int("applied", rep.Applied))
			}
			return err
		},
	}}
}

// addPaymentNoticeData adds what the payment e-mails (order_paid, order_refunded) show: the
// refunded amount, whether the refund is full, and a signed link to the order's page.
func (h *Handler) addPaymentNoticeData(ctx context.Context, lang string, p map[string]string, data map[string]any) {
	if p["code"] == "" {
		return
	}
	if cents, err := strconv.ParseInt(p["amount_cents"], 10, 64); err == nil {
		data["Amount"] = formatEuros(lang, cents)
	}
	data["Full"] = p["full"] == "true"
	if p["link"] == "" {
		data["URL"] = h.absURL(h.orderLink(ctx, p["code"], true))
	}
}
