package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// shopFixture is a verified artisan with a stand at an upcoming fair.
type shopFixture struct {
	artisan models.Artisan
	fair    models.Fair
	stand   models.Stand
}

var fixtureN atomic.Int32

func newShop(t testing.TB, db *gorm.DB, withStand bool) shopFixture {
	t.Helper()
	ctx := context.Background()
	n := fixtureN.Add(1)
	u, err := models.CreateUser(ctx, db, models.NewUser{Email: fmt.Sprintf("shop%d@example.ma", n), Name: "A", Password: "tagine-au-citron-2026", Role: models.RoleArtisan})
	if err != nil {
		t.Fatal(err)
	}
	a, err := models.SaveArtisanProfile(ctx, db, u.ID, models.ArtisanProfileInput{
		BusinessName: fmt.Sprintf("Atelier %d", n), Kind: "individual", RegionCode: "FM", CraftCode: "zellige", City: "Fès",
		BioFR: "Maître artisan.", RegistryNumber: fmt.Sprintf("FM-2020-%06d", n), CardNumber: fmt.Sprintf("CARD%06d", n),
	})
	if err != nil {
		t.Fatalf("save profile: %v", err)
	}
	if err := db.Model(&models.Artisan{}).Where("id = ?", a.ID).Update("status", models.ArtisanVerified).Error; err != nil {
		t.Fatal(err)
	}
	f := shopFixture{artisan: a}
	if !withStand {
		return f
	}
	start := time.Now().UTC().AddDate(0, 1, 0).Truncate(24 * time.Hour)
	f.fair = models.Fair{Slug: fmt.Sprintf("fair-%d", n), Name: fmt.Sprintf("Salon %d", n), City: "Bruxelles", Country: "BE",
		Venue: "Hall", StartsOn: start, EndsOn: start.AddDate(0, 0, 2), Timezone: "Europe/Brussels", Status: models.FairOpen}
	mustOK(t, db.Create(&f.fair).Error)
	hall := models.Hall{FairID: f.fair.ID, Name: "H1", WidthCm: 5000, DepthCm: 5000}
	mustOK(t, db.Create(&hall).Error)
	f.stand = models.Stand{FairID: f.fair.ID, HallID: hall.ID, Code: fmt.Sprintf("B%d", n), Kind: "standard", XCm: 0, YCm: 0,
		WidthCm: 300, DepthCm: 300, Status: models.StandAssigned}
	mustOK(t, db.Create(&f.stand).Error)
	app := models.Application{FairID: f.fair.ID, ArtisanID: a.ID, Status: models.AppAccepted, StandID: &f.stand.ID}
	mustOK(t, db.Create(&app).Error)
	return f
}

