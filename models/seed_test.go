package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

type rowCounts struct{ Users, Artisans, Fairs int64 }

func countRows(t *testing.T, db *gorm.DB) rowCounts {
	t.Helper()
	var c rowCounts
	for _, x := range []struct {
		model any
		n     *int64
	}{{&models.User{}, &c.Users}, {&models.Artisan{}, &c.Artisans}, {&models.Fair{}, &c.Fairs}} {
		if err := db.Model(x.model).Count(x.n).Error; err != nil {
			t.Fatalf("count %T: %v", x.model, err)
		}
	}
	return c
}

// demoLogins parses DemoAccountEmails ("e-mail (role)") into e-mail → role.
func demoLogins(t *testing.T) map[string]models.Role {
	t.Helper()
	out := map[string]models.Role{}
	for _, line := range models.DemoAccountEmails() {
		email, rest, ok := strings.Cut(line, " (")
		if !ok || !strings.HasSuffix(rest, ")") {
			t.Fatalf("demo account line %q is not \"e-mail (role)\"", line)
		}
		out[email] = models.Role(strings.TrimSuffix(rest, ")"))
	}
	return out
}

func mustSeed(t *testing.T, db *gorm.DB, opts models.SeedOptions) models.SeedReport {
	t.Helper()
	r, err := models.Seed(context.Background(), db, opts)
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	return r
}

func day(y int, m time.Month, d int) string {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

func TestSeed(t *testing.T) {
	t.Parallel()
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		logins := demoLogins(t)

		first := mustSeed(t, db, models.SeedOptions{})
		afterFirst := countRows(t, db)

		t.Run("first run reports what it added", func(t *testing.T) {
			got := rowCounts{int64(first.Users), int64(first.Artisans), int64(first.Fairs)}
			if got != afterFirst {
				t.Errorf("report %+v, but the empty database now holds %+v", first, afterFirst)
			}
			if first.Users != len(logins) || first.Fairs != 3 || first.Artisans == 0 {
				t.Errorf("report %+v: want %d users (the demo logins), 3 fairs, some artisans", first, len(logins))
			}
		})

		t.Run("second run adds nothing", func(t *testing.T) {
			second := mustSeed(t, db, models.SeedOptions{})
			if second != (models.SeedReport{}) {
				t.Errorf("second report %+v, want all zeros", second)
			}
			if got := countRows(t, db); got != afterFirst {
				t.Errorf("rows after the second run %+v, want %+v", got, afterFirst)
			}
		})

		t.Run("demo logins work with the default password", func(t *testing.T) {
			for email, role := range logins {
				u, err := models.Authenticate(ctx, db, email, models.DefaultDemoPassword)
				if err != nil {
					t.Errorf("%s: %v", email, err)
					continue
				}
				if u.Role != role || !role.Valid() {
					t.Errorf("%s has role %q, the README lists %q", email, u.Role, role)
				}
			}
			for _, role := range models.Roles {
				found := false
				for _, r := range logins {
					found = found || r == role
				}
				if !found {
					t.Errorf("no demo login for role %q", role)
				}
			}
		})

		t.Run("fairs", func(t *testing.T) {
			var fairs []models.Fair
			if err := db.Order("starts_on").Find(&fairs).Error; err != nil {
				t.Fatal(err)
			}
			if len(fairs) != 3 {
				t.Fatalf("%d fairs, want 3", len(fairs))
			}
			now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
			demos := 0
			for _, f := range fairs {
				if f.IsDemo {
					demos++
					if f.Status == models.FairArchived || f.Status == models.FairDraft || f.Past(now) {
						t.Errorf("demo fair %s is not upcoming and public: %s, ends %s", f.Slug, f.Status, f.EndsOn)
					}
				}
			}
			if demos != 1 {
				t.Errorf("%d demo fairs, want exactly 1", demos)
			}
			want := []struct {
				slug, city, country string
				starts, ends        string
			}{
				{"bruxelles-2026", "Bruxelles", "BE", day(2026, time.March, 27), day(2026, time.March, 29)},
				{"paris-2026", "Paris", "FR", day(2026, time.June, 12), day(2026, time.June, 14)},
			}
			for i, w := range want {
				f := fairs[i]
				got := []string{f.Slug, f.City, f.Country, f.StartsOn.Format(time.DateOnly), f.EndsOn.Format(time.DateOnly)}
				if strings.Join(got, " ") != strings.Join([]string{w.slug, w.city, w.country, w.starts, w.ends}, " ") {
					t.Errorf("2026 fair %d = %v, want %+v", i, got, w)
				}
				if f.Status != models.FairArchived || f.IsDemo {
					t.Errorf("%s: status %s, demo %v; want archived, real", f.Slug, f.Status, f.IsDemo)
				}
			}

			upcoming, past, err := models.ListPublicFairs(ctx, db, now)
			if err != nil {
				t.Fatalf("ListPublicFairs: %v", err)
			}
			if len(upcoming) != 1 || !upcoming[0].IsDemo {
				t.Errorf("upcoming = %v, want only the demo fair", slugs(upcoming))
			}
			if got := strings.Join(slugs(past), ","); got != "paris-2026,bruxelles-2026" {
				t.Errorf("past = %s, want paris-2026,bruxelles-2026 (latest first)", got)
			}
			if f, err := models.GetPublicFair(ctx, db, "paris-2026"); err != nil || f.City != "Paris" {
				t.Errorf("GetPublicFair(paris-2026) = %+v, %v", f, err)
			}
			if _, err := models.GetPublicFair(ctx, db, "nowhere"); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("GetPublicFair(nowhere) = %v, want ErrNotFound", err)
			}
		})

		t.Run("chamber agent works for Fès-Meknès", func(t *testing.T) {
			u, err := models.GetUserByEmail(ctx, db, "chamber@souk.test")
			if err != nil {
				t.Fatal(err)
			}
			if u.Role != models.RoleChamber || u.RegionCode == nil || *u.RegionCode != "FM" {
				t.Errorf("chamber@souk.test = role %s, region %v; want chamber, FM", u.Role, u.RegionCode)
			}
		})

		t.Run("artisans", func(t *testing.T) {
			u, err := models.GetUserByEmail(ctx, db, "artisan@souk.test")
			if err != nil {
				t.Fatal(err)
			}
			a, err := models.GetArtisanByUser(ctx, db, u.ID)
			if err != nil {
				t.Fatalf("artisan@souk.test has no artisan profile: %v", err)
			}
			if a.Status != models.ArtisanVerified || a.RegionCode != "FM" || a.VerifiedAt == nil || a.Slug == "" {
				t.Errorf("artisan@souk.test profile = %+v; want verified (with a date) in FM", a)
			}

			var byStatus []struct {
				Status models.ArtisanStatus
				N      int64
			}
			if err := db.Model(&models.Artisan{}).Select("status, count(*) AS n").Group("status").Scan(&byStatus).Error; err != nil {
				t.Fatal(err)
			}
			counts := map[models.ArtisanStatus]int64{}
			for _, r := range byStatus {
				counts[r.Status] = r.N
			}
			if counts[models.ArtisanPending] < 1 {
				t.Errorf("artisans by status %v: want at least one pending (for the chamber's queue)", counts)
			}

			perRegion, err := models.CountVerifiedArtisansByRegion(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			var total int64
			for _, n := range perRegion {
				total += int64(n)
			}
			if total != counts[models.ArtisanVerified] || perRegion["FM"] < 1 {
				t.Errorf("verified per region %v (total %d), want total %d with FM ≥ 1", perRegion, total, counts[models.ArtisanVerified])
			}
			var unverifiedWithDate int64
			if err := db.Model(&models.Artisan{}).Where("status <> ? AND verified_at IS NOT NULL", models.ArtisanVerified).Count(&unverifiedWithDate).Error; err != nil {
				t.Fatal(err)
			}
			if unverifiedWithDate != 0 {
				t.Errorf("%d unverified artisans carry a verification date", unverifiedWithDate)
			}
		})
	})
}

