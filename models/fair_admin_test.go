package models_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// faOrganizer creates an organizer account.
func faOrganizer(t *testing.T, db *gorm.DB) models.User {
	t.Helper()
	u, err := models.CreateUser(context.Background(), db, models.NewUser{Email: dbtest.Name("org") + "@smap.example",
		Name: "Organisatrice", Password: "tagine-au-citron-2026", Role: models.RoleOrganizer})
	if err != nil {
		t.Fatalf("create organizer: %v", err)
	}
	return u
}

// faInput is a valid fair form.
func faInput(name string) models.FairInput {
	return models.FairInput{
		Name: name, City: "Bruxelles", Country: "BE", Venue: "Brussels Expo", Address: "Place de Belgique 1, 1020 Bruxelles",
		StartsOn: "2027-03-19", EndsOn: "2027-03-21", Timezone: "Europe/Brussels",
		ApplicationsOpenAt: "2027-01-10T09:00", ApplicationsCloseAt: "2027-02-15T18:00",
		Currency: "EUR", FeePolicy: "stand_price", VisitorRegistration: true,
	}
}

func faAudit(t *testing.T, db *gorm.DB, action string) []models.AuditEntry {
	t.Helper()
	var out []models.AuditEntry
	if err := db.Where("action = ?", action).Order("id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

func faFields(t *testing.T, err error) map[string]string {
	t.Helper()
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a ValidationError, got %v", err)
	}
	return ve.Fields
}

func TestCreateFairValidation(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		org := faOrganizer(t, db)
		tests := []struct {
			name  string
			edit  func(*models.FairInput)
			field string
			msg   string
		}{
			{"name required", func(in *models.FairInput) { in.Name = "  " }, "fair_name", "FieldRequired"},
			{"name too long", func(in *models.FairInput) { in.Name = strings.Repeat("é", 121) }, "fair_name", "FieldTooLong"},
			{"city required", func(in *models.FairInput) { in.City = "" }, "fair_city", "FieldRequired"},
			{"country outside BE/FR", func(in *models.FairInput) { in.Country = "MA" }, "fair_country", "FieldInvalidChoice"},
			{"venue required", func(in *models.FairInput) { in.Venue = "" }, "fair_venue", "FieldRequired"},
			{"address required", func(in *models.FairInput) { in.Address = "" }, "fair_address", "FieldRequired"},
			{"bad slug", func(in *models.FairInput) { in.Slug = "Salon 2027!" }, "fair_slug", "FairSlugInvalid"},
			{"start required", func(in *models.FairInput) { in.StartsOn = "" }, "fair_starts_on", "FieldRequired"},
			{"start not a date", func(in *models.FairInput) { in.StartsOn = "19/03/2027" }, "fair_starts_on", "FairDateInvalid"},
			{"ends before it starts", func(in *models.FairInput) { in.EndsOn = "2027-03-18" }, "fair_ends_on", "FairEndsBeforeStarts"},
			{"unknown time zone", func(in *models.FairInput) { in.Timezone = "Europe/Atlantis" }, "fair_timezone", "FairTimezoneInvalid"},
			{"time zone required", func(in *models.FairInput) { in.Timezone = "" }, "fair_timezone", "FairTimezoneInvalid"},
			{"window closes before it opens", func(in *models.FairInput) { in.ApplicationsCloseAt = "2027-01-10T08:59" }, "fair_closes_at", "FairWindowOrder"},
			{"window closes when it opens", func(in *models.FairInput) { in.ApplicationsCloseAt = in.ApplicationsOpenAt }, "fair_closes_at", "FairWindowOrder"},
			{"window bound not a date", func(in *models.FairInput) { in.ApplicationsOpenAt = "demain" }, "fair_opens_at", "FairDateTimeInvalid"},
			{"currency other than EUR", func(in *models.FairInput) { in.Currency = "MAD" }, "fair_currency", "FieldInvalidChoice"},
			{"unknown fee policy", func(in *models.FairInput) { in.FeePolicy = "donation" }, "fair_fee_policy", "FieldInvalidChoice"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := faInput("Salon " + tt.name)
				tt.edit(&in)
				_, err := models.CreateFair(ctx, db, org, in)
				if got := faFields(t, err)[tt.field]; got != tt.msg {
					t.Errorf("field %s: %q, want %q (all: %v)", tt.field, got, tt.msg, err)
				}
			})
		}
		var n int64
		db.Model(&models.Fair{}).Count(&n)
		if n != 0 {
			t.Fatalf("refused forms created %d fairs", n)
		}

		f, err := models.CreateFair(ctx, db, org, faInput("Souk Expo Bruxelles 2027"))
		if err != nil {
			t.Fatalf("create valid fair: %v", err)
		}
		if f.Slug != "souk-expo-bruxelles-2027" || f.Status != models.FairDraft || f.Currency != "EUR" || !f.VisitorRegistration {
			t.Errorf("created fair: slug %q status %s currency %s registration %v", f.Slug, f.Status, f.Currency, f.VisitorRegistration)
		}
		// The window is typed in the fair's time zone (Brussels, UTC+1 in winter) and kept in UTC.
		if got := f.ApplicationsOpenAt.UTC(); !got.Equal(time.Date(2027, 1, 10, 8, 0, 0, 0, time.UTC)) {
			t.Errorf("window opens at %v, want 08:00 UTC", got)
		}
		stored, err := models.GetFair(ctx, db, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		back := models.FairFormValues(stored)
		if back.ApplicationsOpenAt != "2027-01-10T09:00" || back.StartsOn != "2027-03-19" || back.EndsOn != "2027-03-21" {
			t.Errorf("form values after a round trip: %+v", back)
		}
		if a := faAudit(t, db, "fair.create"); len(a) != 1 || a[0].ActorID == nil || *a[0].ActorID != org.ID || a[0].SubjectID != f.ID {
			t.Errorf("audit of the creation: %+v", a)
		}

		again, err := models.CreateFair(ctx, db, org, faInput("Souk Expo Bruxelles 2027"))
		if err != nil || again.Slug != "souk-expo-bruxelles-2027-2" {
			t.Errorf("same name again: slug %q, err %v; want a numbered slug", again.Slug, err)
		}
		in := faInput("Autre salon")
		in.Slug = "souk-expo-bruxelles-2027"
		if _, err := models.CreateFair(ctx, db, org, in); faFields(t, err)["fair_slug"] != "FairSlugTaken" {
			t.Errorf("typed slug already taken: %v", err)
		}
		if _, err := models.CreateFair(ctx, db, org, faInput("معرض الصناعة التقليدية")); faFields(t, err)["fair_slug"] != "FairSlugRequired" {
			t.Errorf("Arabic-only name without a slug: %v", err)
		}
		in = faInput("معرض الصناعة التقليدية")
		in.Slug = "maarid-2027"
		if f, err := models.CreateFair(ctx, db, org, in); err != nil || f.Slug != "maarid-2027" {
			t.Errorf("Arabic name with a typed slug: %q %v", f.Slug, err)
		}
		visitor, err := models.CreateUser(ctx, db, models.NewUser{Email: "visiteur@example.be", Name: "V", Password: "tagine-au-citron-2026", Role: models.RoleVisitor})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.CreateFair(ctx, db, visitor, faInput("Salon pirate")); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("a visitor creating a fair: %v, want ErrNotFound", err)
		}
	})
}

