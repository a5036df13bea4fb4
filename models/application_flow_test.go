package models_test

// The artisan's and the chamber's side of booth applications, on SQLite and PostgreSQL: every
// rule violation is refused with its message and changes nothing (rows and states re-read),
// every source state is tried for each transition, a withdrawal hands the place to the
// waitlist, and twenty concurrent submits of one artisan leave one row.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// flowNow is the clock of these tests: inside the demo fair's application window.
var flowNow = time.Date(2026, time.October, 1, 10, 0, 0, 0, time.UTC)

var flowSeq atomic.Int64

// flowArtisan creates an artisan account with a profile in region, verified or not.
type flowArtisan struct {
	User    models.User
	Artisan models.Artisan
}

func newFlowArtisan(t *testing.T, db *gorm.DB, region string, verified bool) flowArtisan {
	t.Helper()
	ctx := context.Background()
	n := flowSeq.Add(1)
	u, err := models.CreateUser(ctx, db, models.NewUser{Email: fmt.Sprintf("flow-%d@example.ma", n), Name: "Artisan", Password: "tagine-au-citron-2026", Role: models.RoleArtisan})
	if err != nil {
		t.Fatal(err)
	}
	a, err := models.SaveArtisanProfile(ctx, db, u.ID, models.ArtisanProfileInput{
		BusinessName: fmt.Sprintf("Atelier %d", n), Kind: "individual", RegionCode: region, CraftCode: "zellige", City: "Fès",
		BioFR: "Maître artisan.", RegistryNumber: fmt.Sprintf("FM-2020-%06d", n), CardNumber: fmt.Sprintf("CARD%06d", n),
	})
	if err != nil {
		t.Fatalf("save profile: %v", err)
	}
	if verified {
		if err := db.Model(&models.Artisan{}).Where("id = ?", a.ID).Update("status", models.ArtisanVerified).Error; err != nil {
			t.Fatal(err)
		}
		a.Status = models.ArtisanVerified
	}
	return flowArtisan{User: u, Artisan: a}
}

