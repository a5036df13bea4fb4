package models

import (
	"time"

	"gorm.io/gorm"
)

// This file is compiled only with the tests: it lets the external test package (models_test,
// which also imports dbtest and so cannot live inside package models) reach the internals it
// needs.

// NewKVStoreWithClock returns a KVStore over db whose notion of "now" is the given function,
// so tests can move time forward without sleeping.
func NewKVStoreWithClock(db *gorm.DB, now func() time.Time) *KVStore {
	s := NewKVStore(db)
	s.now = now
	return s
}
