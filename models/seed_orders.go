package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// demoOrder is one demo order of visitor@souk.test, with a fixed code so seeding twice adds
// nothing.
type demoOrder struct {
	code        string
	artisanSlug string
	status      OrderStatus
	gateway     string
	part        PartStatus
	fulfilment  Fulfilment
	tracking    string
	qty         int
}

var demoOrders = []demoOrder{
	// Paid online, to pick up at stand B2 of the upcoming demo fair: fills the packing list.
	{code: "SX-DEMO2P", artisanSlug: "atelier-bennani-zellige", status: OrderPaid, gateway: "stripe", part: PartToPrepare, fulfilment: FulfilPickup, qty: 1},
	// Shipped to Brussels with a tracking number.
	{code: "SX-DEMO3S", artisanSlug: "dar-tetouan-broderie", status: OrderPaid, gateway: "stripe", part: PartShipped, fulfilment: FulfilShipping, tracking: "BE-DEMO-7731045", qty: 1},
	// Waiting for its card payment (stock held).
	{code: "SX-DEMO4W", artisanSlug: "atelier-bennani-zellige", status: OrderPendingPayment, gateway: "stripe", part: PartPending, fulfilment: FulfilPickup, qty: 1},
}

// SeedDemoOrders adds the demo orders of visitor@souk.test (after SeedDemoFair and the demo
// catalog): one paid with pickup at a stand of the demo fair, one shipped, one pending. It is
// idempotent and skips an order whose artisan, product or stock is missing.
func SeedDemoOrders(ctx context.Context, db *gorm.DB) (int, error) {
	added := 0
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		added = 0
		var visitor User
		if err := tx.WithContext(ctx).Where("email = ?", "visitor@souk.test").Take(&visitor).Error; err != nil {
			return nil //nolint:nilerr // no demo visitor: nothing to seed
		}
		var fair Fair
		if err := tx.WithContext(ctx).Where("slug = ?", demoFairSlug).Take(&fair).Error; err != nil {
			return nil //nolint:nilerr // no demo fair: nothing to seed
		}
		for i, d := range demoOrders {
			ok, err := seedDemoOrder(ctx, tx, visitor, fair, d, time.Now().UTC().Add(-time.Duration(len(demoOrders)-i)*26*time.Hour))
			if err != nil {
				return err
			}
			if ok {
				added++
			}
		}
		return nil
	})
	return added, err
}

func seedDemoOrder(ctx context.Context, tx *gorm.DB, visitor User, fair Fair, d demoOrder, at time.Time) (bool, error) {
	var n int64
	if err := tx.WithContext(ctx).Model(&Order{}).Where("code = ?", d.code).Count(&n).Error; err != nil {
		return false, fmt.Errorf("demo order %s: %w", d.code, translateError(err))
	}
	if n > 0 {
		return false, nil
	}
	var a Artisan
	if err := tx.WithContext(ctx).Where("slug = ?", d.artisanSlug).Take(&a).Error; err != nil {
		if errors.Is(translateError(err), ErrNotFound) {
			return false, nil
		}
		return false, fmt.Errorf("demo order %s: %w", d.code, translateError(err))
	}
	var p Product
	q := tx.WithContext(ctx).Where("artisan_id = ? AND status = ? AND stock >= ? AND made_to_order = ?", a.ID, ProductPublished, d.qty, false)
	if d.fulfilment == FulfilPickup {
		q = q.Where("pickup_at_fair = ?", true)
	}
	if err := q.Order("id").Limit(1).Find(&p).Error; err != nil || p.ID == 0 {
		return false, nil //nolint:nilerr // no product to order: skip this demo order
	}
	part := OrderPart{ArtisanID: a.ID, Fulfilment: d.fulfilment, Status: d.part, PickupCode: NewPickupCode(),
		ItemsCents: p.PriceCents * int64(d.qty), TrackingNumber: d.tracking, CreatedAt: at, UpdatedAt: at}
	order := Order{Code: d.code, UserID: &visitor.ID, Email: visitor.Email, Name: visitor.Name, Locale: "fr", Status: d.status,
		Gateway: d.gateway, Currency: "EUR", ItemsCents: part.ItemsCents, CreatedAt: at, UpdatedAt: at}
	if d.fulfilment == FulfilPickup {
		var stand Stand
		err := tx.WithContext(ctx).Table("stands s").Select("s.*").Joins("JOIN applications ap ON ap.stand_id = s.id").
			Where("ap.fair_id = ? AND ap.artisan_id = ?", fair.ID, a.ID).Limit(1).Find(&stand).Error
		if err != nil || stand.ID == 0 {
			return false, nil //nolint:nilerr // the artisan has no stand at the demo fair
		}
		part.FairID, part.StandID, part.StandCode = &fair.ID, &stand.ID, stand.Code
	} else {
		order.ShippingCents = 1490
		order.ShipName, order.ShipLine1, order.ShipPostcode, order.ShipCity, order.ShipCountry = visitor.Name, "Rue de Flandre 42", "1000", "Bruxelles", "BE"
		part.ShippingCents = order.ShippingCents
		shipped := at.Add(20 * time.Hour)
		part.ShippedAt = &shipped
	}
	order.TotalCents = order.ItemsCents + order.ShippingCents
	if d.status == OrderPaid {
		paid := at.Add(3 * time.Minute)
		order.PaidAt = &paid
	} else {
		expires := time.Now().UTC().Add(30 * time.Minute)
		order.CheckoutExpiresAt = &expires
	}
	res := tx.WithContext(ctx).Model(&Product{}).Where("id = ? AND stock >= ?", p.ID, d.qty).
		Updates(map[string]any{"stock": gorm.Expr("stock - ?", d.qty)})
	if res.Error != nil {
		return false, fmt.Errorf("demo order %s: hold stock: %w", d.code, translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		return false, nil
	}
	if err := tx.WithContext(ctx).Create(&order).Error; err != nil {
		return false, fmt.Errorf("demo order %s: %w", d.code, translateError(err))
	}
	part.OrderID = order.ID
	if err := tx.WithContext(ctx).Create(&part).Error; err != nil {
		return false, fmt.Errorf("demo order %s: part: %w", d.code, translateError(err))
	}
	line := OrderLine{OrderID: order.ID, PartID: part.ID, ProductID: p.ID, Title: p.TitleFR, UnitCents: p.PriceCents, Quantity: d.qty, HoldsStock: true}
	if err := tx.WithContext(ctx).Create(&line).Error; err != nil {
		return false, fmt.Errorf("demo order %s: line: %w", d.code, translateError(err))
	}
	return true, nil
}
