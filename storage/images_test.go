package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Test inputs are all generated here; the helpers are prefixed with img to
// stay clear of the other tests of the package.

// imgColors are the quadrant colours of imgQuadrants: top-left, top-right,
// bottom-left, bottom-right.
var imgColors = [4]color.RGBA{
	{255, 0, 0, 255},   // red
	{0, 200, 0, 255},   // green
	{0, 0, 255, 255},   // blue
	{255, 255, 0, 255}, // yellow
}

// imgQuadrants returns a w×h image with one flat colour per quadrant.
func imgQuadrants(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			q := 0
			if x >= w/2 {
				q++
			}
			if y >= h/2 {
				q += 2
			}
			m.SetRGBA(x, y, imgColors[q])
		}
	}
	return m
}

// imgEncodeJPEG encodes m as a JPEG.
func imgEncodeJPEG(t testing.TB, m image.Image, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatalf("encode jpeg: %v", err)
	}
	return buf.Bytes()
}

// imgEncodePNG encodes m as a PNG.
func imgEncodePNG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatalf("encode png: %v", err)
	}
	return buf.Bytes()
}

// imgSegment returns a JPEG marker segment.
func imgSegment(marker byte, payload []byte) []byte {
	seg := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	return append(seg, payload...)
}

// imgInsertSegments inserts segments right after the SOI marker of a JPEG,
// where cameras put their APPn segments.
func imgInsertSegments(jpg []byte, segs ...[]byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

// imgIFDEntry is one TIFF directory entry; value holds the raw value bytes
// in the file's byte order.
type imgIFDEntry struct {
	tag, typ uint16
	count    uint32
	value    []byte
}

// imgCanary is a GPS string that must never reach an output.
const imgCanary = "SOUK-GPS-CANARY-31.6295N-7.9811W"

// imgExif returns the payload of an APP1 Exif segment whose IFD0 holds
// Orientation=orient and a pointer to a GPS IFD (latitude, its reference
// and a map datum string carrying imgCanary).
func imgExif(bo binary.ByteOrder, orient uint16) []byte {
	short := func(v uint16) []byte { b := make([]byte, 2); bo.PutUint16(b, v); return b }
	long := func(v uint32) []byte { b := make([]byte, 4); bo.PutUint32(b, v); return b }
	var lat []byte
	for _, v := range []uint32{31, 1, 37, 1, 4620, 100} { // 31°37'46.20"
		lat = append(lat, long(v)...)
	}
	gps := []imgIFDEntry{
		{tag: 0x0001, typ: 2, count: 2, value: []byte("N\x00")},
		{tag: 0x0002, typ: 5, count: 3, value: lat},
		{tag: 0x0012, typ: 2, count: uint32(len(imgCanary) + 1), value: []byte(imgCanary + "\x00")},
	}
	ifd0Len := 2 + 12*2 + 4
	gpsOff := 8 + ifd0Len
	ifd0 := []imgIFDEntry{
		{tag: 0x0112, typ: 3, count: 1, value: short(orient)},
		{tag: 0x8825, typ: 4, count: 1, value: long(uint32(gpsOff))},
	}
	dataOff := gpsOff + 2 + 12*len(gps) + 4

	var tiff, data []byte
	if bo == binary.BigEndian {
		tiff = append(tiff, "MM"...)
	} else {
		tiff = append(tiff, "II"...)
	}
	tiff = append(tiff, short(42)...)
	tiff = append(tiff, long(8)...)
	writeIFD := func(entries []imgIFDEntry) {
		tiff = append(tiff, short(uint16(len(entries)))...)
		for _, e := range entries {
			tiff = append(tiff, short(e.tag)...)
			tiff = append(tiff, short(e.typ)...)
			tiff = append(tiff, long(e.count)...)
			if len(e.value) <= 4 {
				v := make([]byte, 4)
				copy(v, e.value)
				tiff = append(tiff, v...)
				continue
			}
			tiff = append(tiff, long(uint32(dataOff+len(data)))...)
			data = append(data, e.value...)
		}
		tiff = append(tiff, long(0)...) // no next IFD
	}
	writeIFD(ifd0)
	writeIFD(gps)
	tiff = append(tiff, data...)
	return append([]byte("Exif\x00\x00"), tiff...)
}

// imgXMP returns the payload of an APP1 XMP segment with a GPS position.
func imgXMP() []byte {
	return []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">" +
		"<rdf:Description exif:GPSLatitude=\"31,37.77N\" exif:GPSLongitude=\"7,58.87W\"/></x:xmpmeta>")
}

// imgICC returns the payload of an APP2 ICC profile segment (a stub).
func imgICC() []byte {
	return append([]byte("ICC_PROFILE\x00\x01\x01"), bytes.Repeat([]byte{0x42}, 128)...)
}

// imgJPEGWithMetadata returns a w×h quadrant JPEG carrying Exif (with the
// given orientation and GPS), XMP, an ICC profile and a <script> comment.
func imgJPEGWithMetadata(t testing.TB, w, h int, orient uint16, bo binary.ByteOrder) []byte {
	t.Helper()
	return imgInsertSegments(imgEncodeJPEG(t, imgQuadrants(w, h), 95),
		imgSegment(0xE1, imgExif(bo, orient)),
		imgSegment(0xE1, imgXMP()),
		imgSegment(0xE2, imgICC()),
		imgSegment(0xFE, []byte("<script>alert(document.cookie)</script>")),
	)
}

