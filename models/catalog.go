package models

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// Catalog sort orders (the allow-list: anything else falls back to the default).
const (
	SortRelevance = "relevance"
	SortNewest    = "newest"
	SortPriceAsc  = "price_asc"
	SortPriceDesc = "price_desc"
)

// CatalogSorts lists the accepted sort values.
var CatalogSorts = []string{SortRelevance, SortNewest, SortPriceAsc, SortPriceDesc}

// CatalogPerPage is the number of cards per catalog page.
const CatalogPerPage = 24

// CatalogQuery is a visitor's search: every field optional.
type CatalogQuery struct {
	Q         string
	Craft     string
	Region    string
	MinCents  int64
	MaxCents  int64
	Available bool
	Sort      string
	Page      int
}

// Normalize clamps the query to safe values: unknown sorts fall back, pages start at 1.
func (q *CatalogQuery) Normalize() {
	q.Q = strings.TrimSpace(q.Q)
	if len(q.Q) > 200 {
		q.Q = q.Q[:200]
	}
	valid := false
	for _, s := range CatalogSorts {
		valid = valid || q.Sort == s
	}
	if !valid || (q.Sort == SortRelevance && q.Q == "") {
		q.Sort = ""
	}
	if q.Sort == "" {
		q.Sort = SortNewest
		if q.Q != "" {
			q.Sort = SortRelevance
		}
	}
	if q.Page < 1 {
		q.Page = 1
	}
	if q.Page > 1000 {
		q.Page = 1000
	}
	if q.MinCents < 0 {
		q.MinCents = 0
	}
	if q.MaxCents < 0 {
		q.MaxCents = 0
	}
}

// CatalogItem is one card of the catalog.
type CatalogItem struct {
	Product
	ArtisanSlug string
	ArtisanName string
	ArtisanCity string
	RegionCode  string
	Cover       *Photo `gorm:"-"`
}

// CatalogPage is one page of results.
type CatalogPage struct {
	Items []CatalogItem
	Total int64
	Page  int
	Pages int
}

// catalogBase is the visible catalog: published products of verified artisans.
func catalogBase(ctx context.Context, db *gorm.DB) *gorm.DB {
	return db.WithContext(ctx).Table("products p").
		Joins("JOIN artisans a ON a.id = p.artisan_id").
		Where("p.status = ? AND a.status = ?", ProductPublished, ArtisanVerified)
}

// SearchCatalog runs a visitor's search with filters, sort and pagination. Full-text search
// uses per-language tsvectors with a trigram fallback for typos on PostgreSQL, and FTS5 on
// SQLite; the query is normalised like the indexed text.
func SearchCatalog(ctx context.Context, db *gorm.DB, q CatalogQuery) (CatalogPage, error) {
	q.Normalize()
	page := CatalogPage{Page: q.Page}
	base := catalogBase(ctx, db)
	if q.Craft != "" {
		base = base.Where("p.craft_code = ?", q.Craft)
	}
	if q.Region != "" {
		base = base.Where("a.region_code = ?", q.Region)
	}
	if q.MinCents > 0 {
		base = base.Where("p.price_cents >= ?", q.MinCents)
	}
	if q.MaxCents > 0 {
		base = base.Where("p.price_cents <= ?", q.MaxCents)
	}
	if q.Available {
		base = base.Where("(p.stock > 0 OR p.made_to_order)")
	}
	rankExpr := "0"
	var rankArgs []any
	counted := false
	if q.Q != "" {
		terms := searchTermGroups(q.Q)
		if len(terms) == 0 {
			return page, nil
		}
		if Dialect(db) == DialectPostgres {
			filtered := base
			cond, args, rank, rargs := postgresSearch(terms)
			base, rankExpr, rankArgs = filtered.Session(&gorm.Session{}).Where(cond, args...), rank, rargs
			if err := base.Session(&gorm.Session{}).Count(&page.Total).Error; err != nil {
				return page, fmt.Errorf("count catalog: %w", translateError(err))
			}
			counted = page.Total > 0
			if !counted {
				// Nothing matched: perhaps a typo. Trigram word similarity on the titles only
				// (short and indexed), never on the long search text.
				cond, args, rank, rargs = postgresTypoSearch(terms)
				base, rankExpr, rankArgs = filtered.Where(cond, args...), rank, rargs
			}
		} else {
			base = base.Where("p.id IN (SELECT rowid FROM products_fts WHERE products_fts MATCH ?)", ftsQuery(terms))
		}
	}
	if !counted {
		if err := base.Session(&gorm.Session{}).Count(&page.Total).Error; err != nil {
			return page, fmt.Errorf("count catalog: %w", translateError(err))
		}
	}
	page.Pages = int((page.Total + CatalogPerPage - 1) / CatalogPerPage)
	if page.Total == 0 {
		return page, nil
	}
	order := map[string]string{
		SortNewest:    "published_at DESC, id DESC",
		SortPriceAsc:  "price_cents ASC, id ASC",
		SortPriceDesc: "price_cents DESC, id DESC",
		SortRelevance: "rank DESC, published_at DESC, id DESC",
	}[q.Sort]
	// Late row lookup: order and cut the page on narrow columns, then read the 24 full rows.
	ids := base.Select("p.id AS id, p.published_at AS published_at, p.price_cents AS price_cents, "+rankExpr+" AS rank", rankArgs...).
		Order(order).Limit(CatalogPerPage).Offset((q.Page - 1) * CatalogPerPage)
	var items []CatalogItem
	err := db.WithContext(ctx).Table("(?) AS pg", ids).
		Select("p.*, a.slug AS artisan_slug, a.business_name AS artisan_name, a.city AS artisan_city, " +
			"a.region_code AS region_code, pg.rank AS rank").
		Joins("JOIN products p ON p.id = pg.id").Joins("JOIN artisans a ON a.id = p.artisan_id").
		Order(order).
		Scan(&items).Error
	if err != nil {
		return page, fmt.Errorf("list catalog: %w", translateError(err))
	}
	if err := attachCovers(ctx, db, items); err != nil {
		return page, err
	}
	page.Items = items
	return page, nil
}

