package models_test

import (
	"context"
	"testing"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

func TestSeedDemoFair(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		if _, err := models.Seed(ctx, db, models.SeedOptions{}); err != nil {
			t.Fatal(err)
		}
		report, err := models.SeedDemoFair(ctx, db)
		if err != nil {
			t.Fatalf("seed demo fair: %v", err)
		}
		if report.Stands < 30 || report.Applications < 8 {
			t.Fatalf("demo fair: %d stands, %d applications; want ≥ 30 and ≥ 8", report.Stands, report.Applications)
		}
		var fair models.Fair
		must(t, db.Where("slug = ?", "demo-bruxelles-2027").Take(&fair).Error)
		if fair.ApplicationsOpenAt == nil || fair.ApplicationsCloseAt == nil {
			t.Fatal("demo fair has no application window")
		}
		// Every state an organizer's page shows has at least one application.
		for _, st := range []models.ApplicationStatus{models.AppSubmitted, models.AppChamberReviewed, models.AppAccepted,
			models.AppWaitlisted, models.AppRejected} {
			var n int64
			must(t, db.Model(&models.Application{}).Where("fair_id = ? AND status = ?", fair.ID, st).Count(&n).Error)
			if n == 0 {
				t.Errorf("no demo application in state %s", st)
			}
		}
		var withStand, assignedStands, ranked, regions int64
		must(t, db.Model(&models.Application{}).Where("fair_id = ? AND stand_id IS NOT NULL", fair.ID).Count(&withStand).Error)
		must(t, db.Model(&models.Stand{}).Where("fair_id = ? AND status = ?", fair.ID, models.StandAssigned).Count(&assignedStands).Error)
		must(t, db.Model(&models.Application{}).Where("fair_id = ? AND chamber_rank IS NOT NULL", fair.ID).Count(&ranked).Error)
		must(t, db.Table("applications ap").Joins("JOIN artisans a ON a.id = ap.artisan_id").
			Where("ap.fair_id = ?", fair.ID).Distinct("a.region_code").Count(&regions).Error)
		if withStand < 2 || withStand != assignedStands {
			t.Errorf("%d applications hold a stand, %d stands are assigned; want the same, at least 2", withStand, assignedStands)
		}
		if ranked == 0 || regions < 3 {
			t.Errorf("%d ranked applications from %d regions; want ranks and several regions", ranked, regions)
		}
		// The fee states of the assigned stands are all shown.
		for _, fs := range []models.FeeState{models.FeeDue, models.FeeCovered, models.FeePaid} {
			var n int64
			must(t, db.Model(&models.Application{}).Where("fair_id = ? AND fee_state = ?", fair.ID, fs).Count(&n).Error)
			if n == 0 {
				t.Errorf("no demo application with fee state %s", fs)
			}
		}
		var mails int64
		must(t, db.Model(&models.OutboxEmail{}).Count(&mails).Error)
		if mails < int64(report.Applications) {
			t.Errorf("%d demo e-mails in the outbox, want at least one per application (%d)", mails, report.Applications)
		}
		again, err := models.SeedDemoFair(ctx, db)
		if err != nil || again.Stands != 0 || again.Applications != 0 {
			t.Fatalf("second seed: %+v, %v; want nothing added", again, err)
		}
	})
}
