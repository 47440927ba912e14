package mimeparse

import (
	"math/bits"
	"sync"
)

// Buffers are pooled by power-of-two capacity, from 16 KiB to the default
// spool threshold (larger messages are parsed from the stream). Reusing
// them is what makes a Sync loop that closes its messages cheap: a fresh
// buffer per message costs more CPU in page faults and zeroing than
// parsing the message does.
const (
	rawMinClass = 14
	rawMaxClass = 20
)

var rawPools [rawMaxClass - rawMinClass + 1]sync.Pool

func rawClass(n int) int {
	return max(bits.Len(uint(n-1)), rawMinClass)
}

// GetBuffer returns a buffer of n bytes from the pool (a fresh one above
// the largest class), whose content is undefined.
func GetBuffer(n int) []byte {
	c := rawClass(n)
	if c > rawMaxClass {
		return make([]byte, n)
	}
	if p, ok := rawPools[c-rawMinClass].Get().(*[]byte); ok {
		return (*p)[:n]
	}
	return make([]byte, n, 1<<c)
}

// PutBuffer gives b back to the pool, when its capacity is one of the
// pooled classes; the caller must not use b afterwards.
func PutBuffer(b []byte) {
	c := rawClass(cap(b))
	if c > rawMaxClass || cap(b) != 1<<c {
		return
	}
	b = b[:0]
	rawPools[c-rawMinClass].Put(&b)
}
