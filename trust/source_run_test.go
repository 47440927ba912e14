package trust

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// waitClock is a fake Clock for Run: After records the wait and fires at
// once, until stop is set.
type waitClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
	stop  bool
}

func (c *waitClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *waitClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	if c.stop {
		return nil // never fires: Run ends on its context
	}
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// TestSourceRunWaits: Run refreshes at once, then waits Interval after a
// success and RetryInterval after a failure, on the Source's Clock, and
// keeps the last good list through the failure.
func TestSourceRunWaits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lb.xml")
	if err := os.WriteFile(path, listWithDate("2025-03-13T14:54:10Z", "a.mssante.fr"), 0o600); err != nil {
		t.Fatal(err)
	}
	clk := &waitClock{now: time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var results []error
	src := &Source{Location: path, Clock: clk, Interval: 6 * time.Hour, RetryInterval: 10 * time.Minute}
	src.OnRefresh = func(changed bool, err error) {
		results = append(results, err)
		switch len(results) {
		case 2:
			os.Remove(path) // the next refresh fails
		case 3:
			clk.mu.Lock()
			clk.stop = true
			clk.mu.Unlock()
			cancel()
		}
	}
	if err := src.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	if len(results) != 3 || results[0] != nil || results[1] != nil || results[2] == nil {
		t.Fatalf("refresh results %v, want ok, ok, failed", results)
	}
	if want := []time.Duration{6 * time.Hour, 6 * time.Hour, 10 * time.Minute}; !slices.Equal(clk.waits, want) {
		t.Errorf("waits %v, want %v", clk.waits, want)
	}
	if !src.Contains("a.mssante.fr") {
		t.Error("the last good list was dropped")
	}
}
