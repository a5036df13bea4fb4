package models_test

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// fakeClock is a "now" the test moves by hand; safe for concurrent use.
type fakeClock struct{ unix atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.unix.Store(t.Unix())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(c.unix.Load(), 0) }
func (c *fakeClock) Advance(d time.Duration) { c.unix.Add(int64(d / time.Second)) }

func mustGet(t *testing.T, s fiber.Storage, key string) []byte {
	t.Helper()
	v, err := s.Get(key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return v
}

func mustSet(t *testing.T, s fiber.Storage, key, val string, exp time.Duration) {
	t.Helper()
	if err := s.Set(key, []byte(val), exp); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func kvKeys(t *testing.T, db *gorm.DB) []string {
	t.Helper()
	var keys []string
	if err := db.Model(&models.KVEntry{}).Order("key").Pluck("key", &keys).Error; err != nil {
		t.Fatalf("list kv keys: %v", err)
	}
	return keys
}

// TestKVStoreBasics checks the fiber.Storage contract the session and limiter middlewares
// rely on.
func TestKVStoreBasics(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		s := models.NewKVStore(db)
		binary := []byte{0, 1, 2, 0xff, 0xfe, '\n', 0}

		t.Run("missing key is nil without error", func(t *testing.T) {
			for _, key := range []string{"missing", ""} {
				v, err := s.Get(key)
				if v != nil || err != nil {
					t.Errorf("Get(%q) = %q, %v; want nil, nil", key, v, err)
				}
			}
		})
		t.Run("set then get, binary safe", func(t *testing.T) {
			mustSet(t, s, "sess:a", "alpha", 0)
			if err := s.Set("bin", binary, time.Hour); err != nil {
				t.Fatal(err)
			}
			if v := mustGet(t, s, "sess:a"); string(v) != "alpha" {
				t.Errorf("Get = %q, want alpha", v)
			}
			if v := mustGet(t, s, "bin"); !bytes.Equal(v, binary) {
				t.Errorf("binary value came back as %v, want %v", v, binary)
			}
		})
		t.Run("a second store on the same database sees the same state", func(t *testing.T) {
			other := models.NewKVStore(db) // another instance behind the load balancer
			if v := mustGet(t, other, "sess:a"); string(v) != "alpha" {
				t.Errorf("other instance Get = %q, want alpha", v)
			}
		})
		t.Run("empty key or value is ignored", func(t *testing.T) {
			if err := s.Set("", []byte("x"), 0); err != nil {
				t.Errorf("Set empty key: %v", err)
			}
			if err := s.Set("empty", nil, 0); err != nil {
				t.Errorf("Set empty value: %v", err)
			}
			if v := mustGet(t, s, "empty"); v != nil {
				t.Errorf("empty value stored as %q", v)
			}
		})
		t.Run("delete", func(t *testing.T) {
			mustSet(t, s, "del", "x", 0)
			for range 2 { // the second delete is of a missing key
				if err := s.Delete("del"); err != nil {
					t.Fatalf("Delete: %v", err)
				}
			}
			if v := mustGet(t, s, "del"); v != nil {
				t.Errorf("deleted key still gives %q", v)
			}
			if v := mustGet(t, s, "sess:a"); string(v) != "alpha" {
				t.Errorf("Delete of another key removed sess:a (%q)", v)
			}
		})
		t.Run("reset", func(t *testing.T) {
			if err := s.Reset(); err != nil {
				t.Fatalf("Reset: %v", err)
			}
			if keys := kvKeys(t, db); len(keys) != 0 {
				t.Errorf("keys after Reset: %v", keys)
			}
			mustSet(t, s, "after", "reset", 0)
			if v := mustGet(t, s, "after"); string(v) != "reset" {
				t.Errorf("store unusable after Reset: %q", v)
			}
		})
		t.Run("close leaves the pool open", func(t *testing.T) {
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := models.Ping(context.Background(), db); err != nil {
				t.Errorf("database closed by KVStore.Close: %v", err)
			}
		})
	})
}

