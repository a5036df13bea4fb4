package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ShippingCountries are the destinations the portal ships to, in the order forms show them.
var ShippingCountries = []string{"BE", "FR"}

// DefaultShippingCents is the flat rate used for a country until an organizer sets one, so
// a fresh install can take shipped orders.
const DefaultShippingCents = 1500

// MaxShippingCents bounds a flat rate (a typo of two extra zeros is refused).
const MaxShippingCents = 100_000

// ShippingRates returns the flat rate per country (the default where none was set).
func ShippingRates(ctx context.Context, db *gorm.DB) (map[string]int64, error) {
	var rows []ShippingRate
	if err := db.WithContext(ctx).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list shipping rates: %w", translateError(err))
	}
	out := map[string]int64{}
	for _, c := range ShippingCountries {
		out[c] = DefaultShippingCents
	}
	for _, r := range rows {
		out[r.Country] = r.AmountCents
	}
	return out, nil
}

// SetShippingRates stores the organizers' flat rates (cents per country) and audits the change.
func SetShippingRates(ctx context.Context, db *gorm.DB, organizerID int64, rates map[string]int64, now time.Time) error {
	fields := map[string]string{}
	for _, c := range ShippingCountries {
		v, ok := rates[c]
		if !ok || v < 0 || v > MaxShippingCents {
			fields["rate_"+c] = "ShippingRateInvalid"
		}
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return WithTx(ctx, db, func(tx *gorm.DB) error {
		before, err := ShippingRates(ctx, tx)
		if err != nil {
			return err
		}
		for _, c := range ShippingCountries {
			row := ShippingRate{Country: c, AmountCents: rates[c], UpdatedAt: now}
			if err := tx.WithContext(ctx).Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "country"}},
				DoUpdates: clause.AssignmentColumns([]string{"amount_cents", "updated_at"}),
			}).Create(&row).Error; err != nil {
				return fmt.Errorf("set shipping rate %s: %w", c, translateError(err))
			}
		}
		return RecordAudit(ctx, tx, organizerID, "shipping.rates", "shipping_rates", 0, before, rates)
	})
}

// PickupPlace is where an artisan can hand pieces over: their assigned stand at an upcoming
// (or running) fair.
type PickupPlace struct {
	ArtisanID int64
	FairID    int64
	FairSlug  string
	FairName  string
	City      string
	StartsOn  time.Time
	EndsOn    time.Time
	StandID   int64
	StandCode string
}

// PickupPlaces returns, per artisan, the soonest fair (not past, not draft or archived)
// where the artisan has an accepted application with an assigned stand.
func PickupPlaces(ctx context.Context, db *gorm.DB, artisanIDs []int64, now time.Time) (map[int64]PickupPlace, error) {
	out := map[int64]PickupPlace{}
	if len(artisanIDs) == 0 {
		return out, nil
	}
	var rows []PickupPlace
	err := db.WithContext(ctx).Table("applications ap").
		Select("ap.artisan_id AS artisan_id, f.id AS fair_id, f.slug AS fair_slug, f.name AS fair_name, f.city AS city, "+
			"f.starts_on AS starts_on, f.ends_on AS ends_on, s.id AS stand_id, s.code AS stand_code").
		Joins("JOIN fairs f ON f.id = ap.fair_id").
		Joins("JOIN stands s ON s.id = ap.stand_id").
		Where("ap.artisan_id IN ? AND ap.status = ? AND ap.stand_id IS NOT NULL", artisanIDs, AppAccepted).
		Where("f.status NOT IN ?", []FairStatus{FairDraft, FairArchived}).
		Order("f.starts_on, f.id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list pickup places: %w", translateError(err))
	}
	for _, r := range rows {
		// Past fairs are dropped here, not in SQL: dates compare reliably in Go on both databases.
		if r.EndsOn.Before(now.Truncate(24 * time.Hour)) {
			continue
		}
		if _, seen := out[r.ArtisanID]; !seen {
			out[r.ArtisanID] = r
		}
	}
	return out, nil
}
