package storage

// The image pipeline: everything that happens to the bytes of an uploaded
// photo before they become objects. An upload is read with a hard byte cap,
// typed by its magic bytes (never by the client's file name or Content-Type),
// checked for a pixel flood from its header alone, decoded (panics in
// decoders become ErrImageCorrupt), turned upright according to its EXIF
// orientation, flattened onto white when it has transparency and re-encoded
// as baseline JPEG variants. Re-encoding writes only pixels: EXIF (GPS), XMP,
// ICC profiles, comments and any polyglot payload are dropped by
// construction, and the original bytes are never returned.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"net/http"
	"runtime"
	"slices"
	"strconv"

	"github.com/disintegration/imaging"
	"golang.org/x/image/webp"
)

// Sentinel errors returned (wrapped) by SniffImage and ImageProcessor.Process.
// Test them with errors.Is.
var (
	// ErrImageType reports content that is not JPEG, PNG or WebP (SVG,
	// HTML, GIF, PDF, video, …), whatever its name or declared type.
	ErrImageType = errors.New("unsupported image type")
	// ErrImageHEIC reports a HEIC/HEIF (or AVIF) file, which cannot be
	// decoded in pure Go; handlers show a specific message for it.
	ErrImageHEIC = errors.New("heic images are not supported")
	// ErrImageTooLarge reports an upload of more than ImageLimits.MaxBytes.
	ErrImageTooLarge = errors.New("image file too large")
	// ErrImagePixels reports a header declaring more than
	// ImageLimits.MaxPixels pixels or a side longer than ImageLimits.MaxSide.
	ErrImagePixels = errors.New("image has too many pixels")
	// ErrImageCorrupt reports an image whose header or pixels cannot be
	// decoded, including inputs that make a decoder panic.
	ErrImageCorrupt = errors.New("image cannot be decoded")
)

// Content types returned by SniffImage and stored in
// ProcessedImage.SourceType.
const (
	ImageTypeJPEG = "image/jpeg"
	ImageTypePNG  = "image/png"
	ImageTypeWebP = "image/webp"
)

// Defaults of DefaultImageLimits.
const (
	// DefaultImageMaxBytes is the largest accepted upload (20 MiB).
	DefaultImageMaxBytes = 20 << 20
	// DefaultImageMaxPixels is the largest accepted width × height.
	DefaultImageMaxPixels = 50_000_000
	// DefaultImageMaxSide is the longest accepted side, in pixels.
	DefaultImageMaxSide = 12_000
)

const (
	// jpegQuality is the quality of every variant.
	jpegQuality = 82
	// sniffLen is how many leading bytes SniffImage looks at (the amount
	// http.DetectContentType considers).
	sniffLen = 512
	// readChunk is the first buffer size when the input size is unknown.
	readChunk = 64 << 10
)

// VariantWidths are the widths, in pixels, of the variants Process makes,
// named by their decimal value ("320", "800", "1600"). NewImageProcessor
// takes a sorted copy; changing the slice later has no effect on existing
// processors.
var VariantWidths = []int{320, 800, 1600}

// ImageLimits bounds what Process accepts. A zero or negative field means
// the default of DefaultImageLimits.
type ImageLimits struct {
	// MaxBytes is the largest accepted upload, in bytes.
	MaxBytes int64
	// MaxPixels is the largest accepted width × height, read from the
	// header before any pixel is decoded.
	MaxPixels int64
	// MaxSide is the longest accepted width or height, in pixels.
	MaxSide int
}

// DefaultImageLimits returns 20 MiB, 50 megapixels and 12 000 px per side:
// enough for any phone camera, small enough to decode safely.
func DefaultImageLimits() ImageLimits {
	return ImageLimits{
		MaxBytes:  DefaultImageMaxBytes,
		MaxPixels: DefaultImageMaxPixels,
		MaxSide:   DefaultImageMaxSide,
	}
}

// withDefaults returns l with zero or negative fields set to their defaults.
func (l ImageLimits) withDefaults() ImageLimits {
	d := DefaultImageLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = d.MaxPixels
	}
	if l.MaxSide <= 0 {
		l.MaxSide = d.MaxSide
	}
	return l
}

