package models_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"github.com/soukexpo/souk/payments"
	"gorm.io/gorm"
)

// Refunds: organizers only; the amount comes from the database; a line, then the rest.
func TestRefundOrder(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newPayFixture(t, db, payments.NameStripe)
		// A second line of another product, 1 × 1000.
		other := models.Product{ArtisanID: fx.Artisan.ID, Status: models.ProductPublished, TitleFR: "Plat", CraftCode: "pottery", PriceCents: 1000, Stock: 3}
		must(t, db.Create(&other).Error)
		line2 := models.OrderLine{OrderID: fx.Order.ID, PartID: fx.Part.ID, ProductID: other.ID, Title: "Plat", UnitCents: 1000, Quantity: 1, HoldsStock: true}
		must(t, db.Create(&line2).Error)
		total := fx.Order.TotalCents + 1000
		must(t, db.Model(&models.Order{}).Where("id = ?", fx.Order.ID).Updates(map[string]any{"total_cents": total, "items_cents": total}).Error)
		gw := newPayFakeGateway()
		now := time.Now()

		// Not paid yet: nothing to refund.
		if _, err := models.RefundOrder(ctx, db, gw, fx.Organizer, fx.Order.Code, nil, "test", now); !errors.Is(err, models.ErrInvalidState) {
			t.Fatalf("pending order: err = %v", err)
		}
		ev := fx.completed("evt_paid")
		ev.Session.AmountTotal = total
		payApply(t, db, ev)

		for _, u := range []models.User{fx.Buyer, fx.ArtisanUser, {ID: fx.Organizer.ID, Role: models.RoleChamber}} {
			if _, err := models.RefundOrder(ctx, db, gw, u, fx.Order.Code, nil, "test", now); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("%s refunds: err = %v, want ErrNotFound", u.Role, err)
			}
		}
		var ve *models.ValidationError
		if _, err := models.RefundOrder(ctx, db, gw, fx.Organizer, fx.Order.Code, nil, "  ", now); !errors.As(err, &ve) {
			t.Errorf("no reason: err = %v", err)
		}

		// Stripe down: nothing recorded as refunded; the retry uses the same key.
		gw.down = true
		if _, err := models.RefundOrder(ctx, db, gw, fx.Organizer, fx.Order.Code, &line2.ID, "cassé", now); !errors.Is(err, payments.ErrUnavailable) {
			t.Fatalf("Stripe down: err = %v", err)
		}
		gw.down = false
		r, err := models.RefundOrder(ctx, db, gw, fx.Organizer, fx.Order.Code, &line2.ID, "cassé", now)
		if err != nil {
			t.Fatal(err)
		}
		if r.AmountCents != 1000 || len(gw.refunds) != 1 || gw.refunds[0].AmountCents != 1000 ||
			gw.refunds[0].IdempotencyKey != models.RefundIdempotencyKey(fx.Order.Code, r.ID) || gw.refunds[0].PaymentIntentID != "pi_"+fx.Order.Code {
			t.Fatalf("line refund: %+v, gateway saw %+v", r, gw.refunds)
		}
		if s := payStock(t, db, other.ID); s != 4 {
			t.Errorf("stock of the refunded piece = %d, want 4 (back on sale)", s)
		}
		// The same line again: nothing left.
		if _, err := models.RefundOrder(ctx, db, gw, fx.Organizer, fx.Order.Code, &line2.ID, "encore", now); !errors.Is(err, models.ErrInvalidState) {
			t.Errorf("line twice: err = %v", err)
		}
		o := payReloadOrder(t, db, fx.Order.ID)
		if o.RefundedCents != 1000 || o.Status != models.OrderPaid {
			t.Errorf("after line refund: %d cents, %s", o.RefundedCents, o.Status)
		}
		// The rest of the order.
		r, err = models.RefundOrder(ctx, db, gw, fx.Organizer, fx.Order.Code, nil, "annulé", now)
		if err != nil || r.AmountCents != fx.Order.TotalCents {
			t.Fatalf("rest: %+v %v", r, err)
		}
		o = payReloadOrder(t, db, fx.Order.ID)
		if o.RefundedCents != total || o.Status != models.OrderRefunded {
			t.Errorf("after full refund: %d cents, %s", o.RefundedCents, o.Status)
		}
		var part models.OrderPart
		must(t, db.Where("id = ?", fx.Part.ID).Take(&part).Error)
		if part.Status != models.PartRefunded {
			t.Errorf("part = %s, want refunded", part.Status)
		}
		if n := payCount(t, db, &models.OutboxEmail{}, "kind = ?", models.NoticeOrderRefunded); n != 2 {
			t.Errorf("%d refund e-mails, want 2", n)
		}
		// The charge.refunded webhook of the same refunds changes nothing more.
		payApply(t, db, payments.Event{ID: "evt_ch", Type: payments.EventChargeRefunded, Refund: &payments.ChargeRefund{
			PaymentIntentID: "pi_" + fx.Order.Code, Amount: total, AmountRefunded: total, FullyRefunded: true}})
		if o := payReloadOrder(t, db, fx.Order.ID); o.RefundedCents != total {
			t.Errorf("after webhook: %d cents", o.RefundedCents)
		}
	})
}

