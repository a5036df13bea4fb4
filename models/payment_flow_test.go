package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"github.com/soukexpo/souk/payments"
	"gorm.io/gorm"
)

// payFixture is one Stripe order of 2 pieces of one product (stock 5 before the order, so 3
// left while the order holds 2), from one artisan, waiting for payment on session cs_pay_1.
type payFixture struct {
	Buyer, Organizer, ArtisanUser models.User
	Artisan                       models.Artisan
	Product                       models.Product
	Order                         models.Order
	Part                          models.OrderPart
	Line                          models.OrderLine
}

const fixtureStock, fixtureQty, fixtureUnit = 5, 2, 2450

func newPayFixture(t *testing.T, db *gorm.DB, gateway string) payFixture {
	t.Helper()
	var fx payFixture
	fx.Buyer = models.User{Email: dbtest.Name("buyer") + "@souk.test", Name: "Salma", PasswordHash: "x", Role: models.RoleVisitor, Locale: "ar"}
	must(t, db.Create(&fx.Buyer).Error)
	fx.Organizer = models.User{Email: dbtest.Name("org") + "@souk.test", Name: "Org", PasswordHash: "x", Role: models.RoleOrganizer, Locale: "fr"}
	must(t, db.Create(&fx.Organizer).Error)
	fx.ArtisanUser = models.User{Email: dbtest.Name("art") + "@souk.test", Name: "Artisan", PasswordHash: "x", Role: models.RoleArtisan, Locale: "fr"}
	must(t, db.Create(&fx.ArtisanUser).Error)
	fx.Artisan = models.Artisan{UserID: fx.ArtisanUser.ID, Slug: dbtest.Name("atelier"), BusinessName: "Atelier Fès", Kind: "individual",
		RegionCode: "FM", CraftCode: "pottery", City: "Fès", Status: models.ArtisanVerified}
	must(t, db.Create(&fx.Artisan).Error)
	fx.Product = models.Product{ArtisanID: fx.Artisan.ID, Status: models.ProductPublished, TitleFR: "Tajine", CraftCode: "pottery",
		PriceCents: fixtureUnit, Stock: fixtureStock - fixtureQty, Ships: true}
	must(t, db.Create(&fx.Product).Error)
	total := int64(fixtureUnit * fixtureQty)
	session := "cs_pay_" + dbtest.Name("s")
	exp := time.Now().Add(time.Hour)
	fx.Order = models.Order{Code: models.NewOrderCode(), UserID: &fx.Buyer.ID, Email: fx.Buyer.Email, Name: "Salma", Locale: "ar",
		Status: models.OrderPendingPayment, Gateway: gateway, Currency: "EUR", ItemsCents: total, TotalCents: total, Attempt: 1,
		CheckoutExpiresAt: &exp, ShipCountry: "BE"}
	if gateway == payments.NameStripe {
		fx.Order.CheckoutSessionID = &session
	}
	must(t, db.Create(&fx.Order).Error)
	fx.Part = models.OrderPart{OrderID: fx.Order.ID, ArtisanID: fx.Artisan.ID, Fulfilment: models.FulfilShipping, Status: models.PartPending,
		PickupCode: models.NewPickupCode(), ItemsCents: total}
	must(t, db.Create(&fx.Part).Error)
	fx.Line = models.OrderLine{OrderID: fx.Order.ID, PartID: fx.Part.ID, ProductID: fx.Product.ID, Title: "Tajine",
		UnitCents: fixtureUnit, Quantity: fixtureQty, HoldsStock: true}
	must(t, db.Create(&fx.Line).Error)
	return fx
}

func (fx payFixture) session(status, paymentStatus string) *payments.SessionState {
	return &payments.SessionState{SessionID: *fx.Order.CheckoutSessionID, Reference: fx.Order.Code, Status: status, PaymentStatus: paymentStatus,
		AmountTotal: fx.Order.TotalCents, Currency: "eur", PaymentIntentID: "pi_" + fx.Order.Code}
}

func (fx payFixture) completed(id string) payments.Event {
	return payments.Event{ID: id, Type: payments.EventCheckoutCompleted, Session: fx.session(payments.StatusComplete, payments.PaymentPaid)}
}

