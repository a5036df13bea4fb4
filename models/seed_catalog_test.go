package models_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// The formats the chambers check (models/artisan.go).
var (
	registryRe = regexp.MustCompile(`^[A-Z]{2,3}-[0-9]{4}-[0-9]{4,8}$`)
	cardRe     = regexp.MustCompile(`^[A-Z0-9]{8,16}$`)
	hexColorRe = regexp.MustCompile(`^#[0-9a-f]{6}$`)
)

// TestDemoProductsData checks the demo catalog itself: enough believable, trilingual products
// across crafts, with the stock situations a visitor meets.
func TestDemoProductsData(t *testing.T) {
	t.Parallel()
	products := models.DemoProducts()
	if len(products) < 30 {
		t.Fatalf("%d demo products, want at least 30", len(products))
	}
	crafts := map[string]bool{}
	titles := map[string]bool{}
	var oneOff, soldOut, madeToOrder, shipsOnly, pickupOnly int
	motifs := map[string]bool{models.MotifStar: true, models.MotifStripes: true, models.MotifRings: true,
		models.MotifDiamonds: true, models.MotifLattice: true, models.MotifWash: true}
	for _, p := range products {
		name := p.ArtisanSlug + "/" + p.TitleFR
		if titles[name] {
			t.Errorf("%s: the idempotency key (artisan, French title) is not unique", name)
		}
		titles[name] = true
		for lang, s := range map[string]string{"title_fr": p.TitleFR, "title_ar": p.TitleAR, "title_en": p.TitleEN,
			"description_fr": p.DescriptionFR, "description_ar": p.DescriptionAR, "description_en": p.DescriptionEN} {
			if strings.TrimSpace(s) == "" {
				t.Errorf("%s: empty %s", name, lang)
			}
		}
		if !regexp.MustCompile(`\p{Arabic}`).MatchString(p.TitleAR + p.DescriptionAR) {
			t.Errorf("%s: the Arabic title and description hold no Arabic letters", name)
		}
		if p.Photos < 2 || p.Photos > 3 {
			t.Errorf("%s: %d photos, want 2 or 3", name, p.Photos)
		}
		if !motifs[p.Motif] {
			t.Errorf("%s: unknown motif %q", name, p.Motif)
		}
		if len(p.Colors) < 4 {
			t.Errorf("%s: %d colours, want a palette of at least 4", name, len(p.Colors))
		}
		for _, c := range p.Colors {
			if !hexColorRe.MatchString(c) {
				t.Errorf("%s: colour %q is not #rrggbb", name, c)
			}
		}
		if p.PriceCents < 1000 || p.PriceCents > models.MaxProductPriceCents {
			t.Errorf("%s: price %d cents is not believable", name, p.PriceCents)
		}
		crafts[p.CraftCode] = true
		switch {
		case p.MadeToOrder:
			madeToOrder++
			if p.LeadTimeDays < 1 {
				t.Errorf("%s: made to order without a lead time", name)
			}
		case p.Stock == 0:
			soldOut++
		case p.Stock == 1:
			oneOff++
		}
		if p.Ships && !p.PickupAtFair {
			shipsOnly++
		}
		if p.PickupAtFair && !p.Ships {
			pickupOnly++
		}
	}
	if len(crafts) < 8 {
		t.Errorf("%d crafts among the demo products, want at least 8", len(crafts))
	}
	if oneOff < 3 || soldOut < 3 || madeToOrder < 3 || shipsOnly < 1 || pickupOnly < 1 {
		t.Errorf("one-of-a-kind %d, sold out %d, made to order %d, ships only %d, pickup only %d: want some of each",
			oneOff, soldOut, madeToOrder, shipsOnly, pickupOnly)
	}
	// DemoProducts returns a copy.
	products[0].Colors[0] = "#000000"
	products[0].TitleFR = "changed"
	if again := models.DemoProducts(); again[0].TitleFR == "changed" || again[0].Colors[0] == "#000000" {
		t.Error("DemoProducts shares its data with the caller")
	}
}

// demoPhotos makes rows for photos whose objects a test does not need.
func demoPhotos(n int) []models.Photo {
	out := make([]models.Photo, n)
	for i := range out {
		out[i] = models.Photo{KeyBase: dbtest.Name("img/test"), Width: 1600, Height: 1200, Variants: "320,800,1600"}
	}
	return out
}

