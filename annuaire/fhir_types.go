package annuaire

import "strings"

// The FHIR R4 data types the SDK needs, written by hand (no FHIR framework).
// Elements the SDK does not model are dropped when decoding.

// Coding is a FHIR Coding.
type Coding struct {
	System  string `json:"system,omitempty"`
	Version string `json:"version,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is a FHIR CodeableConcept.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Code returns the code of the first coding whose system is system, or "".
func (cc *CodeableConcept) Code(system string) string {
	if cc == nil {
		return ""
	}
	for _, c := range cc.Coding {
		if c.System == system {
			return c.Code
		}
	}
	return ""
}

// HasCode reports whether a coding carries code (in any system when system is "").
func (cc *CodeableConcept) HasCode(system, code string) bool {
	if cc == nil {
		return false
	}
	for _, c := range cc.Coding {
		if c.Code == code && (system == "" || c.System == system) {
			return true
		}
	}
	return false
}

// Identifier is a FHIR Identifier.
type Identifier struct {
	Use    string           `json:"use,omitempty"`
	Type   *CodeableConcept `json:"type,omitempty"`
	System string           `json:"system,omitempty"`
	Value  string           `json:"value,omitempty"`
}

// TypeCode returns the first code of the identifier type ("IDNPS", "RPPS",
// "FINEG"...), whatever its code system (v1 and v2 systems differ).
func (id *Identifier) TypeCode() string {
	if id.Type == nil {
		return ""
	}
	for _, c := range id.Type.Coding {
		if c.Code != "" {
			return c.Code
		}
	}
	return ""
}

// HumanName is a FHIR HumanName. In the Annuaire Santé, prefix holds the
// civility and suffix the exercise civility (e.g. "DR").
type HumanName struct {
	Use    string   `json:"use,omitempty"`
	Text   string   `json:"text,omitempty"`
	Family string   `json:"family,omitempty"`
	Given  []string `json:"given,omitempty"`
	Prefix []string `json:"prefix,omitempty"`
	Suffix []string `json:"suffix,omitempty"`
}

// String returns "Given Family", or Text when set.
func (n HumanName) String() string {
	if n.Text != "" {
		return n.Text
	}
	parts := append(append([]string(nil), n.Given...), n.Family)
	return strings.TrimSpace(strings.Join(parts, " "))
}

// Reference is a FHIR Reference.
type Reference struct {
	Reference  string      `json:"reference,omitempty"`
	Type       string      `json:"type,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

// ID returns the resource id of a relative reference "Type/id" (or of an
// absolute URL ending so), or "".
func (r *Reference) ID() string {
	if r == nil {
		return ""
	}
	ref := r.Reference
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		return ref[i+1:]
	}
	return ""
}

// Period is a FHIR Period.
type Period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// Extension is a FHIR Extension with the value[x] types the Annuaire Santé
// uses. Other value types are dropped.
type Extension struct {
	URL                  string           `json:"url"`
	Extension            []Extension      `json:"extension,omitempty"`
	ValueString          *string          `json:"valueString,omitempty"`
	ValueBoolean         *bool            `json:"valueBoolean,omitempty"`
	ValueCode            string           `json:"valueCode,omitempty"`
	ValueInteger         *int             `json:"valueInteger,omitempty"`
	ValueCoding          *Coding          `json:"valueCoding,omitempty"`
	ValueCodeableConcept *CodeableConcept `json:"valueCodeableConcept,omitempty"`
	ValuePeriod          *Period          `json:"valuePeriod,omitempty"`
	ValueReference       *Reference       `json:"valueReference,omitempty"`
}

// findExtension returns the first extension with the URL. Profile URLs may
// carry a "|version" suffix, which is ignored.
func findExtension(exts []Extension, url string) *Extension {
	for i := range exts {
		u := exts[i].URL
		if j := strings.IndexByte(u, '|'); j >= 0 {
			u = u[:j]
		}
		if u == url {
			return &exts[i]
		}
	}
	return nil
}

// ContactPoint is a FHIR ContactPoint (telecom). See [ContactPoint.Mailbox]
// for MSSanté mailboxes.
type ContactPoint struct {
	Extension []Extension `json:"extension,omitempty"`
	System    string      `json:"system,omitempty"`
	Value     string      `json:"value,omitempty"`
	Use       string      `json:"use,omitempty"`
	Rank      int         `json:"rank,omitempty"`
	Period    *Period     `json:"period,omitempty"`
}

// Address is a FHIR Address (the parts the SDK reads).
type Address struct {
	Use        string   `json:"use,omitempty"`
	Type       string   `json:"type,omitempty"`
	Text       string   `json:"text,omitempty"`
	Line       []string `json:"line,omitempty"`
	City       string   `json:"city,omitempty"`
	District   string   `json:"district,omitempty"`
	PostalCode string   `json:"postalCode,omitempty"`
	Country    string   `json:"country,omitempty"`
}

// Meta is FHIR resource metadata.
type Meta struct {
	VersionID   string   `json:"versionId,omitempty"`
	LastUpdated string   `json:"lastUpdated,omitempty"`
	Source      string   `json:"source,omitempty"`
	Profile     []string `json:"profile,omitempty"`
	Tag         []Coding `json:"tag,omitempty"`
}

// HasProfile reports whether the resource claims the profile. The
// "|version" suffix of meta.profile entries is ignored.
func (m *Meta) HasProfile(url string) bool {
	if m == nil {
		return false
	}
	for _, p := range m.Profile {
		if i := strings.IndexByte(p, '|'); i >= 0 {
			p = p[:i]
		}
		if p == url {
			return true
		}
	}
	return false
}
