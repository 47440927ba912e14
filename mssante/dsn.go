package mssante

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// DSN is a delivery status notification (RFC 3464): the report a mail server
// sends back about the delivery of a message to each recipient. In MSSanté it
// is the "accusé de réception" (ECO.2.3.1).
type DSN struct {
	ReportingMTA       string    // the MTA that wrote the report ("dns;" type removed)
	OriginalEnvelopeID string    // ENVID given at submission (the client derives it from the Message-ID)
	ArrivalDate        time.Time // when the reporting MTA received the message; zero when absent
	Recipients         []DSNRecipient
	// OriginalMessageID is the Message-ID of the reported message, read from
	// the returned headers or message (without angle brackets).
	OriginalMessageID string
	// OriginalSubject is the Subject of the reported message when returned.
	OriginalSubject string
	// Text is the human-readable part of the report.
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
	FinalRecipient    string    // address the report is about ("rfc822;" removed)
	OriginalRecipient string    // address as first given (ORCPT), when reported
	Action            DSNAction // lower case
	Status            string    // enhanced status code, e.g. "5.1.1"
	DiagnosticCode    string    // e.g. "smtp; 550 5.1.1 User unknown"
	RemoteMTA         string    // MTA that gave the diagnostic ("dns;" removed)
	LastAttemptDate   time.Time // zero when absent
	WillRetryUntil    time.Time // zero when absent
}

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
	ErrDeliveryFailed  = errors.New("mssante: delivery failed")
	ErrDeliveryDelayed = errors.New("mssante: delivery delayed")

	// Mon Espace Santé refuses a message ("Message non distribué"): these
	// tell the reasons apart (CNAM "ENS Mon espace santé – Messagerie" §6).
	ErrPatientMailboxClosed   = errors.New("mssante: the patient's Mon Espace Santé mailbox is closed")
	ErrPatientUnknown         = errors.New("mssante: patient unknown to Mon Espace Santé")
	ErrPatientAddressInvalid  = errors.New("mssante: invalid Mon Espace Santé address")
	ErrPatientMessageTooLarge = errors.New("mssante: message over the Mon Espace Santé limit (25 MB)")
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
	s := fmt.Sprintf("mssante: delivery to %s %s", e.Recipient, e.Action)
	if e.Status != "" {
		s += " (" + e.Status + ")"
	}
	if e.Reason != nil {
		s += ": " + strings.TrimPrefix(e.Reason.Error(), "mssante: ")
	} else if e.Diagnostic != "" {
		s += ": " + e.Diagnostic
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

// parseDSNFields reads the body of a message/delivery-status part: a block
// of per-message fields, then one block per recipient.
func parseDSNFields(blocks []fieldBlock) (*DSN, error) {
	if len(blocks) == 0 {
		return nil, &ParseError{Part: "message/delivery-status", Reason: "empty report"}
	}
	msg := blocks[0]
	d := &DSN{
		ReportingMTA:       stripType(msg.get("Reporting-MTA")),
		OriginalEnvelopeID: msg.get("Original-Envelope-Id"),
		ArrivalDate:        parseDate(msg.get("Arrival-Date")),
	}
	for _, b := range blocks[1:] {
		r := DSNRecipient{
			FinalRecipient:    stripType(b.get("Final-Recipient")),
			OriginalRecipient: stripType(b.get("Original-Recipient")),
			Action:            DSNAction(strings.ToLower(firstWord(b.get("Action")))),
			Status:            firstWord(b.get("Status")),
			DiagnosticCode:    b.get("Diagnostic-Code"),
			RemoteMTA:         stripType(b.get("Remote-MTA")),
			LastAttemptDate:   parseDate(b.get("Last-Attempt-Date")),
			WillRetryUntil:    parseDate(b.get("Will-Retry-Until")),
		}
		if r.FinalRecipient == "" && r.Action == "" {
			continue // a stray block
		}
		if r.FinalRecipient == "" {
			return nil, &ParseError{Part: "message/delivery-status", Reason: "recipient block without Final-Recipient"}
		}
		d.Recipients = append(d.Recipients, r)
	}
	if len(d.Recipients) == 0 {
		return nil, &ParseError{Part: "message/delivery-status", Reason: "no recipient block"}
	}
	return d, nil
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
