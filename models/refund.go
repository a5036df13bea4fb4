package models

// Refunds by organizers, in two phases so money is never given back twice:
//
//  1. one transaction locks the order, computes the amount from the database (what remains
//     of the line, or of the order) and inserts the refund row, or reuses the row of an
//     earlier attempt that never got an answer;
//  2. the gateway is called after commit with the idempotency key "refund:<code>:<row id>":
//     a retry after a timeout sends the same key, so Stripe refunds at most once;
//  3. a second transaction records the answer (gateway refund id, refunded amounts and
//     quantities, states, the buyer's notice). A definite refusal deletes the row; an
//     unreachable Stripe keeps it for the retry.
//
// Orders paid at the stand are refunded by hand at the stand: recorded the same way, with no
// API call.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/soukexpo/souk/payments"
	"gorm.io/gorm"
)

// RefundReasonMax bounds the organizer's reason for a refund, in characters.
const RefundReasonMax = 500

// refundableStatuses are the order states in which money was taken and may be given back.
var refundableStatuses = []OrderStatus{OrderPaid, OrderCompleted, OrderNeedsReview}

// RefundIdempotencyKey is the gateway idempotency key of one refund row.
func RefundIdempotencyKey(orderCode string, refundID int64) string {
	return "refund:" + orderCode + ":" + strconv.FormatInt(refundID, 10)
}

// RefundOrder gives back what remains of one line (lineID) or of the whole order (nil), for
// an organizer only (anyone else: ErrNotFound). Nothing left to refund, or an order not paid,
// is ErrInvalidState; a missing reason a ValidationError on "reason". A gateway failure is
// returned wrapped (payments.ErrUnavailable: try again, the same refund is retried).
func RefundOrder(ctx context.Context, db *gorm.DB, gw payments.Gateway, organizer User, orderCode string, lineID *int64, reason string, now time.Time) (Refund, error) {
	if err := requireOrganizer(organizer); err != nil {
		return Refund{}, err
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return Refund{}, fieldError("reason", "RefundReasonRequired")
	case utf8.RuneCountInString(reason) > RefundReasonMax:
		return Refund{}, fieldError("reason", "FieldTooLong")
	}

	// Phase 1: the refund row, its amount computed from the database.
	var (
		ref   Refund
		order Order
	)
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		o, err := lockOrder(ctx, tx, "code = ?", orderCode)
		if err != nil {
			return fmt.Errorf("refund order %s: %w", orderCode, err)
		}
		order = o
		if !containsStatus(refundableStatuses, o.Status) {
			return fmt.Errorf("refund order %s in state %s: %w", o.Code, o.Status, ErrInvalidState)
		}
		// An earlier attempt that got no answer is retried as it was (same key, same amount).
		q := tx.WithContext(ctx).Where("order_id = ? AND gateway_refund_id IS NULL", o.ID)
		if lineID != nil {
			q = q.Where("line_id = ?", *lineID)
		} else {
			q = q.Where("line_id IS NULL")
		}
		if err := q.Order("id").Take(&ref).Error; err == nil {
			return nil
		} else if !errors.Is(translateError(err), ErrNotFound) {
			return fmt.Errorf("read pending refunds of %s: %w", o.Code, translateError(err))
		}
		amount, err := refundableAmount(ctx, tx, o, lineID)
		if err != nil {
			return err
		}
		if amount <= 0 {
			return fmt.Errorf("refund order %s: nothing left to refund: %w", o.Code, ErrInvalidState)
		}
		ref = Refund{OrderID: o.ID, LineID: lineID, AmountCents: amount, Reason: reason, CreatedBy: &organizer.ID, CreatedAt: now}
		if err := tx.WithContext(ctx).Create(&ref).Error; err != nil {
			return fmt.Errorf("record refund of %s: %w", o.Code, translateError(err))
		}
		return RecordAudit(ctx, tx, organizer.ID, "order.refund_requested", "order", o.ID,
			map[string]any{"status": o.Status, "refunded_cents": o.RefundedCents},
			map[string]any{"refund_id": ref.ID, "line_id": lineID, "amount_cents": amount, "reason": reason})
	})
	if err != nil {
		return Refund{}, err
	}

	// Phase 2: the gateway, outside any transaction.
	var gatewayRefundID string
	if order.Gateway == payments.NameStand {
		gatewayRefundID = "stand:" + strconv.FormatInt(ref.ID, 10)
	} else {
		if order.PaymentIntentID == nil || gw == nil {
			_ = deletePendingRefund(ctx, db, ref.ID)
			return Refund{}, fmt.Errorf("refund order %s: no card payment recorded: %w", order.Code, ErrInvalidState)
		}
		res, err := gw.Refund(ctx, payments.RefundRequest{
			PaymentIntentID: *order.PaymentIntentID,
			AmountCents:     ref.AmountCents,
			IdempotencyKey:  RefundIdempotencyKey(order.Code, ref.ID),
			Reference:       order.Code,
			Reason:          "requested_by_customer",
		})
		if err != nil {
			if !errors.Is(err, payments.ErrUnavailable) {
				// Refused for good (already refunded, bad amount): this attempt is over.
				if derr := deletePendingRefund(ctx, db, ref.ID); derr != nil {
					err = errors.Join(err, derr)
				}
			}
			return Refund{}, fmt.Errorf("refund order %s: %w", order.Code, err)
		}
		gatewayRefundID = res.RefundID
	}

	// Phase 3: the answer.
	err = WithTx(ctx, db, func(tx *gorm.DB) error {
		return completeRefund(ctx, tx, organizer, ref, gatewayRefundID, now)
	})
	if err != nil {
		return Refund{}, err
	}
	ref.GatewayRefundID = &gatewayRefundID
	return ref, nil
}

