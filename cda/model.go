package cda

import "io"

// II is an HL7 instance identifier: an OID root and an optional extension.
// A null identifier has only NullFlavor set.
type II struct {
	Root       string // OID or UUID; "" when NullFlavor is set
	Extension  string // identifier inside Root; "" for none
	NullFlavor string // UNK, NASK, ASKU, NAV, MSK or ""
}

// IsZero reports whether id carries nothing.
func (id II) IsZero() bool { return id.Root == "" && id.Extension == "" && id.NullFlavor == "" }

// String returns "root^extension" (the XDS uniqueId form), or root alone
// when there is no extension.
func (id II) String() string {
	if id.Extension == "" {
		return id.Root
	}
	return id.Root + "^" + id.Extension
}

// Code is an HL7 coded value (CD/CE/CV/CS).
type Code struct {
	Code           string
	CodeSystem     string // OID of the code system
	CodeSystemName string // optional
	DisplayName    string // optional
	NullFlavor     string // set instead of Code for an unknown value
}

// IsZero reports whether c carries nothing.
func (c Code) IsZero() bool { return c.Code == "" && c.CodeSystem == "" && c.NullFlavor == "" }

// Name is a person name (PN). Family and Given hold the unqualified parts of
// a professional's name; the patient's birth and used names live in
// [Patient].
type Name struct {
	Prefix string   // civilité, JDV_J245 (M, MME, ...); optional
	Family string   // required for professionals
	Given  []string // first names, in order
	Suffix string   // titre, JDV_J246 (DR, PR, ...); optional
}

// Organization is a represented organisation. Its ID is usually an
// IdNat_Struct ([OIDIdNatStruct], extension "1"+FINESS, "3"+SIRET...).
type Organization struct {
	ID      II
	Name    string
	Telecom []string // "tel:...", "mailto:..."; optional
	// PracticeSetting is standardIndustryClassCode (JDV_J04): set on
	// the organisation of a service event performer, and optional on an
	// author's organisation.
	PracticeSetting Code
}

// Device is an authoring device (assignedAuthoringDevice).
type Device struct {
	Manufacturer string // manufacturerModelName
	Software     string // softwareName
}

// Author is one author of the document: a person (Person set) or a device
// (Device set).
type Author struct {
	Time TS
	// ID is the author's identifier: for a health professional, an IdNat_PS
	// ([OIDIdNatPS], extension "8"+RPPS or "0"+ADELI).
	ID II
	// Specialty is the author's profession/specialty (JDV_J01, XDS
	// authorSpecialty), e.g. {Code: "G15_10", CodeSystem: OIDProfession}.
	Specialty    Code
	Function     Code // functionCode (JDV_J47), optional
	Person       *Name
	Device       *Device
	Organization *Organization
	Telecom      []string
}

// Participant is a person acting for an organisation: legal authenticator,
// information recipient or service event performer.
type Participant struct {
	ID           II
	Code         Code // profession/specialty (JDV_J01), optional
	Name         *Name
	Organization *Organization
	Telecom      []string
}

// LegalAuthenticator is the person responsible for the document. The
// signature code is always "S".
type LegalAuthenticator struct {
	Time TS
	Participant
}

// ServiceEvent is documentationOf/serviceEvent: the act documented. The first
// one is the main act; its Start (effectiveTime/low) is the date of the act.
type ServiceEvent struct {
	ID        II
	Code      Code // act code (LOINC, CCAM...), optional
	Start     TS
	Stop      TS
	Performer *Participant // required in the first event; its Organization carries PracticeSetting
}

// Encounter is componentOf/encompassingEncounter.
type Encounter struct {
	ID    II
	Code  Code // JDV_J142 (IMP, AMB, EXTERNE...), optional
	Start TS
	Stop  TS
	// TimeNullFlavor is the nullFlavor of an effectiveTime without value
	// (NA, UNK...); "" when Start or Stop is set.
	TimeNullFlavor string
	FacilityID     II   // healthCareFacility/id, optional
	FacilityType   Code // healthCareFacility/code, JDV_J02 (required)
}

