package mimeparse

import "testing"

func TestBufferPoolClasses(t *testing.T) {
	for _, n := range []int{0, 1, 16 << 10, 16<<10 + 1, 100_000, 1 << 20, 1<<20 + 1} {
		b := GetBuffer(n)
		if len(b) != n {
			t.Fatalf("GetBuffer(%d): len %d", n, len(b))
		}
		PutBuffer(b)
	}
}