// checkDimensions returns an error wrapping ErrImagePixels when a w×h image
// breaks the limits, or ErrImageCorrupt when a side is not positive.
func (l ImageLimits) checkDimensions(w, h int) error {
	switch {
	case w <= 0 || h <= 0:
		return fmt.Errorf("check image size %dx%d: %w: empty image", w, h, ErrImageCorrupt)
	case w > l.MaxSide || h > l.MaxSide:
		return fmt.Errorf("check image size %dx%d: %w: a side is over %d px", w, h, ErrImagePixels, l.MaxSide)
	case int64(w)*int64(h) > l.MaxPixels:
		return fmt.Errorf("check image size %dx%d: %w: over %d pixels", w, h, ErrImagePixels, l.MaxPixels)
	}
	return nil
}

// Variant is one re-encoded size of an image.
type Variant struct {
	// Name is the nominal width: "320", "800" or "1600".
	Name string
	// Width and Height are the actual pixel dimensions. Width is at most
	// the nominal width, and smaller only for a source narrower than 320 px
	// (the "320" variant keeps the source size; images are never upscaled).
	Width, Height int
	// Data is a baseline JPEG without any metadata segment.
	Data []byte
}

// ProcessedImage is the outcome of Process.
type ProcessedImage struct {
	// Width and Height are those of the largest variant (the last one).
	Width, Height int
	// Variants are ordered from smallest to largest. Only nominal widths up
	// to the (upright) source width are made, but "320" always is: a
	// 1000 px wide photo yields "320" and "800"; a 200 px one yields "320"
	// at 200 px.
	Variants []Variant
	// SourceType is the sniffed type of the upload: ImageTypeJPEG,
	// ImageTypePNG or ImageTypeWebP.
	SourceType string
}

// ImageProcessor runs decoding/encoding in a bounded pool so N concurrent
// uploads cannot exhaust memory: at most `workers` uploads are read,
// decoded and encoded at a time. A 12 MP JPEG needs about 50 MB while it is
// processed (18 MB decoded, 19 MB for the first resampling pass, the upload
// and the variants); the worst accepted input (50 MP, 16-bit PNG) needs
// several hundred MB. It is safe for concurrent use.
type ImageProcessor struct {
	limits ImageLimits
	widths []int
	sem    chan struct{}
}

// NewImageProcessor returns a processor with `workers` decode slots
// (runtime.NumCPU() when workers <= 0) and the given limits (zero fields take
// their defaults).
func NewImageProcessor(workers int, limits ImageLimits) *ImageProcessor {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	widths := make([]int, 0, len(VariantWidths))
	for _, w := range VariantWidths {
		if w > 0 {
			widths = append(widths, w)
		}
	}
	slices.Sort(widths)
	widths = slices.Compact(widths)
	if len(widths) == 0 {
		widths = []int{320}
	}
	return &ImageProcessor{
		limits: limits.withDefaults(),
		widths: widths,
		sem:    make(chan struct{}, workers),
	}
}

// Process reads an uploaded image from r and returns its re-encoded JPEG
// variants. It waits for a worker slot honouring ctx (returning ctx's error,
// wrapped), then reads at most MaxBytes+1 bytes (more → ErrImageTooLarge),
// types the bytes with SniffImage, refuses a pixel flood from the header
// alone (ErrImagePixels) and decodes, orients, flattens, resizes and
// encodes. Broken input, including input that makes a decoder panic, yields
// ErrImageCorrupt.
//
// The upload is read inside the slot, so waiting requests hold no copy of
// it; r should therefore be a reader over bytes already received (Fiber's
// request body, a multipart file), not a slow network stream.
func (p *ImageProcessor) Process(ctx context.Context, r io.Reader) (ProcessedImage, error) {
	if err := p.acquire(ctx); err != nil {
		return ProcessedImage{}, err
	}
	defer p.release()
	data, err := readLimited(ctx, r, p.limits.MaxBytes)
	if err != nil {
		return ProcessedImage{}, err
	}
	typ, err := SniffImage(data[:min(len(data), sniffLen)])
	if err != nil {
		return ProcessedImage{}, err
	}
	cfg, err := decodeImageConfig(typ, data)
	if err != nil {
		return ProcessedImage{}, err
	}
	if err := p.limits.checkDimensions(cfg.Width, cfg.Height); err != nil {
		return ProcessedImage{}, err
	}
	return p.render(ctx, typ, data, cfg)
}

