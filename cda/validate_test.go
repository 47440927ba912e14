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
