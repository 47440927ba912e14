package bench

import (
	"compress/flate"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/mssante-go/sdk/mssante/mail"
)

// benchCompose composes a document mail from a PDF file on disk: CDA N1
// (PDF base64 in XML), IHE_XDM.ZIP, MIME, written to io.Discard. The
// baseline deflates the same PDF bytes and base64-encodes them, read from
// the same file.
func benchCompose(ctx context.Context, c *Config) ([]row, error) {
	pdfSize := c.PDFMB * 1e6
	p, err := newComposePair(c)
	if err != nil {
		return nil, err
	}
	defer p.close()
	var peaks, basePeaks []uint64
	withPeak := func(f func() error, out *[]uint64) func() error {
		return func() error {
			p, err := peakHeap(f)
			*out = append(*out, p)
			return err
		}
	}
	ts, tb, err := interleave(ctx, c.Rounds, withPeak(p.sdk, &peaks), withPeak(p.base, &basePeaks))
	if err != nil {
		return nil, err
	}
	peak := slices.Max(peaks)
	r := float64(ts) / float64(tb)
	heapRatio := float64(peak) / float64(pdfSize)
	return []row{
		{pair: "3", work: fmt.Sprintf("compose a document mail from a %d MB PDF file (time)", c.PDFMB),
			sdk: msRound(ts), base: msRound(tb), ratio: fmt.Sprintf("%.2f x time", r), budget: "<= 1.5 x time", ok: r <= 1.5},
		{pair: "3", work: "compose: peak heap (max of rounds) / PDF size",
			sdk: mb(peak), base: mb(slices.Max(basePeaks)), ratio: fmt.Sprintf("%.2f x PDF", heapRatio), budget: "<= 3 x PDF", ok: heapRatio <= 3},
	}, nil
}

// newComposePair writes the PDF of pair 3 in c.Dir and returns the two
// sides.
func newComposePair(c *Config) (*benchPair, error) {
	pdfSize := c.PDFMB * 1e6
	name := filepath.Join(c.Dir, "compte-rendu.pdf")
	if err := os.WriteFile(name, benchPDF(pdfSize, 3), 0o600); err != nil {
		return nil, err
	}
	openPDF := func() (io.ReadCloser, error) { return os.Open(name) }

	sdk := func() error {
		set, err := mail.NewDocumentSet([]mail.CDASource{{Open: streamN1(openPDF), PDF: openPDF}}, nil)
		if err != nil {
			return err
		}
		msg := &mail.Message{
			From: benchFrom, To: []mail.Address{benchTo},
			Subject: "Compte rendu", Text: "Bonjour,\nle compte rendu est joint.\n",
			ProductRef: "MSS-BENCH", Documents: set,
		}
		return msg.Encode(io.Discard, nil)
	}
	base := func() error {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		fw, err := flate.NewWriter(io.Discard, flate.DefaultCompression) // archive/zip's level
		if err != nil {
			return err
		}
		if _, err := io.Copy(fw, f); err != nil {
			return err
		}
		if err := fw.Close(); err != nil {
			return err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		enc := base64.NewEncoder(base64.StdEncoding, io.Discard)
		if _, err := io.Copy(enc, f); err != nil {
			return err
		}
		return enc.Close()
	}
	return &benchPair{sdk: sdk, base: base, size: pdfSize, close: func() { os.Remove(name) }}, nil
}
