package models

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Load data: `souk seed --products N` fills the catalog with N generated, published products for
// benchmarks and load tests. They are spread over the verified demo artisans (and so over
// their regions) and the crafts of the demo catalog, with titles and descriptions assembled
// from word lists in French, Arabic and English, and their search text computed here, in Go, the
// same way refreshProductSearch does. They are inserted in batches of LoadBatchSize rows, with
// no photo rows: storing real objects for tens of thousands of products would take longer than
// the benchmark, and a photo row without its objects would be a broken image. The catalog shows
// its placeholder for them, and they are published in the past (up to two years back) so the
// newest-first catalog still opens on the demo products and their photos. Every run adds N more.

// LoadBatchSize is how many products one INSERT statement carries on PostgreSQL. SQLite gets
// sqliteLoadBatchSize: its driver binds parameters in time quadratic in their number per
// statement, so 1000 rows × 24 columns would spend most of the run binding.
const LoadBatchSize = 1000

const sqliteLoadBatchSize = 50

// loadChunk is how many products are generated in memory before they are written.
const loadChunk = 5 * LoadBatchSize

type tri struct{ fr, ar, en string }

// loadNouns are the kinds of pieces per craft.
var loadNouns = map[string][]tri{
	"zellige": {
		{"Table basse en zellige", "طاولة منخفضة من الزليج", "Zellige coffee table"},
		{"Panneau de zellige", "لوحة من الزليج", "Zellige panel"},
		{"Fontaine murale en zellige", "نافورة جدارية من الزليج", "Zellige wall fountain"},
		{"Vasque en zellige", "حوض من الزليج", "Zellige basin"},
		{"Plateau en zellige", "صينية من الزليج", "Zellige tray"},
	},
	"pottery": {
		{"Tajine émaillé", "طاجين مزجج", "Glazed tagine"},
		{"Assiette en faïence", "طبق من الخزف", "Earthenware plate"},
		{"Bol en céramique", "زلافة من الخزف", "Ceramic bowl"},
		{"Vase en terre cuite", "مزهرية من الطين", "Terracotta vase"},
		{"Plat à couscous", "قصعة الكسكس", "Couscous dish"},
	},
	"carpets": {
		{"Tapis Beni Ouarain", "زربية بني وراين", "Beni Ouarain rug"},
		{"Tapis Zayane", "زربية زيانية", "Zayane rug"},
		{"Hanbel tissé", "حنبل منسوج", "Woven hanbel"},
		{"Tapis de prière", "سجادة صلاة", "Prayer rug"},
		{"Tapis Boucherouite", "زربية بوشرويط", "Boucherouite rug"},
	},
	"leather": {
		{"Pouf en cuir", "بوف من الجلد", "Leather pouf"},
		{"Sacoche en cuir", "محفظة من الجلد", "Leather satchel"},
		{"Ceinture en cuir", "حزام من الجلد", "Leather belt"},
		{"Portefeuille en cuir", "حافظة نقود من الجلد", "Leather wallet"},
	},
	"wood": {
		{"Coffret en thuya", "علبة من العرعار", "Thuya box"},
		{"Boîte en cèdre", "صندوق من الأرز", "Cedar box"},
		{"Échiquier marqueté", "رقعة شطرنج مرصعة", "Inlaid chessboard"},
		{"Plateau en cèdre", "صينية من الأرز", "Cedar tray"},
	},
	"copper": {
		{"Lanterne en cuivre", "فانوس من النحاس", "Copper lantern"},
		{"Plateau en laiton", "صينية من النحاس الأصفر", "Brass tray"},
		{"Théière en métal argenté", "براد من المعدن المفضض", "Silver-plated teapot"},
		{"Vasque en cuivre martelé", "حوض من النحاس المطروق", "Hammered copper basin"},
	},
	"ironwork": {
		{"Miroir en fer forgé", "مرآة من الحديد المطروق", "Wrought-iron mirror"},
		{"Applique en fer forgé", "مصباح حائطي من الحديد المطروق", "Wrought-iron wall light"},
		{"Table en fer forgé", "طاولة من الحديد المطروق", "Wrought-iron table"},
	},
	"jewellery": {
		{"Fibule en argent", "تيزرزاي من الفضة", "Silver fibula"},
		{"Bracelet en argent", "دملج من الفضة", "Silver bracelet"},
		{"Collier en argent", "قلادة من الفضة", "Silver necklace"},
		{"Boucles d'oreilles en argent", "أقراط من الفضة", "Silver earrings"},
	},
	"embroidery": {
		{"Nappe brodée", "مفرش مائدة مطرز", "Embroidered tablecloth"},
		{"Housse de coussin brodée", "غطاء وسادة مطرز", "Embroidered cushion cover"},
		{"Serviettes brodées", "مناديل مطرزة", "Embroidered napkins"},
		{"Chemin de table brodé", "مفرش طاولة طويل مطرز", "Embroidered table runner"},
	},
	"tadelakt": {
		{"Vasque en tadelakt", "حوض من التادلاكت", "Tadelakt basin"},
		{"Lampe en tadelakt", "مصباح من التادلاكت", "Tadelakt lamp"},
		{"Porte-savon en tadelakt", "حامل صابون من التادلاكت", "Tadelakt soap dish"},
	},
	"plaster": {
		{"Panneau en plâtre sculpté", "لوحة من الجبص المنقوش", "Carved plaster panel"},
		{"Rosace en plâtre sculpté", "وردة من الجبص المنقوش", "Carved plaster rosette"},
	},
	"babouches": {
		{"Babouches en cuir", "بلغة من الجلد", "Leather babouches"},
		{"Babouches brodées", "بلغة مطرزة", "Embroidered babouches"},
	},
	"clothing": {
		{"Caftan", "قفطان", "Caftan"},
		{"Djellaba", "جلابة", "Djellaba"},
		{"Takchita", "تكشيطة", "Takchita"},
	},
}