func mustOK(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func shopProduct(t testing.TB, db *gorm.DB, a models.Artisan, title string, price int64, stock int, mto bool) models.Product {
	t.Helper()
	ctx := context.Background()
	p, err := models.CreateProduct(ctx, db, a.ID, models.ProductInput{TitleFR: title, CraftCode: "zellige", PriceCents: price,
		Stock: stock, MadeToOrder: mto, LeadTimeDays: map[bool]int{true: 20}[mto], PickupAtFair: true, Ships: true})
	if err != nil {
		t.Fatalf("create product: %v", err)
	}
	if _, err := models.AddPhoto(ctx, db, a.ID, p.ID, models.Photo{KeyBase: "img/" + title, Width: 800, Height: 600, Variants: "320,800"}); err != nil {
		t.Fatalf("add photo: %v", err)
	}
	if err := models.SetProductStatus(ctx, db, a.ID, p.ID, models.ProductPublished); err != nil {
		t.Fatalf("publish: %v", err)
	}
	return p
}

func stockOf(t testing.TB, db *gorm.DB, id int64) int {
	t.Helper()
	var p models.Product
	mustOK(t, db.Where("id = ?", id).Take(&p).Error)
	return p.Stock
}

func TestCartOperations(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		shop := newShop(t, db, false)
		vase := shopProduct(t, db, shop.artisan, "Vase", 4500, 2, false)
		panel := shopProduct(t, db, shop.artisan, "Panneau", 90000, 0, true)
		draft, err := models.CreateProduct(ctx, db, shop.artisan.ID, models.ProductInput{TitleFR: "Brouillon", CraftCode: "zellige", PriceCents: 100, Stock: 5, PickupAtFair: true})
		mustOK(t, err)
		anon := models.CartOwner{SessionKey: "anon-key-1"}

		mustOK(t, models.AddToCart(ctx, db, anon, vase.ID, 1, now))
		mustOK(t, models.AddToCart(ctx, db, anon, vase.ID, 1, now))
		var ve *models.ValidationError
		if err := models.AddToCart(ctx, db, anon, vase.ID, 1, now); !errors.As(err, &ve) || ve.Fields["quantity"] != "CartQuantityOverStock" {
			t.Fatalf("a third vase of two in stock: want CartQuantityOverStock, got %v", err)
		}
		mustOK(t, models.AddToCart(ctx, db, anon, panel.ID, 5, now)) // made to order: no stock needed
		if err := models.AddToCart(ctx, db, anon, draft.ID, 1, now); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("a draft product: want ErrNotFound, got %v", err)
		}
		v, err := models.ListCart(ctx, db, anon)
		mustOK(t, err)
		if len(v.Lines) != 2 || v.Count != 7 || v.ItemsCents != 2*4500+5*90000 || !v.Orderable() {
			t.Fatalf("cart = %+v", v)
		}
		if n, _ := models.CartCount(ctx, db, anon); n != 7 {
			t.Fatalf("count = %d, want 7", n)
		}
		mustOK(t, models.UpdateCartItem(ctx, db, anon, panel.ID, 1, now))
		if err := models.UpdateCartItem(ctx, db, anon, vase.ID, 3, now); !errors.As(err, &ve) {
			t.Fatalf("update above stock: want a validation error, got %v", err)
		}
		// The last vase sells elsewhere: the line is flagged, checkout blocked.
		mustOK(t, db.Model(&models.Product{}).Where("id = ?", vase.ID).Update("stock", 0).Error)
		v, _ = models.ListCart(ctx, db, anon)
		if !v.Lines[0].SoldOut || v.Orderable() || v.ItemsCents != 90000 {
			t.Fatalf("sold-out line not flagged: %+v", v)
		}
		mustOK(t, db.Model(&models.Product{}).Where("id = ?", vase.ID).Update("stock", 2).Error)

		// Login merges the anonymous cart into the account's.
		u, err := models.CreateUser(ctx, db, models.NewUser{Email: "buyer@example.be", Name: "B", Password: "tagine-au-citron-2026", Role: models.RoleVisitor})
		mustOK(t, err)
		mine := models.CartOwner{UserID: u.ID}
		mustOK(t, models.AddToCart(ctx, db, mine, panel.ID, 2, now))
		mustOK(t, models.MergeCart(ctx, db, anon.SessionKey, u.ID, now))
		v, _ = models.ListCart(ctx, db, mine)
		if len(v.Lines) != 2 || v.Count != 5 {
			t.Fatalf("merged cart = %+v", v)
		}
		if n, _ := models.CartCount(ctx, db, anon); n != 0 {
			t.Fatalf("anonymous cart kept %d pieces after the merge", n)
		}
		mustOK(t, models.RemoveCartItem(ctx, db, mine, panel.ID))
		if n, _ := models.CartCount(ctx, db, mine); n != 2 {
			t.Fatalf("after remove: %d, want 2", n)
		}
	})
}

