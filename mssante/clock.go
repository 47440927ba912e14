package mssante

import "time"

// Clock is the time Watch reads and waits on. The same fake clock serves
// every package of this module (psc's, delivery's...): tests pass one to
// drive the waits without sleeping.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}