func flowProduct(t *testing.T, db *gorm.DB, a models.Artisan, status models.ProductStatus) models.Product {
	t.Helper()
	ctx := context.Background()
	p, err := models.CreateProduct(ctx, db, a.ID, models.ProductInput{TitleFR: "Pièce", CraftCode: "zellige", PriceCents: 4500, Stock: 1, PickupAtFair: true})
	if err != nil {
		t.Fatal(err)
	}
	if status != models.ProductDraft {
		if err := db.Model(&models.Product{}).Where("id = ?", p.ID).Update("status", status).Error; err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func flowFair(t *testing.T, db *gorm.DB, status models.FairStatus, openAt, closeAt *time.Time) models.Fair {
	t.Helper()
	n := flowSeq.Add(1)
	start := time.Date(2027, time.March, 19, 0, 0, 0, 0, time.UTC)
	f := models.Fair{Slug: fmt.Sprintf("flow-fair-%d", n), Name: fmt.Sprintf("Salon %d", n), City: "Bruxelles", Country: "BE",
		StartsOn: start, EndsOn: start.AddDate(0, 0, 2), Timezone: "Europe/Brussels", Status: status,
		ApplicationsOpenAt: openAt, ApplicationsCloseAt: closeAt, Currency: "EUR", FeePolicy: models.FeeStandPrice}
	if err := db.Create(&f).Error; err != nil {
		t.Fatal(err)
	}
	return f
}

func flowTimePtr(t time.Time) *time.Time { return &t }

// openFlowFair takes applications from a day before flowNow to a month after.
func openFlowFair(t *testing.T, db *gorm.DB) models.Fair {
	return flowFair(t, db, models.FairOpen, flowTimePtr(flowNow.AddDate(0, 0, -1)), flowTimePtr(flowNow.AddDate(0, 1, 0)))
}

func flowInput(products ...models.Product) models.ApplicationInput {
	in := models.ApplicationInput{PreferredKind: "corner", PreferredSizeM2: 9, PreferredZone: "près de l'entrée",
		Motivation: "Nous exposons du zellige taillé à la main depuis trente ans.", NeedsChamberFunding: true}
	for _, p := range products {
		in.ProductIDs = append(in.ProductIDs, p.ID)
	}
	return in
}

func flowApply(t *testing.T, db *gorm.DB, a flowArtisan, f models.Fair) models.Application {
	t.Helper()
	p := flowProduct(t, db, a.Artisan, models.ProductPublished)
	app, err := models.Apply(context.Background(), db, a.User.ID, f.ID, flowInput(p), flowNow)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return app
}

func flowReload(t *testing.T, db *gorm.DB, id int64) models.Application {
	t.Helper()
	var a models.Application
	if err := db.Where("id = ?", id).Take(&a).Error; err != nil {
		t.Fatal(err)
	}
	return a
}

func flowCount(t *testing.T, db *gorm.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// flowSetStatus puts an application in a state directly (what the organizers' side would do),
// with the columns that state needs.
func flowSetStatus(t *testing.T, db *gorm.DB, id int64, s models.ApplicationStatus) {
	t.Helper()
	cols := map[string]any{"status": s, "offer_expires_at": nil, "waitlist_position": nil}
	switch s {
	case models.AppOffered:
		cols["offer_expires_at"] = flowNow.Add(time.Hour)
	case models.AppWaitlisted:
		cols["waitlist_position"] = 1
	}
	if err := db.Model(&models.Application{}).Where("id = ?", id).Updates(cols).Error; err != nil {
		t.Fatal(err)
	}
}

// flowExpectRule fails unless err is a *RuleError with msg wrapping sentinel.
func flowExpectRule(t *testing.T, err error, msg string, sentinel error) *models.RuleError {
	t.Helper()
	var re *models.RuleError
	if !errors.As(err, &re) {
		t.Fatalf("error %v: want a RuleError %s", err, msg)
	}
	if re.MessageID != msg {
		t.Errorf("refusal %s, want %s", re.MessageID, msg)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("refusal %v does not wrap %v", err, sentinel)
	}
	return re
}

func flowExpectFields(t *testing.T, err error, want map[string]string) {
	t.Helper()
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v: want a ValidationError %v", err, want)
	}
	for k, v := range want {
		if ve.Fields[k] != v {
			t.Errorf("field %s: %q, want %q (all: %v)", k, ve.Fields[k], v, ve.Fields)
		}
	}
}

// flowOutbox lists the kinds of e-mails enqueued to an address, oldest first.
func flowOutbox(t *testing.T, db *gorm.DB, to string) []string {
	t.Helper()
	var kinds []string
	if err := db.Model(&models.OutboxEmail{}).Where("to_address = ?", to).Order("id").Pluck("kind", &kinds).Error; err != nil {
		t.Fatal(err)
	}
	return kinds
}

func TestApplyRules(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fair := openFlowFair(t, db)
		me := newFlowArtisan(t, db, "FM", true)
		mine := flowProduct(t, db, me.Artisan, models.ProductPublished)
		myDraft := flowProduct(t, db, me.Artisan, models.ProductDraft)
		myArchived := flowProduct(t, db, me.Artisan, models.ProductArchived)
		other := newFlowArtisan(t, db, "FM", true)
		theirs := flowProduct(t, db, other.Artisan, models.ProductPublished)

		nothingChanged := func(t *testing.T) {
			t.Helper()
			if n := flowCount(t, db, "applications"); n != 0 {
				t.Errorf("%d applications after a refusal, want 0", n)
			}
			if n := flowCount(t, db, "outbox_emails") + flowCount(t, db, "application_products"); n != 0 {
				t.Errorf("a refusal wrote %d outbox/product rows", n)
			}
		}

		t.Run("unverified artisan", func(t *testing.T) {
			pending := newFlowArtisan(t, db, "FM", false)
			p := flowProduct(t, db, pending.Artisan, models.ProductPublished)
			_, err := models.Apply(ctx, db, pending.User.ID, fair.ID, flowInput(p), flowNow)
			_ = flowExpectRule(t, err, models.MsgApplyNotVerified, models.ErrInvalidState)
			nothingChanged(t)
		})
		t.Run("account without a profile", func(t *testing.T) {
			u, err := models.CreateUser(ctx, db, models.NewUser{Email: "noprofile@example.ma", Name: "X", Password: "tagine-au-citron-2026", Role: models.RoleArtisan})
			if err != nil {
				t.Fatal(err)
			}
			_, err = models.Apply(ctx, db, u.ID, fair.ID, flowInput(mine), flowNow)
			_ = flowExpectRule(t, err, models.MsgApplyNoProfile, models.ErrInvalidState)
			nothingChanged(t)
		})
		t.Run("outside the window", func(t *testing.T) {
			openAt, closeAt := flowNow.AddDate(0, 0, 3), flowNow.AddDate(0, 1, 0)
			notYet := flowFair(t, db, models.FairOpen, &openAt, &closeAt)
			_, err := models.Apply(ctx, db, me.User.ID, notYet.ID, flowInput(mine), flowNow)
			re := flowExpectRule(t, err, models.MsgApplyNotYetOpen, models.ErrInvalidState)
			if re.OpensAt == nil || !re.OpensAt.Equal(openAt) || re.ClosesAt == nil || !re.ClosesAt.Equal(closeAt) {
				t.Errorf("refusal window %v–%v, want %v–%v", re.OpensAt, re.ClosesAt, openAt, closeAt)
			}
			past := flowFair(t, db, models.FairOpen, flowTimePtr(flowNow.AddDate(0, -2, 0)), flowTimePtr(flowNow.Add(-time.Second)))
			_, err = models.Apply(ctx, db, me.User.ID, past.ID, flowInput(mine), flowNow)
			_ = flowExpectRule(t, err, models.MsgApplyClosed, models.ErrInvalidState)
			// The window's last instant is excluded.
			_, err = models.Apply(ctx, db, me.User.ID, past.ID, flowInput(mine), flowNow.Add(-time.Second))
			_ = flowExpectRule(t, err, models.MsgApplyClosed, models.ErrInvalidState)
			for _, s := range []models.FairStatus{models.FairClosed, models.FairLive, models.FairArchived} {
				f := flowFair(t, db, s, nil, nil)
				_, err = models.Apply(ctx, db, me.User.ID, f.ID, flowInput(mine), flowNow)
				_ = flowExpectRule(t, err, models.MsgApplyClosed, models.ErrInvalidState)
			}
			draft := flowFair(t, db, models.FairDraft, nil, nil)
			if _, err = models.Apply(ctx, db, me.User.ID, draft.ID, flowInput(mine), flowNow); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("draft fair: %v, want ErrNotFound", err)
			}
			if _, err = models.Apply(ctx, db, me.User.ID, 987654, flowInput(mine), flowNow); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("no such fair: %v, want ErrNotFound", err)
			}
			nothingChanged(t)
		})
		t.Run("invalid fields", func(t *testing.T) {
			many := make([]models.Product, 13)
			for i := range many {
				many[i] = flowProduct(t, db, me.Artisan, models.ProductDraft)
			}
			cases := []struct {
				name string
				edit func(*models.ApplicationInput)
				want map[string]string
			}{
				{"kind", func(in *models.ApplicationInput) { in.PreferredKind = "palace" }, map[string]string{"preferred_kind": "FieldInvalidChoice"}},
				{"size", func(in *models.ApplicationInput) { in.PreferredSizeM2 = 7 }, map[string]string{"preferred_size": "FieldInvalidChoice"}},
				{"negative size", func(in *models.ApplicationInput) { in.PreferredSizeM2 = -9 }, map[string]string{"preferred_size": "FieldInvalidChoice"}},
				{"zone", func(in *models.ApplicationInput) { in.PreferredZone = string(make([]rune, 41)) + "x" }, map[string]string{"preferred_zone": "FieldTooLong"}},
				{"no motivation", func(in *models.ApplicationInput) { in.Motivation = "   " }, map[string]string{"motivation": "ApplicationMotivationRequired"}},
				{"short motivation", func(in *models.ApplicationInput) { in.Motivation = "Je veux venir." }, map[string]string{"motivation": "ApplicationMotivationTooShort"}},
				{"long motivation", func(in *models.ApplicationInput) { in.Motivation = string(slices.Repeat([]rune("é"), 2001)) }, map[string]string{"motivation": "FieldTooLong"}},
				{"no product", func(in *models.ApplicationInput) { in.ProductIDs = nil }, map[string]string{"products": "ApplicationProductsRequired"}},
				{"13 products", func(in *models.ApplicationInput) {
					in.ProductIDs = nil
					for _, p := range many {
						in.ProductIDs = append(in.ProductIDs, p.ID)
					}
				}, map[string]string{"products": "ApplicationProductsTooMany"}},
				{"another artisan's product", func(in *models.ApplicationInput) { in.ProductIDs = append(in.ProductIDs, theirs.ID) }, map[string]string{"products": "ApplicationProductsNotYours"}},
				{"archived product", func(in *models.ApplicationInput) { in.ProductIDs = []int64{myArchived.ID} }, map[string]string{"products": "ApplicationProductsNotYours"}},
				{"made-up product", func(in *models.ApplicationInput) { in.ProductIDs = []int64{99999999} }, map[string]string{"products": "ApplicationProductsNotYours"}},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					in := flowInput(mine, myDraft)
					tc.edit(&in)
					_, err := models.Apply(ctx, db, me.User.ID, fair.ID, in, flowNow)
					flowExpectFields(t, err, tc.want)
					nothingChanged(t)
				})
			}
		})

		var first models.Application
		t.Run("a valid application", func(t *testing.T) {
			in := flowInput(mine, myDraft)
			in.ProductIDs = append(in.ProductIDs, mine.ID) // a duplicate tick counts once
			var err error
			first, err = models.Apply(ctx, db, me.User.ID, fair.ID, in, flowNow)
			if err != nil {
				t.Fatal(err)
			}
			got := flowReload(t, db, first.ID)
			if got.Status != models.AppSubmitted || got.PreferredKind != "corner" || got.PreferredSizeM2 != 9 ||
				got.PreferredZone != "près de l'entrée" || !got.NeedsChamberFunding || got.FeeState != models.FeeNone ||
				!got.SubmittedAt.Equal(flowNow) || got.ArtisanID != me.Artisan.ID {
				t.Errorf("saved application %+v", got)
			}
			if n := flowCount(t, db, "application_products"); n != 2 {
				t.Errorf("%d products linked, want 2", n)
			}
			if k := flowOutbox(t, db, me.User.Email); !slices.Equal(k, []string{models.NoticeApplicationReceived}) {
				t.Errorf("notices %v, want application_received", k)
			}
			audit, _ := models.ListAudit(ctx, db, 10)
			if len(audit) == 0 || audit[0].Action != "application.submit" || audit[0].SubjectID != first.ID || audit[0].ActorID == nil || *audit[0].ActorID != me.User.ID {
				t.Errorf("audit %+v", audit)
			}
		})
		t.Run("twice to the same fair", func(t *testing.T) {
			apps, mails := flowCount(t, db, "applications"), flowCount(t, db, "outbox_emails")
			_, err := models.Apply(ctx, db, me.User.ID, fair.ID, flowInput(mine), flowNow)
			re := flowExpectRule(t, err, models.MsgApplyAlreadyApplied, models.ErrConflict)
			if re.AppID != first.ID {
				t.Errorf("refusal points to %d, want the existing %d", re.AppID, first.ID)
			}
			// Even an invalid second form is told it already applied (the rule comes first).
			_, err = models.Apply(ctx, db, me.User.ID, fair.ID, models.ApplicationInput{}, flowNow)
			_ = flowExpectRule(t, err, models.MsgApplyAlreadyApplied, models.ErrConflict)
			if a, m := flowCount(t, db, "applications"), flowCount(t, db, "outbox_emails"); a != apps || m != mails {
				t.Errorf("refused second application changed rows: applications %d→%d, outbox %d→%d", apps, a, mails, m)
			}
		})
	})
}

