package handlers

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
)

// Session keys of the cart: the anonymous cart's random key (not the session id, which is a
// credential and changes at login) and the number of pieces, shown in the header without a
// query on every page.
const (
	sessCartKey   = "cart"
	sessCartCount = "cart_n"
)

// CartCount is the number of pieces in the visitor's cart, for the header link.
func (p *Page) CartCount() int { return p.cartCount }

// sessionCartCount reads the header's cart count from the session.
func sessionCartCount(c *fiber.Ctx) int {
	ws := webSessionOf(c)
	if !ws.active() {
		return 0
	}
	return int(asInt64(ws.sess.Get(sessCartCount)))
}

// cartOwner names the visitor's cart: their account, or the session's cart key (minted,
// with a session, when create is set).
func (h *Handler) cartOwner(c *fiber.Ctx, create bool) models.CartOwner {
	if u := currentUser(c); u != nil {
		return models.CartOwner{UserID: u.ID}
	}
	ws := webSessionOf(c)
	if create {
		ws = ensureWebSession(c, h)
	}
	if !ws.active() {
		return models.CartOwner{}
	}
	key, _ := ws.sess.Get(sessCartKey).(string)
	if key == "" && create {
		key = newToken()
		ws.sess.Set(sessCartKey, key)
		ws.dirty = true
	}
	return models.CartOwner{SessionKey: key}
}

// refreshCartCount recomputes the header's count after the cart changed.
func (h *Handler) refreshCartCount(c *fiber.Ctx, o models.CartOwner) {
	n, err := models.CartCount(c.UserContext(), h.db, o)
	if err != nil {
		h.log.Warn("count cart", "error", err, "request_id", requestID(c))
		return
	}
	ws := webSessionOf(c)
	if !ws.active() {
		return
	}
	if int(asInt64(ws.sess.Get(sessCartCount))) != n {
		ws.sess.Set(sessCartCount, n)
		ws.dirty = true
	}
}

// mergeCartAtLogin moves the anonymous cart of the session into the account's cart; called by
// the login handler right after the session was bound to the user. A failure only logs: the
// visitor is signed in, their anonymous cart stays in the database.
func (h *Handler) mergeCartAtLogin(c *fiber.Ctx, ws *webSession, u models.User) {
	if !ws.active() {
		return
	}
	key, _ := ws.sess.Get(sessCartKey).(string)
	if key != "" {
		if err := models.MergeCart(c.UserContext(), h.db, key, u.ID, time.Now()); err != nil {
			h.log.Warn("merge cart at login", "error", err, "request_id", requestID(c))
			return
		}
		ws.sess.Delete(sessCartKey)
		ws.dirty = true
	}
	h.refreshCartCount(c, models.CartOwner{UserID: u.ID})
}

type cartData struct {
	Cart models.CartView
	// Thumbs are the lines' photos by product id.
	Thumbs map[int64]*photoView // nil for a piece without photo
	// Add is a product offered for the cart from a link (visitors without a form token yet).
	Add *models.Product
}

// ProductTitle is a product's title in the page's language.
func (p *Page) ProductTitle(pr models.Product) string { return pr.Title(p.Lang) }

func (h *Handler) showCart(c *fiber.Ctx) error {
	return h.renderCart(c, fiber.StatusOK, nil, "")
}

// renderCart shows the cart, with a form error (message id) when an action was refused.
func (h *Handler) renderCart(c *fiber.Ctx, status int, form *Form, _ string) error {
	ctx := c.UserContext()
	o := h.cartOwner(c, false)
	view, err := models.ListCart(ctx, h.db, o)
	if err != nil {
		return fmt.Errorf("show cart: %w", err)
	}
	// The page holds forms for anonymous visitors too: make sure they have a token.
	ensureWebSession(c, h)
	page := h.newPage(c, "CartTitle")
	if form == nil {
		form = newForm()
	}
	page.Form = form
	data := cartData{Cart: view, Thumbs: map[int64]*photoView{}}
	for _, l := range view.Lines {
		if l.Cover != nil {
			v := h.photoFor(*l.Cover, "")
			data.Thumbs[l.Product.ID] = &v
		}
	}
	if id, err := strconv.ParseInt(c.Query("add"), 10, 64); err == nil && id > 0 {
		if v, err := models.GetPublicProduct(ctx, h.db, id); err == nil {
			data.Add = &v.Product
		}
	}
	page.Data = data
	if page.CSRF == "" {
		page.CSRF = ensureWebSession(c, h).csrfToken()
	}
	h.refreshCartCount(c, o)
	page.cartCount = view.Count
	return h.render(c, status, tplCart, page)
}

