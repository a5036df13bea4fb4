package main

// The demo catalog's photos: pictures drawn by the program (zellige stars, woven stripes,
// plates' rings, Beni Ouarain lozenges, lattices, polished washes) in each product's palette,
// encoded as JPEG carrying an EXIF segment with an orientation and the GPS position of the
// workshop, then sent through the same image pipeline as an artisan's upload (which must strip
// the EXIF and turn the picture upright) and stored as variants in the object store.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/soukexpo/souk/models"
	"github.com/soukexpo/souk/storage"
	"gorm.io/gorm"
)

// Generated demo photos: 4:3, 1600 px wide by default (so every variant exists).
const (
	defaultSeedPhotoWidth = 1600
	minSeedPhotoWidth     = 320
	maxSeedPhotoWidth     = 4000
)

// catalogReport says what seedDemoCatalog added.
type catalogReport struct {
	Products, Photos int
	Elapsed          time.Duration
}

// workshopGPS is where the demo workshops are (the position a phone would write into a photo,
// and the pipeline must remove).
var workshopGPS = map[string][2]float64{
	"atelier-bennani-zellige":       {34.0608, -4.9753}, // Fès, Aïn Nokbi
	"cooperative-al-hamra-tadelakt": {31.6295, -7.9811},
	"dar-tetouan-broderie":          {35.5711, -5.3724},
	"argent-de-tiznit":              {29.6974, -9.7316},
	"cooperative-tapis-zayane":      {32.9394, -5.6686},
	"poterie-serghini-safi":         {32.2994, -9.2372},
	"atelier-thuya-mogador":         {31.5125, -9.7700},
	"dinanderie-oudaya":             {34.0531, -6.7985},
	"maison-lalla-ghita-caftans":    {33.5731, -7.5898},
	"cuirs-filali-rissani":          {31.2830, -4.2640},
}

