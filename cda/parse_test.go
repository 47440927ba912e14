package cda

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const n3Doc = `<?xml version="1.0" encoding="UTF-8"?>
<!-- comment -->
<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:Object>
<cda:ClinicalDocument xmlns:cda="urn:hl7-org:v3">
  <cda:templateId root="1.2.250.1.213.1.1.1.1"/>
  <cda:templateId root="1.2.250.1.213.1.1.1.29" extension="2022.01"/>
  <cda:code code="11490-0" codeSystem="2.16.840.1.113883.6.1"/>
  <cda:title>Lettre</cda:title>
  <cda:recordTarget><cda:patientRole>
    <cda:id root="1.2.250.1.213.1.4.8" extension=" 279035121518989 "/>
    <cda:patient><cda:name><cda:family>DURAND</cda:family><cda:given>Marie</cda:given></cda:name></cda:patient>
  </cda:patientRole></cda:recordTarget>
  <cda:unknownElement><deep><deeper/></deep></cda:unknownElement>
  <cda:component>
    <cda:structuredBody classCode="DOCBODY">
      <cda:component><cda:section><cda:title>Motif</cda:title><cda:text>a &lt; b <![CDATA[<raw>]]></cda:text></cda:section></cda:component>
    </cda:structuredBody>
  </cda:component>
</cda:ClinicalDocument>
</ds:Object></ds:Signature>`

