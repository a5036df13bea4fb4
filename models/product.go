package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// ProductStatus is where a product stands: drafts and archived pieces are only seen by their
// artisan; published ones appear in the catalog once the artisan is verified.
type ProductStatus string

// Product states.
const (
	ProductDraft     ProductStatus = "draft"
	ProductPublished ProductStatus = "published"
	ProductArchived  ProductStatus = "archived"
)

// Product is one piece (or a made-to-order line) an artisan sells.
type Product struct {
	ID            int64 `gorm:"primaryKey"`
	ArtisanID     int64
	Status        ProductStatus
	TitleFR       string `gorm:"column:title_fr"`
	TitleAR       string `gorm:"column:title_ar"`
	TitleEN       string `gorm:"column:title_en"`
	DescriptionFR string `gorm:"column:description_fr"`
	DescriptionAR string `gorm:"column:description_ar"`
	DescriptionEN string `gorm:"column:description_en"`
	CraftCode     string
	Materials     string
	Dimensions    string
	WeightGrams   int
	PriceCents    int64
	Stock         int
	MadeToOrder   bool
	LeadTimeDays  int
	PickupAtFair  bool
	Ships         bool
	SearchFR      string `gorm:"column:search_fr"`
	SearchAR      string `gorm:"column:search_ar"`
	SearchEN      string `gorm:"column:search_en"`
	PublishedAt   *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Title is the title in lang, falling back to French, then to any language.
func (p Product) Title(lang string) string { return pick(lang, p.TitleFR, p.TitleAR, p.TitleEN) }

// TitleLang tells which language Title(lang) returned, for the lang attribute of the page.
func (p Product) TitleLang(lang string) string {
	return pickLang(lang, p.TitleFR, p.TitleAR, p.TitleEN)
}

// Description is the description in lang with the same fallback chain.
func (p Product) Description(lang string) string {
	return pick(lang, p.DescriptionFR, p.DescriptionAR, p.DescriptionEN)
}

// DescriptionLang tells which language Description(lang) returned.
func (p Product) DescriptionLang(lang string) string {
	return pickLang(lang, p.DescriptionFR, p.DescriptionAR, p.DescriptionEN)
}

// Available tells whether the piece can be ordered now.
func (p Product) Available() bool { return p.Stock > 0 || p.MadeToOrder }

// pickLang mirrors pick and returns the language code of the chosen text.
func pickLang(lang, fr, ar, en string) string {
	texts := map[string]string{"fr": fr, "ar": ar, "en": en}
	if texts[lang] != "" {
		return lang
	}
	for _, l := range []string{"fr", "en", "ar"} {
		if texts[l] != "" {
			return l
		}
	}
	return lang
}

// ProductInput is what an artisan may set on a product (never its owner, status or dates).
type ProductInput struct {
	TitleFR, TitleAR, TitleEN                   string
	DescriptionFR, DescriptionAR, DescriptionEN string
	CraftCode                                   string
	Materials, Dimensions                       string
	WeightGrams                                 int
	PriceCents                                  int64
	Stock                                       int
	MadeToOrder                                 bool
	LeadTimeDays                                int
	PickupAtFair, Ships                         bool
}

// Limits of product fields.
const (
	MaxProductPriceCents = 10_000_000 // 100 000 €
	MaxProductStock      = 100_000
	maxTitleLen          = 140
	maxDescriptionLen    = 5000
)

func (in *ProductInput) normalize() {
	for _, s := range []*string{&in.TitleFR, &in.TitleAR, &in.TitleEN, &in.DescriptionFR, &in.DescriptionAR,
		&in.DescriptionEN, &in.CraftCode, &in.Materials, &in.Dimensions} {
		*s = strings.TrimSpace(*s)
	}
	if !in.MadeToOrder {
		in.LeadTimeDays = 0
	}
}

func (in ProductInput) validate() map[string]string {
	f := map[string]string{}
	if in.TitleFR == "" && in.TitleAR == "" && in.TitleEN == "" {
		f["title_fr"] = "ProductTitleRequired"
	}
	for name, v := range map[string]string{"title_fr": in.TitleFR, "title_ar": in.TitleAR, "title_en": in.TitleEN} {
		if utf8.RuneCountInString(v) > maxTitleLen {
			f[name] = "FieldTooLong"
		}
	}
	for name, v := range map[string]string{"description_fr": in.DescriptionFR, "description_ar": in.DescriptionAR, "description_en": in.DescriptionEN} {
		if utf8.RuneCountInString(v) > maxDescriptionLen {
			f[name] = "FieldTooLong"
		}
	}
	if in.CraftCode == "" {
		f["craft"] = "CraftRequired"
	}
	if utf8.RuneCountInString(in.Materials) > 300 {
		f["materials"] = "FieldTooLong"
	}
	if utf8.RuneCountInString(in.Dimensions) > 200 {
		f["dimensions"] = "FieldTooLong"
	}
	if in.PriceCents <= 0 || in.PriceCents > MaxProductPriceCents {
		f["price"] = "PriceInvalid"
	}
	if in.Stock < 0 || in.Stock > MaxProductStock {
		f["stock"] = "StockInvalid"
	}
	if in.WeightGrams < 0 || in.WeightGrams > 1_000_000 {
		f["weight"] = "WeightInvalid"
	}
	if in.MadeToOrder && (in.LeadTimeDays < 1 || in.LeadTimeDays > 365) {
		f["lead_time"] = "LeadTimeInvalid"
	}
	if !in.PickupAtFair && !in.Ships {
		f["pickup_at_fair"] = "DeliveryRequired"
	}
	return f
}

func (in ProductInput) columns() map[string]any {
	return map[string]any{
		"title_fr": in.TitleFR, "title_ar": in.TitleAR, "title_en": in.TitleEN,
		"description_fr": in.DescriptionFR, "description_ar": in.DescriptionAR, "description_en": in.DescriptionEN,
		"craft_code": in.CraftCode, "materials": in.Materials, "dimensions": in.Dimensions,
		"weight_grams": in.WeightGrams, "price_cents": in.PriceCents, "stock": in.Stock,
		"made_to_order": in.MadeToOrder, "lead_time_days": in.LeadTimeDays,
		"pickup_at_fair": in.PickupAtFair, "ships": in.Ships,
	}
}

// CreateProduct adds a draft product to the artisan's catalog.
func CreateProduct(ctx context.Context, db *gorm.DB, artisanID int64, in ProductInput) (Product, error) {
	in.normalize()
	if f := in.validate(); len(f) > 0 {
		return Product{}, &ValidationError{Fields: f}
	}
	p := Product{
		ArtisanID: artisanID, Status: ProductDraft,
		TitleFR: in.TitleFR, TitleAR: in.TitleAR, TitleEN: in.TitleEN,
		DescriptionFR: in.DescriptionFR, DescriptionAR: in.DescriptionAR, DescriptionEN: in.DescriptionEN,
		CraftCode: in.CraftCode, Materials: in.Materials, Dimensions: in.Dimensions, WeightGrams: in.WeightGrams,
		PriceCents: in.PriceCents, Stock: in.Stock, MadeToOrder: in.MadeToOrder, LeadTimeDays: in.LeadTimeDays,
		PickupAtFair: in.PickupAtFair, Ships: in.Ships,
	}
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		if err := checkCraft(ctx, tx, in.CraftCode); err != nil {
			return err
		}
		if err := tx.WithContext(ctx).Create(&p).Error; err != nil {
			return fmt.Errorf("create product: %w", translateError(err))
		}
		return refreshProductSearch(ctx, tx, p.ID)
	})
	if err != nil {
		return Product{}, err
	}
	return GetOwnProduct(ctx, db, artisanID, p.ID)
}

