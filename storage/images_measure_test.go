//go:build measure

package storage

import (
	"bytes"
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestPeakMemoryTenConcurrent12MP measures (it asserts nothing) the peak heap
// of ten concurrent Process calls on 12 MP JPEGs with NumCPU workers,
// sampling runtime.MemStats every 10 ms. Run with
// go test -tags measure -run PeakMemory -v ./storage/
func TestPeakMemoryTenConcurrent12MP(t *testing.T) {
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