// postgresTypoSearch matches titles by trigram word similarity, for queries with a typo.
func postgresTypoSearch(groups [][]string) (cond string, args []any, rank string, rankArgs []any) {
	var plain []string
	for _, g := range groups {
		plain = append(plain, g[0])
	}
	text := strings.Join(plain, " ")
	doc := "(p.title_fr || ' ' || p.title_ar || ' ' || p.title_en)"
	return "? <% " + doc, []any{text}, "word_similarity(?, " + doc + ")", []any{text}
}

// searchTermGroups splits a query into words, each with its variants (with and without the
// Arabic article).
func searchTermGroups(q string) [][]string {
	var groups [][]string
	seen := map[string]bool{}
	for _, raw := range strings.Fields(q) {
		words := strings.Fields(NormalizeSearchText(raw))
		if len(words) == 0 || seen[words[0]] {
			continue
		}
		seen[words[0]] = true
		var group []string
		for _, w := range words {
			if len(w) <= 64 {
				group = append(group, w)
			}
		}
		if len(group) > 0 {
			groups = append(groups, group)
		}
		if len(groups) == 8 {
			break
		}
	}
	return groups
}

// ftsQuery builds an FTS5 expression: every word (any of its variants, as a prefix) must match.
func ftsQuery(groups [][]string) string {
	parts := make([]string, len(groups))
	for i, g := range groups {
		alts := make([]string, len(g))
		for j, w := range g {
			alts[j] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"*`
		}
		parts[i] = "(" + strings.Join(alts, " OR ") + ")"
	}
	return strings.Join(parts, " AND ")
}

// postgresSearch matches the stemmed French and English vectors, the prefix-matching simple
// vector, or — for typos — trigram word similarity on the folded text.
func postgresSearch(groups [][]string) (cond string, args []any, rank string, rankArgs []any) {
	var prefix, plain []string
	for _, g := range groups {
		alts := make([]string, len(g))
		for j, w := range g {
			alts[j] = pgLexeme(w) + ":*"
		}
		prefix = append(prefix, "("+strings.Join(alts, " | ")+")")
		plain = append(plain, g[0])
	}
	prefixQ := strings.Join(prefix, " & ")
	text := strings.Join(plain, " ")
	tsq := "(to_tsquery('simple', ?) || plainto_tsquery('french', ?) || plainto_tsquery('english', ?))"
	cond = "p.search_tsv @@ " + tsq
	args = []any{prefixQ, text, text}
	rank = "ts_rank(p.search_tsv, " + tsq + ")"
	rankArgs = []any{prefixQ, text, text}
	return cond, args, rank, rankArgs
}

// pgLexeme quotes a word for to_tsquery.
func pgLexeme(w string) string { return "'" + strings.ReplaceAll(w, "'", "''") + "'" }

func attachCovers(ctx context.Context, db *gorm.DB, items []CatalogItem) error {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	photos, err := photosByProduct(ctx, db, ids)
	if err != nil {
		return err
	}
	for i := range items {
		if ps := photos[items[i].ID]; len(ps) > 0 {
			c := ps[0]
			items[i].Cover = &c
		}
	}
	return nil
}

// ProductView is a public product page: the product, where it comes from and its gallery.
type ProductView struct {
	Product Product
	Artisan Artisan
	Region  Region
	Craft   Craft
	Photos  []Photo
}

// GetPublicProduct loads a published product of a verified artisan with its provenance.
func GetPublicProduct(ctx context.Context, db *gorm.DB, id int64) (ProductView, error) {
	var v ProductView
	err := catalogBase(ctx, db).Select("p.*").Where("p.id = ?", id).Take(&v.Product).Error
	if err != nil {
		return v, fmt.Errorf("get product %d: %w", id, translateError(err))
	}
	if err := db.WithContext(ctx).Where("id = ?", v.Product.ArtisanID).Take(&v.Artisan).Error; err != nil {
		return v, fmt.Errorf("get artisan of product %d: %w", id, translateError(err))
	}
	if v.Region, err = GetRegion(ctx, db, v.Artisan.RegionCode); err != nil {
		return v, err
	}
	if err := db.WithContext(ctx).Where("code = ?", v.Product.CraftCode).Take(&v.Craft).Error; err != nil {
		return v, fmt.Errorf("get craft of product %d: %w", id, translateError(err))
	}
	if v.Photos, err = ListPhotos(ctx, db, id); err != nil {
		return v, err
	}
	return v, nil
}

// ListArtisanCatalog lists an artisan's published products (newest first), leaving out one id.
func ListArtisanCatalog(ctx context.Context, db *gorm.DB, artisanID, exceptID int64, limit int) ([]CatalogItem, error) {
	var items []CatalogItem
	err := catalogBase(ctx, db).
		Select("p.*, a.slug AS artisan_slug, a.business_name AS artisan_name, a.city AS artisan_city, a.region_code AS region_code").
		Where("p.artisan_id = ? AND p.id <> ?", artisanID, exceptID).
		Order("p.published_at DESC, p.id DESC").Limit(limit).Scan(&items).Error
	if err != nil {
		return nil, fmt.Errorf("list products of artisan %d: %w", artisanID, translateError(err))
	}
	if err := attachCovers(ctx, db, items); err != nil {
		return nil, err
	}
	return items, nil
}
