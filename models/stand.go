package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Hall is one exhibition hall of a fair, measured in centimetres (forms show metres).
type Hall struct {
	ID        int64 `gorm:"primaryKey"`
	FairID    int64
	Name      string
	WidthCm   int `gorm:"column:width_cm"`
	DepthCm   int `gorm:"column:depth_cm"`
	Position  int
	CreatedAt time.Time
}

// StandKind is the shape of a stand: how many open sides it has, or a premium spot.
type StandKind string

// Stand kinds.
const (
	StandStandard StandKind = "standard"
	StandCorner   StandKind = "corner"
	StandIsland   StandKind = "island"
	StandPremium  StandKind = "premium"
)

// StandKinds lists the kinds in the order forms show them.
var StandKinds = []StandKind{StandStandard, StandCorner, StandIsland, StandPremium}

// ValidStandKind tells whether k is a known kind.
func ValidStandKind(k string) bool {
	for _, x := range StandKinds {
		if string(x) == k {
			return true
		}
	}
	return false
}

// StandStatus is whether a stand can be given to an exhibitor.
type StandStatus string

// A stand is available, held back by the organizer, assigned to an application, or blocked
// (a pillar, an exit: never allocated).
const (
	StandAvailable StandStatus = "available"
	StandHeld      StandStatus = "held"
	StandAssigned  StandStatus = "assigned"
	StandBlocked   StandStatus = "blocked"
)

// StandStatuses lists the statuses for legends and filters.
var StandStatuses = []StandStatus{StandAvailable, StandHeld, StandAssigned, StandBlocked}

// Stand is one booth on a hall's plan. Position and size in centimetres from the hall's
// top-left corner.
type Stand struct {
	ID         int64 `gorm:"primaryKey"`
	FairID     int64
	HallID     int64
	Code       string
	Zone       string
	Kind       StandKind
	XCm        int `gorm:"column:x_cm"`
	YCm        int `gorm:"column:y_cm"`
	WidthCm    int `gorm:"column:width_cm"`
	DepthCm    int `gorm:"column:depth_cm"`
	PriceCents int64
	Status     StandStatus
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// AreaM2 is the stand's floor area in square metres, rounded down.
func (s Stand) AreaM2() int { return s.WidthCm * s.DepthCm / 10000 }

// Overlaps tells whether two stands of the same hall share floor (touching edges is fine).
func (s Stand) Overlaps(o Stand) bool {
	return s.HallID == o.HallID &&
		s.XCm < o.XCm+o.WidthCm && o.XCm < s.XCm+s.WidthCm &&
		s.YCm < o.YCm+o.DepthCm && o.YCm < s.YCm+s.DepthCm
}

// NormalizeStandCode upper-cases and trims a stand code ("b12 " → "B12").
func NormalizeStandCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// GetHall loads a hall of a fair.
func GetHall(ctx context.Context, db *gorm.DB, fairID, hallID int64) (Hall, error) {
	var h Hall
	if err := db.WithContext(ctx).Where("id = ? AND fair_id = ?", hallID, fairID).Take(&h).Error; err != nil {
		return Hall{}, fmt.Errorf("get hall %d of fair %d: %w", hallID, fairID, translateError(err))
	}
	return h, nil
}

// ListHalls returns a fair's halls in plan order.
func ListHalls(ctx context.Context, db *gorm.DB, fairID int64) ([]Hall, error) {
	var out []Hall
	if err := db.WithContext(ctx).Where("fair_id = ?", fairID).Order("position, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list halls of fair %d: %w", fairID, translateError(err))
	}
	return out, nil
}

// ListStands returns a fair's stands, hall by hall, in code order.
func ListStands(ctx context.Context, db *gorm.DB, fairID int64) ([]Stand, error) {
	var out []Stand
	if err := db.WithContext(ctx).Where("fair_id = ?", fairID).Order("hall_id, code, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list stands of fair %d: %w", fairID, translateError(err))
	}
	return out, nil
}

// GetStandByCode loads a stand of a fair by its code.
func GetStandByCode(ctx context.Context, db *gorm.DB, fairID int64, code string) (Stand, error) {
	var s Stand
	err := db.WithContext(ctx).Where("fair_id = ? AND code = ?", fairID, NormalizeStandCode(code)).Take(&s).Error
	if err != nil {
		return Stand{}, fmt.Errorf("get stand %q of fair %d: %w", code, fairID, translateError(err))
	}
	return s, nil
}