var loadMotifs = []tri{
	{"motif étoile à huit branches", "بنقش النجمة الثمانية", "eight-point star pattern"},
	{"décor géométrique", "بزخرفة هندسية", "geometric design"},
	{"motif floral andalou", "بزخرفة نباتية أندلسية", "Andalusian floral pattern"},
	{"losanges amazighs", "بمعينات أمازيغية", "Amazigh lozenges"},
	{"rosace centrale", "بوردة مركزية", "central rosette"},
	{"entrelacs", "بتشابكات", "interlace"},
	{"rayures", "بخطوط", "stripes"},
	{"décor calligraphié", "بزخرفة خطية", "calligraphic design"},
}

var loadColours = []tri{
	{"bleu de Fès", "أزرق فاسي", "Fez blue"},
	{"vert émeraude", "أخضر زمردي", "emerald green"},
	{"rouge garance", "أحمر الفوة", "madder red"},
	{"jaune safran", "أصفر زعفراني", "saffron yellow"},
	{"ocre", "بلون المغرة", "ochre"},
	{"noir et blanc", "أسود وأبيض", "black and white"},
	{"écru", "بلون طبيعي", "ivory"},
	{"indigo", "نيلي", "indigo"},
}

var loadSizes = []tri{
	{"petit modèle", "حجم صغير", "small"},
	{"modèle moyen", "حجم متوسط", "medium"},
	{"grand modèle", "حجم كبير", "large"},
}

var loadMaterials = map[string]string{
	"zellige": "Terre cuite émaillée", "pottery": "Terre de Safi", "carpets": "Laine de brebis",
	"leather": "Cuir de chèvre tanné au végétal", "wood": "Cèdre de l'Atlas, thuya", "copper": "Cuivre, laiton",
	"ironwork": "Fer forgé", "jewellery": "Argent 925", "embroidery": "Lin, fil de soie", "tadelakt": "Chaux, savon noir",
	"plaster": "Plâtre", "babouches": "Cuir", "clothing": "Soie, laine",
}

// loadArtisan is what a generated product needs from its artisan.
type loadArtisan struct {
	ArtisanID                      int64
	BusinessName, City, RegionCode string
	RegionFR, RegionAR, RegionEN   string
	crafts                         []Craft
}

