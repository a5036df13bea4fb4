package models

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// ArtisanStatus is where an artisan's verification by their chamber stands.
type ArtisanStatus string

// An artisan profile goes draft → pending (submitted) → verified or rejected.
const (
	ArtisanDraft    ArtisanStatus = "draft"
	ArtisanPending  ArtisanStatus = "pending"
	ArtisanVerified ArtisanStatus = "verified"
	ArtisanRejected ArtisanStatus = "rejected"
)

// Artisan is the business profile of an artisan account: a maker, a cooperative or a company
// registered with a regional chamber.
type Artisan struct {
	ID             int64 `gorm:"primaryKey"`
	UserID         int64
	Slug           string
	BusinessName   string
	Kind           string // individual, cooperative, company
	RegionCode     string
	CraftCode      string
	City           string
	Phone          string
	BioFR          string  `gorm:"column:bio_fr"`
	BioAR          string  `gorm:"column:bio_ar"`
	BioEN          string  `gorm:"column:bio_en"`
	RegistryNumber *string // National Register of Handicraft number
	CardNumber     *string // artisan professional card number
	// WorkshopPhotoKey is the key base of the workshop photo ("" when none).
	WorkshopPhotoKey string
	// ReviewNote is the chamber's reason for a rejection, shown to the artisan.
	ReviewNote  string
	SubmittedAt *time.Time
	Status      ArtisanStatus
	VerifiedAt  *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Bio is the presentation in lang, with the usual fallback.
func (a Artisan) Bio(lang string) string { return pick(lang, a.BioFR, a.BioAR, a.BioEN) }

// BioLang tells which language Bio(lang) returned.
func (a Artisan) BioLang(lang string) string { return pickLang(lang, a.BioFR, a.BioAR, a.BioEN) }

// Verified tells whether the chamber has verified the artisan.
func (a Artisan) Verified() bool { return a.Status == ArtisanVerified }

// GetArtisanByUser loads the artisan profile of a user account.
func GetArtisanByUser(ctx context.Context, db *gorm.DB, userID int64) (Artisan, error) {
	var a Artisan
	if err := db.WithContext(ctx).Where("user_id = ?", userID).Take(&a).Error; err != nil {
		return Artisan{}, fmt.Errorf("get artisan of user %d: %w", userID, translateError(err))
	}
	return a, nil
}

// CountVerifiedArtisansByRegion counts verified artisans per region code.
func CountVerifiedArtisansByRegion(ctx context.Context, db *gorm.DB) (map[string]int, error) {
	var rows []struct {
		RegionCode string
		N          int
	}
	err := db.WithContext(ctx).Model(&Artisan{}).Select("region_code, count(*) AS n").
		Where("status = ?", ArtisanVerified).Group("region_code").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count artisans by region: %w", translateError(err))
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.RegionCode] = r.N
	}
	return out, nil
}

// ArtisanKinds are the legal forms an artisan profile can take.
var ArtisanKinds = []string{"individual", "cooperative", "company"}

// Formats of the identity numbers the chambers check: the National Register of Handicraft
// number and the professional card number are letters, digits and dashes.
var (
	registryNumberRe = regexp.MustCompile(`^[A-Z]{2,3}-[0-9]{4}-[0-9]{4,8}$`)
	cardNumberRe     = regexp.MustCompile(`^[A-Z0-9]{8,16}$`)
	phoneRe          = regexp.MustCompile(`^\+?[0-9 ]{8,20}$`)
)

// ArtisanProfileInput is what an artisan may set on their profile.
type ArtisanProfileInput struct {
	BusinessName, Kind, RegionCode, CraftCode, City, Phone string
	BioFR, BioAR, BioEN                                    string
	RegistryNumber, CardNumber                             string
}

func (in *ArtisanProfileInput) normalize() {
	for _, s := range []*string{&in.BusinessName, &in.Kind, &in.RegionCode, &in.CraftCode, &in.City, &in.Phone,
		&in.BioFR, &in.BioAR, &in.BioEN, &in.RegistryNumber, &in.CardNumber} {
		*s = strings.TrimSpace(*s)
	}
	in.RegistryNumber = strings.ToUpper(in.RegistryNumber)
	in.CardNumber = strings.ToUpper(strings.ReplaceAll(in.CardNumber, " ", ""))
}