func containsStatus(list []OrderStatus, s OrderStatus) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func deletePendingRefund(ctx context.Context, db *gorm.DB, refundID int64) error {
	if err := db.WithContext(ctx).Where("id = ? AND gateway_refund_id IS NULL", refundID).Delete(&Refund{}).Error; err != nil {
		return fmt.Errorf("drop refused refund %d: %w", refundID, translateError(err))
	}
	return nil
}

// refundableAmount is what remains to refund of a line or of the order, counting every
// refund row (pending ones too, so two organizers cannot refund the same euros).
func refundableAmount(ctx context.Context, tx *gorm.DB, o Order, lineID *int64) (int64, error) {
	var rows []Refund
	if err := tx.WithContext(ctx).Where("order_id = ?", o.ID).Find(&rows).Error; err != nil {
		return 0, fmt.Errorf("read refunds of %s: %w", o.Code, translateError(err))
	}
	var all int64
	perLine := map[int64]int64{}
	for _, r := range rows {
		all += r.AmountCents
		if r.LineID != nil {
			perLine[*r.LineID] += r.AmountCents
		}
	}
	orderLeft := o.TotalCents - max(all, o.RefundedCents)
	if lineID == nil {
		return orderLeft, nil
	}
	var l OrderLine
	if err := tx.WithContext(ctx).Where("id = ? AND order_id = ?", *lineID, o.ID).Take(&l).Error; err != nil {
		return 0, fmt.Errorf("line %d of order %s: %w", *lineID, o.Code, translateError(err))
	}
	lineLeft := l.UnitCents*int64(l.Quantity) - max(perLine[l.ID], l.RefundedCents)
	return min(lineLeft, orderLeft), nil
}