// acquire waits for a worker slot or for ctx to end.
func (p *ImageProcessor) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("wait for image worker: %w", err)
	}
	select {
	case p.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for image worker: %w", ctx.Err())
	}
}

// release frees the slot taken by acquire.
func (p *ImageProcessor) release() {
	<-p.sem
}

// render decodes data (already typed and size-checked) and encodes the
// variants. A panic anywhere in it becomes ErrImageCorrupt.
func (p *ImageProcessor) render(ctx context.Context, typ string, data []byte, cfg image.Config) (out ProcessedImage, err error) {
	defer func() {
		if v := recover(); v != nil {
			out = ProcessedImage{}
			err = fmt.Errorf("process image: %w: panic: %v", ErrImageCorrupt, v)
		}
	}()
	orient := 1
	if typ == ImageTypeJPEG {
		orient = jpegOrientation(data)
	}
	src, err := decodeImage(typ, data)
	if err != nil {
		return ProcessedImage{}, err
	}
	sw, sh := src.Bounds().Dx(), src.Bounds().Dy()
	if sw != cfg.Width || sh != cfg.Height {
		return ProcessedImage{}, fmt.Errorf("decode image: %w: decoded %dx%d, header said %dx%d",
			ErrImageCorrupt, sw, sh, cfg.Width, cfg.Height)
	}
	if err := ctx.Err(); err != nil {
		return ProcessedImage{}, fmt.Errorf("process image: %w", err)
	}

	// Upright dimensions: orientations 5–8 swap the axes.
	uw, uh := sw, sh
	if orient >= 5 {
		uw, uh = sh, sw
	}
	names, widths := p.plan(uw)
	variants := make([]Variant, len(widths))

	// Largest first, each smaller one from the previous: the full-size
	// decode is resized once, then freed.
	var prev *image.NRGBA
	for i := len(widths) - 1; i >= 0; i-- {
		w := widths[i]
		h := max(1, int(math.Round(float64(uh)*float64(w)/float64(uw))))
		var img *image.NRGBA
		if prev == nil {
			// Resize in the source's axes, then turn the (small) result
			// upright, then drop any transparency.
			rw, rh := w, h
			if orient >= 5 {
				rw, rh = h, w
			}
			if rw != sw && rh != sh {
				// The two passes imaging.Resize would make, split so
				// that the full-size decode can be collected during
				// the second one.
				wide := imaging.Resize(src, rw, sh, imaging.Lanczos)
				src = nil
				img = imaging.Resize(wide, rw, rh, imaging.Lanczos)
			} else {
				img = imaging.Resize(src, rw, rh, imaging.Lanczos)
				src = nil
			}
			img = applyOrientation(img, orient)
			flattenOnWhite(img)
		} else {
			img = imaging.Resize(prev, w, h, imaging.Lanczos)
		}
		enc, err := encodeJPEG(img)
		if err != nil {
			return ProcessedImage{}, err
		}
		variants[i] = Variant{Name: names[i], Width: w, Height: h, Data: enc}
		prev = img
		if err := ctx.Err(); err != nil {
			return ProcessedImage{}, fmt.Errorf("process image: %w", err)
		}
	}
	largest := variants[len(variants)-1]
	return ProcessedImage{
		Width:      largest.Width,
		Height:     largest.Height,
		Variants:   variants,
		SourceType: typ,
	}, nil
}

// plan returns the names and actual widths of the variants of an image
// whose upright width is uw: every nominal width up to uw, and at least the
// smallest one (at uw when the image is narrower).
func (p *ImageProcessor) plan(uw int) (names []string, widths []int) {
	for _, w := range p.widths {
		if w <= uw {
			names = append(names, strconv.Itoa(w))
			widths = append(widths, w)
		}
	}
	if len(widths) == 0 {
		names = []string{strconv.Itoa(p.widths[0])}
		widths = []int{uw}
	}
	return names, widths
}

