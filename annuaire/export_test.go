package annuaire

import (
	"context"
	"sync"
	"time"
)

// FakeClock is a clock for tests: sleeping advances it at once.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	Sleeps []time.Duration // every wait asked for, in order
}

// NewFakeClock returns a clock at a fixed instant.
func NewFakeClock() *FakeClock {
	return &FakeClock{now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
}

func (f *FakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *FakeClock) SleepUntil(ctx context.Context, t time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d := t.Sub(f.now); d > 0 {
		f.Sleeps = append(f.Sleeps, d)
		f.now = t
	}
	return ctx.Err()
}

// Advance moves the clock forward.
func (f *FakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// NewClientWithClock is NewClient with a fake clock.
func NewClientWithClock(o Options, c *FakeClock) (*Client, error) { return newClient(o, c) }
