package annuaire

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/sysclock"
)

// maxInWindow returns the largest number of instants within any closed
// window of length w.
func maxInWindow(ts []time.Time, w time.Duration) int {
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	best, lo := 0, 0
	for hi := range ts {
		for ts[hi].Sub(ts[lo]) > w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// TestLimiterNoBurst checks, on a fake clock, that no one-second window
// holds more than rate+burst grants, whether callers come one by one or
// from many goroutines at once, and that the long-run rate is the limit.
func TestLimiterNoBurst(t *testing.T) {
	for _, tt := range []struct {
		rate  float64
		burst int
	}{{17, 1}, {17, 5}, {3, 1}} {
		clk := NewFakeClock()
		b := newLimiter(clk, tt.rate, tt.burst)
		const n = 200

		// Sequential callers through Wait.
		var seq []time.Time
		for i := 0; i < n; i++ {
			if err := b.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			seq = append(seq, clk.Now())
		}
		limit := int(tt.rate) + tt.burst
		if got := maxInWindow(seq, time.Second); got > limit {
			t.Errorf("rate %v burst %d, sequential: %d grants in one second, limit %d", tt.rate, tt.burst, got, limit)
		}
		span := seq[n-1].Sub(seq[0]).Seconds()
		if want := float64(n-tt.burst) / tt.rate; span < want*0.99 {
			t.Errorf("rate %v: %d grants took %.2fs, want >= %.2fs", tt.rate, n, span, want)
		}

		// Concurrent callers: the reservations they get.
		clk.Advance(time.Hour)
		var mu sync.Mutex
		var conc []time.Time
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < n/8; i++ {
					now := clk.Now()
					due := now.Add(b.bucket.ReserveN(now, 1).DelayFrom(now))
					mu.Lock()
					conc = append(conc, due)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if got := maxInWindow(conc, time.Second); got > limit {
			t.Errorf("rate %v burst %d, concurrent: %d grants in one second, limit %d", tt.rate, tt.burst, got, limit)
		}
	}
}

func TestLimiterCancel(t *testing.T) {
	clk := NewFakeClock()
	b := newLimiter(clk, 1, 1)
	if err := b.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	// The cancelled caller took nothing: after one second one token is back.
	clk.Advance(time.Second)
	if d := b.bucket.ReserveN(clk.Now(), 1).DelayFrom(clk.Now()); d > 0 {
		t.Errorf("token not returned: due in %v", d)
	}

	// A caller cancelled while it waits gives its reservation back.
	ctx, cancel = context.WithCancel(context.Background())
	blocked := &blockingClock{FakeClock: clk, waiting: make(chan struct{})}
	b.clock = blocked
	done := make(chan error)
	go func() { done <- b.Wait(ctx) }()
	<-blocked.waiting
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	clk.Advance(time.Second)
	if d := b.bucket.ReserveN(clk.Now(), 1).DelayFrom(clk.Now()); d > 0 {
		t.Errorf("reservation not returned: due in %v", d)
	}
}

// blockingClock is a FakeClock whose After never fires and says when
// someone waits on it.
type blockingClock struct {
	*FakeClock
	waiting chan struct{}
}

func (c *blockingClock) After(time.Duration) <-chan time.Time {
	close(c.waiting)
	return nil
}

func TestLimiterRealClockConcurrent(t *testing.T) {
	b := newLimiter(sysclock.Clock{}, 200, 1)
	start := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				b.Wait(context.Background())
			}
		}()
	}
	wg.Wait()
	if el := time.Since(start); el < 190*time.Millisecond {
		t.Errorf("40 calls at 200/s took %v, want >= 195ms", el)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		"-3":                            0,
		"soon":                          0,
		"Thu, 26 Nov 2026 10:00:30 GMT": 30 * time.Second,
		"Thu, 26 Nov 2026 09:00:00 GMT": 0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}
