package models_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// rvFixture is a fair under review: an organizer and applications written straight to the
// tables, in the states the chamber leaves them.
type rvFixture struct {
	db        *gorm.DB
	Fair      models.Fair
	Organizer models.User
}

var rvNow = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func newRvFixture(t *testing.T, db *gorm.DB) *rvFixture {
	t.Helper()
	fx := &rvFixture{db: db}
	fx.Organizer = models.User{Email: dbtest.Name("org") + "@souk.test", Name: "Organisatrice", PasswordHash: "x", Role: models.RoleOrganizer, Locale: "fr"}
	must(t, db.Create(&fx.Organizer).Error)
	fx.Fair = models.Fair{Slug: dbtest.Name("fair"), Name: "Salon de Paris 2027", City: "Paris", Country: "FR",
		StartsOn: time.Date(2027, 6, 11, 0, 0, 0, 0, time.UTC), EndsOn: time.Date(2027, 6, 13, 0, 0, 0, 0, time.UTC),
		Timezone: "Europe/Paris", Status: models.FairClosed}
	must(t, db.Create(&fx.Fair).Error)
	return fx
}

// rvApp describes one application of the fixture.
type rvApp struct {
	Name        string
	Region      string
	Craft       string
	Status      models.ApplicationStatus
	Recommended *bool
	Rank        *int
	Locale      string
	Submitted   time.Time
}

func ptr[T any](v T) *T { return &v }

// add creates the artisan's account, profile and application; it returns the application.
func (fx *rvFixture) add(t *testing.T, in rvApp) models.Application {
	t.Helper()
	if in.Name == "" {
		in.Name = dbtest.Name("Atelier")
	}
	if in.Region == "" {
		in.Region = "FM"
	}
	if in.Craft == "" {
		in.Craft = "zellige"
	}
	if in.Locale == "" {
		in.Locale = "fr"
	}
	if in.Submitted.IsZero() {
		in.Submitted = rvNow.Add(-30 * 24 * time.Hour)
	}
	u := models.User{Email: dbtest.Name("art") + "@souk.test", Name: in.Name, PasswordHash: "x", Role: models.RoleArtisan, Locale: in.Locale}
	must(t, fx.db.Create(&u).Error)
	a := models.Artisan{UserID: u.ID, Slug: dbtest.Name("atelier"), BusinessName: in.Name, Kind: "individual",
		RegionCode: in.Region, CraftCode: in.Craft, City: "Fès", Status: models.ArtisanVerified}
	must(t, fx.db.Create(&a).Error)
	app := models.Application{FairID: fx.Fair.ID, ArtisanID: a.ID, Status: in.Status, FeeState: models.FeeNone, SubmittedAt: in.Submitted}
	if in.Status != models.AppSubmitted {
		if in.Recommended == nil {
			in.Recommended = ptr(true)
		}
		if in.Rank == nil {
			in.Rank = ptr(1)
		}
		app.ChamberRecommended, app.ChamberRank, app.ChamberReviewedAt = in.Recommended, in.Rank, ptr(in.Submitted.Add(time.Hour))
	}
	switch in.Status {
	case models.AppWaitlisted:
		var n int64
		must(t, fx.db.Model(&models.Application{}).Where("fair_id = ? AND status = ?", fx.Fair.ID, models.AppWaitlisted).Count(&n).Error)
		app.WaitlistPosition = ptr(int(n) + 1)
	case models.AppOffered:
		app.OfferExpiresAt = ptr(rvNow.Add(48 * time.Hour))
	}
	must(t, fx.db.Create(&app).Error)
	return app
}

func (fx *rvFixture) stand(t *testing.T, code string, price int64) models.Stand {
	t.Helper()
	var hall models.Hall
	if err := fx.db.Where("fair_id = ?", fx.Fair.ID).Take(&hall).Error; err != nil {
		hall = models.Hall{FairID: fx.Fair.ID, Name: "Hall 1", WidthCm: 5000, DepthCm: 5000}
		must(t, fx.db.Create(&hall).Error)
	}
	var n int64
	must(t, fx.db.Model(&models.Stand{}).Where("fair_id = ?", fx.Fair.ID).Count(&n).Error)
	s := models.Stand{FairID: fx.Fair.ID, HallID: hall.ID, Code: code, Kind: models.StandStandard, XCm: int(n) * 300,
		WidthCm: 300, DepthCm: 300, PriceCents: price, Status: models.StandAvailable}
	must(t, fx.db.Create(&s).Error)
	return s
}

func countWhere(t *testing.T, db *gorm.DB, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	must(t, db.Model(model).Where(where, args...).Count(&n).Error)
	return n
}

func outboxKinds(t *testing.T, db *gorm.DB) []string {
	t.Helper()
	var out []string
	must(t, db.Model(&models.OutboxEmail{}).Order("id").Pluck("kind", &out).Error)
	return out
}

