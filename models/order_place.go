package models

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// ReleaseOrderHolds gives the stock held by an order back, exactly once: the order's
// holds_released_at is set by a conditional update from NULL, and only the caller whose
// update took (RowsAffected == 1) increments the stock of the lines that hold stock. Call it
// with the transaction that expires, cancels or refunds the order, so the release and the
// state change commit together. released is false when the holds were already given back.
func ReleaseOrderHolds(ctx context.Context, tx *gorm.DB, orderID int64, now time.Time) (released bool, err error) {
	res := tx.WithContext(ctx).Model(&Order{}).
		Where("id = ? AND holds_released_at IS NULL", orderID).
		Updates(map[string]any{"holds_released_at": now, "updated_at": now})
	if res.Error != nil {
		return false, fmt.Errorf("release holds of order %d: %w", orderID, translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		return false, nil
	}
	var lines []OrderLine
	if err := tx.WithContext(ctx).Where("order_id = ? AND holds_stock = ?", orderID, true).
		Order("product_id").Find(&lines).Error; err != nil {
		return false, fmt.Errorf("release holds of order %d: list lines: %w", orderID, translateError(err))
	}
	for _, l := range lines {
		// Pieces already refunded line by line gave their stock back with the refund.
		qty := l.Quantity - l.RefundedQuantity
		if qty <= 0 {
			continue
		}
		if err := tx.WithContext(ctx).Model(&Product{}).Where("id = ?", l.ProductID).
			Updates(map[string]any{"stock": gorm.Expr("stock + ?", qty), "updated_at": now}).Error; err != nil {
			return false, fmt.Errorf("release hold of product %d for order %d: %w", l.ProductID, orderID, translateError(err))
		}
	}
	return true, nil
}

// ErrNotCancellable is returned when the order is no longer waiting for payment.
var ErrNotCancellable = fmt.Errorf("order is not pending payment: %w", ErrInvalidState)

// CancelOrder lets a visitor cancel their own order while it waits for payment: the status
// moves by a conditional update, the held stock goes back exactly once, the parts are
// cancelled and the decision is audited. Another user's order is ErrNotFound. The handler
// also expires the Stripe session so it can no longer be paid.
func CancelOrder(ctx context.Context, db *gorm.DB, orderID, byUserID int64, now time.Time) (Order, error) {
	var after Order
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		q := tx.WithContext(ctx).Where("id = ?", orderID)
		if byUserID != 0 {
			q = q.Where("user_id = ?", byUserID)
		}
		var before Order
		if err := q.Take(&before).Error; err != nil {
			return fmt.Errorf("cancel order %d: %w", orderID, translateError(err))
		}
		return cancelPendingOrderTx(ctx, tx, before, byUserID, now, &after)
	})
	return after, err
}

// CancelGuestOrder cancels a guest's pending order reached by its signed link (the handler
// checked the token): same rules as CancelOrder, no account.
func CancelGuestOrder(ctx context.Context, db *gorm.DB, code string, now time.Time) (Order, error) {
	var after Order
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		var before Order
		if err := tx.WithContext(ctx).Where("code = ?", code).Take(&before).Error; err != nil {
			return fmt.Errorf("cancel order %s: %w", code, translateError(err))
		}
		return cancelPendingOrderTx(ctx, tx, before, 0, now, &after)
	})
	return after, err
}

