package models_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// planArtisan creates an artisan account and profile; verified ones carry the badge.
func planArtisan(t *testing.T, db *gorm.DB, name, region, craft string, verified bool, n int) models.Artisan {
	t.Helper()
	ctx := context.Background()
	u, err := models.CreateUser(ctx, db, models.NewUser{Email: fmt.Sprintf("plan%d@example.ma", n), Name: name,
		Password: "tagine-au-citron-2026", Role: models.RoleArtisan})
	if err != nil {
		t.Fatal(err)
	}
	a, err := models.SaveArtisanProfile(ctx, db, u.ID, models.ArtisanProfileInput{
		BusinessName: name, Kind: "individual", RegionCode: region, CraftCode: craft, City: "Fès", BioFR: "Maître artisan.",
		RegistryNumber: fmt.Sprintf("FM-2020-%05d", n), CardNumber: fmt.Sprintf("PLANCARD%04d", n),
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
	return a
}

// planProduct creates a product with one photo, published unless status says otherwise.
func planProduct(t *testing.T, db *gorm.DB, a models.Artisan, title string, status models.ProductStatus) models.Product {
	t.Helper()
	ctx := context.Background()
	p, err := models.CreateProduct(ctx, db, a.ID, models.ProductInput{TitleFR: title, CraftCode: a.CraftCode, PriceCents: 4500, Stock: 2, PickupAtFair: true})
	if err != nil {
		t.Fatalf("create product: %v", err)
	}
	if _, err := models.AddPhoto(ctx, db, a.ID, p.ID, models.Photo{KeyBase: fmt.Sprintf("img/plan-%d", p.ID), Width: 800, Height: 600, Variants: "320,800"}); err != nil {
		t.Fatalf("add photo: %v", err)
	}
	if status != models.ProductDraft {
		if err := models.SetProductStatus(ctx, db, a.ID, p.ID, status); err != nil {
			t.Fatalf("set status %s: %v", status, err)
		}
	}
	return p
}

// planFair creates a fair with one 20 × 10 m hall and four 3 × 3 m stands A1…A4 (A4 blocked).
func planFair(t *testing.T, db *gorm.DB, slug string, status models.FairStatus) (models.Fair, models.Hall, []models.Stand) {
	t.Helper()
	start := time.Now().AddDate(0, 3, 0).Truncate(24 * time.Hour)
	f := models.Fair{Slug: slug, Name: "Salon " + slug, City: "Bruxelles", Country: "BE", StartsOn: start,
		EndsOn: start.AddDate(0, 0, 2), Timezone: "Europe/Brussels", Status: status}
	if err := db.Create(&f).Error; err != nil {
		t.Fatalf("create fair: %v", err)
	}
	h := models.Hall{FairID: f.ID, Name: "Hall 1", WidthCm: 2000, DepthCm: 1000}
	if err := db.Create(&h).Error; err != nil {
		t.Fatalf("create hall: %v", err)
	}
	var stands []models.Stand
	for i := range 4 {
		s := models.Stand{FairID: f.ID, HallID: h.ID, Code: fmt.Sprintf("A%d", i+1), Zone: "A", Kind: models.StandStandard,
			XCm: 100 + i*300, YCm: 100, WidthCm: 300, DepthCm: 300, PriceCents: 90000, Status: models.StandAvailable}
		if i == 3 {
			s.Status = models.StandBlocked
		}
		if err := db.Create(&s).Error; err != nil {
			t.Fatalf("create stand: %v", err)
		}
		stands = append(stands, s)
	}
	return f, h, stands
}

// planAssign writes an accepted application holding the stand, listing products (the way the
// allocation code leaves the rows).
func planAssign(t *testing.T, db *gorm.DB, f models.Fair, a models.Artisan, s *models.Stand, products ...models.Product) models.Application {
	t.Helper()
	app := models.Application{FairID: f.ID, ArtisanID: a.ID, Status: models.AppAccepted, SubmittedAt: time.Now(), FeeState: models.FeeDue}
	if s != nil {
		app.StandID = &s.ID
		if err := db.Model(&models.Stand{}).Where("id = ?", s.ID).Update("status", models.StandAssigned).Error; err != nil {
			t.Fatal(err)
		}
		s.Status = models.StandAssigned
	}
	if err := db.Create(&app).Error; err != nil {
		t.Fatalf("create application: %v", err)
	}
	for _, p := range products {
		if err := db.Create(&models.ApplicationProduct{ApplicationID: app.ID, ProductID: p.ID}).Error; err != nil {
			t.Fatal(err)
		}
	}
	return app
}

func titles(items []models.CatalogItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.TitleFR
	}
	return out
}

func TestFairPlan(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		f, hall, stands := planFair(t, db, "plan-bxl", models.FairOpen)
		fes := planArtisan(t, db, "Atelier Zellige Fès", "FM", "zellige", true, 1)
		sale := planArtisan(t, db, "Coopérative Tapis Salé", "RSK", "carpets", true, 2)
		other := planArtisan(t, db, "Menuiserie Azrou", "FM", "wood", true, 3)
		panel := planProduct(t, db, fes, "Panneau de fontaine", models.ProductPublished)
		table := planProduct(t, db, fes, "Table basse en zellige", models.ProductPublished)
		draft := planProduct(t, db, fes, "Brouillon de vasque", models.ProductDraft)
		planProduct(t, db, fes, "Plateau non choisi", models.ProductPublished)
		foreign := planProduct(t, db, other, "Coffret d'un autre", models.ProductPublished)
		rug := planProduct(t, db, sale, "Tapis de Salé", models.ProductPublished)
		old := planProduct(t, db, sale, "Tapis archivé", models.ProductArchived)

		// A1: accepted with three listed pieces (one draft, one of another artisan);
		// A2: accepted, lists nothing; A3: free; A4: blocked. A waitlisted artisan has no stand.
		planAssign(t, db, f, fes, &stands[0], panel, table, draft, foreign)
		planAssign(t, db, f, sale, &stands[1])
		waitlisted := models.Application{FairID: f.ID, ArtisanID: other.ID, Status: models.AppWaitlisted, SubmittedAt: time.Now()}
		if err := db.Create(&waitlisted).Error; err != nil {
			t.Fatal(err)
		}
		// Another fair's assignment must not leak into this plan.
		f2, _, stands2 := planFair(t, db, "plan-paris", models.FairOpen)
		planAssign(t, db, f2, other, &stands2[2])

		plan, err := models.LoadFairPlan(ctx, db, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(plan.Halls) != 1 || plan.Halls[0].ID != hall.ID || len(plan.Stands) != 4 || len(plan.HallStands(hall.ID)) != 4 {
			t.Fatalf("plan: %d halls, %d stands", len(plan.Halls), len(plan.Stands))
		}
		if len(plan.Occupants) != 2 {
			t.Fatalf("occupants: %+v, want A1 and A2", plan.Occupants)
		}
		o := plan.Occupants[stands[0].ID]
		if o.BusinessName != fes.BusinessName || o.ArtisanSlug != fes.Slug || o.CraftCode != "zellige" || o.RegionCode != "FM" || !o.Verified() {
			t.Errorf("occupant of A1: %+v", o)
		}
		if o := plan.Occupants[stands[1].ID]; o.BusinessName != sale.BusinessName || o.RegionCode != "RSK" {
			t.Errorf("occupant of A2: %+v", o)
		}
		counts := plan.CountByStatus()
		if counts[models.StandAssigned] != 2 || counts[models.StandAvailable] != 1 || counts[models.StandBlocked] != 1 || counts[models.StandHeld] != 0 {
			t.Errorf("counts by status: %v", counts)
		}

		t.Run("stand page lists the application's visible pieces", func(t *testing.T) {
			page, err := models.LoadStandPage(ctx, db, f, "a1")
			if err != nil {
				t.Fatal(err)
			}
			if page.Stand.Code != "A1" || page.Hall.Name != "Hall 1" || page.Occupant == nil || page.Occupant.ArtisanID != fes.ID {
				t.Fatalf("stand page: %+v", page)
			}
			got := titles(page.Products)
			if !page.Listed || len(got) != 2 || !slices.Contains(got, panel.TitleFR) || !slices.Contains(got, table.TitleFR) {
				t.Errorf("listed products: %v (listed %v), want the panel and the table only", got, page.Listed)
			}
			for _, it := range page.Products {
				if it.Cover == nil || it.ArtisanSlug != fes.Slug {
					t.Errorf("product %q: cover %v, artisan %q", it.TitleFR, it.Cover, it.ArtisanSlug)
				}
			}
		})
		t.Run("stand page falls back to the artisan's latest pieces", func(t *testing.T) {
			page, err := models.LoadStandPage(ctx, db, f, "A2")
			if err != nil {
				t.Fatal(err)
			}
			got := titles(page.Products)
			if page.Listed || len(got) != 1 || got[0] != rug.TitleFR || slices.Contains(got, old.TitleFR) {
				t.Errorf("fallback products: %v (listed %v), want only %q", got, page.Listed, rug.TitleFR)
			}
		})
		t.Run("free stand has no occupant", func(t *testing.T) {
			page, err := models.LoadStandPage(ctx, db, f, "A3")
			if err != nil {
				t.Fatal(err)
			}
			if page.Occupant != nil || len(page.Products) != 0 {
				t.Errorf("free stand: occupant %+v, products %v", page.Occupant, titles(page.Products))
			}
		})
		t.Run("unknown stand is not found", func(t *testing.T) {
			if _, err := models.LoadStandPage(ctx, db, f, "Z99"); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("unknown stand: %v, want ErrNotFound", err)
			}
			// A3 of the other fair is assigned there, not here.
			page, err := models.LoadStandPage(ctx, db, f, "A3")
			if err != nil || page.Occupant != nil {
				t.Errorf("stand of another fair leaked: %+v %v", page.Occupant, err)
			}
		})
	})
}

func TestGetPlanFair(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		draft, _, _ := planFair(t, db, "plan-draft", models.FairDraft)
		if _, err := models.GetPlanFair(ctx, db, draft.Slug, false); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("draft for visitors: %v, want ErrNotFound", err)
		}
		if f, err := models.GetPlanFair(ctx, db, draft.Slug, true); err != nil || f.ID != draft.ID {
			t.Errorf("draft for organizers: %v %v", f.ID, err)
		}
		open, _, _ := planFair(t, db, "plan-open", models.FairOpen)
		if f, err := models.GetPlanFair(ctx, db, open.Slug, false); err != nil || f.ID != open.ID {
			t.Errorf("open fair: %v %v", f.ID, err)
		}
		if _, err := models.GetPlanFair(ctx, db, "no-such-fair", true); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown fair: %v, want ErrNotFound", err)
		}
	})
}
