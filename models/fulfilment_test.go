package models_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// fulfilFixture: a fair with two artisans who have a stand each, one product each, a visitor.
type fulfilFixture struct {
	Fair      models.Fair
	Organizer models.User
	Users     [2]models.User
	Artisans  [2]models.Artisan
	Products  [2]models.Product
	Visitor   models.User
}

func newFulfilFixture(t *testing.T, db *gorm.DB) fulfilFixture {
	t.Helper()
	var fx fulfilFixture
	fx.Organizer = models.User{Email: dbtest.Name("org") + "@souk.test", Name: "Org", PasswordHash: "x", Role: models.RoleOrganizer, Locale: "fr"}
	must(t, db.Create(&fx.Organizer).Error)
	fx.Fair = models.Fair{Slug: dbtest.Name("fair"), Name: "Salon test", City: "Bruxelles", Country: "BE",
		StartsOn: time.Date(2027, 3, 19, 0, 0, 0, 0, time.UTC), EndsOn: time.Date(2027, 3, 21, 0, 0, 0, 0, time.UTC),
		Timezone: "Europe/Brussels", Status: models.FairOpen}
	must(t, db.Create(&fx.Fair).Error)
	for i := range 2 {
		fx.Users[i] = models.User{Email: dbtest.Name("art") + "@souk.test", Name: "Artisan", PasswordHash: "x", Role: models.RoleArtisan, Locale: "fr"}
		must(t, db.Create(&fx.Users[i]).Error)
		fx.Artisans[i] = models.Artisan{UserID: fx.Users[i].ID, Slug: dbtest.Name("atelier"), BusinessName: fmt.Sprintf("Atelier %c", 'A'+i),
			Kind: "individual", RegionCode: "FM", CraftCode: "zellige", City: "Fès", Status: models.ArtisanVerified}
		must(t, db.Create(&fx.Artisans[i]).Error)
		fx.Products[i] = models.Product{ArtisanID: fx.Artisans[i].ID, Status: models.ProductPublished, TitleFR: fmt.Sprintf("Pièce %d", i+1),
			CraftCode: "zellige", PriceCents: int64(4500 * (i + 1)), Stock: 5, PickupAtFair: true}
		must(t, db.Create(&fx.Products[i]).Error)
	}
	fx.Visitor = models.User{Email: dbtest.Name("vis") + "@souk.test", Name: "Nadia El Amrani", PasswordHash: "x", Role: models.RoleVisitor, Locale: "fr"}
	must(t, db.Create(&fx.Visitor).Error)
	return fx
}

// fixtureOrder is an order as PlaceOrder leaves it: stock taken, one pickup part per artisan.
type fixtureOrder struct {
	Order models.Order
	Parts [2]models.OrderPart
}

func (fx fulfilFixture) order(t *testing.T, db *gorm.DB, gateway string, status models.OrderStatus, partStatus models.PartStatus, qty [2]int) fixtureOrder {
	t.Helper()
	var fo fixtureOrder
	var items int64
	for i := range 2 {
		items += fx.Products[i].PriceCents * int64(qty[i])
	}
	fo.Order = models.Order{Code: models.NewOrderCode(), UserID: &fx.Visitor.ID, Email: fx.Visitor.Email, Name: fx.Visitor.Name,
		Locale: "fr", Status: status, Gateway: gateway, Currency: "EUR", ItemsCents: items, TotalCents: items}
	if status == models.OrderPaid {
		now := time.Now().UTC()
		fo.Order.PaidAt = &now
	}
	must(t, db.Create(&fo.Order).Error)
	for i := range 2 {
		if qty[i] == 0 {
			continue
		}
		fo.Parts[i] = models.OrderPart{OrderID: fo.Order.ID, ArtisanID: fx.Artisans[i].ID, Fulfilment: models.FulfilPickup, FairID: &fx.Fair.ID,
			StandCode: fmt.Sprintf("B%d", 2+3*i), Status: partStatus, PickupCode: models.NewPickupCode(), ItemsCents: fx.Products[i].PriceCents * int64(qty[i])}
		must(t, db.Create(&fo.Parts[i]).Error)
		line := models.OrderLine{OrderID: fo.Order.ID, PartID: fo.Parts[i].ID, ProductID: fx.Products[i].ID, Title: fx.Products[i].TitleFR,
			UnitCents: fx.Products[i].PriceCents, Quantity: qty[i], HoldsStock: true}
		must(t, db.Create(&line).Error)
		must(t, db.Model(&models.Product{}).Where("id = ?", fx.Products[i].ID).Update("stock", gorm.Expr("stock - ?", qty[i])).Error)
	}
	return fo
}

