package models

// Fair editions as organizers manage them: create and edit a fair, move it through its life
// (draft → open → closed → live → archived), list every edition with its counts. Every change
// goes to the audit log in the transaction that made it.

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	// Fairs carry an IANA time zone; embedding the database keeps LoadLocation working on
	// minimal images without /usr/share/zoneinfo.
	_ "time/tzdata"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Formats of the dates and times typed in the fair form: days for the fair itself, local
// date-times (in the fair's time zone) for the application window, as <input type="date"> and
// <input type="datetime-local"> send them.
const (
	FairDateLayout     = "2006-01-02"
	FairDateTimeLayout = "2006-01-02T15:04"
)

// FairCurrency is the only currency fairs take for now (booth fees and orders in euros).
const FairCurrency = "EUR"

// FairCountries are the countries SMAP holds fairs in.
var FairCountries = []string{"BE", "FR"}

// FeePolicies lists the booth-fee policies in the order forms show them.
var FeePolicies = []FeePolicy{FeeStandPrice, FeeFree}

var fairSlugRe = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// FairInput is what an organizer types in the fair form. Dates are "2006-01-02"; the window
// bounds are "2006-01-02T15:04" in the fair's time zone, empty for no bound.
type FairInput struct {
	Name, Slug, City, Country, Venue, Address string
	StartsOn, EndsOn                          string
	Timezone                                  string
	ApplicationsOpenAt, ApplicationsCloseAt   string
	Currency                                  string
	FeePolicy                                 string
	VisitorRegistration                       bool
}

// FairFormValues writes a fair back into the form's terms (window bounds in its time zone).
func FairFormValues(f Fair) FairInput {
	in := FairInput{
		Name: f.Name, Slug: f.Slug, City: f.City, Country: f.Country, Venue: f.Venue, Address: f.Address,
		StartsOn: f.StartsOn.UTC().Format(FairDateLayout), EndsOn: f.EndsOn.UTC().Format(FairDateLayout),
		Timezone: f.Timezone, Currency: f.Currency, FeePolicy: string(f.FeePolicy), VisitorRegistration: f.VisitorRegistration,
	}
	loc := f.Location()
	if f.ApplicationsOpenAt != nil {
		in.ApplicationsOpenAt = f.ApplicationsOpenAt.In(loc).Format(FairDateTimeLayout)
	}
	if f.ApplicationsCloseAt != nil {
		in.ApplicationsCloseAt = f.ApplicationsCloseAt.In(loc).Format(FairDateTimeLayout)
	}
	if in.Currency == "" {
		in.Currency = FairCurrency
	}
	if in.FeePolicy == "" {
		in.FeePolicy = string(FeeStandPrice)
	}
	return in
}

// Location is the fair's time zone (UTC when the stored name is unknown).
func (f Fair) Location() *time.Location {
	if loc, err := time.LoadLocation(f.Timezone); err == nil && f.Timezone != "" {
		return loc
	}
	return time.UTC
}

func (in *FairInput) normalize() {
	for _, s := range []*string{&in.Name, &in.Slug, &in.City, &in.Country, &in.Venue, &in.Address, &in.StartsOn,
		&in.EndsOn, &in.Timezone, &in.ApplicationsOpenAt, &in.ApplicationsCloseAt, &in.Currency, &in.FeePolicy} {
		*s = strings.TrimSpace(*s)
	}
	in.Slug = strings.ToLower(in.Slug)
	in.Country = strings.ToUpper(in.Country)
	in.Currency = strings.ToUpper(in.Currency)
	if in.Currency == "" {
		in.Currency = FairCurrency
	}
}

// textField checks a required text of at most max characters.
func textField(f map[string]string, field, v string, max int) {
	switch n := utf8.RuneCountInString(v); {
	case n == 0:
		f[field] = "FieldRequired"
	case n > max:
		f[field] = "FieldTooLong"
	}
}

