// Package heapmeter measures the peak heap of a piece of work, garbage
// included, for the memory budgets of BENCHMARKS.md and the tests that
// bound memory rather than time.
package heapmeter

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// heapObjects is the runtime/metrics measure of the heap held by objects,
// live or dead and not yet swept: what the process really holds, garbage
// included.
const heapObjects = "/memory/classes/heap/objects:bytes"

// Peak runs f after a full GC and returns the highest heap above the
// level before f, sampled every 200µs by a goroutine (runtime/metrics),
// with a last sample when f returns. Work running beside f in the process
// counts too: measure with nothing else running.
func Peak(f func() error) (uint64, error) {
	runtime.GC()
	sample := []metrics.Sample{{Name: heapObjects}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	before := read()
	var mu sync.Mutex
	peak := before
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := []metrics.Sample{{Name: heapObjects}}
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				metrics.Read(s)
				mu.Lock()
				peak = max(peak, s[0].Value.Uint64())
				mu.Unlock()
			}
		}
	}()
	err := f()
	last := read()
	close(stop)
	<-done
	mu.Lock()
	defer mu.Unlock()
	peak = max(peak, last)
	return peak - before, err
}
