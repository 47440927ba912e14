// Package sysclock is the system clock behind the Clock interfaces of the
// module's packages (mssante, delivery, trust, annuaire, psc and the test
// servers), when their caller gives none. Each package keeps its own
// exported Clock interface, so that its documentation stands alone; the
// same fake clock satisfies all of them.
package sysclock

import (
	"context"
	"time"
)

// Clock is the system clock: time.Now and time.After.
type Clock struct{}

func (Clock) Now() time.Time                         { return time.Now() }
func (Clock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Sleep waits d on c, or until ctx ends, whose error it then returns. A d
// of zero or less returns at once, with ctx's error.
func Sleep(ctx context.Context, c interface {
	After(time.Duration) <-chan time.Time
}, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-c.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
