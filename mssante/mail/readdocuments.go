package mail

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/cda/xdm"
)

// Errors of [Message.ReadDocuments] and of the documents it returns. The
// problems of one document are kept in [ReceivedDocument.Problems], each a
// [*DocumentError] wrapping one of these, ErrMissingPDF, ErrSeveralPatients,
// or a problem of package cda/xdm ([*xdm.DocumentError]: ErrHashMismatch,
// ErrMissingFile…) or cda ([*cda.ParseError]).
var (
	// ErrNotDocumentMail: the message carries no IHE_XDM.ZIP attachment,
	// or is a delivery or read report.
	ErrNotDocumentMail = errors.New("mail: not a document mail (no IHE_XDM.ZIP attachment)")
	// ErrPatientMismatch: the patient INS of a document's CDA header is
	// not the INS of its patientId in METADATA.XML. One of them is wrong:
	// integrate the document only after checking the identity.
	ErrPatientMismatch = errors.New("mail: the CDA header and METADATA.XML name different patients")
	// ErrPDFCopyMismatch: the PDF copy attached beside the archive is not
	// the PDF inside the N1 document, byte for byte, as Ref#2 ECO.2.1.5
	// requires. The CDA is the document; the copy is what a person
	// reading the mail sees.
	ErrPDFCopyMismatch = errors.New("mail: the PDF copy differs from the PDF inside the document")
	// ErrNotN1: [ReceivedDocument.OpenBody] on a structured (N3)
	// document, which has no embedded PDF or text; read it with OpenCDA.
	ErrNotN1 = errors.New("mail: the document is structured (N3): it has no N1 body")
)

// ReadDocumentsOptions bound [Message.ReadDocuments]. A nil pointer means
// the defaults; a zero field means its default.
type ReadDocumentsOptions struct {
	// XDM bounds the reading of the IHE_XDM.ZIP: entries, documents,
	// inflated bytes, compression ratio, METADATA.XML size and depth. Nil
	// means the defaults of [xdm.ReadOptions] (1,000 entries, 50
	// documents, 1 GiB inflated, ratio 200, 4 MiB of metadata). Its
	// SkipHashCheck leaves the documents' hash and size unchecked.
	XDM *xdm.ReadOptions
	// CDA bounds the parsing of each document: nil means the defaults of
	// [cda.ParseOptions] (8 MiB of header, nesting 256). HeaderOnly is
	// ignored: ReadDocuments reads the headers, OpenBody the bodies.
	CDA *cda.ParseOptions
	// SkipPDFCheck leaves each PDF copy uncompared with the PDF inside its
	// N1 document. False (the default) reads both once, streaming, to
	// compare their SHA-256.
	SkipPDFCheck bool
	// SpoolThreshold is the size above which an archive that is neither
	// in a file nor in memory as one block (a small base64 attachment kept
	// encoded, an attachment built by hand) is decoded into a temporary
	// file rather than into memory. 0 means DefaultSpoolThreshold (1 MiB);
	// a negative value keeps it in memory. Parse already spools larger
	// attachments: ReadDocuments then reads its file in place.
	SpoolThreshold int64
	// SpoolDir is where that file goes; "" means os.TempDir().
	SpoolDir string
}

func (o *ReadDocumentsOptions) withDefaults() ReadDocumentsOptions {
	var v ReadDocumentsOptions
	if o != nil {
		v = *o
	}
	if v.SpoolThreshold == 0 {
		v.SpoolThreshold = DefaultSpoolThreshold
	}
	return v
}

// ReceivedDocuments are the health documents of a received document mail,
// returned by [Message.ReadDocuments]. Close them when done: they hold the
// archive open (or a temporary copy of it).
type ReceivedDocuments struct {
	// Archive is the IHE_XDM.ZIP attachment read.
	Archive *Attachment
	// Package is the archive's IHE XDM package: its submission sets
	// (author, intended recipients) and the metadata of every document.
	Package *xdm.Package
	// Documents are the documents of the package, in the order of
	// METADATA.XML, each with its problems.
	Documents []*ReceivedDocument
	// Problems are those of the mail rather than of one document: several
	// IHE_XDM.ZIP attachments (a *ParseError: only the first is read), an
	// archive without documents (ErrNoDocuments).
	Problems []error

	mu     sync.Mutex
	closed bool
	src    *archiveSource
}

