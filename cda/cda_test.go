package cda

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/testenv"
)

// kitPath returns a file of the ANS test kit copied beside the repository
// (see ../shared/testdata-external/README-cda-xdm.md); without it the test
// skips, or fails under CI (internal/testenv).
func kitPath(t testing.TB, rel string) string {
	t.Helper()
	return testenv.SharedDir(t, "ans-TestContenuCDA-3-0", filepath.FromSlash(rel))
}

// fakePDF is a small PDF-looking payload with every byte value, so base64
// line handling is exercised.
func fakePDF() []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	for i := 0; i < 3000; i++ {
		b.WriteByte(byte(i * 7))
	}
	b.WriteString("\n%%EOF\n")
	return b.Bytes()
}

func testN1(t testing.TB, content []byte) N1 {
	t.Helper()
	org := &Organization{ID: II{Root: OIDIdNatStruct, Extension: "1750803447"}, Name: "Cabinet Médical du Centre & Fils"}
	return N1{
		Type: TypeCRConsultation,
		Time: time.Date(2025, 3, 14, 10, 30, 0, 0, time.FixedZone("", 3600)),
		Patient: Patient{
			INS:            &INS{Matricule: "279035121518989", Kind: INSTest},
			IDs:            []II{{Root: "1.2.3.4.567.8.9.10", Extension: "IPP-42"}},
			BirthFamily:    "PAT-TROIS",
			BirthGivens:    "DOMINIQUE MARIE-LOUISE",
			FirstGiven:     "DOMINIQUE",
			UsedFamily:     "MARTIN",
			Gender:         "F",
			BirthDate:      "19790328",
			BirthplaceCode: "51215",
		},
		Authors: []Author{{
			ID:           II{Root: OIDIdNatPS, Extension: "801234567897"},
			Specialty:    Code{Code: "G15_10", CodeSystem: OIDProfession, DisplayName: "Médecin"},
			Person:       &Name{Family: "DUPONT", Given: []string{"Jean"}},
			Organization: org,
		}},
		PracticeSetting: PracticeAmbulatoire,
		Encounter:       Encounter{FacilityType: FacilityCabinetIndividuel},
		Content:         bytes.NewReader(content),
	}
}

func encode(t testing.TB, d *Document) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := d.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestN1RoundTrip(t *testing.T) {
	pdf := fakePDF()
	d, err := NewN1(testN1(t, pdf))
	if err != nil {
		t.Fatal(err)
	}
	out := encode(t, d)
	got, err := Parse(bytes.NewReader(out), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(got.Body.Content)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, pdf) {
		t.Fatalf("payload differs: %d bytes, want %d", len(body), len(pdf))
	}
	if got.Code.Code != "11488-4" || got.Code.CodeSystem != OIDLOINC || got.Title != "CR ou fiche de consultation ou de visite" {
		t.Errorf("code/title = %+v %q", got.Code, got.Title)
	}
	if got.EffectiveTime != "20250314103000+0100" || got.ActTime() != got.EffectiveTime {
		t.Errorf("effectiveTime = %q, act %q", got.EffectiveTime, got.ActTime())
	}
	if len(got.TemplateIDs) != 3 || got.Body.Kind != BodyNonXML || got.Body.MediaType != MediaPDF {
		t.Errorf("templates %v body %v %q", got.TemplateIDs, got.Body.Kind, got.Body.MediaType)
	}
	p := got.Patient
	if p.INS == nil || p.INS.Matricule != "279035121518989" || p.INS.Kind != INSTest || !p.INSQualified() {
		t.Errorf("patient INS = %+v qualified %v", p.INS, p.INSQualified())
	}
	if p.BirthFamily != "PAT-TROIS" || p.FirstGiven != "DOMINIQUE" || p.BirthGivens != "DOMINIQUE MARIE-LOUISE" || p.UsedFamily != "MARTIN" {
		t.Errorf("names = %+v", p)
	}
	if len(p.IDs) != 1 || p.IDs[0].Extension != "IPP-42" {
		t.Errorf("IDs = %v", p.IDs)
	}
	if len(got.Authors) != 1 || got.Authors[0].Person.Family != "DUPONT" || got.Authors[0].Organization.Name != "Cabinet Médical du Centre & Fils" {
		t.Errorf("authors = %+v", got.Authors)
	}
	if got.LegalAuthenticator == nil || got.LegalAuthenticator.ID.Extension != "801234567897" {
		t.Errorf("legal authenticator = %+v", got.LegalAuthenticator)
	}
	if got.ServiceEvents[0].Performer.Organization.PracticeSetting.Code != "AMBULATOIRE" || got.Encounter.FacilityType.Code != "SA07" {
		t.Errorf("practice/facility = %+v %+v", got.ServiceEvents[0].Performer.Organization, got.Encounter)
	}
	if got.Custodian.ID.Extension != "1750803447" || got.VersionNumber != 1 || got.SetID.IsZero() || !strings.HasPrefix(got.ID.Root, "2.25.") {
		t.Errorf("custodian/version/ids = %+v %d %v %v", got.Custodian, got.VersionNumber, got.SetID, got.ID)
	}
}