// imgPNGChunk returns a PNG chunk with its CRC.
func imgPNGChunk(typ string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// imgPNGHeader returns a PNG signature and a valid IHDR declaring w×h RGBA
// pixels, followed by rest (no pixel data: a pixel-flood header).
func imgPNGHeader(w, h uint32, rest []byte) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA, deflate, no filter, no interlace
	out := append([]byte("\x89PNG\r\n\x1a\n"), imgPNGChunk("IHDR", ihdr)...)
	return append(out, rest...)
}

// imgBits writes the LSB-first bit stream of WebP lossless.
type imgBits struct {
	buf []byte
	acc uint64
	n   uint
}

// write appends the low `bits` bits of v.
func (b *imgBits) write(v uint64, bits uint) {
	b.acc |= v << b.n
	b.n += bits
	for b.n >= 8 {
		b.buf = append(b.buf, byte(b.acc))
		b.acc >>= 8
		b.n -= 8
	}
}

// bytes returns the stream, padded to a byte.
func (b *imgBits) bytes() []byte {
	if b.n > 0 {
		return append(b.buf, byte(b.acc))
	}
	return b.buf
}

// imgWebPLossless hand-assembles a w×h lossless WebP (VP8L, no transforms,
// simple prefix codes): every pixel has red r, blue 50 and alpha a, and
// green 0 or 255 as pick(x, y) says.
func imgWebPLossless(w, h int, r, a uint8, pick func(x, y int) bool) []byte {
	var b imgBits
	b.write(0x2f, 8) // signature
	b.write(uint64(w-1), 14)
	b.write(uint64(h-1), 14)
	alphaUsed := uint64(0)
	if a != 255 {
		alphaUsed = 1
	}
	b.write(alphaUsed, 1)
	b.write(0, 3) // version
	b.write(0, 1) // no transform
	b.write(0, 1) // no colour cache
	b.write(0, 1) // no meta prefix codes
	// Green: a simple code of two 8-bit symbols, 0 (bit 0) and 255 (bit 1).
	b.write(1, 1)
	b.write(1, 1)
	b.write(1, 1)
	b.write(0, 8)
	b.write(255, 8)
	// Red, blue, alpha: one 8-bit symbol each (zero bits per pixel).
	for _, v := range []uint8{r, 50, a} {
		b.write(1, 1)
		b.write(0, 1)
		b.write(1, 1)
		b.write(uint64(v), 8)
	}
	// Distance: one 1-bit symbol, 0 (never used).
	b.write(1, 1)
	b.write(0, 1)
	b.write(0, 1)
	b.write(0, 1)
	for y := range h {
		for x := range w {
			if pick(x, y) {
				b.write(1, 1)
			} else {
				b.write(0, 1)
			}
		}
	}
	return imgRIFF("VP8L", b.bytes())
}

// imgRIFF wraps one chunk in a RIFF WEBP container.
func imgRIFF(fourCC string, payload []byte) []byte {
	chunk := append([]byte(fourCC), binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))...)
	chunk = append(chunk, payload...)
	if len(payload)%2 == 1 {
		chunk = append(chunk, 0)
	}
	out := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(4+len(chunk)))...)
	out = append(out, "WEBP"...)
	return append(out, chunk...)
}

// imgVP8LFloodHeader returns a lossless WebP whose header declares w×h
// pixels, followed by no pixel data.
func imgVP8LFloodHeader(w, h int) []byte {
	var b imgBits
	b.write(0x2f, 8)
	b.write(uint64(w-1), 14)
	b.write(uint64(h-1), 14)
	b.write(0, 1)
	b.write(0, 3)
	return imgRIFF("VP8L", append(b.bytes(), 0, 0, 0, 0))
}

// imgSetJPEGSize rewrites the dimensions in the SOF0 segment of jpg.
func imgSetJPEGSize(t testing.TB, jpg []byte, w, h int) []byte {
	t.Helper()
	out := append([]byte{}, jpg...)
	for i := 2; i+9 < len(out); {
		if out[i] != 0xFF {
			t.Fatal("set jpeg size: lost marker sync")
		}
		if out[i+1] == 0xC0 {
			binary.BigEndian.PutUint16(out[i+5:], uint16(h))
			binary.BigEndian.PutUint16(out[i+7:], uint16(w))
			return out
		}
		i += 2 + int(binary.BigEndian.Uint16(out[i+2:]))
	}
	t.Fatal("set jpeg size: no SOF0")
	return nil
}

// imgHeaderMarkers returns the markers of jpg up to and including SOS and
// the bytes before the entropy-coded data.
func imgHeaderMarkers(t testing.TB, jpg []byte) ([]byte, []byte) {
	t.Helper()
	if len(jpg) < 4 || jpg[0] != 0xFF || jpg[1] != 0xD8 {
		t.Fatal("output does not start with SOI")
	}
	var markers []byte
	for i := 2; i+4 <= len(jpg); {
		if jpg[i] != 0xFF {
			t.Fatalf("output: no marker at %d", i)
		}
		m := jpg[i+1]
		markers = append(markers, m)
		end := i + 2 + int(binary.BigEndian.Uint16(jpg[i+2:]))
		if m == 0xDA {
			return markers, jpg[:end]
		}
		i = end
	}
	t.Fatal("output: no SOS marker")
	return nil, nil
}

