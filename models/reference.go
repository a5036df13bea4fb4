package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// Region is one of Morocco's 12 regions with its chamber of handicraft.
type Region struct {
	Code      string `gorm:"primaryKey"`
	NameFR    string `gorm:"column:name_fr"`
	NameAR    string `gorm:"column:name_ar"`
	NameEN    string `gorm:"column:name_en"`
	ChamberFR string `gorm:"column:chamber_fr"`
	ChamberAR string `gorm:"column:chamber_ar"`
	ChamberEN string `gorm:"column:chamber_en"`
	SortOrder int
}

// Name is the region's name in lang (fr, ar, en), French otherwise.
func (r Region) Name(lang string) string { return pick(lang, r.NameFR, r.NameAR, r.NameEN) }

// Chamber is the chamber's name in lang, French otherwise.
func (r Region) Chamber(lang string) string {
	return pick(lang, r.ChamberFR, r.ChamberAR, r.ChamberEN)
}

// Craft is a handicraft trade products and applications are filed under.
type Craft struct {
	Code      string `gorm:"primaryKey"`
	NameFR    string `gorm:"column:name_fr"`
	NameAR    string `gorm:"column:name_ar"`
	NameEN    string `gorm:"column:name_en"`
	SortOrder int
}

// Name is the craft's name in lang, French otherwise.
func (c Craft) Name(lang string) string { return pick(lang, c.NameFR, c.NameAR, c.NameEN) }

// pick returns the text for lang, falling back to French, then to any non-empty text.
func pick(lang, fr, ar, en string) string {
	var s string
	switch lang {
	case "ar":
		s = ar
	case "en":
		s = en
	default:
		s = fr
	}
	for _, candidate := range []string{s, fr, en, ar} {
		if candidate != "" {
			return candidate
		}
	}
	return ""
}

// ListRegions returns the 12 regions in their official order.
func ListRegions(ctx context.Context, db *gorm.DB) ([]Region, error) {
	var out []Region
	if err := db.WithContext(ctx).Order("sort_order, code").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list regions: %w", translateError(err))
	}
	return out, nil
}

// GetRegion loads one region by code.
func GetRegion(ctx context.Context, db *gorm.DB, code string) (Region, error) {
	var r Region
	if err := db.WithContext(ctx).Where("code = ?", code).Take(&r).Error; err != nil {
		return Region{}, fmt.Errorf("get region %q: %w", code, translateError(err))
	}
	return r, nil
}

// ListCrafts returns the trades in catalogue order.
func ListCrafts(ctx context.Context, db *gorm.DB) ([]Craft, error) {
	var out []Craft
	if err := db.WithContext(ctx).Order("sort_order, code").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list crafts: %w", translateError(err))
	}
	return out, nil
}
