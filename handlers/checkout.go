package handlers

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/payments"
)

// checkoutGroup is one artisan's share of the cart with the ways it can reach the buyer.
type checkoutGroup struct {
	ArtisanID   int64
	ArtisanName string
	Lines       []models.CartLine
	ItemsCents  int64
	Pickup      *models.PickupPlace // nil: no pickup possible
	CanShip     bool
	Choice      string // "pickup" or "shipping"
}

// Field is the form field of the group's choice.
func (g checkoutGroup) Field() string { return fmt.Sprintf("fulfil_%d", g.ArtisanID) }

type checkoutData struct {
	Groups    []checkoutGroup
	Cart      models.CartView
	Rates     map[string]int64
	Countries []string
	Shipping  bool  // some group ships (with the current choices)
	ShipCents int64 // shipping for the chosen country, summed over shipping parts
	Total     int64
	Gateway   string
}

// AnyShip tells whether some artisan of the cart can ship (else the address is not asked).
func (d checkoutData) AnyShip() bool {
	for _, g := range d.Groups {
		if g.CanShip {
			return true
		}
	}
	return false
}

// checkoutInput is the checkout form. Prices and quantities are never read from it: the
// lines come from the visitor's cart and the prices from the products.
type checkoutInput struct {
	Name         string `form:"name" validate:"required,max=120"`
	Email        string `form:"email" validate:"required,email,max=254"`
	Phone        string `form:"phone" validate:"max=40"`
	ShipName     string `form:"ship_name" validate:"max=120"`
	ShipLine1    string `form:"ship_line1" validate:"max=200"`
	ShipLine2    string `form:"ship_line2" validate:"max=200"`
	ShipPostcode string `form:"ship_postcode" validate:"max=20"`
	ShipCity     string `form:"ship_city" validate:"max=120"`
	ShipCountry  string `form:"ship_country" validate:"omitempty,oneof=BE FR"`
}

// loadCheckout builds the checkout page's data from the cart; choices come from the form.
func (h *Handler) loadCheckout(c *fiber.Ctx, form *Form) (checkoutData, error) {
	ctx := c.UserContext()
	var d checkoutData
	view, err := models.ListCart(ctx, h.db, h.cartOwner(c, false))
	if err != nil {
		return d, fmt.Errorf("load cart for checkout: %w", err)
	}
	d.Cart, d.Countries, d.Gateway = view, models.ShippingCountries, h.gateway.Name()
	if d.Rates, err = models.ShippingRates(ctx, h.db); err != nil {
		return d, err
	}
	index := map[int64]int{}
	var artisanIDs []int64
	for _, l := range view.Lines {
		i, ok := index[l.Artisan.ID]
		if !ok {
			i = len(d.Groups)
			index[l.Artisan.ID] = i
			d.Groups = append(d.Groups, checkoutGroup{ArtisanID: l.Artisan.ID, ArtisanName: l.Artisan.BusinessName, CanShip: true})
			artisanIDs = append(artisanIDs, l.Artisan.ID)
		}
		g := &d.Groups[i]
		g.Lines = append(g.Lines, l)
		g.ItemsCents += l.LineCents()
		// Shipped pieces are paid by card: without card payments, pickup at the stand only.
		g.CanShip = g.CanShip && l.Product.Ships && h.gateway.Name() != "stand"
	}
	places, err := models.PickupPlaces(ctx, h.db, artisanIDs, time.Now())
	if err != nil {
		return d, err
	}
	country := form.Value("ship_country")
	for i := range d.Groups {
		g := &d.Groups[i]
		if pl, ok := places[g.ArtisanID]; ok {
			allPickup := true
			for _, l := range g.Lines {
				allPickup = allPickup && l.Product.PickupAtFair
			}
			if allPickup {
				g.Pickup = &pl
			}
		}
		g.Choice = form.Value(g.Field())
		if g.Choice != "pickup" && g.Choice != "shipping" {
			g.Choice = "shipping"
			if g.Pickup != nil {
				g.Choice = "pickup" // the fair is why most visitors come
			}
		}
		if g.Choice == "shipping" {
			d.Shipping = true
			d.ShipCents += d.Rates[country]
		}
	}
	d.Total = view.ItemsCents + d.ShipCents
	return d, nil
}

