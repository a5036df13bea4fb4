package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/payments"
	"gorm.io/gorm/clause"
)

// orderLinkKeyName is the key/value row holding the secret that signs guests' order links.
// It is drawn once by whichever instance needs it first (INSERT … ON CONFLICT DO NOTHING) and
// then read by every instance, so a link signed by one instance opens on all of them and
// survives restarts, without one more setting to configure.
const orderLinkKeyName = "secret:order-links"

// orderLinkKey returns the shared signing key, creating it on first use.
func (h *Handler) orderLinkKey(ctx context.Context) ([]byte, error) {
	var rows []models.KVEntry
	if err := h.db.WithContext(ctx).Where("key = ?", orderLinkKeyName).Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read order link key: %w", err)
	}
	if len(rows) == 1 && len(rows[0].Value) >= 32 {
		return rows[0].Value, nil
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("draw order link key: %w", err)
	}
	if err := h.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&models.KVEntry{Key: orderLinkKeyName, Value: fresh}).Error; err != nil {
		return nil, fmt.Errorf("store order link key: %w", err)
	}
	// Another instance may have won the insert: read the stored key back.
	if err := h.db.WithContext(ctx).Where("key = ?", orderLinkKeyName).Limit(1).Find(&rows).Error; err != nil || len(rows) != 1 {
		return nil, fmt.Errorf("read order link key: %w", errors.Join(err, models.ErrNotFound))
	}
	return rows[0].Value, nil
}

// orderToken signs an order code: HMAC-SHA256 with the shared key, base64url.
func (h *Handler) orderToken(ctx context.Context, code string) string {
	key, err := h.orderLinkKey(ctx)
	if err != nil {
		h.log.Warn("order link key", "error", err)
		return ""
	}
	return signOrderCode(key, code)
}

// signOrderCode is the token of a guest's order link.
func signOrderCode(key []byte, code string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("order:" + code))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validOrderToken checks a guest link's token in constant time.
func (h *Handler) validOrderToken(ctx context.Context, code, token string) bool {
	if token == "" {
		return false
	}
	want := h.orderToken(ctx, code)
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(token)) == 1
}

// orderLink is the path of an order's page; signed (?t=) when the buyer may be a guest.
func (h *Handler) orderLink(ctx context.Context, code string, signed bool) string {
	p := "/orders/" + url.PathEscape(code)
	if signed {
		p += "?t=" + url.QueryEscape(h.orderToken(ctx, code))
	}
	return p
}

// visibleOrder loads an order the visitor may see: their own (signed in), or any order whose
// signed token they hold. Everything else is the same 404 as an unknown code.
func (h *Handler) visibleOrder(c *fiber.Ctx, code, token string) (models.OrderView, error) {
	ctx := c.UserContext()
	if h.validOrderToken(ctx, code, token) {
		return models.GetOrderByCode(ctx, h.db, code, 0)
	}
	if u := currentUser(c); u != nil {
		return models.GetOrderByCode(ctx, h.db, code, u.ID)
	}
	return models.OrderView{}, errNotFound
}

// orderPart is a part of the order page with its pickup QR code.
type orderPart struct {
	models.OrderPartView
	QR *qrCode
}

type orderData struct {
	View   models.OrderView
	Parts  []orderPart
	Token  string
	Cancel bool // the buyer may still cancel
	Resume bool // the card payment can be taken up again
	// ResumeMinutes is how long the payment page stays open.
	ResumeMinutes int
}

func (h *Handler) showOrder(c *fiber.Ctx) error {
	code := models.NormalizeCode(c.Params("code"))
	token := c.Query("t")
	v, err := h.visibleOrder(c, code, token)
	if err != nil {
		return err
	}
	page := h.newPage(c, "OrderTitle")
	page.Title = page.T("OrderTitleCode", "Code", v.Order.Code)
	d := orderData{View: v, Token: token, Cancel: v.Order.Status == models.OrderPendingPayment,
		Resume: v.Order.CanResumePayment(time.Now().UTC())}
	if d.Resume {
		d.ResumeMinutes = int(time.Until(*v.Order.CheckoutExpiresAt).Minutes())
	}
	for _, p := range v.Parts {
		op := orderPart{OrderPartView: p}
		live := p.Part.Status != models.PartCancelled && p.Part.Status != models.PartRefunded &&
			p.Part.Status != models.PartPickedUp
		// A card order's code is shown once it is paid: before that the artisan would refuse it.
		handable := v.Order.Gateway == payments.NameStand || v.Order.PaidAt != nil
		if p.Part.Fulfilment == models.FulfilPickup && live && handable && v.Order.Status != models.OrderCancelled &&
			v.Order.Status != models.OrderExpired {
			qr, err := newQRCode(h.absURL("/studio/pickup?code=" + url.QueryEscape(p.Part.PickupCode)))
			if err != nil {
				return err
			}
			op.QR = &qr
		}
		d.Parts = append(d.Parts, op)
	}
	page.Data = d
	page.Form = newForm()
	if page.CSRF == "" && d.Cancel {
		page.CSRF = ensureWebSession(c, h).csrfToken()
	}
	return h.render(c, fiber.StatusOK, tplOrder, page)
}