func partStatus(t *testing.T, db *gorm.DB, id int64) models.PartStatus {
	t.Helper()
	var p models.OrderPart
	must(t, db.Where("id = ?", id).Take(&p).Error)
	return p.Status
}

func orderRow(t *testing.T, db *gorm.DB, id int64) models.Order {
	t.Helper()
	var o models.Order
	must(t, db.Where("id = ?", id).Take(&o).Error)
	return o
}

// TestPayAtStandPickupJourney: a visitor orders from two artisans with pickup at their stands
// (pay at the stand); both see it on their packing list; another artisan's code is refused and
// changes nothing; each artisan hands over by code; after the second, the order is completed.
func TestPayAtStandPickupJourney(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newFulfilFixture(t, db)
		fo := fx.order(t, db, "stand", models.OrderPendingPayment, models.PartToPrepare, [2]int{2, 1})
		now := time.Date(2027, 3, 19, 11, 0, 0, 0, time.UTC)

		for i := range 2 {
			list, err := models.PackingList(ctx, db, fx.Users[i].ID, fx.Fair.ID)
			must(t, err)
			if len(list.Lines) != 1 || list.Lines[0].ProductID != fx.Products[i].ID || list.Lines[0].Quantity != []int{2, 1}[i] {
				t.Fatalf("artisan %d packing list = %+v, want only their product", i, list.Lines)
			}
			if list.Lines[0].Orders[0] != fo.Order.Code || len(list.Parts) != 1 || list.Parts[0].BuyerFirstName() != "Nadia" {
				t.Errorf("packing list parts = %+v", list.Parts)
			}
		}

		// Artisan B types artisan A's code: refused, nothing changes.
		auditBefore := countAudit(t, db)
		if _, err := models.HandOverByCode(ctx, db, fx.Users[1].ID, fo.Parts[0].PickupCode, now); !errors.Is(err, models.ErrNotYourOrder) {
			t.Fatalf("hand over another artisan's code: %v, want ErrNotYourOrder", err)
		}
		if partStatus(t, db, fo.Parts[0].ID) != models.PartToPrepare || countAudit(t, db) != auditBefore {
			t.Fatal("a refused hand-over changed rows")
		}

		// Artisan A types their code lower-case with a dash and spaces.
		typed := strings.ToLower(fo.Parts[0].PickupCode[:4]) + " - " + fo.Parts[0].PickupCode[4:]
		res, err := models.HandOverByCode(ctx, db, fx.Users[0].ID, typed, now)
		must(t, err)
		if res.OrderCompleted || res.Part.Status != models.PartPickedUp {
			t.Fatalf("first hand-over: %+v", res)
		}
		if o := orderRow(t, db, fo.Order.ID); o.Status != models.OrderPendingPayment || o.PaidAt != nil {
			t.Fatalf("order after first part: %s paid %v", o.Status, o.PaidAt)
		}
		if _, err := models.HandOverByCode(ctx, db, fx.Users[0].ID, fo.Parts[0].PickupCode, now); !errors.Is(err, models.ErrAlreadyHandedOver) {
			t.Errorf("second scan of the same code: %v, want ErrAlreadyHandedOver", err)
		}
		res, err = models.HandOverByCode(ctx, db, fx.Users[1].ID, fo.Parts[1].PickupCode, now.Add(time.Hour))
		must(t, err)
		if !res.OrderCompleted {
			t.Fatal("order not completed after its last part was handed over")
		}
		o := orderRow(t, db, fo.Order.ID)
		if o.Status != models.OrderCompleted || o.ClosedAt == nil || o.PaidAt == nil {
			t.Fatalf("order = %s closed %v paid %v, want completed with payment recorded", o.Status, o.ClosedAt, o.PaidAt)
		}
		for i := range 2 {
			list, err := models.PackingList(ctx, db, fx.Users[i].ID, fx.Fair.ID)
			must(t, err)
			if len(list.Lines) != 0 {
				t.Errorf("packing list still lists handed-over pieces: %+v", list.Lines)
			}
		}
		var entries []models.AuditEntry
		must(t, db.Where("action IN ?", []string{"order_part.handed_over", "order.completed"}).Find(&entries).Error)
		if len(entries) != 3 {
			t.Errorf("audit entries = %d, want 2 hand-overs and 1 completion", len(entries))
		}
	})
}

