package mail

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"path/filepath"
	"strings"
)

// matchPDFs finds the PDF copy of each document among the attachments
// (Ref#2 ECO.2.1.1, ECO.2.1.6), then compares it with the PDF inside the
// N1 document unless skipCheck. In order: by the name ECO.2.1.6 gives it
// (what NewDocumentSet writes; accents and case aside, any numéro de
// dossier after it), preferring among same-named copies the one with the
// document's bytes; then by content alone (a copy named otherwise); then,
// for the one document left without a copy, the one PDF left. Each
// attachment is the copy of one document at most. The error is only that
// of a closed message; what cannot be read is a document's problem.
func (r *ReceivedDocuments) matchPDFs(atts []*Attachment, skipCheck bool) error {
	var cands []*pdfCandidate
	for _, a := range atts {
		if !a.IsXDM() && isPDFAttachment(a) {
			cands = append(cands, &pdfCandidate{a: a})
		}
	}
	if len(cands) == 0 {
		for _, d := range r.Documents {
			d.problem(ErrMissingPDF)
		}
		return nil
	}
	stems := make([]string, len(r.Documents))
	for i, d := range r.Documents {
		if d.CDA != nil {
			info := documentInfo(d.CDA)
			stems[i] = foldName(strings.TrimSuffix(PDFName(info.ActDate, info.Label, info.Patient.Family, info.Patient.Given, ""), ".pdf"))
		}
		if !skipCheck && d.CDA != nil && d.CDA.IsN1() && strings.EqualFold(d.CDA.Body.MediaType, "application/pdf") {
			d.hashBody()
		}
	}
	named := func(i int, c *pdfCandidate) bool {
		if stems[i] == "" {
			return false
		}
		name := foldName(c.a.Filename)
		return name == stems[i]+".pdf" || strings.HasPrefix(name, stems[i]+"_") && strings.HasSuffix(name, ".pdf")
	}
	sameBytes := func(d *ReceivedDocument, c *pdfCandidate) bool {
		if d.bodySum == nil {
			return false
		}
		sum, err := c.sum()
		return err == nil && bytes.Equal(sum, d.bodySum)
	}
	// The passes: by name and bytes, by name, by bytes.
	for _, match := range []func(int, *ReceivedDocument, *pdfCandidate) bool{
		func(i int, d *ReceivedDocument, c *pdfCandidate) bool { return named(i, c) && sameBytes(d, c) },
		func(i int, d *ReceivedDocument, c *pdfCandidate) bool { return named(i, c) },
		func(i int, d *ReceivedDocument, c *pdfCandidate) bool { return sameBytes(d, c) },
	} {
		for i, d := range r.Documents {
			for _, c := range cands {
				if d.PDF == nil && !c.used && match(i, d, c) {
					d.PDF, c.used = c.a, true
				}
			}
		}
	}
	var lone *ReceivedDocument
	missing := 0
	for _, d := range r.Documents {
		if d.PDF == nil {
			lone = d
			missing++
		}
	}
	var left []*pdfCandidate
	for _, c := range cands {
		if !c.used {
			left = append(left, c)
		}
	}
	if missing == 1 && len(left) == 1 {
		lone.PDF, left[0].used = left[0].a, true
	}
	for _, d := range r.Documents {
		if d.PDF == nil {
			d.problem(ErrMissingPDF)
			continue
		}
		if d.bodySum == nil {
			continue
		}
		var sum []byte
		var err error
		for _, c := range cands {
			if c.a == d.PDF {
				sum, err = c.sum()
			}
		}
		switch {
		case errors.Is(err, ErrClosed):
			return err
		case err != nil:
			d.problem(err)
		case bytes.Equal(sum, d.bodySum):
			d.PDFMatchesBody = true
		default:
			d.problem(ErrPDFCopyMismatch)
		}
	}
	return nil
}

// hashBody reads the PDF inside an N1 document once and keeps its SHA-256.
// A body that cannot be read (broken base64) is a problem of the document.
func (d *ReceivedDocument) hashBody() {
	body, err := d.OpenBody()
	if err != nil {
		d.problem(err)
		return
	}
	defer body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, body); err != nil {
		d.problem(err)
		return
	}
	d.bodySum = h.Sum(nil)
}

// pdfCandidate is a PDF attachment that may be a document's copy; its
// SHA-256 is computed once, when first needed.
type pdfCandidate struct {
	a    *Attachment
	used bool
	hash []byte
	err  error
}

func (c *pdfCandidate) sum() ([]byte, error) {
	if c.hash != nil || c.err != nil {
		return c.hash, c.err
	}
	if c.a.Open == nil {
		c.hash = sha256.New().Sum(nil)
		return c.hash, nil
	}
	rc, err := c.a.Open()
	if err != nil {
		c.err = err
		return nil, err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		c.err = err
		return nil, err
	}
	c.hash = h.Sum(nil)
	return c.hash, nil
}

// isPDFAttachment reports whether an attachment is declared a PDF, by its
// media type or its file name.
func isPDFAttachment(a *Attachment) bool {
	return strings.EqualFold(a.ContentType, "application/pdf") || strings.EqualFold(filepath.Ext(a.Filename), ".pdf")
}

// foldName is a file name compared without case or accents: a sender may
// write the ASCII form of the ECO.2.1.6 name.
func foldName(s string) string {
	ascii, _ := asciiFallback(strings.TrimSpace(s))
	return strings.ToLower(ascii)
}
