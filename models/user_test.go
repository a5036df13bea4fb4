package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"gorm.io/gorm"
)

// Passwords the user tests use (not in the common list). Every CreateUser and Authenticate
// costs an argon2id hash, so the tests create few users.
const (
	pwFoo  = "foo-zellige-2026"
	pwNext = "next-tadelakt-2027"
)

func countUsers(t *testing.T, db *gorm.DB) int64 {
	t.Helper()
	var n int64
	if err := db.Model(&models.User{}).Count(&n).Error; err != nil {
		t.Fatalf("count users: %v", err)
	}
	return n
}

func mustCreateUser(t *testing.T, db *gorm.DB, in models.NewUser) models.User {
	t.Helper()
	u, err := models.CreateUser(context.Background(), db, in)
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", in.Email, err)
	}
	return u
}

// wantFieldError asserts err is a *ValidationError naming exactly field with messageID.
func wantFieldError(t *testing.T, err error, field, messageID string) {
	t.Helper()
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a *models.ValidationError", err, err)
	}
	if got := ve.Fields[field]; got != messageID {
		t.Errorf("Fields[%q] = %q, want %q (all fields: %v)", field, got, messageID, ve.Fields)
	}
}

func TestUsers(t *testing.T) {
	t.Parallel()
	dbtest.EachDialect(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()

		foo := mustCreateUser(t, db, models.NewUser{
			Email: "  Foo@Example.COM ", Name: "  Foo Bar ", Password: pwFoo, Role: models.RoleVisitor,
		})

		t.Run("account is stored normalised with defaults", func(t *testing.T) {
			if foo.ID == 0 {
				t.Error("created user has no id")
			}
			if foo.Email != "foo@example.com" || foo.Name != "Foo Bar" || foo.Locale != "fr" || foo.SessionEpoch != 0 {
				t.Errorf("created user = %+v", foo)
			}
			if foo.PasswordHash == pwFoo || !models.VerifyPassword(foo.PasswordHash, pwFoo) {
				t.Error("the stored password hash does not verify the password (or is the password)")
			}
			got, err := models.GetUserByEmail(ctx, db, "FOO@example.com")
			if err != nil || got.ID != foo.ID {
				t.Errorf("GetUserByEmail in another case = %+v, %v", got, err)
			}
		})

		t.Run("log in however the e-mail is typed", func(t *testing.T) {
			for _, email := range []string{"foo@example.com", "  Foo@Example.COM ", "FOO@EXAMPLE.COM"} {
				u, err := models.Authenticate(ctx, db, email, pwFoo)
				if err != nil || u.ID != foo.ID || u.Email != "foo@example.com" {
					t.Errorf("Authenticate(%q) = %+v, %v", email, u, err)
				}
			}
		})

		t.Run("duplicate e-mail in another case", func(t *testing.T) {
			before := countUsers(t, db)
			_, err := models.CreateUser(ctx, db, models.NewUser{
				Email: "FOO@EXAMPLE.com", Name: "Other", Password: pwNext, Role: models.RoleArtisan,
			})
			wantFieldError(t, err, "email", "EmailTaken")
			if n := countUsers(t, db); n != before {
				t.Errorf("users went from %d to %d", before, n)
			}
		})

		t.Run("validation errors leave no row", func(t *testing.T) {
			valid := models.NewUser{Email: "new@example.com", Name: "New", Password: pwNext, Role: models.RoleVisitor}
			cases := []struct {
				name         string
				edit         func(*models.NewUser)
				field, msgID string
			}{
				{"e-mail without @", func(u *models.NewUser) { u.Email = "not-an-email" }, "email", "EmailInvalid"},
				{"e-mail empty", func(u *models.NewUser) { u.Email = "   " }, "email", "EmailInvalid"},
				{"e-mail with display name", func(u *models.NewUser) { u.Email = "New <new@example.com>" }, "email", "EmailInvalid"},
				{"two e-mails", func(u *models.NewUser) { u.Email = "a@example.com, b@example.com" }, "email", "EmailInvalid"},
				{"name empty", func(u *models.NewUser) { u.Name = "  " }, "name", "NameRequired"},
				{"role unknown", func(u *models.NewUser) { u.Role = "admin" }, "role", "RoleInvalid"},
				{"role empty", func(u *models.NewUser) { u.Role = "" }, "role", "RoleInvalid"},
				{"chamber agent without region", func(u *models.NewUser) { u.Role = models.RoleChamber }, "region", "RegionRequired"},
				{"chamber agent in an unknown region", func(u *models.NewUser) { u.Role, u.RegionCode = models.RoleChamber, "XX" }, "region", "RegionRequired"},
				{"password too short", func(u *models.NewUser) { u.Password = "short" }, "password", "PasswordTooShort"},
				{"password too common", func(u *models.NewUser) { u.Password = "Password123" }, "password", "PasswordTooCommon"},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					before := countUsers(t, db)
					in := valid
					tc.edit(&in)
					u, err := models.CreateUser(ctx, db, in)
					wantFieldError(t, err, tc.field, tc.msgID)
					if u.ID != 0 {
						t.Errorf("CreateUser returned a user with id %d along with the error", u.ID)
					}
					if n := countUsers(t, db); n != before {
						t.Errorf("users went from %d to %d", before, n)
					}
				})
			}
		})

		t.Run("chamber agent with a region", func(t *testing.T) {
			u := mustCreateUser(t, db, models.NewUser{Email: "agent@example.com", Name: "Agent", Password: pwNext, Role: models.RoleChamber, RegionCode: "FM", Locale: "ar"})
			got, err := models.GetUser(ctx, db, u.ID)
			if err != nil || got.RegionCode == nil || *got.RegionCode != "FM" || got.Locale != "ar" || got.Role != models.RoleChamber {
				t.Errorf("GetUser = %+v, %v", got, err)
			}
		})

		t.Run("unknown e-mail and wrong password look the same", func(t *testing.T) {
			cases := []struct{ name, email, password string }{
				{"unknown e-mail", "nobody@example.com", pwFoo},
				{"wrong password", "foo@example.com", pwFoo + "x"},
				{"password in another case", "foo@example.com", "FOO-ZELLIGE-2026"},
				{"empty password", "foo@example.com", ""},
			}
			var texts []string
			for _, tc := range cases {
				u, err := models.Authenticate(ctx, db, tc.email, tc.password)
				if !errors.Is(err, models.ErrInvalidCredentials) {
					t.Errorf("%s: error %v, want ErrInvalidCredentials", tc.name, err)
				}
				if u != (models.User{}) {
					t.Errorf("%s: a user came back with the error: %+v", tc.name, u)
				}
				if err != nil {
					texts = append(texts, err.Error())
				}
			}
			for i := range texts {
				if texts[i] != texts[0] {
					t.Errorf("error texts differ, telling which e-mails exist: %q vs %q", texts[0], texts[i])
				}
			}
		})

		t.Run("disabled account cannot log in", func(t *testing.T) {
			u := mustCreateUser(t, db, models.NewUser{Email: "gone@example.com", Name: "Gone", Password: pwFoo, Role: models.RoleArtisan})
			if err := db.Model(&models.User{}).Where("id = ?", u.ID).Update("disabled_at", time.Now().UTC()).Error; err != nil {
				t.Fatal(err)
			}
			_, err := models.Authenticate(ctx, db, "gone@example.com", pwFoo)
			if !errors.Is(err, models.ErrInvalidCredentials) {
				t.Errorf("disabled user: error %v, want ErrInvalidCredentials", err)
			}
		})

		t.Run("change password", func(t *testing.T) {
			u := mustCreateUser(t, db, models.NewUser{Email: "change@example.com", Name: "Change", Password: pwFoo, Role: models.RoleVisitor})

			cases := []struct {
				name, current, next, field, msgID string
			}{
				{"wrong current password", "not-the-password", pwNext, "current_password", "PasswordWrong"},
				{"new password too common", pwFoo, "password123", "new_password", "PasswordTooCommon"},
				{"new password too short", pwFoo, "short", "new_password", "PasswordTooShort"},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					_, err := models.ChangePassword(ctx, db, u.ID, tc.current, tc.next)
					wantFieldError(t, err, tc.field, tc.msgID)
					got, err := models.GetUser(ctx, db, u.ID)
					if err != nil || got.SessionEpoch != u.SessionEpoch || got.PasswordHash != u.PasswordHash {
						t.Errorf("a refused change altered the account: %+v, %v", got, err)
					}
				})
			}

			changed, err := models.ChangePassword(ctx, db, u.ID, pwFoo, pwNext)
			if err != nil {
				t.Fatalf("ChangePassword: %v", err)
			}
			if changed.SessionEpoch != u.SessionEpoch+1 {
				t.Errorf("returned session epoch %d, want %d", changed.SessionEpoch, u.SessionEpoch+1)
			}
			stored, err := models.GetUser(ctx, db, u.ID)
			if err != nil || stored.SessionEpoch != u.SessionEpoch+1 {
				t.Errorf("stored session epoch %d (err %v), want %d: other sessions survive", stored.SessionEpoch, err, u.SessionEpoch+1)
			}
			if _, err := models.Authenticate(ctx, db, "change@example.com", pwFoo); !errors.Is(err, models.ErrInvalidCredentials) {
				t.Errorf("old password after the change: %v, want ErrInvalidCredentials", err)
			}
			if got, err := models.Authenticate(ctx, db, "change@example.com", pwNext); err != nil || got.ID != u.ID {
				t.Errorf("new password after the change: %+v, %v", got, err)
			}
			if _, err := models.ChangePassword(ctx, db, 999999, pwNext, pwFoo); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("ChangePassword of a missing user: %v, want ErrNotFound", err)
			}
		})

		t.Run("lookups of missing users", func(t *testing.T) {
			if _, err := models.GetUser(ctx, db, 999999); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("GetUser: %v, want ErrNotFound", err)
			}
			if _, err := models.GetUserByEmail(ctx, db, "nobody@example.com"); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("GetUserByEmail: %v, want ErrNotFound", err)
			}
		})
	})
}