func (h *Handler) showCheckout(c *fiber.Ctx) error {
	form := newForm()
	if u := currentUser(c); u != nil {
		form.Values["name"], form.Values["email"] = u.Name, u.Email
		form.Values["ship_name"] = u.Name
	}
	return h.renderCheckout(c, fiber.StatusOK, form)
}

func (h *Handler) renderCheckout(c *fiber.Ctx, status int, form *Form) error {
	d, err := h.loadCheckout(c, form)
	if err != nil {
		return err
	}
	if len(d.Cart.Lines) == 0 {
		return c.Redirect("/cart", fiber.StatusSeeOther)
	}
	ensureWebSession(c, h)
	page := h.newPage(c, "CheckoutTitle")
	page.Form = form
	page.Data = d
	if page.CSRF == "" {
		page.CSRF = ensureWebSession(c, h).csrfToken()
	}
	return h.render(c, status, tplCheckout, page)
}

func (h *Handler) placeOrder(c *fiber.Ctx) error {
	var in checkoutInput
	form, err := h.bindForm(c, &in)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	owner := h.cartOwner(c, false)
	view, err := models.ListCart(ctx, h.db, owner)
	if err != nil {
		return fmt.Errorf("place order: %w", err)
	}
	if len(view.Lines) == 0 {
		return c.Redirect("/cart", fiber.StatusSeeOther)
	}
	// Record the choices, so a refused form shows them again.
	fulfil := map[int64]models.Fulfilment{}
	var lines []models.PlaceLine
	for _, l := range view.Lines {
		field := fmt.Sprintf("fulfil_%d", l.Artisan.ID)
		choice := bodyField(c, field)
		form.Values[field] = choice
		if choice == string(models.FulfilPickup) {
			fulfil[l.Artisan.ID] = models.FulfilPickup
		} else {
			fulfil[l.Artisan.ID] = models.FulfilShipping
		}
		lines = append(lines, models.PlaceLine{ProductID: l.Product.ID, Quantity: l.Quantity})
	}
	if !view.Orderable() {
		// Already gone when the cart was read: answer without opening a transaction, which
		// keeps a rush on the last pieces from queueing behind the winners' row locks.
		form.Summary = "CheckoutSoldOut"
		return h.renderCheckout(c, fiber.StatusConflict, form)
	}
	if form.HasErrors() {
		return h.renderCheckout(c, fiber.StatusUnprocessableEntity, form)
	}
	lang := localsLanguage(c)
	// Read (or create) the link key before the order's transaction: on SQLite a second
	// connection could not write while the transaction holds the database.
	linkKey, err := h.orderLinkKey(ctx)
	if err != nil {
		return fmt.Errorf("place order: %w", err)
	}
	order, err := models.PlaceOrder(ctx, h.db, models.PlaceOrderInput{
		Owner: owner, Name: in.Name, Email: in.Email, Phone: in.Phone, Locale: lang, Lang: lang,
		Gateway: h.gateway.Name(), Lines: lines, Fulfilment: fulfil,
		ShipName: in.ShipName, ShipLine1: in.ShipLine1, ShipLine2: in.ShipLine2, ShipPostcode: in.ShipPostcode,
		ShipCity: in.ShipCity, ShipCountry: in.ShipCountry, Now: time.Now().UTC(),
		OrderLink: func(code string) string {
			return "/orders/" + url.PathEscape(code) + "?t=" + url.QueryEscape(signOrderCode(linkKey, code))
		},
	})
	var soldOut *models.SoldOutError
	switch {
	case errors.As(err, &soldOut):
		form.Summary = "CheckoutSoldOut"
		h.refreshCartCount(c, owner)
		return h.renderCheckout(c, fiber.StatusConflict, form)
	case errors.Is(err, models.ErrTooManyOpenOrders):
		form.Summary = "CheckoutTooManyOpen"
		return h.renderCheckout(c, fiber.StatusTooManyRequests, form)
	case mergeValidation(form, err):
		return h.renderCheckout(c, fiber.StatusUnprocessableEntity, form)
	case err != nil:
		return fmt.Errorf("place order: %w", err)
	}
	h.refreshCartCount(c, owner)
	guest := currentUser(c) == nil
	if order.Gateway == payments.NameStand {
		ensureWebSession(c, h).addFlashArgs("success", "FlashOrderReserved", "Code", order.Code)
		return c.Redirect(h.orderLink(ctx, order.Code, guest), fiber.StatusSeeOther)
	}
	return h.startPayment(c, order, guest)
}