// parseLocalDateTime reads a window bound typed in the fair's time zone ("" = no bound).
func parseLocalDateTime(s string, loc *time.Location) (*time.Time, bool) {
	if s == "" {
		return nil, true
	}
	for _, layout := range []string{FairDateTimeLayout, "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			u := t.UTC()
			return &u, true
		}
	}
	return nil, false
}

// toFair validates the input and returns the fair it describes (slug left to the caller when
// empty). The returned map holds a message id per wrong field.
func (in FairInput) toFair() (Fair, map[string]string) {
	f := map[string]string{}
	textField(f, "fair_name", in.Name, 120)
	textField(f, "fair_city", in.City, 80)
	textField(f, "fair_venue", in.Venue, 120)
	textField(f, "fair_address", in.Address, 200)
	if in.Slug != "" && (len(in.Slug) > 60 || !fairSlugRe.MatchString(in.Slug)) {
		f["fair_slug"] = "FairSlugInvalid"
	}
	countryOK := false
	for _, c := range FairCountries {
		countryOK = countryOK || c == in.Country
	}
	if !countryOK {
		f["fair_country"] = "FieldInvalidChoice"
	}
	out := Fair{Name: in.Name, Slug: in.Slug, City: in.City, Country: in.Country, Venue: in.Venue, Address: in.Address,
		Timezone: in.Timezone, Currency: in.Currency, FeePolicy: FeePolicy(in.FeePolicy), VisitorRegistration: in.VisitorRegistration}
	starts, errS := time.Parse(FairDateLayout, in.StartsOn)
	ends, errE := time.Parse(FairDateLayout, in.EndsOn)
	switch {
	case in.StartsOn == "":
		f["fair_starts_on"] = "FieldRequired"
	case errS != nil:
		f["fair_starts_on"] = "FairDateInvalid"
	}
	switch {
	case in.EndsOn == "":
		f["fair_ends_on"] = "FieldRequired"
	case errE != nil:
		f["fair_ends_on"] = "FairDateInvalid"
	case errS == nil && ends.Before(starts):
		f["fair_ends_on"] = "FairEndsBeforeStarts"
	}
	out.StartsOn, out.EndsOn = starts.UTC(), ends.UTC()
	loc := time.UTC
	if l, err := time.LoadLocation(in.Timezone); err != nil || in.Timezone == "" || in.Timezone == "Local" {
		f["fair_timezone"] = "FairTimezoneInvalid"
	} else {
		loc = l
	}
	opens, okO := parseLocalDateTime(in.ApplicationsOpenAt, loc)
	closes, okC := parseLocalDateTime(in.ApplicationsCloseAt, loc)
	if !okO {
		f["fair_opens_at"] = "FairDateTimeInvalid"
	}
	if !okC {
		f["fair_closes_at"] = "FairDateTimeInvalid"
	}
	if opens != nil && closes != nil && !closes.After(*opens) {
		f["fair_closes_at"] = "FairWindowOrder"
	}
	out.ApplicationsOpenAt, out.ApplicationsCloseAt = opens, closes
	if in.Currency != FairCurrency {
		f["fair_currency"] = "FieldInvalidChoice"
	}
	policyOK := false
	for _, p := range FeePolicies {
		policyOK = policyOK || string(p) == in.FeePolicy
	}
	if !policyOK {
		f["fair_fee_policy"] = "FieldInvalidChoice"
	}
	return out, f
}

// requireOrganizer is the models' own deny-by-default: the routes admit organizers only, and
// a call from anywhere else with another account finds nothing.
func requireOrganizer(u User) error {
	if u.Role != RoleOrganizer || u.ID == 0 {
		return fmt.Errorf("user %d is not an organizer: %w", u.ID, ErrNotFound)
	}
	return nil
}

// slugTaken tells whether another fair (not exceptID) already uses slug.
func slugTaken(ctx context.Context, db *gorm.DB, slug string, exceptID int64) (bool, error) {
	var n int64
	if err := db.WithContext(ctx).Model(&Fair{}).Where("slug = ? AND id <> ?", slug, exceptID).Count(&n).Error; err != nil {
		return false, fmt.Errorf("check fair slug: %w", translateError(err))
	}
	return n > 0, nil
}

