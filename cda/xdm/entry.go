package xdm

import (
	"github.com/mssante-go/sdk/cda"
)

// patientCX returns the CX of the patient's INS, else of the first other
// identifier; "" when the patient has none.
func patientCX(p *cda.Patient) string {
	if p.INS != nil && p.INS.Matricule != "" {
		return INSCX(*p.INS)
	}
	if len(p.IDs) > 0 {
		return CX(p.IDs[0])
	}
	return ""
}

// sourcePatientCX returns the producer's local identifier (IPP) when there
// is one, else the INS.
func sourcePatientCX(p *cda.Patient) string {
	for _, id := range p.IDs {
		if id.Root != "" && id.Extension != "" {
			return CX(id)
		}
	}
	return patientCX(p)
}

// EntryFromCDA derives the XDS-b metadata of a document from its CDA
// header (CI-SIS mapping "lien entre l'en-tête CDA et les métadonnées
// XDS"): typeCode from code, classCode from [cda.ClassCodeForType],
// formatCode from [cda.FormatCode] (zero when the ANS tables do not know
// the model: [Writer.Add] then refuses the document unless told what to
// write), mimeType from [cda.Document.MimeType], times converted to UTC,
// patientId the INS as CX, authors as XCN/XON/CWE. Hash, Size, URI and
// EntryID are left to the package writer.
func EntryFromCDA(d *cda.Document) DocumentEntry {
	e := DocumentEntry{
		UniqueID:           d.ID.String(),
		MimeType:           d.MimeType(),
		Size:               -1,
		Title:              d.Title,
		CreationTime:       d.EffectiveTime.UTC(),
		LanguageCode:       d.Language,
		PatientID:          patientCX(&d.Patient),
		SourcePatientID:    sourcePatientCX(&d.Patient),
		TypeCode:           d.Code,
		HealthcareFacility: d.Encounter.FacilityType,
	}
	if e.TypeCode.DisplayName == "" {
		e.TypeCode.DisplayName = d.TypeDisplayName()
	}
	if c, ok := cda.ClassCodeForType(d.Code.Code); ok {
		e.ClassCode = c
	}
	if f, ok := cda.FormatCodeFor(d); ok {
		e.FormatCode = f
	}
	if !d.Confidentiality.IsZero() {
		e.Confidentiality = []cda.Code{d.Confidentiality}
	}
	if len(d.ServiceEvents) > 0 {
		se := d.ServiceEvents[0]
		e.ServiceStartTime = se.Start.UTC()
		e.ServiceStopTime = se.Stop.UTC()
		if se.Performer != nil && se.Performer.Organization != nil {
			e.PracticeSetting = se.Performer.Organization.PracticeSetting
		}
		for _, s := range d.ServiceEvents {
			if s.Code.Code != "" && s.Code.CodeSystem != "" {
				e.EventCodes = append(e.EventCodes, s.Code)
			}
		}
	}
	if la := d.LegalAuthenticator; la != nil {
		e.LegalAuthenticator = XCN(la.ID, la.Name)
	}
	p := &d.Patient
	if p.INS != nil || len(p.IDs) > 0 {
		if e.PatientID != "" {
			e.SourcePatientInfo = append(e.SourcePatientInfo, "PID-3|"+e.SourcePatientID)
		}
		if fam := p.FamilyName(); fam != "" {
			e.SourcePatientInfo = append(e.SourcePatientInfo, "PID-5|"+hl7(fam)+"^"+hl7(p.GivenName())+"^^^^^L")
		}
		if len(p.BirthDate) >= 8 {
			e.SourcePatientInfo = append(e.SourcePatientInfo, "PID-7|"+string(p.BirthDate[:8]))
		}
		if g := map[string]string{"F": "F", "M": "M", "UN": "U"}[p.Gender]; g != "" {
			e.SourcePatientInfo = append(e.SourcePatientInfo, "PID-8|"+g)
		}
	}
	for _, a := range d.Authors {
		e.Authors = append(e.Authors, authorFromCDA(&a))
	}
	if !d.ReplacedDocument.IsZero() {
		e.Replaces = d.ReplacedDocument.String()
	}
	return e
}

func authorFromCDA(a *cda.Author) Author {
	var x Author
	switch {
	case a.Person != nil:
		x.Person = XCN(a.ID, a.Person)
	case a.Device != nil:
		x.Person = XCN(a.ID, &cda.Name{Family: a.Device.Software})
	default:
		x.Person = XCN(a.ID, nil)
	}
	if a.Organization != nil && (a.Organization.Name != "" || a.Organization.ID.Extension != "") {
		x.Institutions = []string{XON(a.Organization)}
	}
	if a.Specialty.Code != "" {
		x.Specialties = []string{CWE(a.Specialty)}
	}
	if a.Function.Code != "" {
		x.Roles = []string{CWE(a.Function)}
	}
	for _, t := range a.Telecom {
		if len(t) > 7 && t[:7] == "mailto:" {
			x.Telecoms = append(x.Telecoms, "^NET^Internet^"+hl7(t[7:]))
		}
	}
	return x
}
