package cda

import (
	"crypto/sha256"
	"io"
	"runtime"
	"testing"
)

// zeroReader yields n pseudo-random bytes without holding them.
type zeroReader struct{ n, i int }

func (z *zeroReader) Read(p []byte) (int, error) {
	if z.i >= z.n {
		return 0, io.EOF
	}
	k := min(len(p), z.n-z.i)
	for j := 0; j < k; j++ {
		p[j] = byte((z.i + j) * 31 >> 3)
	}
	z.i += k
	return k, nil
}

// TestStreaming20MB encodes a document with a 20 MB PDF into a pipe and
// parses it from the other end: neither side may hold the payload.
func TestStreaming20MB(t *testing.T) {
	if testing.Short() {
		t.Skip("large payload")
	}
	const size = 20 << 20
	n := testN1(t, nil)
	n.Content = &zeroReader{n: size}
	d, err := NewN1(n)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.New()
	io.Copy(want, &zeroReader{n: size})

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(d.Encode(pw)) }()
	got, err := Parse(pr, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	m, err := io.Copy(h, got.Body.Content)
	if err != nil || m != size {
		t.Fatalf("payload %d bytes, %v", m, err)
	}
	io.Copy(io.Discard, pr)
	runtime.ReadMemStats(&after)
	if string(h.Sum(nil)) != string(want.Sum(nil)) {
		t.Fatal("payload differs")
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("encode+parse of a 20 MB payload allocated %d MB", alloc>>20)
	}
}