func placeInput(owner models.CartOwner, email string, lines ...models.PlaceLine) models.PlaceOrderInput {
	return models.PlaceOrderInput{Owner: owner, Name: "Amina", Email: email, Locale: "fr", Lang: "fr", Gateway: "stripe", // shipping is paid by card
		Lines: lines, Fulfilment: map[int64]models.Fulfilment{}, ShipName: "Amina", ShipLine1: "Rue 1", ShipPostcode: "1000",
		ShipCity: "Bruxelles", ShipCountry: "BE", Now: time.Now().UTC()}
}

func TestPlaceOrderHoldsAndReleasesOnce(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		a := newShop(t, db, true)
		b := newShop(t, db, true)
		vase := shopProduct(t, db, a.artisan, "Vase", 4500, 3, false)
		rug := shopProduct(t, db, b.artisan, "Tapis", 30000, 1, false)
		panel := shopProduct(t, db, b.artisan, "Panneau", 90000, 0, true)
		in := placeInput(models.CartOwner{SessionKey: "k"}, "amina@example.be",
			models.PlaceLine{ProductID: vase.ID, Quantity: 2}, models.PlaceLine{ProductID: rug.ID, Quantity: 1},
			models.PlaceLine{ProductID: panel.ID, Quantity: 1})
		in.Fulfilment[a.artisan.ID] = models.FulfilPickup
		in.Fulfilment[b.artisan.ID] = models.FulfilShipping
		o, err := models.PlaceOrder(ctx, db, in)
		mustOK(t, err)
		if o.Status != models.OrderPendingPayment || o.ItemsCents != 2*4500+30000+90000 || o.ShippingCents != models.DefaultShippingCents ||
			o.TotalCents != o.ItemsCents+o.ShippingCents {
			t.Fatalf("order = %+v", o)
		}
		if stockOf(t, db, vase.ID) != 1 || stockOf(t, db, rug.ID) != 0 || stockOf(t, db, panel.ID) != 0 {
			t.Fatal("stock not held")
		}
		v, err := models.GetOrderByCode(ctx, db, o.Code, 0)
		mustOK(t, err)
		if len(v.Parts) != 2 || v.Parts[0].Part.Status != models.PartPending || len(v.Parts[0].Part.PickupCode) != 8 { // a card order: prepared once paid
			t.Fatalf("parts = %+v", v.Parts)
		}
		for _, p := range v.Parts {
			if p.Part.ArtisanID == a.artisan.ID && (p.Part.Fulfilment != models.FulfilPickup || p.Part.StandCode != a.stand.Code) {
				t.Fatalf("pickup part = %+v", p.Part)
			}
		}
		var mail models.OutboxEmail
		mustOK(t, db.Where("kind = ?", models.NoticeOrderConfirmed).Take(&mail).Error)
		if mail.ToAddress != "amina@example.be" || mail.NoticeParams()["code"] != o.Code {
			t.Fatalf("confirmation e-mail = %+v", mail)
		}
		var told int64
		mustOK(t, db.Model(&models.OutboxEmail{}).Where("kind = ?", models.NoticeStudioNewOrder).Count(&told).Error)
		if told != 0 {
			t.Errorf("%d artisans told to prepare an unpaid card order", told)
		}
		// Released exactly once, however often it is asked.
		for i := range 3 {
			released, err := models.ReleaseOrderHolds(ctx, db, o.ID, time.Now())
			mustOK(t, err)
			if released != (i == 0) {
				t.Fatalf("release %d: released=%v", i, released)
			}
		}
		if stockOf(t, db, vase.ID) != 3 || stockOf(t, db, rug.ID) != 1 || stockOf(t, db, panel.ID) != 0 {
			t.Fatal("stock not restored exactly once")
		}
	})
}