func (in ArtisanProfileInput) validate() map[string]string {
	f := map[string]string{}
	switch n := utf8.RuneCountInString(in.BusinessName); {
	case n == 0:
		f["business_name"] = "FieldRequired"
	case n > 120:
		f["business_name"] = "FieldTooLong"
	}
	if !slices.Contains(ArtisanKinds, in.Kind) {
		f["kind"] = "FieldInvalidChoice"
	}
	if in.RegionCode == "" {
		f["region"] = "RegionRequired"
	}
	if in.CraftCode == "" {
		f["craft"] = "CraftRequired"
	}
	if in.City == "" {
		f["city"] = "FieldRequired"
	} else if utf8.RuneCountInString(in.City) > 80 {
		f["city"] = "FieldTooLong"
	}
	if in.Phone != "" && !phoneRe.MatchString(in.Phone) {
		f["phone"] = "PhoneInvalid"
	}
	if in.BioFR == "" && in.BioAR == "" && in.BioEN == "" {
		f["bio_fr"] = "BioRequired"
	}
	for name, v := range map[string]string{"bio_fr": in.BioFR, "bio_ar": in.BioAR, "bio_en": in.BioEN} {
		if utf8.RuneCountInString(v) > 3000 {
			f[name] = "FieldTooLong"
		}
	}
	if !registryNumberRe.MatchString(in.RegistryNumber) {
		f["registry_number"] = "RegistryNumberInvalid"
	}
	if !cardNumberRe.MatchString(in.CardNumber) {
		f["card_number"] = "CardNumberInvalid"
	}
	return f
}

var slugStrip = regexp.MustCompile(`[^a-z0-9]+`)

// Slugify turns a business name into a URL slug ("Atelier Bennani — Zellige de Fès" →
// "atelier-bennani-zellige-de-fes"); names without Latin letters give "artisan".
func Slugify(name string) string {
	folded, err := foldLatin(strings.ToLower(name))
	if err != nil {
		folded = strings.ToLower(name)
	}
	s := strings.Trim(slugStrip.ReplaceAllString(folded, "-"), "-")
	if len(s) > 60 {
		s = strings.Trim(s[:60], "-")
	}
	if s == "" {
		s = "artisan"
	}
	return s
}