// TestKVStoreExpiry moves a fake clock: expired entries are invisible at once and
// DeleteExpired removes exactly them.
func TestKVStoreExpiry(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		clock := newFakeClock(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
		s := models.NewKVStoreWithClock(db, clock.Now)

		mustSet(t, s, "short", "10s", 10*time.Second)
		mustSet(t, s, "hour", "1h", time.Hour)
		mustSet(t, s, "forever", "no expiry", 0)

		steps := []struct {
			advance     time.Duration
			visible     []string
			deleted     int64
			remainAfter []string
		}{
			{0, []string{"forever", "hour", "short"}, 0, []string{"forever", "hour", "short"}},
			{9 * time.Second, []string{"forever", "hour", "short"}, 0, []string{"forever", "hour", "short"}},
			{1 * time.Second, []string{"forever", "hour"}, 1, []string{"forever", "hour"}}, // at exactly 10 s it is gone
			{2 * time.Hour, []string{"forever"}, 1, []string{"forever"}},
			{365 * 24 * time.Hour, []string{"forever"}, 0, []string{"forever"}},
		}
		elapsed := time.Duration(0)
		for _, st := range steps {
			clock.Advance(st.advance)
			elapsed += st.advance
			t.Run(fmt.Sprintf("after %s", elapsed), func(t *testing.T) {
				var visible []string
				for _, key := range []string{"forever", "hour", "short"} {
					if mustGet(t, s, key) != nil {
						visible = append(visible, key)
					}
				}
				if fmt.Sprint(visible) != fmt.Sprint(st.visible) {
					t.Errorf("visible keys %v, want %v", visible, st.visible)
				}
				n, err := s.DeleteExpired(ctx)
				if err != nil || n != st.deleted {
					t.Errorf("DeleteExpired = %d, %v; want %d", n, err, st.deleted)
				}
				if keys := kvKeys(t, db); fmt.Sprint(keys) != fmt.Sprint(st.remainAfter) {
					t.Errorf("rows after DeleteExpired %v, want %v", keys, st.remainAfter)
				}
			})
		}
	})
}

// TestKVStoreSetReplaces: setting an existing key replaces both its value and its expiry.
func TestKVStoreSetReplaces(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		cases := []struct {
			name                string
			firstExp, secondExp time.Duration
			advance             time.Duration
			wantVisible         bool
		}{
			{"expiring then permanent", 10 * time.Second, 0, time.Hour, true},
			{"permanent then expiring", 0, 10 * time.Second, time.Hour, false},
			{"short then long", 10 * time.Second, 2 * time.Hour, time.Hour, true},
			{"long then short", 2 * time.Hour, 10 * time.Second, time.Hour, false},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				clock := newFakeClock(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
				s := models.NewKVStoreWithClock(db, clock.Now)
				key := fmt.Sprintf("replace-%d", i)
				mustSet(t, s, key, "first", tc.firstExp)
				mustSet(t, s, key, "second", tc.secondExp)
				if v := mustGet(t, s, key); string(v) != "second" {
					t.Fatalf("Get after the second Set = %q, want second", v)
				}
				clock.Advance(tc.advance)
				v := mustGet(t, s, key)
				switch {
				case tc.wantVisible && string(v) != "second":
					t.Errorf("after %s: %q, want second (the new expiry)", tc.advance, v)
				case !tc.wantVisible && v != nil:
					t.Errorf("after %s: %q, want nil (the new expiry)", tc.advance, v)
				}
				if _, err := s.DeleteExpired(ctx); err != nil {
					t.Fatal(err)
				}
				var n int64
				if err := db.Model(&models.KVEntry{}).Where("key = ?", key).Count(&n).Error; err != nil {
					t.Fatal(err)
				}
				if want := map[bool]int64{true: 1, false: 0}[tc.wantVisible]; n != want {
					t.Errorf("%d rows for %s after DeleteExpired, want %d", n, key, want)
				}
			})
		}
	})
}

// TestKVStoreConcurrent: 50 goroutines (as if requests on several instances) write their own
// keys and fight over one shared key; nothing fails and the shared key ends with one of
// the written values. Run with -race.
func TestKVStoreConcurrent(t *testing.T) {
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		const workers = 50
		stores := []*models.KVStore{models.NewKVStore(db), models.NewKVStore(db)}
		errs := make(chan error, workers*8)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range workers {
			wg.Go(func() {
				<-start
				s := stores[i%len(stores)]
				own := fmt.Sprintf("own-%02d", i)
				mine := fmt.Sprintf("value-%02d", i)
				for round := range 2 {
					if err := s.Set(own, []byte(mine), time.Hour); err != nil {
						errs <- fmt.Errorf("worker %d Set own: %w", i, err)
						return
					}
					if err := s.Set("shared", []byte(mine), time.Hour); err != nil {
						errs <- fmt.Errorf("worker %d Set shared: %w", i, err)
						return
					}
					v, err := s.Get(own)
					if err != nil || string(v) != mine {
						errs <- fmt.Errorf("worker %d round %d Get own = %q, %v", i, round, v, err)
						return
					}
					v, err = s.Get("shared")
					if err != nil || len(v) == 0 {
						errs <- fmt.Errorf("worker %d Get shared = %q, %v", i, v, err)
						return
					}
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}

		keys := kvKeys(t, db)
		if len(keys) != workers+1 {
			t.Errorf("%d keys stored, want %d", len(keys), workers+1)
		}
		shared := string(mustGet(t, stores[0], "shared"))
		valid := make([]string, workers)
		for i := range valid {
			valid[i] = fmt.Sprintf("value-%02d", i)
		}
		if i := sort.SearchStrings(valid, shared); i == len(valid) || valid[i] != shared {
			t.Errorf("shared key ended as %q, not one of the written values", shared)
		}
	})
}