func TestPlaceOrderRefusals(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		noStand := newShop(t, db, false)
		vase := shopProduct(t, db, noStand.artisan, "Vase", 4500, 1, false)
		in := placeInput(models.CartOwner{}, "x@example.be", models.PlaceLine{ProductID: vase.ID, Quantity: 1})
		in.Fulfilment[noStand.artisan.ID] = models.FulfilPickup
		var ve *models.ValidationError
		if _, err := models.PlaceOrder(ctx, db, in); !errors.As(err, &ve) || ve.Fields[fmt.Sprintf("fulfil_%d", noStand.artisan.ID)] == "" {
			t.Fatalf("pickup without a stand: want a validation error, got %v", err)
		}
		in.Lines[0].Quantity = 2
		in.Fulfilment = map[int64]models.Fulfilment{}
		if _, err := models.PlaceOrder(ctx, db, in); !errors.Is(err, models.ErrSoldOut) {
			t.Fatalf("two of one: want ErrSoldOut, got %v", err)
		}
		if stockOf(t, db, vase.ID) != 1 {
			t.Fatal("a refused order changed the stock")
		}
		// Bounded open holds per visitor.
		many := shopProduct(t, db, noStand.artisan, "Bol", 1000, 50, false)
		for i := range models.MaxOpenHolds + 1 {
			_, err := models.PlaceOrder(ctx, db, placeInput(models.CartOwner{}, "hoarder@example.be", models.PlaceLine{ProductID: many.ID, Quantity: 1}))
			if i < models.MaxOpenHolds && err != nil {
				t.Fatalf("order %d: %v", i, err)
			}
			if i == models.MaxOpenHolds && !errors.Is(err, models.ErrTooManyOpenOrders) {
				t.Fatalf("order over the bound: want ErrTooManyOpenOrders, got %v", err)
			}
		}
	})
}

func TestPlaceOrderRollsBackOnFailure(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		shop := newShop(t, db, false)
		vase := shopProduct(t, db, shop.artisan, "Vase", 4500, 4, false)
		for _, step := range []string{"after_hold", "after_lines"} {
			restore := models.SetPlaceOrderFault(func(s string) error {
				if s == step {
					return errors.New("injected failure")
				}
				return nil
			})
			_, err := models.PlaceOrder(ctx, db, placeInput(models.CartOwner{}, "r@example.be", models.PlaceLine{ProductID: vase.ID, Quantity: 3}))
			restore()
			if err == nil {
				t.Fatalf("%s: the injected failure was ignored", step)
			}
			var orders, parts, lines, mails int64
			db.Model(&models.Order{}).Count(&orders)
			db.Model(&models.OrderPart{}).Count(&parts)
			db.Model(&models.OrderLine{}).Count(&lines)
			db.Model(&models.OutboxEmail{}).Where("kind = ?", models.NoticeOrderConfirmed).Count(&mails)
			if s := stockOf(t, db, vase.ID); s != 4 || orders+parts+lines+mails != 0 {
				t.Fatalf("%s: stock %d, rows %d/%d/%d/%d after rollback", step, s, orders, parts, lines, mails)
			}
		}
	})
}

func TestCancelOrderReleasesHolds(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		shop := newShop(t, db, false)
		vase := shopProduct(t, db, shop.artisan, "Vase", 4500, 2, false)
		u, err := models.CreateUser(ctx, db, models.NewUser{Email: "c@example.be", Name: "C", Password: "tagine-au-citron-2026", Role: models.RoleVisitor})
		mustOK(t, err)
		o, err := models.PlaceOrder(ctx, db, placeInput(models.CartOwner{UserID: u.ID}, "c@example.be", models.PlaceLine{ProductID: vase.ID, Quantity: 2}))
		mustOK(t, err)
		if _, err := models.CancelOrder(ctx, db, o.ID, u.ID+999, time.Now()); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("someone else cancels: want ErrNotFound, got %v", err)
		}
		after, err := models.CancelOrder(ctx, db, o.ID, u.ID, time.Now())
		mustOK(t, err)
		if after.Status != models.OrderCancelled || stockOf(t, db, vase.ID) != 2 {
			t.Fatalf("cancel: status %s stock %d", after.Status, stockOf(t, db, vase.ID))
		}
		if _, err := models.CancelOrder(ctx, db, o.ID, u.ID, time.Now()); !errors.Is(err, models.ErrInvalidState) || stockOf(t, db, vase.ID) != 2 {
			t.Fatalf("second cancel: %v, stock %d", err, stockOf(t, db, vase.ID))
		}
	})
}