// imgCheckOutput checks what every Process result must satisfy: variants
// in order, valid baseline JPEGs of the stated size with only DQT, SOF0,
// DHT and SOS segments (no APPn, no COM) and none of the metadata or script
// bytes of the inputs.
func imgCheckOutput(t testing.TB, res ProcessedImage) {
	t.Helper()
	if len(res.Variants) == 0 {
		t.Fatal("no variants")
	}
	if res.Variants[0].Name != "320" {
		t.Errorf("first variant %q, want 320", res.Variants[0].Name)
	}
	last := res.Variants[len(res.Variants)-1]
	if res.Width != last.Width || res.Height != last.Height {
		t.Errorf("result %dx%d, largest variant %dx%d", res.Width, res.Height, last.Width, last.Height)
	}
	prevW := 0
	for _, v := range res.Variants {
		nominal := 0
		if _, err := fmt.Sscan(v.Name, &nominal); err != nil || v.Width > nominal || v.Width <= prevW {
			t.Errorf("variant %q is %d wide (previous %d)", v.Name, v.Width, prevW)
		}
		prevW = v.Width
		m, err := jpeg.Decode(bytes.NewReader(v.Data))
		if err != nil {
			t.Fatalf("variant %s: decode: %v", v.Name, err)
		}
		if b := m.Bounds(); b.Dx() != v.Width || b.Dy() != v.Height {
			t.Errorf("variant %s: decoded %v, stated %dx%d", v.Name, b, v.Width, v.Height)
		}
		markers, header := imgHeaderMarkers(t, v.Data)
		for _, mk := range markers {
			switch mk {
			case 0xDB, 0xC0, 0xC4, 0xDA: // DQT, SOF0 (baseline), DHT, SOS
			default:
				t.Errorf("variant %s: unexpected marker FF%02X (APPn/COM/progressive)", v.Name, mk)
			}
		}
		if bytes.Contains(header, []byte("GPS")) {
			t.Errorf("variant %s: header contains GPS", v.Name)
		}
		for _, bad := range []string{"Exif\x00", "http://ns.adobe.com/xap", "ICC_PROFILE", "<script", imgCanary} {
			if bytes.Contains(v.Data, []byte(bad)) {
				t.Errorf("variant %s: output contains %q", v.Name, bad)
			}
		}
	}
}

// imgSize is a variant's name and size.
type imgSize struct {
	name string
	w, h int
}

// imgSizes returns the names and sizes of res's variants.
func imgSizes(res ProcessedImage) []imgSize {
	var out []imgSize
	for _, v := range res.Variants {
		out = append(out, imgSize{v.Name, v.Width, v.Height})
	}
	return out
}

