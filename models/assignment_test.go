package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// fairFixture is a fair with one hall, stands and accepted applications, written straight to
// the tables (password hashing for dozens of accounts would only slow the tests down).
type fairFixture struct {
	Fair      models.Fair
	Hall      models.Hall
	Stands    []models.Stand
	Apps      []models.Application
	Organizer models.User
}

var fixtureCrafts = []string{"zellige", "carpets", "pottery", "wood", "leather"}
var fixtureRegions = []string{"FM", "MS", "RSK", "SM", "ORI"}

func newFairFixture(t *testing.T, db *gorm.DB, stands, apps int) fairFixture {
	t.Helper()
	ctx := context.Background()
	var fx fairFixture
	fx.Organizer = models.User{Email: dbtest.Name("org") + "@souk.test", Name: "Org", PasswordHash: "x", Role: models.RoleOrganizer, Locale: "fr"}
	must(t, db.Create(&fx.Organizer).Error)
	fx.Fair = models.Fair{Slug: dbtest.Name("fair"), Name: "Salon test", City: "Bruxelles", Country: "BE",
		StartsOn: time.Date(2027, 3, 19, 0, 0, 0, 0, time.UTC), EndsOn: time.Date(2027, 3, 21, 0, 0, 0, 0, time.UTC),
		Timezone: "Europe/Brussels", Status: models.FairClosed}
	must(t, db.Create(&fx.Fair).Error)
	fx.Hall = models.Hall{FairID: fx.Fair.ID, Name: "Hall 1", WidthCm: 10000, DepthCm: 10000}
	must(t, db.Create(&fx.Hall).Error)
	for i := 0; i < stands; i++ {
		s := models.Stand{FairID: fx.Fair.ID, HallID: fx.Hall.ID, Code: fmt.Sprintf("B%d", i+1), Kind: models.StandStandard,
			XCm: (i % 20) * 300, YCm: (i / 20) * 500, WidthCm: 300, DepthCm: 300, PriceCents: 45000, Status: models.StandAvailable}
		must(t, db.Create(&s).Error)
		fx.Stands = append(fx.Stands, s)
	}
	for i := 0; i < apps; i++ {
		u := models.User{Email: dbtest.Name("art") + "@souk.test", Name: "Artisan", PasswordHash: "x", Role: models.RoleArtisan, Locale: "ar"}
		must(t, db.Create(&u).Error)
		verified := time.Date(2024, 1, 1+i, 0, 0, 0, 0, time.UTC)
		a := models.Artisan{UserID: u.ID, Slug: dbtest.Name("atelier"), BusinessName: fmt.Sprintf("Atelier %d", i), Kind: "individual",
			RegionCode: fixtureRegions[i%len(fixtureRegions)], CraftCode: fixtureCrafts[i%len(fixtureCrafts)], City: "Fès",
			Status: models.ArtisanVerified, VerifiedAt: &verified}
		must(t, db.Create(&a).Error)
		app := models.Application{FairID: fx.Fair.ID, ArtisanID: a.ID, Status: models.AppAccepted, FeeState: models.FeeNone,
			SubmittedAt: time.Date(2026, 10, 1, 0, 0, i, 0, time.UTC)}
		must(t, db.Create(&app).Error)
		fx.Apps = append(fx.Apps, app)
	}
	_ = ctx
	return fx
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func reloadApp(t *testing.T, db *gorm.DB, id int64) models.Application {
	t.Helper()
	var a models.Application
	must(t, db.Where("id = ?", id).Take(&a).Error)
	return a
}

func reloadStand(t *testing.T, db *gorm.DB, id int64) models.Stand {
	t.Helper()
	var s models.Stand
	must(t, db.Where("id = ?", id).Take(&s).Error)
	return s
}

func TestAssignStandFeesMovesAndUnassign(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		fx := newFairFixture(t, db, 3, 2)
		app, s1, s2 := fx.Apps[0], fx.Stands[0], fx.Stands[1]

		got, err := models.AssignStand(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, s1.ID, now)
		if err != nil {
			t.Fatalf("assign: %v", err)
		}
		if got.StandID == nil || *got.StandID != s1.ID || got.FeeState != models.FeeDue || got.FeeCents != 45000 {
			t.Fatalf("after assign: stand %v fee %s %d, want stand %d, fee_due 45000", got.StandID, got.FeeState, got.FeeCents, s1.ID)
		}
		if st := reloadStand(t, db, s1.ID).Status; st != models.StandAssigned {
			t.Fatalf("stand status %s, want assigned", st)
		}

		// Move: the old stand is free again, the new one assigned.
		if _, err := models.AssignStand(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, s2.ID, now); err != nil {
			t.Fatalf("move: %v", err)
		}
		if st := reloadStand(t, db, s1.ID).Status; st != models.StandAvailable {
			t.Errorf("old stand after move: %s, want available", st)
		}
		if st := reloadStand(t, db, s2.ID).Status; st != models.StandAssigned {
			t.Errorf("new stand after move: %s, want assigned", st)
		}

		// The second application cannot take the stand the first one holds.
		_, err = models.AssignStand(ctx, db, fx.Organizer, fx.Fair.ID, fx.Apps[1].ID, s2.ID, now)
		if !errors.Is(err, models.ErrStandTaken) {
			t.Fatalf("assign a taken stand: %v, want ErrStandTaken", err)
		}
		if a := reloadApp(t, db, fx.Apps[1].ID); a.StandID != nil {
			t.Fatalf("refused assignment left stand %d on the application", *a.StandID)
		}

		// A blocked stand is refused with its own message.
		must(t, db.Model(&models.Stand{}).Where("id = ?", fx.Stands[2].ID).Update("status", models.StandBlocked).Error)
		if _, err := models.AssignStand(ctx, db, fx.Organizer, fx.Fair.ID, fx.Apps[1].ID, fx.Stands[2].ID, now); !errors.Is(err, models.ErrStandBlocked) {
			t.Fatalf("assign a blocked stand: %v, want ErrStandBlocked", err)
		}

		// Covered by the chamber programme: the fee shows as covered.
		must(t, db.Model(&models.Application{}).Where("id = ?", fx.Apps[1].ID).Update("fee_covered", true).Error)
		got, err = models.AssignStand(ctx, db, fx.Organizer, fx.Fair.ID, fx.Apps[1].ID, s1.ID, now)
		if err != nil || got.FeeState != models.FeeCovered {
			t.Fatalf("assign covered: %v, fee %s, want fee_covered", err, got.FeeState)
		}

		// Unassign: stand free, fee cleared, application still accepted.
		got, err = models.UnassignStand(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, now)
		if err != nil {
			t.Fatalf("unassign: %v", err)
		}
		if got.StandID != nil || got.FeeState != models.FeeNone || got.Status != models.AppAccepted {
			t.Fatalf("after unassign: stand %v fee %s status %s", got.StandID, got.FeeState, got.Status)
		}
		if st := reloadStand(t, db, s2.ID).Status; st != models.StandAvailable {
			t.Errorf("stand after unassign: %s, want available", st)
		}
		if _, err := models.UnassignStand(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, now); !errors.Is(err, models.ErrInvalidState) {
			t.Errorf("unassign twice: %v, want ErrInvalidState", err)
		}

		// Every decision told the artisan.
		var notices int64
		must(t, db.Model(&models.OutboxEmail{}).Where("kind IN ?", []string{models.NoticeStandAssigned, models.NoticeStandUnassigned}).Count(&notices).Error)
		if notices != 4 {
			t.Errorf("%d stand notices in the outbox, want 4 (assign, move, assign, unassign)", notices)
		}
	})
}

