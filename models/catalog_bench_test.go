package models_test

// Catalog benchmarks on a 50 000-product catalog, built once per `go test` run and per dialect
// with the load-data seeder (SeedLoadProducts), plus two photo rows per product so the cover
// lookup does real work. SQLite always; PostgreSQL when TEST_DATABASE_URL is set.
//
//	go test -run '^$' -bench Catalog -benchtime 200x ./models/
//	TEST_DATABASE_URL=postgres://… go test -run '^$' -bench Catalog -benchtime 200x ./models/
//	TEST_DATABASE_URL=postgres://… go test -tags measure -run TestCatalogLatency -v ./models/
//
// SOUK_BENCH_PRODUCTS changes the catalog size.

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// benchProducts is the size of the benchmark catalog.
func benchProducts() int {
	if n, err := strconv.Atoi(os.Getenv("SOUK_BENCH_PRODUCTS")); err == nil && n > 0 {
		return n
	}
	return 50_000
}

type catalogFixture struct {
	db      *gorm.DB
	err     error
	cleanup func()
	once    sync.Once
}

var (
	fixturesMu sync.Mutex
	fixtures   = map[string]*catalogFixture{}
)

// TestMain drops the benchmark catalogs (a temporary SQLite folder, a PostgreSQL database)
// once every test and benchmark has run.
func TestMain(m *testing.M) {
	code := m.Run()
	fixturesMu.Lock()
	for _, f := range fixtures {
		if f.cleanup != nil {
			f.cleanup()
		}
	}
	fixturesMu.Unlock()
	os.Exit(code)
}

// benchCatalog returns the shared benchmark catalog of a dialect ("sqlite" or "postgres"),
// building it on first use; PostgreSQL skips without TEST_DATABASE_URL.
func benchCatalog(tb testing.TB, dialect string) *gorm.DB {
	tb.Helper()
	if dialect == models.DialectPostgres {
		dbtest.RequireEnv(tb, "TEST_DATABASE_URL")
	}
	fixturesMu.Lock()
	f := fixtures[dialect]
	if f == nil {
		f = &catalogFixture{}
		fixtures[dialect] = f
	}
	fixturesMu.Unlock()
	f.once.Do(func() {
		start := time.Now()
		f.db, f.cleanup, f.err = buildBenchCatalog(dialect, benchProducts())
		if f.err == nil {
			tb.Logf("%s benchmark catalog: %d products built in %s", dialect, benchProducts(), time.Since(start).Round(time.Millisecond))
		}
	})
	if f.err != nil {
		tb.Fatalf("build %s benchmark catalog: %v", dialect, f.err)
	}
	return f.db
}

func buildBenchCatalog(dialect string, n int) (db *gorm.DB, cleanup func(), err error) {
	ctx := context.Background()
	var cleanups []func()
	cleanup = func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
	cfg := models.DBConfig{Logger: dbtest.Logger(), MaxOpenConns: 10}
	switch dialect {
	case models.DialectSQLite:
		dir, err := os.MkdirTemp("", "souk-bench-")
		if err != nil {
			return nil, cleanup, err
		}
		cleanups = append(cleanups, func() { _ = os.RemoveAll(dir) })
		cfg.SQLitePath = filepath.Join(dir, "souk.db")
	default:
		dbURL, drop, err := benchPostgresDatabase(ctx)
		if err != nil {
			return nil, cleanup, err
		}
		cleanups = append(cleanups, drop)
		cfg.URL = dbURL
	}
	opened, err := models.Open(ctx, cfg)
	if err != nil {
		return nil, cleanup, err
	}
	cleanups = append(cleanups, func() { _ = models.Close(opened) })
	db = opened
	if _, err := models.Migrate(ctx, db, nil); err != nil {
		return nil, cleanup, err
	}
	if _, err := models.Seed(ctx, db, models.SeedOptions{}); err != nil {
		return nil, cleanup, err
	}
	if _, err := models.SeedLoadProducts(ctx, db, n); err != nil {
		return nil, cleanup, err
	}
	// Two photo rows per product (rows only: no object is read here).
	for pos := range 2 {
		err := db.Exec(`INSERT INTO product_photos (product_id, key_base, position, width, height, variants)
			SELECT id, 'img/bench-' || id || '-' || ?, ?, 1600, 1200, '320,800,1600' FROM products`, strconv.Itoa(pos), pos).Error
		if err != nil {
			return nil, cleanup, fmt.Errorf("bench photos: %w", err)
		}
	}
	if err := models.AnalyzeCatalog(ctx, db); err != nil {
		return nil, cleanup, err
	}
	if dialect == models.DialectPostgres {
		// As in production, where autovacuum keeps statistics of every table (the demo's
		// eleven artisans are below its threshold, so analyze them here) and vacuums a table
		// soon after a bulk insert (product_search, the search copy of products, filled by
		// triggers: its visibility map and the pending list of its GIN index).
		for _, stmt := range []string{"ANALYZE artisans", "VACUUM (ANALYZE) product_search"} {
			if err := db.Exec(stmt).Error; err != nil {
				return nil, cleanup, err
			}
		}
	}
	// SQLite connections read the statistics when they open: start the pool afresh.
	if sqlDB, err := db.DB(); err == nil {
		sqlDB.SetMaxIdleConns(0)
		sqlDB.SetMaxIdleConns(5)
	}
	return db, cleanup, nil
}

