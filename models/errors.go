package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// Sentinel errors returned by every function of this package; callers test them with errors.Is.
var (
	// ErrNotFound means the row does not exist or is not visible to the caller.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a uniqueness rule would be broken (same e-mail, same slug, same stand).
	ErrConflict = errors.New("conflict")
	// ErrInvalidState means a state change was asked from a state that does not allow it.
	ErrInvalidState = errors.New("invalid state")
	// ErrUnavailable means the database could not be reached or answered too slowly.
	ErrUnavailable = errors.New("database unavailable")
	// ErrInvalidCredentials means the e-mail is unknown or the password is wrong (never which).
	ErrInvalidCredentials = errors.New("invalid credentials")
)

// translateError maps driver and GORM errors to the package's sentinels, keeping the cause.
func translateError(err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict), errors.Is(err, ErrInvalidState),
		errors.Is(err, ErrUnavailable), errors.Is(err, ErrInvalidCredentials):
		return err
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return errors.Join(ErrConflict, err)
	case isUnavailable(err):
		return errors.Join(ErrUnavailable, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return errors.Join(ErrConflict, err)
	}
	if strings.Contains(err.Error(), "UNIQUE constraint failed") {
		return errors.Join(ErrConflict, err)
	}
	return err
}

// isUnavailable tells whether err says the database is down, unreachable or too slow,
// as opposed to a bad query or a rule broken by the data.
func isUnavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// 08: connection exception; 57P0x: shutdown / cannot connect now; 53300: too many
		// connections; 57014: statement timeout.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P") ||
			pgErr.Code == "53300" || pgErr.Code == "57014"
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), pgconn.Timeout(err):
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "database is locked") || strings.Contains(msg, "failed to connect")
}