func TestAssignStandRefusesApplicationsNotAccepted(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newFairFixture(t, db, 1, 1)
		for _, st := range models.ApplicationStatuses {
			if st == models.AppAccepted {
				continue
			}
			must(t, db.Model(&models.Application{}).Where("id = ?", fx.Apps[0].ID).Update("status", st).Error)
			_, err := models.AssignStand(ctx, db, fx.Organizer, fx.Fair.ID, fx.Apps[0].ID, fx.Stands[0].ID, time.Now())
			if !errors.Is(err, models.ErrInvalidState) {
				t.Errorf("assign to a %s application: %v, want ErrInvalidState", st, err)
			}
			if s := reloadStand(t, db, fx.Stands[0].ID); s.Status != models.StandAvailable {
				t.Fatalf("refused assignment (%s) left the stand %s", st, s.Status)
			}
		}
		// Another fair's stand or application is not found.
		other := newFairFixture(t, db, 1, 1)
		if _, err := models.AssignStand(ctx, db, fx.Organizer, fx.Fair.ID, other.Apps[0].ID, fx.Stands[0].ID, time.Now()); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("assign another fair's application: %v, want ErrNotFound", err)
		}
		if _, err := models.AssignStand(ctx, db, fx.Organizer, other.Fair.ID, other.Apps[0].ID, fx.Stands[0].ID, time.Now()); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("assign another fair's stand: %v, want ErrNotFound", err)
		}
	})
}

