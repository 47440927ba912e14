package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/trackerscale"
	"github.com/mssante-go/sdk/mssante/delivery"
)

// ScaleOptions size TestScale.
type ScaleOptions struct {
	// Messages is how many tracked messages the store holds. Zero means
	// 5,000.
	Messages int
	// Due is how many of them are past their delivery-report deadline.
	// Zero means a tenth of Messages, at most 1,000.
	Due int
	// Observes is how many reports are timed. Zero means 1,000.
	Observes int
	// Load stores a batch of new messages; nil means CreateMessage for
	// each (slow for a durable store: give its bulk Import).
	Load func(ctx context.Context, batch []*delivery.TrackedMessage) error
}

// ScaleFigures are what TestScale measured.
type ScaleFigures struct {
	Messages, Due       int
	Load                time.Duration // storing the messages
	ObserveP50          time.Duration // Tracker.Observe of a delivery report
	ObserveP99          time.Duration
	CheckTimeouts       time.Duration // failing the Due messages
	ReadPerObserve      float64       // messages read from the store per Observe
	ReadByCheckTimeouts int           // messages read by CheckTimeouts
}

func (f ScaleFigures) String() string {
	return fmt.Sprintf("%d messages (loaded in %v): Observe p50 %v, p99 %v (%.1f messages read each); CheckTimeouts with %d due: %v (%d messages read)",
		f.Messages, f.Load.Round(time.Millisecond), f.ObserveP50.Round(time.Microsecond), f.ObserveP99.Round(time.Microsecond),
		f.ReadPerObserve, f.Due, f.CheckTimeouts.Round(time.Millisecond), f.ReadByCheckTimeouts)
}

// TestScale fills an empty store with tracked messages waiting for their
// delivery reports, then checks that the tracker's work does not grow with
// them: Observe of a report reads one message, CheckTimeouts reads the due
// messages and no other. The timings are returned, not asserted.
func TestScale(t *testing.T, s delivery.Store, opts *ScaleOptions) ScaleFigures {
	var o ScaleOptions
	if opts != nil {
		o = *opts
	}
	if o.Messages <= 0 {
		o.Messages = 5000
	}
	if o.Due <= 0 {
		o.Due = min(o.Messages/10, 1000)
	}
	if o.Observes <= 0 {
		o.Observes = 1000
	}
	if o.Load == nil {
		o.Load = func(ctx context.Context, batch []*delivery.TrackedMessage) error {
			for _, m := range batch {
				if _, err := s.CreateMessage(ctx, m); err != nil {
					return err
				}
			}
			return nil
		}
	}
	ctx := context.Background()
	f := ScaleFigures{Messages: o.Messages, Due: o.Due}
	begin := time.Now()
	const batch = 10_000
	for lo := 0; lo < o.Messages; lo += batch {
		var msgs []*delivery.TrackedMessage
		for i := lo; i < min(lo+batch, o.Messages); i++ {
			msgs = append(msgs, trackerscale.Message(i, i < o.Due))
		}
		if err := o.Load(ctx, msgs); err != nil {
			t.Fatalf("loading messages %d-%d: %v", lo, lo+len(msgs)-1, err)
		}
	}
	f.Load = time.Since(begin)

	cs := &countingStore{Store: s}
	tr := delivery.NewTracker(&delivery.TrackerOptions{Store: cs, Clock: trackerscale.Clock{}, Timeout: 48 * time.Hour})
	rng := rand.New(rand.NewPCG(1, 2))
	lat := make([]time.Duration, 0, o.Observes)
	for range o.Observes {
		i := o.Due + rng.IntN(o.Messages-o.Due)
		report := trackerscale.Report(i)
		start := time.Now()
		ok, err := tr.Observe(ctx, report)
		lat = append(lat, time.Since(start))
		if !ok || err != nil {
			t.Fatalf("Observe of the report of message %d: %v %v", i, ok, err)
		}
	}
	slices.Sort(lat)
	f.ObserveP50, f.ObserveP99 = lat[len(lat)/2], lat[len(lat)*99/100]
	f.ReadPerObserve = float64(cs.read.Swap(0)) / float64(o.Observes)
	if f.ReadPerObserve > 2 {
		t.Errorf("Observe read %.1f messages per report: a scan", f.ReadPerObserve)
	}

	start := time.Now()
	n, err := tr.CheckTimeouts(ctx)
	f.CheckTimeouts = time.Since(start)
	f.ReadByCheckTimeouts = int(cs.read.Load())
	if err != nil || n != o.Due {
		t.Fatalf("CheckTimeouts failed %d recipients (%v), want %d", n, err, o.Due)
	}
	if f.ReadByCheckTimeouts != o.Due {
		t.Errorf("CheckTimeouts read %d messages for %d due: a scan", f.ReadByCheckTimeouts, o.Due)
	}
	if m, err := s.Message(ctx, trackerscale.Message(0, true).MessageID); err != nil || m.Recipients[0].State != delivery.StateFailed {
		t.Fatalf("a due message after CheckTimeouts: %v %v", m, err)
	}
	return f
}

// countingStore counts the messages a Store hands out.
type countingStore struct {
	delivery.Store
	read atomic.Int64
}

func (c *countingStore) Message(ctx context.Context, id string) (*delivery.TrackedMessage, error) {
	m, err := c.Store.Message(ctx, id)
	if err == nil {
		c.read.Add(1)
	}
	return m, err
}

func (c *countingStore) MessageByEnvelopeID(ctx context.Context, id string) (*delivery.TrackedMessage, error) {
	m, err := c.Store.MessageByEnvelopeID(ctx, id)
	if err == nil {
		c.read.Add(1)
	}
	return m, err
}

func (c *countingStore) Messages(ctx context.Context, q delivery.MessageQuery) (delivery.MessagePage, error) {
	p, err := c.Store.Messages(ctx, q)
	c.read.Add(int64(len(p.Messages)))
	return p, err
}

func (c *countingStore) DueMessages(ctx context.Context, q delivery.DueQuery) (delivery.MessagePage, error) {
	p, err := c.Store.DueMessages(ctx, q)
	c.read.Add(int64(len(p.Messages)))
	return p, err
}
