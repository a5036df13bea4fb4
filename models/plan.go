package models

// Read queries behind a fair's floor plan and its stand pages: halls, stands and, for each
// assigned stand, its exhibitor (the accepted application holding it). Nothing here writes;
// assignment lives in allocation.go.

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// StandProductsLimit bounds the products a stand page shows.
const StandProductsLimit = 12

// StandOccupant is the exhibitor at an assigned stand: the accepted application holding the
// stand and its artisan.
type StandOccupant struct {
	StandID       int64
	ApplicationID int64
	ArtisanID     int64
	ArtisanSlug   string
	BusinessName  string
	CraftCode     string
	RegionCode    string
	City          string
	ArtisanStatus ArtisanStatus
}

// Verified tells whether the exhibitor carries the chamber's verified badge.
func (o StandOccupant) Verified() bool { return o.ArtisanStatus == ArtisanVerified }

// FairPlan is everything a floor plan draws: the halls in plan order, their stands and the
// exhibitors of the assigned stands.
type FairPlan struct {
	Fair   Fair
	Halls  []Hall
	Stands []Stand
	// Occupants maps a stand id to its exhibitor; stands without an accepted application
	// holding them are absent.
	Occupants map[int64]StandOccupant
}

// HallStands returns the stands of one hall, in code order.
func (p FairPlan) HallStands(hallID int64) []Stand {
	var out []Stand
	for _, s := range p.Stands {
		if s.HallID == hallID {
			out = append(out, s)
		}
	}
	return out
}

// CountByStatus counts the fair's stands per status (every status present, zero included).
func (p FairPlan) CountByStatus() map[StandStatus]int {
	out := make(map[StandStatus]int, len(StandStatuses))
	for _, s := range StandStatuses {
		out[s] = 0
	}
	for _, s := range p.Stands {
		out[s.Status]++
	}
	return out
}

// GetPlanFair loads a fair by slug for its plan and stand pages: published fairs for everyone,
// drafts too when includeDrafts (organizers preparing the hall).
func GetPlanFair(ctx context.Context, db *gorm.DB, slug string, includeDrafts bool) (Fair, error) {
	if !includeDrafts {
		return GetPublicFair(ctx, db, slug)
	}
	var f Fair
	if err := db.WithContext(ctx).Where("slug = ?", slug).Take(&f).Error; err != nil {
		return Fair{}, fmt.Errorf("get fair %q: %w", slug, translateError(err))
	}
	return f, nil
}

// LoadFairPlan reads a fair's halls, stands and the exhibitors of its assigned stands.
func LoadFairPlan(ctx context.Context, db *gorm.DB, f Fair) (FairPlan, error) {
	plan := FairPlan{Fair: f}
	var err error
	if plan.Halls, err = ListHalls(ctx, db, f.ID); err != nil {
		return plan, err
	}
	if plan.Stands, err = ListStands(ctx, db, f.ID); err != nil {
		return plan, err
	}
	occupants, err := standOccupants(ctx, db.WithContext(ctx).Where("ap.fair_id = ?", f.ID))
	if err != nil {
		return plan, fmt.Errorf("load plan of fair %d: %w", f.ID, err)
	}
	plan.Occupants = make(map[int64]StandOccupant, len(occupants))
	for _, o := range occupants {
		plan.Occupants[o.StandID] = o
	}
	return plan, nil
}

// standOccupants runs the occupant query narrowed by scope (a fair, or one stand).
func standOccupants(ctx context.Context, scope *gorm.DB) ([]StandOccupant, error) {
	var out []StandOccupant
	err := scope.WithContext(ctx).Table("applications ap").
		Select("ap.stand_id AS stand_id, ap.id AS application_id, a.id AS artisan_id, a.slug AS artisan_slug, "+
			"a.business_name AS business_name, a.craft_code AS craft_code, a.region_code AS region_code, "+
			"a.city AS city, a.status AS artisan_status").
		Joins("JOIN artisans a ON a.id = ap.artisan_id").
		Where("ap.status = ? AND ap.stand_id IS NOT NULL", AppAccepted).
		Order("ap.stand_id").
		Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list stand occupants: %w", translateError(err))
	}
	return out, nil
}

// StandPage is a stand's public page: where it is, who exhibits there and what they bring.
type StandPage struct {
	Fair  Fair
	Hall  Hall
	Stand Stand
	// Occupant is nil for a free stand.
	Occupant *StandOccupant
	// Products are the pieces the application lists (published, of a verified artisan), or
	// the artisan's latest published pieces when it lists none.
	Products []CatalogItem
	// Listed tells whether Products are the ones the application chose.
	Listed bool
}

// LoadStandPage reads one stand of a fair by code, its exhibitor and their products.
func LoadStandPage(ctx context.Context, db *gorm.DB, f Fair, code string) (StandPage, error) {
	page := StandPage{Fair: f}
	var err error
	if page.Stand, err = GetStandByCode(ctx, db, f.ID, code); err != nil {
		return page, err
	}
	if page.Hall, err = GetHall(ctx, db, f.ID, page.Stand.HallID); err != nil {
		return page, err
	}
	occupants, err := standOccupants(ctx, db.WithContext(ctx).Where("ap.fair_id = ? AND ap.stand_id = ?", f.ID, page.Stand.ID))
	if err != nil {
		return page, fmt.Errorf("load stand %s of fair %d: %w", page.Stand.Code, f.ID, err)
	}
	if len(occupants) == 0 {
		return page, nil
	}
	o := occupants[0]
	page.Occupant = &o
	if page.Products, err = applicationCatalog(ctx, db, o.ApplicationID, StandProductsLimit); err != nil {
		return page, err
	}
	page.Listed = len(page.Products) > 0
	if !page.Listed {
		if page.Products, err = ListArtisanCatalog(ctx, db, o.ArtisanID, 0, StandProductsLimit); err != nil {
			return page, err
		}
	}
	return page, nil
}

// applicationCatalog lists the visible products an application means to exhibit (published
// pieces of a verified artisan: drafts and archived pieces it once listed stay hidden).
func applicationCatalog(ctx context.Context, db *gorm.DB, applicationID int64, limit int) ([]CatalogItem, error) {
	var items []CatalogItem
	err := catalogBase(ctx, db).
		Select("p.*, a.slug AS artisan_slug, a.business_name AS artisan_name, a.city AS artisan_city, a.region_code AS region_code").
		Joins("JOIN application_products ap ON ap.product_id = p.id").
		Joins("JOIN applications app ON app.id = ap.application_id AND app.artisan_id = p.artisan_id").
		Where("ap.application_id = ?", applicationID).
		Order("p.published_at DESC, p.id DESC").Limit(limit).Scan(&items).Error
	if err != nil {
		return nil, fmt.Errorf("list products of application %d: %w", applicationID, translateError(err))
	}
	if err := attachCovers(ctx, db, items); err != nil {
		return nil, err
	}
	return items, nil
}