// imgNearest returns the index in imgColors of the colour nearest to c.
func imgNearest(c color.Color) int {
	r, g, b, _ := c.RGBA()
	best, bestD := -1, int64(math.MaxInt64)
	for i, k := range imgColors {
		dr, dg, db := int64(r>>8)-int64(k.R), int64(g>>8)-int64(k.G), int64(b>>8)-int64(k.B)
		if d := dr*dr + dg*dg + db*db; d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// imgDecodeVariant decodes a variant.
func imgDecodeVariant(t testing.TB, v Variant) image.Image {
	t.Helper()
	m, err := jpeg.Decode(bytes.NewReader(v.Data))
	if err != nil {
		t.Fatalf("decode variant %s: %v", v.Name, err)
	}
	return m
}

func TestImageProcessAccepts(t *testing.T) {
	t.Parallel()
	gray := image.NewGray(image.Rect(0, 0, 500, 300))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i % 251)
	}
	deep := image.NewRGBA64(image.Rect(0, 0, 330, 200))
	for y := range 200 {
		for x := range 330 {
			deep.SetRGBA64(x, y, color.RGBA64{uint16(x * 190), uint16(y * 300), 0x8000, 0xFFFF})
		}
	}
	paletted := image.NewPaletted(image.Rect(0, 0, 120, 90), palette.Plan9)
	for i := range paletted.Pix {
		paletted.Pix[i] = uint8(i % 256)
	}
	checker := func(x, y int) bool { return (x/8+y/8)%2 == 0 }

	tests := []struct {
		name string
		data []byte
		typ  string
		want []imgSize
	}{
		{"jpeg 1700x850 all sizes", imgEncodeJPEG(t, imgQuadrants(1700, 850), 90), ImageTypeJPEG,
			[]imgSize{{"320", 320, 160}, {"800", 800, 400}, {"1600", 1600, 800}}},
		{"jpeg 820x410 no upscale", imgEncodeJPEG(t, imgQuadrants(820, 410), 90), ImageTypeJPEG,
			[]imgSize{{"320", 320, 160}, {"800", 800, 400}}},
		{"jpeg 200x150 smaller than 320", imgEncodeJPEG(t, imgQuadrants(200, 150), 90), ImageTypeJPEG,
			[]imgSize{{"320", 200, 150}}},
		{"jpeg 1x1", imgEncodeJPEG(t, imgQuadrants(1, 1), 90), ImageTypeJPEG,
			[]imgSize{{"320", 1, 1}}},
		{"jpeg grayscale", imgEncodeJPEG(t, gray, 90), ImageTypeJPEG,
			[]imgSize{{"320", 320, 192}}},
		{"jpeg with exif gps xmp icc and script comment", imgJPEGWithMetadata(t, 480, 300, 1, binary.BigEndian), ImageTypeJPEG,
			[]imgSize{{"320", 320, 200}}},
		{"png rgba opaque", imgEncodePNG(t, imgQuadrants(480, 300)), ImageTypePNG,
			[]imgSize{{"320", 320, 200}}},
		{"png 16 bit", imgEncodePNG(t, deep), ImageTypePNG,
			[]imgSize{{"320", 320, 194}}},
		{"png paletted", imgEncodePNG(t, paletted), ImageTypePNG,
			[]imgSize{{"320", 120, 90}}},
		{"png with trailing script", append(imgEncodePNG(t, imgQuadrants(400, 300)),
			"<script>alert(document.cookie)</script><?php system($_GET['c']); ?>"...), ImageTypePNG,
			[]imgSize{{"320", 320, 240}}},
		{"webp lossless", imgWebPLossless(500, 400, 200, 255, checker), ImageTypeWebP,
			[]imgSize{{"320", 320, 256}}},
		{"webp lossless tiny", imgWebPLossless(3, 2, 10, 255, checker), ImageTypeWebP,
			[]imgSize{{"320", 3, 2}}},
	}
	p := NewImageProcessor(2, DefaultImageLimits())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := p.Process(context.Background(), bytes.NewReader(tt.data))
			if err != nil {
				t.Fatalf("Process: %v", err)
			}
			if res.SourceType != tt.typ {
				t.Errorf("SourceType %q, want %q", res.SourceType, tt.typ)
			}
			if got := imgSizes(res); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("variants %v, want %v", got, tt.want)
			}
			imgCheckOutput(t, res)
			for _, v := range res.Variants {
				if bytes.Equal(v.Data, tt.data) {
					t.Errorf("variant %s returns the original bytes", v.Name)
				}
			}
		})
	}
}

// imgSmallWidths makes tests of the resize chain cheap (the race detector
// slows resampling down a lot): the same logic with widths 32, 80, 160.
func imgSmallWidths(p *ImageProcessor) *ImageProcessor {
	p.widths = []int{32, 80, 160}
	return p
}

func TestImageVariantPlan(t *testing.T) {
	t.Parallel()
	p := NewImageProcessor(1, DefaultImageLimits())
	tests := []struct {
		uw   int
		want string
	}{
		{6000, "[320 800 1600] [320 800 1600]"},
		{1600, "[320 800 1600] [320 800 1600]"},
		{1599, "[320 800] [320 800]"},
		{800, "[320 800] [320 800]"},
		{600, "[320] [320]"},
		{320, "[320] [320]"},
		{319, "[320] [319]"},
		{1, "[320] [1]"},
	}
	for _, tt := range tests {
		names, widths := p.plan(tt.uw)
		if got := fmt.Sprint(names, widths); got != tt.want {
			t.Errorf("plan(%d) = %s, want %s", tt.uw, got, tt.want)
		}
	}
}

func TestImageResizeChain(t *testing.T) {
	t.Parallel()
	p := imgSmallWidths(NewImageProcessor(1, DefaultImageLimits()))
	tests := []struct {
		name string
		w, h int
		want []imgSize
	}{
		{"larger than all", 200, 100, []imgSize{{"32", 32, 16}, {"80", 80, 40}, {"160", 160, 80}}},
		{"exactly the largest", 160, 120, []imgSize{{"32", 32, 24}, {"80", 80, 60}, {"160", 160, 120}}},
		{"between", 100, 300, []imgSize{{"32", 32, 96}, {"80", 80, 240}}},
		{"smaller than the smallest", 20, 10, []imgSize{{"32", 20, 10}}},
		{"rounding", 333, 111, []imgSize{{"32", 32, 11}, {"80", 80, 27}, {"160", 160, 53}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := p.Process(context.Background(), bytes.NewReader(imgEncodeJPEG(t, imgQuadrants(tt.w, tt.h), 95)))
			if err != nil {
				t.Fatalf("Process: %v", err)
			}
			if got := imgSizes(res); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("variants %v, want %v", got, tt.want)
			}
			if res.Width != tt.want[len(tt.want)-1].w || res.Height != tt.want[len(tt.want)-1].h {
				t.Errorf("result %dx%d", res.Width, res.Height)
			}
			// Every variant still shows the four quadrants in place.
			for _, v := range res.Variants {
				if v.Width < 8 || v.Height < 8 {
					continue
				}
				m := imgDecodeVariant(t, v)
				w, h := v.Width, v.Height
				for q, pt := range []image.Point{{w / 4, h / 4}, {3 * w / 4, h / 4}, {w / 4, 3 * h / 4}, {3 * w / 4, 3 * h / 4}} {
					if got := imgNearest(m.At(pt.X, pt.Y)); got != q {
						t.Errorf("variant %s: quadrant %d looks like colour %d", v.Name, q, got)
					}
				}
			}
		})
	}
}