func TestN1XSD(t *testing.T) {
	xsd := kitPath(t, "infrastructure/cda/CDA_extended.xsd")
	testenv.LookPath(t, "xmllint", "libxml2-utils")
	for name, mod := range n1Variants() {
		t.Run(name, func(t *testing.T) {
			n := testN1(t, fakePDF())
			mod(&n)
			d, err := NewN1(n)
			if err != nil {
				t.Fatal(err)
			}
			xmllint(t, encode(t, d), xsd)
		})
	}
}

// n1Variants are the N1 documents checked against the XSD and the schematron.
func n1Variants() map[string]func(*N1) {
	return map[string]func(*N1){
		"pdf":  func(*N1) {},
		"text": func(n *N1) { n.MediaType = MediaText; n.Content = strings.NewReader("Bonjour <docteur> & co\n") },
		"replacement": func(n *N1) {
			n.Replaces = II{Root: "1.2.3.4", Extension: "v1"}
			n.SetID = II{Root: "1.2.3.5"}
			n.Version = 2
			n.Recipients = []Participant{{ID: II{Root: OIDIdNatPS, Extension: "810002422979"}, Name: &Name{Family: "CHARLES", Given: []string{"Pascal"}}}}
		},
		"device-author": func(n *N1) {
			n.Authors = append([]Author{{ID: II{Root: "1.2.3.9", Extension: "LOGICIEL"}, Device: &Device{Manufacturer: "ACME", Software: "Dossier 3.1"}}}, n.Authors...)
		},
		"nia-no-traits": func(n *N1) {
			n.Patient = Patient{IDs: []II{{Root: "1.2.3.4.567.8.9.10", Extension: "IPP-43"}}, UsedFamily: "DURAND", UsedGiven: "Paul", Gender: "M", BirthDate: "20010203"}
		},
	}
}

// xmllint validates doc against xsd with xmllint and fails the test with
// its report.
func xmllint(t *testing.T, doc []byte, xsd string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(f, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("xmllint", "--noout", "--nonet", "--schema", xsd, f).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
}

func TestParseANSExample(t *testing.T) {
	f, err := os.Open(kitPath(t, "ExemplesCDA/DOC_NON_STRUCTURE_CDA-R2-N1.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := Parse(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Code.Code != "11502-2" || d.Code.CodeSystem != OIDLOINC || d.Title != "Compte rendu d'examens biologiques" {
		t.Errorf("code %+v title %q", d.Code, d.Title)
	}
	if d.ID.Root != "1.3.6.1.4.1.19376.1.2.20.12345.1.1" || d.SetID.Root != "1.3.6.1.4.1.19376.1.2.20.12345.1" || d.VersionNumber != 1 {
		t.Errorf("ids %v %v %d", d.ID, d.SetID, d.VersionNumber)
	}
	p := d.Patient
	if p.INS == nil || p.INS.Matricule != "279035121518989" || p.INS.Kind != INSTest || !p.INSQualified() {
		t.Errorf("INS %+v qualified %v missing %v", p.INS, p.INSQualified(), p.MissingINSTraits())
	}
	if len(p.IDs) != 1 || p.IDs[0] != (II{Root: "1.2.3.4.567.8.9.10", Extension: "1234567890121"}) {
		t.Errorf("IDs %v", p.IDs)
	}
	if p.BirthFamily != "PAT-TROIS" || p.FirstGiven != "DOMINIQUE" || p.BirthDate != "19790328" || p.Gender != "F" || p.BirthplaceCode != "51215" {
		t.Errorf("patient %+v", p)
	}
	if d.ActTime() != "20210104134700+0100" {
		t.Errorf("act time %q", d.ActTime())
	}
	if len(d.Authors) != 1 || d.Authors[0].ID.Extension != "801234534765" || d.Authors[0].Specialty.Code != "G15_10/SM03" {
		t.Errorf("authors %+v", d.Authors)
	}
	if d.Encounter.FacilityType.Code != "SA07" || d.ServiceEvents[0].Performer.Organization.PracticeSetting.Code != "AMBULATOIRE" {
		t.Errorf("facility %+v", d.Encounter)
	}
	if probs := Validate(d); len(probs) != 0 {
		t.Errorf("Validate(ANS example) = %v", probs)
	}
	head := make([]byte, 8)
	if _, err := io.ReadFull(d.Body.Content, head); err != nil || string(head[:5]) != "%PDF-" {
		t.Fatalf("payload starts %q, %v", head, err)
	}
	rest, err := io.ReadAll(d.Body.Content)
	if err != nil || !bytes.Contains(rest, []byte("%%EOF")) {
		t.Fatalf("payload end: %v", err)
	}
}
