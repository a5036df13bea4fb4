package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// TestWithTx: a multi-step write is all or nothing (checklist E3), and the caller's error
// comes back intact.
func TestWithTx(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		errStep := errors.New("second step failed")
		cases := []struct {
			name     string
			fail     error
			wantRows int64
		}{
			{"both steps commit", nil, 2},
			{"failure rolls back the first step", errStep, 0},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if err := models.NewKVStore(db).Reset(); err != nil {
					t.Fatal(err)
				}
				err := models.WithTx(ctx, db, func(tx *gorm.DB) error {
					if err := tx.Create(&models.KVEntry{Key: "step-1", Value: []byte("x")}).Error; err != nil {
						return err
					}
					if err := tx.Create(&models.KVEntry{Key: "step-2", Value: []byte("y")}).Error; err != nil {
						return err
					}
					return tc.fail
				})
				if !errors.Is(err, tc.fail) || (tc.fail == nil && err != nil) {
					t.Errorf("WithTx = %v, want %v", err, tc.fail)
				}
				var n int64
				if err := db.Model(&models.KVEntry{}).Count(&n).Error; err != nil {
					t.Fatal(err)
				}
				if n != tc.wantRows {
					t.Errorf("%d rows after WithTx, want %d", n, tc.wantRows)
				}
			})
		}
		t.Run("a duplicate inside the transaction is ErrConflict", func(t *testing.T) {
			if err := db.Create(&models.KVEntry{Key: "dup", Value: []byte("first")}).Error; err != nil {
				t.Fatal(err)
			}
			err := models.WithTx(ctx, db, func(tx *gorm.DB) error {
				return tx.Create(&models.KVEntry{Key: "dup", Value: []byte("again")}).Error
			})
			if !errors.Is(err, models.ErrConflict) {
				t.Errorf("WithTx = %v, want ErrConflict", err)
			}
		})
	})
}
