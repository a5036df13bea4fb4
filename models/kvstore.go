package models

import (
	"context"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// KVEntry is one row of the key/value table behind sessions and rate-limit counters.
type KVEntry struct {
	Key       string `gorm:"primaryKey"`
	Value     []byte
	ExpiresAt int64 // unix seconds; 0 never expires
}

// KVStore is the fiber.Storage that keeps sessions and limiter counters in the database, so
// every instance behind the load balancer sees the same state. fiber.Storage has no context
// parameter, so each call gets its own short deadline.
type KVStore struct {
	db      *gorm.DB
	timeout time.Duration
	now     func() time.Time
}

var _ fiber.Storage = (*KVStore)(nil)

// NewKVStore returns a KVStore over db.
func NewKVStore(db *gorm.DB) *KVStore {
	return &KVStore{db: db, timeout: 1500 * time.Millisecond, now: time.Now}
}

func (s *KVStore) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.timeout)
}

// Get returns the value of key, or nil without error when the key is missing or expired
// (the fiber.Storage contract).
func (s *KVStore) Get(key string) ([]byte, error) {
	if key == "" {
		return nil, nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	var rows []KVEntry
	err := s.db.WithContext(ctx).Where("key = ? AND (expires_at = 0 OR expires_at > ?)", key, s.now().Unix()).
		Limit(1).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("get kv entry: %w", translateError(err))
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return rows[0].Value, nil
}

// Set stores val under key for exp (0 = no expiry), replacing any previous value.
func (s *KVStore) Set(key string, val []byte, exp time.Duration) error {
	if key == "" || len(val) == 0 {
		return nil
	}
	var expiresAt int64
	if exp > 0 {
		expiresAt = s.now().Add(exp).Unix()
	}
	ctx, cancel := s.ctx()
	defer cancel()
	entry := KVEntry{Key: key, Value: val, ExpiresAt: expiresAt}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "key"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "expires_at"}),
	}).Create(&entry).Error
	if err != nil {
		return fmt.Errorf("set kv entry: %w", translateError(err))
	}
	return nil
}

// Delete removes key; a missing key is not an error.
func (s *KVStore) Delete(key string) error {
	if key == "" {
		return nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	if err := s.db.WithContext(ctx).Where("key = ?", key).Delete(&KVEntry{}).Error; err != nil {
		return fmt.Errorf("delete kv entry: %w", translateError(err))
	}
	return nil
}

// Reset removes every entry (every session and counter).
func (s *KVStore) Reset() error {
	ctx, cancel := s.ctx()
	defer cancel()
	if err := s.db.WithContext(ctx).Where("1 = 1").Delete(&KVEntry{}).Error; err != nil {
		return fmt.Errorf("reset kv entries: %w", translateError(err))
	}
	return nil
}

// Close does nothing: the database pool belongs to the caller.
func (s *KVStore) Close() error { return nil }

// DeleteExpired removes expired entries and returns how many went. Safe to run on every
// instance at once.
func (s *KVStore) DeleteExpired(ctx context.Context) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at > 0 AND expires_at <= ?", s.now().Unix()).Delete(&KVEntry{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete expired kv entries: %w", translateError(res.Error))
	}
	return res.RowsAffected, nil
}
