package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MaxPhotosPerProduct bounds the gallery of one product.
const MaxPhotosPerProduct = 10

// ErrPhotoLimit is returned when a product already has MaxPhotosPerProduct photos.
var ErrPhotoLimit = errors.New("photo limit reached")

// Photo is one product photo: its variants are stored as objects named KeyBase-<width>.jpg.
type Photo struct {
	ID        int64 `gorm:"primaryKey"`
	ProductID int64
	KeyBase   string
	Position  int
	Width     int
	Height    int
	Variants  string // comma-separated widths, smallest first: "320,800,1600"
	CreatedAt time.Time
}

// TableName keeps the table name explicit.
func (Photo) TableName() string { return "product_photos" }

// VariantNames lists the stored widths, smallest first.
func (p Photo) VariantNames() []string {
	if p.Variants == "" {
		return nil
	}
	return strings.Split(p.Variants, ",")
}

// Key is the object key of one variant.
func (p Photo) Key(variant string) string { return p.KeyBase + "-" + variant + ".jpg" }

// Keys lists the object keys of every variant.
func (p Photo) Keys() []string {
	names := p.VariantNames()
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = p.Key(n)
	}
	return keys
}

// PhotoKeyBase extracts the key base from a variant's object key ("img/x-800.jpg" → "img/x").
func PhotoKeyBase(key string) string {
	key = strings.TrimSuffix(key, ".jpg")
	if i := strings.LastIndexByte(key, '-'); i > 0 {
		return key[:i]
	}
	return key
}

// AddPhoto attaches an already stored photo to the artisan's own product, last in the gallery.
// The product row is locked so two uploads cannot both take the tenth place.
func AddPhoto(ctx context.Context, db *gorm.DB, artisanID, productID int64, ph Photo) (Photo, error) {
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		var p Product
		q := tx.WithContext(ctx).Where("id = ? AND artisan_id = ?", productID, artisanID)
		if Dialect(tx) == DialectPostgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Take(&p).Error; err != nil {
			return fmt.Errorf("lock product %d: %w", productID, translateError(err))
		}
		var stats struct {
			N   int64
			Max *int
		}
		if err := tx.WithContext(ctx).Model(&Photo{}).Select("count(*) AS n, max(position) AS max").
			Where("product_id = ?", productID).Scan(&stats).Error; err != nil {
			return fmt.Errorf("count photos: %w", translateError(err))
		}
		if stats.N >= MaxPhotosPerProduct {
			return ErrPhotoLimit
		}
		ph.ID, ph.ProductID, ph.Position = 0, productID, 0
		if stats.Max != nil {
			ph.Position = *stats.Max + 1
		}
		if err := tx.WithContext(ctx).Create(&ph).Error; err != nil {
			return fmt.Errorf("add photo: %w", translateError(err))
		}
		return nil
	})
	return ph, err
}

// ListPhotos returns a product's photos in gallery order (cover first).
func ListPhotos(ctx context.Context, db *gorm.DB, productID int64) ([]Photo, error) {
	var out []Photo
	if err := db.WithContext(ctx).Where("product_id = ?", productID).Order("position, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list photos of product %d: %w", productID, translateError(err))
	}
	return out, nil
}

func photosByProduct(ctx context.Context, db *gorm.DB, productIDs []int64) (map[int64][]Photo, error) {
	out := make(map[int64][]Photo, len(productIDs))
	if len(productIDs) == 0 {
		return out, nil
	}
	var photos []Photo
	if err := db.WithContext(ctx).Where("product_id IN ?", productIDs).Order("product_id, position, id").Find(&photos).Error; err != nil {
		return nil, fmt.Errorf("list photos: %w", translateError(err))
	}
	for _, p := range photos {
		out[p.ProductID] = append(out[p.ProductID], p)
	}
	return out, nil
}

// DeletePhoto removes a photo of the artisan's own product and returns it, so the caller
// deletes its objects once the row is gone.
func DeletePhoto(ctx context.Context, db *gorm.DB, artisanID, productID, photoID int64) (Photo, error) {
	var ph Photo
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		err := tx.WithContext(ctx).Table("product_photos ph").Select("ph.*").
			Joins("JOIN products p ON p.id = ph.product_id").
			Where("ph.id = ? AND ph.product_id = ? AND p.artisan_id = ?", photoID, productID, artisanID).Take(&ph).Error
		if err != nil {
			return fmt.Errorf("find photo %d: %w", photoID, translateError(err))
		}
		if err := tx.WithContext(ctx).Where("id = ?", ph.ID).Delete(&Photo{}).Error; err != nil {
			return fmt.Errorf("delete photo %d: %w", photoID, translateError(err))
		}
		// A published product keeps at least one photo: unpublish it when the last one goes.
		var left int64
		if err := tx.WithContext(ctx).Model(&Photo{}).Where("product_id = ?", productID).Count(&left).Error; err != nil {
			return fmt.Errorf("count photos: %w", translateError(err))
		}
		if left == 0 {
			return tx.WithContext(ctx).Model(&Product{}).Where("id = ? AND status = ?", productID, ProductPublished).
				Updates(map[string]any{"status": ProductDraft, "updated_at": time.Now().UTC()}).Error
		}
		return nil
	})
	return ph, err
}