// pickFairSlug returns the typed slug if free, or a free one made from the name ("-2", "-3"…).
func pickFairSlug(ctx context.Context, db *gorm.DB, in FairInput, exceptID int64) (string, error) {
	if in.Slug != "" {
		taken, err := slugTaken(ctx, db, in.Slug, exceptID)
		if err != nil {
			return "", err
		}
		if taken {
			return "", fieldError("fair_slug", "FairSlugTaken")
		}
		return in.Slug, nil
	}
	base := Slugify(in.Name)
	if base == "artisan" && !strings.Contains(strings.ToLower(in.Name), "artisan") {
		// A name without Latin letters (Arabic only) gives no usable slug: ask for one.
		return "", fieldError("fair_slug", "FairSlugRequired")
	}
	for i := 1; i <= 50; i++ {
		slug := base
		if i > 1 {
			slug = base + "-" + strconv.Itoa(i)
		}
		taken, err := slugTaken(ctx, db, slug, exceptID)
		if err != nil {
			return "", err
		}
		if !taken {
			return slug, nil
		}
	}
	return "", fieldError("fair_slug", "FairSlugTaken")
}

// slugConflict turns a unique violation on the slug (two organizers at once) into a field error.
func slugConflict(err error) error {
	if errors.Is(err, ErrConflict) {
		return fieldError("fair_slug", "FairSlugTaken")
	}
	return err
}

// CreateFair validates and stores a new fair edition as a draft.
func CreateFair(ctx context.Context, db *gorm.DB, organizer User, in FairInput) (Fair, error) {
	if err := requireOrganizer(organizer); err != nil {
		return Fair{}, err
	}
	in.normalize()
	f, fields := in.toFair()
	if len(fields) > 0 {
		return Fair{}, &ValidationError{Fields: fields}
	}
	f.Status = FairDraft
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		slug, err := pickFairSlug(ctx, tx, in, 0)
		if err != nil {
			return err
		}
		f.Slug = slug
		if err := tx.WithContext(ctx).Create(&f).Error; err != nil {
			return slugConflict(fmt.Errorf("create fair: %w", translateError(err)))
		}
		return RecordAudit(ctx, tx, organizer.ID, "fair.create", "fair", f.ID, nil, f)
	})
	if err != nil {
		return Fair{}, err
	}
	return f, nil
}

// UpdateFair changes a fair's details. The slug is part of public links: it may change only
// while the fair is a draft. An archived fair is read-only (ErrInvalidState).
func UpdateFair(ctx context.Context, db *gorm.DB, organizer User, fairID int64, in FairInput) (Fair, error) {
	if err := requireOrganizer(organizer); err != nil {
		return Fair{}, err
	}
	in.normalize()
	var saved Fair
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		before, err := GetFair(ctx, tx, fairID)
		if err != nil {
			return err
		}
		if before.Status == FairArchived {
			return fmt.Errorf("update archived fair %d: %w", fairID, ErrInvalidState)
		}
		if before.Status != FairDraft {
			in.Slug = before.Slug
		}
		f, fields := in.toFair()
		if len(fields) > 0 {
			return &ValidationError{Fields: fields}
		}
		slug, err := pickFairSlug(ctx, tx, in, fairID)
		if err != nil {
			return err
		}
		cols := map[string]any{
			"name": f.Name, "slug": slug, "city": f.City, "country": f.Country, "venue": f.Venue, "address": f.Address,
			"starts_on": f.StartsOn, "ends_on": f.EndsOn, "timezone": f.Timezone,
			"applications_open_at": f.ApplicationsOpenAt, "applications_close_at": f.ApplicationsCloseAt,
			"currency": f.Currency, "fee_policy": f.FeePolicy, "visitor_registration": f.VisitorRegistration,
			"updated_at": time.Now().UTC(),
		}
		res := tx.WithContext(ctx).Model(&Fair{}).Where("id = ? AND status = ?", fairID, before.Status).Updates(cols)
		if res.Error != nil {
			return slugConflict(fmt.Errorf("update fair %d: %w", fairID, translateError(res.Error)))
		}
		if res.RowsAffected == 0 {
			// The status moved meanwhile (archived by a colleague): decide again on fresh data.
			return fmt.Errorf("update fair %d: status changed: %w", fairID, ErrInvalidState)
		}
		if saved, err = GetFair(ctx, tx, fairID); err != nil {
			return err
		}
		return RecordAudit(ctx, tx, organizer.ID, "fair.update", "fair", fairID, before, saved)
	})
	if err != nil {
		return Fair{}, err
	}
	return saved, nil
}