func (fx payFixture) asyncSucceeded(id string) payments.Event {
	return payments.Event{ID: id, Type: payments.EventCheckoutAsyncSucceeded, Session: fx.session(payments.StatusComplete, payments.PaymentPaid)}
}

func (fx payFixture) expired(id string) payments.Event {
	return payments.Event{ID: id, Type: payments.EventCheckoutExpired, Session: fx.session(payments.StatusExpired, payments.PaymentUnpaid)}
}

func payReloadOrder(t *testing.T, db *gorm.DB, id int64) models.Order {
	t.Helper()
	var o models.Order
	must(t, db.Where("id = ?", id).Take(&o).Error)
	return o
}

func payStock(t *testing.T, db *gorm.DB, id int64) int {
	t.Helper()
	var p models.Product
	must(t, db.Select("stock").Where("id = ?", id).Take(&p).Error)
	return p.Stock
}

func payCount(t *testing.T, db *gorm.DB, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	must(t, db.Model(model).Where(where, args...).Count(&n).Error)
	return n
}

// payHeld is how many pieces an order holds now (0 once its holds are released).
func payHeld(t *testing.T, db *gorm.DB, o models.Order) int {
	t.Helper()
	o = payReloadOrder(t, db, o.ID)
	if o.HoldsReleasedAt != nil {
		return 0
	}
	return fixtureQty
}

func payApply(t *testing.T, db *gorm.DB, ev payments.Event) bool {
	t.Helper()
	ok, err := models.ApplyCheckoutEvent(context.Background(), db, ev, time.Now())
	if err != nil {
		t.Fatalf("apply %s: %v", ev.ID, err)
	}
	return ok
}

// A paid session marks the order paid once: parts to prepare, payment intent kept, one e-mail.
func TestApplyCompletedPaid(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		fx := newPayFixture(t, db, payments.NameStripe)
		if !payApply(t, db, fx.completed("evt_c1")) {
			t.Fatal("first delivery not applied")
		}
		if payApply(t, db, fx.completed("evt_c1")) {
			t.Error("duplicate delivery applied again")
		}
		o := payReloadOrder(t, db, fx.Order.ID)
		if o.Status != models.OrderPaid || o.PaidAt == nil || o.PaymentIntentID == nil || *o.PaymentIntentID != "pi_"+o.Code {
			t.Errorf("order = %s paid_at %v pi %v", o.Status, o.PaidAt, o.PaymentIntentID)
		}
		var part models.OrderPart
		must(t, db.Where("id = ?", fx.Part.ID).Take(&part).Error)
		if part.Status != models.PartToPrepare {
			t.Errorf("part = %s, want to_prepare", part.Status)
		}
		if n := payCount(t, db, &models.OutboxEmail{}, "kind = ? AND to_address = ?", models.NoticeOrderPaid, fx.Buyer.Email); n != 1 {
			t.Errorf("%d order_paid e-mails, want 1", n)
		}
		if n := payCount(t, db, &models.OutboxEmail{}, "kind = ?", models.NoticeStudioNewOrder); n != 1 {
			t.Errorf("%d e-mails to the artisan, want 1 (once paid, once only)", n)
		}
		if n := payCount(t, db, &models.StripeEvent{}, "order_id = ?", fx.Order.ID); n != 1 {
			t.Errorf("%d stored events, want 1", n)
		}
		if s := payStock(t, db, fx.Product.ID); s != fixtureStock-fixtureQty {
			t.Errorf("stock = %d, want %d", s, fixtureStock-fixtureQty)
		}
	})
}

// completed with payment_status unpaid (async method settling) grants nothing.
func TestApplyCompletedUnpaidGrantsNothing(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		fx := newPayFixture(t, db, payments.NameStripe)
		payApply(t, db, payments.Event{ID: "evt_u", Type: payments.EventCheckoutCompleted, Session: fx.session(payments.StatusComplete, payments.PaymentUnpaid)})
		if o := payReloadOrder(t, db, fx.Order.ID); o.Status != models.OrderPendingPayment || o.PaidAt != nil {
			t.Errorf("order = %s, want pending", o.Status)
		}
	})
}