// SaveArtisanProfile creates or updates the profile of an artisan account. Changing what the
// chamber verified (identity numbers, region, business name) sends a verified profile back to
// the chamber's queue. The same registry or card number as another artisan is refused.
func SaveArtisanProfile(ctx context.Context, db *gorm.DB, userID int64, in ArtisanProfileInput) (Artisan, error) {
	in.normalize()
	if f := in.validate(); len(f) > 0 {
		return Artisan{}, &ValidationError{Fields: f}
	}
	var saved Artisan
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		if _, err := GetRegion(ctx, tx, in.RegionCode); err != nil {
			return fieldError("region", "RegionRequired")
		}
		if err := checkCraft(ctx, tx, in.CraftCode); err != nil {
			return err
		}
		if err := checkIdentityUnique(ctx, tx, userID, in); err != nil {
			return err
		}
		cols := map[string]any{
			"business_name": in.BusinessName, "kind": in.Kind, "region_code": in.RegionCode, "craft_code": in.CraftCode,
			"city": in.City, "phone": in.Phone, "bio_fr": in.BioFR, "bio_ar": in.BioAR, "bio_en": in.BioEN,
			"registry_number": in.RegistryNumber, "card_number": in.CardNumber, "updated_at": time.Now().UTC(),
		}
		existing, err := GetArtisanByUser(ctx, tx, userID)
		switch {
		case errors.Is(err, ErrNotFound):
			reg, card := in.RegistryNumber, in.CardNumber
			a := Artisan{UserID: userID, Slug: Slugify(in.BusinessName) + "-" + strings.ToLower(randomSuffix()),
				BusinessName: in.BusinessName, Kind: in.Kind, RegionCode: in.RegionCode, CraftCode: in.CraftCode,
				City: in.City, Phone: in.Phone, BioFR: in.BioFR, BioAR: in.BioAR, BioEN: in.BioEN,
				RegistryNumber: &reg, CardNumber: &card, Status: ArtisanDraft}
			if err := tx.WithContext(ctx).Create(&a).Error; err != nil {
				return identityConflict(fmt.Errorf("create artisan profile: %w", translateError(err)))
			}
			saved = a
			return nil
		case err != nil:
			return err
		}
		if existing.Status == ArtisanVerified && (deref(existing.RegistryNumber) != in.RegistryNumber ||
			deref(existing.CardNumber) != in.CardNumber || existing.RegionCode != in.RegionCode ||
			existing.BusinessName != in.BusinessName) {
			cols["status"] = ArtisanPending
			cols["verified_at"] = nil
			cols["submitted_at"] = time.Now().UTC()
		}
		res := tx.WithContext(ctx).Model(&Artisan{}).Where("id = ? AND user_id = ?", existing.ID, userID).Updates(cols)
		if res.Error != nil {
			return identityConflict(fmt.Errorf("update artisan profile: %w", translateError(res.Error)))
		}
		if err := RefreshArtisanSearch(ctx, tx, existing.ID); err != nil {
			return err
		}
		saved, err = GetArtisanByUser(ctx, tx, userID)
		return err
	})
	return saved, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func randomSuffix() string { return rand.Text()[:6] }

// identityConflict turns a unique violation on the identity numbers into a field error.
func identityConflict(err error) error {
	if errors.Is(err, ErrConflict) {
		return &ValidationError{Fields: map[string]string{"registry_number": "IdentityNumberTaken"}}
	}
	return err
}

func checkIdentityUnique(ctx context.Context, db *gorm.DB, userID int64, in ArtisanProfileInput) error {
	f := map[string]string{}
	for col, v := range map[string]string{"registry_number": in.RegistryNumber, "card_number": in.CardNumber} {
		var n int64
		if err := db.WithContext(ctx).Model(&Artisan{}).Where(col+" = ? AND user_id <> ?", v, userID).Count(&n).Error; err != nil {
			return fmt.Errorf("check %s: %w", col, translateError(err))
		}
		if n > 0 {
			f[col] = "IdentityNumberTaken"
		}
	}
	if len(f) > 0 {
		return &ValidationError{Fields: f}
	}
	return nil
}

// SetWorkshopPhoto records the key base of the artisan's workshop photo and returns the previous
// one, whose objects the caller deletes.
func SetWorkshopPhoto(ctx context.Context, db *gorm.DB, userID int64, keyBase string) (string, error) {
	var previous string
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		a, err := GetArtisanByUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		previous = a.WorkshopPhotoKey
		return tx.WithContext(ctx).Model(&Artisan{}).Where("id = ?", a.ID).
			Updates(map[string]any{"workshop_photo_key": keyBase, "updated_at": time.Now().UTC()}).Error
	})
	return previous, err
}

// ErrProfileIncomplete means the profile lacks what the chamber needs to verify it.
var ErrProfileIncomplete = errors.New("artisan profile incomplete")

// SubmitArtisanProfile sends a draft or rejected profile to the chamber's queue.
func SubmitArtisanProfile(ctx context.Context, db *gorm.DB, userID int64) (Artisan, error) {
	a, err := GetArtisanByUser(ctx, db, userID)
	if err != nil {
		return Artisan{}, err
	}
	if a.RegistryNumber == nil || a.CardNumber == nil {
		return Artisan{}, ErrProfileIncomplete
	}
	now := time.Now().UTC()
	res := db.WithContext(ctx).Model(&Artisan{}).
		Where("id = ? AND user_id = ? AND status IN ?", a.ID, userID, []ArtisanStatus{ArtisanDraft, ArtisanRejected}).
		Updates(map[string]any{"status": ArtisanPending, "submitted_at": now, "updated_at": now})
	if res.Error != nil {
		return Artisan{}, fmt.Errorf("submit artisan %d: %w", a.ID, translateError(res.Error))
	}
	if res.RowsAffected != 1 {
		return Artisan{}, fmt.Errorf("submit artisan %d from %s: %w", a.ID, a.Status, ErrInvalidState)
	}
	return GetArtisanByUser(ctx, db, userID)
}

