package models_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
)

// TestPlaceOrderOppositeLineOrders (E4): buyers whose carts list the same two pieces in
// opposite orders check out at once: the holds are taken in product order, so nobody
// deadlocks, every order is placed and every piece is counted once.
func TestPlaceOrderOppositeLineOrders(t *testing.T) {
	db := dbtest.Postgres(t)
	ctx := context.Background()
	shop := newShop(t, db, false)
	const buyers = 100
	vase := shopProduct(t, db, shop.artisan, "Vase", 4500, buyers, false)
	rug := shopProduct(t, db, shop.artisan, "Tapis", 30000, buyers, false)
	var wg sync.WaitGroup
	errs := make(chan error, buyers)
	for i := range buyers {
		lines := []models.PlaceLine{{ProductID: vase.ID, Quantity: 1}, {ProductID: rug.ID, Quantity: 1}}
		if i%2 == 1 {
			lines[0], lines[1] = lines[1], lines[0]
		}
		wg.Go(func() {
			if _, err := models.PlaceOrder(ctx, db, placeInput(models.CartOwner{}, fmt.Sprintf("opp%d@example.be", i), lines...)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("place order: %v", err)
	}
	var orders int64
	mustOK(t, db.Model(&models.Order{}).Count(&orders).Error)
	if orders != buyers || stockOf(t, db, vase.ID) != 0 || stockOf(t, db, rug.ID) != 0 {
		t.Fatalf("%d orders, stock %d and %d; want %d orders and both pieces all held", orders, stockOf(t, db, vase.ID), stockOf(t, db, rug.ID), buyers)
	}
}

// TestPlaceOrderGivesUpOnAHeldLock (E4): while another transaction keeps a piece locked, a
// checkout waits no longer than lock_timeout, retries a bounded number of times, then answers
// "unavailable" (not "sold out", not a hang) and leaves nothing behind; once the lock is gone
// the same checkout goes through.
func TestPlaceOrderGivesUpOnAHeldLock(t *testing.T) {
	base := dbtest.PostgresURL(t)
	ctx := context.Background()
	db, err := models.Open(ctx, models.DBConfig{URL: base, Logger: dbtest.Logger()})
	mustOK(t, err)
	t.Cleanup(func() { _ = models.Close(db) })
	_, err = models.Migrate(ctx, db, nil)
	mustOK(t, err)
	u, err := url.Parse(base)
	mustOK(t, err)
	q := u.Query()
	q.Set("lock_timeout", "200") // ms: the test need not wait the production 3 s four times
	u.RawQuery = q.Encode()
	impatient, err := models.Open(ctx, models.DBConfig{URL: u.String(), Logger: dbtest.Logger()})
	mustOK(t, err)
	t.Cleanup(func() { _ = models.Close(impatient) })

	shop := newShop(t, db, false)
	vase := shopProduct(t, db, shop.artisan, "Vase", 4500, 3, false)
	holder := db.Begin()
	mustOK(t, holder.Error)
	var locked models.Product
	mustOK(t, holder.Raw("SELECT * FROM products WHERE id = ? FOR UPDATE", vase.ID).Scan(&locked).Error)

	_, err = models.PlaceOrder(ctx, impatient, placeInput(models.CartOwner{}, "lock@example.be", models.PlaceLine{ProductID: vase.ID, Quantity: 1}))
	if !errors.Is(err, models.ErrUnavailable) || errors.Is(err, models.ErrSoldOut) {
		t.Fatalf("checkout on a locked piece: %v, want unavailable", err)
	}
	mustOK(t, holder.Rollback().Error)
	var orders int64
	mustOK(t, db.Model(&models.Order{}).Count(&orders).Error)
	if orders != 0 || stockOf(t, db, vase.ID) != 3 {
		t.Fatalf("the refused checkout left %d orders, stock %d", orders, stockOf(t, db, vase.ID))
	}
	if _, err := models.PlaceOrder(ctx, impatient, placeInput(models.CartOwner{}, "lock@example.be", models.PlaceLine{ProductID: vase.ID, Quantity: 1})); err != nil {
		t.Fatalf("checkout once the lock is gone: %v", err)
	}
	if stockOf(t, db, vase.ID) != 2 {
		t.Errorf("stock = %d, want 2", stockOf(t, db, vase.ID))
	}
}