func TestSeedDemoArtisans(t *testing.T) {
	t.Parallel()
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		mustSeed(t, db, models.SeedOptions{})
		var artisans []models.Artisan
		if err := db.Order("id").Find(&artisans).Error; err != nil {
			t.Fatal(err)
		}
		slugs := map[string]models.Artisan{}
		regions := map[string]bool{}
		for _, a := range artisans {
			slugs[a.Slug] = a
			if a.Verified() {
				regions[a.RegionCode] = true
			}
			if a.RegistryNumber == nil || !registryRe.MatchString(*a.RegistryNumber) {
				t.Errorf("%s: registry number %v does not have the register's format", a.Slug, a.RegistryNumber)
			}
			if a.CardNumber == nil || !cardRe.MatchString(*a.CardNumber) {
				t.Errorf("%s: card number %v does not have the card's format", a.Slug, a.CardNumber)
			}
			if a.BioFR == "" || a.BioAR == "" || a.BioEN == "" {
				t.Errorf("%s: bios fr %q, ar %q, en %q; want all three", a.Slug, a.BioFR, a.BioAR, a.BioEN)
			}
			if a.SubmittedAt == nil {
				t.Errorf("%s: no submission date", a.Slug)
			}
		}
		if len(regions) < 5 {
			t.Errorf("verified artisans in %d regions, want at least 5", len(regions))
		}
		for _, p := range models.DemoProducts() {
			if a, ok := slugs[p.ArtisanSlug]; !ok || !a.Verified() {
				t.Errorf("demo product %q belongs to %s, which is not a verified demo artisan", p.TitleFR, p.ArtisanSlug)
			}
		}
		// The pending leather workshop waits, complete, in the Fès-Meknès chamber's queue.
		queue, err := models.ListRegionArtisans(ctx, db, "FM", models.ArtisanPending)
		if err != nil {
			t.Fatal(err)
		}
		if len(queue) != 1 || queue[0].Slug != "maroquinerie-chouara" {
			t.Fatalf("FM queue = %v, want the Chouara workshop", queue)
		}
		u, err := models.GetUserByEmail(ctx, db, "cuir@souk.test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.SubmitArtisanProfile(ctx, db, u.ID); !errors.Is(err, models.ErrInvalidState) {
			t.Errorf("resubmitting the pending profile: %v, want ErrInvalidState (it is already in the queue)", err)
		}
	})
}

// TestSeedFillsOlderDemoProfiles: a data folder seeded before the profiles had identity
// numbers and bios gets them on the next seed, and nothing else changes.
func TestSeedFillsOlderDemoProfiles(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	mustSeed(t, db, models.SeedOptions{})
	err := db.Exec("UPDATE artisans SET registry_number = NULL, card_number = NULL, bio_fr = '', bio_ar = '', bio_en = '', city = 'Meknès' WHERE slug = ?",
		"atelier-bennani-zellige").Error
	if err != nil {
		t.Fatal(err)
	}
	if r := mustSeed(t, db, models.SeedOptions{}); r != (models.SeedReport{}) {
		t.Errorf("second seed report %+v, want nothing added", r)
	}
	var a models.Artisan
	if err := db.Where("slug = ?", "atelier-bennani-zellige").Take(&a).Error; err != nil {
		t.Fatal(err)
	}
	if a.RegistryNumber == nil || a.CardNumber == nil || a.BioFR == "" || a.BioAR == "" || a.BioEN == "" {
		t.Errorf("profile not completed: %+v", a)
	}
	if a.City != "Meknès" {
		t.Errorf("city = %q: the seed changed a field that was not empty", a.City)
	}
}