// startPayment opens the Stripe Checkout Session of the order's attempt and sends the buyer
// there. When Stripe cannot be reached the new order is cancelled (its holds released), so the
// stock is not locked for nothing, and the buyer is told to try again. The request is built
// only from the order, so a resumed payment sends the same request under the same attempt's
// idempotency key and Stripe answers with the same session.
func (h *Handler) startPayment(c *fiber.Ctx, order models.Order, guest bool) error {
	ctx := c.UserContext()
	v, err := models.GetOrderByCode(ctx, h.db, order.Code, 0)
	if err != nil {
		return fmt.Errorf("start payment: %w", err)
	}
	req := payments.CheckoutRequest{
		Reference: order.Code, Attempt: order.Attempt, Currency: "eur", CustomerEmail: order.Email,
		Locale: order.Locale,
	}
	if order.CheckoutExpiresAt != nil {
		req.ExpiresAt = *order.CheckoutExpiresAt
	}
	page := &Page{Lang: order.Locale, tr: h.tr}
	for _, p := range v.Parts {
		for _, l := range p.Lines {
			req.Lines = append(req.Lines, payments.Line{Name: l.Title, UnitAmount: l.UnitCents, Quantity: int64(l.Quantity)})
		}
		if p.Part.ShippingCents > 0 {
			req.Lines = append(req.Lines, payments.Line{
				Name: page.T("CheckoutShippingLine", "Artisan", p.ArtisanName), UnitAmount: p.Part.ShippingCents, Quantity: 1})
		}
	}
	orderURL := h.absURL(h.orderLink(ctx, order.Code, guest))
	sep := "?"
	if strings.Contains(orderURL, "?") {
		sep = "&"
	}
	req.SuccessURL = h.absURL("/checkout/success?order=" + url.QueryEscape(order.Code))
	if guest {
		req.SuccessURL += "&t=" + url.QueryEscape(h.orderToken(ctx, order.Code))
	}
	req.CancelURL = orderURL + sep + "payment=cancelled"
	co, err := h.gateway.CreateCheckout(ctx, req)
	if err != nil && order.CheckoutSessionID != nil {
		// A resumed payment: the session opened before stays valid; the buyer may try again.
		h.log.Warn("resume checkout session", "order", order.Code, "error", err, "request_id", requestID(c))
		ensureWebSession(c, h).addFlash("error", "FlashPaymentNotResumed")
		return c.Redirect(h.orderLink(ctx, order.Code, guest), fiber.StatusSeeOther)
	}
	if err != nil {
		// Nothing can be paid: give the stock back now rather than in 30 minutes.
		if _, cerr := models.CancelGuestOrder(ctx, h.db, order.Code, time.Now().UTC()); cerr != nil {
			h.log.Warn("cancel order after payment failure", "order", order.Code, "error", cerr, "request_id", requestID(c))
		}
		if errors.Is(err, payments.ErrUnavailable) {
			return httpError(fiber.StatusServiceUnavailable, "CheckoutPaymentUnavailable", err)
		}
		return httpError(fiber.StatusBadGateway, "CheckoutPaymentFailed", err)
	}
	if err := models.SetCheckoutSession(ctx, h.db, order.ID, order.Attempt, co.SessionID, co.ExpiresAt, time.Now().UTC()); err != nil {
		return fmt.Errorf("start payment: %w", err)
	}
	if co.URL == "" {
		return c.Redirect(h.orderLink(ctx, order.Code, guest), fiber.StatusSeeOther)
	}
	return c.Redirect(co.URL, fiber.StatusSeeOther)
}

