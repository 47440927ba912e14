package bench

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"time"
)

// interleave runs the two sides of a pair alternately, ABBA, after one
// untimed warm-up each, so that load from other processes hits both alike.
// It returns the median durations.
func interleave(ctx context.Context, rounds int, sdk, base func() error) (time.Duration, time.Duration, error) {
	if err := sdk(); err != nil {
		return 0, 0, fmt.Errorf("SDK: %w", err)
	}
	if err := base(); err != nil {
		return 0, 0, fmt.Errorf("baseline: %w", err)
	}
	var ts, tb []time.Duration
	timed := func(f func() error, out *[]time.Duration) error {
		runtime.GC()
		start := time.Now()
		err := f()
		*out = append(*out, time.Since(start))
		return err
	}
	for i := 0; i < rounds; i++ {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		first, second := sdk, base
		firstOut, secondOut := &ts, &tb
		if i%2 == 1 {
			first, second, firstOut, secondOut = base, sdk, &tb, &ts
		}
		if err := timed(first, firstOut); err != nil {
			return 0, 0, err
		}
		if err := timed(second, secondOut); err != nil {
			return 0, 0, err
		}
	}
	return median(ts), median(tb), nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// heapObjects is the runtime/metrics measure of the heap held by objects,
// live or dead and not yet swept: what the process really holds, garbage
// included.
const heapObjects = "/memory/classes/heap/objects:bytes"

// peakHeap runs f after a full GC and returns the highest heap above the
// level before f, sampled every 200µs by a goroutine (runtime/metrics),
// with a last sample when f returns.
func peakHeap(f func() error) (uint64, error) {
	runtime.GC()
	sample := []metrics.Sample{{Name: heapObjects}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	before := read()
	var mu sync.Mutex
	peak := before
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := []metrics.Sample{{Name: heapObjects}}
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				metrics.Read(s)
				mu.Lock()
				peak = max(peak, s[0].Value.Uint64())
				mu.Unlock()
			}
		}
	}()
	err := f()
	last := read()
	close(stop)
	<-done
	mu.Lock()
	defer mu.Unlock()
	peak = max(peak, last)
	return peak - before, err
}

func mb(n uint64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

func msRound(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

func rate(n float64, d time.Duration, unit string) string {
	v := n / d.Seconds()
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.1f M%s", v/1e6, unit)
	case v >= 1e4:
		return fmt.Sprintf("%.0f k%s", v/1e3, unit)
	case v < 10:
		return fmt.Sprintf("%.2f %s", v, unit)
	}
	return fmt.Sprintf("%.0f %s", v, unit)
}

// throughputRow compares the throughput of two timed sides: the ratio is
// SDK throughput over baseline throughput, which is baseline time over SDK
// time.
func throughputRow(pair, work string, n float64, unit string, sdk, base time.Duration, min float64) row {
	r := float64(base) / float64(sdk)
	return row{pair: pair, work: work, sdk: rate(n, sdk, unit), base: rate(n, base, unit),
		ratio: fmt.Sprintf("%.2f", r), budget: fmt.Sprintf(">= %.1f", min), ok: r >= min}
}
