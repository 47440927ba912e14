package mail

import (
	"sync"
)

// rawBuffer holds a message parsed in place whose buffer goes back to its
// owner (ParseOptions.Release): its base64 attachments read from it, so it
// is released only once the Message is closed and every reader opened on
// it is closed.
type rawBuffer struct {
	b       []byte
	release func([]byte)
	mu      sync.Mutex
	readers int  // attachment readers open
	closed  bool // Message.Close was called
}

// open registers a reader, or fails once the message is closed.
func (r *rawBuffer) open() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	r.readers++
	return nil
}

// done unregisters a reader.
func (r *rawBuffer) done() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.readers--
	r.recycle()
}

// close is Message.Close: no reader may be opened afterwards.
func (r *rawBuffer) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	r.recycle()
}

func (r *rawBuffer) recycle() {
	if r.closed && r.readers == 0 && r.b != nil {
		r.release(r.b)
		r.b = nil
	}
}
