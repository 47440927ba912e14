package mail

import (
	"errors"
	"slices"
	"strings"

	"github.com/mssante-go/sdk/internal/textcut"
)

// Errors of the patient-safety rules that Client.Send, Sender.Send and
// Outbox.Send apply before any byte goes out. Each is wrapped by a
// [*PatientSafetyError], which also wraps ErrPatientSafety.
var (
	// ErrPatientSafety is wrapped by every [*PatientSafetyError].
	ErrPatientSafety = errors.New("mail: not sent: patient safety")
	// ErrWrongPatient: a document mail goes to a patient's Mon Espace Santé
	// address whose INS is not the documents' patient INS (or the documents
	// carry no INS to compare). Message.AllowPatientRecipientMismatch lifts
	// this rule.
	ErrWrongPatient = errors.New("mail: a patient recipient is not the patient of the documents")
	// ErrSeveralPatientRecipients: the message is addressed to more than
	// one patient, in To, Cc or Bcc together. In To or Cc each patient sees
	// the other's INS; Bcc is not safer (a reply to all, a forward, the
	// patient's mail client may show it). No option lifts it. (The
	// documents' side of the rule is ErrSeveralPatients.)
	ErrSeveralPatientRecipients = errors.New("mail: a message may be addressed to one patient only")
	// ErrXDMAttachment: an attachment named IHE_XDM.ZIP (any case) was
	// given as an ordinary attachment, which would bypass the rules of
	// document mails (X-MSS-CODECDA, X-MSS-INS, the PDF copies, one
	// patient). Send documents with Message.Documents ([NewDocumentSet]).
	ErrXDMAttachment = errors.New("mail: IHE_XDM.ZIP given as an ordinary attachment: send documents with Message.Documents (NewDocumentSet)")
)

// PatientSafetyError reports a message refused by a patient-safety rule.
// Nothing was sent and nothing was stored.
type PatientSafetyError struct {
	Err        error    // ErrWrongPatient, ErrSeveralPatientRecipients or ErrXDMAttachment
	Recipients []string // the patient addresses concerned
	Attachment string   // the attachment's file name, for ErrXDMAttachment
	// DocumentINS is the documents' patient INS, for ErrWrongPatient ("" when
	// the documents carry none). It is not in Error(): errors end up in logs.
	DocumentINS string
}

func (e *PatientSafetyError) Error() string {
	s := "mail: not sent: " + strings.TrimPrefix(e.Err.Error(), "mail: ")
	switch {
	case e.Attachment != "":
		s += " (attachment " + textcut.Quote(e.Attachment) + ")"
	case errors.Is(e.Err, ErrWrongPatient) && e.DocumentINS == "":
		s += " (the documents carry no INS): " + strings.Join(e.Recipients, ", ")
	case len(e.Recipients) > 0:
		s += ": " + strings.Join(e.Recipients, ", ")
	}
	return s
}

// Unwrap returns ErrPatientSafety and the rule's error.
func (e *PatientSafetyError) Unwrap() []error { return []error{ErrPatientSafety, e.Err} }

// CheckPatientSafety applies the patient-safety rules to a message about to
// be sent, in this order: no IHE_XDM.ZIP as an ordinary attachment, at most
// one patient among all recipients, and for a document mail, a patient
// recipient must be the documents' patient.
func CheckPatientSafety(m *Message) error {
	for _, a := range m.Attachments {
		if isXDMName(a.Filename) {
			return &PatientSafetyError{Err: ErrXDMAttachment, Attachment: a.Filename}
		}
	}
	var patients []string // distinct INS, upper case
	var addrs []string
	for _, r := range m.Recipients() {
		ins, ok := r.PatientINS()
		if !ok {
			continue
		}
		ins = strings.ToUpper(ins)
		if !slices.Contains(patients, ins) {
			patients = append(patients, ins)
			addrs = append(addrs, r.Addr)
		}
	}
	if len(patients) > 1 {
		return &PatientSafetyError{Err: ErrSeveralPatientRecipients, Recipients: addrs}
	}
	if len(patients) == 0 || m.Documents == nil || m.AllowPatientRecipientMismatch {
		return nil
	}
	docs := m.Documents.Documents()
	for _, d := range docs {
		if d.Patient.INS == "" || !strings.EqualFold(d.Patient.INS, patients[0]) {
			return &PatientSafetyError{Err: ErrWrongPatient, Recipients: addrs, DocumentINS: d.Patient.INS}
		}
	}
	return nil
}

// isXDMName reports whether a file name is IHE_XDM.ZIP in any case, also
// behind a path or surrounding white space.
func isXDMName(name string) bool {
	name = strings.TrimSpace(name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	return strings.EqualFold(name, XDMFilename)
}
