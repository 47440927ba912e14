package mail

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mssante-go/sdk/internal/textcut"
)

// MDN is a message disposition notification (RFC 8098): the "accusé de
// lecture" of MSSanté (ECO.2.3.2, ECO.3.1.6), also used by integration
// platforms to report that a document was processed, or could not be
// (CI-SIS "Transmission au LPS d'un document CDA", error codes 900-906).
//
// Parse reads MDNs leniently, as it reads DSNs: a report whose original is
// cut short, without Original-Recipient, without Original-Message-ID (then
// taken from the returned header, else from In-Reply-To) or with a
// Disposition out of syntax (its type read from its words, or left empty)
// is still an MDN, its defects in [Message.Problems].
type MDN struct {
	ReportingUA       string // the user agent that wrote the report
	OriginalRecipient string // "rfc822;" removed; empty when not reported
	FinalRecipient    string // the mailbox that reports ("rfc822;" removed)
	OriginalMessageID string // the reported message, without angle brackets
	Disposition       Disposition
	// Error is the raw Error field, e.g.
	// "902^Identifiant de patient inconnu^applicationErrorCondition".
	// Legacy CI-SIS reports put it in the Disposition field after
	// "processed/Error:"; the parser moves it here.
	Error string
	// ErrorCode is the CI-SIS integration error code read from Error, or 0.
	ErrorCode IntegrationErrorCode
	// Text is the human-readable part.
	Text string
}

// Disposition is the Disposition field of an MDN:
// "action-mode/sending-mode; type[/modifier,...]".
type Disposition struct {
	ActionMode  string          // "manual-action" or "automatic-action"
	SendingMode string          // "MDN-sent-manually" or "MDN-sent-automatically"
	Type        DispositionType // displayed, processed, deleted or dispatched
	Modifiers   []string        // e.g. "error"
}

// DispositionType is what happened to the message (RFC 8098 §3.2.6.2).
type DispositionType string

// Disposition types.
const (
	Displayed  DispositionType = "displayed"
	Processed  DispositionType = "processed"
	Deleted    DispositionType = "deleted"
	Dispatched DispositionType = "dispatched"
)

// Action and sending modes.
const (
	ManualAction          = "manual-action"
	AutomaticAction       = "automatic-action"
	MDNSentManually       = "MDN-sent-manually"
	MDNSentAutomatically  = "MDN-sent-automatically"
	dispositionModifError = "error"
)

// String formats the field value.
func (d Disposition) String() string {
	s := d.ActionMode + "/" + d.SendingMode + "; " + string(d.Type)
	if len(d.Modifiers) > 0 {
		s += "/" + strings.Join(d.Modifiers, ",")
	}
	return s
}

// IsError reports whether the disposition carries the error modifier.
func (d Disposition) IsError() bool {
	for _, m := range d.Modifiers {
		if strings.EqualFold(m, dispositionModifError) {
			return true
		}
	}
	return false
}

// IntegrationErrorCode is a CI-SIS code reported when a receiving system
// cannot integrate a document (HL7 applicationErrorCondition, spec §3.4).
// The codes are values carried by an error MDN ([MDN.ErrorCode],
// [IntegrationError.Code], [MDNOptions.ErrorCode]), not Go errors: test a
// received MDN with errors.As and an [*IntegrationError], then its Code.
type IntegrationErrorCode int

// CI-SIS integration error codes, 900 to 906.
const (
	IntegrationWrongVersion     IntegrationErrorCode = 900 // wrong document version for a replacement or deletion
	IntegrationAuthorNotAllowed IntegrationErrorCode = 901 // author not allowed
	IntegrationUnknownPatient   IntegrationErrorCode = 902 // patient identifier unknown
	IntegrationINSMissing       IntegrationErrorCode = 903 // INS absent from the CDA
	IntegrationINSMismatch      IntegrationErrorCode = 904 // INS does not match the patient
	IntegrationINSIncomplete    IntegrationErrorCode = 905 // INS traits missing
	IntegrationOther            IntegrationErrorCode = 906 // other error
)

// String returns the French label of the code, in ASCII as it travels in
// the Error field.
func (c IntegrationErrorCode) String() string {
	switch c {
	case IntegrationWrongVersion:
		return "Version du document incorrecte"
	case IntegrationAuthorNotAllowed:
		return "Auteur non autorise"
	case IntegrationUnknownPatient:
		return "Identifiant de patient inconnu"
	case IntegrationINSMissing:
		return "INS absent du document"
	case IntegrationINSMismatch:
		return "INS incoherent avec le patient"
	case IntegrationINSIncomplete:
		return "INS incomplet (traits d'identite manquants)"
	case IntegrationOther:
		return "Autre erreur"
	}
	return "Erreur " + strconv.Itoa(int(c))
}

// Valid reports whether c is one of the CI-SIS codes 900 to 906.
func (c IntegrationErrorCode) Valid() bool {
	return c >= IntegrationWrongVersion && c <= IntegrationOther
}

// ErrIntegration is wrapped by every [*IntegrationError].
var ErrIntegration = errors.New("mail: document not integrated by the recipient")

// IntegrationError is an error MDN: the recipient's system could not
// integrate the document.
type IntegrationError struct {
	Recipient string
	Code      IntegrationErrorCode // 0 when the MDN gives no CI-SIS code
	Text      string
}

func (e *IntegrationError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("mail: %s could not integrate the document: %d %s", e.Recipient, int(e.Code), e.Text)
	}
	return fmt.Sprintf("mail: %s could not integrate the document: %s", e.Recipient, e.Text)
}
func (e *IntegrationError) Unwrap() error { return ErrIntegration }

