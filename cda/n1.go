package cda

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
)

// N1 describes a CDA R2 level 1 document (a PDF or plain text in a
// nonXMLBody) for [NewN1]. Required fields say so; every other field
// documents its zero value.
type N1 struct {
	// Type is the document type (JDV_J07), e.g. [TypeCRConsultation].
	// Required. An empty DisplayName is filled from the value set.
	Type Code
	// Title defaults to the display name of Type.
	Title string
	// Time is the creation time (effectiveTime); zero means time.Now().
	Time time.Time
	// Confidentiality defaults to N (normal).
	Confidentiality Code
	// ID identifies this version of the document; zero means a new
	// UUID-derived OID (2.25.…).
	ID II
	// SetID is common to all versions; zero means a new UUID-derived OID
	// for version 1. Required with Replaces.
	SetID II
	// Version is versionNumber; zero means 1.
	Version int
	// Replaces is the id of the version this document replaces
	// (relatedDocument RPLC); zero for none.
	Replaces II

	// Patient is required: an INS with its traits, or other identifiers.
	Patient Patient
	// Authors: at least one. A zero Time means the document's Time.
	Authors []Author
	// Custodian defaults to the first author organisation.
	Custodian *Organization
	// LegalAuthenticator defaults to the first author who is a person, at
	// the document's time.
	LegalAuthenticator *LegalAuthenticator
	// Recipients are informationRecipients; optional.
	Recipients []Participant

	// ServiceEvent is the main act. Zero Start means the document's Time;
	// nil Performer means the first author who is a person, with his
	// organisation. The performer's organisation gets PracticeSetting.
	ServiceEvent ServiceEvent
	// PracticeSetting (JDV_J04) of the performer, e.g. [PracticeAmbulatoire].
	// Required unless ServiceEvent.Performer.Organization carries one.
	PracticeSetting Code
	// Encounter: zero Start means ServiceEvent.Start. FacilityType
	// (JDV_J02) is required, e.g. [FacilityCabinetIndividuel].
	Encounter Encounter

	// MediaType of Content: "application/pdf" (default) or "text/plain".
	MediaType string
	// Content is the PDF (PDF/A-1 expected) or UTF-8 text. Required; it is
	// read once, when the document is encoded.
	Content io.Reader
}

// ErrIncomplete reports that [NewN1] lacks a required field; the error
// names it.
var ErrIncomplete = errors.New("cda: incomplete document")

