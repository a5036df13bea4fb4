package models

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	// Total is the number of results, at most CatalogMaxResults for a search.
	Total int64
	// TotalCapped tells that a search found more than CatalogMaxResults products: Total is
	// then CatalogMaxResults and only that many can be paged through.
	TotalCapped bool
	Page        int
	Pages       int
}

// CatalogMaxResults bounds a search. It counts up to this many results (beyond, the page says
// "more than 500"), ranks the 500 most recently added matches by relevance and pages through
// the first 500 in the other orders. Visitors refine a search long before its five hundredth
// result (the twenty-first page); the bound keeps the costly part of a search (ranking, and
// on SQLite reading the products) to a few hundred rows. With 1,000 a PostgreSQL search took
// about 1.5 times as long and missed 20 ms at the 95th percentile on the 2-core test machine
// (models/catalog_measure_test.go, 50k products).
const CatalogMaxResults = 500

// catalogItemColumns are the columns a catalog card shows: the product without its search
// text (a few kilobytes per row, and a text-search vector on PostgreSQL) and its artisan.
const catalogItemColumns = "p.id, p.artisan_id, p.status, p.title_fr, p.title_ar, p.title_en, " +
	"p.description_fr, p.description_ar, p.description_en, p.craft_code, p.materials, p.dimensions, " +
	"p.weight_grams, p.price_cents, p.stock, p.made_to_order, p.lead_time_days, p.pickup_at_fair, p.ships, " +
	"p.published_at, p.created_at, p.updated_at, " +
	"a.slug AS artisan_slug, a.business_name AS artisan_name, a.city AS artisan_city, a.region_code AS region_code"

// catalogBase is the visible catalog: published products of verified artisans.
func catalogBase(ctx context.Context, db *gorm.DB) *gorm.DB {
	return db.WithContext(ctx).Table("products p").
		Joins("JOIN artisans a ON a.id = p.artisan_id").
		Where("p.status = ? AND a.status = ?", ProductPublished, ArtisanVerified)
}

// catalogFilter is the visible catalog (published products of verified artisans) narrowed by
// the query's filters: a condition on p (products) and one on a (artisans), with named
// arguments (added to args).
func catalogFilter(q CatalogQuery, args map[string]any) (product, artisan string) {
	pc, ac := []string{"p.status = @published"}, []string{"a.status = @verified"}
	args["published"], args["verified"] = ProductPublished, ArtisanVerified
	if q.Craft != "" {
		pc, args["craft"] = append(pc, "p.craft_code = @craft"), q.Craft
	}
	if q.Region != "" {
		ac, args["region"] = append(ac, "a.region_code = @region"), q.Region
	}
	if q.MinCents > 0 {
		pc, args["min"] = append(pc, "p.price_cents >= @min"), q.MinCents
	}
	if q.MaxCents > 0 {
		pc, args["max"] = append(pc, "p.price_cents <= @max"), q.MaxCents
	}
	if q.Available {
		pc = append(pc, "(p.stock > 0 OR p.made_to_order)")
	}
	return strings.Join(pc, " AND "), strings.Join(ac, " AND ")
}

// catalogOrders are the ORDER BY clauses of the sorts, on the columns id, published_at,
// price_cents and (searches only) rank, higher for a better match.
var catalogOrders = map[string]string{
	SortNewest:    "published_at DESC, id DESC",
	SortPriceAsc:  "price_cents ASC, id ASC",
	SortPriceDesc: "price_cents DESC, id DESC",
	SortRelevance: "rank DESC, published_at DESC, id DESC",
}

// SearchCatalog runs a visitor's search with filters, sort and pagination. Without words it
// lists the catalog (every result counted). With words it matches the normalised query against
// per-language tsvectors on PostgreSQL (with a typo fallback through the vocabulary of the
// catalog) and FTS5 on SQLite, within the bounds of CatalogMaxResults.
func SearchCatalog(ctx context.Context, db *gorm.DB, q CatalogQuery) (CatalogPage, error) {
	q.Normalize()
	if q.Q == "" {
		return listCatalog(ctx, db, q)
	}
	page := CatalogPage{Page: q.Page}
	terms := searchTermGroups(q.Q)
	if len(terms) == 0 {
		return page, nil
	}
	var (
		res searchResult
		err error
	)
	if Dialect(db) == DialectPostgres {
		res, err = searchPostgres(db.WithContext(ctx), q, terms)
	} else {
		res, err = searchSQLite(db.WithContext(ctx), q, terms)
	}
	if err != nil {
		return page, err
	}
	page.Total, page.TotalCapped = res.total, res.total > CatalogMaxResults
	if page.TotalCapped {
		page.Total = CatalogMaxResults
	}
	page.Pages = int((page.Total + CatalogPerPage - 1) / CatalogPerPage)
	if page.Items, err = catalogItems(ctx, db, res.ids); err != nil {
		return page, err
	}
	return page, nil
}

