// Package testdocs builds the sample documents the tests share: an N1 CDA
// around a PDF for a test patient, valid for the ANS rules, and a liste
// blanche.
package testdocs

import (
	"bytes"
	"io"
	"strings"
	"time"

	"github.com/mssante-go/sdk/cda"
)

// Options describe a sample document. The zero value is a consultation
// report for the ANS test identity FIGATELLIX Corse, INS 279035121518989.
type Options struct {
	INS    string   // test-register INS matricule; "" means 279035121518989
	Family string   // birth name; "" means FIGATELLIX
	Type   cda.Code // document type; zero means cda.TypeCRConsultation
}

// N1 returns an encoded N1 document carrying pdf, dated 20 November 2026.
func N1(o Options, pdf io.Reader) ([]byte, error) {
	doc, err := Document(o, pdf)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := doc.Encode(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Document returns the N1 document itself, its body read from content when
// it is encoded.
func Document(o Options, content io.Reader) (*cda.Document, error) {
	p := o
	if p.INS == "" {
		p.INS = "279035121518989"
	}
	if p.Family == "" {
		p.Family = "FIGATELLIX"
	}
	if p.Type.Code == "" {
		p.Type = cda.TypeCRConsultation
	}
	return cda.NewN1(cda.N1{
		Type: p.Type,
		Time: time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC),
		Patient: cda.Patient{
			INS:         &cda.INS{Matricule: p.INS, Kind: cda.INSTest},
			BirthFamily: p.Family, BirthGivens: "CORSE MARIE", FirstGiven: "CORSE",
			Gender: "F", BirthDate: "19881012", BirthplaceCode: "2A004",
		},
		Authors: []cda.Author{{
			ID:           cda.II{Root: cda.OIDIdNatPS, Extension: "810000000001"},
			Specialty:    cda.Code{Code: "G15_10", CodeSystem: cda.OIDProfession},
			Person:       &cda.Name{Family: "MARTIN", Given: []string{"Alice"}},
			Organization: &cda.Organization{ID: cda.II{Root: cda.OIDIdNatStruct, Extension: "1750803447"}, Name: "Cabinet du Parc"},
		}},
		PracticeSetting: cda.PracticeAmbulatoire,
		Encounter:       cda.Encounter{FacilityType: cda.FacilityCabinetIndividuel},
		Content:         content,
	})
}

// ListeBlanche returns an ANS liste blanche listing domains, generated on
// 20 November 2026, one entry per domain, without the closing root tag as
// the ANS publishes it.
func ListeBlanche(domains ...string) string {
	var b strings.Builder
	b.WriteString(`<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">` +
		`<DateDeGeneration>2026-11-20T08:00:00Z</DateDeGeneration><ListeDomaines>`)
	for _, d := range domains {
		b.WriteString("<Domaine><Nom>" + d + "</Nom><Description>test</Description>" +
			"<DNCertificatOperateur>CN=smtp." + d + "</DNCertificatOperateur>" +
			"<ResponsableContact>admin@" + d + "</ResponsableContact><SupportContact>support@" + d + "</SupportContact>" +
			"<DateMAJ>2026-01-01T00:00:00Z</DateMAJ></Domaine>")
	}
	b.WriteString("</ListeDomaines>\n")
	return b.String()
}
