package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
)

// The PDFs of a document mail are PDF/A-1 (Ref#2 ECO.2.1.1 and ECO.2.1.5:
// the embedded PDF of an N1 document, the copy beside each document).

// pdfTrailerWindow is how far from the end of a PDF its %%EOF marker is
// looked for: PDF readers look in the last kilobyte.
const pdfTrailerWindow = 1024

// pdfInfo is what checkPDF found.
type pdfInfo struct {
	// PDFAPart is the PDF/A part the file's XMP metadata declares
	// (pdfaid:part), 0 when it declares none.
	PDFAPart int
}

// checkPDF refuses a file that is not a whole PDF: it must start with
// "%PDF-" and end with "%%EOF" (in its last kilobyte), which catches other
// files and cut downloads. It also reads the PDF/A part the file declares.
// This is a heuristic on the marker of the XMP metadata (PDF/A keeps that
// stream uncompressed), not a conformance check: use veraPDF for that.
func checkPDF(path string) (pdfInfo, error) {
	var info pdfInfo
	f, err := os.Open(path)
	if err != nil {
		return info, err
	}
	defer f.Close()
	head := make([]byte, 5)
	if _, err := io.ReadFull(f, head); err != nil || string(head) != "%PDF-" {
		return info, errors.New("not a PDF (it does not start with %PDF-)")
	}
	st, err := f.Stat()
	if err != nil {
		return info, err
	}
	tail := make([]byte, min(st.Size(), pdfTrailerWindow))
	if _, err := f.ReadAt(tail, st.Size()-int64(len(tail))); err != nil {
		return info, err
	}
	if !bytes.Contains(tail, []byte("%%EOF")) {
		return info, errors.New("not a whole PDF (no %%EOF at its end: cut short?)")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return info, err
	}
	part, err := pdfAPart(f)
	if err != nil {
		return info, err
	}
	info.PDFAPart = part
	return info, nil
}

// pdfAMarker matches the PDF/A identification of XMP metadata, as an
// attribute (pdfaid:part="1") or an element (<pdfaid:part>1</pdfaid:part>).
var pdfAMarker = regexp.MustCompile(`pdfaid:part(?:\s*=\s*["']|>)\s*([1-9])`)

// pdfAPart scans r for the PDF/A marker, a block at a time with an overlap
// so that a marker across two blocks is seen.
func pdfAPart(r io.Reader) (int, error) {
	const block, overlap = 64 << 10, 64
	buf := make([]byte, overlap+block)
	kept := 0
	for {
		n, err := io.ReadFull(r, buf[kept:])
		if m := pdfAMarker.FindSubmatch(buf[:kept+n]); m != nil {
			return int(m[1][0] - '0'), nil
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		kept = copy(buf, buf[kept+n-overlap:kept+n])
	}
}

// pdfWarning is the warning printed for a PDF that is not declared PDF/A-1,
// "" for one that is.
func pdfWarning(flagName, path string, info pdfInfo) string {
	switch info.PDFAPart {
	case 1:
		return ""
	case 0:
		return fmt.Sprintf("warning: --%s %s: not declared PDF/A (no pdfaid:part in its XMP metadata); Ref#2 ECO.2.1.1 asks for PDF/A-1 (a check of the marker only, not of conformance)", flagName, path)
	}
	return fmt.Sprintf("warning: --%s %s: declared PDF/A-%d; Ref#2 ECO.2.1.1 asks for PDF/A-1 (a check of the marker only, not of conformance)", flagName, path, info.PDFAPart)
}
