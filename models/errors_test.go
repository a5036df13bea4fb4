package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// TestTranslateError: driver and GORM errors become the package's sentinels (what the HTTP
// layer turns into 404, 409 or 503); anything else passes through untouched.
func TestTranslateError(t *testing.T) {
	plain := errors.New("syntax error near FROM")
	fk := &pgconn.PgError{Code: "23503", Message: "violates foreign key constraint"}
	cases := []struct {
		name      string
		in        error
		want      error // sentinel the result must match with errors.Is; nil = unchanged
		keepCause bool  // the result must still match the input with errors.Is
	}{
		{"record not found", gorm.ErrRecordNotFound, ErrNotFound, false},
		{"wrapped record not found", fmt.Errorf("take user: %w", gorm.ErrRecordNotFound), ErrNotFound, false},
		{"duplicated key", gorm.ErrDuplicatedKey, ErrConflict, true},
		{"pg unique violation 23505", &pgconn.PgError{Code: "23505"}, ErrConflict, true},
		{"wrapped pg unique violation", fmt.Errorf("insert: %w", &pgconn.PgError{Code: "23505"}), ErrConflict, true},
		{"sqlite unique violation text", errors.New("constraint failed: UNIQUE constraint failed: users.email (2067)"), ErrConflict, true},
		{"pg connection failure 08006", &pgconn.PgError{Code: "08006"}, ErrUnavailable, true},
		{"pg connection does not exist 08003", &pgconn.PgError{Code: "08003"}, ErrUnavailable, true},
		{"pg statement timeout 57014", &pgconn.PgError{Code: "57014"}, ErrUnavailable, true},
		{"pg admin shutdown 57P01", &pgconn.PgError{Code: "57P01"}, ErrUnavailable, true},
		{"pg too many connections 53300", &pgconn.PgError{Code: "53300"}, ErrUnavailable, true},
		{"net.OpError", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, ErrUnavailable, true},
		{"wrapped net.OpError", fmt.Errorf("query: %w", &net.OpError{Op: "read", Net: "tcp", Err: io.ErrUnexpectedEOF}), ErrUnavailable, true},
		{"context deadline", context.DeadlineExceeded, ErrUnavailable, true},
		{"wrapped context deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), ErrUnavailable, true},
		{"bad connection", driver.ErrBadConn, ErrUnavailable, true},
		{"unexpected EOF", io.ErrUnexpectedEOF, ErrUnavailable, true},
		{"sqlite busy", errors.New("database is locked (5) (SQLITE_BUSY)"), ErrUnavailable, true},
		{"sentinel passes through", ErrInvalidState, ErrInvalidState, true},
		{"plain error unchanged", plain, nil, true},
		{"pg foreign key 23503 unchanged", fk, nil, true},
		{"pg serialization failure 40001 unchanged", &pgconn.PgError{Code: "40001"}, nil, true},
	}
	sentinels := []error{ErrNotFound, ErrConflict, ErrInvalidState, ErrUnavailable, ErrInvalidCredentials}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := translateError(tc.in)
			if got == nil {
				t.Fatalf("translateError(%v) = nil", tc.in)
			}
			if tc.want == nil {
				if got != tc.in {
					t.Errorf("translateError(%v) = %v, want the error unchanged", tc.in, got)
				}
				for _, s := range sentinels {
					if errors.Is(got, s) {
						t.Errorf("translateError(%v) matches %v", tc.in, s)
					}
				}
				return
			}
			if !errors.Is(got, tc.want) {
				t.Errorf("translateError(%v) = %v, want errors.Is %v", tc.in, got, tc.want)
			}
			for _, s := range sentinels {
				if s != tc.want && errors.Is(got, s) {
					t.Errorf("translateError(%v) also matches %v", tc.in, s)
				}
			}
			if tc.keepCause && !errors.Is(got, tc.in) {
				t.Errorf("translateError(%v) = %v lost its cause", tc.in, got)
			}
		})
	}
	if translateError(nil) != nil {
		t.Error("translateError(nil) is not nil")
	}
}