func TestImageTransparencyFlattenedOnWhite(t *testing.T) {
	t.Parallel()
	transparent := image.NewNRGBA(image.Rect(0, 0, 400, 300))
	for i := 0; i < len(transparent.Pix); i += 4 {
		transparent.Pix[i], transparent.Pix[i+1], transparent.Pix[i+2], transparent.Pix[i+3] = 10, 20, 30, 0 // transparent dark
	}
	half := image.NewNRGBA(image.Rect(0, 0, 400, 300))
	for i := 0; i < len(half.Pix); i += 4 {
		half.Pix[i], half.Pix[i+1], half.Pix[i+2], half.Pix[i+3] = 0, 0, 0, 128 // half-transparent black
	}
	tests := []struct {
		name    string
		data    []byte
		wantMin uint8
		wantMax uint8
	}{
		{"png transparent", imgEncodePNG(t, transparent), 245, 255},
		{"png half transparent black", imgEncodePNG(t, half), 115, 140},
		{"webp lossless transparent", imgWebPLossless(64, 48, 10, 0, func(x, y int) bool { return x%2 == 0 }), 245, 255},
	}
	p := NewImageProcessor(1, DefaultImageLimits())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := p.Process(context.Background(), bytes.NewReader(tt.data))
			if err != nil {
				t.Fatalf("Process: %v", err)
			}
			imgCheckOutput(t, res)
			v := res.Variants[0]
			r, g, b, _ := imgDecodeVariant(t, v).At(v.Width/2, v.Height/2).RGBA()
			for _, c := range []uint32{r >> 8, g >> 8, b >> 8} {
				if c < uint32(tt.wantMin) || c > uint32(tt.wantMax) {
					t.Errorf("centre pixel (%d,%d,%d), want each in [%d,%d]", r>>8, g>>8, b>>8, tt.wantMin, tt.wantMax)
					break
				}
			}
		})
	}
}

func TestImageEXIFOrientation(t *testing.T) {
	t.Parallel()
	// Pixels are stored 400×300 (landscape) with red top-left; the EXIF
	// orientation says how to show them. want is where red must end up:
	// 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right.
	tests := []struct {
		orient     uint16
		bo         binary.ByteOrder
		portrait   bool
		wantRedIn  int
		xmpFirst   bool
		noExifData bool
	}{
		{orient: 1, bo: binary.BigEndian, wantRedIn: 0},
		{orient: 2, bo: binary.LittleEndian, wantRedIn: 1},
		{orient: 3, bo: binary.BigEndian, wantRedIn: 3},
		{orient: 4, bo: binary.LittleEndian, wantRedIn: 2},
		{orient: 5, bo: binary.BigEndian, portrait: true, wantRedIn: 0},
		{orient: 6, bo: binary.BigEndian, portrait: true, wantRedIn: 1},
		{orient: 6, bo: binary.LittleEndian, portrait: true, wantRedIn: 1},
		{orient: 6, bo: binary.BigEndian, portrait: true, wantRedIn: 1, xmpFirst: true},
		{orient: 7, bo: binary.LittleEndian, portrait: true, wantRedIn: 3},
		{orient: 8, bo: binary.BigEndian, portrait: true, wantRedIn: 2},
		{orient: 9, bo: binary.BigEndian, wantRedIn: 0}, // invalid: ignored
		{orient: 0, bo: binary.BigEndian, wantRedIn: 0, noExifData: true},
	}
	p := NewImageProcessor(2, DefaultImageLimits())
	for _, tt := range tests {
		name := fmt.Sprintf("orientation %d %v xmpFirst=%v", tt.orient, tt.bo, tt.xmpFirst)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pixels := imgEncodeJPEG(t, imgQuadrants(400, 300), 95)
			var data []byte
			switch {
			case tt.noExifData:
				data = pixels
			case tt.xmpFirst:
				data = imgInsertSegments(pixels, imgSegment(0xE1, imgXMP()), imgSegment(0xE1, imgExif(tt.bo, tt.orient)))
			default:
				data = imgInsertSegments(pixels, imgSegment(0xE1, imgExif(tt.bo, tt.orient)))
			}
			res, err := p.Process(context.Background(), bytes.NewReader(data))
			if err != nil {
				t.Fatalf("Process: %v", err)
			}
			imgCheckOutput(t, res)
			want := []imgSize{{"320", 320, 240}}
			if tt.portrait {
				want = []imgSize{{"320", 300, 400}} // upright width 300 < 320: kept
			}
			if got := imgSizes(res); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("variants %v, want %v", got, want)
			}
			if tt.portrait != (res.Height > res.Width) {
				t.Errorf("result %dx%d, portrait want %v", res.Width, res.Height, tt.portrait)
			}
			v := res.Variants[0]
			m := imgDecodeVariant(t, v)
			w, h := v.Width, v.Height
			pts := []image.Point{{w / 4, h / 4}, {3 * w / 4, h / 4}, {w / 4, 3 * h / 4}, {3 * w / 4, 3 * h / 4}}
			if got := imgNearest(m.At(pts[tt.wantRedIn].X, pts[tt.wantRedIn].Y)); got != 0 {
				t.Errorf("quadrant %d is colour %d, want red", tt.wantRedIn, got)
			}
		})
	}
}

