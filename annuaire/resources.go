package annuaire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Resource is a decoded FHIR resource: *Practitioner, *PractitionerRole,
// *Organization, *Bundle, *OperationOutcome, or *OtherResource for any
// other type.
type Resource interface {
	// ResourceType returns the FHIR resource type, e.g. "Practitioner".
	ResourceType() string
	// ResourceID returns the logical id ("" if none).
	ResourceID() string
}

// Practitioner is a FHIR Practitioner of the Annuaire Santé ("exercice
// professionnel").
type Practitioner struct {
	ID            string          `json:"id,omitempty"`
	Meta          *Meta           `json:"meta,omitempty"`
	Extension     []Extension     `json:"extension,omitempty"`
	Identifier    []Identifier    `json:"identifier,omitempty"`
	Active        *bool           `json:"active,omitempty"`
	Name          []HumanName     `json:"name,omitempty"`
	Telecom       []ContactPoint  `json:"telecom,omitempty"`
	Qualification []Qualification `json:"qualification,omitempty"`
}

// Qualification is a Practitioner qualification: a degree, a profession
// with its category, or a savoir-faire.
type Qualification struct {
	Identifier []Identifier    `json:"identifier,omitempty"`
	Code       CodeableConcept `json:"code"`
	Period     *Period         `json:"period,omitempty"`
}

// PractitionerRole is a FHIR PractitionerRole ("situation d'exercice").
type PractitionerRole struct {
	ID           string            `json:"id,omitempty"`
	Meta         *Meta             `json:"meta,omitempty"`
	Extension    []Extension       `json:"extension,omitempty"`
	Identifier   []Identifier      `json:"identifier,omitempty"`
	Active       *bool             `json:"active,omitempty"`
	Practitioner *Reference        `json:"practitioner,omitempty"`
	Organization *Reference        `json:"organization,omitempty"`
	Code         []CodeableConcept `json:"code,omitempty"`
	Specialty    []CodeableConcept `json:"specialty,omitempty"`
	Telecom      []ContactPoint    `json:"telecom,omitempty"`
}

// Organization is a FHIR Organization (legal or geographical entity).
type Organization struct {
	ID         string            `json:"id,omitempty"`
	Meta       *Meta             `json:"meta,omitempty"`
	Extension  []Extension       `json:"extension,omitempty"`
	Identifier []Identifier      `json:"identifier,omitempty"`
	Active     *bool             `json:"active,omitempty"`
	Type       []CodeableConcept `json:"type,omitempty"`
	Name       string            `json:"name,omitempty"`
	Alias      []string          `json:"alias,omitempty"`
	Telecom    []ContactPoint    `json:"telecom,omitempty"`
	Address    []Address         `json:"address,omitempty"`
	PartOf     *Reference        `json:"partOf,omitempty"`
}

// OtherResource is a resource of a type the SDK does not model
// (HealthcareService, Device...). Raw holds its JSON.
type OtherResource struct {
	Type string
	ID   string
	Raw  json.RawMessage
}

func (*Practitioner) ResourceType() string       { return "Practitioner" }
func (*PractitionerRole) ResourceType() string   { return "PractitionerRole" }
func (*Organization) ResourceType() string       { return "Organization" }
func (*Bundle) ResourceType() string             { return "Bundle" }
func (*OperationOutcome) ResourceType() string   { return "OperationOutcome" }
func (r *OtherResource) ResourceType() string    { return r.Type }
func (r *Practitioner) ResourceID() string       { return r.ID }
func (r *PractitionerRole) ResourceID() string   { return r.ID }
func (r *Organization) ResourceID() string       { return r.ID }
func (r *Bundle) ResourceID() string             { return r.ID }
func (r *OperationOutcome) ResourceID() string   { return r.ID }
func (r *OtherResource) ResourceID() string      { return r.ID }
func (r *Practitioner) Mailboxes() []Mailbox     { return Mailboxes(r.Telecom) }
func (r *PractitionerRole) Mailboxes() []Mailbox { return Mailboxes(r.Telecom) }
func (r *Organization) Mailboxes() []Mailbox     { return Mailboxes(r.Telecom) }

