package cda

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateProblems(t *testing.T) {
	d, err := NewN1(testN1(t, []byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(d).Err(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		mod        func(*Document)
	}{
		{"bad OID", "id", func(d *Document) { d.ID = II{Root: "not-an-oid"} }},
		{"unknown type", "code", func(d *Document) { d.Code.Code = "99999-9" }},
		{"no display", "code", func(d *Document) { d.Code.DisplayName = "" }},
		{"confidentiality", "confidentialityCode", func(d *Document) { d.Confidentiality.Code = "X" }},
		{"version", "versionNumber", func(d *Document) { d.VersionNumber = 0 }},
		{"INS key", "recordTarget/patientRole/id", func(d *Document) { d.Patient.INS.Matricule = "279035121518988" }},
		{"gender", "recordTarget/patientRole/patient/administrativeGenderCode", func(d *Document) { d.Patient.Gender = "X" }},
		{"telecom", "recordTarget/patientRole/telecom", func(d *Document) { d.Patient.Telecom = []string{"0612345678"} }},
		{"author id", "author[1]/assignedAuthor/id", func(d *Document) { d.Authors[0].ID.Extension = "" }},
		{"author both", "author[1]/assignedAuthor", func(d *Document) { d.Authors[0].Device = &Device{"a", "b"} }},
		{"specialty", "author[1]/assignedAuthor/code", func(d *Document) { d.Authors[0].Specialty.Code = "NOPE" }},
		{"no legal", "legalAuthenticator", func(d *Document) { d.LegalAuthenticator = nil }},
		{"practice", "documentationOf[1]/serviceEvent/performer/assignedEntity/representedOrganization/standardIndustryClassCode",
			func(d *Document) { d.ServiceEvents[0].Performer.Organization.PracticeSetting = Code{} }},
		{"facility", "componentOf/encompassingEncounter/location/healthCareFacility/code", func(d *Document) { d.Encounter.FacilityType.Code = "SA99" }},
		{"media", "component/nonXMLBody/text/@mediaType", func(d *Document) { d.Body.MediaType = "image/png" }},
		{"replaced", "relatedDocument/parentDocument/id", func(d *Document) { d.ReplacedDocument = II{NullFlavor: "UNK"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := NewN1(testN1(t, []byte("x")))
			tt.mod(d)
			probs := Validate(d)
			found := false
			for _, p := range probs {
				found = found || p.Path == tt.path
			}
			if !found {
				t.Fatalf("no problem at %s: %v", tt.path, probs)
			}
			var ve *ValidationError
			if err := probs.Err(); !errors.As(err, &ve) || !strings.Contains(err.Error(), "cda: invalid document") {
				t.Fatalf("Err() = %v", err)
			}
		})
	}
}

// TestValidateSeverity: each problem says whose rule it is and how grave.
// The first two cases stand for what the ANS example kit holds (a legal
// authenticator time "20240106113623+100" in BIO-TROD, an INS whose key
// does not match in CSE-CS8/9/24 and OBP-SNE).
func TestValidateSeverity(t *testing.T) {
	tests := []struct {
		name      string
		mod       func(*Document)
		path      string
		authority Authority
		severity  Severity
		errs      bool // Err() != nil
	}{
		{"offset +100", func(d *Document) { d.LegalAuthenticator.Time = "20240106113623+100" },
			"legalAuthenticator/time", AuthorityHL7, SeverityWarning, false},
		{"INS key", func(d *Document) { d.Patient.INS.Matricule = "221042545611404" },
			"recordTarget/patientRole/id", AuthoritySDK, SeverityError, true},
		{"not a date", func(d *Document) { d.LegalAuthenticator.Time = "2024-01-06" },
			"legalAuthenticator/time", AuthorityHL7, SeverityError, true},
		{"bad date, bad offset", func(d *Document) { d.LegalAuthenticator.Time = "20241306+100" },
			"legalAuthenticator/time", AuthorityHL7, SeverityError, true},
		{"root not an OID", func(d *Document) { d.ID = II{Root: "not-an-oid"} }, "id", AuthorityHL7, SeverityError, true},
		{"no INS", func(d *Document) { d.Patient.INS = nil }, "recordTarget/patientRole/id", AuthorityRef2, SeverityWarning, false},
		{"type code", func(d *Document) { d.Code.Code = "99999-9" }, "code", AuthorityCISIS, SeverityError, true},
		{"media type", func(d *Document) { d.Body.MediaType = "image/png" }, "component/nonXMLBody/text/@mediaType", AuthoritySDK, SeverityError, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewN1(testN1(t, []byte("x")))
			if err != nil {
				t.Fatal(err)
			}
			tt.mod(d)
			probs := Validate(d)
			if len(probs) != 1 {
				t.Fatalf("want one problem, got %v", probs)
			}
			p := probs[0]
			if p.Path != tt.path || p.Authority != tt.authority || p.Severity != tt.severity {
				t.Fatalf("%s: authority %v severity %v", p, p.Authority, p.Severity)
			}
			if !strings.HasPrefix(p.String(), tt.severity.String()+": ") || !strings.Contains(p.String(), "("+tt.authority.String()) {
				t.Errorf("String() = %q", p)
			}
			if (probs.Err() != nil) != tt.errs || probs.StrictErr() == nil {
				t.Errorf("Err() = %v, StrictErr() = %v", probs.Err(), probs.StrictErr())
			}
			if n := len(probs.Errors()) + len(probs.Warnings()); n != 1 {
				t.Errorf("%d errors and warnings", n)
			}
			var ve *ValidationError
			if err := probs.StrictErr(); !errors.As(err, &ve) || len(ve.Problems) != 1 {
				t.Errorf("StrictErr() = %v", err)
			}
		})
	}
}
