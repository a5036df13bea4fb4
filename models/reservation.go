package models

// Pay-at-the-stand reservations lapse with their fair: pieces nobody came to collect go back
// on sale once the fair is over, so an artisan's online stock does not stay held by an order
// that will never be paid.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// NoticeOrderUncollected tells the buyer that pieces reserved for pickup were not collected
// and are back on sale.
const NoticeOrderUncollected = "order_uncollected"

// ReservationGrace is how long a pay-at-the-stand reservation still holds its pieces after
// the day following its fair's last day: fair dates carry no time zone, so a whole extra day
// covers the fair's own day wherever it is held.
const ReservationGrace = 24 * time.Hour

// reservationLapsed tells whether pieces reserved for pickup at a fair ending on endsOn are no
// longer held at now.
func reservationLapsed(endsOn, now time.Time) bool {
	return !now.Before(endsOn.Truncate(24 * time.Hour).Add(24*time.Hour + ReservationGrace))
}

// LapsedReservations is what ReleaseLapsedReservations did.
type LapsedReservations struct {
	Expired   int // orders with nothing collected: expired, every hold given back
	Completed int // orders partly collected: the rest cancelled, the order completed
}

// ReleaseLapsedReservations ends the pay-at-the-stand orders whose uncollected parts all
// belong to fairs that are over (see ReservationGrace): an order with nothing collected
// expires and gives its stock back exactly once; an order partly collected has its
// uncollected parts cancelled, their stock given back line by line exactly once, its total
// reduced to what was collected, and is completed. The buyer gets one e-mail either way.
// Each order is handled in its own transaction under a row lock, so a hand-over at the same
// moment either happens first (and counts) or finds the part cancelled.
func ReleaseLapsedReservations(ctx context.Context, db *gorm.DB, now time.Time) (LapsedReservations, error) {
	var out LapsedReservations
	var rows []struct {
		OrderID int64
		EndsOn  time.Time
	}
	err := db.WithContext(ctx).Table("order_parts p").Select("p.order_id, f.ends_on").
		Joins("JOIN orders o ON o.id = p.order_id").Joins("JOIN fairs f ON f.id = p.fair_id").
		Where("o.gateway = ? AND o.status = ? AND p.status IN ?", gatewayStand, OrderPendingPayment, []PartStatus{PartToPrepare, PartReady}).
		Order("p.order_id").Scan(&rows).Error
	if err != nil {
		return out, fmt.Errorf("list open reservations: %w", translateError(err))
	}
	// Dates compare reliably in Go on both databases; an order lapses when all its open parts do.
	lapsed := map[int64]bool{}
	var ids []int64
	for _, r := range rows {
		was, seen := lapsed[r.OrderID]
		if !seen {
			ids = append(ids, r.OrderID)
			was = true
		}
		lapsed[r.OrderID] = was && reservationLapsed(r.EndsOn, now)
	}
	var errs []error
	for _, id := range ids {
		if !lapsed[id] {
			continue
		}
		var completed, changed bool
		err := WithTx(ctx, db, func(tx *gorm.DB) error {
			var err error
			changed, completed, err = releaseLapsedOrder(ctx, tx, id, now)
			return err
		})
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("order %d: %w", id, err))
		case changed && completed:
			out.Completed++
		case changed:
			out.Expired++
		}
	}
	return out, errors.Join(errs...)
}