func TestDecideApplicationEveryStateAndDecision(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newRvFixture(t, db)
		want := map[models.Decision]struct {
			from []models.ApplicationStatus
			to   models.ApplicationStatus
		}{
			models.DecisionAccept:   {[]models.ApplicationStatus{models.AppChamberReviewed, models.AppWaitlisted}, models.AppAccepted},
			models.DecisionWaitlist: {[]models.ApplicationStatus{models.AppChamberReviewed}, models.AppWaitlisted},
			models.DecisionReject:   {[]models.ApplicationStatus{models.AppChamberReviewed, models.AppWaitlisted}, models.AppRejected},
			models.DecisionRelease:  {[]models.ApplicationStatus{models.AppAccepted}, models.AppReleased},
		}
		for _, st := range models.ApplicationStatuses {
			for _, d := range models.Decisions {
				t.Run(string(d)+" from "+string(st), func(t *testing.T) {
					app := fx.add(t, rvApp{Status: st})
					before := reloadApp(t, db, app.ID)
					audits, mails := countWhere(t, db, &models.AuditEntry{}, "1 = 1"), countWhere(t, db, &models.OutboxEmail{}, "1 = 1")
					got, err := models.DecideApplication(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, d, "Raison donnée à l'artisan", rvNow)
					rule := want[d]
					if slices.Contains(rule.from, st) {
						if err != nil {
							t.Fatalf("%s from %s: %v, want it allowed", d, st, err)
						}
						if got.Status != rule.to || got.DecidedBy == nil || *got.DecidedBy != fx.Organizer.ID || got.DecisionNote != "Raison donnée à l'artisan" {
							t.Errorf("after %s: status %s, decided by %v, note %q", d, got.Status, got.DecidedBy, got.DecisionNote)
						}
						if countWhere(t, db, &models.AuditEntry{}, "action = ? AND subject_id = ?", "application."+string(d), app.ID) != 1 {
							t.Errorf("no audit entry for %s", d)
						}
						if slices.Equal(models.AllowedDecisions(st), nil) {
							t.Errorf("AllowedDecisions(%s) is empty but %s worked", st, d)
						}
						return
					}
					switch {
					case st == models.AppSubmitted && !errors.Is(err, models.ErrNotChamberReviewed):
						t.Fatalf("%s on a submitted application: %v, want ErrNotChamberReviewed", d, err)
					case !errors.Is(err, models.ErrInvalidState):
						t.Fatalf("%s from %s: %v, want ErrInvalidState", d, st, err)
					}
					if msg, ok := models.RefusalMessage(err); !ok || msg == "" {
						t.Errorf("refusal of %s from %s has no message", d, st)
					}
					if after := reloadApp(t, db, app.ID); !reflect.DeepEqual(after, before) {
						t.Errorf("refused %s changed the application:\n got %+v\nwant %+v", d, after, before)
					}
					if a, m := countWhere(t, db, &models.AuditEntry{}, "1 = 1"), countWhere(t, db, &models.OutboxEmail{}, "1 = 1"); a != audits || m != mails {
						t.Errorf("refused %s wrote audit %d→%d, outbox %d→%d", d, audits, a, mails, m)
					}
					if slices.Contains(models.AllowedDecisions(st), d) {
						t.Errorf("AllowedDecisions(%s) offers %s, which is refused", st, d)
					}
				})
			}
		}
	})
}

func TestDecideApplicationNeedsAReason(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newRvFixture(t, db)
		for _, d := range []models.Decision{models.DecisionWaitlist, models.DecisionReject, models.DecisionRelease} {
			from := models.AppChamberReviewed
			if d == models.DecisionRelease {
				from = models.AppAccepted
			}
			app := fx.add(t, rvApp{Status: from})
			_, err := models.DecideApplication(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, d, "   ", rvNow)
			var ve *models.ValidationError
			if !errors.As(err, &ve) || ve.Fields["note"] != "DecisionNoteRequired" {
				t.Errorf("%s without a reason: %v, want a ValidationError on note", d, err)
			}
			if got := reloadApp(t, db, app.ID); got.Status != from {
				t.Errorf("%s without a reason moved the application to %s", d, got.Status)
			}
		}
		app := fx.add(t, rvApp{Status: models.AppChamberReviewed, Locale: "ar"})
		got, err := models.DecideApplication(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, models.DecisionAccept, "", rvNow)
		if err != nil || got.Status != models.AppAccepted {
			t.Fatalf("accept without a note: %v (%s), want accepted", err, got.Status)
		}
		var mail models.OutboxEmail
		must(t, db.Where("kind = ?", models.NoticeApplicationAccepted).Take(&mail).Error)
		if mail.Locale != "ar" || mail.NoticeParams()["fair"] != fx.Fair.Name {
			t.Errorf("acceptance e-mail: locale %s params %v, want ar and the fair's name", mail.Locale, mail.NoticeParams())
		}
		// A chamber agent (or anyone but an organizer) decides nothing.
		agent := models.User{ID: 99, Role: models.RoleChamber}
		other := fx.add(t, rvApp{Status: models.AppChamberReviewed})
		if _, err := models.DecideApplication(ctx, db, agent, fx.Fair.ID, other.ID, models.DecisionAccept, "", rvNow); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("decision by a chamber agent: %v, want ErrNotFound", err)
		}
		// Another fair's application is not found.
		if _, err := models.DecideApplication(ctx, db, fx.Organizer, fx.Fair.ID+1000, other.ID, models.DecisionAccept, "", rvNow); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("decision through another fair: %v, want ErrNotFound", err)
		}
	})
}

