package annuaire

import (
	"context"
	"sync"
	"time"
)

// clock is the time source of the limiter and of retry back-off; tests
// replace it with a fake one.
type clock interface {
	Now() time.Time
	// SleepUntil waits until t or until ctx is done.
	SleepUntil(ctx context.Context, t time.Time) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) SleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// tokenBucket is a client-side rate limiter shared by every goroutine that
// uses one Client. A call takes a token, or reserves the next one and
// sleeps until it is due, so waiting callers are served in order and the
// rate never exceeds rate per second after an initial burst of burst calls.
type tokenBucket struct {
	clock clock
	rate  float64 // tokens per second
	burst float64

	mu     sync.Mutex
	tokens float64   // may go negative: tokens reserved by sleepers
	last   time.Time // time tokens was computed
}

func newTokenBucket(c clock, rate float64, burst int) *tokenBucket {
	if burst < 1 {
		burst = 1
	}
	return &tokenBucket{clock: c, rate: rate, burst: float64(burst), tokens: float64(burst), last: c.Now()}
}

// Wait blocks until the caller may send one request, or ctx is done. A
// nil bucket never waits.
func (b *tokenBucket) Wait(ctx context.Context) error {
	if b == nil {
		return ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	due, now := b.reserve()
	if !due.After(now) {
		return nil
	}
	if err := b.clock.SleepUntil(ctx, due); err != nil {
		b.mu.Lock()
		b.tokens++ // give the reservation back
		b.mu.Unlock()
		return err
	}
	return nil
}

// reserve takes a token and returns when it is due (now if one was left).
func (b *tokenBucket) reserve() (due, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now = b.clock.Now()
	if now.After(b.last) {
		b.tokens += now.Sub(b.last).Seconds() * b.rate
		if b.tokens > b.burst {
			b.tokens = b.burst
		}
		b.last = now
	}
	b.tokens--
	if b.tokens >= 0 {
		return now, now
	}
	return b.last.Add(time.Duration(-b.tokens / b.rate * float64(time.Second))), now
}
