package cda

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestValueSetsMatchJDV checks the generated tables against the JDV files
// they come from (run "go generate" when this fails).
func TestValueSetsMatchJDV(t *testing.T) {
	for file, set := range map[string]*valueSet{
		"JDV_J07_XdsTypeCode_CISIS.xml":                   &jdvTypeCode,
		"JDV_J02_XdsHealthcareFacilityTypeCode_CISIS.xml": &jdvFacilityType,
		"JDV_J04_XdsPracticeSettingCode_CISIS.xml":        &jdvPracticeSetting,
		"JDV_J08_XdsConfidentialityCode_CISIS.xml":        &jdvConfidentiality,
		"JDV_J01_XdsAuthorSpecialty_CISIS.xml":            &jdvAuthorSpecialty,
	} {
		data, err := os.ReadFile(filepath.Join(kitPath(t, "jeuxDeValeurs"), file))
		if err != nil {
			t.Fatal(err)
		}
		var svs struct {
			ValueSet struct {
				ID       string `xml:"id,attr"`
				Concepts []struct {
					Code       string `xml:"code,attr"`
					CodeSystem string `xml:"codeSystem,attr"`
					Display    string `xml:"displayName,attr"`
				} `xml:"ConceptList>Concept"`
			}
		}
		if err := xml.Unmarshal(data, &svs); err != nil {
			t.Fatal(err)
		}
		if svs.ValueSet.ID != set.ID || len(svs.ValueSet.Concepts) != len(set.Concepts) {
			t.Errorf("%s: %s with %d concepts, generated %s with %d", file, svs.ValueSet.ID, len(svs.ValueSet.Concepts), set.ID, len(set.Concepts))
			continue
		}
		for i, c := range svs.ValueSet.Concepts {
			if g := set.Concepts[i]; g.Code != c.Code || g.CodeSystem != c.CodeSystem || g.DisplayName != c.Display {
				t.Errorf("%s: concept %d = %+v, JDV %+v", file, i, g, c)
			}
		}
	}
	// Every J07 type has a class code.
	for _, c := range TypeCodes() {
		if cl, ok := ClassCodeForType(c.Code); !ok || cl.Code == "" {
			t.Errorf("no class code for %s", c.Code)
		}
	}
	for _, c := range []Code{TypeLettreLiaisonSortie, TypeCRConsultation, TypeSyntheseEpisode, TypeCRHospitalier, TypeCRBiologie,
		TypeCRImagerie, TypeCRAuxiliaire, TypeCRAccouchement, TypeCRRCP, TypePrescription, TypeSyntheseMedicale,
		TypeCRActePreventif, TypeCRUrgences, TypeCROperatoire, TypeLettreAdressage, TypeCertificatMedical,
		TypeCertificatDeclaration, TypeSynthese, TypeVolontesPatient, TypeAutreDocPatient, TypeDirectivesAnticipees,
		TypeProtocoleALD, TypeRemboursement, TypeImagerieKOS, TypePrescriptionBio, TypePrescriptionKine,
		TypePrescriptionInf, TypePrescriptionAAT} {
		if v, ok := LookupTypeCode(c.Code); !ok || v != c {
			t.Errorf("constant %+v differs from JDV_J07 %+v", c, v)
		}
	}
	for _, c := range []Code{PracticeAmbulatoire, PracticeEtablissement} {
		if v, ok := LookupPracticeSetting(c.Code); !ok || v != c {
			t.Errorf("constant %+v differs from JDV_J04 %+v", c, v)
		}
	}
	for _, c := range []Code{FacilityEtablissementPublic, FacilityCabinetIndividuel} {
		if v, ok := LookupFacilityType(c.Code); !ok || v != c {
			t.Errorf("constant %+v differs from JDV_J02 %+v", c, v)
		}
	}
	for _, c := range []Code{ConfidentialityNormal, ConfidentialityRestricted, ConfidentialityVery} {
		if v, ok := LookupConfidentiality(c.Code); !ok || v != c {
			t.Errorf("constant %+v differs from JDV_J08 %+v", c, v)
		}
	}
}

// The value-set lists hold the concepts their lookups find.
func TestValueSetLists(t *testing.T) {
	for name, tt := range map[string]struct {
		list   []Code
		lookup func(string) (Code, bool)
	}{
		"J02 facility types":    {FacilityTypes(), LookupFacilityType},
		"J04 practice settings": {PracticeSettings(), LookupPracticeSetting},
		"J08 confidentiality":   {Confidentialities(), LookupConfidentiality},
	} {
		if len(tt.list) == 0 {
			t.Errorf("%s: empty", name)
		}
		for _, c := range tt.list {
			if got, ok := tt.lookup(c.Code); !ok || got != c {
				t.Errorf("%s: %s listed but looked up as %+v, %v", name, c.Code, got, ok)
			}
		}
	}
	if got := DateTS(time.Date(1988, 10, 12, 23, 0, 0, 0, time.UTC)); got != "19881012" {
		t.Errorf("DateTS = %s", got)
	}
}
