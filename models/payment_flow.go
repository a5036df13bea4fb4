package models

// Payment events (Stripe webhooks and the reconciliation job) applied to orders and booth
// fees. Events say only that something happened; they arrive late, twice, and in any order.
// So each one is stored by id in the transaction of its effect (a duplicate does nothing)
// and moves an order only forward:
//
//	pending_payment ──paid──▶ paid            (stock held since checkout)
//	pending_payment ──expired/failed──▶ expired / cancelled (holds released once)
//	expired/cancelled ──paid──▶ paid          (stock held again if still there)
//	                          └▶ needs_review (stock gone: an organizer refunds)
//
// A paid order is never un-paid by a later expired or failed event, so every delivery order
// of {completed, async_succeeded, expired} ends in the same state with the stock conserved.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/soukexpo/souk/payments"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Notice kinds sent to buyers by the payment flow.
const (
	NoticeOrderPaid     = "order_paid"
	NoticeOrderRefunded = "order_refunded"
	NoticeOrderExpired  = "order_expired"
)

// FeeReferencePrefix starts the checkout reference of a booth fee: "FEE-<application id>".
const FeeReferencePrefix = "FEE-"

// FeeCheckoutKind is the metadata "kind" of a booth-fee checkout.
const FeeCheckoutKind = "booth_fee"

// paidStatuses are the order states reached once money was taken: no event leaves them
// except a refund.
var paidStatuses = []OrderStatus{OrderPaid, OrderCompleted, OrderRefunded, OrderNeedsReview}

func isPaidStatus(s OrderStatus) bool {
	for _, p := range paidStatuses {
		if s == p {
			return true
		}
	}
	return false
}

// ApplyCheckoutEvent applies one verified payment event in one transaction with its record
// in stripe_events. It returns applied=false, nil for a duplicate (the id is known: nothing
// changes) and for events about no known order; ErrUnavailable when the database is down
// (the caller answers 5xx so Stripe retries; nothing was stored).
func ApplyCheckoutEvent(ctx context.Context, db *gorm.DB, ev payments.Event, now time.Time) (applied bool, err error) {
	if ev.ID == "" {
		return false, errors.New("apply payment event: event has no id")
	}
	err = WithTx(ctx, db, func(tx *gorm.DB) error {
		rec := StripeEvent{ID: ev.ID, Type: ev.Type, ReceivedAt: now}
		if err := tx.WithContext(ctx).Create(&rec).Error; err != nil {
			if err = translateError(err); errors.Is(err, ErrConflict) {
				return errDuplicateEvent
			}
			return fmt.Errorf("record event %s: %w", ev.ID, err)
		}
		var (
			orderID *int64
			err     error
		)
		switch {
		case ev.Session != nil && isFeeSession(*ev.Session):
			applied, err = applyFeeEvent(ctx, tx, ev, now)
		case ev.Session != nil:
			orderID, applied, err = applySessionEvent(ctx, tx, ev, now)
		case ev.Refund != nil:
			orderID, applied, err = applyChargeRefunded(ctx, tx, *ev.Refund, now)
		}
		if err != nil {
			return err
		}
		if orderID != nil {
			if err := tx.WithContext(ctx).Model(&StripeEvent{}).Where("id = ?", ev.ID).Update("order_id", *orderID).Error; err != nil {
				return fmt.Errorf("link event %s: %w", ev.ID, translateError(err))
			}
		}
		return nil
	})
	if errors.Is(err, errDuplicateEvent) {
		// The same event id was stored by a concurrent or earlier delivery: its effect exists.
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("apply payment event %s (%s): %w", ev.ID, ev.Type, err)
	}
	return applied, nil
}

// errDuplicateEvent rolls back the transaction of an event id already stored.
var errDuplicateEvent = errors.New("event already applied")

func isFeeSession(s payments.SessionState) bool {
	return s.Metadata["kind"] == FeeCheckoutKind || strings.HasPrefix(s.Reference, FeeReferencePrefix)
}

