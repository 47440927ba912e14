package annuaire

import (
	"context"

	"github.com/mssante-go/sdk/internal/sysclock"
	"golang.org/x/time/rate"
)

// limiter is the client-side rate limit shared by every goroutine that
// uses one Client: x/time/rate's token bucket, read at the Client's Clock
// (rate.Limiter's own Wait would read the system time) so that tests run it
// on a fake clock. A caller reserves a token, then waits until it is due,
// so waiting callers are served in order and the rate never exceeds the
// limit after an initial burst.
type limiter struct {
	clock  Clock
	bucket *rate.Limiter
}

func newLimiter(clk Clock, perSecond float64, burst int) *limiter {
	return &limiter{clock: clk, bucket: rate.NewLimiter(rate.Limit(perSecond), max(burst, 1))}
}

// Wait blocks until the caller may send one request, or ctx is done; a
// caller that gives up returns its token. A nil limiter never waits.
func (l *limiter) Wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	now := l.clock.Now()
	r := l.bucket.ReserveN(now, 1) // always OK: the burst is at least 1
	if err := sysclock.Sleep(ctx, l.clock, r.DelayFrom(now)); err != nil {
		r.CancelAt(l.clock.Now())
		return err
	}
	return nil
}