func checkCraft(ctx context.Context, db *gorm.DB, code string) error {
	var n int64
	if err := db.WithContext(ctx).Model(&Craft{}).Where("code = ?", code).Count(&n).Error; err != nil {
		return fmt.Errorf("check craft: %w", translateError(err))
	}
	if n == 0 {
		return fieldError("craft", "CraftRequired")
	}
	return nil
}

// UpdateProduct changes the editable fields of the artisan's own product.
func UpdateProduct(ctx context.Context, db *gorm.DB, artisanID, productID int64, in ProductInput) (Product, error) {
	in.normalize()
	if f := in.validate(); len(f) > 0 {
		return Product{}, &ValidationError{Fields: f}
	}
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		if err := checkCraft(ctx, tx, in.CraftCode); err != nil {
			return err
		}
		cols := in.columns()
		cols["updated_at"] = time.Now().UTC()
		res := tx.WithContext(ctx).Model(&Product{}).Where("id = ? AND artisan_id = ?", productID, artisanID).Updates(cols)
		if res.Error != nil {
			return fmt.Errorf("update product %d: %w", productID, translateError(res.Error))
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("update product %d: %w", productID, ErrNotFound)
		}
		return refreshProductSearch(ctx, tx, productID)
	})
	if err != nil {
		return Product{}, err
	}
	return GetOwnProduct(ctx, db, artisanID, productID)
}

// GetOwnProduct loads a product only if it belongs to the artisan.
func GetOwnProduct(ctx context.Context, db *gorm.DB, artisanID, productID int64) (Product, error) {
	var p Product
	err := db.WithContext(ctx).Where("id = ? AND artisan_id = ?", productID, artisanID).Take(&p).Error
	if err != nil {
		return Product{}, fmt.Errorf("get product %d: %w", productID, translateError(err))
	}
	return p, nil
}

// OwnProduct is a studio row: the product and its cover.
type OwnProduct struct {
	Product
	Cover  *Photo `gorm:"-"`
	Photos int
}