// ValidFairStatus tells whether s names a fair status.
func ValidFairStatus(s string) bool {
	for _, x := range FairStatuses {
		if string(x) == s {
			return true
		}
	}
	return false
}

// SetFairStatus moves a fair along its life. Only the moves of Fair.CanMoveTo are allowed; the
// change is a conditional update on the status read, so two organizers clicking at once cannot
// both move it. Any other move is ErrInvalidState and changes nothing.
func SetFairStatus(ctx context.Context, db *gorm.DB, organizer User, fairID int64, to FairStatus, now time.Time) (Fair, error) {
	if err := requireOrganizer(organizer); err != nil {
		return Fair{}, err
	}
	var saved Fair
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		f, err := GetFair(ctx, tx, fairID)
		if err != nil {
			return err
		}
		if !f.CanMoveTo(to) {
			return fmt.Errorf("move fair %d from %s to %s: %w", fairID, f.Status, to, ErrInvalidState)
		}
		res := tx.WithContext(ctx).Model(&Fair{}).Where("id = ? AND status = ?", fairID, f.Status).
			Updates(map[string]any{"status": to, "updated_at": now.UTC()})
		if res.Error != nil {
			return fmt.Errorf("move fair %d to %s: %w", fairID, to, translateError(res.Error))
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("move fair %d from %s to %s: moved meanwhile: %w", fairID, f.Status, to, ErrInvalidState)
		}
		saved = f
		saved.Status, saved.UpdatedAt = to, now.UTC()
		return RecordAudit(ctx, tx, organizer.ID, "fair.status", "fair", fairID,
			map[string]any{"status": f.Status}, map[string]any{"status": to})
	})
	if err != nil {
		return Fair{}, err
	}
	return saved, nil
}

// GetFair loads any fair by id, drafts included (organizers' pages).
func GetFair(ctx context.Context, db *gorm.DB, id int64) (Fair, error) {
	var f Fair
	if err := db.WithContext(ctx).Where("id = ?", id).Take(&f).Error; err != nil {
		return Fair{}, fmt.Errorf("get fair %d: %w", id, translateError(err))
	}
	return f, nil
}

// FairAdminRow is one line of the organizers' list of fairs.
type FairAdminRow struct {
	Fair
	Halls        int
	Stands       int
	Applications int
}

// ListFairsAdmin returns every fair, drafts included, latest edition first, with the number of
// halls, stands and applications of each (three grouped counts, not one query per fair).
func ListFairsAdmin(ctx context.Context, db *gorm.DB) ([]FairAdminRow, error) {
	var fairs []Fair
	if err := db.WithContext(ctx).Order("starts_on DESC, id DESC").Find(&fairs).Error; err != nil {
		return nil, fmt.Errorf("list fairs: %w", translateError(err))
	}
	counts := map[string]map[int64]int{}
	for _, table := range []string{"halls", "stands", "applications"} {
		var rows []struct {
			FairID int64
			N      int
		}
		if err := db.WithContext(ctx).Table(table).Select("fair_id, count(*) AS n").Group("fair_id").Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("count %s per fair: %w", table, translateError(err))
		}
		counts[table] = make(map[int64]int, len(rows))
		for _, r := range rows {
			counts[table][r.FairID] = r.N
		}
	}
	out := make([]FairAdminRow, len(fairs))
	for i, f := range fairs {
		out[i] = FairAdminRow{Fair: f, Halls: counts["halls"][f.ID], Stands: counts["stands"][f.ID], Applications: counts["applications"][f.ID]}
	}
	return out, nil
}
