package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// FairStatus is where a fair edition stands in its life.
type FairStatus string

// A fair goes draft → open (applications) → closed → live → archived.
const (
	FairDraft    FairStatus = "draft"
	FairOpen     FairStatus = "open"
	FairClosed   FairStatus = "closed"
	FairLive     FairStatus = "live"
	FairArchived FairStatus = "archived"
)

// Fair is one edition of a SMAP fair (Brussels, Paris, …).
type Fair struct {
	ID       int64 `gorm:"primaryKey"`
	Slug     string
	Name     string
	City     string
	Country  string // ISO 3166-1 alpha-2: BE, FR
	Venue    string
	Address  string
	StartsOn time.Time
	EndsOn   time.Time
	Timezone string
	Status   FairStatus
	IsDemo   bool
	// ApplicationsOpenAt/CloseAt bound the window in which artisans apply (nil = no bound);
	// applications are taken only while the status is open and now is inside the window.
	ApplicationsOpenAt  *time.Time
	ApplicationsCloseAt *time.Time
	Currency            string    `gorm:"default:EUR"`
	FeePolicy           FeePolicy `gorm:"default:stand_price"`
	VisitorRegistration bool
	// CommissionBP is the organizer's commission on sales at the fair, in basis points.
	CommissionBP int `gorm:"column:commission_bp"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// FeePolicy says how booth fees are set for a fair.
type FeePolicy string

// Booth fees are the stand's price, or nothing.
const (
	FeeStandPrice FeePolicy = "stand_price"
	FeeFree       FeePolicy = "free"
)

// FairStatuses lists the statuses in their order of life.
var FairStatuses = []FairStatus{FairDraft, FairOpen, FairClosed, FairLive, FairArchived}

// fairTransitions are the allowed status changes: a closed window may reopen, nothing goes
// back from live or archived.
var fairTransitions = map[FairStatus][]FairStatus{
	FairDraft:  {FairOpen},
	FairOpen:   {FairClosed},
	FairClosed: {FairOpen, FairLive},
	FairLive:   {FairArchived},
}

// NextStatuses lists where the fair may go from its current status.
func (f Fair) NextStatuses() []FairStatus { return fairTransitions[f.Status] }

// CanMoveTo tells whether the status change is allowed.
func (f Fair) CanMoveTo(to FairStatus) bool {
	for _, s := range fairTransitions[f.Status] {
		if s == to {
			return true
		}
	}
	return false
}

// AcceptsApplications tells whether an artisan may apply now: status open and inside the window.
func (f Fair) AcceptsApplications(now time.Time) bool {
	if f.Status != FairOpen {
		return false
	}
	if f.ApplicationsOpenAt != nil && now.Before(*f.ApplicationsOpenAt) {
		return false
	}
	if f.ApplicationsCloseAt != nil && !now.Before(*f.ApplicationsCloseAt) {
		return false
	}
	return true
}

// Past tells whether the fair's last day is before today.
func (f Fair) Past(now time.Time) bool {
	return f.EndsOn.Before(now.Truncate(24 * time.Hour))
}

// ListPublicFairs returns the published editions: upcoming or running first (soonest first),
// then past and archived ones (latest first). Drafts are never public.
func ListPublicFairs(ctx context.Context, db *gorm.DB, now time.Time) (upcoming, past []Fair, err error) {
	var all []Fair
	if err := db.WithContext(ctx).Where("status <> ?", FairDraft).Order("starts_on ASC, id ASC").Find(&all).Error; err != nil {
		return nil, nil, fmt.Errorf("list fairs: %w", translateError(err))
	}
	for _, f := range all {
		if f.Status == FairArchived || f.Past(now) {
			past = append([]Fair{f}, past...)
		} else {
			upcoming = append(upcoming, f)
		}
	}
	return upcoming, past, nil
}

// GetPublicFair loads a published fair by slug.
func GetPublicFair(ctx context.Context, db *gorm.DB, slug string) (Fair, error) {
	var f Fair
	if err := db.WithContext(ctx).Where("slug = ? AND status <> ?", slug, FairDraft).Take(&f).Error; err != nil {
		return Fair{}, fmt.Errorf("get fair %q: %w", slug, translateError(err))
	}
	return f, nil
}