// releaseLapsedOrder ends one lapsed reservation (see ReleaseLapsedReservations) inside tx.
func releaseLapsedOrder(ctx context.Context, tx *gorm.DB, orderID int64, now time.Time) (changed, completed bool, err error) {
	o, err := lockOrder(ctx, tx, "id = ?", orderID)
	if err != nil {
		return false, false, fmt.Errorf("lock order: %w", err)
	}
	if o.Gateway != gatewayStand || o.Status != OrderPendingPayment {
		return false, false, nil // paid, cancelled or completed meanwhile
	}
	var parts []OrderPart
	if err := tx.WithContext(ctx).Where("order_id = ?", o.ID).Order("id").Find(&parts).Error; err != nil {
		return false, false, fmt.Errorf("parts of order %s: %w", o.Code, translateError(err))
	}
	var open []int64
	var openCents int64
	collected := false
	for _, p := range parts {
		switch p.Status {
		case PartToPrepare, PartReady:
			open, openCents = append(open, p.ID), openCents+p.ItemsCents
		case PartPickedUp, PartDelivered:
			collected = true
		}
	}
	if len(open) == 0 {
		return false, false, nil
	}
	res := tx.WithContext(ctx).Model(&OrderPart{}).Where("id IN ? AND status IN ?", open, []PartStatus{PartToPrepare, PartReady}).
		Updates(map[string]any{"status": PartCancelled, "updated_at": now})
	if res.Error != nil {
		return false, false, fmt.Errorf("cancel uncollected parts of order %s: %w", o.Code, translateError(res.Error))
	}
	if res.RowsAffected != int64(len(open)) {
		return false, false, fmt.Errorf("parts of order %s changed meanwhile: %w", o.Code, ErrConflict)
	}
	if !collected {
		if _, err := endPendingOrder(ctx, tx, o, OrderExpired, now); err != nil {
			return false, false, err
		}
	} else {
		if err := releasePartHolds(ctx, tx, o.ID, open, now); err != nil {
			return false, false, err
		}
		// What the buyer owes is what they collected (pay-at-the-stand orders ship nothing).
		if err := tx.WithContext(ctx).Model(&Order{}).Where("id = ?", o.ID).Updates(map[string]any{
			"items_cents": gorm.Expr("items_cents - ?", openCents), "total_cents": gorm.Expr("total_cents - ?", openCents), "updated_at": now,
		}).Error; err != nil {
			return false, false, fmt.Errorf("reduce total of order %s: %w", o.Code, translateError(err))
		}
		done, err := completeOrderIfDone(ctx, tx, 0, o.ID, now)
		if err != nil {
			return false, false, err
		}
		if !done {
			return false, false, fmt.Errorf("complete order %s: %w", o.Code, ErrConflict)
		}
		completed = true
	}
	if err := RecordAudit(ctx, tx, 0, "order.reservation_lapsed", "order", o.ID,
		map[string]any{"status": o.Status}, map[string]any{"cancelled_parts": open, "completed": completed}); err != nil {
		return false, false, err
	}
	if err := EnqueueNotice(ctx, tx, o.Email, o.Locale, NoticeOrderUncollected, map[string]string{
		"code": o.Code, "name": o.Name, "partly": strconv.FormatBool(collected),
	}); err != nil {
		return false, false, err
	}
	return true, completed, nil
}

// releasePartHolds gives back the stock of the lines of some parts of an order, each line
// exactly once: its holds_stock flag is cleared by a conditional update and only the update
// that took adds the pieces back (a later ReleaseOrderHolds skips the line).
func releasePartHolds(ctx context.Context, tx *gorm.DB, orderID int64, partIDs []int64, now time.Time) error {
	var lines []OrderLine
	if err := tx.WithContext(ctx).Where("order_id = ? AND part_id IN ? AND holds_stock = ?", orderID, partIDs, true).
		Order("product_id").Find(&lines).Error; err != nil {
		return fmt.Errorf("lines of order %d: %w", orderID, translateError(err))
	}
	for _, l := range lines {
		res := tx.WithContext(ctx).Model(&OrderLine{}).Where("id = ? AND holds_stock = ?", l.ID, true).Update("holds_stock", false)
		if res.Error != nil {
			return fmt.Errorf("release line %d: %w", l.ID, translateError(res.Error))
		}
		if res.RowsAffected != 1 {
			continue
		}
		if qty := l.Quantity - l.RefundedQuantity; qty > 0 {
			if err := tx.WithContext(ctx).Model(&Product{}).Where("id = ?", l.ProductID).
				Updates(map[string]any{"stock": gorm.Expr("stock + ?", qty), "updated_at": now}).Error; err != nil {
				return fmt.Errorf("give back product %d: %w", l.ProductID, translateError(err))
			}
		}
	}
	return nil
}