func TestAcceptRespectsRegionQuota(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newRvFixture(t, db)
		must(t, models.SetRegionQuotas(ctx, db, fx.Organizer, fx.Fair.ID, map[string]int{"FM": 2, "MS": 0}))
		fx.add(t, rvApp{Region: "FM", Status: models.AppOffered}) // an offered place counts
		first := fx.add(t, rvApp{Region: "FM", Status: models.AppChamberReviewed})
		second := fx.add(t, rvApp{Region: "FM", Status: models.AppWaitlisted})
		elsewhere := fx.add(t, rvApp{Region: "RSK", Status: models.AppChamberReviewed})
		closed := fx.add(t, rvApp{Region: "MS", Status: models.AppChamberReviewed})

		if _, err := models.DecideApplication(ctx, db, fx.Organizer, fx.Fair.ID, first.ID, models.DecisionAccept, "", rvNow); err != nil {
			t.Fatalf("accept within the quota: %v", err)
		}
		_, err := models.DecideApplication(ctx, db, fx.Organizer, fx.Fair.ID, second.ID, models.DecisionAccept, "", rvNow)
		var qe *models.QuotaReachedError
		if !errors.As(err, &qe) || qe.RegionCode != "FM" || qe.Quota != 2 || !errors.Is(err, models.ErrInvalidState) {
			t.Fatalf("accept beyond the quota: %v, want QuotaReachedError{FM, 2}", err)
		}
		if msg, _ := models.RefusalMessage(err); msg != "ReviewRefusedQuota" {
			t.Errorf("refusal message %q, want ReviewRefusedQuota", msg)
		}
		if got := reloadApp(t, db, second.ID); got.Status != models.AppWaitlisted || got.WaitlistPosition == nil {
			t.Errorf("refused acceptance changed the application: %s", got.Status)
		}
		if _, err := models.DecideApplication(ctx, db, fx.Organizer, fx.Fair.ID, closed.ID, models.DecisionAccept, "", rvNow); !errors.As(err, &qe) {
			t.Errorf("accept with a quota of 0: %v, want QuotaReachedError", err)
		}
		if _, err := models.DecideApplication(ctx, db, fx.Organizer, fx.Fair.ID, elsewhere.ID, models.DecisionAccept, "", rvNow); err != nil {
			t.Errorf("accept in a region without a quota: %v", err)
		}
		// Removing the quota (the region left out) lets the next one in.
		must(t, models.SetRegionQuotas(ctx, db, fx.Organizer, fx.Fair.ID, map[string]int{"MS": 0}))
		quotas, err := models.ListRegionQuotas(ctx, db, fx.Fair.ID)
		if err != nil || len(quotas) != 1 || quotas["MS"] != 0 {
			t.Fatalf("quotas after removing FM: %v %v, want only MS: 0", quotas, err)
		}
		if _, err := models.DecideApplication(ctx, db, fx.Organizer, fx.Fair.ID, second.ID, models.DecisionAccept, "", rvNow); err != nil {
			t.Errorf("accept after the quota was removed: %v", err)
		}
		// Bad quotas are refused per field and change nothing.
		err = models.SetRegionQuotas(ctx, db, fx.Organizer, fx.Fair.ID, map[string]int{"FM": -1, "XX": 3})
		var ve *models.ValidationError
		if !errors.As(err, &ve) || ve.Fields["quota_FM"] == "" || ve.Fields["quota_XX"] == "" {
			t.Errorf("bad quotas: %v, want errors on quota_FM and quota_XX", err)
		}
		if q, _ := models.ListRegionQuotas(ctx, db, fx.Fair.ID); len(q) != 1 {
			t.Errorf("refused quotas changed them: %v", q)
		}
	})
}