// ReorderPhotos sets the gallery order of the artisan's own product; ids must be exactly the
// product's photos. The first becomes the cover.
func ReorderPhotos(ctx context.Context, db *gorm.DB, artisanID, productID int64, ids []int64) error {
	return WithTx(ctx, db, func(tx *gorm.DB) error {
		if _, err := GetOwnProduct(ctx, tx, artisanID, productID); err != nil {
			return err
		}
		current, err := ListPhotos(ctx, tx, productID)
		if err != nil {
			return err
		}
		if len(current) != len(ids) {
			return fmt.Errorf("reorder photos: %w", ErrConflict)
		}
		known := make(map[int64]bool, len(current))
		for _, p := range current {
			known[p.ID] = true
		}
		for pos, id := range ids {
			if !known[id] {
				return fmt.Errorf("reorder photos: photo %d: %w", id, ErrNotFound)
			}
			delete(known, id)
			if err := tx.WithContext(ctx).Model(&Photo{}).Where("id = ? AND product_id = ?", id, productID).
				Update("position", pos).Error; err != nil {
				return fmt.Errorf("reorder photos: %w", translateError(err))
			}
		}
		return nil
	})
}

// SetCoverPhoto moves one photo of the artisan's own product to the front of the gallery.
func SetCoverPhoto(ctx context.Context, db *gorm.DB, artisanID, productID, photoID int64) error {
	photos, err := ListPhotos(ctx, db, productID)
	if err != nil {
		return err
	}
	ids := []int64{photoID}
	found := false
	for _, p := range photos {
		if p.ID == photoID {
			found = true
			continue
		}
		ids = append(ids, p.ID)
	}
	if !found {
		return fmt.Errorf("set cover photo %d: %w", photoID, ErrNotFound)
	}
	return ReorderPhotos(ctx, db, artisanID, productID, ids)
}

// PhotoVisibility says who may see a stored photo: anyone when its product is published by a
// verified artisan, otherwise only the artisan (OwnerUserID) and staff.
type PhotoVisibility struct {
	Public      bool
	OwnerUserID int64
	RegionCode  string
}

// GetPhotoVisibility looks up the photo behind an object key base; workshop photos of artisan
// profiles are covered too.
func GetPhotoVisibility(ctx context.Context, db *gorm.DB, keyBase string) (PhotoVisibility, error) {
	var row struct {
		ProductStatus ProductStatus
		ArtisanStatus ArtisanStatus
		UserID        int64
		RegionCode    string
	}
	err := db.WithContext(ctx).Table("product_photos ph").
		Select("p.status AS product_status, a.status AS artisan_status, a.user_id, a.region_code").
		Joins("JOIN products p ON p.id = ph.product_id").
		Joins("JOIN artisans a ON a.id = p.artisan_id").
		Where("ph.key_base = ?", keyBase).Take(&row).Error
	if errors.Is(translateError(err), ErrNotFound) {
		var a Artisan
		err = db.WithContext(ctx).Where("workshop_photo_key = ?", keyBase).Take(&a).Error
		if err != nil {
			return PhotoVisibility{}, fmt.Errorf("find photo %q: %w", keyBase, translateError(err))
		}
		return PhotoVisibility{Public: a.Status == ArtisanVerified, OwnerUserID: a.UserID, RegionCode: a.RegionCode}, nil
	}
	if err != nil {
		return PhotoVisibility{}, fmt.Errorf("find photo %q: %w", keyBase, translateError(err))
	}
	return PhotoVisibility{
		Public:      row.ProductStatus == ProductPublished && row.ArtisanStatus == ArtisanVerified,
		OwnerUserID: row.UserID, RegionCode: row.RegionCode,
	}, nil
}

// KnownPhotoKeyBases returns which of the key bases are referenced by a row (product photo or
// workshop photo); the sweeper deletes objects whose base is not.
func KnownPhotoKeyBases(ctx context.Context, db *gorm.DB, bases []string) (map[string]bool, error) {
	known := make(map[string]bool, len(bases))
	if len(bases) == 0 {
		return known, nil
	}
	var found []string
	if err := db.WithContext(ctx).Model(&Photo{}).Where("key_base IN ?", bases).Pluck("key_base", &found).Error; err != nil {
		return nil, fmt.Errorf("find photo keys: %w", translateError(err))
	}
	var workshop []string
	if err := db.WithContext(ctx).Model(&Artisan{}).Where("workshop_photo_key IN ?", bases).Pluck("workshop_photo_key", &workshop).Error; err != nil {
		return nil, fmt.Errorf("find workshop photo keys: %w", translateError(err))
	}
	for _, b := range append(found, workshop...) {
		known[b] = true
	}
	return known, nil
}
