package cda

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Encode writes d as a UTF-8 CDA R2 document. The element order follows the
// CDA schema (POCD_MT000040); xsi:schemaLocation is not written, as the
// CI-SIS asks. An N1 body is read from d.Body.Content and base64-encoded on
// the fly, so it is never held in memory. Encode does not validate d: call
// [Validate] first to see what the ANS schematron would reject.
func (d *Document) Encode(w io.Writer) error {
	bw := bufio.NewWriter(w)
	e := &encoder{w: bw}
	e.document(d)
	if e.err != nil {
		return e.err
	}
	switch d.Body.Kind {
	case BodyNonXML:
		e.open("component")
		e.open("nonXMLBody")
		rep := "B64"
		e.raw(`<text mediaType="` + esc(d.Body.MediaType) + `" representation="` + rep + `">`)
		if d.Body.Content != nil && e.err == nil {
			e.err = writeBase64(bw, d.Body.Content)
		}
		e.raw("</text>\n")
		if d.Body.Language != "" {
			e.empty("languageCode", "code", d.Body.Language)
		}
		e.close("nonXMLBody")
		e.close("component")
	case BodyStructured:
		e.open("component")
		e.raw(string(d.Body.XML))
		e.raw("\n")
		e.close("component")
	}
	e.raw("</ClinicalDocument>\n")
	if e.err != nil {
		return e.err
	}
	return bw.Flush()
}

// writeBase64 copies r to w in base64, in lines of 76 characters.
func writeBase64(w *bufio.Writer, r io.Reader) error {
	lw := &lineWriter{w: w}
	enc := base64.NewEncoder(base64.StdEncoding, lw)
	if _, err := io.Copy(enc, r); err != nil {
		return fmt.Errorf("cda: reading body content: %w", err)
	}
	if err := enc.Close(); err != nil {
		return err
	}
	if lw.col > 0 {
		return w.WriteByte('\n')
	}
	return nil
}

type lineWriter struct {
	w   *bufio.Writer
	col int
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if l.col == 0 {
			if err := l.w.WriteByte('\n'); err != nil {
				return n, err
			}
		}
		k := min(76-l.col, len(p))
		if _, err := l.w.Write(p[:k]); err != nil {
			return n, err
		}
		n += k
		p = p[k:]
		l.col = (l.col + k) % 76
	}
	return n, nil
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;", "\r", "&#13;", "\n", "&#10;", "\t", "&#9;")

func esc(s string) string { return xmlEscaper.Replace(s) }

// encoder writes indented XML. It keeps the first error and ignores later
// writes.
type encoder struct {
	w     *bufio.Writer
	depth int
	err   error
}

func (e *encoder) raw(s string) {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

func (e *encoder) indent() { e.raw(strings.Repeat("  ", e.depth)) }

func attrs(kv []string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		b.WriteString(" " + kv[i] + `="` + esc(kv[i+1]) + `"`)
	}
	return b.String()
}

func (e *encoder) open(name string, kv ...string) {
	e.indent()
	e.raw("<" + name + attrs(kv) + ">\n")
	e.depth++
}

func (e *encoder) close(name string) {
	e.depth--
	e.indent()
	e.raw("</" + name + ">\n")
}

func (e *encoder) empty(name string, kv ...string) {
	e.indent()
	e.raw("<" + name + attrs(kv) + "/>\n")
}

func (e *encoder) text(name, value string, kv ...string) {
	e.indent()
	e.raw("<" + name + attrs(kv) + ">" + esc(value) + "</" + name + ">\n")
}

func (e *encoder) ii(name string, id II) {
	if id.NullFlavor != "" && id.Root == "" {
		e.empty(name, "nullFlavor", id.NullFlavor)
		return
	}
	e.empty(name, "root", id.Root, "extension", id.Extension)
}

func (e *encoder) code(name string, c Code) {
	if c.Code == "" && c.NullFlavor != "" {
		e.empty(name, "nullFlavor", c.NullFlavor)
		return
	}
	e.empty(name, "code", c.Code, "codeSystem", c.CodeSystem, "codeSystemName", c.CodeSystemName, "displayName", c.DisplayName)
}