// IsActive reports the active flag; absent means true. Inactive resources
// carry only their identifiers: that is how deletions show in delta syncs.
func (r *Practitioner) IsActive() bool     { return r.Active == nil || *r.Active }
func (r *PractitionerRole) IsActive() bool { return r.Active == nil || *r.Active }
func (r *Organization) IsActive() bool     { return r.Active == nil || *r.Active }

// RPPS returns the 11-digit RPPS number (v2 or v1 system, or type code
// RPPS), or "".
func (r *Practitioner) RPPS() string {
	return findIdentifier(r.Identifier, TypeRPPS, 0, SystemRPPS, SystemRPPSV1)
}

// IdNatPS returns the idNat_PS ("8"+RPPS, "0"+ADELI...), or "".
func (r *Practitioner) IdNatPS() string {
	return findIdentifier(r.Identifier, TypeIDNPS, 0, SystemIdNatPS)
}

// DisplayName returns the usual (or first) name as "Given Family".
func (r *Practitioner) DisplayName() string {
	for _, n := range r.Name {
		if n.Use == "usual" {
			return n.String()
		}
	}
	if len(r.Name) > 0 {
		return r.Name[0].String()
	}
	return ""
}

// ProfessionCode returns the TRE_G15 profession code (e.g. "10" médecin), or "".
func (r *Practitioner) ProfessionCode() string {
	for i := range r.Qualification {
		if c := r.Qualification[i].Code.Code(CodeSystemProfession); c != "" {
			return c
		}
	}
	return ""
}

// FINESS returns the FINESS number (EJ or EG), or "".
func (r *Organization) FINESS() string {
	return findIdentifier(r.Identifier, "", 0, SystemFINESS, SystemFINESSV1)
}

// IdNatStruct returns the idNat_Struct, or "".
func (r *Organization) IdNatStruct() string {
	return findIdentifier(r.Identifier, TypeIDNST, 0, SystemIdNatStruct)
}

// SIRET returns the 14-digit SIRET, or "".
func (r *Organization) SIRET() string {
	return findIdentifier(r.Identifier, TypeSIRET, 14, SystemSIRENE)
}

// SIREN returns the 9-digit SIREN, or "".
func (r *Organization) SIREN() string {
	return findIdentifier(r.Identifier, TypeSIREN, 9, SystemSIRENE)
}

// Bundle is a FHIR Bundle (searchset). Entries keep their resource as raw
// JSON until decoded.
type Bundle struct {
	ID    string        `json:"id,omitempty"`
	Meta  *Meta         `json:"meta,omitempty"`
	Type  string        `json:"type,omitempty"`
	Total *int          `json:"total,omitempty"`
	Link  []BundleLink  `json:"link,omitempty"`
	Entry []BundleEntry `json:"entry,omitempty"`
}

// BundleLink is a Bundle link ("self", "next"...).
type BundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

// BundleEntry is a Bundle entry.
type BundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource,omitempty"`
	Search   *struct {
		Mode string `json:"mode,omitempty"` // "match", "include", "outcome"
	} `json:"search,omitempty"`
}

// Mode returns the search mode of the entry ("match" when absent).
func (e *BundleEntry) Mode() string {
	if e.Search == nil || e.Search.Mode == "" {
		return "match"
	}
	return e.Search.Mode
}

// Decode decodes the entry's resource.
func (e *BundleEntry) Decode() (Resource, error) {
	if len(e.Resource) == 0 {
		return nil, fmt.Errorf("%w: bundle entry has no resource", ErrNotFHIR)
	}
	return DecodeResource(e.Resource)
}

// Next returns the URL of the next page, or "".
func (b *Bundle) Next() string { return b.LinkURL("next") }

// LinkURL returns the URL of the link with the relation, or "".
func (b *Bundle) LinkURL(relation string) string {
	for _, l := range b.Link {
		if l.Relation == relation {
			return l.URL
		}
	}
	return ""
}

