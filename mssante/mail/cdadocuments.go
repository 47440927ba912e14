package mail

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/cda/xdm"
)

// CDASource is one CDA R2 document for a document mail. Open is called
// several times (header, PDF copy, archive), so it must return the same
// document each time: a file, or bytes the caller holds.
type CDASource struct {
	// Open returns the CDA XML. Required.
	Open func() (io.ReadCloser, error)
	// PDF returns the PDF/A rendering attached beside the archive. Nil
	// means the PDF embedded in an N1 document; an N3 document (or an N1
	// carrying text) needs one (ECO.2.1.5).
	PDF func() (io.ReadCloser, error)
	// Dossier is an optional file number for the PDF name (ECO.2.1.6).
	Dossier string
	// FormatCode (JDV_J10) replaces the XDS formatCode the ANS tables
	// give for the document's model; zero keeps theirs. It is required
	// for a model in no table, unless
	// DocumentSetOptions.UnreferencedModels is set.
	FormatCode cda.Code
}

// CDAFile returns the source of a CDA file on disk.
func CDAFile(path string) CDASource {
	return CDASource{Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// DocumentSetOptions tune [NewDocumentSet]. A nil pointer means defaults.
type DocumentSetOptions struct {
	// SourceID is the OID of the sending system in METADATA.XML
	// (sourceId). Empty means the submission set's uniqueId.
	SourceID string
	// Vendor names the software in README.TXT. Empty means the SDK's name.
	Vendor string
	// ContentType is the submission set contentTypeCode (JDV_J03, e.g.
	// cda.ContentCabinetIndividuel). Zero means cda.ContentTypeFor the
	// first document: from its encounter type, else 97 "Type d'activité
	// indifférencié".
	ContentType cda.Code
	// UnreferencedModels writes the formatCode
	// urn:asipSante:modelesHorsProfils:2011 ("document non référencé IHE
	// ou CI-SIS") for a document whose model is in no ANS table. False
	// means NewDocumentSet refuses such a document (a *DocumentError
	// wrapping a *cda.UnknownModelError) unless its CDASource sets
	// FormatCode.
	UnreferencedModels bool
}

// NewDocumentSet reads the headers of CDA documents and returns the
// DocumentSet of a document mail: each document's code, type label, date of
// act and patient from its header, its PDF copy, and an IHE_XDM.ZIP built
// by package cda/xdm when the message is encoded, with the mail's To and Cc
// as intendedRecipient. The documents must concern one patient
// (ErrSeveralPatients), and each must have an XDS formatCode: from the ANS
// tables, from its CDASource, or "document non référencé" when the options
// allow it (see [cda.FormatCode]).
func NewDocumentSet(sources []CDASource, opts *DocumentSetOptions) (DocumentSet, error) {
	if len(sources) == 0 {
		return nil, ErrNoDocuments
	}
	set := &cdaDocumentSet{sources: sources}
	if opts != nil {
		set.opts = *opts
	}
	docs := make([]*cda.Document, len(sources))
	for i, src := range sources {
		if src.Open == nil {
			return nil, &DocumentError{Index: i, Err: errors.New("CDASource without Open")}
		}
		d, err := readCDAHeader(src)
		if err != nil {
			return nil, &DocumentError{Index: i, Err: err}
		}
		docs[i] = d
		if _, err := cda.FormatCode(d); err != nil && src.FormatCode.IsZero() && !set.opts.UnreferencedModels {
			return nil, &DocumentError{Index: i, Code: d.Code.Code, Err: err}
		}
		info := documentInfo(d)
		info.Dossier, info.PDF = src.Dossier, src.PDF
		if info.PDF == nil && d.IsN1() && d.Body.MediaType == "application/pdf" {
			info.PDF = embeddedPDF(src.Open)
		}
		if info.PDF == nil {
			return nil, &DocumentError{Index: i, Code: info.Code, Err: ErrMissingPDF}
		}
		set.infos = append(set.infos, info)
	}
	if err := xdm.SamePatient(docs...); err != nil {
		if errors.Is(err, xdm.ErrMultiplePatients) {
			return nil, fmt.Errorf("%w: %v", ErrSeveralPatients, err)
		}
		return nil, err
	}
	return set, nil
}

type cdaDocumentSet struct {
	sources []CDASource
	opts    DocumentSetOptions
	infos   []DocumentInfo
}

func (s *cdaDocumentSet) Documents() []DocumentInfo { return s.infos }

// WriteXDM streams the IHE_XDM.ZIP: each CDA is read once more and copied
// into the archive while it is hashed.
func (s *cdaDocumentSet) WriteXDM(w io.Writer, recipients []string) error {
	zw := xdm.NewWriter(w, &xdm.Options{Recipients: recipients, SourceID: s.opts.SourceID, Vendor: s.opts.Vendor,
		ContentType: s.opts.ContentType, UnreferencedModels: s.opts.UnreferencedModels})
	for i, src := range s.sources {
		rc, err := src.Open()
		if err != nil {
			return &DocumentError{Index: i, Code: s.infos[i].Code, Err: err}
		}
		_, err = zw.Add(rc, &xdm.DocumentOptions{FormatCode: src.FormatCode})
		rc.Close()
		if err != nil {
			return &DocumentError{Index: i, Code: s.infos[i].Code, Err: err}
		}
	}
	return zw.Close()
}

// documentInfo is what a mail says of a document, from its CDA header:
// the same on the sending side (subject, PDF name) and the receiving side
// (matching the PDF copies).
func documentInfo(d *cda.Document) DocumentInfo {
	return DocumentInfo{
		Code:    d.Code.Code,
		Label:   d.TypeDisplayName(),
		ActDate: tsDate(d.ActTime()),
		Patient: documentPatient(&d.Patient),
	}
}

// documentPatient identifies the patient of a CDA header.
func documentPatient(p *cda.Patient) DocumentPatient {
	dp := DocumentPatient{
		Family:       p.FamilyName(),
		Given:        p.GivenName(),
		BirthDate:    tsDate(p.BirthDate),
		QualifiedINS: p.INSQualified(),
	}
	if p.INS != nil {
		dp.INS = p.INS.Matricule
	}
	return dp
}

// readCDAHeader parses a document and drains nothing more than needed.
func readCDAHeader(src CDASource) (*cda.Document, error) {
	rc, err := src.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return cda.Parse(rc, nil)
}

// embeddedPDF returns an opener of the PDF inside an N1 document, decoded
// while the CDA is read.
func embeddedPDF(open func() (io.ReadCloser, error)) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		rc, err := open()
		if err != nil {
			return nil, err
		}
		d, err := cda.Parse(rc, nil)
		if err != nil {
			rc.Close()
			return nil, err
		}
		if d.Body.Content == nil {
			rc.Close()
			return nil, ErrMissingPDF
		}
		return struct {
			io.Reader
			io.Closer
		}{d.Body.Content, rc}, nil
	}
}

// tsDate reads an HL7 time as a date, zero when absent or unreadable.
func tsDate(ts cda.TS) time.Time {
	t, err := ts.Time(time.UTC)
	if err != nil {
		return time.Time{}
	}
	return t
}