func TestApplyConcurrentSubmitsLeaveOneRow(t *testing.T) {
	db := dbtest.Postgres(t)
	ctx := context.Background()
	fair := openFlowFair(t, db)
	me := newFlowArtisan(t, db, "FM", true)
	p := flowProduct(t, db, me.Artisan, models.ProductPublished)
	const n = 20
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		okIDs   = make(chan int64, n)
		refused = make(chan *models.RuleError, n)
		others  = make(chan error, n)
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			app, err := models.Apply(ctx, db, me.User.ID, fair.ID, flowInput(p), flowNow)
			var re *models.RuleError
			switch {
			case err == nil:
				okIDs <- app.ID
			case errors.As(err, &re) && re.MessageID == models.MsgApplyAlreadyApplied:
				refused <- re
			default:
				others <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(okIDs)
	close(refused)
	close(others)
	for err := range others {
		t.Errorf("unexpected error: %v", err)
	}
	var winners []int64
	for id := range okIDs {
		winners = append(winners, id)
	}
	if len(winners) != 1 {
		t.Fatalf("%d submits succeeded, want exactly 1", len(winners))
	}
	nRefused := 0
	for re := range refused {
		nRefused++
		if re.AppID != winners[0] {
			t.Errorf("refusal points to %d, want %d", re.AppID, winners[0])
		}
	}
	if nRefused != n-1 {
		t.Errorf("%d refusals, want %d", nRefused, n-1)
	}
	if c := flowCount(t, db, "applications"); c != 1 {
		t.Errorf("%d applications, want 1", c)
	}
	if k := flowOutbox(t, db, me.User.Email); len(k) != 1 {
		t.Errorf("%d notices, want 1: %v", len(k), k)
	}
}

func TestUpdateApplicationOnlyWhileSubmitted(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fair := openFlowFair(t, db)
		for _, s := range models.ApplicationStatuses {
			t.Run(string(s), func(t *testing.T) {
				me := newFlowArtisan(t, db, "FM", true)
				app := flowApply(t, db, me, fair)
				flowSetStatus(t, db, app.ID, s)
				before := flowReload(t, db, app.ID)
				p2 := flowProduct(t, db, me.Artisan, models.ProductDraft)
				in := flowInput(p2)
				in.PreferredKind, in.PreferredSizeM2, in.Motivation = "island", 18, "Une nouvelle motivation, plus complète."
				got, err := models.UpdateApplication(ctx, db, me.User.ID, app.ID, in, flowNow)
				if s == models.AppSubmitted {
					if err != nil {
						t.Fatal(err)
					}
					if got.PreferredKind != "island" || got.PreferredSizeM2 != 18 || got.Motivation != in.Motivation {
						t.Errorf("updated %+v", got)
					}
					var ids []int64
					db.Model(&models.ApplicationProduct{}).Where("application_id = ?", app.ID).Pluck("product_id", &ids)
					if !slices.Equal(ids, []int64{p2.ID}) {
						t.Errorf("products %v, want [%d]", ids, p2.ID)
					}
					return
				}
				_ = flowExpectRule(t, err, models.MsgApplicationLocked, models.ErrInvalidState)
				if after := flowReload(t, db, app.ID); after.Motivation != before.Motivation || after.PreferredKind != before.PreferredKind || after.Status != s {
					t.Errorf("refused edit changed the application: %+v", after)
				}
			})
		}
		t.Run("after the window closed", func(t *testing.T) {
			me := newFlowArtisan(t, db, "FM", true)
			app := flowApply(t, db, me, fair)
			_, err := models.UpdateApplication(ctx, db, me.User.ID, app.ID, flowInput(flowProduct(t, db, me.Artisan, models.ProductDraft)), flowNow.AddDate(0, 2, 0))
			re := flowExpectRule(t, err, models.MsgApplicationEditClose, models.ErrInvalidState)
			if re.ClosesAt == nil {
				t.Error("refusal lacks the window")
			}
		})
		t.Run("another artisan's application", func(t *testing.T) {
			owner, intruder := newFlowArtisan(t, db, "FM", true), newFlowArtisan(t, db, "FM", true)
			app := flowApply(t, db, owner, fair)
			p := flowProduct(t, db, intruder.Artisan, models.ProductDraft)
			_, err := models.UpdateApplication(ctx, db, intruder.User.ID, app.ID, flowInput(p), flowNow)
			if !errors.Is(err, models.ErrNotFound) {
				t.Errorf("intruder's edit: %v, want ErrNotFound", err)
			}
			if after := flowReload(t, db, app.ID); after.Motivation != app.Motivation {
				t.Error("intruder changed the application")
			}
		})
		t.Run("invalid fields keep the application", func(t *testing.T) {
			me := newFlowArtisan(t, db, "FM", true)
			app := flowApply(t, db, me, fair)
			in := flowInput()
			in.Motivation = "court"
			_, err := models.UpdateApplication(ctx, db, me.User.ID, app.ID, in, flowNow)
			flowExpectFields(t, err, map[string]string{"motivation": "ApplicationMotivationTooShort", "products": "ApplicationProductsRequired"})
			if after := flowReload(t, db, app.ID); after.Motivation != app.Motivation {
				t.Error("invalid edit changed the application")
			}
		})
	})
}

