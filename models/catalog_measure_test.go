//go:build measure

package models_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
)

// TestCatalogLatency reports p50/p95 of SearchCatalog over 200 calls of each query kind on the
// benchmark catalog (target: p95 ≤ 20 ms), or over the calls made in 20 s when a query is very
// slow. It is built only with -tags measure, logs the figures (results "500+": more than
// models.CatalogMaxResults) and fails on errors only.
func TestCatalogLatency(t *testing.T) {
	const calls = 200
	const target = 20 * time.Millisecond
	for _, dialect := range []string{models.DialectSQLite, models.DialectPostgres} {
		t.Run(dialect, func(t *testing.T) {
			db := benchCatalog(t, dialect)
			ctx := context.Background()
			for _, bq := range benchQueries {
				// Warm up the caches and the connection pool first.
				for range 3 {
					_, _ = models.SearchCatalog(ctx, db, bq.q)
				}
				// 200 calls, or fewer when a query is so slow that they would take over 20 s.
				durations := make([]time.Duration, 0, calls)
				var total int64
				var capped bool
				var failures int
				var lastErr error
				began := time.Now()
				for len(durations) < calls && (len(durations) < 20 || time.Since(began) < 20*time.Second) {
					start := time.Now()
					page, err := models.SearchCatalog(ctx, db, bq.q)
					durations = append(durations, time.Since(start))
					if err != nil {
						failures, lastErr = failures+1, err
						continue
					}
					total, capped = page.Total, page.TotalCapped
				}
				slices.Sort(durations)
				n := len(durations)
				p50, p95 := durations[n/2], durations[n*95/100]
				mark := ""
				if p95 > target {
					mark = "  ← above the 20 ms target"
				}
				more := " "
				if capped {
					more = "+" // more than models.CatalogMaxResults
				}
				t.Logf("%-8s %-26s results %6d%s   calls %3d   p50 %8.2f ms   p95 %8.2f ms%s", dialect, bq.name, total, more,
					n, ms(p50), ms(p95), mark)
				if failures > 0 {
					t.Errorf("%s %s: %d of %d calls failed, last: %v", dialect, bq.name, failures, n, lastErr)
				}
			}
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