// D5: every ordering of {completed, async_succeeded, expired} ends paid with the stock held.
func TestApplyEveryOrdering(t *testing.T) {
	orderings := [][]string{
		{"c", "a", "e"}, {"c", "e", "a"}, {"a", "c", "e"}, {"a", "e", "c"}, {"e", "c", "a"}, {"e", "a", "c"},
	}
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		for _, ord := range orderings {
			t.Run(fmt.Sprint(ord), func(t *testing.T) {
				fx := newPayFixture(t, db, payments.NameStripe)
				for i, k := range ord {
					id := fmt.Sprintf("evt_%s_%d_%d", k, i, fx.Order.ID)
					switch k {
					case "c":
						payApply(t, db, fx.completed(id))
					case "a":
						payApply(t, db, fx.asyncSucceeded(id))
					case "e":
						payApply(t, db, fx.expired(id))
					}
				}
				o := payReloadOrder(t, db, fx.Order.ID)
				if o.Status != models.OrderPaid {
					t.Errorf("final status %s, want paid", o.Status)
				}
				stock := payStock(t, db, fx.Product.ID)
				if stock+payHeld(t, db, o) != fixtureStock || stock != fixtureStock-fixtureQty {
					t.Errorf("stock %d + held %d != %d (stock not conserved)", stock, payHeld(t, db, o), fixtureStock)
				}
				if n := payCount(t, db, &models.OutboxEmail{}, "kind = ? AND to_address = ?", models.NoticeOrderPaid, fx.Buyer.Email); n != 1 {
					t.Errorf("%d order_paid e-mails, want 1", n)
				}
			})
		}
	})
}

// D7: expired twice gives the stock back once; a later payment finding the stock resold goes
// to needs_review, stock never negative.
func TestApplyExpiredTwiceAndStockGone(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		fx := newPayFixture(t, db, payments.NameStripe)
		payApply(t, db, fx.expired("evt_e1"))
		payApply(t, db, fx.expired("evt_e2")) // a second, distinct delivery
		payApply(t, db, fx.expired("evt_e1")) // and a duplicate
		if s := payStock(t, db, fx.Product.ID); s != fixtureStock {
			t.Fatalf("stock after expiry = %d, want %d (restored once)", s, fixtureStock)
		}
		o := payReloadOrder(t, db, fx.Order.ID)
		if o.Status != models.OrderExpired || o.HoldsReleasedAt == nil {
			t.Fatalf("order = %s released %v", o.Status, o.HoldsReleasedAt)
		}
		var expiredMails int64
		must(t, db.Model(&models.OutboxEmail{}).Where("kind = ? AND to_address = ?", models.NoticeOrderExpired, o.Email).Count(&expiredMails).Error)
		if expiredMails != 1 {
			t.Fatalf("%d 'not paid in time' e-mails to the buyer, want 1", expiredMails)
		}
		// Someone else buys 4 of the 5: only 1 left, the late payment needs 2.
		must(t, db.Model(&models.Product{}).Where("id = ?", fx.Product.ID).Update("stock", 1).Error)
		payApply(t, db, fx.completed("evt_late"))
		o = payReloadOrder(t, db, fx.Order.ID)
		if o.Status != models.OrderNeedsReview || o.PaymentIntentID == nil {
			t.Errorf("late payment: order = %s, want needs_review with its payment intent", o.Status)
		}
		if s := payStock(t, db, fx.Product.ID); s != 1 {
			t.Errorf("stock = %d, want 1 (untouched)", s)
		}
	})
}

// A payment whose amount differs from the order is not trusted.
func TestApplyAmountMismatch(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		fx := newPayFixture(t, db, payments.NameStripe)
		ev := fx.completed("evt_m")
		ev.Session.AmountTotal = 100
		payApply(t, db, ev)
		if o := payReloadOrder(t, db, fx.Order.ID); o.Status != models.OrderNeedsReview {
			t.Errorf("order = %s, want needs_review", o.Status)
		}
	})
}

