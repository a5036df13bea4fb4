package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image/jpeg"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/storage"
	"gorm.io/gorm"
)

// exifTags walks the TIFF body of an Exif segment and returns the raw value bytes of the tags
// of IFD0 and of the GPS IFD (big-endian only, which is what the seed writes).
func exifTags(t *testing.T, tiff []byte) (ifd0, gps map[uint16][]byte) {
	t.Helper()
	be := binary.BigEndian
	if len(tiff) < 8 || string(tiff[:4]) != "MM\x00\x2a" {
		t.Fatalf("TIFF header % x", tiff[:min(8, len(tiff))])
	}
	sizes := map[uint16]int{1: 1, 2: 1, 3: 2, 4: 4, 5: 8}
	read := func(off uint32) map[uint16][]byte {
		out := map[uint16][]byte{}
		n := int(be.Uint16(tiff[off:]))
		for i := range n {
			e := int(off) + 2 + 12*i
			tag, typ, count := be.Uint16(tiff[e:]), be.Uint16(tiff[e+2:]), be.Uint32(tiff[e+4:])
			size := sizes[typ] * int(count)
			if size == 0 {
				t.Fatalf("tag %#x: type %d", tag, typ)
			}
			if size <= 4 {
				out[tag] = tiff[e+8 : e+8+size]
				continue
			}
			at := be.Uint32(tiff[e+8:])
			if int(at)+size > len(tiff) {
				t.Fatalf("tag %#x: value at %d+%d beyond %d bytes", tag, at, size, len(tiff))
			}
			out[tag] = tiff[at : int(at)+size]
		}
		if next := be.Uint32(tiff[int(off)+2+12*n:]); next != 0 {
			t.Errorf("IFD at %d links to another at %d", off, next)
		}
		return out
	}
	ifd0 = read(be.Uint32(tiff[4:]))
	ptr, ok := ifd0[0x8825]
	if !ok {
		t.Fatal("no GPS IFD pointer")
	}
	return ifd0, read(be.Uint32(ptr))
}

func dmsValue(b []byte) float64 {
	be := binary.BigEndian
	r := func(i int) float64 { return float64(be.Uint32(b[8*i:])) / float64(be.Uint32(b[8*i+4:])) }
	return r(0) + r(1)/60 + r(2)/3600
}

func TestExifTIFF(t *testing.T) {
	t.Parallel()
	ifd0, gps := exifTags(t, exifTIFF(6, 34.0608, -4.9753))
	if o := binary.BigEndian.Uint16(ifd0[0x0112]); o != 6 {
		t.Errorf("orientation %d, want 6", o)
	}
	if string(ifd0[0x010F]) != "Souk Expo\x00" || string(ifd0[0x0132]) != "2026:03:27 10:30:00\x00" {
		t.Errorf("make %q, date %q", ifd0[0x010F], ifd0[0x0132])
	}
	if string(gps[0x0001]) != "N\x00" || string(gps[0x0003]) != "W\x00" {
		t.Errorf("GPS refs %q %q, want N and W", gps[0x0001], gps[0x0003])
	}
	if lat, lon := dmsValue(gps[0x0002]), dmsValue(gps[0x0004]); math.Abs(lat-34.0608) > 1e-4 || math.Abs(lon-4.9753) > 1e-4 {
		t.Errorf("GPS %f, %f; want 34.0608 N, 4.9753 W", lat, lon)
	}
	if !bytes.Equal(gps[0x0000], []byte{2, 3, 0, 0}) {
		t.Errorf("GPS version % x", gps[0x0000])
	}
}

// TestDemoPhotoPipeline: the generated source carries EXIF with GPS and, for the second photo,
// a sideways picture with orientation 6; what the pipeline makes of it is upright, has every
// variant and no EXIF left.
func TestDemoPhotoPipeline(t *testing.T) {
	t.Parallel()
	p := models.DemoProducts()[0]
	proc := storage.NewImageProcessor(runtime.NumCPU(), storage.ImageLimits{})
	for k := range 2 {
		t.Run(fmt.Sprint("photo ", k+1), func(t *testing.T) {
			src, err := demoPhotoJPEG(p, k, 1600, workshopGPS[p.ArtisanSlug])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(src, []byte("Exif\x00\x00MM")) {
				t.Fatal("the source has no Exif segment")
			}
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(src))
			if err != nil {
				t.Fatalf("the source is not a JPEG: %v", err)
			}
			wantW, wantH := 1600, 1200
			if k == 1 {
				wantW, wantH = 1200, 1600 // stored sideways
			}
			if cfg.Width != wantW || cfg.Height != wantH {
				t.Errorf("source %d×%d, want %d×%d", cfg.Width, cfg.Height, wantW, wantH)
			}
			img, err := proc.Process(context.Background(), bytes.NewReader(src))
			if err != nil {
				t.Fatal(err)
			}
			if img.Width != 1600 || img.Height != 1200 || len(img.Variants) != 3 {
				t.Fatalf("processed %d×%d with %d variants, want upright 1600×1200 with 3", img.Width, img.Height, len(img.Variants))
			}
			for _, v := range img.Variants {
				if bytes.Contains(v.Data, []byte("Exif")) || bytes.Contains(v.Data, []byte("Souk Expo")) {
					t.Errorf("variant %s still holds EXIF", v.Name)
				}
				if v.Width <= v.Height {
					t.Errorf("variant %s is %d×%d: not upright", v.Name, v.Width, v.Height)
				}
			}
		})
	}
	// Photos of one product differ, and so do products.
	a, _ := demoPhotoJPEG(p, 0, 400, [2]float64{})
	b, _ := demoPhotoJPEG(p, 2, 400, [2]float64{})
	c, _ := demoPhotoJPEG(models.DemoProducts()[5], 0, 400, [2]float64{})
	if bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Error("generated photos repeat")
	}
}