func TestImageJPEGOrientationParserIsDefensive(t *testing.T) {
	t.Parallel()
	good := imgInsertSegments(imgEncodeJPEG(t, imgQuadrants(16, 16), 80), imgSegment(0xE1, imgExif(binary.BigEndian, 6)))
	exif := imgExif(binary.BigEndian, 6)
	badOffset := append([]byte{}, exif...)
	binary.BigEndian.PutUint32(badOffset[6+4:], 0xFFFFFFF0) // IFD0 offset out of range
	manyTags := append([]byte{}, exif...)
	binary.BigEndian.PutUint16(manyTags[6+8:], 0xFFFF)   // IFD0 claims 65535 entries
	binary.BigEndian.PutUint16(manyTags[6+8+2:], 0x0100) // and the first is not Orientation
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"valid", good, 6},
		{"empty", nil, 1},
		{"soi only", []byte{0xFF, 0xD8}, 1},
		{"segment past end", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 'E', 'x'}, 1},
		{"truncated tiff", append([]byte{0xFF, 0xD8}, imgSegment(0xE1, exif[:12])...), 1},
		{"ifd offset out of range", append([]byte{0xFF, 0xD8}, imgSegment(0xE1, badOffset)...), 1},
		{"ifd count past end", append([]byte{0xFF, 0xD8}, imgSegment(0xE1, manyTags)...), 1},
		{"not a jpeg", []byte("\x89PNG\r\n\x1a\n"), 1},
		{"every prefix", nil, -1},
	}
	for _, tt := range tests {
		if tt.want == -1 {
			for n := range len(good) {
				if o := jpegOrientation(good[:n]); o < 1 || o > 8 {
					t.Fatalf("prefix %d: orientation %d", n, o)
				}
			}
			continue
		}
		if got := jpegOrientation(tt.data); got != tt.want {
			t.Errorf("%s: orientation %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestImageProcessRejects(t *testing.T) {
	t.Parallel()
	small := imgEncodeJPEG(t, imgQuadrants(64, 48), 90)
	smallPNG := imgEncodePNG(t, imgQuadrants(64, 48))
	var gifBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, imgQuadrants(16, 16), nil); err != nil {
		t.Fatal(err)
	}
	badCRC := imgPNGHeader(100, 100, nil)
	badCRC[len(badCRC)-1] ^= 0xFF

	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"html renamed jpg", []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"), ErrImageType},
		{"html with leading space", []byte("   <html><img src=x onerror=alert(1)>"), ErrImageType},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>`), ErrImageType},
		{"svg with xml declaration", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`), ErrImageType},
		{"gif", gifBuf.Bytes(), ErrImageType},
		{"pdf", []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF"), ErrImageType},
		{"bmp", append([]byte("BM"), make([]byte, 60)...), ErrImageType},
		{"tiff", append([]byte("II*\x00"), make([]byte, 60)...), ErrImageType},
		{"empty", nil, ErrImageType},
		{"jpeg after a junk prefix", append([]byte("GIF89a"), small...), ErrImageType},
		{"mp4", []byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"), ErrImageType},
		{"heic", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic\x00\x00\x00\x00"), ErrImageHEIC},
		{"heif mif1 major", []byte("\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic"), ErrImageHEIC},
		{"heic as compatible brand", []byte("\x00\x00\x00\x1cftypMiHE\x00\x00\x00\x00MiHEMiPrheic"), ErrImageHEIC},
		{"avif", []byte("\x00\x00\x00\x20ftypavif\x00\x00\x00\x00avifmif1miafMA1B"), ErrImageHEIC},
		{"truncated jpeg", small[:len(small)/2], ErrImageCorrupt},
		{"jpeg soi only", []byte{0xFF, 0xD8, 0xFF}, ErrImageCorrupt},
		{"jpeg garbage", append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10}, bytes.Repeat([]byte("garbage!"), 100)...), ErrImageCorrupt},
		{"truncated png", smallPNG[:len(smallPNG)-40], ErrImageCorrupt},
		{"png bad ihdr crc", badCRC, ErrImageCorrupt},
		{"png zero width", imgPNGHeader(0, 10, nil), ErrImageCorrupt},
		{"png header then junk", imgPNGHeader(100, 100, bytes.Repeat([]byte{0xAB}, 300)), ErrImageCorrupt},
		{"webp junk", append([]byte("RIFF\x20\x00\x00\x00WEBPVP8 "), bytes.Repeat([]byte{0x11}, 40)...), ErrImageCorrupt},
		{"webp truncated", imgWebPLossless(64, 64, 1, 255, func(x, y int) bool { return true })[:30], ErrImageCorrupt},
		{"png pixel flood 60000x60000", imgPNGHeader(60000, 60000, bytes.Repeat([]byte{0}, 100)), ErrImagePixels},
		{"png 8000x7000 over 50 MP", imgPNGHeader(8000, 7000, nil), ErrImagePixels},
		{"png side over 12000", imgPNGHeader(12001, 10, nil), ErrImagePixels},
		{"jpeg pixel flood 60000x60000", imgSetJPEGSize(t, small, 60000, 60000), ErrImagePixels},
		{"webp pixel flood 16384x16384", imgVP8LFloodHeader(16384, 16384), ErrImagePixels},
	}
	p := NewImageProcessor(2, DefaultImageLimits())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := p.Process(context.Background(), bytes.NewReader(tt.data))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Process error %v, want %v", err, tt.want)
			}
			if len(res.Variants) != 0 {
				t.Errorf("got %d variants with an error", len(res.Variants))
			}
			if err.Error() != strings.ToLower(err.Error()[:1])+err.Error()[1:] {
				t.Errorf("error %q does not start lower-case", err)
			}
		})
	}
}