func (e *encoder) ts(name string, t TS) { e.empty(name, "value", string(t)) }

func (e *encoder) interval(name string, lo, hi TS) {
	e.open(name)
	if lo != "" {
		e.ts("low", lo)
	}
	if hi != "" {
		e.ts("high", hi)
	}
	e.close(name)
}

func (e *encoder) telecoms(ts []string) {
	for _, t := range ts {
		e.empty("telecom", "value", t)
	}
}

func (e *encoder) name(n *Name) {
	e.open("name")
	if n.Prefix != "" {
		e.text("prefix", n.Prefix)
	}
	for _, g := range n.Given {
		e.text("given", g)
	}
	e.text("family", n.Family)
	if n.Suffix != "" {
		e.text("suffix", n.Suffix)
	}
	e.close("name")
}

func (e *encoder) organization(name string, o *Organization) {
	e.open(name)
	if !o.ID.IsZero() {
		e.ii("id", o.ID)
	}
	if o.Name != "" {
		e.text("name", o.Name)
	}
	e.telecoms(o.Telecom)
	if !o.PracticeSetting.IsZero() {
		e.code("standardIndustryClassCode", o.PracticeSetting)
	}
	e.close(name)
}

func (e *encoder) document(d *Document) {
	e.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	e.raw(`<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` + "\n")
	e.depth = 1
	e.empty("realmCode", "code", "FR")
	e.empty("typeId", "root", OIDHL7CDAType, "extension", "POCD_HD000040")
	for _, t := range d.TemplateIDs {
		e.ii("templateId", t)
	}
	e.ii("id", d.ID)
	e.code("code", d.Code)
	e.text("title", d.Title)
	e.ts("effectiveTime", d.EffectiveTime)
	e.code("confidentialityCode", d.Confidentiality)
	e.empty("languageCode", "code", d.Language)
	if !d.SetID.IsZero() {
		e.ii("setId", d.SetID)
	}
	if d.VersionNumber > 0 {
		e.empty("versionNumber", "value", strconv.Itoa(d.VersionNumber))
	}
	e.patient(&d.Patient)
	for i := range d.Authors {
		e.author(&d.Authors[i])
	}
	e.open("custodian")
	e.open("assignedCustodian")
	e.organization("representedCustodianOrganization", &d.Custodian)
	e.close("assignedCustodian")
	e.close("custodian")
	for i := range d.InformationRecipients {
		r := &d.InformationRecipients[i]
		e.open("informationRecipient")
		e.open("intendedRecipient")
		if !r.ID.IsZero() {
			e.ii("id", r.ID)
		}
		e.telecoms(r.Telecom)
		if r.Name != nil {
			e.open("informationRecipient")
			e.name(r.Name)
			e.close("informationRecipient")
		}
		if r.Organization != nil {
			e.organization("receivedOrganization", r.Organization)
		}
		e.close("intendedRecipient")
		e.close("informationRecipient")
	}
	if la := d.LegalAuthenticator; la != nil {
		e.open("legalAuthenticator")
		e.ts("time", la.Time)
		e.empty("signatureCode", "code", "S")
		e.assignedEntity(&la.Participant)
		e.close("legalAuthenticator")
	}
	for i := range d.ServiceEvents {
		se := &d.ServiceEvents[i]
		e.open("documentationOf")
		e.open("serviceEvent")
		if !se.ID.IsZero() {
			e.ii("id", se.ID)
		}
		if !se.Code.IsZero() {
			e.code("code", se.Code)
		}
		if se.Start != "" || se.Stop != "" {
			e.interval("effectiveTime", se.Start, se.Stop)
		}
		if se.Performer != nil {
			e.open("performer", "typeCode", "PRF")
			e.assignedEntity(se.Performer)
			e.close("performer")
		}
		e.close("serviceEvent")
		e.close("documentationOf")
	}
	if !d.ReplacedDocument.IsZero() {
		e.open("relatedDocument", "typeCode", "RPLC")
		e.open("parentDocument")
		e.ii("id", d.ReplacedDocument)
		e.close("parentDocument")
		e.close("relatedDocument")
	}
	enc := &d.Encounter
	e.open("componentOf")
	e.open("encompassingEncounter")
	if !enc.ID.IsZero() {
		e.ii("id", enc.ID)
	}
	if !enc.Code.IsZero() {
		e.code("code", enc.Code)
	}
	if enc.Start == "" && enc.Stop == "" && enc.TimeNullFlavor != "" {
		e.empty("effectiveTime", "nullFlavor", enc.TimeNullFlavor)
	} else {
		e.interval("effectiveTime", enc.Start, enc.Stop)
	}
	e.open("location")
	e.open("healthCareFacility")
	if !enc.FacilityID.IsZero() {
		e.ii("id", enc.FacilityID)
	}
	e.code("code", enc.FacilityType)
	e.close("healthCareFacility")
	e.close("location")
	e.close("encompassingEncounter")
	e.close("componentOf")
	if e.err == nil && d.Body.Kind == BodyNone {
		e.err = errors.New("cda: document has no body")
	}
}

