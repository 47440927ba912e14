package mssante

import (
	"math/bits"
	"sync"
)

// rawBuffer holds a message that Sync or Fetch read into memory to parse it
// in place. Its base64 attachments read from it, so it goes back to the
// pool only once the Message is closed and every reader opened on it is
// closed. Reusing these buffers is what makes a Sync loop that closes its
// messages cheap: a fresh buffer per message costs more CPU in page faults
// and zeroing than parsing the message does.
type rawBuffer struct {
	b       []byte
	mu      sync.Mutex
	readers int  // attachment readers open
	closed  bool // Message.Close was called
}

// newRawBuffer returns a buffer of n bytes, whose content is undefined.
func newRawBuffer(n int) *rawBuffer {
	return &rawBuffer{b: getRaw(n)}
}

// open registers a reader, or fails once the message is closed.
func (r *rawBuffer) open() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errSpoolClosed
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
		putRaw(r.b)
		r.b = nil
	}
}

// Buffers are pooled by power-of-two capacity, from 16 KiB to the default
// spool threshold (larger messages are parsed from the stream).
const (
	rawMinClass = 14
	rawMaxClass = 20
)

var rawPools [rawMaxClass - rawMinClass + 1]sync.Pool

func rawClass(n int) int {
	return max(bits.Len(uint(n-1)), rawMinClass)
}

func getRaw(n int) []byte {
	c := rawClass(n)
	if c > rawMaxClass {
		return make([]byte, n)
	}
	if p, ok := rawPools[c-rawMinClass].Get().(*[]byte); ok {
		return (*p)[:n]
	}
	return make([]byte, n, 1<<c)
}

func putRaw(b []byte) {
	c := rawClass(cap(b))
	if c > rawMaxClass || cap(b) != 1<<c {
		return
	}
	b = b[:0]
	rawPools[c-rawMinClass].Put(&b)
}