// resumePayment takes a buyer back to the card payment of their pending order (they left the
// Stripe page, or come back from the e-mail). Two clicks, even on two instances, open one
// session: the request and its idempotency key are those of the order's attempt.
func (h *Handler) resumePayment(c *fiber.Ctx) error {
	code := models.NormalizeCode(c.Params("code"))
	token := bodyField(c, "t")
	v, err := h.visibleOrder(c, code, token)
	if err != nil {
		return err
	}
	guest := v.Order.UserID == nil // as when the order was placed: the same request again
	if !v.Order.CanResumePayment(time.Now().UTC()) {
		ensureWebSession(c, h).addFlash("error", "FlashPaymentNotResumable")
		back := "/orders/" + url.PathEscape(code)
		if token != "" {
			back += "?t=" + url.QueryEscape(token)
		}
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	return h.startPayment(c, v.Order, guest)
}

func (h *Handler) cancelOrder(c *fiber.Ctx) error {
	code := models.NormalizeCode(c.Params("code"))
	token := bodyField(c, "t")
	v, err := h.visibleOrder(c, code, token)
	if err != nil {
		return err
	}
	back := "/orders/" + url.PathEscape(code)
	if token != "" {
		back += "?t=" + url.QueryEscape(token)
	}
	if bodyField(c, "confirm") != "yes" {
		ensureWebSession(c, h).addFlash("error", "FlashOrderCancelConfirm")
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	ctx := c.UserContext()
	now := time.Now().UTC()
	if u := currentUser(c); u != nil && v.Order.UserID != nil && *v.Order.UserID == u.ID {
		_, err = models.CancelOrder(ctx, h.db, v.Order.ID, u.ID, now)
	} else {
		_, err = models.CancelGuestOrder(ctx, h.db, v.Order.Code, now)
	}
	if errors.Is(err, models.ErrInvalidState) {
		ensureWebSession(c, h).addFlash("error", "FlashOrderNotCancellable")
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	if err != nil {
		return fmt.Errorf("cancel order: %w", err)
	}
	if v.Order.CheckoutSessionID != nil && v.Order.Gateway != "stand" {
		// The session must not be paid any more; if Stripe is down, the session expires on its
		// own and the expiry webhook finds the order already cancelled.
		if err := h.gateway.ExpireSession(ctx, *v.Order.CheckoutSessionID); err != nil {
			h.log.Warn("expire checkout session of cancelled order", "order", code, "error", err, "request_id", requestID(c))
		}
	}
	ensureWebSession(c, h).addFlash("success", "FlashOrderCancelled")
	return c.Redirect(back, fiber.StatusSeeOther)
}

// addOrderNoticeData adds the order e-mails' keys to renderNotice's template data.
func (h *Handler) addOrderNoticeData(lang string, p map[string]string, data map[string]any) {
	if p["code"] == "" {
		return
	}
	data["Code"] = p["code"]
	if data["Artisan"] == "" || data["Artisan"] == nil {
		data["Artisan"] = p["name"] // the greeting's name: here the buyer
	}
	if cents, err := strconv.ParseInt(p["total_cents"], 10, 64); err == nil {
		data["Total"] = formatEuros(lang, cents)
	}
	if p["link"] != "" {
		data["URL"] = h.absURL(p["link"])
	}
	data["Gateway"] = p["gateway"]
	data["Partly"] = p["partly"] == "true"
}

// Message ids of the order and part states, listed so the catalogs test sees every one.
var (
	orderStatusLabels = map[models.OrderStatus]string{
		models.OrderPendingPayment: "OrderStatus_pending_payment", models.OrderPaid: "OrderStatus_paid",
		models.OrderCompleted: "OrderStatus_completed", models.OrderCancelled: "OrderStatus_cancelled",
		models.OrderExpired: "OrderStatus_expired", models.OrderRefunded: "OrderStatus_refunded",
		models.OrderNeedsReview: "OrderStatus_needs_review",
	}
	partStatusLabels = map[models.PartStatus]string{
		models.PartPending: "PartStatus_pending", models.PartToPrepare: "PartStatus_to_prepare", models.PartReady: "PartStatus_ready",
		models.PartShipped: "PartStatus_shipped", models.PartPickedUp: "PartStatus_picked_up", models.PartDelivered: "PartStatus_delivered",
		models.PartCancelled: "PartStatus_cancelled", models.PartRefunded: "PartStatus_refunded",
	}
)

// OrderStatusLabel names an order's state in the page's language.
func (p *Page) OrderStatusLabel(s models.OrderStatus) string { return p.T(orderStatusLabels[s]) }

// PartStatusLabel names a part's state in the page's language.
func (p *Page) PartStatusLabel(s models.PartStatus) string { return p.T(partStatusLabels[s]) }
