package models

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Role is what a user account may do; every route declares the roles it admits.
type Role string

// The four roles of the portal.
const (
	RoleVisitor   Role = "visitor"
	RoleArtisan   Role = "artisan"
	RoleChamber   Role = "chamber"
	RoleOrganizer Role = "organizer"
)

// Roles lists every role, in the order menus show them.
var Roles = []Role{RoleVisitor, RoleArtisan, RoleChamber, RoleOrganizer}

// SelfSignupRoles are the roles a person may choose at /signup; chamber agents are created by
// organizers and organizers by the command line.
var SelfSignupRoles = []Role{RoleVisitor, RoleArtisan}

// Valid tells whether r is one of the four roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// User is an account: visitor, artisan, chamber agent or organizer.
type User struct {
	ID           int64 `gorm:"primaryKey"`
	Email        string
	Name         string
	PasswordHash string
	Role         Role
	RegionCode   *string // chamber agents only: the region whose chamber they work for
	Locale       string
	SessionEpoch int // bumped to end every session of the user on every instance
	DisabledAt   *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ValidationError lists the fields a user must correct; the values are message ids
// that the handlers translate.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k, v := range e.Fields {
		keys = append(keys, k+": "+v)
	}
	sort.Strings(keys)
	return "invalid input: " + strings.Join(keys, ", ")
}

func fieldError(field, messageID string) error {
	return &ValidationError{Fields: map[string]string{field: messageID}}
}

// NewUser is what CreateUser needs to open an account.
type NewUser struct {
	Email      string
	Name       string
	Password   string
	Role       Role
	RegionCode string // required for chamber agents
	Locale     string
}

// NormalizeEmail trims and lower-cases an e-mail address so lookups match however it was typed.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

func passwordMessage(err error) string {
	switch {
	case errors.Is(err, ErrPasswordTooShort):
		return "PasswordTooShort"
	case errors.Is(err, ErrPasswordTooLong):
		return "PasswordTooLong"
	default:
		return "PasswordTooCommon"
	}
}