// ReceivedDocument is one health document of a received document mail:
// its metadata, its CDA header, its patient and its PDF copy, each checked,
// with what was found wrong in Problems.
type ReceivedDocument struct {
	// Entry is the document's XDM metadata (the DocumentEntry of
	// METADATA.XML) with its integrity check by package cda/xdm: the file
	// found (Path), its SHA-1 and size against the metadata's (HashOK,
	// ActualHash, ActualSize) and xdm's own problems.
	Entry *xdm.Document
	// CDA is the document's CDA R2 header (type, patient, authors,
	// dates), parsed up to the body: Body.Kind and Body.MediaType say
	// what OpenBody returns, and Body.Content and Body.XML are not read.
	// Nil when the file is missing or is not CDA (see Problems).
	CDA *cda.Document
	// Patient identifies the document's patient: from the CDA header
	// (INS, birth names, birth date), else the INS of the metadata's
	// patientId.
	Patient DocumentPatient
	// PDF is the PDF copy attached beside the archive (Ref#2 ECO.2.1.1)
	// found for this document: by its name (ECO.2.1.6), else as the same
	// bytes as the PDF inside the N1 document, else as the only PDF left
	// for the only document left. Nil when none was (ErrMissingPDF in
	// Problems). It is an attachment of the message: open it before the
	// message is closed.
	PDF *Attachment
	// PDFMatchesBody is set when the PDF copy was compared with the PDF
	// inside the N1 document and they are the same bytes. It stays false
	// when they differ (ErrPDFCopyMismatch in Problems) and when nothing
	// could be compared (a structured or text document, no copy,
	// SkipPDFCheck).
	PDFMatchesBody bool
	// Problems lists what is wrong with this document or could not be
	// checked, each a [*DocumentError]: first the problems of package
	// cda/xdm (a [*xdm.DocumentError]: ErrMissingFile, ErrHashMismatch,
	// ErrSizeMismatch…, and the notes ErrNoHash, ErrNoSize, ErrNoURI),
	// then a CDA that cannot be parsed (a [*cda.ParseError]), then
	// ErrPatientMismatch and ErrSeveralPatients, then ErrMissingPDF, or an
	// N1 PDF body that cannot be decoded (read to compare it with the PDF
	// copies) and ErrPDFCopyMismatch. A hash mismatch leaves the document readable:
	// what to do with it is the caller's decision. [ReceivedDocument.Err]
	// keeps those that are not notes.
	Problems []error

	index int
	docs  *ReceivedDocuments
	cda   cda.ParseOptions
	// bodySum is the SHA-256 of the PDF inside an N1 document, when read.
	bodySum []byte
}

