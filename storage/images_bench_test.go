package storage

import (
	"bytes"
	"context"
	"image"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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

// TestPeakMemoryTenConcurrent12MP measures (it asserts nothing) the peak heap
// of ten concurrent Process calls on 12 MP JPEGs with NumCPU workers,
// sampling runtime.MemStats every 10 ms. Run with
// SOUK_BENCH_MEMORY=1 go test -run PeakMemory -v ./storage/
func TestPeakMemoryTenConcurrent12MP(t *testing.T) {
	if os.Getenv("SOUK_BENCH_MEMORY") != "1" {
		t.Skip("measurement, not a test: set SOUK_BENCH_MEMORY=1 to measure peak memory of ten concurrent 12 MP uploads")
	}
	data := imgPhoto(t, 4000, 3000)
	workers := runtime.NumCPU()
	p := NewImageProcessor(workers, DefaultImageLimits())

	var base runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&base)

	var peakInuse, peakSys atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peakInuse.Load() {
				peakInuse.Store(ms.HeapInuse)
			}
			if ms.Sys > peakSys.Load() {
				peakSys.Store(ms.Sys)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()

	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range 10 {
		wg.Go(func() {
			_, errs[i] = p.Process(context.Background(), bytes.NewReader(data))
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stop)
	<-sampled
	for i, err := range errs {
		if err != nil {
			t.Errorf("upload %d: %v", i, err)
		}
	}
	const mb = 1 << 20
	t.Logf("input %.1f MB JPEG 4000x3000, 10 concurrent uploads, %d workers (GOMAXPROCS %d), wall %v",
		float64(len(data))/mb, workers, runtime.GOMAXPROCS(0), elapsed.Round(time.Millisecond))
	t.Logf("baseline HeapInuse %.1f MB, Sys %.1f MB", float64(base.HeapInuse)/mb, float64(base.Sys)/mb)
	t.Logf("peak HeapInuse %.1f MB (+%.1f MB), peak Sys %.1f MB (+%.1f MB)",
		float64(peakInuse.Load())/mb, float64(peakInuse.Load()-base.HeapInuse)/mb,
		float64(peakSys.Load())/mb, float64(peakSys.Load()-base.Sys)/mb)
}