func TestSniffImage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		head string
		want string
		err  error
	}{
		{"jpeg", "\xFF\xD8\xFF\xE0\x00\x10JFIF\x00", ImageTypeJPEG, nil},
		{"jpeg exif", "\xFF\xD8\xFF\xE1\x12\x34Exif\x00\x00", ImageTypeJPEG, nil},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ImageTypePNG, nil},
		{"webp lossy", "RIFF\x24\x00\x00\x00WEBPVP8 ", ImageTypeWebP, nil},
		{"webp lossless", "RIFF\x24\x00\x00\x00WEBPVP8L", ImageTypeWebP, nil},
		{"webp extended", "RIFF\x24\x00\x00\x00WEBPVP8X", ImageTypeWebP, nil},
		{"riff wave", "RIFF\x24\x00\x00\x00WAVEfmt ", "", ErrImageType},
		{"two bytes of jpeg", "\xFF\xD8", "", ErrImageType},
		{"png signature cut", "\x89PNG\r\n", "", ErrImageType},
		{"gif", "GIF89a\x01\x00\x01\x00", "", ErrImageType},
		{"svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>", "", ErrImageType},
		{"html", "<html><script>", "", ErrImageType},
		{"pdf", "%PDF-1.4", "", ErrImageType},
		{"heic", "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "", ErrImageHEIC},
		{"heix", "\x00\x00\x00\x18ftypheix\x00\x00\x00\x00", "", ErrImageHEIC},
		{"msf1", "\x00\x00\x00\x18ftypmsf1\x00\x00\x00\x00", "", ErrImageHEIC},
		{"avif", "\x00\x00\x00\x18ftypavif\x00\x00\x00\x00", "", ErrImageHEIC},
		{"mov", "\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", "", ErrImageType},
		{"empty", "", "", ErrImageType},
	}
	for _, tt := range tests {
		got, err := SniffImage([]byte(tt.head))
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("%s: SniffImage = %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
}

// imgZeros yields n zero bytes without allocating them.
type imgZeros struct{ n int64 }

// Read implements io.Reader.
func (z *imgZeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), z.n))
	clear(p[:k])
	z.n -= int64(k)
	return k, nil
}

// imgCounter counts the bytes read through it and hides any Len method.
type imgCounter struct {
	r io.Reader
	n int64
}

// Read implements io.Reader.
func (c *imgCounter) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n += int64(k)
	return k, err
}

func TestImageTooLarge(t *testing.T) {
	t.Parallel()
	limits := DefaultImageLimits()
	p := NewImageProcessor(1, limits)
	// 30 MB that starts like a JPEG, generated lazily.
	head := imgEncodeJPEG(t, imgQuadrants(64, 48), 90)
	src := &imgCounter{r: io.MultiReader(bytes.NewReader(head), &imgZeros{n: 30 << 20})}
	_, err := p.Process(context.Background(), src)
	if !errors.Is(err, ErrImageTooLarge) {
		t.Fatalf("Process error %v, want ErrImageTooLarge", err)
	}
	if src.n > limits.MaxBytes+1 {
		t.Errorf("read %d bytes, want at most MaxBytes+1 = %d", src.n, limits.MaxBytes+1)
	}

	// The boundary, through a sized reader and through an unsized one.
	small := imgEncodeJPEG(t, imgQuadrants(64, 48), 90)
	for _, tt := range []struct {
		name     string
		maxBytes int64
		want     error
	}{
		{"exactly MaxBytes", int64(len(small)), nil},
		{"one byte over", int64(len(small)) - 1, ErrImageTooLarge},
	} {
		q := NewImageProcessor(1, ImageLimits{MaxBytes: tt.maxBytes})
		for _, r := range []io.Reader{bytes.NewReader(small), &imgCounter{r: bytes.NewReader(small)}} {
			_, err := q.Process(context.Background(), r)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("%s (%T): Process error %v, want %v", tt.name, r, err, tt.want)
			}
		}
	}
}

