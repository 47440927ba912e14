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
	t, err := interleaveRounds(ctx, rounds, side{run: sdk}, side{run: base})
	if err != nil {
		return 0, 0, err
	}
	return median(t.sdk), median(t.base), nil
}

// side is one side of a pair: prepare (untimed, may be nil) then run
// (timed), at each round.
type side struct {
	prepare, run func() error
}

// timings are the durations of the rounds of a pair, round i of one side
// beside round i of the other.
type timings struct {
	sdk, base []time.Duration
}

// interleaveRounds runs the two sides as interleave does, each round's
// prepare untimed, and returns every round's duration.
func interleaveRounds(ctx context.Context, rounds int, sdk, base side) (timings, error) {
	once := func(s side) error {
		if s.prepare != nil {
			if err := s.prepare(); err != nil {
				return err
			}
		}
		return s.run()
	}
	if err := once(sdk); err != nil {
		return timings{}, fmt.Errorf("SDK: %w", err)
	}
	if err := once(base); err != nil {
		return timings{}, fmt.Errorf("baseline: %w", err)
	}
	var t timings
	timed := func(s side, out *[]time.Duration) error {
		if s.prepare != nil {
			if err := s.prepare(); err != nil {
				return err
			}
		}
		runtime.GC()
		start := time.Now()
		err := s.run()
		*out = append(*out, time.Since(start))
		return err
	}
	for i := 0; i < rounds; i++ {
		if err := ctx.Err(); err != nil {
			return timings{}, err
		}
		first, second := sdk, base
		firstOut, secondOut := &t.sdk, &t.base
		if i%2 == 1 {
			first, second, firstOut, secondOut = base, sdk, &t.base, &t.sdk
		}
		if err := timed(first, firstOut); err != nil {
			return timings{}, err
		}
		if err := timed(second, secondOut); err != nil {
			return timings{}, err
		}
	}
	return t, nil
}

// spreadRow is a throughput row judged on the median of the per-round
// ratios (baseline time / SDK time of the same round), with their spread
// (min-max) printed beside it: for the pairs whose figures move most from
// one round to the next.
func spreadRow(pair, work string, n float64, unit string, t timings, min float64) row {
	ratios := make([]float64, len(t.sdk))
	for i := range t.sdk {
		ratios[i] = float64(t.base[i]) / float64(t.sdk[i])
	}
	slices.Sort(ratios)
	med := ratios[len(ratios)/2]
	if len(ratios)%2 == 0 {
		med = (ratios[len(ratios)/2-1] + ratios[len(ratios)/2]) / 2
	}
	r := throughputRow(pair, work, n, unit, median(t.sdk), median(t.base), min)
	r.ratio = fmt.Sprintf("%.2f (%.2f-%.2f, %d rounds)", med, ratios[0], ratios[len(ratios)-1], len(ratios))
	r.ok = med >= min
	return r
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
		ratio: fmt.Sprintf("%.2f", r), budget: fmt.Sprintf(">= %g", min), ok: r >= min}
}