// readLimited reads all of r, but at most limit+1 bytes, failing with
// ErrImageTooLarge when r holds more than limit bytes. Reads stop when ctx
// ends.
func readLimited(ctx context.Context, r io.Reader, limit int64) ([]byte, error) {
	size := int64(readChunk)
	if l, ok := r.(interface{ Len() int }); ok {
		size = int64(l.Len()) + 1 // +1 so that EOF needs no second buffer
	}
	size = min(size, limit+1)
	buf := make([]byte, 0, size)
	lr := io.LimitReader(ctxReader{ctx: ctx, r: r}, limit+1)
	for {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(max(2*int64(cap(buf)), readChunk), limit+1))
			copy(grown, buf)
			buf = grown
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read image: %w", err)
		}
		if int64(len(buf)) > limit {
			break
		}
	}
	if int64(len(buf)) > limit {
		return nil, fmt.Errorf("read image: %w: more than %d bytes", ErrImageTooLarge, limit)
	}
	return buf, nil
}

// heifBrands are the ISO-BMFF ftyp brands of HEIC/HEIF and AVIF files.
var heifBrands = map[string]bool{
	"heic": true, "heix": true, "heim": true, "heis": true,
	"hevc": true, "hevx": true, "hevm": true, "hevs": true,
	"mif1": true, "mif2": true, "msf1": true, "heif": true,
	"avif": true, "avis": true,
}

// SniffImage returns the content type of an image from its first bytes (up
// to 512 are looked at): ImageTypeJPEG, ImageTypePNG or ImageTypeWebP. A
// HEIC/HEIF/AVIF file yields ErrImageHEIC; anything else ErrImageType. Only
// the content counts: file names and declared types are never consulted.
func SniffImage(head []byte) (string, error) {
	head = head[:min(len(head), sniffLen)]
	if isISOBMFFImage(head) {
		return "", fmt.Errorf("sniff image: %w", ErrImageHEIC)
	}
	if len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP" {
		return ImageTypeWebP, nil
	}
	ct := http.DetectContentType(head)
	switch {
	case ct == ImageTypeJPEG && len(head) >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF:
		return ImageTypeJPEG, nil
	case ct == ImageTypePNG && bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return ImageTypePNG, nil
	}
	return "", fmt.Errorf("sniff image: %w: content is %s", ErrImageType, ct)
}

// isISOBMFFImage reports whether head starts with an ftyp box naming a
// HEIF-family brand, as major or compatible brand.
func isISOBMFFImage(head []byte) bool {
	if len(head) < 12 || string(head[4:8]) != "ftyp" {
		return false
	}
	if heifBrands[string(head[8:12])] {
		return true
	}
	end := min(int(binary.BigEndian.Uint32(head)), len(head))
	for i := 16; i+4 <= end; i += 4 { // compatible brands follow the minor version
		if heifBrands[string(head[i:i+4])] {
			return true
		}
	}
	return false
}

// decodeImageConfig reads the dimensions of data of type typ with that
// type's decoder only, without decoding pixels.
func decodeImageConfig(typ string, data []byte) (cfg image.Config, err error) {
	defer func() {
		if v := recover(); v != nil {
			cfg = image.Config{}
			err = fmt.Errorf("decode image header: %w: panic: %v", ErrImageCorrupt, v)
		}
	}()
	r := bytes.NewReader(data)
	switch typ {
	case ImageTypeJPEG:
		cfg, err = jpeg.DecodeConfig(r)
	case ImageTypePNG:
		cfg, err = png.DecodeConfig(r)
	case ImageTypeWebP:
		cfg, err = webp.DecodeConfig(r)
	default:
		return image.Config{}, fmt.Errorf("decode image header: %w: %s", ErrImageType, typ)
	}
	if err != nil {
		return image.Config{}, fmt.Errorf("decode image header: %w: %w", ErrImageCorrupt, err)
	}
	return cfg, nil
}