// TestImagePixelFloodIsCheap is not parallel: it measures allocations.
func TestImagePixelFloodIsCheap(t *testing.T) {
	small := imgEncodeJPEG(t, imgQuadrants(64, 48), 90)
	tests := []struct {
		name string
		data []byte
	}{
		{"png 60000x60000", imgPNGHeader(60000, 60000, bytes.Repeat([]byte("junk"), 1000))},
		{"jpeg 60000x60000", imgSetJPEGSize(t, small, 60000, 60000)},
		{"webp 16384x16384", imgVP8LFloodHeader(16384, 16384)},
	}
	p := NewImageProcessor(1, DefaultImageLimits())
	const maxAlloc = 2 << 20
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := p.Process(context.Background(), bytes.NewReader(tt.data))
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrImagePixels) {
				t.Fatalf("Process error %v, want ErrImagePixels", err)
			}
			if grown := after.TotalAlloc - before.TotalAlloc; grown > maxAlloc {
				t.Errorf("allocated %d bytes, want < %d", grown, maxAlloc)
			}
			if elapsed > 100*time.Millisecond {
				t.Errorf("took %v, want < 100ms", elapsed)
			}
		})
	}
}

func TestImageConcurrentProcessing(t *testing.T) {
	t.Parallel()
	data := imgEncodeJPEG(t, imgQuadrants(400, 300), 90)
	p := imgSmallWidths(NewImageProcessor(2, DefaultImageLimits()))
	if cap(p.sem) != 2 {
		t.Fatalf("%d slots, want 2", cap(p.sem))
	}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	results := make([]ProcessedImage, 8)
	for i := range 8 {
		wg.Go(func() {
			results[i], errs[i] = p.Process(context.Background(), bytes.NewReader(data))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
			continue
		}
		if got := imgSizes(results[i]); fmt.Sprint(got) != fmt.Sprint([]imgSize{{"32", 32, 24}, {"80", 80, 60}, {"160", 160, 120}}) {
			t.Errorf("goroutine %d: variants %v", i, got)
		}
	}
	if n := len(p.sem); n != 0 {
		t.Errorf("%d slots still taken", n)
	}
}

func TestImageWaitHonoursContext(t *testing.T) {
	t.Parallel()
	data := imgEncodeJPEG(t, imgQuadrants(64, 48), 90)
	p := NewImageProcessor(1, DefaultImageLimits())
	p.sem <- struct{}{} // the only slot is busy

	t.Run("canceled while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := p.Process(ctx, bytes.NewReader(data))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Process error %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("returned after %v", d)
		}
	})
	t.Run("deadline while waiting", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		if _, err := p.Process(ctx, bytes.NewReader(data)); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Process error %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("already canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := p.Process(ctx, bytes.NewReader(data)); !errors.Is(err, context.Canceled) {
			t.Fatalf("Process error %v, want context.Canceled", err)
		}
	})
	t.Run("nothing is read while waiting", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		src := &imgCounter{r: bytes.NewReader(data)}
		if _, err := p.Process(ctx, src); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Process error %v, want context.DeadlineExceeded", err)
		}
		if src.n != 0 {
			t.Errorf("read %d bytes before getting a slot", src.n)
		}
	})

	<-p.sem // free the slot: work proceeds again
	if _, err := p.Process(context.Background(), bytes.NewReader(data)); err != nil {
		t.Fatalf("Process after release: %v", err)
	}
	if n := len(p.sem); n != 0 {
		t.Errorf("%d slots still taken", n)
	}
}

func TestNewImageProcessorDefaults(t *testing.T) {
	t.Parallel()
	p := NewImageProcessor(0, ImageLimits{})
	if cap(p.sem) != runtime.NumCPU() {
		t.Errorf("%d slots, want NumCPU = %d", cap(p.sem), runtime.NumCPU())
	}
	if p.limits != DefaultImageLimits() {
		t.Errorf("limits %+v, want %+v", p.limits, DefaultImageLimits())
	}
	want := ImageLimits{MaxBytes: 20 << 20, MaxPixels: 50_000_000, MaxSide: 12000}
	if DefaultImageLimits() != want {
		t.Errorf("DefaultImageLimits() = %+v, want %+v", DefaultImageLimits(), want)
	}
	if fmt.Sprint(p.widths) != "[320 800 1600]" {
		t.Errorf("widths %v", p.widths)
	}
}

// FuzzProcess feeds arbitrary bytes to Process: it must never panic, every
// error must be one of the image sentinels, and every success must be valid
// metadata-free JPEG variants. `go test` runs the seeds; fuzz with
// go test -run xxx -fuzz FuzzProcess ./storage/
func FuzzProcess(f *testing.F) {
	small := imgEncodeJPEG(f, imgQuadrants(40, 30), 90)
	f.Add(small)
	f.Add(small[:len(small)/2])
	f.Add(imgJPEGWithMetadata(f, 48, 32, 6, binary.LittleEndian))
	f.Add(imgEncodePNG(f, imgQuadrants(40, 30)))
	f.Add(imgPNGHeader(60000, 60000, []byte("junk")))
	f.Add(imgWebPLossless(9, 7, 1, 128, func(x, y int) bool { return x == y }))
	f.Add(imgVP8LFloodHeader(16384, 16384))
	f.Add([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"))
	f.Add([]byte("<svg/>"))
	p := NewImageProcessor(1, ImageLimits{MaxBytes: 1 << 20, MaxPixels: 1 << 20, MaxSide: 4096})
	sentinels := []error{ErrImageType, ErrImageHEIC, ErrImageTooLarge, ErrImagePixels, ErrImageCorrupt}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := p.Process(context.Background(), bytes.NewReader(data))
		if err != nil {
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error wraps no image sentinel: %v", err)
		}
		imgCheckOutput(t, res)
	})
}