// Resources decodes every entry.
func (b *Bundle) Resources() ([]Resource, error) {
	out := make([]Resource, 0, len(b.Entry))
	for i := range b.Entry {
		r, err := b.Entry[i].Decode()
		if err != nil {
			return out, fmt.Errorf("bundle entry %d: %w", i, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// OperationOutcome is the FHIR error resource.
type OperationOutcome struct {
	ID    string                  `json:"id,omitempty"`
	Issue []OperationOutcomeIssue `json:"issue,omitempty"`
}

// OperationOutcomeIssue is one issue of an OperationOutcome.
type OperationOutcomeIssue struct {
	Severity    string           `json:"severity,omitempty"` // fatal | error | warning | information
	Code        string           `json:"code,omitempty"`     // e.g. "processing", "not-found"
	Details     *CodeableConcept `json:"details,omitempty"`
	Diagnostics string           `json:"diagnostics,omitempty"`
	Expression  []string         `json:"expression,omitempty"`
}

// String returns the issues as "severity code: diagnostics; ...".
func (o *OperationOutcome) String() string {
	var b strings.Builder
	for i, is := range o.Issue {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(is.Severity)
		if is.Code != "" {
			b.WriteString(" " + is.Code)
		}
		msg := is.Diagnostics
		if msg == "" && is.Details != nil {
			msg = is.Details.Text
		}
		if msg != "" {
			b.WriteString(": " + msg)
		}
	}
	return b.String()
}

// ErrNotFHIR reports JSON that is not a FHIR resource (no resourceType) or
// not JSON at all.
var ErrNotFHIR = errors.New("annuaire: not a FHIR resource")

// DecodeResource decodes one FHIR R4 JSON resource. Resource types the SDK
// does not model decode as *OtherResource.
func DecodeResource(data []byte) (Resource, error) {
	var head struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotFHIR, err)
	}
	var r Resource
	switch head.ResourceType {
	case "":
		return nil, fmt.Errorf("%w: no resourceType", ErrNotFHIR)
	case "Practitioner":
		r = new(Practitioner)
	case "PractitionerRole":
		r = new(PractitionerRole)
	case "Organization":
		r = new(Organization)
	case "Bundle":
		r = new(Bundle)
	case "OperationOutcome":
		r = new(OperationOutcome)
	default:
		return &OtherResource{Type: head.ResourceType, ID: head.ID, Raw: bytes.Clone(data)}, nil
	}
	if err := json.Unmarshal(data, r); err != nil {
		return nil, fmt.Errorf("annuaire: decoding %s: %w", head.ResourceType, err)
	}
	return r, nil
}

// ResourceMailboxes returns the mailboxes of r: its own telecoms for a
// Practitioner, PractitionerRole or Organization, and those of every entry
// of a Bundle, each with the resource that holds it.
func ResourceMailboxes(r Resource) ([]OwnedMailbox, error) {
	var out []OwnedMailbox
	add := func(r Resource) {
		var tel []ContactPoint
		switch v := r.(type) {
		case *Practitioner:
			tel = v.Telecom
		case *PractitionerRole:
			tel = v.Telecom
		case *Organization:
			tel = v.Telecom
		}
		for _, m := range Mailboxes(tel) {
			out = append(out, OwnedMailbox{Mailbox: m, Owner: r})
		}
	}
	if b, ok := r.(*Bundle); ok {
		for i := range b.Entry {
			er, err := b.Entry[i].Decode()
			if err != nil {
				return out, fmt.Errorf("bundle entry %d: %w", i, err)
			}
			add(er)
		}
		return out, nil
	}
	add(r)
	return out, nil
}

// OwnedMailbox is a mailbox with the resource that publishes it.
type OwnedMailbox struct {
	Mailbox Mailbox
	Owner   Resource // *Practitioner, *PractitionerRole or *Organization
}

// OwnerRef returns "Type/id" of the owner.
func (o OwnedMailbox) OwnerRef() string {
	if o.Owner == nil {
		return ""
	}
	return o.Owner.ResourceType() + "/" + o.Owner.ResourceID()
}
