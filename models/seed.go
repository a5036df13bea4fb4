package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// DefaultDemoPassword is the demo accounts' password when SOUK_DEMO_PASSWORD is not set.
const DefaultDemoPassword = "souk-demo-2026" //nolint:gosec // documented demo password, printed by souk seed

// SeedOptions tunes the demo data.
type SeedOptions struct {
	DemoPassword string
}

// SeedReport says what a seed run added (zero everywhere on a second run).
type SeedReport struct {
	Users    int
	Artisans int
	Fairs    int
}

type demoAccount struct {
	email, name string
	role        Role
	region      string
	artisan     *demoArtisan
}

type demoArtisan struct {
	slug, business, kind, region, craft, city string
	status                                    ArtisanStatus
}

// demoAccounts are the fixed demo logins listed in the README.
var demoAccounts = []demoAccount{
	{email: "organizer@souk.test", name: "Salma Idrissi (SMAP EVENTS)", role: RoleOrganizer},
	{email: "chamber@souk.test", name: "Youssef Alaoui", role: RoleChamber, region: "FM"},
	{email: "visitor@souk.test", name: "Nadia El Amrani", role: RoleVisitor},
	{email: "artisan@souk.test", name: "Karim Bennani", role: RoleArtisan, artisan: &demoArtisan{
		slug: "atelier-bennani-zellige", business: "Atelier Bennani — Zellige de Fès", kind: "individual",
		region: "FM", craft: "zellige", city: "Fès", status: ArtisanVerified,
	}},
	{email: "tadelakt@souk.test", name: "Fatima Zahra Ouali", role: RoleArtisan, artisan: &demoArtisan{
		slug: "cooperative-al-hamra-tadelakt", business: "Coopérative Al Hamra — Tadelakt", kind: "cooperative",
		region: "MS", craft: "tadelakt", city: "Marrakech", status: ArtisanVerified,
	}},
	{email: "broderie@souk.test", name: "Amina Tetouani", role: RoleArtisan, artisan: &demoArtisan{
		slug: "dar-tetouan-broderie", business: "Dar Tetouan Broderie", kind: "individual",
		region: "TTA", craft: "embroidery", city: "Tétouan", status: ArtisanVerified,
	}},
	{email: "bijoux@souk.test", name: "Brahim Aït Ouaziz", role: RoleArtisan, artisan: &demoArtisan{
		slug: "argent-de-tiznit", business: "Argent de Tiznit", kind: "company",
		region: "SM", craft: "jewellery", city: "Tiznit", status: ArtisanVerified,
	}},
	{email: "tapis@souk.test", name: "Itto Zayani", role: RoleArtisan, artisan: &demoArtisan{
		slug: "cooperative-tapis-zayane", business: "Coopérative des tapis Zayane", kind: "cooperative",
		region: "BMK", craft: "carpets", city: "Khénifra", status: ArtisanVerified,
	}},
	{email: "cuir@souk.test", name: "Hamid Chouari", role: RoleArtisan, artisan: &demoArtisan{
		slug: "maroquinerie-chouara", business: "Maroquinerie Chouara", kind: "individual",
		region: "FM", craft: "leather", city: "Fès", status: ArtisanPending,
	}},
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// demoFairs are the two 2026 editions from the announcement (past, archived) and one upcoming
// edition that is plainly demo data.
var demoFairs = []Fair{
	{Slug: "bruxelles-2026", Name: "Salon SMAP — Bruxelles 2026", City: "Bruxelles", Country: "BE",
		StartsOn: day(2026, time.March, 27), EndsOn: day(2026, time.March, 29), Timezone: "Europe/Brussels", Status: FairArchived},
	{Slug: "paris-2026", Name: "Salon SMAP — Paris 2026", City: "Paris", Country: "FR",
		StartsOn: day(2026, time.June, 12), EndsOn: day(2026, time.June, 14), Timezone: "Europe/Paris", Status: FairArchived},
	{Slug: "demo-bruxelles-2027", Name: "Souk Expo Bruxelles 2027 (démonstration)", City: "Bruxelles", Country: "BE",
		Venue: "Hall de démonstration", Address: "Bruxelles, Belgique",
		StartsOn: day(2027, time.March, 19), EndsOn: day(2027, time.March, 21), Timezone: "Europe/Brussels", Status: FairOpen, IsDemo: true},
}

// Seed adds the demo accounts, artisans and fairs. It is idempotent: rows that already exist
// (same e-mail, same slug) are left as they are.
func Seed(ctx context.Context, db *gorm.DB, opts SeedOptions) (SeedReport, error) {
	var report SeedReport
	password := opts.DemoPassword
	if password == "" {
		password = DefaultDemoPassword
	}
	if err := CheckPassword(password); err != nil {
		return report, fmt.Errorf("demo password: %w", err)
	}
	for _, f := range demoFairs {
		added, err := seedFair(ctx, db, f)
		if err != nil {
			return report, err
		}
		if added {
			report.Fairs++
		}
	}
	for _, acc := range demoAccounts {
		userAdded, artisanAdded, err := seedAccount(ctx, db, acc, password)
		if err != nil {
			return report, err
		}
		if userAdded {
			report.Users++
		}
		if artisanAdded {
			report.Artisans++
		}
	}
	return report, nil
}

func seedFair(ctx context.Context, db *gorm.DB, f Fair) (bool, error) {
	var n int64
	if err := db.WithContext(ctx).Model(&Fair{}).Where("slug = ?", f.Slug).Count(&n).Error; err != nil {
		return false, fmt.Errorf("seed fair %s: %w", f.Slug, translateError(err))
	}
	if n > 0 {
		return false, nil
	}
	if err := db.WithContext(ctx).Create(&f).Error; err != nil {
		err = translateError(err)
		if errors.Is(err, ErrConflict) {
			return false, nil // another seed run won the race
		}
		return false, fmt.Errorf("seed fair %s: %w", f.Slug, err)
	}
	return true, nil
}

// seedAccount adds a demo account and its artisan profile unless they exist. Two seed runs at
// once are fine: the loser of each insert race finds the winner's row.
func seedAccount(ctx context.Context, db *gorm.DB, acc demoAccount, password string) (userAdded, artisanAdded bool, err error) {
	u, err := GetUserByEmail(ctx, db, acc.email)
	if errors.Is(err, ErrNotFound) {
		u, err = CreateUser(ctx, db, NewUser{Email: acc.email, Name: acc.name, Password: password, Role: acc.role, RegionCode: acc.region})
		var ve *ValidationError
		switch {
		case errors.As(err, &ve) && ve.Fields["email"] == "EmailTaken":
			u, err = GetUserByEmail(ctx, db, acc.email)
		case err == nil:
			userAdded = true
		}
	}
	if err != nil {
		return false, false, fmt.Errorf("seed user %s: %w", acc.email, err)
	}
	if acc.artisan == nil {
		return userAdded, false, nil
	}
	a := Artisan{UserID: u.ID, Slug: acc.artisan.slug, BusinessName: acc.artisan.business, Kind: acc.artisan.kind,
		RegionCode: acc.artisan.region, CraftCode: acc.artisan.craft, City: acc.artisan.city, Status: acc.artisan.status}
	if a.Status == ArtisanVerified {
		verified := time.Now().UTC()
		a.VerifiedAt = &verified
	}
	res := db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&a)
	if res.Error != nil {
		return userAdded, false, fmt.Errorf("seed artisan %s: %w", a.Slug, translateError(res.Error))
	}
	return userAdded, res.RowsAffected == 1, nil
}

// DemoAccountEmails lists the demo logins, for the seed command's output.
func DemoAccountEmails() []string {
	out := make([]string, 0, len(demoAccounts))
	for _, a := range demoAccounts {
		out = append(out, a.email+" ("+string(a.role)+")")
	}
	return out
}
