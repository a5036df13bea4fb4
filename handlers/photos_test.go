package handlers

// Photos in the studio, on the folder store always and on a real MinIO when TEST_S3_* are set
// (skipped with a message otherwise, failed under SOUK_REQUIRE_SERVICES=1): the upload pipeline
// end to end (EXIF/GPS gone, portrait upright, three variants, original never stored), every
// refusal with its message and nothing left behind, the ten-photo limit, an object store that is
// down or hangs, who may fetch a photo under /media, the gallery editor, the workshop photo and
// the sweep of orphaned objects.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/models/dbtest"
	"github.com/soukexpo/souk/storage"
	"gorm.io/gorm"
)

// newStudioTestApp is an instance over db (SQLite when nil) and store, with the production
// body limit so uploads reach the pipeline.
func newStudioTestApp(t testing.TB, db *gorm.DB, store storage.Store) *testApp {
	t.Helper()
	if db == nil {
		db = dbtest.SQLite(t)
	}
	h, err := New(Deps{DB: db, Store: store, Logger: dbtest.Logger(), Config: Config{BaseURL: "http://example.com", BodyLimit: 64 << 20}})
	if err != nil {
		t.Fatalf("new handlers: %v", err)
	}
	return &testApp{t: t, h: h, app: h.App(), db: db}
}

func diskStore(t testing.TB) storage.Store {
	t.Helper()
	s, err := storage.New(context.Background(), storage.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("open disk store: %v", err)
	}
	return s
}

// minioStore opens a fresh bucket on the TEST_S3_* server, emptied and removed after the test.
func minioStore(t testing.TB) storage.Store {
	t.Helper()
	env := dbtest.RequireEnv(t, "TEST_S3_ENDPOINT", "TEST_S3_ACCESS_KEY", "TEST_S3_SECRET_KEY")
	bucket := "souk-h-" + strings.ToLower(rand.Text()[:14])
	ssl := os.Getenv("TEST_S3_USE_SSL") == "1"
	s, err := storage.New(context.Background(), storage.Config{Endpoint: env[0], AccessKey: env[1], SecretKey: env[2], Bucket: bucket, UseSSL: ssl})
	if err != nil {
		t.Fatalf("open minio store: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, k := range listKeys(t, s, "") {
			_ = s.Delete(ctx, k)
		}
		_ = s.Close()
		cl, err := minio.New(env[0], &minio.Options{Creds: credentials.NewStaticV4(env[1], env[2], ""), Secure: ssl})
		if err == nil {
			_ = cl.RemoveBucket(ctx, bucket)
		}
	})
	return s
}

// eachStore runs fn on the folder store and on MinIO.
func eachStore(t *testing.T, fn func(t *testing.T, store storage.Store)) {
	t.Helper()
	t.Run("disk", func(t *testing.T) { fn(t, diskStore(t)) })
	t.Run("minio", func(t *testing.T) { fn(t, minioStore(t)) })
}

func listKeys(t testing.TB, s storage.Store, prefix string) []string {
	t.Helper()
	var keys []string
	if err := s.List(context.Background(), prefix, func(o storage.ObjectInfo) error {
		keys = append(keys, o.Key)
		return nil
	}); err != nil {
		t.Fatalf("list %q: %v", prefix, err)
	}
	return keys
}

// ---- test images ----

var (
	red    = color.RGBA{220, 20, 20, 255}
	green  = color.RGBA{20, 180, 20, 255}
	blue   = color.RGBA{20, 20, 220, 255}
	yellow = color.RGBA{230, 220, 20, 255}
)