// TestConcurrentAssignmentsOfOneStand: 50 organizers' requests for the same stand, each for a
// different accepted application, at once on PostgreSQL → exactly one assignment.
func TestConcurrentAssignmentsOfOneStand(t *testing.T) {
	db := dbtest.Postgres(t)
	fx := newFairFixture(t, db, 1, 50)
	stand := fx.Stands[0]
	var wg sync.WaitGroup
	results := make([]error, len(fx.Apps))
	start := make(chan struct{})
	for i, app := range fx.Apps {
		wg.Add(1)
		go func(i int, appID int64) {
			defer wg.Done()
			<-start
			_, results[i] = models.AssignStand(context.Background(), db, fx.Organizer, fx.Fair.ID, appID, stand.ID, time.Now())
		}(i, app.ID)
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range results {
		switch {
		case err == nil:
			won++
		case errors.Is(err, models.ErrStandTaken):
		default:
			t.Errorf("assignment %d: unexpected error %v", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d assignments of one stand succeeded, want exactly 1", won)
	}
	var holders int64
	must(t, db.Model(&models.Application{}).Where("stand_id = ?", stand.ID).Count(&holders).Error)
	if holders != 1 {
		t.Fatalf("%d applications hold the stand, want 1", holders)
	}
}

func TestAllocationProposalAppliedOnTheDatabase(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		fx := newFairFixture(t, db, 12, 10)
		// One application already has a stand: the proposal leaves it alone.
		if _, err := models.AssignStand(ctx, db, fx.Organizer, fx.Fair.ID, fx.Apps[0].ID, fx.Stands[5].ID, now); err != nil {
			t.Fatal(err)
		}
		first, err := models.ProposeFairAllocation(ctx, db, fx.Organizer, fx.Fair.ID, now)
		if err != nil {
			t.Fatalf("propose: %v", err)
		}
		if len(first.Assignments) != 9 || len(first.Unplaced) != 0 {
			t.Fatalf("proposal: %d assignments, %d unplaced; want 9 and 0", len(first.Assignments), len(first.Unplaced))
		}
		for _, a := range first.Assignments {
			if a.StandID == fx.Stands[5].ID || a.ApplicationID == fx.Apps[0].ID {
				t.Fatalf("proposal touches the stand or application already assigned: %+v", a)
			}
		}
		second, err := models.ProposeFairAllocation(ctx, db, fx.Organizer, fx.Fair.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(first) != fmt.Sprint(second) {
			t.Fatalf("same input, different proposals:\n%v\n%v", first, second)
		}
		stored, _, err := models.GetAllocationProposal(ctx, db, fx.Fair.ID)
		if err != nil || fmt.Sprint(stored) != fmt.Sprint(second) {
			t.Fatalf("stored proposal %v (%v), want %v", stored, err, second)
		}

		// Meanwhile an organizer takes by hand a stand the proposal wanted for someone else.
		taken := first.Assignments[0]
		must(t, db.Model(&models.Stand{}).Where("id = ?", taken.StandID).Update("status", models.StandBlocked).Error)

		out, err := models.ApplyAllocationProposal(ctx, db, fx.Organizer, fx.Fair.ID, now)
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		if out.Applied != 8 || len(out.Skipped) != 1 || out.Skipped[0].ApplicationID != taken.ApplicationID {
			t.Fatalf("apply: %d applied, skipped %v; want 8 applied and application %d skipped", out.Applied, out.Skipped, taken.ApplicationID)
		}
		var assigned int64
		must(t, db.Model(&models.Application{}).Where("fair_id = ? AND stand_id IS NOT NULL", fx.Fair.ID).Count(&assigned).Error)
		if assigned != 9 {
			t.Fatalf("%d applications with a stand after apply, want 9", assigned)
		}
		if _, _, err := models.GetAllocationProposal(ctx, db, fx.Fair.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("proposal still there after apply: %v", err)
		}
		if _, err := models.ApplyAllocationProposal(ctx, db, fx.Organizer, fx.Fair.ID, now); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("apply twice: %v, want ErrNotFound", err)
		}
	})
}

func TestOfferNextWaitlistedInOrderAndOnce(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		now = now.Truncate(time.Microsecond) // PostgreSQL keeps microseconds
		fx := newFairFixture(t, db, 0, 3)
		for i, pos := range []int{2, 1, 3} {
			p := pos
			must(t, db.Model(&models.Application{}).Where("id = ?", fx.Apps[i].ID).
				Updates(map[string]any{"status": models.AppWaitlisted, "waitlist_position": p}).Error)
		}
		var offered []*models.Application
		for i := 0; i < 4; i++ {
			must(t, models.WithTx(ctx, db, func(tx *gorm.DB) error {
				o, err := models.OfferNextWaitlisted(ctx, tx, fx.Organizer.ID, fx.Fair.ID, now)
				offered = append(offered, o)
				return err
			}))
		}
		want := []int64{fx.Apps[1].ID, fx.Apps[0].ID, fx.Apps[2].ID}
		for i, id := range want {
			if offered[i] == nil || offered[i].ID != id || offered[i].Status != models.AppOffered {
				t.Fatalf("offer %d: %+v, want application %d offered", i, offered[i], id)
			}
			if offered[i].OfferExpiresAt == nil || offered[i].OfferExpiresAt.Sub(now) != models.OfferWindow {
				t.Errorf("offer %d deadline %v, want now + %v", i, offered[i].OfferExpiresAt, models.OfferWindow)
			}
		}
		if offered[3] != nil {
			t.Fatalf("an empty waitlist offered %+v", offered[3])
		}
	})
}