func slugs(fairs []models.Fair) []string {
	out := make([]string, len(fairs))
	for i, f := range fairs {
		out[i] = f.Slug
	}
	return out
}

// TestSeedPassword: SOUK_DEMO_PASSWORD replaces the default, and a weak one is refused
// before any row is written.
func TestSeedPassword(t *testing.T) {
	t.Parallel()
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()

		t.Run("weak passwords are refused before writing", func(t *testing.T) {
			for _, pw := range []string{"short", "password123"} {
				if _, err := models.Seed(ctx, db, models.SeedOptions{DemoPassword: pw}); err == nil {
					t.Errorf("Seed accepted demo password %q", pw)
				}
			}
			if got := countRows(t, db); got != (rowCounts{}) {
				t.Errorf("rows after refused seeds: %+v, want none", got)
			}
		})

		const custom = "my-own-demo-secret"
		mustSeed(t, db, models.SeedOptions{DemoPassword: custom})
		cases := []struct {
			email, password string
			ok              bool
		}{
			{"organizer@souk.test", custom, true},
			{"artisan@souk.test", custom, true},
			{"organizer@souk.test", models.DefaultDemoPassword, false},
		}
		for _, tc := range cases {
			t.Run(tc.email+" "+tc.password, func(t *testing.T) {
				_, err := models.Authenticate(ctx, db, tc.email, tc.password)
				switch {
				case tc.ok && err != nil:
					t.Errorf("Authenticate: %v", err)
				case !tc.ok && !errors.Is(err, models.ErrInvalidCredentials):
					t.Errorf("Authenticate = %v, want ErrInvalidCredentials", err)
				}
			})
		}
	})
}
