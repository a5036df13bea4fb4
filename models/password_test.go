package models_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
)

// TestCheckPassword is checklist A6's table: length rules only, counted in characters, and
// the common-password list, whatever the case.
func TestCheckPassword(t *testing.T) {
	cases := []struct {
		name     string
		password string
		want     error
	}{
		{"empty", "", models.ErrPasswordTooShort},
		{"7 characters", "kq7#vXz", models.ErrPasswordTooShort},
		{"8 characters", "kq7#vXz!", nil},
		{"7 Arabic letters (14 bytes) are still 7 characters", "كلمةسرا", models.ErrPasswordTooShort},
		{"8 Arabic letters", "كلمةسرية", nil},
		{"no composition rules: lower-case passphrase", "correct horse battery staple", nil},
		{"64 characters", strings.Repeat("souk-exp", 8), nil},
		{"100 characters", strings.Repeat("zellige-0", 11) + "x", nil},
		{"256 characters", strings.Repeat("a1b2", 64), nil},
		{"257 characters", strings.Repeat("a1b2", 64) + "c", models.ErrPasswordTooLong},
		{"password123 is common", "password123", models.ErrPasswordCommon},
		{"PASSWORD123 is common whatever the case", "PASSWORD123", models.ErrPasswordCommon},
		{"qwertyuiop is common", "qwertyuiop", models.ErrPasswordCommon},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if n := len([]rune(tc.password)); strings.Contains(tc.name, " characters") && !strings.Contains(tc.name, fmt.Sprint(n)) {
				t.Fatalf("test data: %q has %d characters", tc.name, n)
			}
			err := models.CheckPassword(tc.password)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Errorf("CheckPassword(%d chars) = %v, want %v", len([]rune(tc.password)), err, tc.want)
			}
		})
	}
}

func mustHash(t *testing.T, password string) string {
	t.Helper()
	h, err := models.HashPassword(password)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	return h
}

// TestPasswordRoundTrip: accepted passwords verify exactly as typed, with no truncation and
// no normalisation.
func TestPasswordRoundTrip(t *testing.T) {
	prefix72 := strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz", 2) // 72 bytes
	cases := []struct {
		name      string
		password  string
		others    []string // must NOT verify against the hash of password
		checkRule bool     // the password must also pass CheckPassword
	}{
		{"8 characters", "kq7#vXz!", []string{"kq7#vXz", "kq7#vXz!!", "KQ7#VXZ!"}, true},
		{"64 characters", strings.Repeat("souk-exp", 8), []string{strings.Repeat("souk-exp", 8)[:63]}, true},
		{"100 characters", strings.Repeat("zellige-0", 11) + "x", []string{strings.Repeat("zellige-0", 11) + "y"}, true},
		{"differs only after byte 72", prefix72 + strings.Repeat("A", 28), []string{prefix72 + strings.Repeat("B", 28), prefix72}, true},
		{"spaces are kept", " pass phrase ", []string{"pass phrase", " pass phrase"}, true},
		{"Arabic", "كلمة السر الطويلة", []string{"كلمة السر الطويله"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.checkRule {
				if err := models.CheckPassword(tc.password); err != nil {
					t.Fatalf("CheckPassword: %v", err)
				}
			}
			h := mustHash(t, tc.password)
			if !models.VerifyPassword(h, tc.password) {
				t.Errorf("the %d-byte password does not verify against its own hash", len(tc.password))
			}
			for _, other := range tc.others {
				if models.VerifyPassword(h, other) {
					t.Errorf("%q verifies against the hash of %q", other, tc.password)
				}
			}
		})
	}
}

