package xdm

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/mssante-go/sdk/cda"
)

// benchPDF is a 10 MB stand-in for a PDF: its content streams are
// compressed, so random bytes look like them to deflate.
func benchPDF() []byte {
	b := make([]byte, 10e6)
	rand.NewChaCha8([32]byte{7}).Read(b)
	copy(b, "%PDF-1.7\n")
	return b
}

// BenchmarkWriterN1PDF10MB packages an N1 CDA carrying a 10 MB PDF (about
// 13.5 MB of base64 XML) into an IHE_XDM.ZIP written to io.Discard. Compare
// with BenchmarkDeflateBaseline10MB (pair 3 of BENCHMARKS.md).
func BenchmarkWriterN1PDF10MB(b *testing.B) {
	pdf := benchPDF()
	doc := testCDA(b, testPatient(), cda.TypeCRConsultation, func(n *cda.N1) { n.Content = bytes.NewReader(pdf) })
	b.SetBytes(int64(len(pdf)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := NewWriter(io.Discard, nil)
		if _, err := w.Add(bytes.NewReader(doc), nil); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeflateBaseline10MB is the bare-library baseline of the same PDF
// bytes: raw deflate at compress/flate's default level (archive/zip's), and
// base64.
func BenchmarkDeflateBaseline10MB(b *testing.B) {
	pdf := benchPDF()
	b.SetBytes(int64(len(pdf)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		fw, _ := flate.NewWriter(io.Discard, flate.DefaultCompression)
		fw.Write(pdf)
		if err := fw.Close(); err != nil {
			b.Fatal(err)
		}
		enc := base64.NewEncoder(base64.StdEncoding, io.Discard)
		enc.Write(pdf)
		enc.Close()
	}
}