func cancelPendingOrderTx(ctx context.Context, tx *gorm.DB, before Order, actorID int64, now time.Time, after *Order) error {
	res := tx.WithContext(ctx).Model(&Order{}).
		Where("id = ? AND status = ?", before.ID, OrderPendingPayment).
		Updates(map[string]any{"status": OrderCancelled, "closed_at": now, "updated_at": now})
	if res.Error != nil {
		return fmt.Errorf("cancel order %d: %w", before.ID, translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("cancel order %s in state %s: %w", before.Code, before.Status, ErrNotCancellable)
	}
	if err := tx.WithContext(ctx).Model(&OrderPart{}).
		Where("order_id = ? AND status IN ?", before.ID, []PartStatus{PartPending, PartToPrepare}).
		Updates(map[string]any{"status": PartCancelled, "updated_at": now}).Error; err != nil {
		return fmt.Errorf("cancel parts of order %d: %w", before.ID, translateError(err))
	}
	if _, err := ReleaseOrderHolds(ctx, tx, before.ID, now); err != nil {
		return err
	}
	if err := RecordAudit(ctx, tx, actorID, "order.cancel", "order", before.ID,
		map[string]any{"status": before.Status}, map[string]any{"status": OrderCancelled}); err != nil {
		return err
	}
	if err := tx.WithContext(ctx).Where("id = ?", before.ID).Take(after).Error; err != nil {
		return fmt.Errorf("reload order %d: %w", before.ID, translateError(err))
	}
	return nil
}

// unambiguous is the alphabet of order and pickup codes: no 0/O, 1/I/L, so a code read
// aloud or typed from a phone screen is not mistaken.
const unambiguous = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// randomCode draws n characters of the unambiguous alphabet from crypto/rand.
func randomCode(n int) string {
	b := make([]byte, n)
	out := make([]byte, n)
	// 256 % 31 != 0: reject the top bytes so every character is equally likely.
	limit := byte(256 - 256%len(unambiguous))
	for i := 0; i < n; {
		if _, err := rand.Read(b); err != nil {
			panic("crypto/rand failed: " + err.Error()) // never on Go >= 1.24
		}
		for _, c := range b {
			if c >= limit || i >= n {
				continue
			}
			out[i] = unambiguous[int(c)%len(unambiguous)]
			i++
		}
	}
	return string(out)
}

// NewOrderCode returns a fresh order code like "SX-7F3K9Q".
func NewOrderCode() string { return "SX-" + randomCode(6) }

// NewPickupCode returns a fresh pickup code of 8 unambiguous characters.
func NewPickupCode() string { return randomCode(8) }

// NormalizeCode upper-cases a code typed by someone and drops spaces.
func NormalizeCode(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// Checkout limits.
const (
	// MaxOpenHolds is how many orders one visitor (account, or e-mail for guests) may keep
	// waiting for payment, each holding stock: beyond it, stock could be hoarded.
	MaxOpenHolds = 3
	// CheckoutWindow is how long a card payment may take before its holds are released.
	CheckoutWindow = 30 * time.Minute
)

// Errors of PlaceOrder the buyer is told about.
var (
	// ErrSoldOut: a piece has fewer left than asked for (someone bought it first).
	ErrSoldOut = fmt.Errorf("sold out: %w", ErrConflict)
	// ErrTooManyOpenOrders: the visitor already has MaxOpenHolds orders waiting for payment.
	ErrTooManyOpenOrders = fmt.Errorf("too many orders waiting for payment: %w", ErrConflict)
	// ErrEmptyOrder: nothing to order.
	ErrEmptyOrder = fmt.Errorf("empty order: %w", ErrInvalidState)
)

// SoldOutError names the piece that ran out; it matches ErrSoldOut.
type SoldOutError struct {
	ProductID int64
	Title     string
}

func (e *SoldOutError) Error() string {
	return fmt.Sprintf("product %d (%s): %s", e.ProductID, e.Title, ErrSoldOut)
}

// Unwrap makes errors.Is(err, ErrSoldOut) true.
func (e *SoldOutError) Unwrap() error { return ErrSoldOut }

// PlaceLine is a product and quantity the buyer asks for; the price is never taken from here.
type PlaceLine struct {
	ProductID int64
	Quantity  int
}

// PlaceOrderInput is what the checkout form decided, validated by the handler. Prices,
// titles and stock come from the database.
type PlaceOrderInput struct {
	Owner   CartOwner // whose cart the ordered lines leave; UserID also owns the order
	Name    string
	Email   string
	Phone   string
	Locale  string
	Gateway string // "stripe" or "stand"
	Lines   []PlaceLine
	// Fulfilment per artisan id; an artisan missing here gets shipping.
	Fulfilment map[int64]Fulfilment
	// Shipping address (required when some part ships).
	ShipName, ShipLine1, ShipLine2, ShipPostcode, ShipCity, ShipCountry string
	// Now is the time of the order.
	Now time.Time
	// OrderLink returns the buyer's link to the order page (signed for guests) for the
	// confirmation e-mail.
	OrderLink func(code string) string
	// Title picks the product title stored on the line (in the buyer's language).
	Lang string
}

// placeOrderFault lets tests fail a step of PlaceOrder after the stock was held.
var placeOrderFault func(step string) error

// PlaceOrder creates an order in one transaction: the order, one part per artisan (pickup
// at the artisan's stand at an upcoming fair when chosen and allowed, else shipping at the
// flat rate), lines priced from the database, and the stock holds — a conditional
// decrement per product, in product id order so concurrent orders never deadlock, with
// CHECK (stock >= 0) as the backstop. A piece with too little stock is a *SoldOutError; a
// visitor over MaxOpenHolds gets ErrTooManyOpenOrders; a refused choice a *ValidationError.
// The ordered lines leave the cart and the confirmation e-mail is queued, in the same
// transaction.
func PlaceOrder(ctx context.Context, db *gorm.DB, in PlaceOrderInput) (Order, error) {
	if in.Now.IsZero() {
		in.Now = time.Now().UTC()
	}
	var order Order
	var err error
	// A clash of random order codes (31^6 of them) retries; so do a lock timeout, deadlock
	// or serialization failure on a rush for the same pieces (bounded).
	for range 4 {
		order, err = placeOrderOnce(ctx, db, in)
		if !errors.Is(err, errCodeClash) && !retryableLockError(err) {
			break
		}
	}
	if retryableLockError(err) {
		// Still contended: tell sold out from busy by the stock as it is now.
		if soldOut := checkStillInStock(ctx, db, in); soldOut != nil {
			return Order{}, soldOut
		}
		return Order{}, errors.Join(ErrUnavailable, err)
	}
	return order, err
}

// retryableLockError tells a PostgreSQL lock timeout (55P03), deadlock (40P01) or
// serialization failure (40001): the transaction rolled back and may simply be tried again.
func retryableLockError(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "55P03" || pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// checkStillInStock returns a *SoldOutError for the first piece with too little stock left.
func checkStillInStock(ctx context.Context, db *gorm.DB, in PlaceOrderInput) error {
	for _, l := range in.Lines {
		var p Product
		if err := db.WithContext(ctx).Where("id = ?", l.ProductID).Take(&p).Error; err != nil {
			return nil //nolint:nilerr // a piece we cannot re-read is not called sold out: the caller answers "unavailable"
		}
		if !p.MadeToOrder && p.Stock < l.Quantity {
			return &SoldOutError{ProductID: p.ID, Title: p.Title(in.Lang)}
		}
	}
	return nil
}

var errCodeClash = errors.New("order or pickup code already used")

func placeOrderOnce(ctx context.Context, db *gorm.DB, in PlaceOrderInput) (Order, error) {
	// Sum the quantities per product and sort by id: the lock order of the stock holds.
	qty := map[int64]int{}
	for _, l := range in.Lines {
		if l.Quantity < 1 || l.Quantity > MaxCartQuantity {
			return Order{}, fieldError("quantity", "CartQuantityInvalid")
		}
		qty[l.ProductID] += l.Quantity
	}
	if len(qty) == 0 {
		return Order{}, ErrEmptyOrder
	}
	ids := make([]int64, 0, len(qty))
	for id := range qty {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })

	var order Order
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		if err := checkOpenHolds(ctx, tx, in); err != nil {
			return err
		}
		var products []Product
		if err := catalogBase(ctx, tx).Select("p.*").Where("p.id IN ?", ids).Order("p.id").Find(&products).Error; err != nil {
			return fmt.Errorf("place order: load products: %w", translateError(err))
		}
		byID := map[int64]Product{}
		for _, p := range products {
			byID[p.ID] = p
		}
		var artisanIDs []int64
		seenArtisan := map[int64]bool{}
		for _, id := range ids {
			p, ok := byID[id]
			if !ok {
				return &SoldOutError{ProductID: id}
			}
			if !seenArtisan[p.ArtisanID] {
				seenArtisan[p.ArtisanID] = true
				artisanIDs = append(artisanIDs, p.ArtisanID)
			}
		}
		sort.Slice(artisanIDs, func(i, j int) bool { return artisanIDs[i] < artisanIDs[j] })
		places, err := PickupPlaces(ctx, tx, artisanIDs, in.Now)
		if err != nil {
			return err
		}
		rates, err := ShippingRates(ctx, tx)
		if err != nil {
			return err
		}
		// Decide each artisan's fulfilment before touching stock.
		fulfil := map[int64]Fulfilment{}
		fields := map[string]string{}
		shipping := false
		for _, aid := range artisanIDs {
			choice := in.Fulfilment[aid]
			if choice == "" {
				choice = FulfilShipping
			}
			for _, id := range ids {
				p := byID[id]
				if p.ArtisanID != aid {
					continue
				}
				_, hasPlace := places[aid]
				if choice == FulfilPickup && (!p.PickupAtFair || !hasPlace) {
					fields[fmt.Sprintf("fulfil_%d", aid)] = "CheckoutPickupUnavailable"
				}
				if choice == FulfilShipping && !p.Ships {
					fields[fmt.Sprintf("fulfil_%d", aid)] = "CheckoutShippingUnavailable"
				}
				if choice == FulfilShipping && in.Gateway == "stand" {
					// Paid at the stand means collected at the stand: a parcel is paid by card.
					fields[fmt.Sprintf("fulfil_%d", aid)] = "CheckoutShippingNeedsCard"
				}
			}
			fulfil[aid] = choice
			shipping = shipping || choice == FulfilShipping
		}
		if shipping {
			if _, ok := rates[in.ShipCountry]; !ok {
				fields["ship_country"] = "CheckoutCountryInvalid"
			}
			for name, v := range map[string]string{"ship_name": in.ShipName, "ship_line1": in.ShipLine1,
				"ship_postcode": in.ShipPostcode, "ship_city": in.ShipCity} {
				if strings.TrimSpace(v) == "" {
					fields[name] = "FieldRequired"
				}
			}
		}
		if len(fields) > 0 {
			return &ValidationError{Fields: fields}
		}

		// Hold the stock: one conditional decrement per product, in id order.
		holds := map[int64]bool{}
		for _, id := range ids {
			p := byID[id]
			res := tx.WithContext(ctx).Model(&Product{}).
				Where("id = ? AND stock >= ?", id, qty[id]).
				Updates(map[string]any{"stock": gorm.Expr("stock - ?", qty[id]), "updated_at": in.Now})
			if res.Error != nil {
				return fmt.Errorf("hold stock of product %d: %w", id, translateError(res.Error))
			}
			switch {
			case res.RowsAffected == 1:
				holds[id] = true
			case p.MadeToOrder:
				holds[id] = false // made to order: nothing to hold
			default:
				return &SoldOutError{ProductID: id, Title: p.Title(in.Lang)}
			}
		}
		if err := fault("after_hold"); err != nil {
			return err
		}

		order = Order{
			Code: NewOrderCode(), Email: strings.TrimSpace(in.Email), Name: strings.TrimSpace(in.Name),
			Phone: strings.TrimSpace(in.Phone), Locale: in.Locale, Status: OrderPendingPayment, Gateway: in.Gateway,
			Currency: "EUR", CreatedAt: in.Now, UpdatedAt: in.Now,
		}
		if in.Owner.UserID != 0 {
			uid := in.Owner.UserID
			order.UserID = &uid
		}
		if order.Locale == "" {
			order.Locale = "fr"
		}
		partStatus := PartPending
		switch in.Gateway {
		case "stripe":
			exp := in.Now.Add(CheckoutWindow)
			order.CheckoutExpiresAt = &exp
			order.Attempt = 1
		case "stand":
			partStatus = PartToPrepare // paid on site: the artisan prepares it now
		default:
			return fmt.Errorf("place order: unknown gateway %q", in.Gateway)
		}
		if shipping {
			order.ShipName, order.ShipLine1, order.ShipLine2 = in.ShipName, in.ShipLine1, in.ShipLine2
			order.ShipPostcode, order.ShipCity, order.ShipCountry = in.ShipPostcode, in.ShipCity, in.ShipCountry
		}
		for _, id := range ids {
			order.ItemsCents += byID[id].PriceCents * int64(qty[id])
		}
		for _, aid := range artisanIDs {
			if fulfil[aid] == FulfilShipping {
				order.ShippingCents += rates[in.ShipCountry]
			}
		}
		order.TotalCents = order.ItemsCents + order.ShippingCents
		if err := tx.WithContext(ctx).Create(&order).Error; err != nil {
			if errors.Is(translateError(err), ErrConflict) {
				return errCodeClash
			}
			return fmt.Errorf("create order: %w", translateError(err))
		}
		for _, aid := range artisanIDs {
			part := OrderPart{OrderID: order.ID, ArtisanID: aid, Fulfilment: fulfil[aid], Status: partStatus,
				PickupCode: NewPickupCode(), CreatedAt: in.Now, UpdatedAt: in.Now}
			if fulfil[aid] == FulfilPickup {
				pl := places[aid]
				part.FairID, part.StandID, part.StandCode = &pl.FairID, &pl.StandID, pl.StandCode
			} else {
				part.ShippingCents = rates[in.ShipCountry]
			}
			for _, id := range ids {
				if byID[id].ArtisanID == aid {
					part.ItemsCents += byID[id].PriceCents * int64(qty[id])
				}
			}
			if err := tx.WithContext(ctx).Create(&part).Error; err != nil {
				if errors.Is(translateError(err), ErrConflict) {
					return errCodeClash
				}
				return fmt.Errorf("create order part: %w", translateError(err))
			}
			for _, id := range ids {
				p := byID[id]
				if p.ArtisanID != aid {
					continue
				}
				line := OrderLine{OrderID: order.ID, PartID: part.ID, ProductID: id, Title: p.Title(in.Lang),
					UnitCents: p.PriceCents, Quantity: qty[id], HoldsStock: holds[id]}
				if err := tx.WithContext(ctx).Create(&line).Error; err != nil {
					return fmt.Errorf("create order line: %w", translateError(err))
				}
			}
		}
		if err := fault("after_lines"); err != nil {
			return err
		}
		if in.Owner.Valid() {
			if err := clearCartProducts(ctx, tx, in.Owner, ids); err != nil {
				return err
			}
		}
		link := ""
		if in.OrderLink != nil {
			link = in.OrderLink(order.Code)
		}
		if err := notifyArtisansToPrepare(ctx, tx, order.ID); err != nil { // pay-at-the-stand orders: at once
			return err
		}
		if err := EnqueueNotice(ctx, tx, order.Email, order.Locale, NoticeOrderConfirmed, map[string]string{
			"code": order.Code, "name": order.Name, "total_cents": fmt.Sprint(order.TotalCents), "link": link, "gateway": order.Gateway,
		}); err != nil {
			return err
		}
		var actor int64
		if order.UserID != nil {
			actor = *order.UserID
		}
		return RecordAudit(ctx, tx, actor, "order.place", "order", order.ID, nil,
			map[string]any{"code": order.Code, "total_cents": order.TotalCents, "gateway": order.Gateway})
	})
	if err != nil {
		return Order{}, err
	}
	return order, nil
}

