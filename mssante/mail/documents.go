package mail

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mssante-go/sdk/internal/textcut"
)

// XDMSubjectPrefix starts the subject of every mail that carries health
// documents (Ref#2 ECO.2.1.3).
const XDMSubjectPrefix = "XDM/1.0/DDM+"

// DocumentSet is the health content of a document mail: CDA R2 documents
// about one patient, packaged as an IHE XDM archive. [NewDocumentSet] makes
// one from CDA files with package cda/xdm; any type with these methods will
// do.
type DocumentSet interface {
	// Documents describes each document, in the order of the archive.
	Documents() []DocumentInfo
	// WriteXDM streams the IHE_XDM.ZIP archive to w. recipients are the
	// mail's To and Cc addresses, for the submission set's
	// intendedRecipient (Bcc recipients are never disclosed).
	WriteXDM(w io.Writer, recipients []string) error
}

// DocumentInfo is what the mail needs to know of one document.
type DocumentInfo struct {
	Code    string    // CDA code (type of document), e.g. LOINC "11490-0"; goes to X-MSS-CODECDA
	Label   string    // display name of the type, e.g. "Lettre de liaison à la sortie"; used in the subject and the PDF name
	ActDate time.Time // date of the act (serviceEvent), else of the document
	Dossier string    // optional file number (numéro de dossier) for the PDF name
	Patient DocumentPatient
	// PDF returns the PDF/A rendering attached beside the archive
	// (ECO.2.1.1, ECO.2.1.5): the embedded PDF of an N1 document. Nil is an
	// error: Ref#2 requires a PDF copy of every document.
	PDF func() (io.ReadCloser, error)
}

// DocumentPatient identifies the patient of a document.
type DocumentPatient struct {
	Family       string    // birth family name (NOM de naissance)
	Given        string    // first birth first name
	BirthDate    time.Time // zero when unknown
	INS          string    // INS matricule, "" when the document has none
	QualifiedINS bool      // the document carries a qualified INS (matricule, OID and traits)
}

// Errors of document mails.
var (
	// ErrSeveralPatients: Ref#2 ECO.2.1.1 allows one patient per mail.
	ErrSeveralPatients = errors.New("mail: a document mail concerns one single patient")
	// ErrNoDocuments: Documents is set but describes no document.
	ErrNoDocuments = errors.New("mail: document set is empty")
	// ErrMissingPDF: a document has no PDF copy (Ref#2 ECO.2.1.1): to
	// send, or found beside the archive of a received mail.
	ErrMissingPDF = errors.New("mail: document has no PDF copy")
)

// DocumentError reports a problem of one document of a document mail: on
// the sending side, a document the mail cannot carry; on the receiving
// side, one of [ReceivedDocument.Problems]. It wraps the problem (a
// sentinel of this package, or an error of package cda or cda/xdm).
type DocumentError struct {
	Index int    // position in Documents() or ReceivedDocuments.Documents
	Code  string // its CDA code (type of document), "" when unknown
	Err   error
}

func (e *DocumentError) Error() string {
	// The code comes from the document: a received one may be anything.
	return fmt.Sprintf("mail: document %d (%s): %v", e.Index+1, textcut.Quote(e.Code), e.Err)
}
func (e *DocumentError) Unwrap() error { return e.Err }

// checkDocuments validates a document set for a mail: at least one
// document, one patient, a PDF copy each, printable codes.
func checkDocuments(docs []DocumentInfo) error {
	if len(docs) == 0 {
		return ErrNoDocuments
	}
	first := docs[0].Patient
	for i, d := range docs {
		if d.PDF == nil {
			return &DocumentError{Index: i, Code: d.Code, Err: ErrMissingPDF}
		}
		if err := checkHeaderValue(HeaderCodeCDA, d.Code); err != nil || d.Code == "" || strings.Contains(d.Code, ",") {
			return &DocumentError{Index: i, Code: d.Code, Err: fmt.Errorf("invalid CDA code for %s", HeaderCodeCDA)}
		}
		p := d.Patient
		if !samePatient(first, p) {
			return &DocumentError{Index: i, Code: d.Code, Err: ErrSeveralPatients}
		}
	}
	return nil
}

// samePatient compares the identities of two documents: the INS when both
// have one, else names and birth date.
func samePatient(a, b DocumentPatient) bool {
	if a.INS != "" || b.INS != "" {
		return strings.EqualFold(a.INS, b.INS)
	}
	return strings.EqualFold(a.Family, b.Family) && strings.EqualFold(a.Given, b.Given) && a.BirthDate.Equal(b.BirthDate)
}

// XDMSubject builds the subject of a document mail (ECO.2.1.3):
// "XDM/1.0/DDM+<label> <NOM> <prénom> <date de naissance>", the family
// name in upper case and the birth date as DD/MM/YYYY, left out when zero
// (it is the only optional field). Line breaks become spaces.
func XDMSubject(label, family, given string, birth time.Time) string {
	parts := []string{strings.TrimSpace(label), strings.ToUpper(strings.TrimSpace(family)), strings.TrimSpace(given)}
	if !birth.IsZero() {
		parts = append(parts, birth.Format("02/01/2006"))
	}
	s := XDMSubjectPrefix + strings.Join(parts, " ")
	return oneLine.Replace(s)
}

// SplitXDMSubject returns the subject without its XDM/1.0/DDM+ prefix and
// whether the prefix was there. The prefix is matched exactly, as written by
// the specification.
func SplitXDMSubject(subject string) (rest string, ok bool) {
	if strings.HasPrefix(subject, XDMSubjectPrefix) {
		return subject[len(XDMSubjectPrefix):], true
	}
	return subject, false
}

// PDFName builds the name of the PDF copy of a document (ECO.2.1.6):
// "<date de l'acte>_<type de document>_<NOM>_<prénom>[_<numéro de
// dossier>].pdf", the date as YYYYMMDD. Labels keep their spaces and
// accents; characters that are unsafe in file names (/ \ : * ? " < > | and
// controls) become '-'.
func PDFName(act time.Time, label, family, given, dossier string) string {
	parts := []string{act.Format("20060102"), label, strings.ToUpper(family), given}
	if dossier != "" {
		parts = append(parts, dossier)
	}
	for i, p := range parts {
		parts[i] = safeFilePart(strings.TrimSpace(p))
	}
	return strings.Join(parts, "_") + ".pdf"
}

func safeFilePart(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '-'
		}
		return r
	}, s)
}
