package models_test

import (
	"context"
	"testing"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// catalogArtisan creates a verified (or not) artisan with a profile.
func catalogArtisan(t *testing.T, db *gorm.DB, email, region, craft string, verified bool, n int) models.Artisan {
	t.Helper()
	ctx := context.Background()
	u, err := models.CreateUser(ctx, db, models.NewUser{Email: email, Name: "A", Password: "tagine-au-citron-2026", Role: models.RoleArtisan})
	if err != nil {
		t.Fatal(err)
	}
	a, err := models.SaveArtisanProfile(ctx, db, u.ID, models.ArtisanProfileInput{
		BusinessName: "Atelier " + email, Kind: "individual", RegionCode: region, CraftCode: craft, City: "Fès",
		BioFR: "Maître artisan.", RegistryNumber: "FM-2020-00000" + string(rune('0'+n)), CardNumber: "CARD0000" + string(rune('0'+n)),
	})
	if err != nil {
		t.Fatalf("save profile: %v", err)
	}
	if verified {
		if err := db.Model(&models.Artisan{}).Where("id = ?", a.ID).Update("status", models.ArtisanVerified).Error; err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func publishedProduct(t *testing.T, db *gorm.DB, a models.Artisan, in models.ProductInput, key string) models.Product {
	t.Helper()
	ctx := context.Background()
	p, err := models.CreateProduct(ctx, db, a.ID, in)
	if err != nil {
		t.Fatalf("create product: %v", err)
	}
	if _, err := models.AddPhoto(ctx, db, a.ID, p.ID, models.Photo{KeyBase: key, Width: 800, Height: 600, Variants: "320,800"}); err != nil {
		t.Fatalf("add photo: %v", err)
	}
	if err := models.SetProductStatus(ctx, db, a.ID, p.ID, models.ProductPublished); err != nil {
		t.Fatalf("publish: %v", err)
	}
	return p
}

func TestCatalogSearch(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		fes := catalogArtisan(t, db, "fes@example.ma", "FM", "zellige", true, 1)
		hidden := catalogArtisan(t, db, "hidden@example.ma", "MS", "wood", false, 2)
		box := publishedProduct(t, db, fes, models.ProductInput{TitleFR: "Coffret à bijoux en cèdre", TitleEN: "Cedar jewellery box",
			TitleAR: "علبة مجوهرات من خشب الأرز", CraftCode: "wood", PriceCents: 4500, Stock: 1, PickupAtFair: true}, "img/box")
		panel := publishedProduct(t, db, fes, models.ProductInput{TitleFR: "Panneau de fontaine en zellige", TitleAR: "لوحة نافورة من الزليج",
			TitleEN: "Zellige fountain panel", CraftCode: "zellige", PriceCents: 120000, Stock: 0, MadeToOrder: true, LeadTimeDays: 30, PickupAtFair: true}, "img/panel")
		publishedProduct(t, db, hidden, models.ProductInput{TitleFR: "Coffret caché en cèdre", CraftCode: "wood", PriceCents: 100, Stock: 1, PickupAtFair: true}, "img/hidden")

		tests := []struct {
			name string
			q    models.CatalogQuery
			want []int64
		}{
			{"all, newest first", models.CatalogQuery{}, []int64{panel.ID, box.ID}},
			{"zellige", models.CatalogQuery{Q: "zellige"}, []int64{panel.ID}},
			{"arabic without article", models.CatalogQuery{Q: "زليج"}, []int64{panel.ID}},
			{"arabic with article", models.CatalogQuery{Q: "الزليج"}, []int64{panel.ID}},
			{"unaccented French", models.CatalogQuery{Q: "cedre"}, []int64{box.ID}},
			{"accented French", models.CatalogQuery{Q: "Cèdre"}, []int64{box.ID}},
			{"English", models.CatalogQuery{Q: "cedar"}, []int64{box.ID}},
			{"artisan name", models.CatalogQuery{Q: "atelier fes"}, []int64{panel.ID, box.ID}},
			{"craft filter", models.CatalogQuery{Craft: "wood"}, []int64{box.ID}},
			{"region filter", models.CatalogQuery{Region: "MS"}, nil},
			{"price asc", models.CatalogQuery{Sort: models.SortPriceAsc}, []int64{box.ID, panel.ID}},
			{"price range", models.CatalogQuery{MinCents: 5000}, []int64{panel.ID}},
			{"bad sort falls back", models.CatalogQuery{Sort: "name;DROP TABLE products--"}, []int64{panel.ID, box.ID}},
			{"nothing", models.CatalogQuery{Q: "ordinateur"}, nil},
			{"punctuation only", models.CatalogQuery{Q: `"'*():`}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				page, err := models.SearchCatalog(ctx, db, tt.q)
				if err != nil {
					t.Fatalf("search: %v", err)
				}
				var got []int64
				for _, it := range page.Items {
					got = append(got, it.ID)
					if it.Cover == nil {
						t.Errorf("item %d has no cover", it.ID)
					}
				}
				if len(got) != len(tt.want) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
				for i := range got {
					if got[i] != tt.want[i] {
						t.Fatalf("got %v, want %v", got, tt.want)
					}
				}
				if page.Total != int64(len(tt.want)) {
					t.Errorf("total %d, want %d", page.Total, len(tt.want))
				}
			})
		}
		if models.Dialect(db) == models.DialectPostgres {
			page, err := models.SearchCatalog(ctx, db, models.CatalogQuery{Q: "zelige"})
			if err != nil || len(page.Items) != 1 || page.Items[0].ID != panel.ID {
				t.Errorf("typo 'zelige' on PostgreSQL: %v %+v", err, page.Items)
			}
		}
	})
}