func TestWithdrawFromEveryState(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fair := openFlowFair(t, db)
		allowed := []models.ApplicationStatus{models.AppSubmitted, models.AppChamberReviewed, models.AppWaitlisted, models.AppOffered, models.AppAccepted}
		for _, s := range models.ApplicationStatuses {
			t.Run(string(s), func(t *testing.T) {
				me := newFlowArtisan(t, db, "FM", true)
				app := flowApply(t, db, me, fair)
				flowSetStatus(t, db, app.ID, s)
				mails := len(flowOutbox(t, db, me.User.Email))
				got, err := models.WithdrawApplication(ctx, db, me.User.ID, app.ID, flowNow)
				if slices.Contains(allowed, s) {
					if err != nil {
						t.Fatal(err)
					}
					if got.Status != models.AppWithdrawn || got.WithdrawnAt == nil || !got.WithdrawnAt.Equal(flowNow) {
						t.Errorf("withdrawn: %+v", got)
					}
					if k := flowOutbox(t, db, me.User.Email); k[len(k)-1] != models.NoticeApplicationWithdrawn {
						t.Errorf("notices %v: want application_withdrawn last", k)
					}
					return
				}
				_ = flowExpectRule(t, err, models.MsgWithdrawRefused, models.ErrInvalidState)
				if after := flowReload(t, db, app.ID); after.Status != s || after.WithdrawnAt != nil {
					t.Errorf("refused withdrawal changed the application: %s", after.Status)
				}
				if len(flowOutbox(t, db, me.User.Email)) != mails {
					t.Error("refused withdrawal sent a notice")
				}
			})
		}
		t.Run("another artisan's application", func(t *testing.T) {
			owner, intruder := newFlowArtisan(t, db, "FM", true), newFlowArtisan(t, db, "FM", true)
			app := flowApply(t, db, owner, fair)
			if _, err := models.WithdrawApplication(ctx, db, intruder.User.ID, app.ID, flowNow); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("intruder's withdrawal: %v, want ErrNotFound", err)
			}
			if flowReload(t, db, app.ID).Status != models.AppSubmitted {
				t.Error("intruder withdrew the application")
			}
		})
	})
}

