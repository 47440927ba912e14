package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/mssante-go/sdk/cda/xdm"
	"github.com/mssante-go/sdk/mssante/mail"
)

// benchParse parses the message of pair 3 and extracts the PDF from the
// archive (XDM, CDA, base64), checking its size; it reports the peak heap.
func benchParse(ctx context.Context, c *Config) ([]row, error) {
	pdfSize := c.PDFMB * 1e6
	p, err := newParsePair(c)
	if err != nil {
		return nil, err
	}
	defer p.close()
	var peaks []uint64
	var times []time.Duration
	if err := p.sdk(); err != nil { // warm-up
		return nil, err
	}
	for i := 0; i < c.Rounds; i++ {
		start := time.Now()
		pk, err := peakHeap(p.sdk)
		if err != nil {
			return nil, err
		}
		times = append(times, time.Since(start))
		peaks = append(peaks, pk)
	}
	peak := slices.Max(peaks)
	heapRatio := float64(peak) / float64(pdfSize)
	return []row{{pair: "4", work: fmt.Sprintf("parse the %d MB mail, extract the PDF from XDM/CDA (%s): peak heap", c.PDFMB, msRound(median(times))),
		sdk: mb(peak), base: "-", ratio: fmt.Sprintf("%.2f x PDF", heapRatio), budget: "<= 3 x PDF", ok: heapRatio <= 3}}, nil
}

// newParsePair writes the mail of pair 4 in c.Dir and returns its SDK side
// (there is no baseline: the budget is on memory).
func newParsePair(c *Config) (*benchPair, error) {
	pdfSize := c.PDFMB * 1e6
	pdfName := filepath.Join(c.Dir, "compte-rendu-4.pdf")
	if err := os.WriteFile(pdfName, benchPDF(pdfSize, 4), 0o600); err != nil {
		return nil, err
	}
	defer os.Remove(pdfName) // only the mail is read by the pair
	openPDF := func() (io.ReadCloser, error) { return os.Open(pdfName) }
	set, err := mail.NewDocumentSet([]mail.CDASource{{Open: streamN1(openPDF), PDF: openPDF}}, nil)
	if err != nil {
		return nil, err
	}
	mailName := filepath.Join(c.Dir, "document.eml")
	f, err := os.Create(mailName)
	if err != nil {
		return nil, err
	}
	msg := &mail.Message{From: benchFrom, To: []mail.Address{benchTo}, Subject: "Compte rendu",
		Text: "Bonjour,\nle compte rendu est joint.\n", ProductRef: "MSS-BENCH", Documents: set}
	err = msg.Encode(f, nil)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(mailName)
		return nil, err
	}

	sdk := func() error {
		f, err := os.Open(mailName)
		if err != nil {
			return err
		}
		defer f.Close()
		m, err := mail.Parse(f, nil)
		if err != nil {
			return err
		}
		defer m.Close()
		n, err := extractPDF(m)
		if err == nil && n != int64(pdfSize) {
			err = fmt.Errorf("extracted %d bytes of PDF, want %d", n, pdfSize)
		}
		return err
	}
	return &benchPair{sdk: sdk, size: pdfSize, close: func() { os.Remove(mailName) }}, nil
}

// extractPDF reads the PDF out of the IHE_XDM.ZIP of a parsed document
// mail, as an LPS integrating it would, and returns its size.
func extractPDF(m *mail.Message) (int64, error) {
	att := m.XDM()
	if att == nil {
		return 0, errors.New("no IHE_XDM.ZIP")
	}
	rc, err := att.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	var ra io.ReaderAt
	var size int64
	if f, ok := rc.(*os.File); ok { // a spooled attachment: read in place
		st, err := f.Stat()
		if err != nil {
			return 0, err
		}
		ra, size = f, st.Size()
	} else {
		b, err := io.ReadAll(rc)
		if err != nil {
			return 0, err
		}
		ra, size = bytes.NewReader(b), int64(len(b))
	}
	pkg, err := xdm.Read(ra, size, nil)
	if err != nil {
		return 0, err
	}
	if len(pkg.Documents) != 1 {
		return 0, fmt.Errorf("%d documents in the archive", len(pkg.Documents))
	}
	d, closer, err := pkg.ParseCDA(pkg.Documents[0], nil)
	if err != nil {
		return 0, err
	}
	defer closer.Close()
	if d.Body.Content == nil {
		return 0, errors.New("no PDF in the CDA")
	}
	return io.Copy(io.Discard, d.Body.Content)
}
