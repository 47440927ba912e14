package trust

import (
	"time"

	"github.com/mssante-go/sdk/internal/sysclock"
)

// Clock is the time a Verifier, a CRLCache or a Source reads and waits on
// (certificate and CRL validity, OCSP freshness, the list's age, Run's
// waits), nil meaning the system clock. Tests pass a fake one; the same
// fake clock serves every package of this module.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// clockOr returns c, or the system clock when c is nil.
func clockOr(c Clock) Clock {
	if c == nil {
		return sysclock.Clock{}
	}
	return c
}
