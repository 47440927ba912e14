package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"time"

	"github.com/mssante-go/sdk/internal/trackerscale"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/boltstore"
	"github.com/mssante-go/sdk/mssante/delivery/pgstore"
)

// benchTracker loads c.Tracked messages waiting for their delivery report
// into each store, then times Tracker.Observe of 1,000 reports and one
// CheckTimeouts that fails the 1,000 overdue ones (a tenth of the messages
// at most). Budgets: Observe p99 < 1 ms on bbolt, < 5 ms on PostgreSQL.
func benchTracker(ctx context.Context, c *Config) ([]row, error) {
	due := min(1000, c.Tracked/10)
	stores := []struct {
		name   string
		budget time.Duration
		open   func() (delivery.Store, func(ctx context.Context, batch []*delivery.TrackedMessage) error, func(), error)
	}{
		{"memory", 0, func() (delivery.Store, func(context.Context, []*delivery.TrackedMessage) error, func(), error) {
			s := delivery.NewMemoryStore()
			return s, func(ctx context.Context, batch []*delivery.TrackedMessage) error {
				for _, m := range batch {
					if _, err := s.CreateMessage(ctx, m); err != nil {
						return err
					}
				}
				return nil
			}, func() {}, nil
		}},
		{"bbolt", time.Millisecond, func() (delivery.Store, func(context.Context, []*delivery.TrackedMessage) error, func(), error) {
			s, err := boltstore.Open(filepath.Join(c.Dir, "tracker.db"), nil)
			if err != nil {
				return nil, nil, nil, err
			}
			return s, s.Import, func() { s.Close() }, nil
		}},
		{"PostgreSQL", 5 * time.Millisecond, func() (delivery.Store, func(context.Context, []*delivery.TrackedMessage) error, func(), error) {
			const schema = "mss_bench_9"
			s, err := pgstore.Open(ctx, c.PostgresDSN, &pgstore.Options{Schema: schema})
			if err != nil {
				return nil, nil, nil, err
			}
			return s, s.Import, func() {
				s.Pool().Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
				s.Close()
			}, nil
		}},
	}
	var rows []row
	for _, st := range stores {
		if st.name == "PostgreSQL" && c.PostgresDSN == "" {
			rows = append(rows, skipped("9", "tracker at "+fmt.Sprint(c.Tracked)+" messages, PostgreSQL"))
			continue
		}
		s, load, closeStore, err := st.open()
		if err != nil {
			return nil, err
		}
		f, err := trackerFigures(ctx, s, load, c.Tracked, due)
		closeStore()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", st.name, err)
		}
		obs := row{pair: "9", work: fmt.Sprintf("Tracker.Observe of a DSN at %d tracked messages, %s (%v to load)", c.Tracked, st.name, f.load.Round(time.Second)),
			sdk: fmt.Sprintf("p99 %s (p50 %s)", micros(f.p99), micros(f.p50)), base: "-", ratio: "p99", budget: "-", ok: true}
		if st.budget > 0 {
			obs.budget, obs.ok = "< "+micros(st.budget), f.p99 < st.budget
		}
		rows = append(rows, obs, row{pair: "9", work: fmt.Sprintf("  CheckTimeouts failing %d overdue of %d, %s", due, c.Tracked, st.name),
			sdk: msRound(f.check), base: "-", ratio: "-", budget: "-", ok: true})
	}
	return rows, nil
}

func micros(d time.Duration) string {
	if d >= time.Millisecond {
		return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%d µs", d.Microseconds())
}

type trackerTimes struct {
	load, p50, p99, check time.Duration
}

// trackerFigures fills a store and times the tracker on it.
func trackerFigures(ctx context.Context, s delivery.Store, load func(context.Context, []*delivery.TrackedMessage) error, n, due int) (trackerTimes, error) {
	var f trackerTimes
	begin := time.Now()
	const batch = 10_000
	for lo := 0; lo < n; lo += batch {
		msgs := make([]*delivery.TrackedMessage, 0, batch)
		for i := lo; i < min(lo+batch, n); i++ {
			msgs = append(msgs, trackerscale.Message(i, i < due))
		}
		if err := load(ctx, msgs); err != nil {
			return f, err
		}
	}
	f.load = time.Since(begin)
	tr := delivery.NewTracker(&delivery.TrackerOptions{Store: s, Clock: trackerscale.Clock{}, Timeout: 48 * time.Hour})
	rng := rand.New(rand.NewPCG(9, 9))
	var lat []time.Duration
	for range 1000 {
		i := due + rng.IntN(n-due)
		report := trackerscale.Report(i)
		start := time.Now()
		ok, err := tr.Observe(ctx, report)
		lat = append(lat, time.Since(start))
		if !ok || err != nil {
			return f, fmt.Errorf("observe: %v %v", ok, err)
		}
	}
	slices.Sort(lat)
	f.p50, f.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	start := time.Now()
	k, err := tr.CheckTimeouts(ctx)
	f.check = time.Since(start)
	if err == nil && k != due {
		err = fmt.Errorf("CheckTimeouts failed %d, want %d", k, due)
	}
	return f, err
}