// seedDemoCatalog creates the demo products that do not exist yet (same artisan, same French
// title), each with its generated photos, and publishes them. Products are done by NumCPU
// workers; objects of a product that is not created (an error, or another seed run that
// created it first) are deleted again.
func seedDemoCatalog(ctx context.Context, db *gorm.DB, store storage.Store, photoWidth int, log *slog.Logger) (catalogReport, error) {
	start := time.Now()
	proc := storage.NewImageProcessor(runtime.NumCPU(), storage.ImageLimits{})
	products := models.DemoProducts()
	jobs := make(chan models.DemoProduct)
	var (
		mu       sync.Mutex
		report   catalogReport
		firstErr error
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range max(1, runtime.NumCPU()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				photos, err := seedDemoProduct(ctx, db, store, proc, p, photoWidth, log)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				if photos > 0 {
					report.Products++
					report.Photos += photos
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, p := range products {
		select {
		case jobs <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	report.Elapsed = time.Since(start)
	if firstErr != nil {
		return report, firstErr
	}
	return report, ctx.Err()
}

// seedDemoProduct creates one demo product unless it exists and returns how many photos it
// stored (0 when the product already existed).
func seedDemoProduct(ctx context.Context, db *gorm.DB, store storage.Store, proc *storage.ImageProcessor,
	p models.DemoProduct, width int, log *slog.Logger) (int, error) {
	exists, err := models.DemoProductExists(ctx, db, p.ArtisanSlug, p.TitleFR)
	if err != nil || exists {
		return 0, err
	}
	var photos []models.Photo
	cleanup := func() {
		// Not ctx: the objects go even when the run was interrupted.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		for _, ph := range photos {
			for _, key := range ph.Keys() {
				if err := store.Delete(dctx, key); err != nil {
					log.Warn("delete seed photo object", slog.String("key", key), slog.Any("error", err))
				}
			}
		}
	}
	gps := workshopGPS[p.ArtisanSlug]
	for k := range p.Photos {
		ph, err := storeDemoPhoto(ctx, store, proc, p, k, width, gps)
		if err != nil {
			cleanup()
			return 0, fmt.Errorf("demo photo %d of %q: %w", k+1, p.TitleFR, err)
		}
		photos = append(photos, ph)
	}
	created, err := models.SeedDemoProduct(ctx, db, p, photos)
	if err != nil || !created {
		cleanup()
		return 0, err
	}
	return len(photos), nil
}

// storeDemoPhoto draws photo k of a product, runs it through the image pipeline and stores
// its variants. The second photo of every product is stored sideways with EXIF orientation 6,
// as a phone held upright writes it, so the pipeline has to turn it.
func storeDemoPhoto(ctx context.Context, store storage.Store, proc *storage.ImageProcessor,
	p models.DemoProduct, k, width int, gps [2]float64) (models.Photo, error) {
	src, err := demoPhotoJPEG(p, k, width, gps)
	if err != nil {
		return models.Photo{}, err
	}
	img, err := proc.Process(ctx, bytes.NewReader(src))
	if err != nil {
		return models.Photo{}, err
	}
	ph := models.Photo{KeyBase: storage.NewKey("img", ""), Width: img.Width, Height: img.Height}
	names := make([]string, 0, len(img.Variants))
	for _, v := range img.Variants {
		names = append(names, v.Name)
	}
	ph.Variants = strings.Join(names, ",")
	for i, v := range img.Variants {
		if err := store.Put(ctx, ph.Key(v.Name), bytes.NewReader(v.Data), int64(len(v.Data)), "image/jpeg"); err != nil {
			for _, done := range img.Variants[:i] {
				_ = store.Delete(context.WithoutCancel(ctx), ph.Key(done.Name))
			}
			return models.Photo{}, fmt.Errorf("store %s: %w", ph.Key(v.Name), err)
		}
	}
	return ph, nil
}

// demoPhotoJPEG returns the source JPEG of photo k of a product: width × 3/4 width, upright,
// or stored turned (orientation 6) for the second photo, with an EXIF APP1 segment.
func demoPhotoJPEG(p models.DemoProduct, k, width int, gps [2]float64) ([]byte, error) {
	pic := drawDemoPicture(p.Motif, parsePalette(p.Colors), k, width, width*3/4)
	orientation := 1
	var out image.Image = pic
	if k == 1 {
		orientation = 6
		out = rotateCCW(pic)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: 90}); err != nil {
		return nil, fmt.Errorf("encode demo photo: %w", err)
	}
	return withExif(buf.Bytes(), exifTIFF(orientation, gps[0], gps[1])), nil
}

// rotateCCW turns an image a quarter turn counter-clockwise: orientation 6 then tells viewers
// to turn it back clockwise.
func rotateCCW(src *image.RGBA) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, h, w))
	for y := range h {
		for x := range w {
			si := y*src.Stride + x*4
			di := (w-1-x)*dst.Stride + y*4
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}

// parsePalette reads "#rrggbb" colours; a broken entry becomes mid grey.
func parsePalette(hex []string) []color.RGBA {
	out := make([]color.RGBA, 0, max(len(hex), 2))
	for _, h := range hex {
		v, err := strconv.ParseUint(strings.TrimPrefix(h, "#"), 16, 32)
		if err != nil || len(h) != 7 {
			v = 0x808080
		}
		out = append(out, color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xFF}) //nolint:gosec // small bounded values in a generated demo image/EXIF block
	}
	for len(out) < 2 {
		out = append(out, color.RGBA{0x80, 0x80, 0x80, 0xFF})
	}
	return out
}

// drawDemoPicture paints a w × h picture of a motif in a palette; variant k changes the scale,
// the framing and the order of the colours so a product's photos differ.
func drawDemoPicture(motif string, pal []color.RGBA, k, w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(pal[0]), image.Point{}, draw.Src)
	if k > 0 { // later photos: the same colours in another order (background kept)
		rest := append([]color.RGBA(nil), pal[1:]...)
		for range k {
			rest = append(rest[1:], rest[0])
		}
		pal = append([]color.RGBA{pal[0]}, rest...)
	}
	scale := []float64{1, 1.9, 0.6}[k%3] * float64(h) / 1200
	cx, cy := float64(w)/2+float64(k)*float64(w)/9, float64(h)/2-float64(k)*float64(h)/14
	paint := motifPainter(motif, pal, scale, cx, cy, float64(h))
	maxD2 := cx*cx + cy*cy + float64(w*w)/4
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		fy := float64(y)
		for x := range w {
			fx := float64(x)
			c := paint(fx, fy)
			// Light falling off towards the corners and a little grain, as in a photo.
			dx, dy := fx-cx, fy-cy
			light := 1.08 - 0.35*(dx*dx+dy*dy)/maxD2
			grain := float64(int(hash2(x, y)&7)-4) * 1.5
			row[4*x] = shade(c.R, light, grain)
			row[4*x+1] = shade(c.G, light, grain)
			row[4*x+2] = shade(c.B, light, grain)
			row[4*x+3] = 0xFF
		}
	}
	return img
}

