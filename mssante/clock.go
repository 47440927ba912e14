package mssante

import "time"

// Clock is the time Watch reads and waits on. The same fake clock serves
// every package of this module (psc's, delivery's...): tests pass one to
// drive the waits without sleeping.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// systemClock is the Clock of a nil Clock field.
type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