// Err returns an [*IntegrationError] when the MDN reports an error, else nil.
func (m *MDN) Err() error {
	if !m.Disposition.IsError() && m.Error == "" {
		return nil
	}
	text := m.Error
	if parts := strings.Split(m.Error, "^"); len(parts) > 1 {
		text = parts[1]
	}
	return &IntegrationError{Recipient: m.FinalRecipient, Code: m.ErrorCode, Text: textcut.Cut(strings.TrimSpace(text), maxQuote)}
}

// parseMDNFields reads the body of a message/disposition-notification
// part. It never fails: a field it cannot read is left aside and reported
// in the problems it returns, and a Disposition that does not follow RFC
// 8098 is read for what it says (see lenientDisposition).
func parseMDNFields(blocks []fieldBlock, part string) (*MDN, []error) {
	m := &MDN{}
	if len(blocks) == 0 {
		return m, []error{&ParseError{Part: part, Reason: "empty report"}}
	}
	// One block by the RFC; some writers put a blank line among the fields.
	var b fieldBlock
	for _, blk := range blocks {
		b = append(b, blk...)
	}
	m.ReportingUA = b.get("Reporting-UA")
	m.OriginalRecipient = stripType(b.get("Original-Recipient"))
	m.FinalRecipient = stripType(b.get("Final-Recipient"))
	var probs []error
	if id := strings.TrimSpace(b.get("Original-Message-ID")); strings.HasPrefix(id, "<") && !strings.HasSuffix(id, ">") {
		// A report cut short in this field: the id is not whole.
		probs = append(probs, &ParseError{Part: part, Reason: "Original-Message-ID not closed, ignored", Quote: quote([]byte(id))})
	} else {
		m.OriginalMessageID = strings.Trim(id, "<>")
	}
	m.Error = b.get("Error")
	raw := b.get("Disposition")
	if raw == "" {
		probs = append(probs, &ParseError{Part: part, Reason: "no Disposition field"})
	} else {
		d, legacyErr, err := parseDisposition(raw)
		if err != nil {
			probs = append(probs, err)
			d = lenientDisposition(raw)
		}
		m.Disposition = d
		if m.Error == "" && legacyErr != "" {
			m.Error = legacyErr
		}
	}
	m.ErrorCode = errorCode(m.Error)
	return m, probs
}

// parseDisposition parses "action/sending; type/modifiers". It accepts the
// legacy CI-SIS form "processed/Error: 902^...", whose text after "Error:"
// is returned apart.
func parseDisposition(v string) (Disposition, string, error) {
	bad := func(reason string) (Disposition, string, error) {
		return Disposition{}, "", &ParseError{Part: "Disposition", Reason: reason, Quote: quote([]byte(v))}
	}
	modes, rest, ok := strings.Cut(v, ";")
	if !ok {
		return bad("missing ';'")
	}
	var d Disposition
	action, sending, ok := strings.Cut(strings.TrimSpace(modes), "/")
	if !ok {
		return bad("missing sending mode")
	}
	d.ActionMode, d.SendingMode = strings.ToLower(strings.TrimSpace(action)), strings.TrimSpace(sending)
	var legacy string
	rest = strings.TrimSpace(rest)
	if i := indexASCIIFold(rest, "error:"); i >= 0 {
		legacy = strings.TrimSpace(rest[i+len("error:"):])
		rest = strings.TrimRight(rest[:i], "/ ") + "/error"
	}
	typ, mods, _ := strings.Cut(rest, "/")
	d.Type = DispositionType(strings.ToLower(strings.TrimSpace(typ)))
	switch d.Type {
	case Displayed, Processed, Deleted, Dispatched:
	default:
		return bad("unknown disposition type")
	}
	for _, mod := range strings.Split(mods, ",") {
		if mod = strings.ToLower(strings.TrimSpace(mod)); mod != "" {
			d.Modifiers = append(d.Modifiers, mod)
		}
	}
	return d, legacy, nil
}

// lenientDisposition reads what a Disposition that parseDisposition
// refused still says: the first disposition type word it holds (Type stays
// empty without one), the error modifier, and the modes when they are
// there. The tracker treats an MDN without a type as proof of delivery
// only.
func lenientDisposition(v string) Disposition {
	var d Disposition
	words := strings.FieldsFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-')
	})
	for _, w := range words {
		switch lw := strings.ToLower(w); {
		case lw == ManualAction || lw == AutomaticAction:
			if d.ActionMode == "" {
				d.ActionMode = lw
			}
		case strings.EqualFold(w, MDNSentManually) || strings.EqualFold(w, MDNSentAutomatically):
			if d.SendingMode == "" {
				d.SendingMode = w
			}
		case lw == string(Displayed) || lw == string(Processed) || lw == string(Deleted) || lw == string(Dispatched):
			if d.Type == "" {
				d.Type = DispositionType(lw)
			}
		case lw == dispositionModifError:
			if !d.IsError() {
				d.Modifiers = append(d.Modifiers, dispositionModifError)
			}
		}
	}
	return d
}

// errorCode reads the leading CI-SIS code of an Error field, or 0.
func errorCode(v string) IntegrationErrorCode {
	v = strings.TrimSpace(v)
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	if end == 0 || end > 4 {
		return 0
	}
	n, _ := strconv.Atoi(v[:end])
	return IntegrationErrorCode(n)
}

// indexASCIIFold is strings.Index ignoring ASCII case. Unlike searching a
// strings.ToLower copy, its index is valid in s whatever bytes s holds
// (ToLower may change the length of invalid UTF-8).
func indexASCIIFold(s, substr string) int {
	for i := 0; i+len(substr) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(substr)], substr) {
			return i
		}
	}
	return -1
}