func countAudit(t *testing.T, db *gorm.DB) int64 {
	t.Helper()
	var n int64
	must(t, db.Model(&models.AuditEntry{}).Count(&n).Error)
	return n
}

// TestPartStepsFromWrongStates (B4): every step tried from every state that does not allow it
// is refused with ErrInvalidState and changes nothing; a pending card order cannot be handed over.
func TestPartStepsFromWrongStates(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newFulfilFixture(t, db)
		must(t, db.Model(&models.Product{}).Where("id = ?", fx.Products[0].ID).Update("stock", 1000).Error)
		now := time.Now().UTC()
		t.Run("pending card order is not paid", func(t *testing.T) {
			fo := fx.order(t, db, "stripe", models.OrderPendingPayment, models.PartPending, [2]int{1, 0})
			_, err := models.HandOverByCode(ctx, db, fx.Users[0].ID, fo.Parts[0].PickupCode, now)
			if !errors.Is(err, models.ErrOrderNotPaid) {
				t.Fatalf("hand over unpaid card order: %v, want ErrOrderNotPaid", err)
			}
			if _, err := models.MarkPartReady(ctx, db, fx.Users[0].ID, fo.Parts[0].ID, now); !errors.Is(err, models.ErrInvalidState) {
				t.Errorf("ready on unpaid order: %v", err)
			}
			if partStatus(t, db, fo.Parts[0].ID) != models.PartPending {
				t.Error("refused step changed the part")
			}
		})
		steps := map[string]struct {
			fulfil  models.Fulfilment
			allowed []models.PartStatus
			run     func(userID int64, p models.OrderPart) error
		}{
			"ready": {models.FulfilPickup, []models.PartStatus{models.PartToPrepare}, func(u int64, p models.OrderPart) error {
				_, err := models.MarkPartReady(ctx, db, u, p.ID, now)
				return err
			}},
			"hand over": {models.FulfilPickup, []models.PartStatus{models.PartToPrepare, models.PartReady}, func(u int64, p models.OrderPart) error {
				_, err := models.HandOverByCode(ctx, db, u, p.PickupCode, now)
				return err
			}},
			"shipped": {models.FulfilShipping, []models.PartStatus{models.PartToPrepare}, func(u int64, p models.OrderPart) error {
				_, err := models.MarkPartShipped(ctx, db, u, p.ID, "BE123456789", now)
				return err
			}},
			"delivered": {models.FulfilShipping, []models.PartStatus{models.PartShipped}, func(u int64, p models.OrderPart) error {
				_, err := models.MarkPartDelivered(ctx, db, u, p.ID, now)
				return err
			}},
		}
		all := []models.PartStatus{models.PartPending, models.PartToPrepare, models.PartReady, models.PartShipped,
			models.PartPickedUp, models.PartDelivered, models.PartCancelled, models.PartRefunded}
		for name, st := range steps {
			for _, from := range all {
				for _, fulfil := range []models.Fulfilment{models.FulfilPickup, models.FulfilShipping} {
					allowed := fulfil == st.fulfil && contains(st.allowed, from)
					t.Run(fmt.Sprintf("%s from %s %s", name, fulfil, from), func(t *testing.T) {
						fo := fx.order(t, db, "stripe", models.OrderPaid, from, [2]int{1, 0})
						must(t, db.Model(&models.OrderPart{}).Where("id = ?", fo.Parts[0].ID).Update("fulfilment", fulfil).Error)
						err := st.run(fx.Users[0].ID, fo.Parts[0])
						if allowed {
							if err != nil {
								t.Fatalf("allowed step refused: %v", err)
							}
							return
						}
						if !errors.Is(err, models.ErrInvalidState) {
							t.Fatalf("step from %s: %v, want ErrInvalidState", from, err)
						}
						if partStatus(t, db, fo.Parts[0].ID) != from {
							t.Error("refused step changed the part")
						}
					})
				}
			}
		}
		t.Run("another artisan's part is not found", func(t *testing.T) {
			fo := fx.order(t, db, "stripe", models.OrderPaid, models.PartToPrepare, [2]int{1, 0})
			if _, err := models.MarkPartReady(ctx, db, fx.Users[1].ID, fo.Parts[0].ID, now); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("ready on another artisan's part: %v, want ErrNotFound", err)
			}
		})
		t.Run("shipping needs a tracking number and tells the buyer", func(t *testing.T) {
			fo := fx.order(t, db, "stripe", models.OrderPaid, models.PartToPrepare, [2]int{1, 0})
			must(t, db.Model(&models.OrderPart{}).Where("id = ?", fo.Parts[0].ID).Update("fulfilment", models.FulfilShipping).Error)
			var ve *models.ValidationError
			if _, err := models.MarkPartShipped(ctx, db, fx.Users[0].ID, fo.Parts[0].ID, "  ", now); !errors.As(err, &ve) || ve.Fields["tracking_number"] == "" {
				t.Fatalf("ship without tracking: %v", err)
			}
			p, err := models.MarkPartShipped(ctx, db, fx.Users[0].ID, fo.Parts[0].ID, " BE 123 ", now)
			must(t, err)
			if p.TrackingNumber != "BE 123" || p.Status != models.PartShipped {
				t.Errorf("shipped part = %+v", p)
			}
			var mail models.OutboxEmail
			must(t, db.Where("kind = ? AND to_address = ?", models.NoticeOrderShipped, fx.Visitor.Email).Order("id DESC").Take(&mail).Error)
			if mail.NoticeParams()["tracking"] != "BE 123" || mail.NoticeParams()["order"] != fo.Order.Code {
				t.Errorf("shipped notice params = %v", mail.NoticeParams())
			}
			_, err = models.MarkPartDelivered(ctx, db, fx.Users[0].ID, fo.Parts[0].ID, now)
			must(t, err)
			if o := orderRow(t, db, fo.Order.ID); o.Status != models.OrderCompleted {
				t.Errorf("order after its only part delivered = %s, want completed", o.Status)
			}
		})
	})
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// TestStandSaleKeepsStockTrue: a stand sale takes stock; selling more than the stock is
// refused and changes nothing; another artisan's product is refused.
func TestStandSaleKeepsStockTrue(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newFulfilFixture(t, db)
		now := time.Now().UTC()
		sale, err := models.RecordStandSale(ctx, db, fx.Users[0].ID, fx.Products[0].ID, 3, fx.Fair.ID, now)
		must(t, err)
		if sale.UnitCents != fx.Products[0].PriceCents || sale.FairID == nil {
			t.Errorf("sale = %+v", sale)
		}
		if _, err := models.RecordStandSale(ctx, db, fx.Users[0].ID, fx.Products[0].ID, 3, 0, now); !errors.Is(err, models.ErrNotEnoughStock) {
			t.Fatalf("sell 3 of 2 left: %v, want ErrNotEnoughStock", err)
		}
		var ve *models.ValidationError
		if _, err := models.RecordStandSale(ctx, db, fx.Users[1].ID, fx.Products[0].ID, 1, 0, now); !errors.As(err, &ve) {
			t.Fatalf("sell another artisan's product: %v, want a refusal", err)
		}
		var p models.Product
		must(t, db.Where("id = ?", fx.Products[0].ID).Take(&p).Error)
		if p.Stock != 2 {
			t.Errorf("stock = %d, want 2", p.Stock)
		}
	})
}

