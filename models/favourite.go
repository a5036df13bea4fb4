package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Favourite is a product a visitor keeps for later.
type Favourite struct {
	UserID    int64 `gorm:"primaryKey"`
	ProductID int64 `gorm:"primaryKey"`
	CreatedAt time.Time
}

// AddFavourite keeps a published product in the user's favourites (adding twice is fine).
func AddFavourite(ctx context.Context, db *gorm.DB, userID, productID int64) error {
	if _, err := GetPublicProduct(ctx, db, productID); err != nil {
		return err
	}
	err := db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&Favourite{UserID: userID, ProductID: productID}).Error
	if err != nil {
		return fmt.Errorf("add favourite: %w", translateError(err))
	}
	return nil
}

// RemoveFavourite forgets a favourite (removing a missing one is fine).
func RemoveFavourite(ctx context.Context, db *gorm.DB, userID, productID int64) error {
	if err := db.WithContext(ctx).Where("user_id = ? AND product_id = ?", userID, productID).Delete(&Favourite{}).Error; err != nil {
		return fmt.Errorf("remove favourite: %w", translateError(err))
	}
	return nil
}

// ListFavourites returns the user's favourites that are still in the catalog, newest first.
func ListFavourites(ctx context.Context, db *gorm.DB, userID int64) ([]CatalogItem, error) {
	var items []CatalogItem
	err := catalogBase(ctx, db).Joins("JOIN favourites f ON f.product_id = p.id AND f.user_id = ?", userID).
		Select("p.*, a.slug AS artisan_slug, a.business_name AS artisan_name, a.city AS artisan_city, a.region_code AS region_code").
		Order("f.created_at DESC, p.id DESC").Scan(&items).Error
	if err != nil {
		return nil, fmt.Errorf("list favourites: %w", translateError(err))
	}
	if err := attachCovers(ctx, db, items); err != nil {
		return nil, err
	}
	return items, nil
}

// FavouriteIDs tells which of the products the user keeps.
func FavouriteIDs(ctx context.Context, db *gorm.DB, userID int64, productIDs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if userID == 0 || len(productIDs) == 0 {
		return out, nil
	}
	var ids []int64
	if err := db.WithContext(ctx).Model(&Favourite{}).Where("user_id = ? AND product_id IN ?", userID, productIDs).
		Pluck("product_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("find favourites: %w", translateError(err))
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