// Orders paid at the stand are refunded by hand: recorded, no API call.
func TestRefundStandOrder(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		fx := newPayFixture(t, db, payments.NameStand)
		must(t, db.Model(&models.Order{}).Where("id = ?", fx.Order.ID).Update("status", models.OrderCompleted).Error)
		gw := newPayFakeGateway()
		r, err := models.RefundOrder(context.Background(), db, payments.NewStand(), fx.Organizer, fx.Order.Code, nil, "rendu au stand", time.Now())
		if err != nil || r.AmountCents != fx.Order.TotalCents || len(gw.refunds) != 0 {
			t.Fatalf("stand refund: %+v %v", r, err)
		}
		if o := payReloadOrder(t, db, fx.Order.ID); o.Status != models.OrderRefunded {
			t.Errorf("order = %s", o.Status)
		}
	})
}

// Jobs: asked by two instances within one period, a task runs once (River on PostgreSQL).
func TestRiverJobsRunOnceAcrossInstances(t *testing.T) {
	url := dbtest.PostgresURL(t)
	ctx := context.Background()
	db, err := models.Open(ctx, models.DBConfig{URL: url, Logger: dbtest.Logger()})
	must(t, err)
	t.Cleanup(func() { _ = models.Close(db) })
	_, err = models.Migrate(ctx, db, nil)
	must(t, err)

	var runs atomic.Int32
	done := make(chan struct{}, 10)
	task := models.PeriodicTask{Name: "count", Every: time.Hour, Run: func(context.Context) error {
		runs.Add(1)
		done <- struct{}{}
		return nil
	}}
	var instances []models.Jobs
	for i := 0; i < 2; i++ {
		j, err := models.NewJobs(ctx, db, url, []models.PeriodicTask{task}, dbtest.Logger())
		must(t, err)
		instances = append(instances, j)
	}
	for _, j := range instances {
		must(t, j.RunNow(ctx, "count"))
	}
	for _, j := range instances {
		must(t, j.Start(ctx))
	}
	<-done // the periodic run on start and both asks fall in one period: one run
	for _, j := range instances {
		must(t, j.RunNow(ctx, "count"))
	}
	stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, j := range instances {
		must(t, j.Stop(stopCtx))
	}
	var jobs int64
	must(t, db.Raw("SELECT count(*) FROM river.river_job WHERE kind = 'souk_periodic'").Scan(&jobs).Error)
	if jobs != 1 || runs.Load() != 1 {
		t.Errorf("%d jobs inserted, %d runs; want 1 and 1", jobs, runs.Load())
	}
	if _, err := models.NewJobs(ctx, db, url, []models.PeriodicTask{{Name: "x"}}, nil); err == nil {
		t.Error("a task without period was accepted")
	}
}