// NewN1 assembles an N1 document from n, filling the defaults documented on
// [N1]. The result carries exactly the three N1 templateIds. It is not
// validated: [Validate] says what the ANS header rules think of it.
func NewN1(n N1) (*Document, error) {
	missing := func(what string) error { return fmt.Errorf("%w: %s", ErrIncomplete, what) }
	if n.Type.Code == "" {
		return nil, missing("document type")
	}
	if n.Content == nil {
		return nil, missing("content")
	}
	if len(n.Authors) == 0 {
		return nil, missing("author")
	}
	if n.Patient.INS == nil && len(n.Patient.IDs) == 0 {
		return nil, missing("patient identifier")
	}
	if n.Encounter.FacilityType.IsZero() {
		return nil, missing("healthcare facility type (JDV_J02)")
	}
	now := n.Time
	if now.IsZero() {
		now = time.Now()
	}
	ts := TSFromTime(now)
	typ := n.Type
	if typ.CodeSystem == "" || typ.DisplayName == "" {
		if c, ok := LookupTypeCode(typ.Code); ok {
			if typ.CodeSystem == "" {
				typ.CodeSystem = c.CodeSystem
			}
			if typ.DisplayName == "" {
				typ.DisplayName = c.DisplayName
			}
		}
	}
	if typ.CodeSystem == "" {
		return nil, missing("document type code system")
	}
	d := &Document{
		ID:               n.ID,
		Code:             typ,
		Title:            n.Title,
		EffectiveTime:    ts,
		Confidentiality:  n.Confidentiality,
		Language:         "fr-FR",
		SetID:            n.SetID,
		VersionNumber:    n.Version,
		Patient:          n.Patient,
		ReplacedDocument: n.Replaces,
		Body:             Body{Kind: BodyNonXML, MediaType: n.MediaType, Content: n.Content},
	}
	for _, t := range N1TemplateIDs {
		d.TemplateIDs = append(d.TemplateIDs, II{Root: t})
	}
	if d.Title == "" {
		d.Title = typ.DisplayName
	}
	if d.Confidentiality.IsZero() {
		d.Confidentiality = ConfidentialityNormal
	}
	if d.Body.MediaType == "" {
		d.Body.MediaType = MediaPDF
	}
	if d.Body.MediaType != MediaPDF && d.Body.MediaType != MediaText {
		return nil, fmt.Errorf("cda: N1 media type %q: want %s or %s", d.Body.MediaType, MediaPDF, MediaText)
	}
	var err error
	if d.ID.IsZero() {
		if d.ID.Root, err = NewOID(); err != nil {
			return nil, err
		}
	}
	if d.VersionNumber == 0 {
		d.VersionNumber = 1
	}
	if d.SetID.IsZero() {
		if !n.Replaces.IsZero() || d.VersionNumber > 1 {
			return nil, missing("setId of a new version")
		}
		if d.SetID.Root, err = NewOID(); err != nil {
			return nil, err
		}
	}
	var person *Author
	for i := range n.Authors {
		a := n.Authors[i]
		if a.Time == "" {
			a.Time = ts
		}
		if a.ID.IsZero() {
			return nil, missing("author identifier")
		}
		fillDisplay(&a.Specialty, LookupAuthorSpecialty)
		if person == nil && a.Person != nil {
			person = &a
		}
		d.Authors = append(d.Authors, a)
	}
	if n.Custodian != nil {
		d.Custodian = *n.Custodian
	} else {
		for _, a := range d.Authors {
			if a.Organization != nil {
				d.Custodian = *a.Organization
				d.Custodian.PracticeSetting = Code{}
				break
			}
		}
	}
	if d.Custodian.ID.IsZero() {
		return nil, missing("custodian organisation")
	}
	d.LegalAuthenticator = n.LegalAuthenticator
	if d.LegalAuthenticator == nil {
		if person == nil {
			return nil, missing("legal authenticator (no author is a person)")
		}
		d.LegalAuthenticator = &LegalAuthenticator{Time: ts, Participant: Participant{ID: person.ID, Code: person.Specialty, Name: person.Person}}
	}
	if d.LegalAuthenticator.Time == "" {
		d.LegalAuthenticator.Time = ts
	}
	d.InformationRecipients = n.Recipients

	se := n.ServiceEvent
	if se.Start == "" {
		se.Start = ts
	}
	if se.Performer == nil {
		if person == nil {
			return nil, missing("service event performer (no author is a person)")
		}
		org := Organization{}
		if person.Organization != nil {
			org = *person.Organization
		}
		se.Performer = &Participant{ID: person.ID, Code: person.Specialty, Name: person.Person, Organization: &org}
	} else {
		p := *se.Performer
		se.Performer = &p
	}
	if se.Performer.Organization == nil {
		se.Performer.Organization = &Organization{}
	} else {
		o := *se.Performer.Organization
		se.Performer.Organization = &o
	}
	if !n.PracticeSetting.IsZero() {
		se.Performer.Organization.PracticeSetting = n.PracticeSetting
	}
	if se.Performer.Organization.PracticeSetting.IsZero() {
		return nil, missing("practice setting (JDV_J04)")
	}
	d.ServiceEvents = []ServiceEvent{se}

	d.Encounter = n.Encounter
	if d.Encounter.Start == "" {
		d.Encounter.Start = se.Start
	}
	fillDisplay(&d.Encounter.FacilityType, LookupFacilityType)
	fillDisplay(&se.Performer.Organization.PracticeSetting, LookupPracticeSetting)
	return d, nil
}

func fillDisplay(c *Code, lookup func(string) (Code, bool)) {
	if v, ok := lookup(c.Code); ok {
		if c.CodeSystem == "" {
			c.CodeSystem = v.CodeSystem
		}
		if c.DisplayName == "" && c.CodeSystem == v.CodeSystem {
			c.DisplayName = v.DisplayName
		}
	}
}

// NewOID returns a new UUID-derived OID (2.25.<decimal UUID>, ITU-T X.667):
// a globally unique document id without an OID of one's own.
func NewOID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("cda: generating an id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return OIDUUID + "." + new(big.Int).SetBytes(b[:]).String(), nil
}
