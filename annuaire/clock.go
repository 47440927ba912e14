package annuaire

import (
	"time"
)

// Clock is the time a Client reads and waits on (rate limit, retry
// back-off, Retry-After dates), nil meaning the system clock. Tests pass a
// fake one to run without sleeping; the same fake clock serves every
// package of this module.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}