func TestWaitlistOrderAndMoves(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newRvFixture(t, db)
		var ids []int64
		for i := range 3 {
			app := fx.add(t, rvApp{Name: fmt.Sprintf("Atelier %c", 'A'+i), Status: models.AppChamberReviewed})
			got, err := models.DecideApplication(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, models.DecisionWaitlist, "Hall complet", rvNow)
			if err != nil {
				t.Fatal(err)
			}
			if got.WaitlistPosition == nil || *got.WaitlistPosition != i+1 {
				t.Fatalf("waitlisted #%d at position %v, want %d", i+1, got.WaitlistPosition, i+1)
			}
			ids = append(ids, app.ID)
		}
		order := func() []int64 {
			rows, err := models.ListWaitlist(ctx, db, fx.Fair.ID)
			must(t, err)
			out := make([]int64, len(rows))
			for i, r := range rows {
				out[i] = r.ID
			}
			return out
		}
		must(t, models.MoveWaitlistEntry(ctx, db, fx.Organizer, fx.Fair.ID, ids[2], models.MoveUp, rvNow))
		if got, want := order(), []int64{ids[0], ids[2], ids[1]}; !slices.Equal(got, want) {
			t.Fatalf("after moving the last up: %v, want %v", got, want)
		}
		must(t, models.MoveWaitlistEntry(ctx, db, fx.Organizer, fx.Fair.ID, ids[0], models.MoveDown, rvNow))
		if got, want := order(), []int64{ids[2], ids[0], ids[1]}; !slices.Equal(got, want) {
			t.Fatalf("after moving the first down: %v, want %v", got, want)
		}
		// The head cannot go further up; nothing changes.
		must(t, models.MoveWaitlistEntry(ctx, db, fx.Organizer, fx.Fair.ID, ids[2], models.MoveUp, rvNow))
		if got, want := order(), []int64{ids[2], ids[0], ids[1]}; !slices.Equal(got, want) {
			t.Fatalf("moving the head up changed the line: %v", got)
		}
		// The waitlist is offered in the order shown.
		accepted := fx.add(t, rvApp{Status: models.AppAccepted})
		if _, err := models.DecideApplication(ctx, db, fx.Organizer, fx.Fair.ID, accepted.ID, models.DecisionRelease, "Désistement", rvNow); err != nil {
			t.Fatal(err)
		}
		if got := reloadApp(t, db, ids[2]); got.Status != models.AppOffered {
			t.Errorf("first in line after the moves is %s, want offered", got.Status)
		}
		// Only waitlisted applications move.
		if err := models.MoveWaitlistEntry(ctx, db, fx.Organizer, fx.Fair.ID, accepted.ID, models.MoveUp, rvNow); !errors.Is(err, models.ErrInvalidState) {
			t.Errorf("moving a released application: %v, want ErrInvalidState", err)
		}
	})
}

func TestReleaseFreesTheStandAndOffersThePlace(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newRvFixture(t, db)
		stand := fx.stand(t, "C7", 60000)
		app := fx.add(t, rvApp{Status: models.AppAccepted})
		if _, err := models.AssignStand(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, stand.ID, rvNow); err != nil {
			t.Fatal(err)
		}
		first := fx.add(t, rvApp{Status: models.AppWaitlisted, Locale: "en"})
		second := fx.add(t, rvApp{Status: models.AppWaitlisted})
		must(t, db.Where("1 = 1").Delete(&models.OutboxEmail{}).Error)

		got, err := models.DecideApplication(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, models.DecisionRelease, "Pièces non conformes", rvNow)
		if err != nil {
			t.Fatalf("release: %v", err)
		}
		if got.Status != models.AppReleased || got.StandID != nil || got.FeeState != models.FeeNone {
			t.Errorf("released application: %s stand %v fee %s", got.Status, got.StandID, got.FeeState)
		}
		if s := reloadStand(t, db, stand.ID); s.Status != models.StandAvailable {
			t.Errorf("stand after release: %s, want available", s.Status)
		}
		offered := reloadApp(t, db, first.ID)
		if offered.Status != models.AppOffered || offered.OfferExpiresAt == nil || !offered.OfferExpiresAt.Equal(rvNow.Add(models.OfferWindow)) {
			t.Errorf("first waitlisted: %s until %v, want offered until %v", offered.Status, offered.OfferExpiresAt, rvNow.Add(models.OfferWindow))
		}
		if s := reloadApp(t, db, second.ID).Status; s != models.AppWaitlisted {
			t.Errorf("second waitlisted: %s, want still waitlisted", s)
		}
		if got, want := outboxKinds(t, db), []string{models.NoticeApplicationReleased, models.NoticePlaceOffered}; !slices.Equal(got, want) {
			t.Errorf("e-mails %v, want %v", got, want)
		}
	})
}

func TestBulkDecideReportsEachRefusal(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newRvFixture(t, db)
		a := fx.add(t, rvApp{Status: models.AppChamberReviewed})
		b := fx.add(t, rvApp{Status: models.AppChamberReviewed})
		c := fx.add(t, rvApp{Status: models.AppSubmitted})
		d := fx.add(t, rvApp{Status: models.AppRejected})
		res, err := models.BulkDecide(ctx, db, fx.Organizer, fx.Fair.ID, []int64{a.ID, c.ID, b.ID, d.ID, a.ID, 999999}, models.DecisionAccept, "", rvNow)
		if err != nil {
			t.Fatalf("bulk accept: %v", err)
		}
		if !slices.Equal(res.Done, []int64{a.ID, b.ID}) {
			t.Errorf("done %v, want %v", res.Done, []int64{a.ID, b.ID})
		}
		want := map[int64]string{c.ID: "ReviewRefusedNotReviewed", d.ID: "ReviewRefusedState", 999999: "ReviewRefusedNotFound"}
		if len(res.Refused) != len(want) {
			t.Errorf("refused %v, want %v", res.Refused, want)
		}
		for id, msg := range want {
			if res.Refused[id] != msg {
				t.Errorf("refusal of %d: %q, want %q", id, res.Refused[id], msg)
			}
		}
		// A bulk rejection without a reason is refused as a whole.
		e := fx.add(t, rvApp{Status: models.AppChamberReviewed})
		_, err = models.BulkDecide(ctx, db, fx.Organizer, fx.Fair.ID, []int64{e.ID}, models.DecisionReject, "", rvNow)
		var ve *models.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("bulk reject without a reason: %v, want a ValidationError", err)
		}
		if reloadApp(t, db, e.ID).Status != models.AppChamberReviewed {
			t.Error("bulk reject without a reason changed an application")
		}
	})
}

