package models_test

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

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
			{"two letters are a word, not the start of one", models.CatalogQuery{Q: "ce"}, nil},
			{"three letters start a word", models.CatalogQuery{Q: "ced"}, []int64{box.ID}},
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

// TestCatalogSearchFollowsEdits: a search sees a product's new text, price, stock and status
// as soon as they are written (PostgreSQL searches a copy kept by triggers, SQLite an FTS5
// index kept by triggers).
func TestCatalogSearchFollowsEdits(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		a := catalogArtisan(t, db, "edits@example.ma", "FM", "wood", true, 3)
		p := publishedProduct(t, db, a, models.ProductInput{TitleFR: "Boîte en cèdre", CraftCode: "wood", PriceCents: 4500,
			Stock: 2, PickupAtFair: true}, "img/edit")
		find := func(q models.CatalogQuery) []int64 {
			t.Helper()
			page, err := models.SearchCatalog(ctx, db, q)
			if err != nil {
				t.Fatalf("search %+v: %v", q, err)
			}
			var ids []int64
			for _, it := range page.Items {
				ids = append(ids, it.ID)
			}
			return ids
		}
		if got := find(models.CatalogQuery{Q: "boite", Available: true}); !slices.Equal(got, []int64{p.ID}) {
			t.Fatalf("before the edit: %v", got)
		}
		_, err := models.UpdateProduct(ctx, db, a.ID, p.ID, models.ProductInput{TitleFR: "Plateau en thuya", CraftCode: "wood",
			PriceCents: 9000, Stock: 0, PickupAtFair: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name string
			q    models.CatalogQuery
			want []int64
		}{
			{"new word", models.CatalogQuery{Q: "thuya"}, []int64{p.ID}},
			{"old word", models.CatalogQuery{Q: "boite"}, nil},
			{"new price", models.CatalogQuery{Q: "thuya", MinCents: 8000}, []int64{p.ID}},
			{"sold out", models.CatalogQuery{Q: "thuya", Available: true}, nil},
		} {
			if got := find(tt.q); !slices.Equal(got, tt.want) {
				t.Errorf("after the edit, %s: %v, want %v", tt.name, got, tt.want)
			}
		}
		// Stock written by another part of the portal (an order, a stand sale).
		if err := db.Exec("UPDATE products SET stock = 3 WHERE id = ?", p.ID).Error; err != nil {
			t.Fatal(err)
		}
		if got := find(models.CatalogQuery{Q: "thuya", Available: true}); !slices.Equal(got, []int64{p.ID}) {
			t.Errorf("back in stock: %v", got)
		}
		if models.Dialect(db) == models.DialectPostgres {
			if got := find(models.CatalogQuery{Q: "thuyya"}); !slices.Equal(got, []int64{p.ID}) {
				t.Errorf("typo of the new word: %v", got)
			}
		}
		if err := models.SetProductStatus(ctx, db, a.ID, p.ID, models.ProductArchived); err != nil {
			t.Fatal(err)
		}
		if got := find(models.CatalogQuery{Q: "thuya"}); got != nil {
			t.Errorf("archived: %v", got)
		}
	})
}

