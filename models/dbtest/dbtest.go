// Package dbtest gives tests fresh, migrated databases: SQLite in a temporary folder always,
// and PostgreSQL when TEST_DATABASE_URL is set (one new database per test, dropped after).
package dbtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// RequireEnv returns the value of each variable, or skips the test with a clear message when
// one is unset — except under SOUK_REQUIRE_SERVICES=1, where a missing service fails it.
func RequireEnv(t testing.TB, names ...string) []string {
	t.Helper()
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = os.Getenv(n)
		if out[i] != "" {
			continue
		}
		if os.Getenv("SOUK_REQUIRE_SERVICES") == "1" {
			t.Fatalf("%s is not set but SOUK_REQUIRE_SERVICES=1: this test needs the real service", n)
		}
		t.Skipf("%s is not set: skipping the test against the real service (bash .ci/run sets it)", n)
	}
	return out
}

// Logger is a quiet logger for tests.
func Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

// SQLite returns a migrated SQLite database in a temporary folder.
func SQLite(t testing.TB) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	db, err := models.Open(ctx, models.DBConfig{SQLitePath: filepath.Join(t.TempDir(), "souk.db"), Logger: Logger()})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	if _, err := models.Migrate(ctx, db, nil); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return db
}

// PostgresURL creates an empty database on the TEST_DATABASE_URL server and returns its URL;
// the database is dropped when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := RequireEnv(t, "TEST_DATABASE_URL")[0]
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	name := "souk_t_" + strings.ToLower(rand.Text()[:12])
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("connect to TEST_DATABASE_URL: %v", err)
	}
	if err := admin.Exec("CREATE DATABASE " + name).Error; err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := admin.WithContext(ctx).Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error; err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
		if sqlDB, err := admin.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	u.Path = "/" + name
	return u.String()
}

// Postgres returns a migrated PostgreSQL database of its own.
func Postgres(t testing.TB) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	db, err := models.Open(ctx, models.DBConfig{URL: PostgresURL(t), Logger: Logger(), MaxOpenConns: 20})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	if _, err := models.Migrate(ctx, db, nil); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return db
}

// EachDialect runs fn as a subtest on SQLite and on PostgreSQL.
func EachDialect(t *testing.T, fn func(t *testing.T, db *gorm.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// Name returns a short random name for test rows.
func Name(prefix string) string {
	return fmt.Sprintf("%s-%s", prefix, strings.ToLower(rand.Text()[:8]))
}
