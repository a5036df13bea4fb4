package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// The fixture's fair runs 19–21 March 2027: its reservations lapse on 23 March at 00:00 UTC.
var (
	fairLastDay = time.Date(2027, 3, 21, 22, 0, 0, 0, time.UTC)
	lapseTime   = time.Date(2027, 3, 23, 0, 0, 0, 0, time.UTC)
)

func noticesOf(t *testing.T, db *gorm.DB, kind string) int64 {
	t.Helper()
	var n int64
	must(t, db.Model(&models.OutboxEmail{}).Where("kind = ?", kind).Count(&n).Error)
	return n
}

// TestLapsedReservationNothingCollected: a pay-at-the-stand order nobody came for holds its
// pieces through the fair and the day after; then it expires, its stock comes back once and
// the buyer gets one e-mail. Card orders and reservations for a later fair are left alone.
func TestLapsedReservationNothingCollected(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newFulfilFixture(t, db)
		stand := fx.order(t, db, "stand", models.OrderPendingPayment, models.PartToPrepare, [2]int{2, 1})
		card := fx.order(t, db, "stripe", models.OrderPaid, models.PartToPrepare, [2]int{1, 0})
		later := models.Fair{Slug: dbtest.Name("later"), Name: "Salon de Paris", City: "Paris", Country: "FR",
			StartsOn: time.Date(2027, 5, 7, 0, 0, 0, 0, time.UTC), EndsOn: time.Date(2027, 5, 9, 0, 0, 0, 0, time.UTC),
			Timezone: "Europe/Paris", Status: models.FairOpen}
		must(t, db.Create(&later).Error)
		paris := fx.order(t, db, "stand", models.OrderPendingPayment, models.PartReady, [2]int{0, 1})
		must(t, db.Model(&models.OrderPart{}).Where("id = ?", paris.Parts[1].ID).Update("fair_id", later.ID).Error)
		// Stock after the holds: 5 − 2 − 1 = 2 and 5 − 1 − 1 = 3.
		if stockOf(t, db, fx.Products[0].ID) != 2 || stockOf(t, db, fx.Products[1].ID) != 3 {
			t.Fatal("fixture stock")
		}

		for _, at := range []time.Time{fairLastDay, lapseTime.Add(-time.Second)} {
			rep, err := models.ReleaseLapsedReservations(ctx, db, at)
			must(t, err)
			if rep != (models.LapsedReservations{}) || orderRow(t, db, stand.Order.ID).Status != models.OrderPendingPayment {
				t.Fatalf("at %s the reservation was released: %+v", at, rep)
			}
		}
		rep, err := models.ReleaseLapsedReservations(ctx, db, lapseTime)
		must(t, err)
		if rep.Expired != 1 || rep.Completed != 0 {
			t.Fatalf("report = %+v, want one expired", rep)
		}
		o := orderRow(t, db, stand.Order.ID)
		if o.Status != models.OrderExpired || o.ClosedAt == nil || o.HoldsReleasedAt == nil || o.PaidAt != nil {
			t.Fatalf("order = %s closed %v released %v paid %v", o.Status, o.ClosedAt, o.HoldsReleasedAt, o.PaidAt)
		}
		for i := range 2 {
			if partStatus(t, db, stand.Parts[i].ID) != models.PartCancelled {
				t.Errorf("part %d = %s, want cancelled", i, partStatus(t, db, stand.Parts[i].ID))
			}
		}
		if stockOf(t, db, fx.Products[0].ID) != 4 || stockOf(t, db, fx.Products[1].ID) != 4 {
			t.Fatalf("stock = %d, %d; want 4, 4 (the reservation's 2 + 1 back)", stockOf(t, db, fx.Products[0].ID), stockOf(t, db, fx.Products[1].ID))
		}
		if noticesOf(t, db, models.NoticeOrderUncollected) != 1 {
			t.Error("the buyer was not told once")
		}
		// Untouched: the paid card order, the reservation for the Paris fair.
		if o := orderRow(t, db, card.Order.ID); o.Status != models.OrderPaid || partStatus(t, db, card.Parts[0].ID) != models.PartToPrepare {
			t.Errorf("card order = %s", o.Status)
		}
		if o := orderRow(t, db, paris.Order.ID); o.Status != models.OrderPendingPayment || partStatus(t, db, paris.Parts[1].ID) != models.PartReady {
			t.Errorf("the Paris reservation = %s", o.Status)
		}
		// Again: nothing more comes back.
		rep, err = models.ReleaseLapsedReservations(ctx, db, lapseTime.Add(time.Hour))
		must(t, err)
		if rep != (models.LapsedReservations{}) || stockOf(t, db, fx.Products[0].ID) != 4 || noticesOf(t, db, models.NoticeOrderUncollected) != 1 {
			t.Fatalf("second run: %+v, stock %d", rep, stockOf(t, db, fx.Products[0].ID))
		}
	})
}