// ListOwnProducts lists the artisan's products, archived last, newest first.
func ListOwnProducts(ctx context.Context, db *gorm.DB, artisanID int64) ([]OwnProduct, error) {
	var ps []Product
	err := db.WithContext(ctx).Where("artisan_id = ?", artisanID).
		Order("CASE WHEN status = 'archived' THEN 1 ELSE 0 END, updated_at DESC, id DESC").Find(&ps).Error
	if err != nil {
		return nil, fmt.Errorf("list products of artisan %d: %w", artisanID, translateError(err))
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	photos, err := photosByProduct(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	out := make([]OwnProduct, len(ps))
	for i, p := range ps {
		out[i] = OwnProduct{Product: p, Photos: len(photos[p.ID])}
		if len(photos[p.ID]) > 0 {
			c := photos[p.ID][0]
			out[i].Cover = &c
		}
	}
	return out, nil
}

// ErrNoPhoto is returned when publishing a product that has no photo yet.
var ErrNoPhoto = errors.New("product has no photo")

// SetProductStatus moves the artisan's own product to status with a conditional update: only
// the allowed transitions happen (publishing needs at least one photo).
func SetProductStatus(ctx context.Context, db *gorm.DB, artisanID, productID int64, to ProductStatus) error {
	from := map[ProductStatus][]ProductStatus{
		ProductPublished: {ProductDraft},
		ProductDraft:     {ProductPublished, ProductArchived},
		ProductArchived:  {ProductDraft, ProductPublished},
	}[to]
	if from == nil {
		return fmt.Errorf("set product status %q: %w", to, ErrInvalidState)
	}
	return WithTx(ctx, db, func(tx *gorm.DB) error {
		p, err := GetOwnProduct(ctx, tx, artisanID, productID)
		if err != nil {
			return err
		}
		if to == ProductPublished {
			var n int64
			if err := tx.WithContext(ctx).Model(&Photo{}).Where("product_id = ?", productID).Count(&n).Error; err != nil {
				return fmt.Errorf("count photos: %w", translateError(err))
			}
			if n == 0 {
				return ErrNoPhoto
			}
		}
		cols := map[string]any{"status": to, "updated_at": time.Now().UTC()}
		if to == ProductPublished && p.PublishedAt == nil {
			cols["published_at"] = time.Now().UTC()
		}
		res := tx.WithContext(ctx).Model(&Product{}).
			Where("id = ? AND artisan_id = ? AND status IN ?", productID, artisanID, from).Updates(cols)
		if res.Error != nil {
			return fmt.Errorf("set product %d status: %w", productID, translateError(res.Error))
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("set product %d from %s to %s: %w", productID, p.Status, to, ErrInvalidState)
		}
		return nil
	})
}

// refreshProductSearch rewrites the product's normalised search text from its own fields and
// its artisan's and craft's names, in each language.
func refreshProductSearch(ctx context.Context, db *gorm.DB, productID int64) error {
	var row struct {
		Product
		BusinessName string
		City         string
		CraftFR      string
		CraftAR      string
		CraftEN      string
		RegionFR     string
		RegionAR     string
		RegionEN     string
	}
	err := db.WithContext(ctx).Table("products p").
		Select("p.*, a.business_name, a.city, c.name_fr AS craft_fr, c.name_ar AS craft_ar, c.name_en AS craft_en, "+
			"r.name_fr AS region_fr, r.name_ar AS region_ar, r.name_en AS region_en").
		Joins("JOIN artisans a ON a.id = p.artisan_id").
		Joins("JOIN crafts c ON c.code = p.craft_code").
		Joins("JOIN regions r ON r.code = a.region_code").
		Where("p.id = ?", productID).Take(&row).Error
	if err != nil {
		return fmt.Errorf("load product %d for search: %w", productID, translateError(err))
	}
	join := func(parts ...string) string { return NormalizeSearchText(strings.Join(parts, " ")) }
	cols := map[string]any{
		"search_fr": join(row.TitleFR, row.DescriptionFR, row.Materials, row.BusinessName, row.City, row.CraftFR, row.RegionFR),
		"search_ar": join(row.TitleAR, row.DescriptionAR, row.CraftAR, row.RegionAR),
		"search_en": join(row.TitleEN, row.DescriptionEN, row.CraftEN, row.RegionEN),
	}
	if err := db.WithContext(ctx).Model(&Product{}).Where("id = ?", productID).Updates(cols).Error; err != nil {
		return fmt.Errorf("write product %d search text: %w", productID, translateError(err))
	}
	return nil
}

// RefreshArtisanSearch rewrites the search text of every product of an artisan (after the
// business name, city or region changed).
func RefreshArtisanSearch(ctx context.Context, db *gorm.DB, artisanID int64) error {
	var ids []int64
	if err := db.WithContext(ctx).Model(&Product{}).Where("artisan_id = ?", artisanID).Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("list products of artisan %d: %w", artisanID, translateError(err))
	}
	for _, id := range ids {
		if err := refreshProductSearch(ctx, db, id); err != nil {
			return err
		}
	}
	return nil
}
