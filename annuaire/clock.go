package annuaire

import (
	"context"
	"time"
)

// Clock is the time a Client reads and waits on (rate limit, retry
// back-off, Retry-After dates), nil meaning the system clock. Tests pass a
// fake one to run without sleeping; the same fake clock serves every
// package of this module.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// sleep waits d on clk, or until ctx is done.
func sleep(ctx context.Context, clk Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-clk.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
