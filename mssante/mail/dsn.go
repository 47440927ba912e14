package mail

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mssante-go/sdk/internal/textcut"
)

// DSN is a delivery status notification (RFC 3464): the report a mail server
// sends back about the delivery of a message to each recipient. In MSSanté it
// is the "accusé de réception" (ECO.2.3.1).
//
// Parse reads reports as mail systems really write them: what a report
// lacks or gets wrong is listed in [Message.Problems], never a reason to
// lose the report. A report without any per-recipient block (Postfix's
// "Delivery report unavailable", a report cut short) gets one entry whose
// FinalRecipient is empty: it stands for the recipients the report does not
// name, with an action and a status inferred from the human-readable text
// and the subject (see [DSNRecipient.Unnamed]).
type DSN struct {
	ReportingMTA       string    // the MTA that wrote the report ("dns;" type removed)
	OriginalEnvelopeID string    // ENVID given at submission (the client derives it from the Message-ID)
	ArrivalDate        time.Time // when the reporting MTA received the message; zero when absent (Exim writes none)
	Recipients         []DSNRecipient
	// OriginalMessageID is the Message-ID of the reported message, read from
	// the returned headers or message (without angle brackets).
	OriginalMessageID string
	// OriginalSubject is the Subject of the reported message when returned.
	OriginalSubject string
	// Text is the human-readable part of the report, kept for support.
	Text string
}

// DSNAction is what happened to the message for one recipient (RFC 3464 §2.3.3).
type DSNAction string

// DSN actions.
const (
	ActionFailed    DSNAction = "failed"
	ActionDelayed   DSNAction = "delayed"
	ActionDelivered DSNAction = "delivered"
	ActionRelayed   DSNAction = "relayed"
	ActionExpanded  DSNAction = "expanded"
)

// DSNRecipient is the per-recipient part of a DSN.
type DSNRecipient struct {
	FinalRecipient    string    // address the report is about ("rfc822;" removed); empty when not named
	OriginalRecipient string    // address as first given (ORCPT), when reported
	Action            DSNAction // lower case; inferred when the report gives none (ActionInferred)
	// Status is the enhanced status code (RFC 3463), e.g. "5.1.1". When
	// the report's Status field is absent, invalid or generic ("5.0.0",
	// "4.0.0", "2.0.0", as Exim writes), it is the first enhanced code of
	// the same class found in DiagnosticCode, else in the human-readable
	// text about this recipient, and StatusInferred is set; without one it
	// stays the reported value.
	Status         string
	StatusInferred bool
	// ReportedStatus is the Status field as the report gave it, or "".
	ReportedStatus string
	// ActionInferred is set when the report gave no known Action: it was
	// read from the status class, else from the human-readable text and
	// the subject of the report.
	ActionInferred  bool
	DiagnosticCode  string    // e.g. "smtp; 550 5.1.1 User unknown"
	RemoteMTA       string    // MTA that gave the diagnostic ("dns;" removed)
	LastAttemptDate time.Time // zero when absent
	WillRetryUntil  time.Time // zero when absent
}

// Unnamed reports whether the entry stands for recipients the report does
// not name: a report without per-recipient status, or a recipient block
// without Final-Recipient. The tracker applies it to every recipient of the
// message still waiting for a delivery report.
func (r DSNRecipient) Unnamed() bool { return r.Recipient() == "" }

// maxDiagnosticText bounds the diagnostic a DeliveryError quotes.
const maxDiagnosticText = 160

// ReasonNoRecipientStatus is the problem, and the tracker's reason, of a
// report that names no recipient.
const ReasonNoRecipientStatus = "report without per-recipient status"

// Recipient returns the address the entry is about: the original recipient
// when reported, else the final one.
func (r DSNRecipient) Recipient() string {
	if r.OriginalRecipient != "" {
		return r.OriginalRecipient
	}
	return r.FinalRecipient
}