// requirePostgres mirrors dbtest.RequireEnv (which this internal test cannot import: dbtest
// imports models).
func requirePostgres(t *testing.T) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("SOUK_REQUIRE_SERVICES") == "1" {
			t.Fatal("TEST_DATABASE_URL is not set but SOUK_REQUIRE_SERVICES=1: this test needs the real service")
		}
		t.Skip("TEST_DATABASE_URL is not set: skipping the test against the real service (bash .ci/run sets it)")
	}
	return base
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestOpenUnreachablePostgres: with the database down, Open gives ErrUnavailable (a 503)
// instead of hanging. The URL is TEST_DATABASE_URL's with the address swapped for one where
// nothing answers.
func TestOpenUnreachablePostgres(t *testing.T) {
	base, err := url.Parse(requirePostgres(t))
	if err != nil {
		t.Fatal(err)
	}

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	_ = closed.Close()

	// A server that accepts connections and never says a word (a hung or black-holed peer).
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = silent.Close() }()
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()

	for _, tc := range []struct{ name, addr string }{
		{"port 1", "127.0.0.1:1"},
		{"closed listener", closedAddr},
		{"silent server", silent.Addr().String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := *base
			u.Host = tc.addr
			const deadline = 3 * time.Second
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			type result struct {
				db  *gorm.DB
				err error
			}
			done := make(chan result, 1)
			go func() {
				db, err := Open(ctx, DBConfig{URL: u.String(), Logger: discardLogger()})
				done <- result{db, err}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(deadline + 10*time.Second): // watchdog only: fail instead of hanging
				t.Fatalf("Open(%s) still blocked well after its %s context expired", tc.addr, deadline)
			}
			if r.err == nil {
				_ = Close(r.db)
				t.Fatalf("Open(%s) succeeded", tc.addr)
			}
			if !errors.Is(r.err, ErrUnavailable) {
				t.Errorf("Open(%s) = %v, want errors.Is ErrUnavailable", tc.addr, r.err)
			}

			// /readyz: Ping on a pool whose server went away (the pool is built without
			// Open's first ping, as if the server had died after start-up).
			dsn, err := postgresDSN(u.String(), time.Second)
			if err != nil {
				t.Fatal(err)
			}
			lazy, err := gorm.Open(postgres.Open(dsn), &gorm.Config{DisableAutomaticPing: true, Logger: logger.Discard})
			if err != nil {
				t.Fatalf("build a lazy pool: %v", err)
			}
			defer func() { _ = Close(lazy) }()
			if err := Ping(ctx, lazy); !errors.Is(err, ErrUnavailable) {
				t.Errorf("Ping(%s) = %v, want errors.Is ErrUnavailable", tc.addr, err)
			}
		})
	}
}

// TestPostgresRunawayStatementIsUnavailable: a statement that outlives statement_timeout, or
// the caller's deadline, comes back from WithTx as ErrUnavailable (503), not as a raw error.
func TestPostgresRunawayStatementIsUnavailable(t *testing.T) {
	base := requirePostgres(t)
	ctx := context.Background()
	db, err := Open(ctx, DBConfig{URL: base, Logger: discardLogger(), StatementTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer func() { _ = Close(db) }()

	for _, tc := range []struct {
		name    string
		timeout time.Duration
	}{
		{"statement_timeout", time.Minute},
		{"context deadline", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sleep := 3
			ctx := ctx
			if tc.timeout == 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 100*time.Millisecond)
				defer cancel()
			}
			err := WithTx(ctx, db, func(tx *gorm.DB) error {
				return tx.Exec("SELECT pg_sleep(" + strconv.Itoa(sleep) + ")").Error
			})
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("runaway statement: %v, want ErrUnavailable", err)
			}
		})
	}
	if err := Ping(ctx, db); err != nil {
		t.Errorf("the pool did not recover after the timeouts: %v", err)
	}
}