// TestLapsedReservationPartlyCollected: one artisan handed over, the other's part was never
// collected: that part is cancelled, only its stock comes back, the order is completed at
// the collected amount and the settlement counts the collected part only.
func TestLapsedReservationPartlyCollected(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newFulfilFixture(t, db)
		fo := fx.order(t, db, "stand", models.OrderPendingPayment, models.PartToPrepare, [2]int{2, 1})
		if _, err := models.HandOverByCode(ctx, db, fx.Users[0].ID, fo.Parts[0].PickupCode, fairLastDay); err != nil {
			t.Fatal(err)
		}
		rep, err := models.ReleaseLapsedReservations(ctx, db, lapseTime)
		must(t, err)
		if rep.Completed != 1 || rep.Expired != 0 {
			t.Fatalf("report = %+v, want one completed", rep)
		}
		o := orderRow(t, db, fo.Order.ID)
		if o.Status != models.OrderCompleted || o.PaidAt == nil || o.TotalCents != fo.Parts[0].ItemsCents || o.ItemsCents != fo.Parts[0].ItemsCents {
			t.Fatalf("order = %s paid %v total %d, want completed at %d", o.Status, o.PaidAt, o.TotalCents, fo.Parts[0].ItemsCents)
		}
		if partStatus(t, db, fo.Parts[0].ID) != models.PartPickedUp || partStatus(t, db, fo.Parts[1].ID) != models.PartCancelled {
			t.Fatal("parts: want picked up and cancelled")
		}
		if stockOf(t, db, fx.Products[0].ID) != 3 || stockOf(t, db, fx.Products[1].ID) != 5 {
			t.Fatalf("stock = %d, %d; want 3 (2 collected) and 5 (back)", stockOf(t, db, fx.Products[0].ID), stockOf(t, db, fx.Products[1].ID))
		}
		s, err := models.SettlementReport(ctx, db, fx.Fair.ID)
		must(t, err)
		if s.Totals.GrossCents != fo.Parts[0].ItemsCents || len(s.Rows) != 1 {
			t.Errorf("settlement gross = %d over %d artisans, want %d for one", s.Totals.GrossCents, len(s.Rows), fo.Parts[0].ItemsCents)
		}
		// A code typed after the fair finds the part cancelled; nothing changes.
		if _, err := models.HandOverByCode(ctx, db, fx.Users[1].ID, fo.Parts[1].PickupCode, lapseTime); !errors.Is(err, models.ErrInvalidState) {
			t.Errorf("hand over a lapsed part: %v, want ErrInvalidState", err)
		}
		rep, err = models.ReleaseLapsedReservations(ctx, db, lapseTime.Add(time.Hour))
		must(t, err)
		if rep != (models.LapsedReservations{}) || stockOf(t, db, fx.Products[1].ID) != 5 || noticesOf(t, db, models.NoticeOrderUncollected) != 1 {
			t.Fatalf("second run: %+v", rep)
		}
	})
}

// TestLapsedReservationsConcurrently: two instances release the same lapsed reservations at
// once while an artisan hands a part over: every piece is counted once, either collected or
// back in stock, and each buyer gets one e-mail.
func TestLapsedReservationsConcurrently(t *testing.T) {
	db := dbtest.Postgres(t)
	ctx := context.Background()
	fx := newFulfilFixture(t, db)
	const orders = 4 // 4 × (1 + 1) pieces of 5 in stock
	var fos []fixtureOrder
	for range orders {
		fos = append(fos, fx.order(t, db, "stand", models.OrderPendingPayment, models.PartToPrepare, [2]int{1, 1}))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 2 {
		wg.Go(func() {
			_, err := models.ReleaseLapsedReservations(ctx, db, lapseTime)
			if err != nil && !errors.Is(err, models.ErrConflict) {
				errs <- err
			}
		})
	}
	wg.Go(func() {
		_, err := models.HandOverByCode(ctx, db, fx.Users[0].ID, fos[0].Parts[0].PickupCode, lapseTime)
		if err != nil && !errors.Is(err, models.ErrInvalidState) {
			errs <- err
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// A run after the race finishes whatever a conflict left.
	_, err := models.ReleaseLapsedReservations(ctx, db, lapseTime)
	must(t, err)
	collected := 0
	if partStatus(t, db, fos[0].Parts[0].ID) == models.PartPickedUp {
		collected = 1
	}
	if got := stockOf(t, db, fx.Products[0].ID); got != 5-collected {
		t.Errorf("stock of the first product = %d, want %d (%d collected)", got, 5-collected, collected)
	}
	if got := stockOf(t, db, fx.Products[1].ID); got != 5 {
		t.Errorf("stock of the second product = %d, want 5", got)
	}
	for _, fo := range fos {
		if s := orderRow(t, db, fo.Order.ID).Status; s != models.OrderExpired && s != models.OrderCompleted {
			t.Errorf("order %s = %s", fo.Order.Code, s)
		}
	}
	if n := noticesOf(t, db, models.NoticeOrderUncollected); n != orders {
		t.Errorf("e-mails = %d, want %d", n, orders)
	}
}