// quadrants is a w×h image: red, green on top; blue, yellow below.
func quadrants(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := red
			switch {
			case x >= w/2 && y < h/2:
				c = green
			case x < w/2 && y >= h/2:
				c = blue
			case x >= w/2 && y >= h/2:
				c = yellow
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

func encodeJPEG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func smallJPEG(t testing.TB) []byte { return encodeJPEG(t, quadrants(400, 300)) }

// gpsCanary must never reach a stored object.
const gpsCanary = "SOUK-STUDIO-GPS-34.0209N-6.8416W"

// exifPayload is an APP1 Exif payload (little-endian TIFF) whose IFD0 holds Orientation and a
// pointer to a GPS IFD with a latitude reference and a map datum carrying gpsCanary.
func exifPayload(orient uint16) []byte {
	le := binary.LittleEndian
	entry := func(b []byte, tag, typ uint16, count uint32, value []byte) []byte {
		b = le.AppendUint16(b, tag)
		b = le.AppendUint16(b, typ)
		b = le.AppendUint32(b, count)
		v := make([]byte, 4)
		copy(v, value)
		return append(b, v...)
	}
	const ifd0Len = 2 + 2*12 + 4
	gpsOff := 8 + ifd0Len
	dataOff := gpsOff + 2 + 2*12 + 4
	b := []byte{'I', 'I', 42, 0, 8, 0, 0, 0}
	b = le.AppendUint16(b, 2)
	b = entry(b, 0x0112, 3, 1, le.AppendUint16(nil, orient))
	b = entry(b, 0x8825, 4, 1, le.AppendUint32(nil, uint32(gpsOff)))
	b = le.AppendUint32(b, 0)
	b = le.AppendUint16(b, 2)
	b = entry(b, 0x0001, 2, 2, []byte("N\x00"))
	b = entry(b, 0x0012, 2, uint32(len(gpsCanary)+1), le.AppendUint32(nil, uint32(dataOff)))
	b = le.AppendUint32(b, 0)
	b = append(b, gpsCanary+"\x00"...)
	return append([]byte("Exif\x00\x00"), b...)
}

// withSegments inserts JPEG marker segments right after SOI, where cameras write them.
func withSegments(jpg []byte, segs ...[]byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

func segment(marker byte, payload []byte) []byte {
	return append([]byte{0xFF, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}, payload...)
}

// phonePhoto is what a phone held upright writes: landscape pixels (w×h) with Orientation=6,
// GPS in Exif and in XMP.
func phonePhoto(t testing.TB, w, h int) []byte {
	t.Helper()
	xmp := []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><rdf:Description exif:GPSLatitude=\"" + gpsCanary + "\"/></x:xmpmeta>")
	return withSegments(encodeJPEG(t, quadrants(w, h)), segment(0xE1, exifPayload(6)), segment(0xE1, xmp))
}

// pngHeader is a PNG signature and IHDR declaring w×h pixels, and nothing else.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(ihdr)))
	chunk = append(chunk, "IHDR"...)
	chunk = append(chunk, ihdr...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32IEEE(append([]byte("IHDR"), ihdr...)))
	return append([]byte("\x89PNG\r\n\x1a\n"), chunk...)
}

func crc32IEEE(b []byte) uint32 {
	crc := ^uint32(0)
	for _, c := range b {
		crc ^= uint32(c)
		for range 8 {
			if crc&1 == 1 {
				crc = crc>>1 ^ 0xEDB88320
			} else {
				crc >>= 1
			}
		}
	}
	return ^crc
}

// heicHeader is the start of an iPhone HEIC file.
func heicHeader() []byte {
	b := []byte{0, 0, 0, 24}
	b = append(b, "ftypheic"...)
	b = append(b, 0, 0, 0, 0)
	b = append(b, "mif1heic"...)
	return append(b, bytes.Repeat([]byte{0}, 200)...)
}

// ---- helpers over the studio ----

// photoSetup is an artisan with a profile and a draft product, on its own app.
type photoSetup struct {
	a       *testApp
	c       *client
	user    models.User
	artisan models.Artisan
	product int64
}

func newPhotoSetup(t *testing.T, db *gorm.DB, store storage.Store) *photoSetup {
	t.Helper()
	a := newStudioTestApp(t, db, store)
	c, u := a.studioArtisan(fmt.Sprintf("photos-%d@example.ma", studioSeq.Add(1)), true)
	return &photoSetup{a: a, c: c, user: u, artisan: artisanOf(t, a.db, u.ID), product: c.newProduct(productForm())}
}

func (s *photoSetup) photosURL() string { return fmt.Sprintf("/studio/products/%d/photos", s.product) }

func (s *photoSetup) productURL() string { return fmt.Sprintf("/studio/products/%d", s.product) }

// uploadJSON sends files like upload.js does and decodes the report.
func (s *photoSetup) uploadJSON(t *testing.T, lang string, files ...testFile) (int, uploadReport) {
	t.Helper()
	token := s.c.csrf(s.productURL() + "?lang=" + lang)
	resp, body := s.c.upload(s.photosURL(), token, "photos", files, true)
	var r uploadReport
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("upload answer is not JSON (%d): %.300s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("upload answer Content-Type %q", ct)
	}
	return resp.StatusCode, r
}

func (s *photoSetup) photos(t testing.TB) []models.Photo {
	t.Helper()
	ph, err := models.ListPhotos(context.Background(), s.a.db, s.product)
	if err != nil {
		t.Fatal(err)
	}
	return ph
}

var variantKey = regexp.MustCompile(`^img/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-(320|800|1600)\.jpg$`)

// near tells whether two colours are close (JPEG is lossy).
func near(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	d := func(x uint32, y uint8) int { v := int(x>>8) - int(y); return v * v }
	return d(r, want.R)+d(g, want.G)+d(b, want.B) < 60*60
}

func TestPhotoUploadPipeline(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		eachStore(t, func(t *testing.T, store storage.Store) {
			s := newPhotoSetup(t, db, store)
			original := phonePhoto(t, 2000, 1600)

			// Without JavaScript: a normal form post, redirected back with a flash.
			resp, _ := s.c.upload(s.photosURL(), s.c.csrf(s.productURL()), "photos", []testFile{{name: "IMG_2041.jpg", data: original}}, false)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != s.productURL()+"#photos" {
				t.Fatalf("upload: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if text := s.c.follow(resp); !strings.Contains(text, s.a.msg("fr", "FlashPhotosAdded")) {
				t.Error("no flash after the upload")
			}
			photos := s.photos(t)
			if len(photos) != 1 {
				t.Fatalf("%d photo rows, want 1", len(photos))
			}
			ph := photos[0]
			if ph.Variants != "320,800,1600" || ph.Width != 1600 || ph.Height != 2000 {
				t.Errorf("photo row: variants %q, %dx%d; want 320,800,1600 and 1600x2000 (upright)", ph.Variants, ph.Width, ph.Height)
			}
			keys := listKeys(t, store, "img/")
			if len(keys) != 3 {
				t.Fatalf("objects under img/: %v, want the 3 variants", keys)
			}
			for _, k := range keys {
				if !variantKey.MatchString(k) || models.PhotoKeyBase(k) != ph.KeyBase {
					t.Errorf("object key %q: not a server-made variant key of %s", k, ph.KeyBase)
				}
			}

			for _, k := range keys {
				resp, body := s.c.get("/media/" + k)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("owner GET /media/%s: %d", k, resp.StatusCode)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "image/jpeg" {
					t.Errorf("/media/%s Content-Type %q", k, ct)
				}
				if cc := resp.Header.Get("Cache-Control"); cc != "private, no-store" {
					t.Errorf("/media/%s of a draft: Cache-Control %q, want private, no-store", k, cc)
				}
				b := []byte(body)
				for _, bad := range []string{"Exif", gpsCanary, "xmpmeta", "GPS"} {
					if bytes.Contains(b, []byte(bad)) {
						t.Errorf("/media/%s contains %q", k, bad)
					}
				}
				if bytes.Equal(b, original) {
					t.Errorf("/media/%s serves the original bytes", k)
				}
				img, err := jpeg.Decode(bytes.NewReader(b))
				if err != nil {
					t.Fatalf("decode /media/%s: %v", k, err)
				}
				w, h := img.Bounds().Dx(), img.Bounds().Dy()
				if w >= h {
					t.Errorf("/media/%s is %dx%d: not upright (portrait)", k, w, h)
				}
				// Orientation 6: turned a quarter clockwise, the top-left of the file (red) is
				// now top-right, its bottom-left (blue) top-left.
				if tl, tr := img.At(w/4, h/4), img.At(3*w/4, h/4); !near(tl, blue) || !near(tr, red) {
					t.Errorf("/media/%s: top-left %v, top-right %v; want blue and red", k, tl, tr)
				}
			}

			// With JavaScript: JSON per file.
			code, r := s.uploadJSON(t, "ar", testFile{name: "atelier.jpg", data: smallJPEG(t)})
			if code != http.StatusOK || len(r.Files) != 1 || !r.Files[0].OK || r.Files[0].PhotoID == 0 || r.Files[0].Message != s.a.msg("ar", "PhotoAdded") {
				t.Errorf("JSON upload: %d %+v", code, r)
			}
			if !strings.HasPrefix(r.Files[0].Thumb, "/media/img/") {
				t.Errorf("JSON thumb %q", r.Files[0].Thumb)
			}
			if n := len(listKeys(t, store, "img/")); n != 4 { // a 400 px photo has one variant
				t.Errorf("%d objects after a second (small) photo, want 4", n)
			}
		})
	})
}

