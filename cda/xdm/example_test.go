package xdm_test

import (
	"bytes"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/cda/xdm"
)

// A document mail carries one IHE_XDM.ZIP built from its CDA documents.
func ExampleWriter() {
	doc, err := cda.NewN1(cda.N1{
		Type: cda.TypeCRConsultation,
		Time: time.Date(2025, 3, 14, 10, 30, 0, 0, time.UTC),
		Patient: cda.Patient{
			INS:         &cda.INS{Matricule: "279035121518989", Kind: cda.INSTest},
			BirthFamily: "PAT-TROIS", BirthGivens: "DOMINIQUE", FirstGiven: "DOMINIQUE",
			Gender: "F", BirthDate: "19790328", BirthplaceCode: "51215",
		},
		Authors: []cda.Author{{
			ID:           cda.II{Root: cda.OIDIdNatPS, Extension: "801234567897"},
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
	var cdaXML bytes.Buffer
	if err := doc.Encode(&cdaXML); err != nil {
		log.Fatal(err)
	}

	var zip bytes.Buffer // a file or the mail part in real use
	w := xdm.NewWriter(&zip, &xdm.Options{Recipients: []string{"dr.martin@medecin.mssante.fr"}})
	entry, err := w.Add(&cdaXML, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(entry.URI, entry.TypeCode.Code, entry.ClassCode.Code, entry.FormatCode.Code)
	fmt.Println(entry.PatientID)

	pkg, err := xdm.Read(bytes.NewReader(zip.Bytes()), int64(zip.Len()), nil)
	if err != nil {
		log.Fatal(err)
	}
	ins, _ := pkg.PatientINS()
	fmt.Println(len(pkg.Documents), pkg.Documents[0].HashOK, ins.Matricule)
	// Output:
	// DOC0001.XML 11488-4 10 urn:ihe:iti:xds-sd:pdf:2008
	// 279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH
	// 1 true 279035121518989
}
