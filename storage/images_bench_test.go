package storage

import (
	"bytes"
	"context"
	"image"
	"math/rand/v2"
	"testing"
)

// imgPhoto returns a w×h JPEG (quality 92) that compresses like a photo:
// smooth gradients with fine noise, about 3–4 bits per pixel.
func imgPhoto(tb testing.TB, w, h int) []byte {
	tb.Helper()
	m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			v := (x*255/w+y*255/h)/2 + int(rng.IntN(48)) - 24
			m.Y[y*m.YStride+x] = uint8(min(max(v, 0), 255))
		}
	}
	for y := range (h + 1) / 2 {
		for x := range (w + 1) / 2 {
			i := y*m.CStride + x
			m.Cb[i] = uint8(96 + x*64/w + rng.IntN(8))
			m.Cr[i] = uint8(160 - y*64/h + rng.IntN(8))
		}
	}
	return imgEncodeJPEG(tb, m, 92)
}

// BenchmarkProcess12MP processes a 12 MP (4000×3000) JPEG into its three
// variants on one worker slot.
func BenchmarkProcess12MP(b *testing.B) {
	data := imgPhoto(b, 4000, 3000)
	b.SetBytes(int64(len(data)))
	p := NewImageProcessor(1, DefaultImageLimits())
	b.ReportAllocs()
	for b.Loop() {
		res, err := p.Process(context.Background(), bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Variants) != 3 {
			b.Fatalf("%d variants", len(res.Variants))
		}
	}
}