// NoticeOrderConfirmed is the e-mail sent to the buyer when an order is placed.
const NoticeOrderConfirmed = "order_confirmed"

func fault(step string) error {
	if placeOrderFault != nil {
		return placeOrderFault(step)
	}
	return nil
}

// checkOpenHolds refuses a new order when the visitor already has MaxOpenHolds orders
// waiting for payment with stock held. A signed-in visitor's account row is locked first on
// PostgreSQL, so two simultaneous checkouts of one account cannot both slip under the bound.
func checkOpenHolds(ctx context.Context, tx *gorm.DB, in PlaceOrderInput) error {
	q := tx.WithContext(ctx).Model(&Order{}).Where("status = ? AND holds_released_at IS NULL", OrderPendingPayment)
	if in.Owner.UserID != 0 {
		if Dialect(tx) == DialectPostgres {
			if err := tx.WithContext(ctx).Exec("SELECT id FROM users WHERE id = ? FOR UPDATE", in.Owner.UserID).Error; err != nil {
				return fmt.Errorf("lock account %d: %w", in.Owner.UserID, translateError(err))
			}
		}
		q = q.Where("user_id = ?", in.Owner.UserID)
	} else {
		q = q.Where("user_id IS NULL AND LOWER(email) = ?", strings.ToLower(strings.TrimSpace(in.Email)))
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		return fmt.Errorf("count open orders: %w", translateError(err))
	}
	if n >= MaxOpenHolds {
		return ErrTooManyOpenOrders
	}
	return nil
}