func TestUpdateFair(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		org := faOrganizer(t, db)
		f, err := models.CreateFair(ctx, db, org, faInput("Salon de Paris 2027"))
		if err != nil {
			t.Fatal(err)
		}
		in := faInput("Salon de Paris 2027")
		in.Slug, in.City, in.Country, in.Timezone, in.FeePolicy = "paris-2027", "Paris", "FR", "Europe/Paris", "free"
		got, err := models.UpdateFair(ctx, db, org, f.ID, in)
		if err != nil {
			t.Fatalf("update draft: %v", err)
		}
		if got.Slug != "paris-2027" || got.City != "Paris" || got.FeePolicy != models.FeeFree {
			t.Errorf("after update: %+v", got)
		}
		if a := faAudit(t, db, "fair.update"); len(a) != 1 || !strings.Contains(a[0].Before, "Bruxelles") || !strings.Contains(a[0].After, "Paris") {
			t.Errorf("audit of the update keeps before and after: %+v", a)
		}
		// Once published, the slug is part of shared links: it no longer changes.
		if _, err := models.SetFairStatus(ctx, db, org, f.ID, models.FairOpen, time.Now()); err != nil {
			t.Fatal(err)
		}
		in.Slug, in.Venue = "paris-2027-bis", "Paris Expo Porte de Versailles"
		got, err = models.UpdateFair(ctx, db, org, f.ID, in)
		if err != nil || got.Slug != "paris-2027" || got.Venue != "Paris Expo Porte de Versailles" {
			t.Errorf("update an open fair: slug %q venue %q err %v", got.Slug, got.Venue, err)
		}
		in.EndsOn = "2027-03-01"
		if _, err := models.UpdateFair(ctx, db, org, f.ID, in); faFields(t, err)["fair_ends_on"] != "FairEndsBeforeStarts" {
			t.Errorf("update with wrong dates: %v", err)
		}
		if err := db.Model(&models.Fair{}).Where("id = ?", f.ID).Update("status", models.FairArchived).Error; err != nil {
			t.Fatal(err)
		}
		in = faInput("Renamed")
		if _, err := models.UpdateFair(ctx, db, org, f.ID, in); !errors.Is(err, models.ErrInvalidState) {
			t.Errorf("update an archived fair: %v, want ErrInvalidState", err)
		}
		if _, err := models.UpdateFair(ctx, db, org, f.ID+1000, in); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("update a missing fair: %v, want ErrNotFound", err)
		}
	})
}