func TestExpireOffersMovesTheWaitlistOn(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newRvFixture(t, db)
		late := fx.add(t, rvApp{Status: models.AppOffered})
		must(t, db.Model(&models.Application{}).Where("id = ?", late.ID).Update("offer_expires_at", rvNow.Add(-time.Minute)).Error)
		onTime := fx.add(t, rvApp{Status: models.AppOffered}) // until rvNow + 48 h
		next := fx.add(t, rvApp{Status: models.AppWaitlisted})

		n, err := models.ExpireOffers(ctx, db, rvNow)
		if err != nil || n != 1 {
			t.Fatalf("ExpireOffers = %d, %v; want 1", n, err)
		}
		if s := reloadApp(t, db, late.ID).Status; s != models.AppOfferExpired {
			t.Errorf("late offer: %s, want offer_expired", s)
		}
		if s := reloadApp(t, db, onTime.ID).Status; s != models.AppOffered {
			t.Errorf("offer still running: %s, want offered", s)
		}
		if s := reloadApp(t, db, next.ID).Status; s != models.AppOffered {
			t.Errorf("next on the waitlist: %s, want offered", s)
		}
		if got := outboxKinds(t, db); !slices.Equal(got, []string{models.NoticeOfferExpired, models.NoticePlaceOffered}) {
			t.Errorf("e-mails %v, want offer_expired then place_offered", got)
		}
		if n, err := models.ExpireOffers(ctx, db, rvNow); err != nil || n != 0 {
			t.Errorf("second run: %d, %v; want 0", n, err)
		}
		// Two days later the second offer has run out too; the waitlist is empty.
		if n, err := models.ExpireOffers(ctx, db, rvNow.Add(49*time.Hour)); err != nil || n != 1 {
			t.Errorf("run after the deadline: %d, %v; want 1", n, err)
		}
	})
}

func TestExpireOffersConcurrentInstancesOnPostgres(t *testing.T) {
	db := dbtest.Postgres(t)
	ctx := context.Background()
	fx := newRvFixture(t, db)
	const offers, waiting = 12, 5
	for range offers {
		app := fx.add(t, rvApp{Status: models.AppOffered})
		must(t, db.Model(&models.Application{}).Where("id = ?", app.ID).Update("offer_expires_at", rvNow.Add(-time.Hour)).Error)
	}
	for range waiting {
		fx.add(t, rvApp{Status: models.AppWaitlisted})
	}
	var wg sync.WaitGroup
	counts := make([]int, 6)
	errs := make([]error, len(counts))
	for i := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[i], errs[i] = models.ExpireOffers(ctx, db, rvNow)
		}()
	}
	wg.Wait()
	total := 0
	for i := range counts {
		if errs[i] != nil {
			t.Errorf("instance %d: %v", i, errs[i])
		}
		total += counts[i]
	}
	// The waitlist's new offers expire later (rvNow + OfferWindow): only the 12 old ones go.
	if total != offers {
		t.Errorf("offers expired %d times in all, want exactly %d", total, offers)
	}
	if n := countWhere(t, db, &models.Application{}, "status = ?", models.AppOfferExpired); n != offers {
		t.Errorf("%d applications offer_expired, want %d", n, offers)
	}
	if n := countWhere(t, db, &models.AuditEntry{}, "action = ?", "application.offer_expired"); n != offers {
		t.Errorf("%d audit entries for expiries, want %d", n, offers)
	}
	if n := countWhere(t, db, &models.OutboxEmail{}, "kind = ?", models.NoticeOfferExpired); n != offers {
		t.Errorf("%d offer_expired e-mails, want %d", n, offers)
	}
	if n := countWhere(t, db, &models.Application{}, "status = ?", models.AppOffered); n != waiting {
		t.Errorf("%d new offers, want the %d waitlisted", n, waiting)
	}
}

