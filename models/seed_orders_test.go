package models_test

import (
	"context"
	"testing"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

func TestSeedDemoOrders(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		if _, err := models.Seed(ctx, db, models.SeedOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, slug := range []string{"atelier-bennani-zellige", "dar-tetouan-broderie"} {
			var a models.Artisan
			must(t, db.Where("slug = ?", slug).Take(&a).Error)
			p := models.Product{ArtisanID: a.ID, Status: models.ProductPublished, TitleFR: "Pièce de démonstration", CraftCode: a.CraftCode,
				PriceCents: 12000, Stock: 5, PickupAtFair: true, Ships: true}
			must(t, db.Create(&p).Error)
		}
		if _, err := models.SeedDemoFair(ctx, db); err != nil {
			t.Fatal(err)
		}
		added, err := models.SeedDemoOrders(ctx, db)
		if err != nil || added != 3 {
			t.Fatalf("demo orders: %d added (%v), want 3", added, err)
		}
		var orders []models.Order
		must(t, db.Order("code").Find(&orders).Error)
		states := map[string]models.OrderStatus{}
		for _, o := range orders {
			states[o.Code] = o.Status
		}
		if states["SX-DEMO2P"] != models.OrderPaid || states["SX-DEMO3S"] != models.OrderPaid || states["SX-DEMO4W"] != models.OrderPendingPayment {
			t.Fatalf("demo order states %v", states)
		}
		var pickup models.OrderPart
		must(t, db.Joins("JOIN orders o ON o.id = order_parts.order_id").Where("o.code = ?", "SX-DEMO2P").Take(&pickup).Error)
		if pickup.Fulfilment != models.FulfilPickup || pickup.StandCode != "B2" || pickup.Status != models.PartToPrepare {
			t.Fatalf("paid demo order part: %s at %q, %s; want pickup at B2, to prepare", pickup.Fulfilment, pickup.StandCode, pickup.Status)
		}
		var shipped models.OrderPart
		must(t, db.Joins("JOIN orders o ON o.id = order_parts.order_id").Where("o.code = ?", "SX-DEMO3S").Take(&shipped).Error)
		if shipped.Status != models.PartShipped || shipped.TrackingNumber == "" {
			t.Fatalf("shipped demo order part: %s, tracking %q", shipped.Status, shipped.TrackingNumber)
		}
		again, err := models.SeedDemoOrders(ctx, db)
		if err != nil || again != 0 {
			t.Fatalf("second seed: %d added (%v), want 0", again, err)
		}
	})
}