// TestSetFairStatusEveryTransition tries every (from, to) pair: the allowed ones move the fair
// and are audited; every other one is ErrInvalidState and changes nothing.
func TestSetFairStatusEveryTransition(t *testing.T) {
	allowed := map[[2]models.FairStatus]bool{
		{models.FairDraft, models.FairOpen}:    true,
		{models.FairOpen, models.FairClosed}:   true,
		{models.FairClosed, models.FairOpen}:   true,
		{models.FairClosed, models.FairLive}:   true,
		{models.FairLive, models.FairArchived}: true,
	}
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		org := faOrganizer(t, db)
		now := time.Date(2027, 2, 1, 10, 0, 0, 0, time.UTC)
		tried := 0
		for _, from := range models.FairStatuses {
			for _, to := range slices.Concat(models.FairStatuses, []models.FairStatus{"cancelled"}) {
				t.Run(fmt.Sprintf("%s→%s", from, to), func(t *testing.T) {
					tried++
					f, err := models.CreateFair(ctx, db, org, faInput(fmt.Sprintf("Salon %s %s", from, to)))
					if err != nil {
						t.Fatal(err)
					}
					if err := db.Model(&models.Fair{}).Where("id = ?", f.ID).Update("status", from).Error; err != nil {
						t.Fatal(err)
					}
					auditBefore := len(faAudit(t, db, "fair.status"))
					got, err := models.SetFairStatus(ctx, db, org, f.ID, to, now)
					stored, gerr := models.GetFair(ctx, db, f.ID)
					if gerr != nil {
						t.Fatal(gerr)
					}
					audits := faAudit(t, db, "fair.status")
					if allowed[[2]models.FairStatus{from, to}] {
						if err != nil || got.Status != to || stored.Status != to {
							t.Fatalf("allowed move: err %v, returned %s, stored %s", err, got.Status, stored.Status)
						}
						last := audits[len(audits)-1]
						if len(audits) != auditBefore+1 || last.SubjectID != f.ID || !strings.Contains(last.Before, string(from)) || !strings.Contains(last.After, string(to)) {
							t.Errorf("audit of the move: %+v", last)
						}
						return
					}
					if !errors.Is(err, models.ErrInvalidState) {
						t.Errorf("refused move: err %v, want ErrInvalidState", err)
					}
					if stored.Status != from {
						t.Errorf("refused move changed the status to %s", stored.Status)
					}
					if len(audits) != auditBefore {
						t.Error("refused move was audited as a decision")
					}
				})
			}
		}
		if tried != len(models.FairStatuses)*(len(models.FairStatuses)+1) {
			t.Errorf("tried %d pairs", tried)
		}
	})
}

// TestSetFairStatusRace: two organizers open the same draft at once; exactly one move happens.
func TestSetFairStatusRace(t *testing.T) {
	db := dbtest.Postgres(t)
	ctx := context.Background()
	org := faOrganizer(t, db)
	f, err := models.CreateFair(ctx, db, org, faInput("Salon concurrent"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := models.SetFairStatus(ctx, db, org, f.ID, models.FairOpen, time.Now())
			results <- err
		}()
	}
	wg.Wait()
	close(results)
	ok := 0
	for err := range results {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, models.ErrInvalidState):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d moves succeeded, want exactly 1", ok)
	}
	if n := len(faAudit(t, db, "fair.status")); n != 1 {
		t.Errorf("%d status audits, want 1", n)
	}
}

func TestListFairsAdmin(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		org := faOrganizer(t, db)
		early := faInput("Salon 2026")
		early.StartsOn, early.EndsOn, early.ApplicationsOpenAt, early.ApplicationsCloseAt = "2026-03-27", "2026-03-29", "", ""
		f1, err := models.CreateFair(ctx, db, org, early)
		if err != nil {
			t.Fatal(err)
		}
		f2, err := models.CreateFair(ctx, db, org, faInput("Salon 2027"))
		if err != nil {
			t.Fatal(err)
		}
		h, err := models.CreateHall(ctx, db, org, f2.ID, models.HallInput{Name: "Hall 1", WidthCm: 4000, DepthCm: 2000})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.GenerateStandGrid(ctx, db, org, f2.ID, models.GridSpec{HallID: h.ID, Rows: 2, Cols: 3, WidthCm: 300, DepthCm: 300,
			AisleCm: 300, CodePattern: "A{n}"}); err != nil {
			t.Fatal(err)
		}
		rows, err := models.ListFairsAdmin(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].ID != f2.ID || rows[1].ID != f1.ID {
			t.Fatalf("want the 2027 edition first, then 2026: %+v", rows)
		}
		if rows[0].Halls != 1 || rows[0].Stands != 6 || rows[0].Applications != 0 || rows[1].Stands != 0 {
			t.Errorf("counts: %+v / %+v", rows[0], rows[1])
		}
		// Drafts are listed for organizers, never on the public pages.
		if rows[0].Status != models.FairDraft {
			t.Errorf("status %s", rows[0].Status)
		}
		if _, err := models.GetPublicFair(ctx, db, f2.Slug); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("a draft is public: %v", err)
		}
	})
}