func TestConcurrentDecisionsKeepQuotaAndWaitlistOnPostgres(t *testing.T) {
	db := dbtest.Postgres(t)
	ctx := context.Background()
	fx := newRvFixture(t, db)
	must(t, models.SetRegionQuotas(ctx, db, fx.Organizer, fx.Fair.ID, map[string]int{"FM": 3}))
	var toAccept, toWaitlist []int64
	for range 10 {
		toAccept = append(toAccept, fx.add(t, rvApp{Region: "FM", Status: models.AppChamberReviewed}).ID)
		toWaitlist = append(toWaitlist, fx.add(t, rvApp{Region: "SM", Status: models.AppChamberReviewed}).ID)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted, refused := 0, 0
	for i := range toAccept {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := models.DecideApplication(ctx, db, fx.Organizer, fx.Fair.ID, toAccept[i], models.DecisionAccept, "", rvNow)
			var qe *models.QuotaReachedError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				accepted++
			case errors.As(err, &qe):
				refused++
			default:
				t.Errorf("accept %d: %v", toAccept[i], err)
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := models.DecideApplication(ctx, db, fx.Organizer, fx.Fair.ID, toWaitlist[i], models.DecisionWaitlist, "Liste d'attente", rvNow); err != nil {
				t.Errorf("waitlist %d: %v", toWaitlist[i], err)
			}
		}()
	}
	wg.Wait()
	if accepted != 3 || refused != 7 {
		t.Errorf("accepted %d, refused %d; want exactly the quota of 3 accepted", accepted, refused)
	}
	rows, err := models.ListWaitlist(ctx, db, fx.Fair.ID)
	must(t, err)
	for i, r := range rows {
		if r.WaitlistPosition == nil || *r.WaitlistPosition != i+1 {
			pos := -1
			if r.WaitlistPosition != nil {
				pos = *r.WaitlistPosition
			}
			t.Errorf("waitlist line %d has position %d, want %d (positions 1…10, no duplicates)", i, pos, i+1)
		}
	}
	if len(rows) != 10 {
		t.Errorf("waitlist has %d entries, want 10", len(rows))
	}
}

func TestListFairApplicationsFiltersOrderAndPages(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newRvFixture(t, db)
		// Marrakech-Safi comes after Fès-Meknès in the official order; rank before submission.
		ms := fx.add(t, rvApp{Name: "Coopérative Tifawin", Region: "MS", Craft: "carpets", Status: models.AppChamberReviewed, Rank: ptr(1)})
		fm2 := fx.add(t, rvApp{Name: "Dar Zellige", Region: "FM", Status: models.AppChamberReviewed, Rank: ptr(2), Submitted: rvNow.Add(-90 * time.Hour)})
		fm1 := fx.add(t, rvApp{Name: "Atelier Bennani", Region: "FM", Status: models.AppChamberReviewed, Rank: ptr(1), Submitted: rvNow.Add(-10 * time.Hour)})
		no := fx.add(t, rvApp{Name: "Fekhar 100%", Region: "FM", Craft: "pottery", Status: models.AppChamberReviewed, Recommended: ptr(false), Rank: ptr(3)})
		sub := fx.add(t, rvApp{Name: "تعاونية الأطلس", Region: "TTA", Status: models.AppSubmitted})
		other := newRvFixture(t, db) // another fair's application never shows
		other.add(t, rvApp{Name: "Atelier d'ailleurs", Status: models.AppChamberReviewed})

		ids := func(f models.ApplicationFilter) []int64 {
			rows, total, err := models.ListFairApplications(ctx, db, fx.Fair.ID, f)
			must(t, err)
			if int(total) < len(rows) {
				t.Errorf("total %d < rows %d", total, len(rows))
			}
			out := make([]int64, len(rows))
			for i, r := range rows {
				out[i] = r.ID
			}
			return out
		}
		tests := []struct {
			name string
			f    models.ApplicationFilter
			want []int64
		}{
			{"all, by region then rank", models.ApplicationFilter{}, []int64{sub.ID, fm1.ID, fm2.ID, no.ID, ms.ID}},
			{"region", models.ApplicationFilter{Region: "FM"}, []int64{fm1.ID, fm2.ID, no.ID}},
			{"craft", models.ApplicationFilter{Craft: "carpets"}, []int64{ms.ID}},
			{"status", models.ApplicationFilter{Status: models.AppSubmitted}, []int64{sub.ID}},
			{"recommended", models.ApplicationFilter{Recommended: "yes"}, []int64{fm1.ID, fm2.ID, ms.ID}},
			{"not recommended", models.ApplicationFilter{Recommended: "no"}, []int64{no.ID}},
			{"not reviewed yet", models.ApplicationFilter{Recommended: "pending"}, []int64{sub.ID}},
			{"name, any case", models.ApplicationFilter{Q: "ZELLIGE"}, []int64{fm2.ID}},
			{"arabic name", models.ApplicationFilter{Q: "الأطلس"}, []int64{sub.ID}},
			{"percent is literal", models.ApplicationFilter{Q: "%"}, []int64{no.ID}},
			{"underscore is literal", models.ApplicationFilter{Q: "_"}, []int64{}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if got := ids(tc.f); !slices.Equal(got, tc.want) {
					t.Errorf("got %v, want %v", got, tc.want)
				}
			})
		}
		rows, _, err := models.ListFairApplications(ctx, db, fx.Fair.ID, models.ApplicationFilter{Craft: "carpets"})
		must(t, err)
		if r := rows[0]; r.ArtisanName != "Coopérative Tifawin" || r.RegionCode != "MS" || r.ChamberRank == nil || *r.ChamberRank != 1 ||
			r.ChamberRecommended == nil || !*r.ChamberRecommended || r.Status != models.AppChamberReviewed {
			t.Errorf("row %+v lacks the artisan, region, rank or recommendation", r)
		}
		t.Run("pages of 50", func(t *testing.T) {
			for range models.ApplicationsPerPage + 3 {
				fx.add(t, rvApp{Region: "DOD", Status: models.AppChamberReviewed})
			}
			rows, total, err := models.ListFairApplications(ctx, db, fx.Fair.ID, models.ApplicationFilter{Region: "DOD", Page: 2})
			must(t, err)
			if total != int64(models.ApplicationsPerPage+3) || len(rows) != 3 {
				t.Errorf("page 2: %d rows of %d, want 3 of %d", len(rows), total, models.ApplicationsPerPage+3)
			}
		})
	})
}

