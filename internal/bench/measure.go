package bench

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/mssante-go/sdk/internal/heapmeter"
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

// peakHeap runs f and returns the highest heap above the level before it
// (package heapmeter).
func peakHeap(f func() error) (uint64, error) { return heapmeter.Peak(f) }

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