// BodyKind says how the document body is carried.
type BodyKind int

// Body kinds.
const (
	BodyNone       BodyKind = iota // no component (invalid CDA)
	BodyNonXML                     // nonXMLBody: CDA level 1 (N1)
	BodyStructured                 // structuredBody: CDA level 3 (N3)
)

// String returns "none", "nonXML" or "structured".
func (k BodyKind) String() string {
	switch k {
	case BodyNonXML:
		return "nonXML"
	case BodyStructured:
		return "structured"
	}
	return "none"
}

// Wrapper is the element around the ClinicalDocument, when it is not the
// root of the file.
type Wrapper int

// Wrappers.
const (
	WrapperNone       Wrapper = iota // ClinicalDocument is the root
	WrapperSignature                 // enveloping ds:Signature
	WrapperStylesheet                // self-presenting CDA: xsl:stylesheet (or xsl:transform)
	WrapperOther                     // another element
)

// Document is a CI-SIS CDA R2 document: the French header and its body. The
// same type is built by [NewN1], read by [Parse] and written by [Document.Encode].
type Document struct {
	TemplateIDs     []II // in order; an N1 document has exactly the three of [N1TemplateIDs]
	ID              II
	Code            Code // document type (JDV_J07), XDS typeCode
	Title           string
	EffectiveTime   TS
	Confidentiality Code // JDV_J08, N/R/V
	Language        string
	SetID           II
	VersionNumber   int

	Patient               Patient
	Authors               []Author
	Custodian             Organization
	LegalAuthenticator    *LegalAuthenticator
	InformationRecipients []Participant
	ServiceEvents         []ServiceEvent
	Encounter             Encounter
	// ReplacedDocument is relatedDocument[@typeCode=RPLC]/parentDocument/id:
	// the earlier version this document replaces. Zero for none.
	ReplacedDocument II

	Body Body

	// Wrapper is set by [Parse]: the root element of the file when it is
	// not ClinicalDocument. [Document.Encode] ignores it.
	Wrapper Wrapper
}

// Body is the document body.
type Body struct {
	Kind BodyKind
	// MediaType of an N1 body: "application/pdf" or "text/plain".
	MediaType string
	// Language of the encapsulated content when it is not French; optional.
	Language string
	// Content is the decoded payload of an N1 body. When writing, it is read
	// once to the end. After [Parse], it reads from the parser's source: read
	// it before the source is closed or read further.
	Content io.Reader
	// XML holds the structuredBody element of an N3 document as raw bytes
	// from the source. Namespace declarations of ancestor elements (usually
	// xmlns="urn:hl7-org:v3" on ClinicalDocument) are not repeated in it.
	XML []byte
}

// ActTime returns the date of the act: the low time of the first service
// event when present, else the document's effectiveTime.
func (d *Document) ActTime() TS {
	if len(d.ServiceEvents) > 0 && d.ServiceEvents[0].Start != "" {
		return d.ServiceEvents[0].Start
	}
	return d.EffectiveTime
}

// TypeDisplayName returns the libellé of the document type: the JDV_J07
// display name when the code is known, else the code's displayName, else
// the title.
func (d *Document) TypeDisplayName() string {
	if c, ok := LookupTypeCode(d.Code.Code); ok {
		return c.DisplayName
	}
	if d.Code.DisplayName != "" {
		return d.Code.DisplayName
	}
	return d.Title
}

// IsN1 reports whether the document has a non-XML body (CDA level 1).
func (d *Document) IsN1() bool { return d.Body.Kind == BodyNonXML }

// MimeType returns the XDS mimeType of the file d was read from:
// "application/xslt+xml" for a self-presenting CDA (root xsl:stylesheet),
// "text/xml" otherwise (CI-SIS, volet Transmission de documents CDA).
func (d *Document) MimeType() string {
	if d.Wrapper == WrapperStylesheet {
		return "application/xslt+xml"
	}
	return "text/xml"
}