func TestPhotoUploadRefusals(t *testing.T) {
	eachStore(t, func(t *testing.T, store storage.Store) {
		s := newPhotoSetup(t, nil, store)
		huge := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 30<<20)...)
		truncated := smallJPEG(t)
		truncated = truncated[:len(truncated)/3]
		tests := []struct {
			name string
			file testFile
			msg  string
		}{
			{"HTML renamed .jpg", testFile{"photo.jpg", []byte("<!doctype html><html><body><script>alert(document.cookie)</script></body></html>")}, "PhotoNotImage"},
			{"SVG", testFile{"logo.png", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>`)}, "PhotoNotImage"},
			{"GIF", testFile{"anim.gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")}, "PhotoNotImage"},
			{"empty file", testFile{"vide.jpg", nil}, "PhotoNotImage"},
			{"60000x60000 PNG header", testFile{"flood.png", pngHeader(60000, 60000)}, "PhotoTooManyPixels"},
			{"30 MB file", testFile{"enorme.jpg", huge}, "PhotoTooLarge"},
			{"HEIC", testFile{"IMG_0001.HEIC", heicHeader()}, "PhotoHEIC"},
			{"truncated JPEG", testFile{"coupee.jpg", truncated}, "PhotoCorrupt"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for _, lang := range []string{"fr", "ar", "en"} {
					if lang != "fr" && tt.msg != "PhotoHEIC" && tt.msg != "PhotoTooLarge" {
						continue
					}
					code, r := s.uploadJSON(t, lang, tt.file)
					if code != http.StatusUnprocessableEntity {
						t.Errorf("%s: %d, want 422", lang, code)
					}
					if len(r.Files) != 1 || r.Files[0].OK || r.Files[0].Message != s.a.msg(lang, tt.msg) || r.Files[0].Name != tt.file.name {
						t.Errorf("%s: report %+v, want %s for %s", lang, r, tt.msg, tt.file.name)
					}
				}
				if n := len(s.photos(t)); n != 0 {
					t.Errorf("%d photo rows after a refusal", n)
				}
				if keys := listKeys(t, store, "img/"); len(keys) != 0 {
					t.Errorf("objects left after a refusal: %v", keys)
				}
			})
		}

		// Without JavaScript, several files at once: the good one is added, the others are
		// listed with their reason above the gallery (no redirect, status 422).
		resp, body := s.c.upload(s.photosURL(), s.c.csrf(s.productURL()+"?lang=fr"), "photos", []testFile{
			{name: "bonne.jpg", data: smallJPEG(t)}, {name: "IMG_0002.HEIC", data: heicHeader()}, {name: "../../etc/passwd.jpg", data: []byte("root:x:0:0")},
		}, false)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("mixed upload: %d, want 422", resp.StatusCode)
		}
		text := pageText(body)
		for _, want := range []string{s.a.msg("fr", "PhotoHEIC"), "IMG_0002.HEIC", s.a.msg("fr", "PhotoNotImage"), "passwd.jpg", s.a.msg("fr", "PhotoAdded")} {
			if !strings.Contains(text, want) {
				t.Errorf("upload report lacks %q", want)
			}
		}
		if strings.Contains(text, "../") {
			t.Error("the report echoes a path, not a file name")
		}
		if n := len(s.photos(t)); n != 1 {
			t.Errorf("%d photo rows after the mixed upload, want 1", n)
		}
		if n := len(listKeys(t, store, "img/")); n != 1 {
			t.Errorf("%d objects after the mixed upload, want 1 (one small variant)", n)
		}
		// No file at all.
		resp, _ = s.c.upload(s.photosURL(), s.c.csrf(s.productURL()), "photos", nil, false)
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(s.c.follow(resp), s.a.msg("fr", "PhotoChooseFile")) {
			t.Errorf("upload without a file: %d", resp.StatusCode)
		}
	})
}

func TestPhotoLimit(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		store := diskStore(t)
		s := newPhotoSetup(t, db, store)
		for range models.MaxPhotosPerProduct - 1 {
			addFakePhoto(t, db, s.artisan.ID, s.product)
		}
		// Two files for the one place left: the first is added, the second refused.
		code, r := s.uploadJSON(t, "fr", testFile{name: "dixieme.jpg", data: smallJPEG(t)}, testFile{name: "onzieme.jpg", data: smallJPEG(t)})
		if code != http.StatusUnprocessableEntity || len(r.Files) != 2 || !r.Files[0].OK || r.Files[1].OK || r.Files[1].Message != s.a.msg("fr", "PhotoLimit") {
			t.Fatalf("10th and 11th: %d %+v", code, r)
		}
		objects := listKeys(t, store, "img/")
		// The 11th alone.
		code, r = s.uploadJSON(t, "en", testFile{name: "eleventh.jpg", data: smallJPEG(t)})
		if code != http.StatusUnprocessableEntity || len(r.Files) != 1 || r.Files[0].Message != s.a.msg("en", "PhotoLimit") {
			t.Errorf("11th: %d %+v", code, r)
		}
		if !strings.Contains(s.a.msg("en", "PhotoLimit"), "10 photos") {
			t.Errorf("the limit message does not say 10 photos: %q", s.a.msg("en", "PhotoLimit"))
		}
		if n := len(s.photos(t)); n != models.MaxPhotosPerProduct {
			t.Errorf("%d photos, want %d", n, models.MaxPhotosPerProduct)
		}
		if after := listKeys(t, store, "img/"); !slices.Equal(after, objects) {
			t.Errorf("the refused 11th photo left objects: %v → %v", objects, after)
		}
		// Two uploads racing for the last place of another product: exactly one wins, and the
		// loser's objects are deleted whichever check refused it.
		race := newPhotoSetup(t, db, diskStore(t))
		for range models.MaxPhotosPerProduct - 1 {
			addFakePhoto(t, db, race.artisan.ID, race.product)
		}
		token := race.c.csrf(race.productURL())
		reqs := make([]*http.Request, 2)
		for i := range reqs {
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			fw, _ := w.CreateFormFile("photos", fmt.Sprintf("course-%d.jpg", i))
			_, _ = fw.Write(smallJPEG(t))
			_ = w.Close()
			reqs[i] = httptest.NewRequest(http.MethodPost, race.photosURL(), &buf)
			reqs[i].Header.Set("Content-Type", w.FormDataContentType())
			reqs[i].Header.Set("Accept", "application/json")
			reqs[i].Header.Set("X-Csrf-Token", token)
			for _, ck := range race.c.jar.Cookies(base) {
				reqs[i].AddCookie(ck)
			}
		}
		codes := make(chan int, len(reqs))
		for _, req := range reqs {
			go func() {
				resp, err := race.a.app.Test(req, 20_000)
				if err != nil {
					codes <- 0
					return
				}
				_ = resp.Body.Close()
				codes <- resp.StatusCode
			}()
		}
		got := []int{<-codes, <-codes}
		slices.Sort(got)
		if !slices.Equal(got, []int{http.StatusOK, http.StatusUnprocessableEntity}) {
			t.Errorf("racing uploads: %v, want one 200 and one 422", got)
		}
		if n := len(race.photos(t)); n != models.MaxPhotosPerProduct {
			t.Errorf("after the race: %d photos", n)
		}
		if n := len(listKeys(t, race.a.h.store, "img/")); n != 1 {
			t.Errorf("after the race: %d objects, want the one variant of the winner", n)
		}

		_, body := s.c.get(s.productURL() + "?lang=fr")
		if strings.Contains(body, `name="photos"`) {
			t.Error("a full gallery still offers the upload form")
		}
		if full := s.a.h.tr.localize("fr", "StudioPhotosFull", nil, map[string]any{"Max": 10}); !strings.Contains(pageText(body), full) {
			t.Errorf("a full gallery does not say so (%q)", full)
		}
	})
}

// fakeS3Server answers 200 to everything (enough for storage.New to accept it), or hangs.
type fakeS3Server struct {
	hang atomic.Bool
	stop chan struct{}
}

func (f *fakeS3Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.hang.Load() {
		select {
		case <-r.Context().Done():
		case <-f.stop:
		}
		return
	}
	w.WriteHeader(http.StatusOK)
}

// TestPhotoUploadWhenStoreIsDown (F3): a MinIO store whose endpoint is a closed port, or a
// server that accepts and never answers: the upload answers 503 with the clear message within a
// few seconds, no row is written, and the studio pages still render.
func TestPhotoUploadWhenStoreIsDown(t *testing.T) {
	for _, mode := range []string{"closed port", "hanging server"} {
		t.Run(mode, func(t *testing.T) {
			fake := &fakeS3Server{stop: make(chan struct{})}
			srv := httptest.NewServer(fake)
			defer func() { close(fake.stop); srv.Close() }()
			store, err := storage.New(context.Background(), storage.Config{
				Endpoint: strings.TrimPrefix(srv.URL, "http://"), AccessKey: "souk", SecretKey: "soukSecret",
				Bucket: "souk-down", Region: "us-east-1", Timeout: time.Second,
			})
			if err != nil {
				t.Fatalf("open store on the fake server: %v", err)
			}
			defer func() { _ = store.Close() }()
			if mode == "closed port" {
				srv.Close() // the endpoint is now a closed port
			} else {
				fake.hang.Store(true)
			}
			s := newPhotoSetup(t, nil, store)

			start := time.Now()
			code, r := s.uploadJSON(t, "fr", testFile{name: "a.jpg", data: smallJPEG(t)}, testFile{name: "b.jpg", data: smallJPEG(t)})
			if d := time.Since(start); d > 15*time.Second { // guard: a dead store must not hold an upload until the request timeout
				t.Errorf("upload with the store down took %v", d)
			}
			if code != http.StatusServiceUnavailable || r.Message != s.a.msg("fr", "PhotoStoreUnavailable") {
				t.Errorf("JSON upload: %d %q, want 503 %q", code, r.Message, s.a.msg("fr", "PhotoStoreUnavailable"))
			}
			if len(r.Files) != 2 || r.Files[0].Message != s.a.msg("fr", "PhotoStoreUnavailable") || r.Files[1].Message != s.a.msg("fr", "PhotoNotTried") {
				t.Errorf("per-file report: %+v", r.Files)
			}
			resp, body := s.c.upload(s.photosURL(), s.c.csrf(s.productURL()+"?lang=ar"), "photos", []testFile{{name: "c.jpg", data: smallJPEG(t)}}, false)
			if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(pageText(body), s.a.msg("ar", "PhotoStoreUnavailable")) {
				t.Errorf("form upload: %d, message missing", resp.StatusCode)
			}
			if n := countRows(t, s.a.db, "product_photos"); n != 0 {
				t.Errorf("%d photo rows with the store down", n)
			}
			for _, path := range []string{s.productURL(), "/studio/products", "/studio"} {
				if resp, _ := s.c.get(path); resp.StatusCode != http.StatusOK {
					t.Errorf("GET %s with the store down: %d", path, resp.StatusCode)
				}
			}
		})
	}
}

// TestMediaAccess (B5): who may fetch the bytes of a photo.
func TestMediaAccess(t *testing.T) {
	eachDB(t, func(t *testing.T, db *gorm.DB) {
		store := diskStore(t)
		s := newPhotoSetup(t, db, store)
		if code, r := s.uploadJSON(t, "fr", testFile{name: "p.jpg", data: encodeJPEG(t, quadrants(900, 600))}); code != http.StatusOK {
			t.Fatalf("upload: %d %+v", code, r)
		}
		key := s.photos(t)[0].Key("800")
		a := s.a
		clients := map[string]*client{"anonymous": a.client(), "owner": s.c}
		other, _ := a.studioArtisan("autre-artisan@example.ma", true)
		clients["other artisan"] = other
		for _, who := range []struct {
			name   string
			role   models.Role
			region string
		}{{"visitor", models.RoleVisitor, ""}, {"organizer", models.RoleOrganizer, ""}, {"agent FM", models.RoleChamber, "FM"}, {"agent MS", models.RoleChamber, "MS"}} {
			email := fmt.Sprintf("media-%d@example.ma", studioSeq.Add(1))
			if _, err := models.CreateUser(context.Background(), db, models.NewUser{Email: email, Name: who.name, Password: testPassword, Role: who.role, RegionCode: who.region}); err != nil {
				t.Fatal(err)
			}
			c := a.client()
			c.login(email, testPassword)
			clients[who.name] = c
		}
		check := func(stage string, want map[string]int, cache string) {
			t.Helper()
			for name, code := range want {
				resp, body := clients[name].get("/media/" + key)
				if resp.StatusCode != code {
					t.Errorf("%s: %s GET /media/%s: %d, want %d", stage, name, key, resp.StatusCode, code)
				}
				if code == http.StatusOK && resp.Header.Get("Cache-Control") != cache {
					t.Errorf("%s: %s: Cache-Control %q, want %q", stage, name, resp.Header.Get("Cache-Control"), cache)
				}
				if code == http.StatusNotFound && strings.Contains(body, "\xff\xd8") {
					t.Errorf("%s: %s got image bytes with a 404", stage, name)
				}
			}
		}
		check("draft product, unverified artisan", map[string]int{
			"anonymous": 404, "visitor": 404, "other artisan": 404, "agent MS": 404,
			"owner": 200, "agent FM": 200, "organizer": 200,
		}, "private, no-store")

		// Published but the artisan is not verified yet: still private.
		if err := models.SetProductStatus(context.Background(), db, s.artisan.ID, s.product, models.ProductPublished); err != nil {
			t.Fatal(err)
		}
		check("published, unverified", map[string]int{"anonymous": 404, "owner": 200}, "private, no-store")

		verifyArtisan(t, a, s.artisan, true, "")
		check("published, verified", map[string]int{"anonymous": 200, "visitor": 200, "other artisan": 200, "owner": 200}, "public, max-age=31536000, immutable")

		// Unpublished again: private again.
		if err := models.SetProductStatus(context.Background(), db, s.artisan.ID, s.product, models.ProductDraft); err != nil {
			t.Fatal(err)
		}
		check("back to draft", map[string]int{"anonymous": 404, "other artisan": 404, "owner": 200}, "private, no-store")

		// A stored object no row points to is never served.
		orphan := storage.NewKey("img", "") + "-800.jpg"
		if err := store.Put(context.Background(), orphan, bytes.NewReader([]byte{0xff, 0xd8, 0xff}), 3, "image/jpeg"); err != nil {
			t.Fatal(err)
		}
		if resp, _ := s.c.get("/media/" + orphan); resp.StatusCode != http.StatusNotFound {
			t.Errorf("orphan object: %d, want 404", resp.StatusCode)
		}
	})
}

func TestPhotoGalleryEditor(t *testing.T) {
	eachStore(t, func(t *testing.T, store storage.Store) {
		s := newPhotoSetup(t, nil, store)
		for i := range 3 {
			if code, r := s.uploadJSON(t, "fr", testFile{name: fmt.Sprintf("%d.jpg", i), data: smallJPEG(t)}); code != http.StatusOK {
				t.Fatalf("upload %d: %d %+v", i, code, r)
			}
		}
		order := func() []int64 {
			var ids []int64
			for _, p := range s.photos(t) {
				ids = append(ids, p.ID)
			}
			return ids
		}
		ids := order()
		post := func(path string, form url.Values) *http.Response {
			t.Helper()
			resp, body := s.c.post(path, s.c.withToken(s.productURL(), form))
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("POST %s: %d %.300s", path, resp.StatusCode, pageText(body))
			}
			return resp
		}
		// Cover.
		post(fmt.Sprintf("%s/%d/cover", s.photosURL(), ids[2]), nil)
		if got := order(); !slices.Equal(got, []int64{ids[2], ids[0], ids[1]}) {
			t.Errorf("after cover: %v", got)
		}
		// Move buttons (no JavaScript).
		post(s.photosURL()+"/order", url.Values{"photo": {fmt.Sprint(ids[1])}, "dir": {"up"}})
		if got := order(); !slices.Equal(got, []int64{ids[2], ids[1], ids[0]}) {
			t.Errorf("after moving up: %v", got)
		}
		post(s.photosURL()+"/order", url.Values{"photo": {fmt.Sprint(ids[2])}, "dir": {"down"}})
		if got := order(); !slices.Equal(got, []int64{ids[1], ids[2], ids[0]}) {
			t.Errorf("after moving down: %v", got)
		}
		// The whole order at once.
		post(s.photosURL()+"/order", url.Values{"ids": {fmt.Sprint(ids[0]), fmt.Sprint(ids[1]), fmt.Sprint(ids[2])}})
		if got := order(); !slices.Equal(got, ids) {
			t.Errorf("after ids: %v", got)
		}
		// An order that is not exactly the gallery is refused.
		resp, _ := s.c.post(s.photosURL()+"/order", s.c.withToken(s.productURL(), url.Values{"ids": {fmt.Sprint(ids[0])}}))
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("partial order: %d, want 409", resp.StatusCode)
		}
		// Publish, then delete every photo: the row and objects go, and the last deletion
		// takes the product back to draft.
		if err := models.SetProductStatus(context.Background(), s.a.db, s.artisan.ID, s.product, models.ProductPublished); err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			resp := post(fmt.Sprintf("%s/%d/delete", s.photosURL(), id), nil)
			text := s.c.follow(resp)
			if !strings.Contains(text, s.a.msg("fr", "FlashPhotoDeleted")) {
				t.Errorf("delete %d: no flash", id)
			}
			if last := i == len(ids)-1; last != strings.Contains(text, s.a.msg("fr", "FlashProductBackToDraft")) {
				t.Errorf("delete %d (last=%v): back-to-draft notice wrong", id, last)
			}
			if n := len(listKeys(t, store, "img/")); n != len(ids)-1-i {
				t.Errorf("after deleting %d photos: %d objects", i+1, n)
			}
		}
		if p, _ := models.GetOwnProduct(context.Background(), s.a.db, s.artisan.ID, s.product); p.Status != models.ProductDraft {
			t.Errorf("product without photos is %s", p.Status)
		}
		if resp, _ := s.c.post(fmt.Sprintf("%s/%d/delete", s.photosURL(), ids[0]), s.c.withToken(s.productURL(), nil)); resp.StatusCode != http.StatusNotFound {
			t.Errorf("deleting a deleted photo: %d, want 404", resp.StatusCode)
		}
	})
}

func TestWorkshopPhoto(t *testing.T) {
	eachStore(t, func(t *testing.T, store storage.Store) {
		a := newStudioTestApp(t, nil, store)
		none, _ := a.studioArtisan("atelier-sans-profil@example.ma", false)
		resp, _ := none.upload("/studio/profile/photo", none.csrf("/studio/profile"), "photo", []testFile{{name: "a.jpg", data: smallJPEG(t)}}, false)
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(none.follow(resp), a.msg("fr", "FlashProfileFirst")) {
			t.Errorf("workshop photo without profile: %d", resp.StatusCode)
		}

		c, u := a.studioArtisan("atelier@example.ma", true)
		send := func(f testFile) *http.Response {
			t.Helper()
			resp, _ := c.upload("/studio/profile/photo", c.csrf("/studio/profile"), "photo", []testFile{f}, false)
			return resp
		}
		resp = send(testFile{name: "IMG_9.HEIC", data: heicHeader()})
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(c.follow(resp), a.msg("fr", "PhotoHEIC")) {
			t.Errorf("HEIC workshop photo: %d", resp.StatusCode)
		}
		if keys := listKeys(t, store, "img/"); len(keys) != 0 {
			t.Errorf("refused workshop photo left %v", keys)
		}
		resp = send(testFile{name: "atelier.jpg", data: encodeJPEG(t, quadrants(1000, 750))})
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(c.follow(resp), a.msg("fr", "FlashWorkshopPhotoSaved")) {
			t.Fatalf("workshop photo: %d", resp.StatusCode)
		}
		first := artisanOf(t, a.db, u.ID).WorkshopPhotoKey
		keys := listKeys(t, store, "img/")
		if first == "" || len(keys) != 2 || models.PhotoKeyBase(keys[0]) != first {
			t.Fatalf("workshop photo %q, objects %v", first, keys)
		}
		_, body := c.get("/studio/profile")
		if !strings.Contains(body, "/media/"+first+"-320.jpg") {
			t.Error("the profile page does not show the workshop photo")
		}
		if resp, _ := c.get("/media/" + first + "-320.jpg"); resp.StatusCode != http.StatusOK {
			t.Errorf("owner GET workshop photo: %d", resp.StatusCode)
		}
		if resp, _ := a.client().get("/media/" + first + "-320.jpg"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("anonymous GET workshop photo of an unverified artisan: %d", resp.StatusCode)
		}
		// Replacing it deletes the old objects.
		resp = send(testFile{name: "atelier2.jpg", data: smallJPEG(t)})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("replace: %d", resp.StatusCode)
		}
		second := artisanOf(t, a.db, u.ID).WorkshopPhotoKey
		keys = listKeys(t, store, "img/")
		if second == first || len(keys) != 1 || models.PhotoKeyBase(keys[0]) != second {
			t.Errorf("after replacing: key %q (was %q), objects %v", second, first, keys)
		}
	})
}

// TestSweepOrphanObjects (F4): objects no row points to are deleted once older than the grace;
// referenced objects and fresh orphans (an upload between its Put and its row) stay; nothing is
// deleted when the database cannot answer.
func TestSweepOrphanObjects(t *testing.T) {
	eachStore(t, func(t *testing.T, store storage.Store) {
		db := dbtest.SQLite(t)
		s := newPhotoSetup(t, db, store)
		ctx := context.Background()
		put := func(base string) {
			t.Helper()
			for _, v := range []string{"320", "800"} {
				if err := store.Put(ctx, base+"-"+v+".jpg", bytes.NewReader([]byte("jpeg")), 4, "image/jpeg"); err != nil {
					t.Fatal(err)
				}
			}
		}
		oldOrphan := storage.NewKey("img", "")
		referenced := storage.NewKey("img", "")
		workshop := storage.NewKey("img", "")
		put(oldOrphan)
		put(referenced)
		put(workshop)
		if _, err := models.AddPhoto(ctx, db, s.artisan.ID, s.product, models.Photo{KeyBase: referenced, Width: 800, Height: 600, Variants: "320,800"}); err != nil {
			t.Fatal(err)
		}
		if _, err := models.SetWorkshopPhoto(ctx, db, s.user.ID, workshop); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		freshOrphan := storage.NewKey("img", "")
		put(freshOrphan)
		other := "docs/readme.txt" // outside img/: never the sweep's business
		if err := store.Put(ctx, other, bytes.NewReader([]byte("x")), 1, "text/plain"); err != nil {
			t.Fatal(err)
		}

		n, err := s.a.h.SweepOrphanObjects(ctx, time.Second)
		if err != nil {
			t.Fatalf("sweep: %v", err)
		}
		if n != 2 {
			t.Errorf("sweep deleted %d objects, want the 2 variants of the old orphan", n)
		}
		left := map[string]bool{}
		for _, k := range listKeys(t, store, "") {
			left[models.PhotoKeyBase(k)] = true
		}
		for base, want := range map[string]bool{oldOrphan: false, referenced: true, workshop: true, freshOrphan: true} {
			if left[base] != want {
				t.Errorf("%s still stored = %v, want %v", base, left[base], want)
			}
		}
		if !slices.Contains(listKeys(t, store, "docs/"), other) {
			t.Error("the sweep deleted an object outside img/")
		}

		// With the database gone, the sweep deletes nothing.
		if err := models.Close(db); err != nil {
			t.Fatal(err)
		}
		before := listKeys(t, store, "")
		if _, err := s.a.h.SweepOrphanObjects(ctx, 0); err == nil {
			t.Error("sweep with the database closed: no error")
		}
		if after := listKeys(t, store, ""); !slices.Equal(before, after) {
			t.Errorf("sweep with the database closed deleted objects: %v → %v", before, after)
		}
	})
}

// publishPhotoRow makes keyBase the photo of a published product of a verified artisan, so
// /media serves its objects to anyone.
func publishPhotoRow(t testing.TB, db *gorm.DB, keyBase string) {
	t.Helper()
	ctx := context.Background()
	n := studioSeq.Add(1)
	u, err := models.CreateUser(ctx, db, models.NewUser{Email: fmt.Sprintf("public-%d@example.ma", n), Name: "Artisan public", Password: testPassword, Role: models.RoleArtisan})
	if err != nil {
		t.Fatal(err)
	}
	in := models.ArtisanProfileInput{}
	f := profileForm(100000 + n)
	in.BusinessName, in.Kind, in.RegionCode, in.CraftCode, in.City = f.Get("business_name"), f.Get("kind"), f.Get("region"), f.Get("craft"), f.Get("city")
	in.BioFR, in.RegistryNumber, in.CardNumber = f.Get("bio_fr"), f.Get("registry_number"), f.Get("card_number")
	art, err := models.SaveArtisanProfile(ctx, db, u.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	verifyArtisan(t, &testApp{t: t, db: db}, art, true, "")
	p, err := models.CreateProduct(ctx, db, art.ID, models.ProductInput{TitleFR: "Plateau", CraftCode: "zellige", PriceCents: 1000, Stock: 1, PickupAtFair: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.AddPhoto(ctx, db, art.ID, p.ID, models.Photo{KeyBase: keyBase, Width: 800, Height: 600, Variants: "800"}); err != nil {
		t.Fatal(err)
	}
	if err := models.SetProductStatus(ctx, db, art.ID, p.ID, models.ProductPublished); err != nil {
		t.Fatal(err)
	}
}