// listCatalog is the catalog without search words: counted exactly, the page cut on narrow
// columns (an index walk for the newest-first order), then its rows read.
func listCatalog(ctx context.Context, db *gorm.DB, q CatalogQuery) (CatalogPage, error) {
	page := CatalogPage{Page: q.Page}
	args := map[string]any{}
	pc, ac := catalogFilter(q, args)
	base := db.WithContext(ctx).Table("products p").Joins("JOIN artisans a ON a.id = p.artisan_id").
		Where(pc+" AND "+ac, args)
	if err := base.Session(&gorm.Session{}).Count(&page.Total).Error; err != nil {
		return page, fmt.Errorf("count catalog: %w", translateError(err))
	}
	page.Pages = int((page.Total + CatalogPerPage - 1) / CatalogPerPage)
	if page.Total == 0 {
		return page, nil
	}
	var rows []struct{ ID int64 }
	err := base.Select("p.id AS id, p.published_at AS published_at, p.price_cents AS price_cents").
		Order(catalogOrders[q.Sort]).Limit(CatalogPerPage).Offset((q.Page - 1) * CatalogPerPage).Scan(&rows).Error
	if err != nil {
		return page, fmt.Errorf("list catalog: %w", translateError(err))
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	if page.Items, err = catalogItems(ctx, db, ids); err != nil {
		return page, err
	}
	return page, nil
}

// catalogItems reads the cards of a page, in the order of ids, each with its cover (the first
// photo, as photosByProduct orders them) in the same statement.
func catalogItems(ctx context.Context, db *gorm.DB, ids []int64) ([]CatalogItem, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []struct {
		CatalogItem
		CoverID        *int64
		CoverKeyBase   string
		CoverPosition  int
		CoverWidth     int
		CoverHeight    int
		CoverVariants  string
		CoverCreatedAt *time.Time
	}
	err := db.WithContext(ctx).Table("products p").
		Select(catalogItemColumns+", ph.id AS cover_id, ph.key_base AS cover_key_base, ph.position AS cover_position, "+
			"ph.width AS cover_width, ph.height AS cover_height, ph.variants AS cover_variants, ph.created_at AS cover_created_at").
		Joins("JOIN artisans a ON a.id = p.artisan_id").
		Joins("LEFT JOIN product_photos ph ON ph.id = (SELECT c.id FROM product_photos c WHERE c.product_id = p.id "+
			"ORDER BY c.position, c.id LIMIT 1)").
		Where("p.id IN ?", ids).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list catalog: %w", translateError(err))
	}
	byID := make(map[int64]int, len(rows))
	for i, r := range rows {
		byID[r.ID] = i
	}
	items := make([]CatalogItem, 0, len(ids))
	for _, id := range ids {
		i, ok := byID[id]
		if !ok {
			continue
		}
		r := rows[i]
		it := r.CatalogItem
		if r.CoverID != nil {
			it.Cover = &Photo{ID: *r.CoverID, ProductID: it.ID, KeyBase: r.CoverKeyBase, Position: r.CoverPosition,
				Width: r.CoverWidth, Height: r.CoverHeight, Variants: r.CoverVariants}
			if r.CoverCreatedAt != nil {
				it.Cover.CreatedAt = *r.CoverCreatedAt
			}
		}
		items = append(items, it)
	}
	return items, nil
}

// searchResult is what a search found: the ids of the page, in order, and the number of
// results (any number above CatalogMaxResults when there are more: the count may stop at
// CatalogMaxResults+1).
type searchResult struct {
	ids   []int64
	total int64
}

// pageWindow is the page's offset and size within the first CatalogMaxResults results; ok
// is false past them.
func pageWindow(page int) (offset, limit int, ok bool) {
	offset = (page - 1) * CatalogPerPage
	limit = min(CatalogPerPage, CatalogMaxResults-offset)
	return offset, limit, limit > 0
}

// pagedRow is one row of a search page with the size of the whole result (a window count).
type pagedRow struct {
	ID    int64
	Total int64
}

// runPaged runs a search statement that ends with LIMIT @limit OFFSET @offset and whose rows
// carry the result's size. Past the last result (no row), or past CatalogMaxResults, it asks
// for the first row only, to learn the size.
func runPaged(db *gorm.DB, sql string, args map[string]any, page int) (searchResult, error) {
	var res searchResult
	offset, limit, ok := pageWindow(page)
	if !ok {
		offset, limit = 0, 1
	}
	var rows []pagedRow
	args["limit"], args["offset"] = limit, offset
	if err := db.Raw(sql, args).Scan(&rows).Error; err != nil {
		return res, fmt.Errorf("search catalog: %w", translateError(err))
	}
	if len(rows) == 0 && offset > 0 {
		args["limit"], args["offset"] = 1, 0
		if err := db.Raw(sql, args).Scan(&rows).Error; err != nil {
			return res, fmt.Errorf("search catalog: %w", translateError(err))
		}
		ok = false
	}
	if len(rows) > 0 {
		res.total = rows[0].Total
	}
	if ok {
		for _, r := range rows {
			res.ids = append(res.ids, r.ID)
		}
	}
	return res, nil
}

