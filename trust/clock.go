package trust

import "time"

// Clock is the time a Verifier, a CRLCache or a Source reads and waits on
// (certificate and CRL validity, OCSP freshness, the list's age, Run's
// waits), nil meaning the system clock. Tests pass a fake one; the same
// fake clock serves every package of this module.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// clockOr returns c, or the system clock when c is nil.
func clockOr(c Clock) Clock {
	if c == nil {
		return systemClock{}
	}
	return c
}