// lockOrder reads an order for update (PostgreSQL row lock; SQLite transactions are already
// exclusive).
func lockOrder(ctx context.Context, tx *gorm.DB, where string, args ...any) (Order, error) {
	q := tx.WithContext(ctx)
	if Dialect(tx) == DialectPostgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var o Order
	if err := q.Where(where, args...).Take(&o).Error; err != nil {
		return Order{}, translateError(err)
	}
	return o, nil
}

// findSessionOrder finds the order of a checkout session: by its code (client_reference_id),
// else by the stored session id.
func findSessionOrder(ctx context.Context, tx *gorm.DB, s payments.SessionState) (Order, error) {
	if s.Reference != "" {
		o, err := lockOrder(ctx, tx, "code = ?", s.Reference)
		if err == nil || !errors.Is(err, ErrNotFound) {
			return o, err
		}
	}
	if s.SessionID == "" {
		return Order{}, ErrNotFound
	}
	return lockOrder(ctx, tx, "checkout_session_id = ?", s.SessionID)
}

func applySessionEvent(ctx context.Context, tx *gorm.DB, ev payments.Event, now time.Time) (*int64, bool, error) {
	s := *ev.Session
	o, err := findSessionOrder(ctx, tx, s)
	if errors.Is(err, ErrNotFound) {
		slog.WarnContext(ctx, "payment event for no known order", slog.String("event", ev.ID), slog.String("reference", s.Reference), slog.String("session", s.SessionID))
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("find order of session %s: %w", s.SessionID, err)
	}
	if o.Gateway != payments.NameStripe {
		return &o.ID, false, nil
	}
	// An event about an older attempt's session may still report a payment (money taken
	// must be honoured) but must not close the current attempt.
	current := o.CheckoutSessionID == nil || *o.CheckoutSessionID == s.SessionID
	switch {
	case (ev.Type == payments.EventCheckoutCompleted && s.PaymentStatus == payments.PaymentPaid) ||
		ev.Type == payments.EventCheckoutAsyncSucceeded:
		ok, err := markOrderPaid(ctx, tx, o, s, ev.ID, now)
		return &o.ID, ok, err
	case ev.Type == payments.EventCheckoutExpired && current:
		ok, err := closeUnpaidOrder(ctx, tx, o, OrderExpired, ev.ID, now)
		return &o.ID, ok, err
	case ev.Type == payments.EventCheckoutAsyncFailed && current:
		// The session is complete: this bank debit failed and nothing more can be paid on it.
		ok, err := closeUnpaidOrder(ctx, tx, o, OrderCancelled, ev.ID, now)
		return &o.ID, ok, err
	}
	// completed but unpaid (an async method still settling), or about an old session.
	return &o.ID, false, nil
}