// searchSQLite searches the FTS5 index. The matches are read from the index newest-added
// first (FTS5 walks its rowids backwards) and checked against the filters until
// CatalogMaxResults+1 of them pass; these candidates are counted, ranked by bm25 for the
// relevance order, and paged. When they are more than CatalogMaxResults and the visitor sorts
// by date or price, the page comes from an index walk in that order that keeps the matches.
func searchSQLite(db *gorm.DB, q CatalogQuery, terms [][]string) (searchResult, error) {
	args := map[string]any{"match": ftsQuery(terms), "candidates": CatalogMaxResults + 1}
	pc, ac := catalogFilter(q, args)
	cond := pc + " AND " + ac
	rank := "0"
	if q.Sort == SortRelevance {
		rank = "-f.rank" // bm25, negative: lower is better
	}
	// CROSS JOIN keeps this join order: the FTS5 table first, read backwards up to the LIMIT,
	// never probed once per product (a prefix query would be expanded again for each probe).
	// bm25 is computed for the candidates only.
	candidates := "SELECT f.rowid AS id, " + rank + " AS rank, p.published_at AS published_at, p.price_cents AS price_cents " +
		"FROM products_fts f CROSS JOIN products p CROSS JOIN artisans a " +
		"WHERE products_fts MATCH @match AND p.id = f.rowid AND a.id = p.artisan_id AND " + cond +
		" ORDER BY f.rowid DESC LIMIT @candidates"
	sql := "SELECT id, count(*) OVER () AS total FROM (" + candidates + ") ORDER BY " + catalogOrders[q.Sort] +
		" LIMIT @limit OFFSET @offset"
	res, err := runPaged(db, sql, args, q.Page)
	if err != nil || res.total <= CatalogMaxResults || q.Sort == SortRelevance {
		return res, err
	}
	// More than CatalogMaxResults matches, in date or price order: walk that order's index
	// and keep the products the FTS5 query matches (a set built once), up to the page.
	offset, limit, ok := pageWindow(q.Page)
	if !ok {
		return searchResult{total: res.total}, nil
	}
	index, order := "products_listing_idx", "p.published_at DESC, p.id DESC"
	switch q.Sort {
	case SortPriceAsc:
		index, order = "products_price_idx", "p.price_cents ASC, p.id ASC"
	case SortPriceDesc:
		index, order = "products_price_idx", "p.price_cents DESC, p.id DESC"
	}
	walk := "SELECT p.id FROM products p INDEXED BY " + index + " JOIN artisans a ON a.id = p.artisan_id WHERE " + cond +
		" AND p.id IN (SELECT rowid FROM products_fts WHERE products_fts MATCH @match) ORDER BY " + order +
		" LIMIT @limit OFFSET @offset"
	args["limit"], args["offset"] = limit, offset
	page := searchResult{total: res.total}
	if err := db.Raw(walk, args).Pluck("id", &page.ids).Error; err != nil {
		return page, fmt.Errorf("search catalog: %w", translateError(err))
	}
	return page, nil
}

// searchPostgres searches the tsvectors. The relevance order ranks the CatalogMaxResults+1
// most recently added matches (ts_rank reads each one's vector, a few microseconds apiece); the
// other orders sort them all. A query without a match may have a typo: its words are replaced
// by the nearest words of the catalog's vocabulary (a trigram index on search_words) and
// searched again.
func searchPostgres(db *gorm.DB, q CatalogQuery, terms [][]string) (searchResult, error) {
	res, err := searchPostgresTerms(db, q, terms)
	if err != nil || res.total > 0 {
		return res, err
	}
	fixed, changed, err := correctTypos(db, terms)
	if err != nil || !changed {
		return res, err
	}
	return searchPostgresTerms(db, q, fixed)
}