// SeedLoadProducts adds n generated, published products for benchmarks (see the comment at the
// top of this file); the demo accounts must exist. It reports the rows added and the time taken.
func SeedLoadProducts(ctx context.Context, db *gorm.DB, n int) (LoadReport, error) {
	start := time.Now()
	var report LoadReport
	if n <= 0 {
		return report, nil
	}
	artisans, err := loadArtisans(ctx, db)
	if err != nil {
		return report, err
	}
	var existing int64
	if err := db.WithContext(ctx).Model(&Product{}).Count(&existing).Error; err != nil {
		return report, fmt.Errorf("count products: %w", translateError(err))
	}
	// Seeded from the number of products so a second run generates other titles; the same
	// sequence of runs on an empty database gives the same catalog.
	rng := rand.New(rand.NewPCG(uint64(existing), 0x50_0c_e4_90)) //nolint:gosec // reproducible load data, not a secret
	now := time.Now().UTC()
	// Generating a chunk (the search text above all) costs about half as much as writing it:
	// the next chunk is generated while the previous one is written.
	chunks := make(chan []Product, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(chunks)
		for done := 0; done < n; {
			chunk := make([]Product, min(n-done, loadChunk))
			for i := range chunk {
				chunk[i] = loadProduct(rng, artisans[(done+i)%len(artisans)], now)
			}
			done += len(chunk)
			select {
			case chunks <- chunk:
			case <-stop:
				return
			}
		}
	}()
	// SQLite has one writer; PostgreSQL computes the text-search vectors and the GIN entries of
	// each row on the server, so one writer per core keeps them all busy.
	writers := 1
	if Dialect(db) == DialectPostgres {
		writers = max(1, min(runtime.NumCPU(), 4))
	}
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for chunk := range chunks {
				err := insertLoadBatch(ctx, db, chunk)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if err == nil {
					report.Products += len(chunk)
				}
				failed := firstErr != nil
				mu.Unlock()
				if failed {
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return report, firstErr
	}
	if err := AnalyzeCatalog(ctx, db); err != nil {
		return report, err
	}
	report.Elapsed = time.Since(start)
	return report, nil
}

// loadArtisans returns the verified demo artisans with the crafts of their demo products.
func loadArtisans(ctx context.Context, db *gorm.DB) ([]loadArtisan, error) {
	craftsOf := map[string][]string{}
	var slugs []string
	for _, p := range demoProducts {
		if len(craftsOf[p.ArtisanSlug]) == 0 {
			slugs = append(slugs, p.ArtisanSlug)
		}
		if !containsString(craftsOf[p.ArtisanSlug], p.CraftCode) {
			craftsOf[p.ArtisanSlug] = append(craftsOf[p.ArtisanSlug], p.CraftCode)
		}
	}
	var rows []struct {
		ID                                      int64
		Slug, BusinessName, City, RegionCode    string
		RegionFR, RegionAR, RegionEN, CraftCode string
	}
	err := db.WithContext(ctx).Table("artisans a").
		Select("a.id, a.slug, a.business_name, a.city, a.region_code, a.craft_code, "+
			"r.name_fr AS region_fr, r.name_ar AS region_ar, r.name_en AS region_en").
		Joins("JOIN regions r ON r.code = a.region_code").
		Where("a.slug IN ? AND a.status = ?", slugs, ArtisanVerified).Order("a.id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list demo artisans: %w", translateError(err))
	}
	if len(rows) == 0 {
		return nil, ErrNoDemoArtisans
	}
	crafts, err := ListCrafts(ctx, db)
	if err != nil {
		return nil, err
	}
	byCode := make(map[string]Craft, len(crafts))
	for _, c := range crafts {
		byCode[c.Code] = c
	}
	out := make([]loadArtisan, 0, len(rows))
	for _, r := range rows {
		la := loadArtisan{ArtisanID: r.ID, BusinessName: r.BusinessName, City: r.City, RegionCode: r.RegionCode,
			RegionFR: r.RegionFR, RegionAR: r.RegionAR, RegionEN: r.RegionEN}
		codes := craftsOf[r.Slug]
		if len(codes) == 0 {
			codes = []string{r.CraftCode}
		}
		for _, code := range codes {
			if c, ok := byCode[code]; ok && len(loadNouns[code]) > 0 {
				la.crafts = append(la.crafts, c)
			}
		}
		if len(la.crafts) > 0 {
			out = append(out, la)
		}
	}
	if len(out) == 0 {
		return nil, ErrNoDemoArtisans
	}
	return out, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func pickTri(rng *rand.Rand, list []tri) tri { return list[rng.IntN(len(list))] }

// loadProduct generates one published product of artisan a.
func loadProduct(rng *rand.Rand, a loadArtisan, now time.Time) Product {
	craft := a.crafts[rng.IntN(len(a.crafts))]
	noun, motif := pickTri(rng, loadNouns[craft.Code]), pickTri(rng, loadMotifs)
	colour, size := pickTri(rng, loadColours), pickTri(rng, loadSizes)
	p := Product{
		ArtisanID: a.ArtisanID, Status: ProductPublished, CraftCode: craft.Code,
		TitleFR: noun.fr + ", " + motif.fr + ", " + colour.fr,
		TitleAR: noun.ar + " " + motif.ar + "، " + colour.ar,
		TitleEN: noun.en + ", " + motif.en + ", " + colour.en,
		DescriptionFR: fmt.Sprintf("%s, %s, fait main à %s par %s. %s : pièce façonnée selon les gestes transmis de maître à apprenti ; chaque exemplaire diffère légèrement.",
			noun.fr, size.fr, a.City, a.BusinessName, craft.NameFR),
		DescriptionAR: fmt.Sprintf("%s، %s، مصنوع يدويا من طرف %s. %s: قطعة مشكلة وفق المهارات المتوارثة من المعلم إلى المتعلم؛ كل نسخة تختلف قليلا.",
			noun.ar, size.ar, a.BusinessName, craft.NameAR),
		DescriptionEN: fmt.Sprintf("%s, %s, handmade in %s by %s. %s: shaped with the skills passed from master to apprentice; no two pieces are quite alike.",
			noun.en, size.en, a.City, a.BusinessName, craft.NameEN),
		Materials: loadMaterials[craft.Code], Dimensions: size.fr,
		WeightGrams:  200 + rng.IntN(20_000),
		PriceCents:   int64(15+rng.IntN(1500)) * 100,
		PickupAtFair: true, Ships: rng.IntN(4) != 0,
	}
	switch r := rng.IntN(10); {
	case r == 0: // sold out
	case r == 1:
		p.MadeToOrder, p.LeadTimeDays = true, 7*(1+rng.IntN(8))
	case r < 5: // one of a kind
		p.Stock = 1
	default:
		p.Stock = 2 + rng.IntN(30)
	}
	published := now.Add(-time.Duration(1+rng.IntN(730*24*60)) * time.Minute)
	p.PublishedAt, p.CreatedAt, p.UpdatedAt = &published, published, published
	p.SearchFR, p.SearchAR, p.SearchEN = productSearchText(p, a.BusinessName, a.City, craft, a.RegionFR, a.RegionAR, a.RegionEN)
	return p
}

// productSearchText is the normalised search text of a product, as refreshProductSearch
// writes it (a test checks that they agree).
func productSearchText(p Product, business, city string, c Craft, regionFR, regionAR, regionEN string) (fr, ar, en string) {
	join := func(parts ...string) string { return NormalizeSearchText(strings.Join(parts, " ")) }
	return join(p.TitleFR, p.DescriptionFR, p.Materials, business, city, c.NameFR, regionFR),
		join(p.TitleAR, p.DescriptionAR, c.NameAR, regionAR),
		join(p.TitleEN, p.DescriptionEN, c.NameEN, regionEN)
}

// AnalyzeCatalog refreshes the planner's statistics after a bulk load. On PostgreSQL a VACUUM
// also moves the GIN pending lists into the indexes (searches scan pending entries one by one)
// and marks the pages all-visible. On SQLite the statistics are kept in sqlite_stat1 only: with
// the sqlite_stat4 samples, and the catalog's bound parameters, the planner sorts the whole
// catalog for the newest-first listing instead of walking products_listing_idx (170 ms instead
// of 4 ms at 50k products). SQLite connections read the statistics when they open.
func AnalyzeCatalog(ctx context.Context, db *gorm.DB) error {
	quiet := db.WithContext(ctx).Session(&gorm.Session{Logger: db.Logger.LogMode(logger.Error)}) // slow by design
	stmt := "ANALYZE"
	if Dialect(db) == DialectPostgres {
		stmt = "VACUUM (ANALYZE) products, product_photos, product_search, search_words"
	}
	if err := quiet.Exec(stmt).Error; err != nil {
		return fmt.Errorf("analyze catalog: %w", translateError(err))
	}
	// ANALYZE creates sqlite_stat4 on first use.
	if Dialect(db) == DialectSQLite && quiet.Migrator().HasTable("sqlite_stat4") {
		if err := quiet.Exec("DELETE FROM sqlite_stat4").Error; err != nil {
			return fmt.Errorf("analyze catalog: %w", translateError(err))
		}
	}
	return nil
}

func insertLoadBatch(ctx context.Context, db *gorm.DB, batch []Product) error {
	// One transaction per chunk, several rows per INSERT.
	size := LoadBatchSize
	if Dialect(db) == DialectSQLite {
		size = sqliteLoadBatchSize
	}
	err := WithTx(ctx, db, func(tx *gorm.DB) error {
		if Dialect(tx) == DialectPostgres {
			// Load data, not orders: no need to wait for the WAL flush at each commit. A larger
			// pending list lets the GIN indexes take new entries in bulk (the VACUUM at the end
			// flushes it); a flush inside an INSERT can outlast the usual statement timeout.
			for _, set := range []string{"SET LOCAL synchronous_commit = off",
				"SET LOCAL gin_pending_list_limit = 65536", "SET LOCAL statement_timeout = 300000"} {
				if err := tx.Exec(set).Error; err != nil {
					return err
				}
			}
		}
		// Statements of a thousand rows are slow by design, and too long to log: the error
		// comes back to the caller.
		quiet := tx.Session(&gorm.Session{Logger: tx.Logger.LogMode(logger.Silent)})
		return quiet.WithContext(ctx).CreateInBatches(batch, size).Error
	})
	if err != nil {
		return fmt.Errorf("insert load products: %w", translateError(err))
	}
	return nil
}