// CanResumePayment tells whether the buyer can go back to the card payment of this order:
// waiting for a Stripe payment whose session stays open for at least another minute.
func (o Order) CanResumePayment(now time.Time) bool {
	return o.Status == OrderPendingPayment && o.Gateway != gatewayStand && o.CheckoutSessionID != nil &&
		o.CheckoutExpiresAt != nil && o.CheckoutExpiresAt.After(now.Add(time.Minute))
}

// SetCheckoutSession stores the payment session of an order's current attempt, once: a
// conditional update from NULL (a second click that opened the same session changes
// nothing).
func SetCheckoutSession(ctx context.Context, db *gorm.DB, orderID int64, attempt int, sessionID string, expiresAt time.Time, now time.Time) error {
	cols := map[string]any{"checkout_session_id": sessionID, "updated_at": now}
	if !expiresAt.IsZero() {
		cols["checkout_expires_at"] = expiresAt
	}
	res := db.WithContext(ctx).Model(&Order{}).
		Where("id = ? AND attempt = ? AND status = ? AND (checkout_session_id IS NULL OR checkout_session_id = ?)",
			orderID, attempt, OrderPendingPayment, sessionID).
		Updates(cols)
	if res.Error != nil {
		return fmt.Errorf("store checkout session of order %d: %w", orderID, translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("store checkout session of order %d: %w", orderID, ErrInvalidState)
	}
	return nil
}

// OrderPartView is one artisan's part of an order with its lines and pickup place.
type OrderPartView struct {
	Part        OrderPart
	ArtisanName string
	ArtisanSlug string
	FairName    string
	FairCity    string
	FairStarts  time.Time
	FairEnds    time.Time
	Lines       []OrderLine
}

// OrderView is an order as its buyer sees it.
type OrderView struct {
	Order Order
	Parts []OrderPartView
}

// GetOrderByCode loads an order with its parts and lines. userID != 0 restricts it to that
// account's orders (someone else's code is ErrNotFound); 0 loads any order (the caller
// checked a signed guest link).
func GetOrderByCode(ctx context.Context, db *gorm.DB, code string, userID int64) (OrderView, error) {
	var v OrderView
	q := db.WithContext(ctx).Where("code = ?", code)
	if userID != 0 {
		q = q.Where("user_id = ?", userID)
	}
	if err := q.Take(&v.Order).Error; err != nil {
		return v, fmt.Errorf("get order %s: %w", code, translateError(err))
	}
	var parts []OrderPart
	if err := db.WithContext(ctx).Where("order_id = ?", v.Order.ID).Order("id").Find(&parts).Error; err != nil {
		return v, fmt.Errorf("get parts of order %s: %w", code, translateError(err))
	}
	var lines []OrderLine
	if err := db.WithContext(ctx).Where("order_id = ?", v.Order.ID).Order("id").Find(&lines).Error; err != nil {
		return v, fmt.Errorf("get lines of order %s: %w", code, translateError(err))
	}
	for _, p := range parts {
		pv := OrderPartView{Part: p}
		var a Artisan
		if err := db.WithContext(ctx).Where("id = ?", p.ArtisanID).Take(&a).Error; err == nil {
			pv.ArtisanName, pv.ArtisanSlug = a.BusinessName, a.Slug
		}
		if p.FairID != nil {
			var f Fair
			if err := db.WithContext(ctx).Where("id = ?", *p.FairID).Take(&f).Error; err == nil {
				pv.FairName, pv.FairCity, pv.FairStarts, pv.FairEnds = f.Name, f.City, f.StartsOn, f.EndsOn
			}
		}
		for _, l := range lines {
			if l.PartID == p.ID {
				pv.Lines = append(pv.Lines, l)
			}
		}
		v.Parts = append(v.Parts, pv)
	}
	return v, nil
}

// ListUserOrders returns an account's orders, newest first.
func ListUserOrders(ctx context.Context, db *gorm.DB, userID int64, limit int) ([]Order, error) {
	var out []Order
	if err := db.WithContext(ctx).Where("user_id = ?", userID).Order("created_at DESC, id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list orders of user %d: %w", userID, translateError(err))
	}
	return out, nil
}