// D4 on PostgreSQL: the same event applied concurrently, many times: one effect.
func TestApplyConcurrentDuplicates(t *testing.T) {
	db := dbtest.Postgres(t)
	fx := newPayFixture(t, db, payments.NameStripe)
	var wg sync.WaitGroup
	var mu sync.Mutex
	applied, errs := 0, 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := models.ApplyCheckoutEvent(context.Background(), db, fx.completed("evt_dup"), time.Now())
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs++
				t.Errorf("apply: %v", err)
			}
			if ok {
				applied++
			}
		}()
	}
	wg.Wait()
	if applied != 1 || errs != 0 {
		t.Errorf("applied %d times (%d errors), want once", applied, errs)
	}
	if n := payCount(t, db, &models.OutboxEmail{}, "kind = ?", models.NoticeOrderPaid); n != 1 {
		t.Errorf("%d e-mails, want 1", n)
	}
}

// charge.refunded only raises the refunded amount; a full refund refunds the order.
func TestApplyChargeRefunded(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		fx := newPayFixture(t, db, payments.NameStripe)
		payApply(t, db, fx.completed("evt_p"))
		pi := "pi_" + fx.Order.Code
		refund := func(id string, amount int64, full bool) {
			payApply(t, db, payments.Event{ID: id, Type: payments.EventChargeRefunded, Refund: &payments.ChargeRefund{
				ChargeID: "ch_1", PaymentIntentID: pi, Amount: fx.Order.TotalCents, AmountRefunded: amount, Currency: "eur", FullyRefunded: full}})
		}
		refund("evt_r2", 1000, false)
		refund("evt_r1", 500, false) // older state arriving late
		o := payReloadOrder(t, db, fx.Order.ID)
		if o.RefundedCents != 1000 || o.Status != models.OrderPaid {
			t.Errorf("after partial refunds: %d cents, %s", o.RefundedCents, o.Status)
		}
		refund("evt_r3", fx.Order.TotalCents, true)
		if o := payReloadOrder(t, db, fx.Order.ID); o.RefundedCents != fx.Order.TotalCents || o.Status != models.OrderRefunded {
			t.Errorf("after full refund: %d cents, %s", o.RefundedCents, o.Status)
		}
	})
}

// payFakeGateway is an in-memory Stripe for the reconciliation and refunds.
type payFakeGateway struct {
	mu       sync.Mutex
	name     string
	sessions map[string]payments.SessionState
	down     bool
	refunds  []payments.RefundRequest
	gets     int
}

func newPayFakeGateway() *payFakeGateway {
	return &payFakeGateway{name: payments.NameStripe, sessions: map[string]payments.SessionState{}}
}

func (g *payFakeGateway) Name() string { return g.name }
func (g *payFakeGateway) CreateCheckout(context.Context, payments.CheckoutRequest) (payments.Checkout, error) {
	return payments.Checkout{}, errors.New("not used")
}
func (g *payFakeGateway) GetSession(_ context.Context, id string) (payments.SessionState, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gets++
	if g.down {
		return payments.SessionState{}, &payments.Error{Op: "get", Kind: payments.ErrUnavailable}
	}
	s, ok := g.sessions[id]
	if !ok {
		return payments.SessionState{}, &payments.Error{Op: "get", Kind: payments.ErrNotFound}
	}
	return s, nil
}
func (g *payFakeGateway) ExpireSession(context.Context, string) error { return nil }
func (g *payFakeGateway) Refund(_ context.Context, r payments.RefundRequest) (payments.RefundResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.down {
		return payments.RefundResult{}, &payments.Error{Op: "refund", Kind: payments.ErrUnavailable}
	}
	g.refunds = append(g.refunds, r)
	return payments.RefundResult{RefundID: fmt.Sprintf("re_%d", len(g.refunds)), AmountCents: r.AmountCents, Status: "succeeded"}, nil
}
func (g *payFakeGateway) ParseWebhook([]byte, string) (payments.Event, error) {
	return payments.Event{}, errors.New("not used")
}

