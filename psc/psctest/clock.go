package psctest

import (
	"sync"
	"time"
)

// Clock is a fake psc.Clock for tests: time moves only when Advance is
// called or when someone waits on After, which moves it forward by the
// wait at once and records the wait. Give the same Clock to the
// psc.Config and to Options.Clock so that the client and the server agree;
// it serves as the Clock of the other packages of this module too.
type Clock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

// NewClock returns a Clock at start (zero: a fixed date, 2025-01-06 09:00
// UTC).
func NewClock(start time.Time) *Clock {
	if start.IsZero() {
		start = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	}
	return &Clock{now: start}
}

// Now returns the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After moves the time forward by d, records d, and returns a channel
// that already holds the new time.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	c.waits = append(c.waits, d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// Advance moves the time forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Waits returns the durations waited on After so far, and forgets them.
func (c *Clock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.waits
	c.waits = nil
	return w
}
