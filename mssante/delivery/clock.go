package delivery

import "time"

// Clock gives the time and timers to the [Tracker] and the [Outbox]. Nil
// means the system clock. The interface is the same in every package of
// this module that reads or waits on time, so that one fake clock serves
// them all in tests.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}
