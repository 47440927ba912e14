package cda

import (
	"fmt"
	"regexp"
	"strings"
)

// Severity says whether a [Problem] makes the document invalid.
type Severity int

// Severities. The zero value is an error.
const (
	// SeverityError: the document breaks a rule that its recipients,
	// the ANS validators or the SDK enforce; do not send it.
	SeverityError Severity = iota
	// SeverityWarning: the document breaks the letter of a rule that the
	// ANS schematron accepts (a timezone offset "+100"), or a rule of
	// good practice; it can be sent, a strict sender fixes it.
	SeverityWarning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Authority says whose rule a [Problem] breaks.
type Authority int

// Authorities.
const (
	// AuthorityCISIS: the CI-SIS header rules, as the ANS
	// "structuration minimale" schematron checks them.
	AuthorityCISIS Authority = iota
	// AuthorityHL7: an HL7 V3 datatype rule (TS, II), which the ANS
	// schematron checks only in part.
	AuthorityHL7
	// AuthorityRef2: the Référentiel socle MSSanté #2 (ECO.x rules for
	// documents sent by MSSanté).
	AuthorityRef2
	// AuthoritySDK: a check the SDK adds (INS key, N1 media types).
	AuthoritySDK
)

// String returns "CI-SIS", "HL7", "Ref#2" or "SDK".
func (a Authority) String() string {
	switch a {
	case AuthorityHL7:
		return "HL7"
	case AuthorityRef2:
		return "Ref#2"
	case AuthoritySDK:
		return "SDK"
	}
	return "CI-SIS"
}

// Problem is one breach of a rule found by [Validate].
type Problem struct {
	// Path locates the element, e.g. "recordTarget/patientRole/id".
	Path string
	// Rule names the rule: the ART-DECOR element of the ANS schematron
	// (SMDS_CDAClinicalDocument, CI-SISRecordTarget, CI-SISAuthor...),
	// the HL7 datatype (DTr1_TS, DTr1_II), the Référentiel #2
	// requirement (ECO.2.1.2), or "SDK".
	Rule    string
	Message string
	// Authority says whose rule it is.
	Authority Authority
	// Severity says whether it makes the document invalid.
	Severity Severity
}

// String returns "severity: path: message (authority rule)", e.g.
// "warning: legalAuthenticator/time: ... (HL7 DTr1_TS)".
func (p Problem) String() string {
	who := p.Authority.String()
	if p.Rule != "" && p.Rule != who {
		who += " " + p.Rule
	}
	return fmt.Sprintf("%s: %s: %s (%s)", p.Severity, p.Path, p.Message, who)
}

// ValidationError carries the problems found in a document, errors and
// warnings; it is returned only when there is at least one error.
type ValidationError struct{ Problems []Problem }

func (e *ValidationError) Error() string {
	errs, what := Problems(e.Problems).Errors(), "errors"
	if len(errs) == 0 { // StrictErr with warnings only
		errs, what = e.Problems, "warnings"
	}
	if len(errs) == 0 {
		return "cda: invalid document"
	}
	if len(errs) == 1 {
		return "cda: invalid document: " + errs[0].String()
	}
	return fmt.Sprintf("cda: invalid document: %d %s, first: %s", len(errs), what, errs[0])
}

// Problems is the result of [Validate].
type Problems []Problem

// Err returns a *ValidationError when there is at least one error, nil
// when there are only warnings or nothing.
func (p Problems) Err() error {
	if len(p.Errors()) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

// StrictErr is Err with warnings counted as errors.
func (p Problems) StrictErr() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

// Errors returns the problems of severity error.
func (p Problems) Errors() Problems { return p.filter(SeverityError) }

// Warnings returns the problems of severity warning.
func (p Problems) Warnings() Problems { return p.filter(SeverityWarning) }

func (p Problems) filter(s Severity) Problems {
	var out Problems
	for _, x := range p {
		if x.Severity == s {
			out = append(out, x)
		}
	}
	return out
}

var (
	oidPattern  = regexp.MustCompile(`^[0-2](\.(0|[1-9][0-9]*))*$`)
	uuidPattern = regexp.MustCompile(`^[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$`)
	langPattern = regexp.MustCompile(`^[a-z]{2}-[A-Z]{2}$`)
	telPrefixes = []string{"tel:", "fax:", "mailto:", "http:", "https:", "ftp:", "mllp:"}
)

// Validate checks d against the header rules of the ANS "structuration
// minimale" schematron (template 1.2.250.1.213.1.1.1.1, 2017-12-13, shipped
// in the 2025 test kit): cardinalities, required attributes, the value sets
// the SDK carries (J07, J08, J01, J02, J04, J143, J142), the N1 templateIds
// and the INS traits rule. It does not check the datatype rules on
// addresses and elements the SDK does not model, nor the body. It returns
// nil when it finds nothing.
//
// Each [Problem] says whose rule it is ([Authority]) and how grave it is
// ([Severity]):
//
//   - errors: the CI-SIS rules above; the HL7 datatype rules on
//     identifiers (an @root that is no OID or UUID) and timestamps (a
//     value that is no date); the SDK's own checks: the key of an INS
//     matricule (the schematron does not check it; a wrong key is a wrong
//     patient), the N1 media type;
//   - warnings: a timestamp whose only fault is its timezone offset
//     ("20240106113623+100", which the ANS schematron and the ANS examples
//     accept, but HL7 TS does not); a patient without INS, which
//     MSSanté recipients need to file the document (Référentiel socle #2,
//     ECO.2.1.2).
//
// [Problems.Err] fails on errors only; [Problems.StrictErr] on warnings too.
func Validate(d *Document) Problems {
	v := &validator{}
	v.header(d)
	v.patient(&d.Patient)
	v.authors(d.Authors)
	v.custodian(&d.Custodian)
	v.recipients(d.InformationRecipients)
	v.legal(d.LegalAuthenticator)
	v.services(d.ServiceEvents)
	v.encounter(&d.Encounter)
	v.body(d)
	return v.out
}

type validator struct{ out Problems }

// add records an error; whose rule it is follows from the rule's name.
func (v *validator) add(path, rule, format string, args ...any) {
	v.out = append(v.out, Problem{Path: path, Rule: rule, Message: fmt.Sprintf(format, args...), Authority: authorityOf(rule)})
}

// warn records a warning.
func (v *validator) warn(path, rule, format string, args ...any) {
	v.add(path, rule, format, args...)
	v.out[len(v.out)-1].Severity = SeverityWarning
}

func authorityOf(rule string) Authority {
	switch rule {
	case ruleSDK:
		return AuthoritySDK
	case ruleTS, ruleII:
		return AuthorityHL7
	case ruleRef2Patient:
		return AuthorityRef2
	}
	return AuthorityCISIS
}

const (
	ruleDoc     = "SMDS_CDAClinicalDocument"
	ruleRT      = "CI-SISRecordTarget"
	ruleAuthor  = "CI-SISAuthor"
	ruleCust    = "CI-SISCustodian"
	ruleRecip   = "CI-SISInformationRecipient"
	ruleLegal   = "CI-SISLegalAuthenticator"
	ruleDocOf   = "CI-SISDocumentationOf"
	ruleCompOf  = "CI-SISComponentOf"
	ruleTelecom = "CI-SISTelecom"
	ruleSDK     = "SDK"
	// HL7 V3 datatypes R1, as ART-DECOR names their schematron rules.
	ruleTS = "DTr1_TS"
	ruleII = "DTr1_II"
	// Référentiel socle MSSanté #2: the recipient identifies the patient
	// by the INS of the XDM metadata.
	ruleRef2Patient = "ECO.2.1.2"
)

func (v *validator) id(path, rule string, id II, needExt bool) {
	switch {
	case id.IsZero():
		v.add(path, rule, "identifier is required")
	case id.NullFlavor != "":
		v.add(path, rule, "identifier may not be null (nullFlavor %s)", id.NullFlavor)
	case !oidPattern.MatchString(id.Root) && !uuidPattern.MatchString(id.Root):
		v.add(path, ruleII, "@root %q is not an OID or a UUID", clip(id.Root))
	case needExt && id.Extension == "":
		v.add(path, rule, "@extension is required")
	}
}

// coded checks a required code with a display name, from lookup's value
// set when lookup is not nil.
func (v *validator) coded(path, rule string, c Code, set string, lookup func(string) (Code, bool)) {
	switch {
	case c.Code == "" && c.NullFlavor != "":
		v.add(path, rule, "may not be null (nullFlavor %s)", c.NullFlavor)
		return
	case c.Code == "":
		v.add(path, rule, "@code is required")
		return
	case c.CodeSystem == "":
		v.add(path, rule, "@codeSystem is required")
	case c.DisplayName == "":
		v.add(path, rule, "@displayName is required")
	}
	if lookup != nil {
		if _, ok := lookup(c.Code); !ok {
			v.add(path, rule, "code %q is not in value set %s", c.Code, set)
		}
	}
}

func (v *validator) ts(path, rule string, t TS) {
	if t == "" {
		v.add(path, rule, "time is required")
		return
	}
	if _, err := t.Time(nil); err != nil {
		if base, zone, ok := t.badZone(); ok {
			// "20240106113623+100": the ANS schematron accepts it.
			v.warn(path, ruleTS, "timezone offset %q of %s is not +hhmm or -hhmm", clip(zone), base)
			return
		}
		v.add(path, ruleTS, "%q is not an HL7 timestamp", clip(string(t)))
	}
}

func (v *validator) telecoms(path string, ts []string) {
	for _, t := range ts {
		ok := false
		for _, p := range telPrefixes {
			if strings.HasPrefix(t, p) && len(t) > len(p) {
				ok = true
			}
		}
		if !ok {
			v.add(path+"/telecom", ruleTelecom, "%q is not prefix:string with prefix tel, fax, mailto, http, ftp or mllp", t)
		}
	}
}

func (v *validator) header(d *Document) {
	var hl7fr, cisis, xdssd, other int
	for _, t := range d.TemplateIDs {
		switch t.Root {
		case TemplateHL7France:
			hl7fr++
		case TemplateCISIS:
			cisis++
		case TemplateXDSSD:
			xdssd++
			other++
		default:
			other++
		}
	}
	if hl7fr != 1 {
		v.add("templateId", ruleDoc, "templateId %s (HL7 France) must appear once, found %d", TemplateHL7France, hl7fr)
	}
	if cisis != 1 {
		v.add("templateId", ruleDoc, "templateId %s (CI-SIS) must appear once, found %d", TemplateCISIS, cisis)
	}
	if other == 0 {
		v.add("templateId", ruleDoc, "a templateId of the document model (or %s for N1) is required", TemplateXDSSD)
	}
	if d.Body.Kind == BodyNonXML && (len(d.TemplateIDs) != 3 || hl7fr != 1 || cisis != 1 || xdssd != 1) {
		v.add("templateId", ruleDoc, "an N1 document must carry exactly the templateIds %s, %s and %s", TemplateHL7France, TemplateCISIS, TemplateXDSSD)
	}
	v.id("id", ruleDoc, d.ID, false)
	v.coded("code", ruleDoc, d.Code, "JDV_J07", LookupTypeCode)
	if strings.TrimSpace(d.Title) == "" {
		v.add("title", ruleDoc, "title is required")
	}
	v.ts("effectiveTime", ruleDoc, d.EffectiveTime)
	c := d.Confidentiality
	v.coded("confidentialityCode", ruleDoc, c, "2.16.840.1.113883.1.11.10228 (N, R, V)", nil)
	if c.Code != "" && c.Code != "N" && c.Code != "R" && c.Code != "V" {
		v.add("confidentialityCode", ruleDoc, "code %q is not N, R or V", c.Code)
	}
	if !langPattern.MatchString(d.Language) {
		v.add("languageCode", ruleDoc, "%q does not match [a-z]{2}-[A-Z]{2} (fr-FR)", d.Language)
	}
	v.id("setId", ruleDoc, d.SetID, false)
	if d.VersionNumber < 1 {
		v.add("versionNumber", ruleDoc, "a positive versionNumber is required")
	}
	if !d.ReplacedDocument.IsZero() {
		v.id("relatedDocument/parentDocument/id", ruleDoc, d.ReplacedDocument, false)
	}
}

func (v *validator) patient(p *Patient) {
	const path = "recordTarget/patientRole"
	if p.INS == nil && len(p.IDs) == 0 {
		v.add(path+"/id", ruleRT, "a patient identifier is required")
	}
	for _, id := range p.IDs {
		v.id(path+"/id", ruleRT, id, true)
	}
	v.telecoms(path, p.Telecom)
	pp := path + "/patient"
	if p.INS == nil && len(p.IDs) > 0 {
		v.warn(path+"/id", ruleRef2Patient, "no INS: MSSanté recipients identify the patient by the INS of the XDM metadata")
	}
	if p.INS != nil {
		if err := p.INS.Check(); err != nil {
			v.add(path+"/id", ruleSDK, "%v", err)
		}
		if miss := p.MissingINSTraits(); len(miss) > 0 {
			v.add(pp, ruleDoc, "with an INS, the identity traits are required; missing: %s", strings.Join(miss, ", "))
		}
	}
	if p.BirthFamily == "" && p.UsedFamily == "" {
		v.add(pp+"/name", ruleRT, "a family name is required")
	}
	switch p.Gender {
	case "F", "M", "UN":
	case "":
		v.add(pp+"/administrativeGenderCode", ruleRT, "administrativeGenderCode is required")
	default:
		v.add(pp+"/administrativeGenderCode", ruleRT, "code %q is not in JDV_J143 (F, M, UN)", p.Gender)
	}
	if p.BirthDate == "" {
		v.add(pp+"/birthTime", ruleRT, "birthTime is required")
	} else {
		v.ts(pp+"/birthTime", ruleRT, p.BirthDate)
	}
}

func (v *validator) authors(as []Author) {
	if len(as) == 0 {
		v.add("author", ruleAuthor, "at least one author is required")
	}
	for i, a := range as {
		path := fmt.Sprintf("author[%d]", i+1)
		v.ts(path+"/time", ruleAuthor, a.Time)
		v.id(path+"/assignedAuthor/id", ruleAuthor, a.ID, true)
		if !a.Specialty.IsZero() {
			v.coded(path+"/assignedAuthor/code", ruleAuthor, a.Specialty, "JDV_J01", LookupAuthorSpecialty)
		}
		switch {
		case a.Person != nil && a.Device != nil:
			v.add(path+"/assignedAuthor", ruleAuthor, "assignedPerson and assignedAuthoringDevice are exclusive")
		case a.Person != nil:
			if strings.TrimSpace(a.Person.Family) == "" {
				v.add(path+"/assignedAuthor/assignedPerson/name/family", ruleAuthor, "family name is required")
			}
		case a.Device != nil:
			if a.Device.Manufacturer == "" || a.Device.Software == "" {
				v.add(path+"/assignedAuthor/assignedAuthoringDevice", ruleAuthor, "manufacturerModelName and softwareName are required")
			}
		default:
			v.add(path+"/assignedAuthor", ruleAuthor, "assignedPerson or assignedAuthoringDevice is required")
		}
		v.telecoms(path+"/assignedAuthor", a.Telecom)
		if o := a.Organization; o != nil {
			v.org(path+"/assignedAuthor/representedOrganization", ruleAuthor, o, false)
		}
	}
}

func (v *validator) org(path, rule string, o *Organization, needPractice bool) {
	if o.ID.Root == OIDIdNatStruct && o.ID.Extension == "" {
		v.add(path+"/id", rule, "@extension is required")
	}
	v.telecoms(path, o.Telecom)
	if needPractice || !o.PracticeSetting.IsZero() {
		v.coded(path+"/standardIndustryClassCode", rule, o.PracticeSetting, "JDV_J04", LookupPracticeSetting)
	}
}

func (v *validator) custodian(o *Organization) {
	const path = "custodian/assignedCustodian/representedCustodianOrganization"
	v.id(path+"/id", ruleCust, o.ID, false)
	v.telecoms(path, o.Telecom)
}

func (v *validator) recipients(rs []Participant) {
	for i, r := range rs {
		path := fmt.Sprintf("informationRecipient[%d]/intendedRecipient", i+1)
		if r.ID.Root == OIDIdNatPS && r.ID.Extension == "" {
			v.add(path+"/id", ruleRecip, "@extension is required")
		}
		if r.Organization != nil && r.Organization.ID.Root == OIDIdNatStruct && r.Organization.ID.Extension == "" {
			v.add(path+"/receivedOrganization/id", ruleRecip, "@extension is required")
		}
		v.telecoms(path, r.Telecom)
	}
}

func (v *validator) legal(la *LegalAuthenticator) {
	const path = "legalAuthenticator"
	if la == nil {
		v.add(path, ruleDoc, "legalAuthenticator with signatureCode S is required")
		return
	}
	v.ts(path+"/time", ruleLegal, la.Time)
	v.id(path+"/assignedEntity/id", ruleLegal, la.ID, true)
	if la.Name == nil || strings.TrimSpace(la.Name.Family) == "" {
		v.add(path+"/assignedEntity/assignedPerson/name/family", ruleLegal, "family name is required")
	}
	if !la.Code.IsZero() {
		v.coded(path+"/assignedEntity/code", ruleLegal, la.Code, "JDV_J01", LookupAuthorSpecialty)
	}
	if la.Organization != nil {
		v.org(path+"/assignedEntity/representedOrganization", ruleLegal, la.Organization, false)
	}
}

func (v *validator) services(ses []ServiceEvent) {
	if len(ses) == 0 {
		v.add("documentationOf", ruleDoc, "documentationOf/serviceEvent is required")
		return
	}
	for i, se := range ses {
		path := fmt.Sprintf("documentationOf[%d]/serviceEvent", i+1)
		if i == 0 && se.Start == "" {
			v.add(path+"/effectiveTime", ruleDoc, "effectiveTime is required in the main act")
		}
		if se.Start != "" {
			v.ts(path+"/effectiveTime/low", ruleDocOf, se.Start)
		}
		if se.Stop != "" {
			v.ts(path+"/effectiveTime/high", ruleDocOf, se.Stop)
		}
		if !se.Code.IsZero() && se.Code.NullFlavor == "" && (se.Code.Code == "" || se.Code.CodeSystem == "") {
			v.add(path+"/code", ruleDocOf, "@code and @codeSystem are required")
		}
		p := se.Performer
		if p == nil {
			if i == 0 {
				v.add(path+"/performer", ruleDoc, "the performer is required in the main act")
			}
			continue
		}
		pp := path + "/performer/assignedEntity"
		if p.ID.IsZero() {
			v.add(pp+"/id", ruleDocOf, "identifier is required")
		} else if p.ID.NullFlavor == "" {
			v.id(pp+"/id", ruleDocOf, p.ID, false)
		}
		if !p.Code.IsZero() {
			v.coded(pp+"/code", ruleDocOf, p.Code, "JDV_J01", LookupAuthorSpecialty)
		}
		if p.Organization == nil {
			v.add(pp+"/representedOrganization", ruleDocOf, "representedOrganization with standardIndustryClassCode (JDV_J04) is required")
		} else {
			v.org(pp+"/representedOrganization", ruleDocOf, p.Organization, true)
		}
	}
}

func (v *validator) encounter(e *Encounter) {
	const path = "componentOf/encompassingEncounter"
	if e.Start == "" && e.Stop == "" && e.TimeNullFlavor == "" {
		v.add(path+"/effectiveTime", ruleCompOf, "effectiveTime is required")
	}
	if !e.Code.IsZero() {
		v.coded(path+"/code", ruleCompOf, e.Code, "JDV_J142", LookupEncounterType)
	}
	v.coded(path+"/location/healthCareFacility/code", ruleCompOf, e.FacilityType, "JDV_J02", LookupFacilityType)
}

func (v *validator) body(d *Document) {
	switch d.Body.Kind {
	case BodyNone:
		v.add("component", ruleDoc, "a nonXMLBody or structuredBody is required")
	case BodyNonXML:
		if d.Body.MediaType != MediaPDF && d.Body.MediaType != MediaText {
			v.add("component/nonXMLBody/text/@mediaType", ruleSDK, "%q: an N1 body is application/pdf or text/plain", d.Body.MediaType)
		}
	}
}