// Errors wrapped by [*DeliveryError].
var (
	ErrDeliveryFailed  = errors.New("mail: delivery failed")
	ErrDeliveryDelayed = errors.New("mail: delivery delayed")

	// Mon Espace Santé refuses a message ("Message non distribué"): these
	// tell the reasons apart (CNAM "ENS Mon espace santé – Messagerie" §6).
	ErrPatientMailboxClosed   = errors.New("mail: the patient's Mon Espace Santé mailbox is closed")
	ErrPatientUnknown         = errors.New("mail: patient unknown to Mon Espace Santé")
	ErrPatientAddressInvalid  = errors.New("mail: invalid Mon Espace Santé address")
	ErrPatientMessageTooLarge = errors.New("mail: message over the Mon Espace Santé limit (25 MB)")
)

// DeliveryError is a failed or delayed delivery to one recipient, from a DSN.
// It wraps ErrDeliveryFailed or ErrDeliveryDelayed and, for a Mon Espace
// Santé bounce, the matching ErrPatient* error.
type DeliveryError struct {
	Recipient  string
	Action     DSNAction
	Status     string
	Diagnostic string
	Reason     error // an ErrPatient* error, or nil
}

func (e *DeliveryError) Error() string {
	rcpt := e.Recipient
	if rcpt == "" {
		rcpt = "(recipient not named)"
	}
	s := fmt.Sprintf("mail: delivery to %s %s", rcpt, e.Action)
	if e.Status != "" {
		s += " (" + e.Status + ")"
	}
	if e.Reason != nil {
		s += ": " + strings.TrimPrefix(e.Reason.Error(), "mail: ")
	} else if e.Diagnostic != "" {
		// A real diagnostic is one SMTP reply line; a hostile one may be
		// tens of kilobytes.
		s += ": " + textcut.Cut(e.Diagnostic, maxDiagnosticText)
	}
	return s
}

// Unwrap returns the action's error and the reason.
func (e *DeliveryError) Unwrap() []error {
	base := ErrDeliveryFailed
	if e.Action == ActionDelayed {
		base = ErrDeliveryDelayed
	}
	if e.Reason != nil {
		return []error{base, e.Reason}
	}
	return []error{base}
}

// Err returns nil when the message was delivered, relayed or expanded for
// this recipient, and a [*DeliveryError] when it failed or is delayed.
func (r DSNRecipient) Err() error {
	if r.Action != ActionFailed && r.Action != ActionDelayed {
		return nil
	}
	e := &DeliveryError{Recipient: r.Recipient(), Action: r.Action, Status: r.Status, Diagnostic: r.DiagnosticCode}
	if r.Action == ActionFailed && isPatientDomain(r.Recipient()) {
		e.Reason = patientBounceReason(r.Status, r.DiagnosticCode)
	}
	return e
}

func isPatientDomain(addr string) bool {
	i := strings.LastIndexByte(addr, '@')
	return i >= 0 && strings.EqualFold(addr[i+1:], PatientDomain)
}

// patientBounceReason maps a Mon Espace Santé failure to its typed error,
// from the enhanced status code (RFC 3463) first, then from the wording of
// the diagnostic, in French or English. The exact texts of the CNAM operator
// are not published: the wording list is an inference, tested on the
// usual Postfix forms. It returns nil when nothing matches.
func patientBounceReason(status, diag string) error {
	switch status {
	case "5.2.1", "5.2.0":
		return ErrPatientMailboxClosed
	case "5.1.1", "5.1.0":
		return ErrPatientUnknown
	case "5.1.3":
		return ErrPatientAddressInvalid
	case "5.2.3", "5.3.4":
		return ErrPatientMessageTooLarge
	}
	d := strings.ToLower(diag)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(d, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("ferm", "closed", "disabled", "désactiv", "desactiv", "inactive"):
		return ErrPatientMailboxClosed
	case has("inconnu", "unknown", "not found", "introuvable", "no such user"):
		return ErrPatientUnknown
	case has("invalide", "invalid", "syntax"):
		return ErrPatientAddressInvalid
	case has("too large", "trop volumineux", "taille", "size", "25 mo", "25mo", "25 mb"):
		return ErrPatientMessageTooLarge
	}
	return nil
}

// stripType removes the "type;" prefix of an address or MTA field
// ("rfc822; a@b" gives "a@b") and angle brackets some MTAs add.
func stripType(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[i+1:]
	}
	return strings.Trim(strings.TrimSpace(v), "<>")
}

func firstWord(v string) string {
	f := strings.Fields(v)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