// TestOfferSkipsRegionsAtTheirQuota: a freed place goes to the first waitlisted artisan whose
// region still has room under the fair's quota.
func TestOfferSkipsRegionsAtTheirQuota(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		fx := newFairFixture(t, db, 0, 6) // regions cycle FM, MS, RSK, SM, ORI, FM
		// FM has one accepted exhibitor (app 0) and a quota of 1; app 5 (FM) is first in line,
		// app 1 (MS) second.
		must(t, db.Create(&models.FairRegionQuota{FairID: fx.Fair.ID, RegionCode: "FM", Quota: 1}).Error)
		for id, pos := range map[int64]int{fx.Apps[5].ID: 1, fx.Apps[1].ID: 2} {
			must(t, db.Model(&models.Application{}).Where("id = ?", id).
				Updates(map[string]any{"status": models.AppWaitlisted, "waitlist_position": pos}).Error)
		}
		for _, a := range fx.Apps[2:5] {
			must(t, db.Model(&models.Application{}).Where("id = ?", a.ID).Update("status", models.AppRejected).Error)
		}
		var offered *models.Application
		must(t, models.WithTx(ctx, db, func(tx *gorm.DB) error {
			var err error
			offered, err = models.OfferNextWaitlisted(ctx, tx, fx.Organizer.ID, fx.Fair.ID, now)
			return err
		}))
		if offered == nil || offered.ID != fx.Apps[1].ID {
			t.Fatalf("offered %+v, want application %d (MS): FM is at its quota", offered, fx.Apps[1].ID)
		}
		if a := reloadApp(t, db, fx.Apps[5].ID); a.Status != models.AppWaitlisted {
			t.Fatalf("FM applicant over the quota is %s, want still waitlisted", a.Status)
		}
	})
}