// flowStand adds a hall and a stand to the fair.
func flowStand(t *testing.T, db *gorm.DB, f models.Fair, code string) models.Stand {
	t.Helper()
	h := models.Hall{FairID: f.ID, Name: "Hall " + code, WidthCm: 3000, DepthCm: 2000}
	if err := db.Create(&h).Error; err != nil {
		t.Fatal(err)
	}
	s := models.Stand{FairID: f.ID, HallID: h.ID, Code: code, Kind: models.StandStandard, WidthCm: 300, DepthCm: 300,
		PriceCents: 60000, Status: models.StandAvailable}
	if err := db.Create(&s).Error; err != nil {
		t.Fatal(err)
	}
	return s
}

func flowOrganizer(t *testing.T, db *gorm.DB) models.User {
	t.Helper()
	u, err := models.CreateUser(context.Background(), db, models.NewUser{Email: fmt.Sprintf("org-%d@smap.example", flowSeq.Add(1)), Name: "Orga", Password: "tagine-au-citron-2026", Role: models.RoleOrganizer})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestWithdrawAcceptedFreesStandAndOffersThePlace(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fair := openFlowFair(t, db)
		stand := flowStand(t, db, fair, "B12")
		exhibitor := newFlowArtisan(t, db, "FM", true)
		app := flowApply(t, db, exhibitor, fair)
		flowSetStatus(t, db, app.ID, models.AppAccepted)
		if _, err := models.AssignStand(ctx, db, flowOrganizer(t, db), fair.ID, app.ID, stand.ID, flowNow); err != nil {
			t.Fatal(err)
		}
		first, second := newFlowArtisan(t, db, "MS", true), newFlowArtisan(t, db, "FM", true)
		w1, w2 := flowApply(t, db, first, fair), flowApply(t, db, second, fair)
		flowSetStatus(t, db, w2.ID, models.AppWaitlisted)
		db.Model(&models.Application{}).Where("id = ?", w2.ID).Update("waitlist_position", 2)
		flowSetStatus(t, db, w1.ID, models.AppWaitlisted) // position 1

		got, err := models.WithdrawApplication(ctx, db, exhibitor.User.ID, app.ID, flowNow)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != models.AppWithdrawn || got.StandID != nil || got.FeeState != models.FeeNone {
			t.Errorf("withdrawn application %+v still holds its stand or fee", got)
		}
		var s models.Stand
		db.Where("id = ?", stand.ID).Take(&s)
		if s.Status != models.StandAvailable {
			t.Errorf("stand %s is %s, want available", s.Code, s.Status)
		}
		o1, o2 := flowReload(t, db, w1.ID), flowReload(t, db, w2.ID)
		if o1.Status != models.AppOffered || o1.OfferExpiresAt == nil || !o1.OfferExpiresAt.Equal(flowNow.Add(models.OfferWindow)) {
			t.Errorf("first waitlisted: %s (offer until %v), want offered for %v", o1.Status, o1.OfferExpiresAt, models.OfferWindow)
		}
		if o2.Status != models.AppWaitlisted {
			t.Errorf("second waitlisted: %s, want still waitlisted", o2.Status)
		}
		if k := flowOutbox(t, db, exhibitor.User.Email); k[len(k)-1] != models.NoticeApplicationWithdrawn {
			t.Errorf("exhibitor notices %v", k)
		}
		if k := flowOutbox(t, db, first.User.Email); k[len(k)-1] != models.NoticePlaceOffered {
			t.Errorf("first waitlisted notices %v, want place_offered", k)
		}
		if k := flowOutbox(t, db, second.User.Email); slices.Contains(k, models.NoticePlaceOffered) {
			t.Errorf("second waitlisted was offered too: %v", k)
		}

		// The offered artisan declines: the place moves on to the next one.
		if _, err := models.DeclineOffer(ctx, db, first.User.ID, w1.ID, flowNow.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := flowReload(t, db, w1.ID); got.Status != models.AppWithdrawn {
			t.Errorf("declined offer: %s, want withdrawn", got.Status)
		}
		if got := flowReload(t, db, w2.ID); got.Status != models.AppOffered {
			t.Errorf("next waitlisted after a decline: %s, want offered", got.Status)
		}
		// The second takes it.
		got, err = models.AcceptOffer(ctx, db, second.User.ID, w2.ID, flowNow.Add(2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != models.AppAccepted || got.WaitlistPosition != nil {
			t.Errorf("accepted offer: %+v", got)
		}
		if k := flowOutbox(t, db, second.User.Email); k[len(k)-1] != models.NoticeApplicationAccepted {
			t.Errorf("notices after accepting %v", k)
		}
	})
}

func TestOfferAnswersFromEveryState(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fair := openFlowFair(t, db)
		answers := map[string]func(context.Context, *gorm.DB, int64, int64, time.Time) (models.Application, error){
			"accept":  models.AcceptOffer,
			"decline": models.DeclineOffer,
		}
		want := map[string]models.ApplicationStatus{"accept": models.AppAccepted, "decline": models.AppWithdrawn}
		for name, answer := range answers {
			for _, s := range models.ApplicationStatuses {
				t.Run(name+"/"+string(s), func(t *testing.T) {
					me := newFlowArtisan(t, db, "FM", true)
					app := flowApply(t, db, me, fair)
					flowSetStatus(t, db, app.ID, s)
					got, err := answer(ctx, db, me.User.ID, app.ID, flowNow)
					if s == models.AppOffered {
						if err != nil || got.Status != want[name] {
							t.Fatalf("%s an open offer: %v, %s", name, err, got.Status)
						}
						return
					}
					_ = flowExpectRule(t, err, models.MsgOfferNotOpen, models.ErrInvalidState)
					if after := flowReload(t, db, app.ID); after.Status != s {
						t.Errorf("refused answer changed the state to %s", after.Status)
					}
				})
			}
			t.Run(name+"/after the deadline", func(t *testing.T) {
				me := newFlowArtisan(t, db, "FM", true)
				app := flowApply(t, db, me, fair)
				flowSetStatus(t, db, app.ID, models.AppOffered) // deadline flowNow + 1h
				for _, at := range []time.Time{flowNow.Add(time.Hour), flowNow.Add(48 * time.Hour)} {
					_, err := answer(ctx, db, me.User.ID, app.ID, at)
					_ = flowExpectRule(t, err, models.MsgOfferExpired, models.ErrInvalidState)
				}
				if after := flowReload(t, db, app.ID); after.Status != models.AppOffered {
					t.Errorf("late answer changed the state to %s", after.Status)
				}
			})
			t.Run(name+"/another artisan's offer", func(t *testing.T) {
				owner, intruder := newFlowArtisan(t, db, "FM", true), newFlowArtisan(t, db, "FM", true)
				app := flowApply(t, db, owner, fair)
				flowSetStatus(t, db, app.ID, models.AppOffered)
				if _, err := answer(ctx, db, intruder.User.ID, app.ID, flowNow); !errors.Is(err, models.ErrNotFound) {
					t.Errorf("intruder's answer: %v, want ErrNotFound", err)
				}
				if flowReload(t, db, app.ID).Status != models.AppOffered {
					t.Error("intruder answered the offer")
				}
			})
		}
	})
}