// ReadDocuments reads the health documents of a received document mail in
// one call: the IHE_XDM.ZIP is read with package cda/xdm (every document's
// hash and size checked against METADATA.XML), each document's CDA header
// is parsed with package cda, its patient is compared with the metadata's
// and with the other documents', and its PDF copy is found among the
// attachments and compared with the PDF inside the N1 document.
//
// A message that is not a document mail gives ErrNotDocumentMail; an
// archive that cannot be read as an XDM package (not a ZIP, no
// METADATA.XML, over a limit of opts.XDM) gives the error of package
// cda/xdm, wrapped. Otherwise every document of the package is returned,
// readable or not, with its problems: one bad document never hides the
// others.
//
// The archive is read where it is: a large one in the temporary file Parse
// spooled it to (ParseOptions.SpoolThreshold), never copied into memory; a
// small one, which Parse keeps base64-encoded, is decoded into memory once.
// Every read is bounded by opts and streamed; a document's body is read
// only by OpenBody (and, unless SkipPDFCheck, once to compare its PDF with
// the copy). It does no network I/O, hence no context. Call it before
// Message.Close: an attachment whose content Close released gives
// ErrClosed.
//
// Close the result when done; it stays readable after the message is
// closed, except for the PDF copies, which are the message's attachments.
func (m *Message) ReadDocuments(opts *ReadDocumentsOptions) (*ReceivedDocuments, error) {
	o := opts.withDefaults()
	if m.DSN != nil || m.MDN != nil {
		return nil, fmt.Errorf("%w: the message is a %s", ErrNotDocumentMail, m.Kind())
	}
	var archives []*Attachment
	for _, a := range m.Attachments {
		if a.IsXDM() {
			archives = append(archives, a)
		}
	}
	if len(archives) == 0 {
		return nil, ErrNotDocumentMail
	}
	src, err := openArchive(archives[0], &o)
	if err != nil {
		return nil, fmt.Errorf("mail: %s: %w", XDMFilename, err)
	}
	pkg, err := xdm.Read(src.r, src.size, o.XDM)
	if err != nil {
		src.close()
		return nil, fmt.Errorf("mail: %s: %w", XDMFilename, err)
	}
	r := &ReceivedDocuments{Archive: archives[0], Package: pkg, src: src}
	if len(archives) > 1 {
		r.Problems = append(r.Problems, &ParseError{Part: XDMFilename,
			Reason: fmt.Sprintf("%d IHE_XDM.ZIP attachments, only the first was read", len(archives))})
	}
	if len(pkg.Documents) == 0 {
		r.Problems = append(r.Problems, ErrNoDocuments)
	}
	var cdaOpts cda.ParseOptions
	if o.CDA != nil {
		cdaOpts = *o.CDA
	}
	cdaOpts.HeaderOnly = false
	for i, e := range pkg.Documents {
		d := &ReceivedDocument{Entry: e, index: i, docs: r, cda: cdaOpts}
		for _, p := range e.Problems {
			d.problem(p)
		}
		d.readHeader()
		r.Documents = append(r.Documents, d)
	}
	r.checkPatients()
	if err := r.matchPDFs(m.Attachments, o.SkipPDFCheck); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// readHeader parses the CDA header of a readable document and sets its
// patient.
func (d *ReceivedDocument) readHeader() {
	if d.Entry.Readable() {
		opts := d.cda
		opts.HeaderOnly = true
		h, closer, err := d.docs.Package.ParseCDA(d.Entry, &opts)
		if err != nil {
			d.problem(err)
		} else {
			closer.Close()
			d.CDA = h
		}
	}
	if d.CDA != nil {
		d.Patient = documentPatient(&d.CDA.Patient)
	} else if ins, ok := entryINS(d.Entry); ok {
		d.Patient.INS = ins
	}
}

// entryINS returns the INS matricule of a DocumentEntry's patientId, when
// it is an INS.
func entryINS(e *xdm.Document) (string, bool) {
	ins, ok := xdm.ParseINSCX(e.PatientID)
	if !ok || ins.Matricule == "" {
		return "", false
	}
	return ins.Matricule, true
}

// checkPatients compares each document's patient with its metadata and
// with the first document's (Ref#2 ECO.2.1.1: one patient per mail).
func (r *ReceivedDocuments) checkPatients() {
	var first *ReceivedDocument
	for _, d := range r.Documents {
		if ins, ok := entryINS(d.Entry); ok && d.CDA != nil && d.Patient.INS != "" && !strings.EqualFold(ins, d.Patient.INS) {
			d.problem(ErrPatientMismatch)
		}
		if d.CDA == nil && d.Patient.INS == "" {
			continue // nothing to compare
		}
		if first == nil {
			first = d
			continue
		}
		a, b := first.Patient, d.Patient
		var same bool
		switch {
		case a.INS != "" && b.INS != "":
			same = strings.EqualFold(a.INS, b.INS)
		case first.CDA != nil && d.CDA != nil:
			same = samePatient(a, b)
		default:
			same = true // one side has no identity to compare
		}
		if !same {
			d.problem(ErrSeveralPatients)
		}
	}
}

func (d *ReceivedDocument) problem(err error) {
	code := d.Entry.TypeCode.Code
	if d.CDA != nil {
		code = d.CDA.Code.Code
	}
	d.Problems = append(d.Problems, &DocumentError{Index: d.index, Code: code, Err: err})
}

// Err returns the document's problems that are not notes (see
// [xdm.DocumentError.Note]), joined, or nil when it has none.
func (d *ReceivedDocument) Err() error {
	var errs []error
	for _, p := range d.Problems {
		var xe *xdm.DocumentError
		if errors.As(p, &xe) && xe.Note() {
			continue
		}
		errs = append(errs, p)
	}
	return errors.Join(errs...)
}

// OpenCDA returns the document's file as it is in the archive: the CDA
// XML, to store or to hand to the patient record. Its size is bounded by
// its ZIP entry. Close it, before closing the ReceivedDocuments.
func (d *ReceivedDocument) OpenCDA() (io.ReadCloser, error) {
	if err := d.docs.check(); err != nil {
		return nil, err
	}
	return d.docs.Package.Open(d.Entry)
}

// OpenBody returns the body of an N1 document, decoded: the PDF or the
// text of its nonXMLBody (CDA.Body.MediaType says which). It is read from
// the archive as it is read, never held whole. A structured (N3) document
// gives ErrNotN1 (its body is XML: read it with OpenCDA); a document that
// could not be read gives the error its Problems hold. Close it, before
// closing the ReceivedDocuments.
func (d *ReceivedDocument) OpenBody() (io.ReadCloser, error) {
	if err := d.docs.check(); err != nil {
		return nil, err
	}
	if d.CDA != nil && !d.CDA.IsN1() {
		return nil, &DocumentError{Index: d.index, Code: d.CDA.Code.Code, Err: ErrNotN1}
	}
	opts := d.cda
	doc, closer, err := d.docs.Package.ParseCDA(d.Entry, &opts)
	if err != nil {
		return nil, err
	}
	if doc.Body.Content == nil {
		closer.Close()
		return nil, &DocumentError{Index: d.index, Code: doc.Code.Code, Err: ErrNotN1}
	}
	return struct {
		io.Reader
		io.Closer
	}{doc.Body.Content, closer}, nil
}

// Err returns the problems of the mail and of its documents that are not
// notes, joined, or nil when every document was read and checked.
func (r *ReceivedDocuments) Err() error {
	errs := append([]error(nil), r.Problems...)
	for _, d := range r.Documents {
		if err := d.Err(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close releases the archive: the file it was read from, or its temporary
// copy. Documents cannot be opened afterwards (ErrClosed); a reader
// already open must not be read any more. It is safe to call more than
// once.
func (r *ReceivedDocuments) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	return r.src.close()
}

func (r *ReceivedDocuments) check() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	return nil
}