func (e *encoder) patient(p *Patient) {
	e.open("recordTarget")
	e.open("patientRole")
	if p.INS != nil {
		e.ii("id", II{Root: p.INS.OID(), Extension: p.INS.Matricule})
	}
	for _, id := range p.IDs {
		e.ii("id", id)
	}
	e.telecoms(p.Telecom)
	e.open("patient")
	e.open("name")
	if p.BirthFamily != "" {
		e.text("family", p.BirthFamily, "qualifier", "BR")
	}
	if p.BirthGivens != "" {
		e.text("given", p.BirthGivens)
	}
	if p.FirstGiven != "" {
		e.text("given", p.FirstGiven, "qualifier", "BR")
	}
	if p.UsedFamily != "" {
		e.text("family", p.UsedFamily, "qualifier", "CL")
	}
	if p.UsedGiven != "" {
		e.text("given", p.UsedGiven, "qualifier", "CL")
	}
	e.close("name")
	if p.Gender != "" {
		e.empty("administrativeGenderCode", "code", p.Gender, "codeSystem", OIDGender, "displayName", genderDisplay(p.Gender))
	} else {
		e.empty("administrativeGenderCode", "nullFlavor", "UNK")
	}
	if p.BirthDate != "" {
		e.ts("birthTime", p.BirthDate)
	} else {
		e.empty("birthTime", "nullFlavor", "UNK")
	}
	if p.BirthplaceCode != "" {
		e.open("birthplace")
		e.open("place")
		e.open("addr")
		e.text("county", p.BirthplaceCode)
		e.close("addr")
		e.close("place")
		e.close("birthplace")
	}
	e.close("patient")
	e.close("patientRole")
	e.close("recordTarget")
}

func genderDisplay(g string) string {
	switch g {
	case "F":
		return "Féminin"
	case "M":
		return "Masculin"
	case "UN":
		return "Inconnu"
	}
	return ""
}

func (e *encoder) author(a *Author) {
	e.open("author")
	if !a.Function.IsZero() {
		e.code("functionCode", a.Function)
	}
	e.ts("time", a.Time)
	e.open("assignedAuthor")
	e.ii("id", a.ID)
	if !a.Specialty.IsZero() {
		e.code("code", a.Specialty)
	}
	e.telecoms(a.Telecom)
	switch {
	case a.Person != nil:
		e.open("assignedPerson")
		e.name(a.Person)
		e.close("assignedPerson")
	case a.Device != nil:
		e.open("assignedAuthoringDevice")
		e.text("manufacturerModelName", a.Device.Manufacturer)
		e.text("softwareName", a.Device.Software)
		e.close("assignedAuthoringDevice")
	}
	if a.Organization != nil {
		e.organization("representedOrganization", a.Organization)
	}
	e.close("assignedAuthor")
	e.close("author")
}

func (e *encoder) assignedEntity(p *Participant) {
	e.open("assignedEntity")
	e.ii("id", p.ID)
	if !p.Code.IsZero() {
		e.code("code", p.Code)
	}
	e.telecoms(p.Telecom)
	if p.Name != nil {
		e.open("assignedPerson")
		e.name(p.Name)
		e.close("assignedPerson")
	}
	if p.Organization != nil {
		e.organization("representedOrganization", p.Organization)
	}
	e.close("assignedEntity")
}