type cartInput struct {
	ProductID string `form:"product_id"`
	Quantity  string `form:"quantity"`
}

// errCartNoProduct: a cart form without a product (a tampered or truncated form).
var errCartNoProduct = errors.New("cart form without a product")

// cartFormError answers a cart form that names no product: back to the cart, with a message.
func cartFormError(c *fiber.Ctx, h *Handler, err error) error {
	if errors.Is(err, errCartNoProduct) {
		ensureWebSession(c, h).addFlash("error", "CartNoProduct")
		return c.Redirect("/cart", fiber.StatusSeeOther)
	}
	return err
}

// cartAction reads the product and quantity of a cart form; a missing quantity means 1.
func cartAction(c *fiber.Ctx) (int64, int, error) {
	var in cartInput
	if err := c.BodyParser(&in); err != nil {
		return 0, 0, httpError(fiber.StatusBadRequest, "ErrorBadRequest", fmt.Errorf("parse cart form: %w", err))
	}
	id, err := strconv.ParseInt(in.ProductID, 10, 64)
	if err != nil || id <= 0 {
		return 0, 0, errCartNoProduct
	}
	qty := 1
	if in.Quantity != "" {
		if qty, err = strconv.Atoi(in.Quantity); err != nil {
			qty = -1 // refused below with a clear message
		}
	}
	return id, qty, nil
}

// cartRefused shows the cart again with the reason next to the quantity.
func (h *Handler) cartRefused(c *fiber.Ctx, err error) error {
	form := newForm()
	if mergeValidation(form, err) {
		form.Summary = form.Errors["quantity"]
		delete(form.Errors, "quantity")
		return h.renderCart(c, fiber.StatusUnprocessableEntity, form, "")
	}
	return err
}

func (h *Handler) addToCart(c *fiber.Ctx) error {
	id, qty, err := cartAction(c)
	if err != nil {
		return cartFormError(c, h, err)
	}
	o := h.cartOwner(c, true)
	if err := models.AddToCart(c.UserContext(), h.db, o, id, qty, time.Now()); err != nil {
		return h.cartRefused(c, fmt.Errorf("add to cart: %w", err))
	}
	h.refreshCartCount(c, o)
	ensureWebSession(c, h).addFlash("success", "FlashCartAdded")
	return c.Redirect("/cart", fiber.StatusSeeOther)
}

func (h *Handler) updateCart(c *fiber.Ctx) error {
	id, qty, err := cartAction(c)
	if err != nil {
		return cartFormError(c, h, err)
	}
	o := h.cartOwner(c, false)
	if !o.Valid() {
		return c.Redirect("/cart", fiber.StatusSeeOther)
	}
	if err := models.UpdateCartItem(c.UserContext(), h.db, o, id, qty, time.Now()); err != nil {
		if errors.Is(err, models.ErrNotFound) {
			return c.Redirect("/cart", fiber.StatusSeeOther)
		}
		return h.cartRefused(c, fmt.Errorf("update cart: %w", err))
	}
	h.refreshCartCount(c, o)
	ensureWebSession(c, h).addFlash("success", "FlashCartUpdated")
	return c.Redirect("/cart", fiber.StatusSeeOther)
}

func (h *Handler) removeFromCart(c *fiber.Ctx) error {
	id, _, err := cartAction(c)
	if err != nil {
		return cartFormError(c, h, err)
	}
	o := h.cartOwner(c, false)
	if o.Valid() {
		if err := models.RemoveCartItem(c.UserContext(), h.db, o, id); err != nil {
			return fmt.Errorf("remove from cart: %w", err)
		}
		h.refreshCartCount(c, o)
	}
	ensureWebSession(c, h).addFlash("success", "FlashCartRemoved")
	return c.Redirect("/cart", fiber.StatusSeeOther)
}