// TestCatalogSearchBeyondMaxResults searches a word of every load product ("apprenti", in the
// French descriptions) among more products than CatalogMaxResults: the page says "more than",
// pages through exactly that many results ranked among the most recently added matches, and
// still sorts the dates and prices of every match.
func TestCatalogSearchBeyondMaxResults(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		mustSeed(t, db, models.SeedOptions{})
		if _, err := models.SeedLoadProducts(ctx, db, models.CatalogMaxResults+150); err != nil {
			t.Fatal(err)
		}
		// What the search must find, read without the search indexes: visible products with a
		// word starting with "apprenti".
		type match struct {
			ID          int64
			PriceCents  int64
			PublishedAt time.Time
			Region      string
		}
		var all []match
		err := db.Raw(`SELECT p.id, p.price_cents, p.published_at, a.region_code AS region
			FROM products p JOIN artisans a ON a.id = p.artisan_id
			WHERE p.status = ? AND a.status = ? AND (' ' || p.search_fr || ' ' || p.search_en) LIKE ?`,
			models.ProductPublished, models.ArtisanVerified, "% apprenti%").Scan(&all).Error
		if err != nil || len(all) <= models.CatalogMaxResults {
			t.Fatalf("%d products with 'apprenti' (%v), want more than %d", len(all), err, models.CatalogMaxResults)
		}
		sorted := func(cmp func(a, b match) int) []int64 {
			s := slices.Clone(all)
			slices.SortFunc(s, cmp)
			ids := make([]int64, len(s))
			for i, m := range s {
				ids[i] = m.ID
			}
			return ids
		}
		byID := sorted(func(a, b match) int { return -cmp.Compare(a.ID, b.ID) })
		newest := sorted(func(a, b match) int {
			if c := a.PublishedAt.Compare(b.PublishedAt); c != 0 {
				return -c
			}
			return -cmp.Compare(a.ID, b.ID)
		})
		cheapest := sorted(func(a, b match) int {
			if c := cmp.Compare(a.PriceCents, b.PriceCents); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		})
		dearest := sorted(func(a, b match) int {
			if c := cmp.Compare(a.PriceCents, b.PriceCents); c != 0 {
				return -c
			}
			return -cmp.Compare(a.ID, b.ID)
		})
		search := func(q models.CatalogQuery) models.CatalogPage {
			t.Helper()
			page, err := models.SearchCatalog(ctx, db, q)
			if err != nil {
				t.Fatalf("search %+v: %v", q, err)
			}
			return page
		}
		pageIDs := func(p models.CatalogPage) []int64 {
			ids := make([]int64, len(p.Items))
			for i, it := range p.Items {
				ids[i] = it.ID
			}
			return ids
		}
		lastPage := (models.CatalogMaxResults + models.CatalogPerPage - 1) / models.CatalogPerPage

		// Relevance: every page within the bound, each result once, all among the most recently
		// added matches; the same pages on a second run.
		candidates := map[int64]bool{}
		for _, id := range byID[:models.CatalogMaxResults+1] {
			candidates[id] = true
		}
		seen := map[int64]bool{}
		for n := 1; n <= lastPage; n++ {
			page := search(models.CatalogQuery{Q: "apprenti", Page: n})
			if page.Total != models.CatalogMaxResults || !page.TotalCapped || page.Pages != lastPage {
				t.Fatalf("page %d: total %d (capped %v) in %d pages, want %d (capped) in %d", n, page.Total,
					page.TotalCapped, page.Pages, models.CatalogMaxResults, lastPage)
			}
			want := min(models.CatalogPerPage, models.CatalogMaxResults-(n-1)*models.CatalogPerPage)
			if len(page.Items) != want {
				t.Fatalf("page %d: %d results, want %d", n, len(page.Items), want)
			}
			for _, it := range page.Items {
				if seen[it.ID] || !candidates[it.ID] {
					t.Fatalf("page %d: product %d seen before (%v) or not among the newest matches", n, it.ID, seen[it.ID])
				}
				seen[it.ID] = true
				if it.ArtisanSlug == "" || it.TitleFR == "" || it.PriceCents == 0 {
					t.Fatalf("page %d: product %d read as %+v", n, it.ID, it)
				}
			}
		}
		if again := search(models.CatalogQuery{Q: "apprenti", Page: 2}); len(again.Items) == 0 || !seen[again.Items[0].ID] {
			t.Error("the second page differs on a second run")
		}
		past := search(models.CatalogQuery{Q: "apprenti", Page: lastPage + 1})
		if len(past.Items) != 0 || past.Total != models.CatalogMaxResults || !past.TotalCapped {
			t.Errorf("past the last page: %d results, total %d (capped %v)", len(past.Items), past.Total, past.TotalCapped)
		}

		// Dates and prices are sorted over every match, not only the newest ones.
		for _, tt := range []struct {
			sort string
			page int
			want []int64
		}{
			{models.SortNewest, 1, newest[:24]},
			{models.SortNewest, 2, newest[24:48]},
			{models.SortPriceAsc, 1, cheapest[:24]},
			{models.SortPriceDesc, 1, dearest[:24]},
			{models.SortPriceAsc, lastPage, cheapest[(lastPage-1)*24 : models.CatalogMaxResults]},
		} {
			page := search(models.CatalogQuery{Q: "apprenti", Sort: tt.sort, Page: tt.page})
			if got := pageIDs(page); !slices.Equal(got, tt.want) || !page.TotalCapped {
				t.Errorf("%s page %d: %v (capped %v), want %v", tt.sort, tt.page, got, page.TotalCapped, tt.want)
			}
		}

		// With a filter, fewer than the bound: counted exactly, every one shown.
		var inRegion []int64
		for _, id := range newest {
			for _, m := range all {
				if m.ID == id && m.Region == "MS" {
					inRegion = append(inRegion, id)
				}
			}
		}
		if len(inRegion) == 0 || len(inRegion) > models.CatalogMaxResults {
			t.Fatalf("%d matches in region MS", len(inRegion))
		}
		page := search(models.CatalogQuery{Q: "apprenti", Region: "MS", Sort: models.SortNewest})
		if page.Total != int64(len(inRegion)) || page.TotalCapped || !slices.Equal(pageIDs(page), inRegion[:min(24, len(inRegion))]) {
			t.Errorf("region MS: total %d (capped %v), first %v, want %d, first %v", page.Total, page.TotalCapped,
				pageIDs(page), len(inRegion), inRegion[:min(24, len(inRegion))])
		}

		// PostgreSQL corrects a typo with the words of the products, including those of the
		// products inserted in bulk.
		if models.Dialect(db) == models.DialectPostgres {
			if page := search(models.CatalogQuery{Q: "aprenti"}); !page.TotalCapped {
				t.Errorf("typo 'aprenti': total %d, want more than %d", page.Total, models.CatalogMaxResults)
			}
		}
	})
}