func flowAgent(t *testing.T, db *gorm.DB, region string) models.User {
	t.Helper()
	u, err := models.CreateUser(context.Background(), db, models.NewUser{Email: fmt.Sprintf("agent-%d@chambre.ma", flowSeq.Add(1)), Name: "Agent",
		Password: "tagine-au-citron-2026", Role: models.RoleChamber, RegionCode: region})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func flowRanks(t *testing.T, db *gorm.DB, apps ...models.Application) []int {
	t.Helper()
	out := make([]int, len(apps))
	for i, a := range apps {
		if r := flowReload(t, db, a.ID).ChamberRank; r != nil {
			out[i] = *r
		}
	}
	return out
}

func TestChamberReviewRanksAndRefuses(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fair := openFlowFair(t, db)
		agent, agentMS := flowAgent(t, db, "FM"), flowAgent(t, db, "MS")
		artisanA, artisanB, artisanC := newFlowArtisan(t, db, "FM", true), newFlowArtisan(t, db, "FM", true), newFlowArtisan(t, db, "FM", true)
		a, b, c := flowApply(t, db, artisanA, fair), flowApply(t, db, artisanB, fair), flowApply(t, db, artisanC, fair)
		msArtisan := newFlowArtisan(t, db, "MS", true)
		ms := flowApply(t, db, msArtisan, fair)

		t.Run("another region's application", func(t *testing.T) {
			audit := flowCount(t, db, "audit_entries")
			for _, tc := range []struct {
				recommend bool
				rank      int
				note      string
			}{{true, 1, ""}, {false, 0, "Dossier incomplet."}, {true, 0, ""}, {false, 0, ""}} {
				if _, err := models.ChamberReview(ctx, db, agent, ms.ID, tc.recommend, tc.rank, tc.note, flowNow); !errors.Is(err, models.ErrNotFound) {
					t.Errorf("FM agent on the MS application %+v: %v, want ErrNotFound", tc, err)
				}
			}
			if got := flowReload(t, db, ms.ID); got.Status != models.AppSubmitted || got.ChamberRecommended != nil || got.ChamberRank != nil {
				t.Errorf("MS application changed: %+v", got)
			}
			if flowCount(t, db, "audit_entries") != audit {
				t.Error("refused review wrote an audit entry")
			}
		})
		t.Run("not a chamber agent", func(t *testing.T) {
			org := flowOrganizer(t, db)
			if _, err := models.ChamberReview(ctx, db, org, a.ID, true, 1, "", flowNow); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("organizer as agent: %v, want ErrNotFound", err)
			}
			if _, err := models.ChamberReview(ctx, db, artisanA.User, a.ID, true, 1, "", flowNow); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("artisan as agent: %v, want ErrNotFound", err)
			}
		})
		t.Run("invalid review", func(t *testing.T) {
			_, err := models.ChamberReview(ctx, db, agent, a.ID, true, 0, "", flowNow)
			flowExpectFields(t, err, map[string]string{"rank": "ChamberRankRequired"})
			_, err = models.ChamberReview(ctx, db, agent, a.ID, true, models.MaxChamberRank+1, "", flowNow)
			flowExpectFields(t, err, map[string]string{"rank": "ChamberRankInvalid"})
			_, err = models.ChamberReview(ctx, db, agent, a.ID, false, 0, "  ", flowNow)
			flowExpectFields(t, err, map[string]string{"note": "ChamberNoteRequired"})
			if got := flowReload(t, db, a.ID); got.Status != models.AppSubmitted || got.ChamberRecommended != nil {
				t.Errorf("invalid review changed the application: %+v", got)
			}
		})
		t.Run("ranking", func(t *testing.T) {
			step := func(app models.Application, recommend bool, rank int, note string, want []int) {
				t.Helper()
				if _, err := models.ChamberReview(ctx, db, agent, app.ID, recommend, rank, note, flowNow); err != nil {
					t.Fatal(err)
				}
				if got := flowRanks(t, db, a, b, c); !slices.Equal(got, want) {
					t.Errorf("ranks of a, b, c = %v, want %v", got, want)
				}
			}
			step(a, true, 1, "", []int{1, 0, 0})
			step(b, true, 1, "", []int{2, 1, 0}) // b takes rank 1, a moves down
			step(c, true, 7, "", []int{2, 1, 3}) // past the end: last
			step(a, true, 1, "", []int{1, 2, 3}) // a revised to the top
			step(c, true, 2, "", []int{1, 3, 2}) // c moves up, b down
			step(b, false, 0, "Pas de produits finis.", []int{1, 0, 2})
			step(b, true, 2, "", []int{1, 2, 3}) // changed their mind
			got := flowReload(t, db, b.ID)
			if got.Status != models.AppChamberReviewed || got.ChamberRecommended == nil || !*got.ChamberRecommended ||
				got.ChamberReviewedBy == nil || *got.ChamberReviewedBy != agent.ID || got.ChamberReviewedAt == nil {
				t.Errorf("reviewed application %+v", got)
			}
			// The MS agent ranks their own applicant 1 without touching FM's ranking.
			if _, err := models.ChamberReview(ctx, db, agentMS, ms.ID, true, 1, "", flowNow); err != nil {
				t.Fatal(err)
			}
			if got := flowRanks(t, db, a, b, c, ms); !slices.Equal(got, []int{1, 2, 3, 1}) {
				t.Errorf("ranks across regions %v", got)
			}
			// One notice per artisan: revisions do not write again; the recommendation is not in it.
			for _, x := range []flowArtisan{artisanA, artisanB, artisanC} {
				if k := flowOutbox(t, db, x.User.Email); !slices.Equal(k, []string{models.NoticeApplicationReceived, models.NoticeChamberReviewed}) {
					t.Errorf("notices of %s: %v", x.User.Email, k)
				}
			}
			var mail models.OutboxEmail
			db.Where("to_address = ? AND kind = ?", artisanB.User.Email, models.NoticeChamberReviewed).Take(&mail)
			if p := mail.NoticeParams(); p["fair"] != fair.Name || len(p) != 2 {
				t.Errorf("chamber notice params %v: want the fair and the artisan only", p)
			}
			// A withdrawn applicant leaves the ranking the next time it is touched.
			if _, err := models.WithdrawApplication(ctx, db, artisanA.User.ID, a.ID, flowNow); err != nil {
				t.Fatal(err)
			}
			step(c, true, 1, "", []int{1, 2, 1})
		})
		t.Run("every source state", func(t *testing.T) {
			for _, s := range models.ApplicationStatuses {
				t.Run(string(s), func(t *testing.T) {
					x := newFlowArtisan(t, db, "FM", true)
					app := flowApply(t, db, x, fair)
					flowSetStatus(t, db, app.ID, s)
					_, err := models.ChamberReview(ctx, db, agent, app.ID, false, 0, "Motif.", flowNow)
					if s == models.AppSubmitted || s == models.AppChamberReviewed {
						if err != nil {
							t.Fatal(err)
						}
						return
					}
					_ = flowExpectRule(t, err, models.MsgChamberReviewLocked, models.ErrInvalidState)
					if got := flowReload(t, db, app.ID); got.Status != s || got.ChamberRecommended != nil {
						t.Errorf("refused review changed the application: %+v", got)
					}
				})
			}
		})
	})
}