// TestPlaceOrderConcurrentNeverOversells races 100 buyers for 10 pieces on PostgreSQL.
func TestPlaceOrderConcurrentNeverOversells(t *testing.T) {
	db := dbtest.Postgres(t)
	ctx := context.Background()
	shop := newShop(t, db, false)
	vase := shopProduct(t, db, shop.artisan, "Vase", 4500, 10, false)
	var ok, sold atomic.Int32
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := models.PlaceOrder(ctx, db, placeInput(models.CartOwner{}, fmt.Sprintf("b%d@example.be", i), models.PlaceLine{ProductID: vase.ID, Quantity: 1}))
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, models.ErrSoldOut):
				sold.Add(1)
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 10 || sold.Load() != 90 || stockOf(t, db, vase.ID) != 0 {
		t.Fatalf("placed %d, sold out %d, stock %d", ok.Load(), sold.Load(), stockOf(t, db, vase.ID))
	}
}

// BenchmarkPlaceOrder measures orders placed per second on PostgreSQL (TEST_DATABASE_URL),
// parallel buyers of a well-stocked product.
func BenchmarkPlaceOrder(b *testing.B) {
	db := dbtest.Postgres(b)
	ctx := context.Background()
	shop := newShop(b, db, false)
	vase := shopProduct(b, db, shop.artisan, "Vase", 4500, models.MaxProductStock, false)
	var n atomic.Int64
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, err := models.PlaceOrder(ctx, db, placeInput(models.CartOwner{}, fmt.Sprintf("bench%d@example.be", i), models.PlaceLine{ProductID: vase.ID, Quantity: 1})); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "orders/s")
}

// TestStandOrderTellsEachArtisan: a pay-at-the-stand order is to prepare at once: each
// artisan gets one e-mail, in their language, with their own pieces and stand only.
func TestStandOrderTellsEachArtisan(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		a := newShop(t, db, true)
		b := newShop(t, db, true)
		mustOK(t, db.Model(&models.User{}).Where("id = (SELECT user_id FROM artisans WHERE id = ?)", b.artisan.ID).Update("locale", "ar").Error)
		vase := shopProduct(t, db, a.artisan, "Vase", 4500, 3, false)
		rug := shopProduct(t, db, b.artisan, "Tapis", 30000, 1, false)
		in := placeInput(models.CartOwner{SessionKey: "k"}, "amina@example.be",
			models.PlaceLine{ProductID: vase.ID, Quantity: 2}, models.PlaceLine{ProductID: rug.ID, Quantity: 1})
		in.Gateway = "stand"
		in.Fulfilment[a.artisan.ID] = models.FulfilPickup
		in.Fulfilment[b.artisan.ID] = models.FulfilPickup
		o, err := models.PlaceOrder(ctx, db, in)
		mustOK(t, err)
		var mails []models.OutboxEmail
		mustOK(t, db.Where("kind = ?", models.NoticeStudioNewOrder).Order("id").Find(&mails).Error)
		if len(mails) != 2 {
			t.Fatalf("%d e-mails to artisans, want 2", len(mails))
		}
		want := map[string]struct{ locale, pieces, stand string }{
			a.artisan.BusinessName: {"fr", "2 × Vase", a.stand.Code},
			b.artisan.BusinessName: {"ar", "1 × Tapis", b.stand.Code},
		}
		for _, m := range mails {
			p := m.NoticeParams()
			w, ok := want[p["artisan"]]
			if !ok || m.Locale != w.locale || p["pieces"] != w.pieces || p["stand"] != w.stand || p["order"] != o.Code || p["link"] != "/studio/orders" {
				t.Errorf("e-mail %+v with %v, want %+v", m, p, w)
			}
			delete(want, p["artisan"])
		}
	})
}