// ListRegionArtisans lists the artisans of a region with a given status (the chamber's queue
// when status is pending), oldest submission first.
func ListRegionArtisans(ctx context.Context, db *gorm.DB, regionCode string, status ArtisanStatus) ([]Artisan, error) {
	var out []Artisan
	err := db.WithContext(ctx).Where("region_code = ? AND status = ?", regionCode, status).
		Order("submitted_at, id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list %s artisans of %s: %w", status, regionCode, translateError(err))
	}
	return out, nil
}

// GetRegionArtisan loads an artisan only if it belongs to the region.
func GetRegionArtisan(ctx context.Context, db *gorm.DB, regionCode string, artisanID int64) (Artisan, error) {
	var a Artisan
	if err := db.WithContext(ctx).Where("id = ? AND region_code = ?", artisanID, regionCode).Take(&a).Error; err != nil {
		return Artisan{}, fmt.Errorf("get artisan %d of %s: %w", artisanID, regionCode, translateError(err))
	}
	return a, nil
}

// ReviewArtisan records a chamber agent's decision on a pending artisan of their region:
// verified, or rejected with a reason the artisan sees. The change is conditional on the
// artisan still pending, and the decision goes to the audit log in the same transaction.
func ReviewArtisan(ctx context.Context, db *gorm.DB, agent User, artisanID int64, verify bool, note string) (Artisan, error) {
	note = strings.TrimSpace(note)
	if agent.Role != RoleChamber || agent.RegionCode == nil {
		return Artisan{}, fmt.Errorf("review artisan %d: %w", artisanID, ErrNotFound)
	}
	if !verify && note == "" {
		return Artisan{}, fieldError("note", "ReviewReasonRequired")
	}
	if utf8.RuneCountInString(note) > 1000 {
		return Artisan{}, fieldError("note", "FieldTooLong")
	}
	var after Artisan
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		before, err := GetRegionArtisan(ctx, tx, *agent.RegionCode, artisanID)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		cols := map[string]any{"review_note": note, "updated_at": now}
		action := "artisan.reject"
		if verify {
			cols["status"], cols["verified_at"], action = ArtisanVerified, now, "artisan.verify"
		} else {
			cols["status"], cols["verified_at"] = ArtisanRejected, nil
		}
		res := tx.WithContext(ctx).Model(&Artisan{}).
			Where("id = ? AND region_code = ? AND status = ?", artisanID, *agent.RegionCode, ArtisanPending).Updates(cols)
		if res.Error != nil {
			return fmt.Errorf("review artisan %d: %w", artisanID, translateError(res.Error))
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("review artisan %d in state %s: %w", artisanID, before.Status, ErrInvalidState)
		}
		if after, err = GetRegionArtisan(ctx, tx, *agent.RegionCode, artisanID); err != nil {
			return err
		}
		return RecordAudit(ctx, tx, agent.ID, action, "artisan", artisanID,
			map[string]any{"status": before.Status, "review_note": before.ReviewNote},
			map[string]any{"status": after.Status, "review_note": after.ReviewNote})
	})
	return after, err
}

// GetPublicArtisan loads a verified artisan's shop by slug.
func GetPublicArtisan(ctx context.Context, db *gorm.DB, slug string) (Artisan, error) {
	var a Artisan
	if err := db.WithContext(ctx).Where("slug = ? AND status = ?", slug, ArtisanVerified).Take(&a).Error; err != nil {
		return Artisan{}, fmt.Errorf("get artisan %q: %w", slug, translateError(err))
	}
	return a, nil
}
