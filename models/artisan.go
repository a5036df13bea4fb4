package models

import (
	"context"
	"fmt"
	"time"

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
	ID           int64 `gorm:"primaryKey"`
	UserID       int64
	Slug         string
	BusinessName string
	Kind         string // individual, cooperative, company
	RegionCode   string
	CraftCode    string
	City         string
	Status       ArtisanStatus
	VerifiedAt   *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

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