// markOrderPaid records the payment of o: paid with its stock held, or needs_review when
// the amount differs or the stock released meanwhile is gone. A paid order stays as it is.
func markOrderPaid(ctx context.Context, tx *gorm.DB, o Order, s payments.SessionState, eventID string, now time.Time) (bool, error) {
	if isPaidStatus(o.Status) {
		return false, nil
	}
	to := OrderPaid
	reason := ""
	if s.AmountTotal != o.TotalCents || !strings.EqualFold(s.Currency, o.Currency) {
		to, reason = OrderNeedsReview, "amount_mismatch"
	} else if o.HoldsReleasedAt != nil {
		held, err := reholdOrderStock(ctx, tx, o.ID)
		if err != nil {
			return false, err
		}
		if !held {
			to, reason = OrderNeedsReview, "stock_gone"
		}
	}
	cols := map[string]any{"status": to, "paid_at": now, "closed_at": nil, "updated_at": now}
	if s.PaymentIntentID != "" {
		cols["payment_intent_id"] = s.PaymentIntentID
	}
	res := tx.WithContext(ctx).Model(&Order{}).Where("id = ? AND status = ?", o.ID, o.Status).Updates(cols)
	if res.Error != nil {
		return false, fmt.Errorf("mark order %s paid: %w", o.Code, translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		return false, fmt.Errorf("order %s changed meanwhile: %w", o.Code, ErrConflict)
	}
	if to == OrderPaid {
		if err := tx.WithContext(ctx).Model(&OrderPart{}).
			Where("order_id = ? AND status IN ?", o.ID, []PartStatus{PartPending, PartCancelled}).
			Updates(map[string]any{"status": PartToPrepare, "updated_at": now}).Error; err != nil {
			return false, fmt.Errorf("open parts of order %s: %w", o.Code, translateError(err))
		}
	}
	if err := RecordAudit(ctx, tx, 0, "order.paid", "order", o.ID,
		map[string]any{"status": o.Status},
		map[string]any{"status": to, "event": eventID, "session": s.SessionID, "amount_cents": s.AmountTotal, "reason": reason}); err != nil {
		return false, err
	}
	if to == OrderPaid {
		if err := notifyArtisansToPrepare(ctx, tx, o.ID); err != nil {
			return false, err
		}
		if err := EnqueueNotice(ctx, tx, o.Email, o.Locale, NoticeOrderPaid, map[string]string{
			"code": o.Code, "total_cents": strconv.FormatInt(o.TotalCents, 10), "gateway": o.Gateway,
		}); err != nil {
			return false, err
		}
	}
	return true, nil
}

// reholdOrderStock takes again the stock released from an order that was paid after all:
// every line's conditional decrement, or none of them (stock never goes negative).
func reholdOrderStock(ctx context.Context, tx *gorm.DB, orderID int64) (bool, error) {
	var lines []OrderLine
	if err := tx.WithContext(ctx).Where("order_id = ? AND holds_stock = ?", orderID, true).Order("product_id, id").Find(&lines).Error; err != nil {
		return false, fmt.Errorf("read lines of order %d: %w", orderID, translateError(err))
	}
	var taken []OrderLine
	giveBack := func() error {
		for _, l := range taken {
			if err := tx.WithContext(ctx).Model(&Product{}).Where("id = ?", l.ProductID).
				Update("stock", gorm.Expr("stock + ?", l.Quantity)).Error; err != nil {
				return fmt.Errorf("give back stock of product %d: %w", l.ProductID, translateError(err))
			}
		}
		return nil
	}
	for _, l := range lines {
		l.Quantity -= l.RefundedQuantity // as ReleaseOrderHolds gave back
		if l.Quantity <= 0 {
			continue
		}
		res := tx.WithContext(ctx).Model(&Product{}).Where("id = ? AND stock >= ?", l.ProductID, l.Quantity).
			Update("stock", gorm.Expr("stock - ?", l.Quantity))
		if res.Error != nil {
			return false, fmt.Errorf("hold stock of product %d again: %w", l.ProductID, translateError(res.Error))
		}
		if res.RowsAffected != 1 {
			return false, giveBack()
		}
		taken = append(taken, l)
	}
	res := tx.WithContext(ctx).Model(&Order{}).Where("id = ? AND holds_released_at IS NOT NULL", orderID).
		Update("holds_released_at", nil)
	if res.Error != nil {
		return false, fmt.Errorf("hold order %d again: %w", orderID, translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		return false, fmt.Errorf("holds of order %d changed meanwhile: %w", orderID, ErrConflict)
	}
	return true, nil
}

// closeUnpaidOrder ends a pending order (expired or cancelled) and gives its stock back
// exactly once. Any other state is left alone.
func closeUnpaidOrder(ctx context.Context, tx *gorm.DB, o Order, to OrderStatus, eventID string, now time.Time) (bool, error) {
	if o.Status != OrderPendingPayment {
		return false, nil
	}
	released, err := endPendingOrder(ctx, tx, o, to, now)
	if err != nil {
		return false, err
	}
	if err := RecordAudit(ctx, tx, 0, "order."+string(to), "order", o.ID,
		map[string]any{"status": o.Status},
		map[string]any{"status": to, "event": eventID, "holds_released": released}); err != nil {
		return false, err
	}
	if to == OrderExpired {
		// The buyer learns the pieces were put back on sale, not just silence.
		if err := EnqueueNotice(ctx, tx, o.Email, o.Locale, NoticeOrderExpired, map[string]string{
			"code": o.Code, "name": o.Name, "total_cents": fmt.Sprint(o.TotalCents),
		}); err != nil {
			return false, err
		}
	}
	return true, nil
}

// endPendingOrder moves a pending order to to (expired, cancelled) by a conditional update,
// cancels its parts still waiting for payment and gives its stock back exactly once.
func endPendingOrder(ctx context.Context, tx *gorm.DB, o Order, to OrderStatus, now time.Time) (released bool, err error) {
	res := tx.WithContext(ctx).Model(&Order{}).Where("id = ? AND status = ?", o.ID, OrderPendingPayment).
		Updates(map[string]any{"status": to, "closed_at": now, "updated_at": now})
	if res.Error != nil {
		return false, fmt.Errorf("close order %s: %w", o.Code, translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		return false, fmt.Errorf("order %s changed meanwhile: %w", o.Code, ErrConflict)
	}
	if err := tx.WithContext(ctx).Model(&OrderPart{}).Where("order_id = ? AND status = ?", o.ID, PartPending).
		Updates(map[string]any{"status": PartCancelled, "updated_at": now}).Error; err != nil {
		return false, fmt.Errorf("cancel parts of order %s: %w", o.Code, translateError(err))
	}
	released, err = ReleaseOrderHolds(ctx, tx, o.ID, now)
	if err != nil {
		return false, fmt.Errorf("release holds of order %s: %w", o.Code, err)
	}
	return released, nil
}

// applyChargeRefunded records a refund seen by Stripe (ours or one made in its dashboard):
// the refunded amount only grows, and the order is refunded once it is refunded in full.
func applyChargeRefunded(ctx context.Context, tx *gorm.DB, r payments.ChargeRefund, now time.Time) (*int64, bool, error) {
	var (
		o   Order
		err error
	)
	if r.PaymentIntentID != "" {
		o, err = lockOrder(ctx, tx, "payment_intent_id = ?", r.PaymentIntentID)
	} else {
		err = ErrNotFound
	}
	if errors.Is(err, ErrNotFound) && r.Reference != "" {
		o, err = lockOrder(ctx, tx, "code = ?", r.Reference)
	}
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("find order of charge %s: %w", r.ChargeID, err)
	}
	refunded := max(o.RefundedCents, min(r.AmountRefunded, o.TotalCents))
	full := r.FullyRefunded || refunded >= o.TotalCents
	ok, err := recordRefundedAmount(ctx, tx, o, refunded, full, now)
	return &o.ID, ok, err
}

// recordRefundedAmount raises an order's refunded amount and, when full, moves a paid order
// and its open parts to refunded. It never lowers anything.
func recordRefundedAmount(ctx context.Context, tx *gorm.DB, o Order, refunded int64, full bool, now time.Time) (bool, error) {
	cols := map[string]any{"updated_at": now}
	changed := false
	if refunded > o.RefundedCents {
		cols["refunded_cents"] = refunded
		changed = true
	}
	becomesRefunded := full && isPaidStatus(o.Status) && o.Status != OrderRefunded
	if becomesRefunded {
		cols["status"] = OrderRefunded
		cols["closed_at"] = now
		changed = true
	}
	if !changed {
		return false, nil
	}
	res := tx.WithContext(ctx).Model(&Order{}).Where("id = ? AND status = ? AND refunded_cents = ?", o.ID, o.Status, o.RefundedCents).Updates(cols)
	if res.Error != nil {
		return false, fmt.Errorf("record refund of order %s: %w", o.Code, translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		return false, fmt.Errorf("order %s changed meanwhile: %w", o.Code, ErrConflict)
	}
	if becomesRefunded {
		if err := tx.WithContext(ctx).Model(&OrderPart{}).Where("order_id = ? AND status <> ?", o.ID, PartRefunded).
			Updates(map[string]any{"status": PartRefunded, "updated_at": now}).Error; err != nil {
			return false, fmt.Errorf("refund parts of order %s: %w", o.Code, translateError(err))
		}
	}
	after := map[string]any{"refunded_cents": refunded}
	if becomesRefunded {
		after["status"] = OrderRefunded
	}
	if err := RecordAudit(ctx, tx, 0, "order.refund_recorded", "order", o.ID,
		map[string]any{"status": o.Status, "refunded_cents": o.RefundedCents}, after); err != nil {
		return false, err
	}
	return true, nil
}

// FeeReference is the checkout reference of an application's booth fee.
func FeeReference(appID int64) string { return FeeReferencePrefix + strconv.FormatInt(appID, 10) }

// applyFeeEvent moves a booth fee to fee_paid exactly once (from fee_due) when its checkout
// is paid with the right amount; other events about fees change nothing.
func applyFeeEvent(ctx context.Context, tx *gorm.DB, ev payments.Event, now time.Time) (bool, error) {
	s := *ev.Session
	paid := (ev.Type == payments.EventCheckoutCompleted && s.PaymentStatus == payments.PaymentPaid) ||
		ev.Type == payments.EventCheckoutAsyncSucceeded
	if !paid {
		return false, nil
	}
	appID, err := strconv.ParseInt(strings.TrimPrefix(s.Reference, FeeReferencePrefix), 10, 64)
	if err != nil {
		slog.WarnContext(ctx, "booth fee event with a bad reference", slog.String("event", ev.ID), slog.String("reference", s.Reference))
		return false, nil //nolint:nilerr // not ours to apply: acknowledged, so Stripe stops retrying it
	}
	var app Application
	if err := tx.WithContext(ctx).Where("id = ?", appID).Take(&app).Error; err != nil {
		if errors.Is(translateError(err), ErrNotFound) {
			return false, nil
		}
		return false, fmt.Errorf("read application %d: %w", appID, translateError(err))
	}
	if app.FeeState != FeeDue {
		return false, nil // paid already, covered, or no longer due: an organizer sees the audit
	}
	if s.AmountTotal != app.FeeCents || !strings.EqualFold(s.Currency, "eur") {
		return false, RecordAudit(ctx, tx, 0, "application.fee_payment_mismatch", "application", appID,
			map[string]any{"fee_cents": app.FeeCents}, map[string]any{"amount_cents": s.AmountTotal, "currency": s.Currency, "event": ev.ID})
	}
	res := tx.WithContext(ctx).Model(&Application{}).Where("id = ? AND fee_state = ?", appID, FeeDue).
		Updates(map[string]any{"fee_state": FeePaid, "fee_paid_at": now, "fee_note": "Stripe " + s.SessionID, "updated_at": now})
	if res.Error != nil {
		return false, fmt.Errorf("mark fee of application %d paid: %w", appID, translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		return false, fmt.Errorf("application %d changed meanwhile: %w", appID, ErrConflict)
	}
	if err := RecordAudit(ctx, tx, 0, "application.fee_paid", "application", appID,
		map[string]any{"fee_state": app.FeeState},
		map[string]any{"fee_state": FeePaid, "fee_cents": app.FeeCents, "via": "stripe", "event": ev.ID, "session": s.SessionID}); err != nil {
		return false, err
	}
	var fair Fair
	if err := tx.WithContext(ctx).Select("id", "name").Where("id = ?", app.FairID).Take(&fair).Error; err != nil {
		return false, fmt.Errorf("read fair %d: %w", app.FairID, translateError(err))
	}
	return true, notifyArtisan(ctx, tx, app.ArtisanID, NoticeFeePaid, map[string]string{
		"fair": fair.Name, "stand": standCode(ctx, tx, app.StandID), "fee_cents": strconv.FormatInt(app.FeeCents, 10),
	})
}

// ReconcileReport counts what one reconciliation run did.
type ReconcileReport struct {
	Checked, Applied int
}

// reconcileBatch bounds the sessions re-read by one run.
const reconcileBatch = 100

// Reconcile re-reads the checkout sessions of Stripe orders pending for longer than olderThan
// and applies what they say through ApplyCheckoutEvent, under a synthetic event id
// ("reconcile:<session>:<state>") so a second run changes nothing. A session Stripe no longer
// knows expires the order; an unreachable Stripe stops the run (the next run tries again).
func Reconcile(ctx context.Context, db *gorm.DB, gw payments.Gateway, olderThan time.Duration, now time.Time) (ReconcileReport, error) {
	var rep ReconcileReport
	if gw == nil || gw.Name() != payments.NameStripe {
		return rep, nil
	}
	var orders []Order
	if err := db.WithContext(ctx).
		Where("status = ? AND gateway = ? AND created_at < ?", OrderPendingPayment, payments.NameStripe, now.Add(-olderThan)).
		Order("created_at").Limit(reconcileBatch).Find(&orders).Error; err != nil {
		return rep, fmt.Errorf("list pending orders: %w", translateError(err))
	}
	for _, o := range orders {
		rep.Checked++
		var ev payments.Event
		if o.CheckoutSessionID == nil {
			// The session was never opened (Stripe unreachable at checkout): nothing can be
			// paid, so the holds go back.
			ev = payments.Event{ID: "reconcile:" + o.Code + ":no_session", Type: payments.EventCheckoutExpired,
				Session: &payments.SessionState{Reference: o.Code}}
		} else {
			st, err := gw.GetSession(ctx, *o.CheckoutSessionID)
			switch {
			case errors.Is(err, payments.ErrNotFound):
				st = payments.SessionState{SessionID: *o.CheckoutSessionID, Reference: o.Code, Status: payments.StatusExpired}
			case errors.Is(err, payments.ErrUnavailable):
				return rep, fmt.Errorf("reconcile order %s: %w", o.Code, err)
			case err != nil:
				slog.WarnContext(ctx, "reconcile: cannot read session", slog.String("order", o.Code), slog.Any("error", err))
				continue
			}
			if st.Reference == "" {
				st.Reference = o.Code
			}
			typ := ""
			switch {
			case st.PaymentStatus == payments.PaymentPaid:
				typ = payments.EventCheckoutCompleted
			case st.Status == payments.StatusExpired:
				typ = payments.EventCheckoutExpired
			default:
				continue // still open, or an async payment still settling
			}
			state := st.Status + "_" + st.PaymentStatus
			ev = payments.Event{ID: "reconcile:" + *o.CheckoutSessionID + ":" + state, Type: typ, Created: now, Session: &st}
		}
		applied, err := ApplyCheckoutEvent(ctx, db, ev, now)
		if err != nil {
			return rep, err
		}
		if applied {
			rep.Applied++
		}
	}
	return rep, nil
}

// StartFeeCheckout opens a new online payment attempt for the booth fee of the artisan's own
// application (someone else's: ErrNotFound; a fee not due: ErrInvalidState). It returns the
// application, its previous checkout session ("" when none) and the new attempt number.
func StartFeeCheckout(ctx context.Context, db *gorm.DB, artisanUserID, appID int64, now time.Time) (ApplicationDetail, string, int, error) {
	d, err := GetArtisanApplication(ctx, db, artisanUserID, appID)
	if err != nil {
		return ApplicationDetail{}, "", 0, fmt.Errorf("pay fee of application %d: %w", appID, err)
	}
	if d.FeeState != FeeDue || d.FeeCents <= 0 {
		return d, "", 0, fmt.Errorf("pay fee of application %d in fee state %s: %w", appID, d.FeeState, ErrInvalidState)
	}
	res := db.WithContext(ctx).Model(&Application{}).
		Where("id = ? AND fee_state = ? AND fee_attempt = ?", appID, FeeDue, d.FeeAttempt).
		Updates(map[string]any{"fee_attempt": d.FeeAttempt + 1, "updated_at": now})
	if res.Error != nil {
		return d, "", 0, fmt.Errorf("pay fee of application %d: %w", appID, translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		return d, "", 0, fmt.Errorf("fee of application %d changed meanwhile: %w", appID, ErrConflict)
	}
	return d, deref(d.FeeCheckoutSessionID), d.FeeAttempt + 1, nil
}

// SetFeeCheckoutSession stores the session of a booth-fee attempt, unless a newer attempt
// started or the fee got paid meanwhile.
func SetFeeCheckoutSession(ctx context.Context, db *gorm.DB, appID int64, attempt int, sessionID string, now time.Time) error {
	res := db.WithContext(ctx).Model(&Application{}).
		Where("id = ? AND fee_state = ? AND fee_attempt = ?", appID, FeeDue, attempt).
		Updates(map[string]any{"fee_checkout_session_id": sessionID, "updated_at": now})
	if res.Error != nil {
		return fmt.Errorf("store fee session of application %d: %w", appID, translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("fee of application %d changed meanwhile: %w", appID, ErrConflict)
	}
	return nil
}
