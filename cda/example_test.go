package cda_test

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"strings"
	"time"

	"github.com/mssante-go/sdk/cda"
)

func ExampleNewN1() {
	doc, err := cda.NewN1(cda.N1{
		Type: cda.TypeCRConsultation,
		Time: time.Date(2025, 3, 14, 10, 30, 0, 0, time.UTC),
		Patient: cda.Patient{
			INS:         &cda.INS{Matricule: "279035121518989", Kind: cda.INSTest},
			BirthFamily: "PAT-TROIS", BirthGivens: "DOMINIQUE MARIE-LOUISE", FirstGiven: "DOMINIQUE",
			Gender: "F", BirthDate: "19790328", BirthplaceCode: "51215",
		},
		Authors: []cda.Author{{
			ID:           cda.II{Root: cda.OIDIdNatPS, Extension: "801234567897"},
			Specialty:    cda.Code{Code: "G15_10", CodeSystem: cda.OIDProfession},
			Person:       &cda.Name{Family: "DUPONT", Given: []string{"Jean"}},
			Organization: &cda.Organization{ID: cda.II{Root: cda.OIDIdNatStruct, Extension: "1750803447"}, Name: "Cabinet du Centre"},
		}},
		PracticeSetting: cda.PracticeAmbulatoire,
		Encounter:       cda.Encounter{FacilityType: cda.FacilityCabinetIndividuel},
		Content:         strings.NewReader("%PDF-1.4 ..."),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(cda.Validate(doc)), "problems")
	var out bytes.Buffer
	if err := doc.Encode(&out); err != nil {
		log.Fatal(err)
	}
	fmt.Println(doc.Title, doc.Patient.INSQualified())
	// Output:
	// 0 problems
	// CR ou fiche de consultation ou de visite true
}

func ExampleParse() {
	const doc = `<ClinicalDocument xmlns="urn:hl7-org:v3">
  <code code="11490-0" codeSystem="2.16.840.1.113883.6.1"/>
  <recordTarget><patientRole>
    <id root="1.2.250.1.213.1.4.10" extension="279035121518989"/>
    <patient><name><family qualifier="BR">PAT-TROIS</family><given qualifier="BR">DOMINIQUE</given></name>
    <birthTime value="19790328"/></patient>
  </patientRole></recordTarget>
  <component><nonXMLBody><text mediaType="text/plain" representation="B64">Qm9uam91cg==</text></nonXMLBody></component>
</ClinicalDocument>`
	d, err := cda.Parse(strings.NewReader(doc), nil)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(d.Body.Content)
	fmt.Println(d.Code.Code, d.TypeDisplayName())
	fmt.Println(d.Patient.INS.Matricule, d.Patient.INS.Kind, d.Patient.INSQualified(), d.Patient.MissingINSTraits())
	fmt.Println(d.Body.Kind, d.Body.MediaType, string(body))
	// Output:
	// 11490-0 Lettre de liaison à la sortie d'un établissement de soins
	// 279035121518989 test false [given administrativeGenderCode birthplace]
	// nonXML text/plain Bonjour
}

func ExampleValidate() {
	d := &cda.Document{Language: "fr"}
	probs := cda.Validate(d)
	for _, p := range probs[:3] {
		fmt.Println(p)
	}
	// A send refuses a document with errors; warnings are for the log.
	fmt.Println(len(probs.Errors()) > 0, probs.Err() != nil)
	// Output:
	// error: templateId: templateId 2.16.840.1.113883.2.8.2.1 (HL7 France) must appear once, found 0 (CI-SIS SMDS_CDAClinicalDocument)
	// error: templateId: templateId 1.2.250.1.213.1.1.1.1 (CI-SIS) must appear once, found 0 (CI-SIS SMDS_CDAClinicalDocument)
	// error: templateId: a templateId of the document model (or 1.3.6.1.4.1.19376.1.2.20 for N1) is required (CI-SIS SMDS_CDAClinicalDocument)
	// true true
}

func ExampleClassCodeForType() {
	for _, t := range []string{"11488-4", "11490-0", "57833-6", "CERT_DECL"} {
		c, _ := cda.ClassCodeForType(t)
		fmt.Println(t, c.Code, c.DisplayName)
	}
	// Output:
	// 11488-4 10 Compte rendu
	// 11490-0 11 Synthèse
	// 57833-6 42 Prescription
	// CERT_DECL 52 Certificat, déclaration
}