func TestFairApplicationStatsPerRegionAndCraft(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newRvFixture(t, db)
		must(t, models.SetRegionQuotas(ctx, db, fx.Organizer, fx.Fair.ID, map[string]int{"FM": 4}))
		fx.add(t, rvApp{Region: "FM", Craft: "zellige", Status: models.AppAccepted})
		fx.add(t, rvApp{Region: "FM", Craft: "zellige", Status: models.AppOffered})
		fx.add(t, rvApp{Region: "FM", Craft: "pottery", Status: models.AppWaitlisted})
		fx.add(t, rvApp{Region: "FM", Craft: "pottery", Status: models.AppChamberReviewed, Recommended: ptr(false)})
		fx.add(t, rvApp{Region: "FM", Craft: "pottery", Status: models.AppWithdrawn})
		fx.add(t, rvApp{Region: "MS", Craft: "carpets", Status: models.AppSubmitted})
		newRvFixture(t, db).add(t, rvApp{Region: "MS", Status: models.AppAccepted}) // another fair

		st, err := models.FairApplicationStats(ctx, db, fx.Fair.ID)
		must(t, err)
		if len(st.Regions) != 12 || st.Regions[0].Code != "TTA" || st.Regions[11].Code != "DOD" {
			t.Fatalf("regions %d (%v…), want the 12 in official order", len(st.Regions), st.Regions)
		}
		byRegion := map[string]models.ApplicationStat{}
		for _, r := range st.Regions {
			byRegion[r.Code] = r
		}
		fm := byRegion["FM"]
		if fm.Applied != 4 || fm.Recommended != 3 || fm.Accepted != 2 || fm.Waitlisted != 1 || fm.Quota == nil || *fm.Quota != 4 {
			t.Errorf("FM = %+v, want applied 4, recommended 3, accepted 2, waitlisted 1, quota 4", fm)
		}
		if ms := byRegion["MS"]; ms.Applied != 1 || ms.Recommended != 0 || ms.Accepted != 0 || ms.Quota != nil {
			t.Errorf("MS = %+v, want 1 applied, none recommended, no quota", ms)
		}
		if tta := byRegion["TTA"]; tta.Applied != 0 || tta.Accepted != 0 {
			t.Errorf("TTA = %+v, want zeros", tta)
		}
		crafts := map[string]models.ApplicationStat{}
		for _, c := range st.Crafts {
			crafts[c.Code] = c
		}
		if z := crafts["zellige"]; z.Applied != 2 || z.Accepted != 2 {
			t.Errorf("zellige = %+v, want 2 applied, 2 accepted", z)
		}
		if p := crafts["pottery"]; p.Applied != 2 || p.Waitlisted != 1 || p.Recommended != 1 {
			t.Errorf("pottery = %+v, want 2 applied (withdrawn left out), 1 waitlisted, 1 recommended", p)
		}
		if st.Total.Applied != 5 || st.Total.Accepted != 2 {
			t.Errorf("total = %+v, want 5 applied, 2 accepted", st.Total)
		}
	})
}

