package annuaire

import (
	"sync"
	"time"
)

// FakeClock is a Clock for tests: waiting on After advances it at once.
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

// After records d, moves the time forward by d and returns a channel that
// already holds the new time.
func (f *FakeClock) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d > 0 {
		f.Sleeps = append(f.Sleeps, d)
		f.now = f.now.Add(d)
	}
	ch := make(chan time.Time, 1)
	ch <- f.now
	return ch
}

// Advance moves the clock forward.
func (f *FakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}