func shade(v uint8, light, grain float64) uint8 {
	return uint8(math.Max(0, math.Min(255, float64(v)*light+grain)))
}

// hash2 is a cheap integer hash of a pixel position, for grain and texture.
func hash2(x, y int) uint32 {
	h := uint32(x)*0x9E3779B1 ^ uint32(y)*0x85EBCA77 //nolint:gosec // small bounded values in a generated demo image/EXIF block
	h ^= h >> 15
	h *= 0x2C1B3C6D
	h ^= h >> 12
	return h
}

// motifPainter returns the colour of the motif at a point.
func motifPainter(motif string, pal []color.RGBA, scale, cx, cy, h float64) func(x, y float64) color.RGBA {
	at := func(i int) color.RGBA { return pal[((i%len(pal))+len(pal))%len(pal)] }
	dark := pal[len(pal)-1]
	switch motif {
	case models.MotifStar:
		tile := 200 * scale
		r := 0.33 * tile
		line := math.Max(1.5, 0.025*tile)
		return func(x, y float64) color.RGBA {
			tx, ty := math.Floor(x/tile), math.Floor(y/tile)
			u, v := x-tx*tile-tile/2, y-ty*tile-tile/2
			au, av := math.Abs(u), math.Abs(v)
			sq, rot := math.Max(au, av), (au+av)/math.Sqrt2
			star := math.Min(sq, rot) // < r inside the eight-pointed star (two squares)
			switch {
			case star < 0.38*r:
				return at(3)
			case star < r-line && star > 0.38*r+line:
				return at(1 + int(tx+ty)&1)
			case star < r+line:
				return dark
			}
			// Between the stars: a small cross at each tile corner.
			cu, cv := tile/2-au, tile/2-av
			if math.Min(cu, cv) < 0.06*tile && math.Max(cu, cv) < 0.2*tile {
				return at(4)
			}
			return pal[0]
		}
	case models.MotifStripes:
		period := 380 * scale
		zig := 40 * scale
		return func(x, y float64) color.RGBA {
			t := math.Mod(y, period) / period
			band := int(math.Floor(y / period))
			weave := 1.0
			if (int(x)+int(y))&3 < 2 {
				weave = 0.94
			}
			var c color.RGBA
			switch {
			case t < 0.30:
				c = at(1 + band%2)
			case t < 0.34, t >= 0.50 && t < 0.54:
				c = dark
			case t < 0.50:
				z := math.Abs(math.Mod(x/zig, 2) - 1)
				if (t-0.34)/0.16 < z {
					c = at(3)
				} else {
					c = pal[0]
				}
			case t < 0.80:
				u := math.Mod(x, 2*zig) - zig
				v := (t - 0.67) * period
				if math.Abs(u)+math.Abs(v) < 0.8*zig {
					c = at(4)
				} else {
					c = at(2 + band%2)
				}
			default:
				c = pal[0]
			}
			return color.RGBA{uint8(float64(c.R) * weave), uint8(float64(c.G) * weave), uint8(float64(c.B) * weave), 0xFF}
		}
	case models.MotifRings:
		radius := 0.46 * h * math.Min(1.6, scale)
		ring := radius / 7
		return func(x, y float64) color.RGBA {
			dx, dy := x-cx, y-cy
			d := math.Hypot(dx, dy)
			if d > radius {
				if d < radius*1.04 { // the shadow under the rim
					return dark
				}
				return pal[0]
			}
			n := int(d / ring)
			if n%2 == 1 && math.Mod(d, ring) < 0.12*ring {
				return dark
			}
			if n == 3 || n == 4 { // a band of petals
				a := math.Atan2(dy, dx)
				if math.Cos(12*a) > 0.3 {
					return at(3)
				}
			}
			return at(1 + n%3)
		}
	case models.MotifDiamonds:
		cw := 260 * scale
		chh := cw * 1.4
		return func(x, y float64) color.RGBA {
			u := math.Abs(math.Mod(x, cw)-cw/2) / (cw / 2)
			v := math.Abs(math.Mod(y, chh)-chh/2) / (chh / 2)
			d := u + v
			pile := hash2(int(x)/3, int(y)/3) & 15
			switch {
			case math.Abs(d-1) < 0.07, math.Abs(d-0.55) < 0.05:
				return at(1)
			case d < 0.15:
				return at(2)
			case pile == 0:
				return at(3)
			}
			return pal[0]
		}
	case models.MotifLattice:
		p := 120 * scale
		lw := math.Max(2, 0.12*p)
		archW := 0.28 * h
		return func(x, y float64) color.RGBA {
			// A horseshoe arch frames the lattice.
			ax, ay := x-cx, y-(cy-0.05*h)
			inside := (ay > 0 && math.Abs(ax) < archW && y < cy+0.45*h) || ax*ax+ay*ay < archW*archW*1.1
			if !inside {
				if math.Abs(math.Hypot(ax, ay)-archW*1.08) < 0.02*h {
					return at(3)
				}
				return at(4)
			}
			a := math.Mod(x+y+1e6, p)
			b := math.Mod(x-y+1e6, p)
			if a < lw || b < lw {
				if a < lw && b < lw {
					return at(3)
				}
				return at(1)
			}
			cell := int(math.Floor((x+y)/p) + math.Floor((x-y+1e6)/p))
			if cell&1 == 0 {
				return pal[0]
			}
			return at(2)
		}
	default: // models.MotifWash and anything unknown
		c0, c1, c2 := at(1), at(2), pal[0]
		return func(x, y float64) color.RGBA {
			t := 0.5 + 0.35*math.Sin(x*0.004/scale+y*0.003/scale) + 0.1*math.Sin((x-y)*0.011/scale)
			t = math.Max(0, math.Min(1, t))
			c := mix(c0, c1, t)
			// A polished highlight.
			hx, hy := x-cx*0.7, y-cy*0.6
			g := math.Exp(-(hx*hx + hy*hy) / (2 * h * h * 0.04))
			return mix(c, c2, 0.45*g)
		}
	}
}

