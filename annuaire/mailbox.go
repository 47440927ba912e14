package annuaire

import "strings"

// MailboxType is the type of an MSSanté mailbox (BAL), TRE_R257-TypeBAL.
type MailboxType string

// Mailbox types.
const (
	MailboxPER MailboxType = "PER" // personal mailbox of a professional
	MailboxORG MailboxType = "ORG" // organisational mailbox of a structure (service, secretariat)
	MailboxAPP MailboxType = "APP" // applicative mailbox (software of a structure)
	MailboxCAB MailboxType = "CAB" // mailbox of a practice (cabinet)
)

// Extension URLs that mark a telecom as an MSSanté mailbox.
const (
	ExtEmailType       = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-contact-point-email-type"
	ExtMailboxMetadata = "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-mailbox-mss-metadata"
)

// Mailbox is an MSSanté mailbox (BAL) read from a FHIR telecom.
type Mailbox struct {
	Address string      // the e-mail address, as published
	Type    MailboxType // from the metadata extension; "" when absent
	// Description, Service (service de rattachement) and Responsible come
	// from the metadata extension; "" when absent. Responsible is never
	// present in public data.
	Description string
	Service     string
	Responsible string
	// ListeRouge is true when the metadata says the mailbox must not be
	// published. Absent in public data: false.
	ListeRouge bool
	// Digitization is the retired "digitization" flag (removed from the IG
	// on 2026-06-02, still in some API responses); nil when absent.
	Digitization *bool
	// Rank is the telecom rank (1 = preferred mailbox); 0 when absent.
	Rank int
	// MSSanteTyped and HasMetadata say which of the two marks made the
	// telecom a mailbox: the fr-core email-type extension with code
	// MSSANTE, and the as-ext-mailbox-mss-metadata extension.
	MSSanteTyped bool
	HasMetadata  bool
}

// Mailbox returns the MSSanté mailbox of the telecom, if it is one: an
// e-mail telecom (or one without a system) with a value, carrying either the
// fr-core email-type extension with code MSSANTE or the mailbox metadata
// extension. The MSSanté IG examples carry only the latter, the Annuaire IG
// examples sometimes only the former, so either is enough. Plain e-mail
// contacts of a structure are not mailboxes.
func (cp *ContactPoint) Mailbox() (Mailbox, bool) {
	if cp.Value == "" || (cp.System != "" && cp.System != "email") {
		return Mailbox{}, false
	}
	m := Mailbox{Address: strings.TrimSpace(cp.Value), Rank: cp.Rank}
	if e := findExtension(cp.Extension, ExtEmailType); e != nil && e.ValueCoding != nil &&
		strings.EqualFold(e.ValueCoding.Code, "MSSANTE") {
		m.MSSanteTyped = true
	}
	if e := findExtension(cp.Extension, ExtMailboxMetadata); e != nil {
		m.HasMetadata = true
		for i := range e.Extension {
			sub := &e.Extension[i]
			switch sub.URL {
			case "type":
				if cc := sub.ValueCodeableConcept; cc != nil {
					for _, c := range cc.Coding {
						if c.Code != "" {
							m.Type = MailboxType(strings.ToUpper(c.Code))
							break
						}
					}
				} else if sub.ValueCoding != nil {
					m.Type = MailboxType(strings.ToUpper(sub.ValueCoding.Code))
				} else if sub.ValueCode != "" {
					m.Type = MailboxType(strings.ToUpper(sub.ValueCode))
				}
			case "description":
				m.Description = str(sub.ValueString)
			case "service":
				m.Service = str(sub.ValueString)
			case "responsible":
				m.Responsible = str(sub.ValueString)
			case "listeRouge":
				m.ListeRouge = sub.ValueBoolean != nil && *sub.ValueBoolean
			case "digitization":
				if sub.ValueBoolean != nil {
					b := *sub.ValueBoolean
					m.Digitization = &b
				}
			}
		}
	}
	if !m.MSSanteTyped && !m.HasMetadata {
		return Mailbox{}, false
	}
	return m, true
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Mailboxes returns the MSSanté mailboxes among telecoms, in order.
func Mailboxes(telecoms []ContactPoint) []Mailbox {
	var out []Mailbox
	for i := range telecoms {
		if m, ok := telecoms[i].Mailbox(); ok {
			out = append(out, m)
		}
	}
	return out
}