// TestHashFormat: argon2id with OWASP's minimum profile, in the PHC string format, salted.
func TestHashFormat(t *testing.T) {
	const password = "kq7#vXz!-souk"
	h1, h2 := mustHash(t, password), mustHash(t, password)
	const wantPrefix = "$argon2id$v=19$m=19456,t=2,p=1$"
	for _, h := range []string{h1, h2} {
		if !strings.HasPrefix(h, wantPrefix) {
			t.Errorf("hash %q does not start with %q", h, wantPrefix)
		}
		parts := strings.Split(h, "$")
		if len(parts) != 6 {
			t.Fatalf("hash %q has %d $-parts, want 6", h, len(parts))
		}
		salt, err := base64.RawStdEncoding.DecodeString(parts[4])
		if err != nil || len(salt) < 16 {
			t.Errorf("salt %q: %d bytes, %v; want at least 16", parts[4], len(salt), err)
		}
		key, err := base64.RawStdEncoding.DecodeString(parts[5])
		if err != nil || len(key) < 32 {
			t.Errorf("key %q: %d bytes, %v; want at least 32", parts[5], len(key), err)
		}
		if strings.Contains(h, password) {
			t.Error("the hash contains the password")
		}
	}
	if h1 == h2 {
		t.Error("two hashes of the same password are equal: no random salt")
	}
}

// TestVerifyPasswordRefusesBadHashes: tampered, foreign or garbage hashes give false, never a
// panic, and a hash cannot make the server spend unbounded memory.
func TestVerifyPasswordRefusesBadHashes(t *testing.T) {
	const password = "kq7#vXz!-souk"
	good := mustHash(t, password)
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=...,t=...,p=..., salt, key
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	flip := func(s string) string {
		b := []byte(s)
		if b[0] == 'A' {
			b[0] = 'B'
		} else {
			b[0] = 'A'
		}
		return string(b)
	}
	cases := []struct{ name, hash string }{
		{"empty", ""},
		{"plain text password", password},
		{"bcrypt hash", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i instead of argon2id", with(1, "argon2i")},
		{"other version", with(2, "v=16")},
		{"key tampered", with(5, flip(parts[5]))},
		{"salt tampered", with(4, flip(parts[4]))},
		{"key truncated", with(5, parts[5][:10])},
		{"key empty", with(5, "")},
		{"key not base64", with(5, "!!!not-base64!!!")},
		{"salt not base64", with(4, "***")},
		{"parameters garbage", with(3, "m=x,t=y,p=z")},
		{"parameters empty", with(3, "")},
		{"negative memory", with(3, "m=-1,t=2,p=1")},
		{"zero lanes", with(3, "m=19456,t=2,p=0")},
		{"lanes overflow", with(3, "m=19456,t=2,p=300")},
		{"zero passes", with(3, "m=19456,t=0,p=1")},
		{"too many passes", with(3, "m=19456,t=1000000,p=1")},
		{"too much memory", with(3, "m=10000000,t=2,p=1")},
		{"memory overflow", with(3, "m=99999999999,t=2,p=1")},
		{"extra part", good + "$extra"},
		{"missing part", strings.Join(parts[:5], "$")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			done := make(chan bool, 1)
			panicked := make(chan any, 1)
			go func() {
				defer func() {
					if r := recover(); r != nil {
						panicked <- r
					}
				}()
				done <- models.VerifyPassword(tc.hash, password)
			}()
			// A generous watchdog so a refused hash that is nevertheless computed fails the
			// test instead of hanging it; the real assertion is on memory below.
			select {
			case ok := <-done:
				if ok {
					t.Errorf("VerifyPassword accepted %q", tc.hash)
				}
			case r := <-panicked:
				t.Fatalf("VerifyPassword panicked on %q: %v", tc.hash, r)
			case <-time.After(30 * time.Second):
				t.Fatalf("VerifyPassword(%q) did not return", tc.hash)
			}
			runtime.ReadMemStats(&after)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Errorf("VerifyPassword(%q) allocated %d MiB: the stored parameters were obeyed", tc.hash, grew>>20)
			}
		})
	}

	t.Run("the genuine hash still verifies", func(t *testing.T) {
		if !models.VerifyPassword(good, password) {
			t.Error("the untouched hash does not verify")
		}
	})
}