// absURL makes a path absolute with the public base URL.
func (h *Handler) absURL(path string) string {
	return strings.TrimRight(h.cfg.BaseURL, "/") + path
}

// showCheckoutSuccess only SHOWS the order's state after Stripe sent the buyer back: the
// webhook alone marks an order paid, so visiting this page without paying grants nothing.
func (h *Handler) showCheckoutSuccess(c *fiber.Ctx) error {
	code := models.NormalizeCode(c.Query("order"))
	if code == "" {
		return errNotFound
	}
	target := "/orders/" + url.PathEscape(code)
	if t := c.Query("t"); t != "" {
		target += "?t=" + url.QueryEscape(t)
	}
	v, err := h.visibleOrder(c, code, c.Query("t"))
	if err != nil {
		return err
	}
	if v.Order.Status == models.OrderPendingPayment {
		ensureWebSession(c, h).addFlash("info", "FlashPaymentProcessing")
	}
	return c.Redirect(target, fiber.StatusSeeOther)
}

// ---- organizers: shipping rates ----

type shippingData struct {
	Fields []shippingField
}

// shippingField is one country's rate input.
type shippingField struct{ Name, Country string }

func shippingFields() shippingData {
	var d shippingData
	for _, c := range models.ShippingCountries {
		d.Fields = append(d.Fields, shippingField{Name: "rate_" + c, Country: c})
	}
	return d
}

func (h *Handler) showShipping(c *fiber.Ctx) error {
	rates, err := models.ShippingRates(c.UserContext(), h.db)
	if err != nil {
		return err
	}
	form := newForm()
	page := h.newPage(c, "ShippingTitle")
	for _, ctry := range models.ShippingCountries {
		form.Values["rate_"+ctry] = formatEurosInput(page.Lang, rates[ctry])
	}
	page.Form = form
	page.Data = shippingFields()
	return h.render(c, fiber.StatusOK, tplAdminShipping, page)
}

func (h *Handler) saveShipping(c *fiber.Ctx) error {
	form := newForm()
	rates := map[string]int64{}
	for _, ctry := range models.ShippingCountries {
		raw := strings.TrimSpace(bodyField(c, "rate_"+ctry))
		form.Values["rate_"+ctry] = raw
		cents, ok := parseShippingEuros(raw)
		if !ok {
			form.Errors["rate_"+ctry] = "ShippingRateInvalid"
			continue
		}
		rates[ctry] = cents
	}
	if !form.HasErrors() {
		err := models.SetShippingRates(c.UserContext(), h.db, currentUser(c).ID, rates, time.Now().UTC())
		if err == nil {
			ensureWebSession(c, h).addFlash("success", "FlashShippingSaved")
			return c.Redirect("/admin/shipping", fiber.StatusSeeOther)
		}
		if !mergeValidation(form, err) {
			return err
		}
	}
	page := h.newPage(c, "ShippingTitle")
	page.Form = form
	page.Data = shippingFields()
	return h.render(c, fiber.StatusUnprocessableEntity, tplAdminShipping, page)
}

// parseShippingEuros reads "12,50", "12.50" or "12" as cents.
func parseShippingEuros(raw string) (int64, bool) {
	raw = strings.ReplaceAll(strings.TrimSpace(raw), ",", ".")
	if raw == "" {
		return 0, false
	}
	whole, frac, hasFrac := strings.Cut(raw, ".")
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > models.MaxShippingCents/100 {
		return 0, false
	}
	cents := w * 100
	if hasFrac {
		if len(frac) == 0 || len(frac) > 2 {
			return 0, false
		}
		if len(frac) == 1 {
			frac += "0"
		}
		f, err := strconv.Atoi(frac)
		if err != nil || f < 0 {
			return 0, false
		}
		cents += int64(f)
	}
	return cents, true
}