// D8: a missed webhook is repaired by one run; a second run changes nothing.
func TestReconcile(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		paid := newPayFixture(t, db, payments.NameStripe)
		gone := newPayFixture(t, db, payments.NameStripe)
		open := newPayFixture(t, db, payments.NameStripe)
		gw := newPayFakeGateway()
		gw.sessions[*paid.Order.CheckoutSessionID] = *paid.session(payments.StatusComplete, payments.PaymentPaid)
		gw.sessions[*open.Order.CheckoutSessionID] = *open.session(payments.StatusOpen, payments.PaymentUnpaid)
		later := time.Now().Add(time.Hour)

		// Too young: nothing is read.
		if rep, err := models.Reconcile(ctx, db, gw, 2*time.Hour, later); err != nil || rep.Checked != 0 {
			t.Fatalf("young orders: %+v %v", rep, err)
		}
		gw.down = true
		if _, err := models.Reconcile(ctx, db, gw, 15*time.Minute, later); !errors.Is(err, payments.ErrUnavailable) {
			t.Fatalf("Stripe down: err = %v", err)
		}
		if o := payReloadOrder(t, db, paid.Order.ID); o.Status != models.OrderPendingPayment {
			t.Fatalf("Stripe down changed the order: %s", o.Status)
		}
		gw.down = false
		rep, err := models.Reconcile(ctx, db, gw, 15*time.Minute, later)
		if err != nil || rep.Applied != 2 {
			t.Fatalf("first run: %+v %v", rep, err)
		}
		if o := payReloadOrder(t, db, paid.Order.ID); o.Status != models.OrderPaid {
			t.Errorf("missed payment: %s, want paid", o.Status)
		}
		if o := payReloadOrder(t, db, gone.Order.ID); o.Status != models.OrderExpired || payStock(t, db, gone.Product.ID) != fixtureStock {
			t.Errorf("unknown session: %s, want expired with stock back", o.Status)
		}
		if o := payReloadOrder(t, db, open.Order.ID); o.Status != models.OrderPendingPayment {
			t.Errorf("open session: %s, want pending", o.Status)
		}
		before := payCount(t, db, &models.AuditEntry{}, "1 = 1")
		rep, err = models.Reconcile(ctx, db, gw, 15*time.Minute, later)
		if err != nil || rep.Applied != 0 {
			t.Errorf("second run: %+v %v", rep, err)
		}
		if after := payCount(t, db, &models.AuditEntry{}, "1 = 1"); after != before {
			t.Errorf("second run wrote %d audit entries", after-before)
		}
		if n := payCount(t, db, &models.OutboxEmail{}, "kind = ?", models.NoticeOrderPaid); n != 1 {
			t.Errorf("%d e-mails, want 1", n)
		}
	})
}

// Booth fee paid online: fee_paid exactly once, with one notice.
func TestApplyBoothFee(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		fx := newFairFixture(t, db, 1, 1)
		app := fx.Apps[0]
		must(t, db.Model(&models.Application{}).Where("id = ?", app.ID).Updates(map[string]any{"fee_state": models.FeeDue, "fee_cents": 45000, "stand_id": fx.Stands[0].ID}).Error)
		ev := func(id string, amount int64) payments.Event {
			return payments.Event{ID: id, Type: payments.EventCheckoutCompleted, Session: &payments.SessionState{
				SessionID: "cs_fee", Reference: models.FeeReference(app.ID), Status: payments.StatusComplete, PaymentStatus: payments.PaymentPaid,
				AmountTotal: amount, Currency: "eur", Metadata: map[string]string{"kind": models.FeeCheckoutKind}}}
		}
		payApply(t, db, ev("evt_f0", 100)) // wrong amount: not paid
		if a := reloadApp(t, db, app.ID); a.FeeState != models.FeeDue {
			t.Fatalf("wrong amount: fee %s", a.FeeState)
		}
		if !payApply(t, db, ev("evt_f1", 45000)) {
			t.Fatal("fee payment not applied")
		}
		payApply(t, db, ev("evt_f1", 45000))
		payApply(t, db, ev("evt_f2", 45000))
		if a := reloadApp(t, db, app.ID); a.FeeState != models.FeePaid || a.FeePaidAt == nil {
			t.Errorf("fee = %s", a.FeeState)
		}
		if n := payCount(t, db, &models.OutboxEmail{}, "kind = ?", models.NoticeFeePaid); n != 1 {
			t.Errorf("%d fee_paid e-mails, want 1", n)
		}
	})
}
