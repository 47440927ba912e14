package cda

import (
	"bytes"
	"io"
	"testing"
)

func BenchmarkParseN1(b *testing.B) {
	n := testN1(b, nil)
	n.Content = &zeroReader{n: 1 << 20}
	d, err := NewN1(n)
	if err != nil {
		b.Fatal(err)
	}
	doc := encode(b, d)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		got, err := Parse(bytes.NewReader(doc), nil)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, got.Body.Content)
	}
}

func BenchmarkEncodeN1(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(1 << 20)
	for i := 0; i < b.N; i++ {
		n := testN1(b, nil)
		n.Content = &zeroReader{n: 1 << 20}
		d, err := NewN1(n)
		if err != nil {
			b.Fatal(err)
		}
		if err := d.Encode(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