// searchPostgresTerms reads the matches from product_search, the narrow copy of what a search
// needs of each product (migration 00006: a few hundred pages hold the five thousand matches
// of "zellige", which were five thousand pages of products), through its GIN index. The
// tsquery is a scalar subquery, so the planner takes its default selectivity (0.5%) and
// always reads the index: with the constant it multiplied the selectivities of the
// alternatives as if they were independent (27% for "zellige", 10% in fact) and preferred
// reading the whole table. At that selectivity, walking the primary key backwards for
// ORDER BY id DESC LIMIT (matching row after row, each one reading its vector) would not
// find its rows before the end; the limit is written in the statement, not a parameter, so
// the generic plan PostgreSQL may keep after five runs of a prepared statement knows it too.
// There is no other index on product_search, hence no other plan. The vector stays a toast
// pointer until ts_rank reads it; the artisans' condition is a list of ids computed once.
func searchPostgresTerms(db *gorm.DB, q CatalogQuery, terms [][]string) (searchResult, error) {
	args := map[string]any{}
	pc, ac := catalogFilter(q, args)
	tsq := "(SELECT " + postgresTSQuery(terms, args) + ")"
	from := " FROM product_search p WHERE p.search_tsv @@ " + tsq + " AND " + pc +
		" AND p.artisan_id = ANY (ARRAY(SELECT a.id FROM artisans a WHERE " + ac + "))"
	if q.Sort != SortRelevance {
		sql := "SELECT p.id, count(*) OVER () AS total" + from + " ORDER BY " + catalogOrders[q.Sort] +
			" LIMIT @limit OFFSET @offset"
		return runPaged(db, sql, args, q.Page)
	}
	sql := "SELECT id, count(*) OVER () AS total FROM (" +
		"SELECT id, published_at, ts_rank(search_tsv, " + tsq + ") AS rank FROM (" +
		"SELECT p.id, p.published_at, p.search_tsv" + from + " ORDER BY p.id DESC LIMIT " +
		strconv.Itoa(CatalogMaxResults+1) + ") c) r ORDER BY " + catalogOrders[SortRelevance] + " LIMIT @limit OFFSET @offset"
	return runPaged(db, sql, args, q.Page)
}

// correctTypos replaces each word of four letters or more by the most similar word of the
// catalog's vocabulary (trigram similarity of at least 0.5; the index finds those above
// pg_trgm.similarity_threshold, 0.3 by default); changed tells whether any word changed.
func correctTypos(db *gorm.DB, groups [][]string) (fixed [][]string, changed bool, err error) {
	words := make([]string, len(groups))
	rows := make([]string, len(groups))
	args := make([]any, 0, 2*len(groups))
	for i, g := range groups {
		words[i] = g[0]
		rows[i] = "(?::text, ?::int)"
		args = append(args, g[0], i)
	}
	var nearest []sql.NullString
	err = db.Raw("SELECT (SELECT s.word FROM search_words s WHERE s.word % w.q AND similarity(s.word, w.q) >= 0.5 "+
		"ORDER BY similarity(s.word, w.q) DESC, s.word LIMIT 1) AS word "+
		"FROM (VALUES "+strings.Join(rows, ", ")+") AS w (q, n) ORDER BY w.n", args...).Pluck("word", &nearest).Error
	if err != nil {
		return nil, false, fmt.Errorf("correct search words: %w", translateError(err))
	}
	for i, w := range words {
		if i < len(nearest) && nearest[i].Valid && nearest[i].String != w && utf8.RuneCountInString(w) >= 4 {
			words[i], changed = nearest[i].String, true
		}
	}
	if !changed {
		return groups, false, nil
	}
	return searchTermGroups(strings.Join(words, " ")), true, nil
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

// minPrefixRunes is the length from which a search word also matches the words it starts:
// "tap" finds "tapis", but "t" or "ma" are words of their own (as prefixes they would match
// most of the catalog, and cost as much as reading it).
const minPrefixRunes = 3

func isPrefixWord(w string) bool { return utf8.RuneCountInString(w) >= minPrefixRunes }

// ftsQuery builds an FTS5 expression: every word (any of its variants, as a prefix from
// minPrefixRunes) must match.
func ftsQuery(groups [][]string) string {
	parts := make([]string, len(groups))
	for i, g := range groups {
		alts := make([]string, len(g))
		for j, w := range g {
			alts[j] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
			if isPrefixWord(w) {
				alts[j] += "*"
			}
		}
		parts[i] = "(" + strings.Join(alts, " OR ") + ")"
	}
	return strings.Join(parts, " AND ")
}

// postgresTSQuery is the tsquery of a search, with named arguments (added to args): every word
// in the simple vector (any of its variants, as a prefix from minPrefixRunes), or the stemmed
// words in the French or English vectors.
func postgresTSQuery(groups [][]string, args map[string]any) string {
	var prefix, plain []string
	for _, g := range groups {
		alts := make([]string, len(g))
		for j, w := range g {
			alts[j] = pgLexeme(w)
			if isPrefixWord(w) {
				alts[j] += ":*"
			}
		}
		prefix = append(prefix, "("+strings.Join(alts, " | ")+")")
		plain = append(plain, g[0])
	}
	args["prefix"], args["words"] = strings.Join(prefix, " & "), strings.Join(plain, " ")
	return "(to_tsquery('simple', @prefix) || plainto_tsquery('french', @words) || plainto_tsquery('english', @words))"
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
