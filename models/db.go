package models

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrationFS embed.FS

// Dialect names the two databases the portal runs on.
const (
	DialectPostgres = "postgres"
	DialectSQLite   = "sqlite"
)

// DBConfig says which database to open and how to bound it.
type DBConfig struct {
	// URL is a postgres:// URL; empty means the SQLite file SQLitePath.
	URL string
	// SQLitePath is the SQLite file used when URL is empty.
	SQLitePath string
	// MaxOpenConns bounds the pool (instances × MaxOpenConns must fit max_connections).
	MaxOpenConns int
	// StatementTimeout stops runaway statements on PostgreSQL.
	StatementTimeout time.Duration
	// Logger receives slow-query and error lines.
	Logger *slog.Logger
}

// Open connects to PostgreSQL or SQLite with a bounded pool and GORM's error translation.
// It does not migrate; call Migrate.
func Open(ctx context.Context, cfg DBConfig) (*gorm.DB, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxOpenConns <= 0 {
		cfg.MaxOpenConns = 10
	}
	if cfg.StatementTimeout <= 0 {
		cfg.StatementTimeout = 5 * time.Second
	}
	gcfg := &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true,
		DisableAutomaticPing:   true, // Ping below honours ctx

		Logger: logger.New(slogWriter{cfg.Logger}, logger.Config{
			SlowThreshold:             300 * time.Millisecond,
			LogLevel:                  logger.Warn,
			IgnoreRecordNotFoundError: true,
		}),
		NowFunc: func() time.Time { return time.Now().UTC() },
	}

	var (
		db  *gorm.DB
		err error
	)
	switch {
	case cfg.URL == "":
		if err := os.MkdirAll(filepath.Dir(cfg.SQLitePath), 0o750); err != nil {
			return nil, fmt.Errorf("create data folder: %w", err)
		}
		dsn := "file:" + cfg.SQLitePath + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)" +
			"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		db, err = gorm.Open(sqlite.Open(dsn), gcfg)
	case strings.HasPrefix(cfg.URL, "postgres://") || strings.HasPrefix(cfg.URL, "postgresql://"):
		dsn, derr := postgresDSN(cfg.URL, cfg.StatementTimeout)
		if derr != nil {
			return nil, derr
		}
		db, err = gorm.Open(postgres.Open(dsn), gcfg)
	default:
		return nil, errors.New("open database: DATABASE_URL must start with postgres://")
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", translateError(err))
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	sqlDB.SetMaxOpenConns(cfg.MaxOpenConns)
	sqlDB.SetMaxIdleConns(min(cfg.MaxOpenConns, 5))
	sqlDB.SetConnMaxLifetime(30 * time.Minute)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if err := Ping(ctx, db); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return db, nil
}

// postgresDSN adds the timeouts every session needs unless the URL already sets them:
// pgx sends unknown URL parameters to the server as run-time settings.
func postgresDSN(raw string, statementTimeout time.Duration) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	q := u.Query()
	defaults := map[string]string{
		"connect_timeout":                     "2",
		"statement_timeout":                   fmt.Sprint(statementTimeout.Milliseconds()),
		"lock_timeout":                        "3000",
		"idle_in_transaction_session_timeout": "30000",
		"application_name":                    "souk",
	}
	for k, v := range defaults {
		if q.Get(k) == "" {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Dialect tells which database db talks to.
func Dialect(db *gorm.DB) string {
	if db.Dialector.Name() == "postgres" {
		return DialectPostgres
	}
	return DialectSQLite
}

// Ping checks the database answers within a short deadline (used by /readyz).
func Ping(ctx context.Context, db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", errors.Join(ErrUnavailable, err))
	}
	return nil
}

// Close closes the pool.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return sqlDB.Close()
}

// WithTx runs fn in one transaction: committed when fn returns nil, rolled back otherwise.
// Called with a db that is already a transaction, it joins it (GORM uses a savepoint).
func WithTx(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	return translateError(db.WithContext(ctx).Transaction(fn))
}

func migrationProvider(db *gorm.DB, logger *slog.Logger) (*goose.Provider, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("migrations pool: %w", err)
	}
	dialect := Dialect(db)
	fsys, err := fs.Sub(migrationFS, "migrations/"+dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations folder: %w", err)
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if logger != nil {
		opts = append(opts, goose.WithSlog(logger))
	}
	gooseDialect := goose.DialectSQLite3
	if dialect == DialectPostgres {
		gooseDialect = goose.DialectPostgres
		// Two instances starting together wait for each other instead of racing.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("migrations lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gooseDialect, sqlDB, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations provider: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration and returns how many ran.
func Migrate(ctx context.Context, db *gorm.DB, logger *slog.Logger) (int, error) {
	p, err := migrationProvider(db, logger)
	if err != nil {
		return 0, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return len(results), fmt.Errorf("apply migrations: %w", translateError(err))
	}
	return len(results), nil
}

// MigrateDownAll rolls every migration back (used by the migration round-trip test).
func MigrateDownAll(ctx context.Context, db *gorm.DB) error {
	p, err := migrationProvider(db, nil)
	if err != nil {
		return err
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		return fmt.Errorf("roll back migrations: %w", err)
	}
	return nil
}

// SchemaUpToDate reports whether every embedded migration has been applied.
func SchemaUpToDate(ctx context.Context, db *gorm.DB) (bool, error) {
	p, err := migrationProvider(db, nil)
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("check migrations: %w", translateError(err))
	}
	return !pending, nil
}

// slogWriter adapts GORM's printf logger to slog.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Printf(format string, args ...any) {
	w.l.Warn("database", "detail", fmt.Sprintf(format, args...))
}