// TestStandSaleConcurrentNeverNegative (E1): on PostgreSQL, 20 stand sales of one piece race
// for a stock of 5: exactly 5 succeed and the stock ends at 0.
func TestStandSaleConcurrentNeverNegative(t *testing.T) {
	db := dbtest.Postgres(t)
	ctx := context.Background()
	fx := newFulfilFixture(t, db)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := models.RecordStandSale(ctx, db, fx.Users[0].ID, fx.Products[0].ID, 1, fx.Fair.ID, time.Now().UTC())
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, models.ErrNotEnoughStock):
				refused++
			default:
				t.Errorf("stand sale: %v", err)
			}
		}()
	}
	wg.Wait()
	var p models.Product
	must(t, db.Where("id = ?", fx.Products[0].ID).Take(&p).Error)
	if ok != 5 || refused != 15 || p.Stock != 0 {
		t.Fatalf("ok %d refused %d stock %d, want 5, 15, 0", ok, refused, p.Stock)
	}
}

// TestSettlementFigures: commission 10 % on a known dataset with one refund, a stand order
// handed over, a stand order not handed over and a pending card order (neither counted).
func TestSettlementFigures(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newFulfilFixture(t, db) // product 1: 45,00 €, product 2: 90,00 €
		_, err := models.SetFairCommission(ctx, db, fx.Organizer, fx.Fair.ID, 1000)
		must(t, err)
		paid := fx.order(t, db, "stripe", models.OrderPaid, models.PartToPrepare, [2]int{2, 1}) // A 90,00, B 90,00
		// One piece of A's line refunded (45,00).
		must(t, db.Model(&models.OrderLine{}).Where("part_id = ?", paid.Parts[0].ID).
			Updates(map[string]any{"refunded_quantity": 1, "refunded_cents": 4500}).Error)
		must(t, db.Create(&models.Refund{OrderID: paid.Order.ID, AmountCents: 4500, Reason: "cassé"}).Error)
		stand := fx.order(t, db, "stand", models.OrderPendingPayment, models.PartToPrepare, [2]int{1, 0}) // A 45,00 at the stand
		_, err = models.HandOverByCode(ctx, db, fx.Users[0].ID, stand.Parts[0].PickupCode, time.Now().UTC())
		must(t, err)
		fx.order(t, db, "stand", models.OrderPendingPayment, models.PartToPrepare, [2]int{0, 3}) // not handed over
		fx.order(t, db, "stripe", models.OrderPendingPayment, models.PartPending, [2]int{1, 1})  // not paid

		s, err := models.SettlementReport(ctx, db, fx.Fair.ID)
		must(t, err)
		if len(s.Rows) != 2 {
			t.Fatalf("rows = %+v", s.Rows)
		}
		a, b := s.Rows[0], s.Rows[1]
		// A: gross 90 + 45 = 135; card 90; refunds 45; commission 10 % of 90 = 9; net 90 − 45 − 9 = 36.
		if a.GrossCents != 13500 || a.OnlineCents != 9000 || a.RefundsCents != 4500 || a.CommissionCents != 900 || a.NetOwedCents != 3600 || a.Orders != 2 {
			t.Errorf("artisan A = %+v", a)
		}
		// B: gross 90, card 90, commission 9, net 81.
		if b.GrossCents != 9000 || b.CommissionCents != 900 || b.NetOwedCents != 8100 || b.Orders != 1 {
			t.Errorf("artisan B = %+v", b)
		}
		if s.Totals.NetOwedCents != 11700 || s.Totals.CommissionCents != 1800 {
			t.Errorf("totals = %+v", s.Totals)
		}
		var buf bytes.Buffer
		must(t, models.WriteSettlementCSV(ctx, db, fx.Fair.ID, &buf))
		if !strings.HasPrefix(buf.String(), "\uFEFF") || !strings.Contains(buf.String(), "Atelier A,2,13500,9000,4500,1000,900,3600") {
			t.Errorf("settlement CSV:\n%s", buf.String())
		}
	})
}

