// Package backoff is the wait between the attempts of the module's retry
// loops: the reconnections of mssante's Client.Watch, the retries of
// delivery's Outbox, the token refreshes of psc's Session and the retried
// requests of annuaire's Client. One formula for all of them: exponential,
// capped, with "equal jitter".
package backoff

import (
	"crypto/rand"
	"encoding/binary"
	"io"
	"time"
)

// Policy is an exponential backoff. The wait before retry n (n ≥ 1) is
// Min·2^(n-1), capped at Max, then drawn at random between half of it and
// all of it, so that clients that failed together do not come back
// together, while each still waits at least half the nominal time.
type Policy struct {
	// Min is the first nominal wait. Zero or negative means no wait at
	// all.
	Min time.Duration
	// Max caps the nominal wait. Below Min (zero included) means Min: the
	// wait does not grow.
	Max time.Duration
	// Rand is the source of the jitter. Nil means crypto/rand; a reader
	// that fails gives the nominal wait, without jitter.
	Rand io.Reader
}

// Nominal returns the wait before retry n without jitter: Min·2^(n-1),
// capped at Max. n below 1 counts as 1.
func (p Policy) Nominal(n int) time.Duration {
	if p.Min <= 0 {
		return 0
	}
	limit := max(p.Max, p.Min)
	d := p.Min
	for i := 1; i < n && d < limit; i++ {
		d *= 2
		if d <= 0 { // overflow: limit is near the largest Duration
			return limit
		}
	}
	return min(d, limit)
}

// Delay returns the wait before retry n: Nominal(n) with jitter, a
// uniform value between half of it and all of it.
func (p Policy) Delay(n int) time.Duration {
	d := p.Nominal(n)
	half := int64(d / 2)
	if half <= 0 {
		return d
	}
	src := p.Rand
	if src == nil {
		src = rand.Reader
	}
	var b [8]byte
	if _, err := io.ReadFull(src, b[:]); err != nil {
		return d
	}
	return time.Duration(int64(d) - half + int64(binary.BigEndian.Uint64(b[:])%uint64(half+1)))
}