// decodeImage decodes data of type typ with that type's decoder only (never
// through the image.Decode registry, which also knows GIF, BMP and TIFF
// once imaging is linked in).
func decodeImage(typ string, data []byte) (img image.Image, err error) {
	defer func() {
		if v := recover(); v != nil {
			img = nil
			err = fmt.Errorf("decode image: %w: panic: %v", ErrImageCorrupt, v)
		}
	}()
	r := bytes.NewReader(data)
	switch typ {
	case ImageTypeJPEG:
		img, err = jpeg.Decode(r)
	case ImageTypePNG:
		img, err = png.Decode(r)
	case ImageTypeWebP:
		img, err = webp.Decode(r)
	default:
		return nil, fmt.Errorf("decode image: %w: %s", ErrImageType, typ)
	}
	if err != nil {
		return nil, fmt.Errorf("decode image: %w: %w", ErrImageCorrupt, err)
	}
	return img, nil
}

// jpegOrientation returns the EXIF orientation (1–8) of a JPEG, or 1 when
// it has none or an invalid one. It walks the marker segments before the
// image data and reads the first Exif APP1 segment with a valid orientation
// tag (imaging's own reader stops at the first APP1, which may be XMP).
func jpegOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8): // no length
			i += 2
			continue
		case marker == 0xD9 || marker == 0xDA: // EOI, SOS: no metadata after
			return 1
		}
		size := int(binary.BigEndian.Uint16(data[i+2:]))
		if size < 2 || i+2+size > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+size]
		if marker == 0xE1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o, ok := tiffOrientation(seg[6:]); ok {
				return o
			}
		}
		i += 2 + size
	}
	return 1
}

// tiffOrientation reads the Orientation tag (0x0112) of IFD0 of a TIFF
// structure (the body of an Exif segment).
func tiffOrientation(t []byte) (int, bool) {
	if len(t) < 8 {
		return 0, false
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0, false
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0, false
	}
	off := int64(bo.Uint32(t[4:]))
	if off < 8 || off+2 > int64(len(t)) {
		return 0, false
	}
	base := int(off) // < len(t)
	n := int(bo.Uint16(t[base:]))
	for k := range n {
		e := base + 2 + 12*k
		if e+12 > len(t) {
			return 0, false
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		var v uint32
		switch typ := bo.Uint16(t[e+2:]); typ {
		case 3: // SHORT
			v = uint32(bo.Uint16(t[e+8:]))
		case 4: // LONG
			v = bo.Uint32(t[e+8:])
		default:
			return 0, false
		}
		if bo.Uint32(t[e+4:]) < 1 || v < 1 || v > 8 {
			return 0, false
		}
		return int(v), true
	}
	return 0, false
}

// applyOrientation turns img upright for an EXIF orientation (the same
// mapping as imaging.AutoOrientation).
func applyOrientation(img *image.NRGBA, orient int) *image.NRGBA {
	switch orient {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img)
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img)
	}
	return img
}

// flattenOnWhite composites the non-opaque pixels of img onto white, in
// place, so that the image is opaque.
func flattenOnWhite(img *image.NRGBA) {
	for y := range img.Rect.Dy() {
		row := img.Pix[y*img.Stride : y*img.Stride+4*img.Rect.Dx()]
		for i := 0; i < len(row); i += 4 {
			a := uint32(row[i+3])
			if a == 0xFF {
				continue
			}
			for c := range 3 {
				v := (uint32(row[i+c])*a + 0xFF*(0xFF-a) + 0x7F) / 0xFF
				row[i+c] = uint8(min(v, 0xFF))
			}
			row[i+3] = 0xFF
		}
	}
}

// encodeJPEG encodes an opaque img as a baseline JPEG without metadata.
func encodeJPEG(img *image.NRGBA) ([]byte, error) {
	// An opaque NRGBA has the same bytes as an RGBA, for which image/jpeg
	// has a fast path.
	rgba := &image.RGBA{Pix: img.Pix, Stride: img.Stride, Rect: img.Rect}
	var buf bytes.Buffer
	buf.Grow(img.Rect.Dx()*img.Rect.Dy()/4 + 1024)
	if err := jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: jpegQuality}); err != nil {
		return nil, fmt.Errorf("encode jpeg: %w", err)
	}
	out := buf.Bytes()
	if cap(out)-len(out) > len(out)/4 {
		out = bytes.Clone(out) // do not keep a mostly empty buffer alive
	}
	return out, nil
}