// CreateUser validates and stores a new account with an argon2id password hash.
// A second account with the same e-mail gives a ValidationError on "email".
func CreateUser(ctx context.Context, db *gorm.DB, in NewUser) (User, error) {
	email := NormalizeEmail(in.Email)
	name := strings.TrimSpace(in.Name)
	fields := map[string]string{}
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || len(email) > 254 {
		fields["email"] = "EmailInvalid"
	}
	if name == "" {
		fields["name"] = "NameRequired"
	} else if utf8.RuneCountInString(name) > 120 {
		fields["name"] = "NameTooLong"
	}
	if err := CheckPassword(in.Password); err != nil {
		fields["password"] = passwordMessage(err)
	}
	if !in.Role.Valid() {
		fields["role"] = "RoleInvalid"
	}
	var region *string
	if in.Role == RoleChamber {
		if in.RegionCode == "" {
			fields["region"] = "RegionRequired"
		} else {
			r := in.RegionCode
			region = &r
		}
	}
	if len(fields) > 0 {
		return User{}, &ValidationError{Fields: fields}
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, fmt.Errorf("hash password: %w", err)
	}
	locale := in.Locale
	if locale == "" {
		locale = "fr"
	}
	u := User{Email: email, Name: name, PasswordHash: hash, Role: in.Role, RegionCode: region, Locale: locale}
	if err := db.WithContext(ctx).Create(&u).Error; err != nil {
		err = translateError(err)
		if errors.Is(err, ErrConflict) {
			return User{}, fieldError("email", "EmailTaken")
		}
		if !errors.Is(err, ErrUnavailable) && in.Role == RoleChamber {
			// A foreign-key failure here means the region code does not exist.
			return User{}, fieldError("region", "RegionRequired")
		}
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// Authenticate returns the active user with this e-mail and password. An unknown e-mail, a
// wrong password and a disabled account all give ErrInvalidCredentials after the same work.
func Authenticate(ctx context.Context, db *gorm.DB, email, password string) (User, error) {
	var u User
	err := translateError(db.WithContext(ctx).Where("email = ?", NormalizeEmail(email)).Take(&u).Error)
	switch {
	case errors.Is(err, ErrNotFound):
		VerifyPassword(dummyHash(), password)
		return User{}, ErrInvalidCredentials
	case err != nil:
		return User{}, fmt.Errorf("find user: %w", err)
	}
	if !VerifyPassword(u.PasswordHash, password) || u.DisabledAt != nil {
		return User{}, ErrInvalidCredentials
	}
	return u, nil
}

// GetUser loads one user by id.
func GetUser(ctx context.Context, db *gorm.DB, id int64) (User, error) {
	var u User
	if err := db.WithContext(ctx).Take(&u, id).Error; err != nil {
		return User{}, fmt.Errorf("get user %d: %w", id, translateError(err))
	}
	return u, nil
}

// GetUserByEmail loads one user by e-mail.
func GetUserByEmail(ctx context.Context, db *gorm.DB, email string) (User, error) {
	var u User
	if err := db.WithContext(ctx).Where("email = ?", NormalizeEmail(email)).Take(&u).Error; err != nil {
		return User{}, fmt.Errorf("get user by email: %w", translateError(err))
	}
	return u, nil
}

// CountUsersByRole counts the accounts of each role in one query (roles without accounts are 0).
func CountUsersByRole(ctx context.Context, db *gorm.DB) (map[Role]int, error) {
	var rows []struct {
		Role Role
		N    int
	}
	if err := db.WithContext(ctx).Model(&User{}).Select("role, count(*) AS n").Group("role").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count users by role: %w", translateError(err))
	}
	out := make(map[Role]int, len(Roles))
	for _, r := range rows {
		out[r.Role] = r.N
	}
	return out, nil
}

// ListUsersByRole lists the accounts of one role, newest first.
func ListUsersByRole(ctx context.Context, db *gorm.DB, role Role) ([]User, error) {
	var users []User
	if err := db.WithContext(ctx).Where("role = ?", role).Order("created_at DESC, id DESC").Find(&users).Error; err != nil {
		return nil, fmt.Errorf("list %s users: %w", role, translateError(err))
	}
	return users, nil
}

// ChangePassword replaces the password after checking the current one, and bumps the
// session epoch so every other session of the user ends on every instance.
func ChangePassword(ctx context.Context, db *gorm.DB, userID int64, current, next string) (User, error) {
	u, err := GetUser(ctx, db, userID)
	if err != nil {
		return User{}, err
	}
	if !VerifyPassword(u.PasswordHash, current) {
		return User{}, fieldError("current_password", "PasswordWrong")
	}
	if err := CheckPassword(next); err != nil {
		return User{}, fieldError("new_password", passwordMessage(err))
	}
	hash, err := HashPassword(next)
	if err != nil {
		return User{}, fmt.Errorf("hash password: %w", err)
	}
	res := db.WithContext(ctx).Model(&User{}).Where("id = ? AND session_epoch = ?", u.ID, u.SessionEpoch).
		Updates(map[string]any{"password_hash": hash, "session_epoch": u.SessionEpoch + 1, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return User{}, fmt.Errorf("change password: %w", translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		return User{}, fmt.Errorf("change password: %w", ErrConflict)
	}
	u.PasswordHash, u.SessionEpoch = hash, u.SessionEpoch+1
	return u, nil
}

// SetPassword replaces a user's password without the current one (command-line use) and
// ends their sessions.
func SetPassword(ctx context.Context, db *gorm.DB, userID int64, password string) error {
	if err := CheckPassword(password); err != nil {
		return fieldError("password", passwordMessage(err))
	}
	hash, err := HashPassword(password)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	res := db.WithContext(ctx).Model(&User{}).Where("id = ?", userID).
		Updates(map[string]any{"password_hash": hash, "session_epoch": gorm.Expr("session_epoch + 1"), "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return fmt.Errorf("set password: %w", translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("set password: %w", ErrNotFound)
	}
	return nil
}
