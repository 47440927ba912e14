package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// WakeOutbox implements delivery.OutboxWaker when Options.Notify is set:
// one connection of the pool LISTENs to the outbox's channel until ctx is
// done, reconnecting after a failure (a restart of the server) with a
// growing pause, up to 10 seconds. Without Notify it returns nil: a nil
// channel never receives, and the outbox polls.
func (s *Store) WakeOutbox(ctx context.Context) <-chan struct{} {
	if !s.opts.Notify {
		return nil
	}
	ch := make(chan struct{}, 1)
	go func() {
		defer close(ch)
		pause := 100 * time.Millisecond
		for ctx.Err() == nil {
			if s.listen(ctx, ch) {
				pause = 100 * time.Millisecond
			}
			select {
			case <-ctx.Done():
			case <-time.After(pause):
			}
			pause = min(2*pause, 10*time.Second)
			// Entries may have come while nobody listened.
			signal(ch)
		}
	}()
	return ch
}

// listen holds a connection LISTENing and signals each notification, until
// an error or ctx's end. It reports whether it listened at all.
func (s *Store) listen(ctx context.Context, ch chan<- struct{}) bool {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false
	}
	// A connection that LISTENed must not go back to the pool's other
	// users: it is closed when the listener ends.
	pc := conn.Hijack()
	defer pc.Close(context.WithoutCancel(ctx))
	if _, err := pc.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return false
	}
	for {
		if _, err := pc.WaitForNotification(ctx); err != nil {
			return true
		}
		signal(ch)
	}
}

func signal(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