func countTable(t *testing.T, db *gorm.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.Table(table).Count(&n).Error; err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestSeedDemoProduct(t *testing.T) {
	t.Parallel()
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		mustSeed(t, db, models.SeedOptions{})
		p := models.DemoProducts()[0]

		if _, err := models.SeedDemoProduct(ctx, db, p, nil); !errors.Is(err, models.ErrNoPhoto) {
			t.Errorf("without photos: %v, want ErrNoPhoto", err)
		}
		exists, err := models.DemoProductExists(ctx, db, p.ArtisanSlug, p.TitleFR)
		if err != nil || exists {
			t.Fatalf("DemoProductExists before = %v, %v", exists, err)
		}
		created, err := models.SeedDemoProduct(ctx, db, p, demoPhotos(3))
		if err != nil || !created {
			t.Fatalf("SeedDemoProduct = %v, %v", created, err)
		}
		products, photos := countTable(t, db, "products"), countTable(t, db, "product_photos")
		created, err = models.SeedDemoProduct(ctx, db, p, demoPhotos(3))
		if err != nil || created {
			t.Fatalf("second SeedDemoProduct = %v, %v; want false (exists)", created, err)
		}
		if countTable(t, db, "products") != products || countTable(t, db, "product_photos") != photos {
			t.Error("the second call added rows")
		}

		page, err := models.SearchCatalog(ctx, db, models.CatalogQuery{Q: "fontaine zellige"})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 1 || page.Items[0].TitleAR != p.TitleAR || page.Items[0].Cover == nil {
			t.Fatalf("catalog search = %+v, want the published fountain with its cover", page)
		}
		view, err := models.GetPublicProduct(ctx, db, page.Items[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(view.Photos) != 3 || view.Product.PublishedAt == nil || view.Product.Status != models.ProductPublished {
			t.Errorf("product view: %d photos, status %s, published %v", len(view.Photos), view.Product.Status, view.Product.PublishedAt)
		}
		for i, ph := range view.Photos {
			if ph.Position != i {
				t.Errorf("photo %d at position %d", i, ph.Position)
			}
		}
	})
}

func TestSeedLoadProducts(t *testing.T) {
	t.Parallel()
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		if _, err := models.SeedLoadProducts(ctx, db, 10); !errors.Is(err, models.ErrNoDemoArtisans) {
			t.Fatalf("before the demo seed: %v, want ErrNoDemoArtisans", err)
		}
		mustSeed(t, db, models.SeedOptions{})
		start := time.Now()
		r, err := models.SeedLoadProducts(ctx, db, 500)
		if err != nil {
			t.Fatal(err)
		}
		if r.Products != 500 || r.Elapsed <= 0 || r.RowsPerSecond() <= 0 {
			t.Errorf("report %+v (%.0f rows/s)", r, r.RowsPerSecond())
		}
		t.Logf("500 load products in %s (%.0f rows/s)", r.Elapsed, r.RowsPerSecond())

		all, err := models.SearchCatalog(ctx, db, models.CatalogQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if all.Total != 500 {
			t.Fatalf("catalog holds %d products, want the 500 load products", all.Total)
		}
		if countTable(t, db, "product_photos") != 0 {
			t.Error("load products got photo rows (they have no stored objects)")
		}
		for _, it := range all.Items {
			if it.PublishedAt == nil || !it.PublishedAt.Before(start) {
				t.Errorf("product %d published at %v, want in the past", it.ID, it.PublishedAt)
			}
		}

		// Spread over artisans, regions and crafts; found by search in every language.
		var spread struct{ Artisans, Crafts int }
		if err := db.Table("products").Select("count(DISTINCT artisan_id) AS artisans, count(DISTINCT craft_code) AS crafts").
			Scan(&spread).Error; err != nil {
			t.Fatal(err)
		}
		if spread.Artisans < 8 || spread.Crafts < 10 {
			t.Errorf("load products spread over %d artisans and %d crafts, want ≥ 8 and ≥ 10", spread.Artisans, spread.Crafts)
		}
		for _, q := range []models.CatalogQuery{{Q: "zellige"}, {Q: "زليج"}, {Q: "cedre"}, {Q: "tapis"},
			{Q: "rug"}, {Q: "argent", Region: "SM"}, {Craft: "pottery", MaxCents: 50_000}} {
			page, err := models.SearchCatalog(ctx, db, q)
			if err != nil {
				t.Fatal(err)
			}
			if page.Total == 0 || page.Total == 500 {
				t.Errorf("search %+v found %d of 500 products", q, page.Total)
			}
		}

		// The search text computed in Go is the one refreshProductSearch writes.
		type searchCols struct {
			ID                           int64
			ArtisanID                    int64
			SearchFR, SearchAR, SearchEN string
		}
		var before []searchCols
		if err := db.Table("products").Select("id, artisan_id, search_fr, search_ar, search_en").Order("id").Limit(40).
			Scan(&before).Error; err != nil {
			t.Fatal(err)
		}
		refreshed := map[int64]bool{}
		for _, p := range before {
			if !refreshed[p.ArtisanID] {
				if err := models.RefreshArtisanSearch(ctx, db, p.ArtisanID); err != nil {
					t.Fatal(err)
				}
				refreshed[p.ArtisanID] = true
			}
		}
		for _, p := range before {
			var after searchCols
			if err := db.Table("products").Select("id, artisan_id, search_fr, search_ar, search_en").Where("id = ?", p.ID).
				Scan(&after).Error; err != nil {
				t.Fatal(err)
			}
			if after != p {
				t.Errorf("product %d: search text from the seeder\n%+v\ndiffers from refreshProductSearch's\n%+v", p.ID, p, after)
				break
			}
		}

		// Every run adds N more (documented: load data is not idempotent).
		if r, err := models.SeedLoadProducts(ctx, db, 500); err != nil || r.Products != 500 {
			t.Fatalf("second run: %+v, %v", r, err)
		}
		if n := countTable(t, db, "products"); n != 1000 {
			t.Errorf("%d products after two runs of 500, want 1000", n)
		}
		if r, err := models.SeedLoadProducts(ctx, db, 0); err != nil || r.Products != 0 {
			t.Errorf("SeedLoadProducts(0) = %+v, %v", r, err)
		}
	})
}