func TestParseN3Wrapped(t *testing.T) {
	d, err := Parse(strings.NewReader(n3Doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Body.Kind != BodyStructured || d.Code.Code != "11490-0" || d.Title != "Lettre" {
		t.Fatalf("kind %v code %+v title %q", d.Body.Kind, d.Code, d.Title)
	}
	if d.Patient.INS == nil || d.Patient.INS.Matricule != "279035121518989" || d.Patient.INS.Kind != INSNIR {
		t.Fatalf("INS %+v", d.Patient.INS)
	}
	if d.Patient.INSQualified() {
		t.Error("an INS without its traits was called qualified")
	}
	if d.Patient.UsedFamily != "DURAND" || d.Patient.BirthGivens != "Marie" || d.Patient.FamilyName() != "DURAND" || d.Patient.GivenName() != "Marie" {
		t.Errorf("names %+v", d.Patient)
	}
	x := string(d.Body.XML)
	if !strings.HasPrefix(x, `<cda:structuredBody xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:cda="urn:hl7-org:v3" classCode="DOCBODY">`) ||
		!strings.HasSuffix(x, "</cda:structuredBody>") || !strings.Contains(x, "<![CDATA[<raw>]]>") {
		t.Fatalf("structured body = %q", x)
	}
	// The body stands alone: its elements are in the HL7 namespace.
	var sb struct {
		XMLName xml.Name
		Title   string `xml:"urn:hl7-org:v3 component>section>title"`
	}
	if err := xml.Unmarshal(d.Body.XML, &sb); err != nil || sb.XMLName.Space != "urn:hl7-org:v3" || sb.Title != "Motif" {
		t.Fatalf("structured body does not stand alone: %v %+v", err, sb)
	}
	if p := Validate(d); len(p) == 0 {
		t.Error("Validate found nothing in a bare header")
	}
}

func TestParseSelfPresenting(t *testing.T) {
	doc := `<?xml-stylesheet type="text/xsl" href="#"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:c="urn:hl7-org:v3" xmlns:data="urn:asip-sante:ci-sis">
<data:Contenu><c:ClinicalDocument><c:code code="11502-2" codeSystem="2.16.840.1.113883.6.1"/>
<c:recordTarget><c:patientRole><c:id root="1.2.3" extension="IPP"/></c:patientRole></c:recordTarget>
<c:component><c:structuredBody><c:component/></c:structuredBody></c:component></c:ClinicalDocument></data:Contenu>
<xsl:template match="/"/></xsl:stylesheet>`
	d, err := Parse(strings.NewReader(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Code.Code != "11502-2" || len(d.Patient.IDs) != 1 || d.Body.Kind != BodyStructured {
		t.Fatalf("%+v", d)
	}
	if got := string(d.Body.XML); !strings.HasPrefix(got, `<c:structuredBody xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:c="urn:hl7-org:v3" xmlns:data="urn:asip-sante:ci-sis">`) {
		t.Fatalf("body %q", got)
	}
}

func TestParseHeaderOnly(t *testing.T) {
	d, err := Parse(strings.NewReader(n3Doc), &ParseOptions{HeaderOnly: true})
	if err != nil || d.Body.Kind != BodyStructured || d.Body.XML != nil {
		t.Fatalf("%v %v %q", err, d.Body.Kind, d.Body.XML)
	}
}

func TestParseErrors(t *testing.T) {
	deep := "<ClinicalDocument>" + strings.Repeat("<a>", 300) + strings.Repeat("</a>", 300) + "</ClinicalDocument>"
	tests := []struct {
		name string
		in   string
		opts *ParseOptions
		want error
	}{
		{"empty", "", nil, ErrNotCDA},
		{"not cda", "<html><body/></html>", nil, ErrNotCDA},
		{"truncated", "<ClinicalDocument><id root='1'/>", nil, ErrMalformed},
		{"garbage", "<ClinicalDocument><id root='1'></ClinicalDocument>", nil, ErrMalformed},
		{"latin1", `<?xml version="1.0" encoding="ISO-8859-1"?><ClinicalDocument/>`, nil, ErrMalformed},
		{"deep", deep, nil, ErrTooDeep},
		{"deep wrapper", strings.Repeat("<a>", 300), nil, ErrTooDeep},
		{"header too large", "<ClinicalDocument><title>" + strings.Repeat("x", 2000) + "</title></ClinicalDocument>", &ParseOptions{MaxHeaderSize: 1000}, ErrTooLarge},
		{"body too large", "<ClinicalDocument><component><structuredBody>" + strings.Repeat("<p>x</p>", 500) + "</structuredBody></component></ClinicalDocument>", &ParseOptions{MaxStructuredBody: 1000}, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in), tt.opts)
			var pe *ParseError
			if !errors.Is(err, tt.want) || !errors.As(err, &pe) {
				t.Fatalf("err = %v, want %v in a *ParseError", err, tt.want)
			}
		})
	}
}

func TestParseBodyVariants(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"b64 with entities and cdata", `<text mediaType="application/pdf" representation="B64">SGVs&#13;&#10;bG8g<![CDATA[d29y]]>bGQ=</text>`, "Hello world"},
		{"empty", `<text mediaType="text/plain" representation="B64"/>`, ""},
		{"plain text", `<text mediaType="text/plain">caf&#233; &amp; th&#233;</text>`, "café & thé"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `<ClinicalDocument xmlns="urn:hl7-org:v3"><component><nonXMLBody>` + tt.text + `</nonXMLBody></component></ClinicalDocument>`
			d, err := Parse(strings.NewReader(doc), nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(d.Body.Content)
			if err != nil || string(got) != tt.want {
				t.Fatalf("payload %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestParseTruncatedPayload(t *testing.T) {
	doc := `<ClinicalDocument><component><nonXMLBody><text representation="B64">SGVsbG8g`
	d, err := Parse(strings.NewReader(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(d.Body.Content); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want unexpected EOF", err)
	}
}

// TestParseKitExamples reads every document of the kit's ExemplesCDA
// folder (one in the shared copy, 87 in the full ANS kit): each must parse
// with a type code and a patient identifier.
func TestParseKitExamples(t *testing.T) {
	dir := kitPath(t, "ExemplesCDA")
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Parse(bytes.NewReader(data), nil)
			if err != nil {
				t.Fatal(err)
			}
			if d.Code.Code == "" || d.Code.CodeSystem == "" {
				t.Errorf("no type code: %+v", d.Code)
			}
			if d.Patient.INS == nil && len(d.Patient.IDs) == 0 {
				t.Error("no patient identifier")
			}
			if d.Body.Kind == BodyNonXML {
				if n, err := io.Copy(io.Discard, d.Body.Content); err != nil || n == 0 {
					t.Errorf("payload: %d bytes, %v", n, err)
				}
			}
			if p := Validate(d); len(p) != 0 {
				t.Logf("Validate: %v", p)
			}
		})
	}
}

// reimbursementHeader has the shape of the ANS CNAM-HR example: a device
// author, a performer without identifier, an encounter time with a
// nullFlavor, a replacement, a TRE_A05 type code.
const reimbursementHeader = `<ClinicalDocument xmlns="urn:hl7-org:v3">
  <realmCode code="FR"/><typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <templateId root="2.16.840.1.113883.2.8.2.1"/><templateId root="1.2.250.1.213.1.1.1.1"/>
  <templateId root="1.2.250.1.213.1.1.1.36" extension="2022.01"/>
  <id root="1.2.250.1.213.1.1.1.36.2"/>
  <code code="REMB" codeSystem="1.2.250.1.213.1.1.4.12" displayName="Données de remboursement"/>
  <title>Données de remboursement</title><effectiveTime value="20190701164900+0100"/>
  <confidentialityCode code="N" displayName="Normal" codeSystem="2.16.840.1.113883.5.25"/>
  <languageCode code="fr-FR"/><setId root="ABAFE511-53EE-451E-A328-8046F5AD6140"/><versionNumber value="2"/>
  <recordTarget><patientRole>
    <id extension="277076322082910" root="1.2.250.1.213.1.4.8"/>
    <patient><name><family qualifier="BR">NESSI</family><given>Ruth Isabelle</given>
      <family qualifier="CL">DECOURCY</family><given qualifier="CL">Ruth</given></name>
      <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/><birthTime value="19770714"/>
      <birthplace><place><addr><county>63220</county></addr></place></birthplace></patient>
  </patientRole></recordTarget>
  <author><time value="201907011649+0100"/><assignedAuthor>
    <id root="1.2.250.1.71.4.2.1" extension="518003502400041/1.2.250.1.215.1.2"/>
    <code code="ALIM_AM" displayName="Alimentation automatique" codeSystem="1.2.250.1.213.1.1.4.6"/>
    <addr nullFlavor="NASK"/><telecom nullFlavor="NASK"/>
    <assignedAuthoringDevice><manufacturerModelName>.</manufacturerModelName><softwareName>Assurance Maladie</softwareName></assignedAuthoringDevice>
    <representedOrganization><id root="1.2.250.1.71.4.2.2" extension="318003502400041"/><name>Assurance Maladie</name></representedOrganization>
  </assignedAuthor></author>
  <custodian><assignedCustodian><representedCustodianOrganization><id root="1.2.250.1.71.4.2.2" extension="318003502400041"/></representedCustodianOrganization></assignedCustodian></custodian>
  <legalAuthenticator><time value="201907011649+0100"/><signatureCode code="S"/><assignedEntity>
    <id root="1.2.250.1.71.4.2.1" extension="518003502400041/1.2.250.1.215.1.2"/>
    <assignedPerson><name><given>.</given><family>Assurance Maladie</family></name></assignedPerson></assignedEntity></legalAuthenticator>
  <documentationOf><serviceEvent><effectiveTime><low value="20190101154500+0100"/><high value="20190701154500+0100"/></effectiveTime>
    <performer typeCode="PRF"><assignedEntity><id nullFlavor="NA"/><representedOrganization>
      <standardIndustryClassCode code="AMO" displayName="Organisme d'assurance maladie obligatoire" codeSystem="1.2.250.1.213.1.1.4.9"/>
    </representedOrganization></assignedEntity></performer></serviceEvent></documentationOf>
  <relatedDocument typeCode="RPLC"><parentDocument><id root="1.2.250.1.213.1.1.9" extension="10002-1"/><versionNumber value="1"/></parentDocument></relatedDocument>
  <componentOf><encompassingEncounter><effectiveTime nullFlavor="NA"/><location><healthCareFacility>
    <code code="SA24" displayName="Organisme de sécurité sociale" codeSystem="1.2.250.1.71.4.2.4"/></healthCareFacility></location></encompassingEncounter></componentOf>
  <component><structuredBody><component><section><title>Usage</title></section></component></structuredBody></component>
</ClinicalDocument>`

func TestParseReimbursement(t *testing.T) {
	d, err := Parse(strings.NewReader(reimbursementHeader), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The example predates the rule on the first birth first name, which
	// the 2017 schematron enforces: that is its only problem.
	if p := Validate(d); len(p) != 1 || !strings.Contains(p[0].Message, "given[@qualifier=BR]") {
		t.Errorf("Validate = %v", p)
	}
	if d.Authors[0].Device == nil || d.Authors[0].Device.Software != "Assurance Maladie" || d.ReplacedDocument.String() != "1.2.250.1.213.1.1.9^10002-1" {
		t.Errorf("author %+v replaced %v", d.Authors[0], d.ReplacedDocument)
	}
	if d.Encounter.TimeNullFlavor != "NA" || d.ActTime() != "20190101154500+0100" || d.VersionNumber != 2 {
		t.Errorf("encounter %+v act %q", d.Encounter, d.ActTime())
	}
	if c, _ := ClassCodeForType(d.Code.Code); c.Code != "60" {
		t.Errorf("class %v", c)
	}
	if d.Patient.INSQualified() {
		t.Error("INS without first birth first name called qualified")
	}
	var out bytes.Buffer
	if err := d.Encode(&out); err != nil {
		t.Fatal(err)
	}
	again, err := Parse(&out, nil)
	if err != nil || again.Encounter.TimeNullFlavor != "NA" || again.Body.Kind != BodyStructured || !bytes.Contains(again.Body.XML, []byte("Usage")) {
		t.Fatalf("re-parse: %v %+v", err, again)
	}
}