func TestBoothFeeCoveredAndPaid(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newRvFixture(t, db)
		// Before a stand: only the flag.
		early := fx.add(t, rvApp{Status: models.AppChamberReviewed})
		got, err := models.SetFeeCovered(ctx, db, fx.Organizer, fx.Fair.ID, early.ID, true, rvNow)
		if err != nil || !got.FeeCovered || got.FeeState != models.FeeNone {
			t.Fatalf("cover before a stand: %v, covered %v state %s; want covered, none", err, got.FeeCovered, got.FeeState)
		}

		stand := fx.stand(t, "A1", 45000)
		app := fx.add(t, rvApp{Status: models.AppAccepted})
		if _, err := models.AssignStand(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, stand.ID, rvNow); err != nil {
			t.Fatal(err)
		}
		got, err = models.SetFeeCovered(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, true, rvNow)
		if err != nil || got.FeeState != models.FeeCovered {
			t.Fatalf("cover a due fee: %v, %s; want fee_covered", err, got.FeeState)
		}
		if _, err := models.MarkFeePaid(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, "Virement", rvNow); !errors.Is(err, models.ErrInvalidState) {
			t.Errorf("mark a covered fee paid: %v, want ErrInvalidState", err)
		}
		got, err = models.SetFeeCovered(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, false, rvNow)
		if err != nil || got.FeeState != models.FeeDue || got.FeeCovered {
			t.Fatalf("uncover: %v, %s; want fee_due", err, got.FeeState)
		}
		if _, err := models.MarkFeePaid(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, "  ", rvNow); err == nil {
			t.Error("mark paid without a note was accepted")
		}
		got, err = models.MarkFeePaid(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, "Virement BMCE réf. 2026-114", rvNow)
		if err != nil || got.FeeState != models.FeePaid || got.FeePaidAt == nil || got.FeeNote != "Virement BMCE réf. 2026-114" {
			t.Fatalf("mark paid: %v, %+v", err, got)
		}
		if _, err := models.MarkFeePaid(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, "encore", rvNow); !errors.Is(err, models.ErrInvalidState) {
			t.Errorf("mark paid twice: %v, want ErrInvalidState", err)
		}
		// Covering never touches a paid fee.
		got, err = models.SetFeeCovered(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, true, rvNow)
		if err != nil || got.FeeState != models.FeePaid || !got.FeeCovered {
			t.Errorf("cover a paid fee: %v, %s; want still fee_paid", err, got.FeeState)
		}
		var paid models.OutboxEmail
		must(t, db.Where("kind = ?", models.NoticeFeePaid).Take(&paid).Error)
		if p := paid.NoticeParams(); p["stand"] != "A1" || p["fee_cents"] != "45000" {
			t.Errorf("fee_paid e-mail params %v, want stand A1 and 45000", p)
		}
		if n := countWhere(t, db, &models.AuditEntry{}, "action IN ? AND subject_id = ?", []string{"application.fee_covered", "application.fee_paid"}, app.ID); n != 4 {
			t.Errorf("%d fee audit entries, want 4 (cover, uncover, paid, cover)", n)
		}
		rejected := fx.add(t, rvApp{Status: models.AppRejected})
		if _, err := models.SetFeeCovered(ctx, db, fx.Organizer, fx.Fair.ID, rejected.ID, true, rvNow); !errors.Is(err, models.ErrInvalidState) {
			t.Errorf("cover the fee of a rejected application: %v, want ErrInvalidState", err)
		}
	})
}

func TestApplicationsCSV(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fx := newRvFixture(t, db)
		stand := fx.stand(t, "B12", 45000)
		app := fx.add(t, rvApp{Name: "تعاونية الأطلس للزرابي", Region: "DT", Craft: "carpets", Status: models.AppAccepted, Rank: ptr(2)})
		if _, err := models.AssignStand(ctx, db, fx.Organizer, fx.Fair.ID, app.ID, stand.ID, rvNow); err != nil {
			t.Fatal(err)
		}
		fx.add(t, rvApp{Name: `=HYPERLINK("http://evil.test","x")`, Status: models.AppSubmitted})
		fx.add(t, rvApp{Name: "@SUM(1+1)", Status: models.AppChamberReviewed, Recommended: ptr(false)})

		var buf bytes.Buffer
		must(t, models.WriteApplicationsCSV(ctx, db, fx.Fair.ID, &buf))
		if !bytes.HasPrefix(buf.Bytes(), []byte("\xEF\xBB\xBF")) {
			t.Fatal("the export does not start with the UTF-8 byte-order mark")
		}
		recs, err := csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
		must(t, err)
		if got := strings.Join(recs[0], ","); got != "id,artisan,region,craft,status,chamber_recommended,chamber_rank,stand,fee_state,fee_cents,submitted_at" {
			t.Errorf("header %q", got)
		}
		if len(recs) != 4 {
			t.Fatalf("%d records, want header + 3", len(recs))
		}
		byName := map[string][]string{}
		for _, r := range recs[1:] {
			byName[r[1]] = r
		}
		ar := byName["تعاونية الأطلس للزرابي"]
		if ar == nil {
			t.Fatalf("the Arabic name is not intact: %v", recs)
		}
		if want := []string{"DT", "carpets", "accepted", "yes", "2", "B12", "fee_due", "45000"}; !slices.Equal(ar[2:10], want) {
			t.Errorf("row %v, want %v", ar[2:10], want)
		}
		for _, name := range []string{`'=HYPERLINK("http://evil.test","x")`, "'@SUM(1+1)"} {
			if byName[name] == nil {
				t.Errorf("formula cell not neutralised: want %q among %v", name, recs)
			}
		}
		if r := byName["'@SUM(1+1)"]; r != nil && r[5] != "no" {
			t.Errorf("chamber_recommended %q, want no", r[5])
		}
	})
}