func mix(a, b color.RGBA, t float64) color.RGBA {
	l := func(p, q uint8) uint8 { return uint8(float64(p) + (float64(q)-float64(p))*t) }
	return color.RGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 0xFF}
}

// withExif inserts an Exif APP1 segment holding tiff right after a JPEG's SOI marker.
func withExif(jpg, tiff []byte) []byte {
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := make([]byte, 4, 4+len(payload))
	seg[0], seg[1] = 0xFF, 0xE1
	binary.BigEndian.PutUint16(seg[2:], uint16(2+len(payload))) //nolint:gosec // small bounded values in a generated demo image/EXIF block
	seg = append(seg, payload...)
	out := make([]byte, 0, len(jpg)+len(seg))
	out = append(out, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// TIFF field types used in the EXIF segment.
const (
	tiffByte     = 1
	tiffASCII    = 2
	tiffShort    = 3
	tiffLong     = 4
	tiffRational = 5
)

type tiffEntry struct {
	tag, typ uint16
	count    uint32
	value    []byte // big-endian; inline when 4 bytes or fewer
}

// exifTIFF builds, by hand, the big-endian TIFF body of an Exif segment: IFD0 with Make,
// Model, Orientation, DateTime and a pointer to a GPS IFD with the position.
func exifTIFF(orientation int, lat, lon float64) []byte {
	be := binary.BigEndian
	short := func(v uint16) []byte { return be.AppendUint16(nil, v) }
	long := func(v uint32) []byte { return be.AppendUint32(nil, v) }
	ascii := func(s string) []byte { return append([]byte(s), 0) }
	dms := func(deg float64) []byte { // degrees, minutes, seconds/100 as three rationals
		deg = math.Abs(deg)
		d := math.Floor(deg)
		m := math.Floor((deg - d) * 60)
		s := math.Round(((deg-d)*60 - m) * 60 * 100)
		var b []byte
		for _, r := range [][2]uint32{{uint32(d), 1}, {uint32(m), 1}, {uint32(s), 100}} {
			b = be.AppendUint32(be.AppendUint32(b, r[0]), r[1])
		}
		return b
	}
	latRef, lonRef := "N", "E"
	if lat < 0 {
		latRef = "S"
	}
	if lon < 0 {
		lonRef = "W"
	}
	gps := []tiffEntry{
		{0x0000, tiffByte, 4, []byte{2, 3, 0, 0}}, // GPSVersionID
		{0x0001, tiffASCII, 2, ascii(latRef)},
		{0x0002, tiffRational, 3, dms(lat)},
		{0x0003, tiffASCII, 2, ascii(lonRef)},
		{0x0004, tiffRational, 3, dms(lon)},
	}
	ifd0 := []tiffEntry{
		{0x010F, tiffASCII, 0, ascii("Souk Expo")},           // Make
		{0x0110, tiffASCII, 0, ascii("demo seed camera")},    // Model
		{0x0112, tiffShort, 1, short(uint16(orientation))},   //nolint:gosec // Orientation: 1..8
		{0x0132, tiffASCII, 0, ascii("2026:03:27 10:30:00")}, // DateTime
		{0x8825, tiffLong, 1, long(0)},                       // GPS IFD pointer, set below
	}
	const ifd0Start = 8
	gpsStart := ifd0Start + ifdSize(ifd0)
	ifd0[len(ifd0)-1].value = long(uint32(gpsStart)) //nolint:gosec // small bounded values in a generated demo image/EXIF block
	out := []byte{'M', 'M', 0, 42, 0, 0, 0, ifd0Start}
	out = appendIFD(out, ifd0)
	return appendIFD(out, gps)
}

// ifdSize is the size of an IFD with its out-of-line values.
func ifdSize(entries []tiffEntry) int {
	n := 2 + 12*len(entries) + 4
	for _, e := range entries {
		if len(e.value) > 4 {
			n += len(e.value) + len(e.value)&1
		}
	}
	return n
}

// appendIFD appends an IFD (next-IFD offset 0) and its out-of-line values to out, whose
// length is the IFD's offset in the TIFF body.
func appendIFD(out []byte, entries []tiffEntry) []byte {
	be := binary.BigEndian
	start := len(out)
	data := start + 2 + 12*len(entries) + 4
	out = be.AppendUint16(out, uint16(len(entries))) //nolint:gosec // small bounded values in a generated demo image/EXIF block
	var extra []byte
	for _, e := range entries {
		count := e.count
		if e.typ == tiffASCII {
			count = uint32(len(e.value)) //nolint:gosec // small bounded values in a generated demo image/EXIF block
		}
		out = be.AppendUint16(be.AppendUint16(out, e.tag), e.typ)
		out = be.AppendUint32(out, count)
		if len(e.value) <= 4 {
			v := make([]byte, 4)
			copy(v, e.value)
			out = append(out, v...)
			continue
		}
		out = be.AppendUint32(out, uint32(data+len(extra))) //nolint:gosec // offsets inside a small EXIF block
		extra = append(extra, e.value...)
		if len(e.value)&1 == 1 {
			extra = append(extra, 0)
		}
	}
	out = be.AppendUint32(out, 0)
	return append(out, extra...)
}

// errPhotoWidth reports a --photo-width out of range.
var errPhotoWidth = errors.New("photo width out of range")

func checkPhotoWidth(w int) error {
	if w < minSeedPhotoWidth || w > maxSeedPhotoWidth {
		return fmt.Errorf("--photo-width %d: %w (%d to %d)", w, errPhotoWidth, minSeedPhotoWidth, maxSeedPhotoWidth)
	}
	return nil
}