func TestCommissionRoundsHalfUp(t *testing.T) {
	db := dbtest.SQLite(t)
	ctx := context.Background()
	fx := newFulfilFixture(t, db)
	_, err := models.SetFairCommission(ctx, db, fx.Organizer, fx.Fair.ID, 1250) // 12.5 %
	must(t, err)
	// 4500 × 12,5 % = 562,5 → 563 cents.
	fx.order(t, db, "stripe", models.OrderPaid, models.PartToPrepare, [2]int{1, 0})
	s, err := models.SettlementReport(ctx, db, fx.Fair.ID)
	must(t, err)
	if s.Rows[0].CommissionCents != 563 {
		t.Errorf("commission = %d, want 563 (half up)", s.Rows[0].CommissionCents)
	}
	var ve *models.ValidationError
	if _, err := models.SetFairCommission(ctx, db, fx.Organizer, fx.Fair.ID, 10001); !errors.As(err, &ve) {
		t.Errorf("commission above 100 %%: %v", err)
	}
}

func TestOrdersListAndCSV(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newFulfilFixture(t, db)
		fo := fx.order(t, db, "stripe", models.OrderPaid, models.PartToPrepare, [2]int{1, 0})
		must(t, db.Model(&models.Order{}).Where("id = ?", fo.Order.ID).Update("name", "=HYPERLINK(\"x\")").Error)
		fx.order(t, db, "stand", models.OrderPendingPayment, models.PartToPrepare, [2]int{0, 1})
		list, err := models.ListOrders(ctx, db, models.OrderFilter{ArtisanID: fx.Artisans[0].ID})
		must(t, err)
		if list.Total != 1 || list.Rows[0].Code != fo.Order.Code || list.Rows[0].Artisans != "Atelier A" || list.TotalCents != 4500 {
			t.Fatalf("filtered list = %+v", list)
		}
		list, err = models.ListOrders(ctx, db, models.OrderFilter{FairID: fx.Fair.ID, Status: models.OrderPendingPayment})
		must(t, err)
		if list.Total != 1 {
			t.Errorf("pending at fair = %d, want 1", list.Total)
		}
		var buf bytes.Buffer
		must(t, models.WriteOrdersCSV(ctx, db, models.OrderFilter{}, &buf))
		out := buf.String()
		if !strings.HasPrefix(out, "\uFEFF") || !strings.Contains(out, `"'=HYPERLINK(""x"")"`) || strings.Count(out, "\n") != 3 {
			t.Errorf("orders CSV:\n%s", out)
		}
		d, err := models.GetOrderAdmin(ctx, db, strings.ToLower(fo.Order.Code))
		must(t, err)
		if len(d.Parts) != 1 || len(d.Parts[0].Lines) != 1 || d.Parts[0].ArtisanName != "Atelier A" {
			t.Errorf("detail = %+v", d)
		}
	})
}