// completeRefund records a refund the gateway accepted (or one made by hand at the stand).
func completeRefund(ctx context.Context, tx *gorm.DB, organizer User, ref Refund, gatewayRefundID string, now time.Time) error {
	res := tx.WithContext(ctx).Model(&Refund{}).Where("id = ? AND gateway_refund_id IS NULL", ref.ID).
		Update("gateway_refund_id", gatewayRefundID)
	if res.Error != nil {
		return fmt.Errorf("record refund %d: %w", ref.ID, translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		return nil // recorded by a concurrent retry of the same refund
	}
	o, err := lockOrder(ctx, tx, "id = ?", ref.OrderID)
	if err != nil {
		return fmt.Errorf("reload order %d: %w", ref.OrderID, err)
	}
	var lines []OrderLine
	q := tx.WithContext(ctx).Where("order_id = ? AND refunded_quantity < quantity", o.ID)
	if ref.LineID != nil {
		q = q.Where("id = ?", *ref.LineID)
	}
	if err := q.Order("id").Find(&lines).Error; err != nil {
		return fmt.Errorf("read lines of %s: %w", o.Code, translateError(err))
	}
	var parts []OrderPart
	if err := tx.WithContext(ctx).Where("order_id = ?", o.ID).Find(&parts).Error; err != nil {
		return fmt.Errorf("read parts of %s: %w", o.Code, translateError(err))
	}
	partStatus := map[int64]PartStatus{}
	for _, p := range parts {
		partStatus[p.ID] = p.Status
	}
	for _, l := range lines {
		if err := tx.WithContext(ctx).Model(&OrderLine{}).Where("id = ?", l.ID).Updates(map[string]any{
			"refunded_quantity": l.Quantity, "refunded_cents": l.UnitCents * int64(l.Quantity),
		}).Error; err != nil {
			return fmt.Errorf("refund line %d: %w", l.ID, translateError(err))
		}
		// Pieces still held for the buyer go back on sale; handed-over or shipped ones don't.
		st := partStatus[l.PartID]
		if l.HoldsStock && o.HoldsReleasedAt == nil && (st == PartPending || st == PartToPrepare || st == PartReady) {
			if err := tx.WithContext(ctx).Model(&Product{}).Where("id = ?", l.ProductID).
				Update("stock", gorm.Expr("stock + ?", l.Quantity-l.RefundedQuantity)).Error; err != nil {
				return fmt.Errorf("restock product %d: %w", l.ProductID, translateError(err))
			}
		}
	}
	// Parts whose every line is refunded are refunded.
	if err := tx.WithContext(ctx).Model(&OrderPart{}).
		Where("order_id = ? AND status <> ? AND NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.part_id = order_parts.id AND l.refunded_quantity < l.quantity)", o.ID, PartRefunded).
		Updates(map[string]any{"status": PartRefunded, "updated_at": now}).Error; err != nil {
		return fmt.Errorf("refund parts of %s: %w", o.Code, translateError(err))
	}
	var confirmed int64
	if err := tx.WithContext(ctx).Model(&Refund{}).Where("order_id = ? AND gateway_refund_id IS NOT NULL", o.ID).
		Select("COALESCE(SUM(amount_cents), 0)").Scan(&confirmed).Error; err != nil {
		return fmt.Errorf("sum refunds of %s: %w", o.Code, translateError(err))
	}
	refunded := max(o.RefundedCents, min(confirmed, o.TotalCents))
	if _, err := recordRefundedAmount(ctx, tx, o, refunded, refunded >= o.TotalCents, now); err != nil {
		return err
	}
	if err := RecordAudit(ctx, tx, organizer.ID, "order.refunded", "order", o.ID,
		map[string]any{"refunded_cents": o.RefundedCents},
		map[string]any{"refund_id": ref.ID, "line_id": ref.LineID, "amount_cents": ref.AmountCents, "gateway_refund_id": gatewayRefundID}); err != nil {
		return err
	}
	return EnqueueNotice(ctx, tx, o.Email, o.Locale, NoticeOrderRefunded, map[string]string{
		"code": o.Code, "total_cents": strconv.FormatInt(o.TotalCents, 10), "gateway": o.Gateway,
		"amount_cents": strconv.FormatInt(ref.AmountCents, 10),
		"full":         strconv.FormatBool(refunded >= o.TotalCents),
	})
}

// ListOrderRefunds returns an order's refunds, oldest first (for the organizer's page).
func ListOrderRefunds(ctx context.Context, db *gorm.DB, orderID int64) ([]Refund, error) {
	var out []Refund
	if err := db.WithContext(ctx).Where("order_id = ?", orderID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list refunds of order %d: %w", orderID, translateError(err))
	}
	return out, nil
}

// ListOrderPaymentEvents returns the payment events stored for an order, oldest first.
func ListOrderPaymentEvents(ctx context.Context, db *gorm.DB, orderID int64) ([]StripeEvent, error) {
	var out []StripeEvent
	if err := db.WithContext(ctx).Where("order_id = ?", orderID).Order("received_at, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list payment events of order %d: %w", orderID, translateError(err))
	}
	return out, nil
}