func TestApplicationLists(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fair := openFlowFair(t, db)
		other := openFlowFair(t, db)
		closed := flowFair(t, db, models.FairOpen, flowTimePtr(flowNow.AddDate(0, -2, 0)), flowTimePtr(flowNow.AddDate(0, 0, -1)))
		me, them := newFlowArtisan(t, db, "FM", true), newFlowArtisan(t, db, "MS", true)
		mine := flowApply(t, db, me, fair)
		mine2 := flowApply(t, db, me, other)
		theirs := flowApply(t, db, them, fair)
		stand := flowStand(t, db, fair, "C3")
		flowSetStatus(t, db, mine.ID, models.AppAccepted)
		if _, err := models.AssignStand(ctx, db, flowOrganizer(t, db), fair.ID, mine.ID, stand.ID, flowNow); err != nil {
			t.Fatal(err)
		}

		rows, err := models.ListArtisanApplications(ctx, db, me.User.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, r := range rows {
			got = append(got, r.ID)
			if r.ID == mine.ID && (r.FairName != fair.Name || r.StandCode != "C3" || r.FeeState != models.FeeDue || r.FeeCents != 60000 ||
				r.ProductCount != 1 || !r.FairStartsOn.Equal(fair.StartsOn)) {
				t.Errorf("row %+v", r)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, []int64{mine.ID, mine2.ID}) {
			t.Errorf("my applications %v, want %v", got, []int64{mine.ID, mine2.ID})
		}

		d, err := models.GetArtisanApplication(ctx, db, me.User.ID, mine.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Stand == nil || d.Stand.Code != "C3" || len(d.Products) != 1 || d.Fair.ID != fair.ID || d.Artisan.ID != me.Artisan.ID {
			t.Errorf("detail %+v", d)
		}
		var steps []string
		for _, e := range d.History {
			steps = append(steps, string(e.Status)+e.Stand)
		}
		if !slices.Equal(steps, []string{"submitted", "C3"}) {
			t.Errorf("history %v, want submitted then stand C3", steps)
		}
		if _, err := models.GetArtisanApplication(ctx, db, me.User.ID, theirs.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("another artisan's application: %v, want ErrNotFound", err)
		}

		agent := flowAgent(t, db, "FM")
		list, err := models.ListChamberApplications(ctx, db, agent, fair.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != mine.ID || list[0].BusinessName != me.Artisan.BusinessName || list[0].ProductCount != 1 {
			t.Errorf("FM chamber list %+v", list)
		}
		if _, err := models.GetChamberApplication(ctx, db, agent, theirs.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("MS application for the FM agent: %v, want ErrNotFound", err)
		}
		if d, err := models.GetChamberApplication(ctx, db, agent, mine.ID); err != nil || d.Artisan.ID != me.Artisan.ID {
			t.Errorf("FM application for the FM agent: %v", err)
		}
		fairs, err := models.ListChamberFairs(ctx, db, agent)
		if err != nil || len(fairs) != 2 {
			t.Fatalf("chamber fairs %+v, %v", fairs, err)
		}
		for _, f := range fairs {
			if f.Applications != 1 || (f.ID == other.ID) != (f.ToReview == 1) {
				t.Errorf("chamber fair %s: %d applications, %d to review", f.Name, f.Applications, f.ToReview)
			}
		}
		if _, err := models.ListChamberApplications(ctx, db, me.User, fair.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("artisan listing chamber applications: %v", err)
		}

		open, err := models.ListOpenFairs(ctx, db, flowNow)
		if err != nil {
			t.Fatal(err)
		}
		var openIDs []int64
		for _, f := range open {
			openIDs = append(openIDs, f.ID)
		}
		if !slices.Contains(openIDs, fair.ID) || !slices.Contains(openIDs, other.ID) || slices.Contains(openIDs, closed.ID) {
			t.Errorf("open fairs %v", openIDs)
		}
	})
}

func TestChamberRankingConcurrentOnPostgres(t *testing.T) {
	db := dbtest.Postgres(t)
	ctx := context.Background()
	fair := openFlowFair(t, db)
	agents := []models.User{flowAgent(t, db, "FM"), flowAgent(t, db, "FM")}
	apps := make([]models.Application, 8)
	for i := range apps {
		apps[i] = flowApply(t, db, newFlowArtisan(t, db, "FM", true), fair)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, len(apps))
	for i, app := range apps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// Every application is put at rank 1 at the same time, by two agents.
			_, err := models.ChamberReview(ctx, db, agents[i%2], app.ID, true, 1, "", flowNow)
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent review: %v", err)
		}
	}
	got := flowRanks(t, db, apps...)
	slices.Sort(got)
	if !slices.Equal(got, []int{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("ranks after concurrent reviews %v, want 1…8 once each", got)
	}
}
