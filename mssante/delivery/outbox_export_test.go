package delivery

// SetOutboxHook lets the outbox tests (package mssante_test) stop an outbox
// at a named step of a submission: before-persist, after-persist,
// in-flight, data, accepted, recorded; and idle, when a worker starts
// waiting OutboxOptions.IdleTimeout with its connection open.
func SetOutboxHook(o *Outbox, f func(step string)) { o.hook = f }