// seedStore opens the object store the environment points at, as souk seed does.
func seedStore(t *testing.T, env map[string]string) storage.Store {
	t.Helper()
	cfg, err := loadConfig("seed", nil, envMap(env), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	st, err := openStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// parseCatalogReport reads "Demo catalog: P product(s) with N photo(s) added in …".
func parseCatalogReport(t *testing.T, stdout string) (products, photos int) {
	t.Helper()
	i := strings.Index(stdout, "Demo catalog: ")
	if i < 0 {
		t.Fatalf("no \"Demo catalog:\" line in:\n%s", stdout)
	}
	if _, err := fmt.Sscanf(stdout[i:], "Demo catalog: %d product(s) with %d photo(s) added", &products, &photos); err != nil {
		t.Fatalf("parse catalog report: %v\n%s", err, stdout)
	}
	return products, photos
}

// checkDemoCatalog checks what a demo seed leaves: enough published products across regions
// and crafts, each with at least two photos whose every variant is stored without EXIF, and
// no object without a row.
func checkDemoCatalog(t *testing.T, db *gorm.DB, st storage.Store) {
	t.Helper()
	ctx := context.Background()
	var spread struct{ Products, Regions, Crafts int }
	err := db.Table("products p").Joins("JOIN artisans a ON a.id = p.artisan_id").
		Where("p.status = ? AND a.status = ?", models.ProductPublished, models.ArtisanVerified).
		Select("count(*) AS products, count(DISTINCT a.region_code) AS regions, count(DISTINCT p.craft_code) AS crafts").
		Scan(&spread).Error
	if err != nil {
		t.Fatal(err)
	}
	if spread.Products < 30 || spread.Regions < 5 || spread.Crafts < 8 {
		t.Errorf("published: %d products in %d regions and %d crafts; want ≥ 30, ≥ 5, ≥ 8", spread.Products, spread.Regions, spread.Crafts)
	}
	var products []models.Product
	if err := db.Where("status = ?", models.ProductPublished).Find(&products).Error; err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, p := range products {
		photos, err := models.ListPhotos(ctx, db, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(photos) < 2 {
			t.Errorf("%q has %d photos, want at least 2", p.TitleFR, len(photos))
		}
		for _, ph := range photos {
			if ph.Width <= ph.Height || len(ph.VariantNames()) == 0 {
				t.Errorf("%q: photo %s is %d×%d with variants %q", p.TitleFR, ph.KeyBase, ph.Width, ph.Height, ph.Variants)
			}
			for _, key := range ph.Keys() {
				keys[key] = true
				rc, info, err := st.Open(ctx, key)
				if err != nil {
					t.Errorf("%q: object %s: %v", p.TitleFR, key, err)
					continue
				}
				data, err := io.ReadAll(rc)
				_ = rc.Close()
				if err != nil {
					t.Fatal(err)
				}
				if info.ContentType != "image/jpeg" || len(data) < 1000 {
					t.Errorf("%s: %s, %d bytes", key, info.ContentType, len(data))
				}
				if bytes.Contains(data, []byte("Exif")) {
					t.Errorf("%s holds EXIF", key)
				}
				if _, err := jpeg.DecodeConfig(bytes.NewReader(data)); err != nil {
					t.Errorf("%s is not a JPEG: %v", key, err)
				}
			}
		}
	}
	var stray []string
	err = st.List(ctx, "img/", func(o storage.ObjectInfo) error {
		if !keys[o.Key] {
			stray = append(stray, o.Key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(stray) > 0 {
		t.Errorf("%d objects without a photo row, e.g. %s", len(stray), stray[0])
	}
}

func TestSeedDemoCatalog(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, env map[string]string)
	}{
		{"sqlite and folder", nil},
		{"postgres and folder", func(t *testing.T, env map[string]string) { env["DATABASE_URL"] = postgresEnv(t)["DATABASE_URL"] }},
		{"postgres and minio", func(t *testing.T, env map[string]string) {
			minioEnv(t, env)
			env["DATABASE_URL"] = postgresEnv(t)["DATABASE_URL"]
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := sqliteEnv(t) // 320 px demo photos: every variant is checked at 1600 px above
			if tc.setup != nil {
				tc.setup(t, env)
			}
			stdout, stderr, err := runSouk(t, env, "", "seed")
			if err != nil {
				t.Fatalf("first seed: %v\n%s", err, stderr)
			}
			products, photos := parseCatalogReport(t, stdout)
			if products != len(models.DemoProducts()) || photos < 2*products {
				t.Errorf("first seed added %d products with %d photos; want %d products, ≥ 2 photos each",
					products, photos, len(models.DemoProducts()))
			}
			after1 := rowCounts(t, env)
			if after1["products"] != int64(products) || after1["product_photos"] != int64(photos) {
				t.Errorf("report says %d products, %d photos; the tables hold %d, %d",
					products, photos, after1["products"], after1["product_photos"])
			}
			db, st := openDB(t, env), seedStore(t, env)
			checkDemoCatalog(t, db, st)

			stdout, stderr, err = runSouk(t, env, "", "seed")
			if err != nil {
				t.Fatalf("second seed: %v\n%s", err, stderr)
			}
			if p, ph := parseCatalogReport(t, stdout); p != 0 || ph != 0 {
				t.Errorf("second seed added %d products, %d photos", p, ph)
			}
			if diff := diffCounts(after1, rowCounts(t, env)); diff != "" {
				t.Errorf("row counts changed on the second seed:\n%s", diff)
			}
			checkDemoCatalog(t, db, st) // and no object was added

			// The catalog finds the demo pieces in every language.
			for q, want := range map[string]string{"zellige": "zellige", "زليج": "zellige", "cedre": "wood", "tagine": "pottery"} {
				page, err := models.SearchCatalog(context.Background(), db, models.CatalogQuery{Q: q})
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, it := range page.Items {
					found = found || it.CraftCode == want
				}
				if !found {
					t.Errorf("search %q: %d results, none of craft %s", q, page.Total, want)
				}
			}
		})
	}
}

func TestSeedLoadProductsCommand(t *testing.T) {
	eachDialect(t, func(t *testing.T, env map[string]string) {
		stdout, stderr, err := runSouk(t, env, "", "seed", "--products", "500")
		if err != nil {
			t.Fatalf("seed --products 500: %v\n%s", err, stderr)
		}
		var n int
		var rest string
		i := strings.Index(stdout, "Load data: ")
		if i < 0 {
			t.Fatalf("no \"Load data:\" line:\n%s", stdout)
		}
		if _, err := fmt.Sscanf(stdout[i:], "Load data: %d product(s) added in %s", &n, &rest); err != nil || n != 500 {
			t.Fatalf("load line %q: %d, %v", stdout[i:], n, err)
		}
		if !strings.Contains(stdout[i:], "rows/s)") {
			t.Errorf("the load line gives no rate: %q", stdout[i:])
		}
		demo := int64(len(models.DemoProducts()))
		db := openDB(t, env)
		page, err := models.SearchCatalog(context.Background(), db, models.CatalogQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != demo+500 {
			t.Errorf("catalog holds %d products, want %d demo + 500", page.Total, demo)
		}
		// The newest products are the demo ones, with their photos.
		for _, it := range page.Items {
			if it.Cover == nil {
				t.Errorf("first page shows %q without a cover: load products must be older", it.TitleFR)
				break
			}
		}
		// A second run adds 500 more: the documented behaviour of --products.
		if _, stderr, err := runSouk(t, env, "", "seed", "--products=500"); err != nil {
			t.Fatalf("second seed --products: %v\n%s", err, stderr)
		}
		if n := countRows(t, env, &models.Product{}); n != demo+1000 {
			t.Errorf("%d products after two runs, want %d", n, demo+1000)
		}
	})
}

func TestSeedFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"photo width too small", []string{"seed", "--photo-width", "100"}, nil, "photo width out of range"},
		{"photo width too large", []string{"seed", "--photo-width=9000"}, nil, "photo width out of range"},
		{"negative products", []string{"seed", "--products", "-5"}, nil, "--products -5"},
		{"products not a number", []string{"seed"}, map[string]string{"SOUK_SEED_PRODUCTS": "lots"}, `SOUK_SEED_PRODUCTS "lots" is not a whole number`},
		{"photo width not a number", []string{"seed"}, map[string]string{"SOUK_SEED_PHOTO_WIDTH": "wide"}, `SOUK_SEED_PHOTO_WIDTH "wide"`},
		{"help lists the flags", []string{"seed", "-h"}, nil, "help requested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := sqliteEnv(t)
			for k, v := range tt.env {
				env[k] = v
			}
			_, stderr, err := runSouk(t, env, "", tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if tt.name == "help lists the flags" {
				for _, w := range []string{"-products", "SOUK_SEED_PRODUCTS", "-photo-width", "SOUK_SEED_PHOTO_WIDTH"} {
					if !strings.Contains(stderr, w) {
						t.Errorf("help does not mention %s:\n%s", w, stderr)
					}
				}
			}
			if n := countRows(t, env, &models.User{}); n != 0 {
				t.Errorf("%d accounts created by a refused seed", n)
			}
		})
	}
}