// benchPostgresDatabase creates a database of its own on the TEST_DATABASE_URL server.
func benchPostgresDatabase(ctx context.Context) (string, func(), error) {
	base := os.Getenv("TEST_DATABASE_URL")
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return "", nil, err
	}
	name := "souk_bench_" + strings.ToLower(rand.Text()[:10])
	if err := admin.WithContext(ctx).Exec("CREATE DATABASE " + name).Error; err != nil {
		return "", nil, err
	}
	drop := func() {
		dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = admin.WithContext(dctx).Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error
		if sqlDB, err := admin.DB(); err == nil {
			_ = sqlDB.Close()
		}
	}
	u, err := url.Parse(base)
	if err != nil {
		drop()
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// benchQueries are the catalog requests measured: the plain listing, a filtered listing and
// searches in French, Arabic, accent-free French, with a typo, with two words (with and without
// a filter), sorted by price and on a far page. Each search matches thousands of the 50 000
// products, more than models.CatalogMaxResults.
var benchQueries = []struct {
	name string
	q    models.CatalogQuery
}{
	{"list", models.CatalogQuery{}},
	{"list_page_40", models.CatalogQuery{Page: 40}},
	{"filter_craft_region_price", models.CatalogQuery{Craft: "zellige", Region: "FM", MinCents: 5_000, MaxCents: 80_000}},
	{"filter_price_sorted", models.CatalogQuery{MinCents: 10_000, MaxCents: 20_000, Sort: models.SortPriceAsc}},
	{"search_zellige", models.CatalogQuery{Q: "zellige"}},
	{"search_arabic", models.CatalogQuery{Q: "زليج"}},
	{"search_cedre", models.CatalogQuery{Q: "cedre"}},
	{"search_typo", models.CatalogQuery{Q: "zelige"}},
	{"search_two_words", models.CatalogQuery{Q: "tapis laine"}},
	{"search_two_words_filtered", models.CatalogQuery{Q: "tapis laine", Region: "BMK"}},
	{"search_sorted_price", models.CatalogQuery{Q: "zellige", Sort: models.SortPriceAsc}},
	{"search_page_20", models.CatalogQuery{Q: "cedre", Page: 20}},
}

func benchQueriesNamed(prefix string) []int {
	var out []int
	for i, q := range benchQueries {
		if len(q.name) >= len(prefix) && q.name[:len(prefix)] == prefix {
			out = append(out, i)
		}
	}
	return out
}

func runCatalogBench(b *testing.B, prefix string) {
	for _, dialect := range []string{models.DialectSQLite, models.DialectPostgres} {
		b.Run(dialect, func(b *testing.B) {
			db := benchCatalog(b, dialect)
			for _, i := range benchQueriesNamed(prefix) {
				bq := benchQueries[i]
				b.Run(bq.name, func(b *testing.B) {
					ctx := context.Background()
					var total int64
					for b.Loop() {
						page, err := models.SearchCatalog(ctx, db, bq.q)
						if err != nil {
							b.Fatal(err)
						}
						total = page.Total
					}
					b.ReportMetric(float64(total), "results")
				})
			}
		})
	}
}

// BenchmarkCatalogList measures the newest-first listing, first and fortieth page.
func BenchmarkCatalogList(b *testing.B) { runCatalogBench(b, "list") }

// BenchmarkCatalogFilter measures craft + region + price filters and a price-sorted range.
func BenchmarkCatalogFilter(b *testing.B) { runCatalogBench(b, "filter") }

// BenchmarkCatalogSearch measures full-text searches (French, Arabic, without accents, typo,
// two words, sorted by price, a far page).
func BenchmarkCatalogSearch(b *testing.B) { runCatalogBench(b, "search") }