// TestSeedLoadProductsBatches crosses several batches and chunks.
func TestSeedLoadProductsBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	t.Parallel()
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		mustSeed(t, db, models.SeedOptions{})
		const n = 12_345
		r, err := models.SeedLoadProducts(ctx, db, n)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d load products in %s (%.0f rows/s)", n, r.Elapsed, r.RowsPerSecond())
		if got := countTable(t, db, "products"); got != n {
			t.Errorf("%d products, want %d", got, n)
		}
		var ids struct{ Lo, Hi int64 }
		if err := db.Table("products").Select("min(id) AS lo, max(id) AS hi").Scan(&ids).Error; err != nil {
			t.Fatal(err)
		}
		if ids.Hi-ids.Lo+1 != n {
			t.Errorf("ids %d..%d for %d rows", ids.Lo, ids.Hi, n)
		}
		page, err := models.SearchCatalog(ctx, db, models.CatalogQuery{Q: "cedre", Page: 2})
		if err != nil || len(page.Items) != models.CatalogPerPage {
			t.Errorf("second page of cedre: %d items, %v", len(page.Items), err)
		}
	})
}

// Example of the report line of souk seed --products.
func ExampleLoadReport_RowsPerSecond() {
	r := models.LoadReport{Products: 50_000, Elapsed: 20 * time.Second}
	fmt.Println(strconv.FormatFloat(r.RowsPerSecond(), 'f', 0, 64), "rows/s")
	// Output: 2500 rows/s
}

// TestNormalizeSearchTextConcurrent: the load seeder normalises in a goroutine while requests
// search; the accent folding must not share state between goroutines.
func TestNormalizeSearchTextConcurrent(t *testing.T) {
	t.Parallel()
	done := make(chan string)
	for range 8 {
		go func() {
			var last string
			for range 300 {
				last = models.NormalizeSearchText("Coffret en cèdre et thuya, Fès — الزليج " + strings.Repeat("é", 50))
			}
			done <- last
		}()
	}
	for range 8 {
		if got := <-done; !strings.HasPrefix(got, "coffret en cedre et thuya fes الزليج زليج eee") {
			t.Errorf("NormalizeSearchText = %q", got)
		}
	}
	if got := models.Slugify("Atelier Bennani — Zellige de Fès"); got != "atelier-bennani-zellige-de-fes" {
		t.Errorf("Slugify = %q", got)
	}
}

// TestAnalyzeCatalogListingPlan: after a bulk load, SQLite walks the listing index for the
// newest-first catalog instead of sorting every product (see AnalyzeCatalog).
func TestAnalyzeCatalogListingPlan(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	open := func() *gorm.DB {
		db, err := models.Open(ctx, models.DBConfig{SQLitePath: dir + "/souk.db", Logger: dbtest.Logger()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = models.Close(db) })
		return db
	}
	db := open()
	if _, err := models.Migrate(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	mustSeed(t, db, models.SeedOptions{})
	if _, err := models.SeedLoadProducts(ctx, db, 5000); err != nil {
		t.Fatal(err)
	}
	if err := models.Close(db); err != nil {
		t.Fatal(err)
	}
	db = open() // statistics are read when a connection opens
	var samples int64
	if err := db.Raw("SELECT count(*) FROM sqlite_stat4").Scan(&samples).Error; err != nil || samples != 0 {
		t.Errorf("sqlite_stat4 holds %d rows (%v), want none", samples, err)
	}
	var plan []struct {
		ID, Parent, Notused int
		Detail              string
	}
	err := db.Raw(`EXPLAIN QUERY PLAN SELECT p.id FROM products p JOIN artisans a ON a.id = p.artisan_id
		WHERE p.status = ? AND a.status = ? ORDER BY p.published_at DESC, p.id DESC LIMIT 24`,
		models.ProductPublished, models.ArtisanVerified).Scan(&plan).Error
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, p := range plan {
		lines = append(lines, p.Detail)
	}
	if got := strings.Join(lines, "\n"); !strings.Contains(got, "products_listing_idx") || strings.Contains(got, "TEMP B-TREE") {
		t.Errorf("listing plan after the load:\n%s\nwant a walk of products_listing_idx without a sort", got)
	}
}
