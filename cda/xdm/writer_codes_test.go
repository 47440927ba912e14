package xdm

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda"
)

// n3CDA turns an encoded N1 document into an N3 one of model template
// (structuredBody, the model templateId in place of IHE XDS-SD).
func n3CDA(t *testing.T, template string, mod func(*cda.N1)) []byte {
	t.Helper()
	doc := testCDA(t, testPatient(), cda.TypeCRConsultation, mod)
	doc = bytes.Replace(doc, []byte(`root="`+cda.TemplateXDSSD+`"`), []byte(`root="`+template+`"`), 1)
	i := bytes.Index(doc, []byte("<component>"))
	return append(doc[:i:i], "<component><structuredBody/></component></ClinicalDocument>"...)
}

// selfPresenting wraps a document in xsl:stylesheet, as the ANS
// "auto-présentable" examples are.
func selfPresenting(doc []byte) []byte {
	body := doc[bytes.Index(doc, []byte("<ClinicalDocument")):]
	return append([]byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><data>`),
		append(body, "</data></xsl:stylesheet>"...)...)
}

// TestAddFormatCode: a document whose model is in no ANS table is refused,
// naming its templateId, unless the caller sets the formatCode or asks
// for "document non référencé IHE ou CI-SIS".
func TestAddFormatCode(t *testing.T) {
	unknown := n3CDA(t, "1.2.3.4.5.6.7.8", nil)
	var out bytes.Buffer
	w := NewWriter(&out, nil)
	_, err := w.Add(bytes.NewReader(unknown), nil)
	var me *cda.UnknownModelError
	if !errors.Is(err, cda.ErrUnknownModel) || !errors.As(err, &me) || me.TemplateIDs[0] != "1.2.3.4.5.6.7.8" ||
		!strings.Contains(err.Error(), "1.2.3.4.5.6.7.8") {
		t.Fatalf("unknown model: %v", err)
	}
	// Nothing was written: the package goes on.
	ldl := n3CDA(t, "1.2.250.1.213.1.1.1.29", nil)
	e, err := w.Add(bytes.NewReader(ldl), nil)
	if err != nil || e.URI != "DOC0001.XML" || e.FormatCode.Code != "urn:asip:ci-sis:ldl-ses:2017" ||
		e.FormatCode.CodeSystem != cda.OIDFormatCodeComp || e.FormatCode.DisplayName == "" {
		t.Fatalf("LDL-SES: %+v %v", e, err)
	}
	mine := cda.Code{Code: "urn:ihe:pcc:ips:2020", CodeSystem: cda.OIDIHEFormatCode, DisplayName: "Synthèse médicale"}
	if e, err := w.Add(bytes.NewReader(unknown), &DocumentOptions{FormatCode: mine}); err != nil || e.FormatCode != mine {
		t.Fatalf("caller's formatCode: %+v %v", e, err)
	}
	if e, err := w.Add(bytes.NewReader(unknown), &DocumentOptions{UnreferencedModel: true}); err != nil || e.FormatCode != cda.FormatUnreferenced {
		t.Fatalf("unreferenced model: %+v %v", e, err)
	}
	if e, err := w.Add(bytes.NewReader(ldl), &DocumentOptions{UnreferencedModel: true}); err != nil || e.FormatCode.Code != "urn:asip:ci-sis:ldl-ses:2017" {
		t.Fatalf("UnreferencedModel on a known model: %+v %v", e, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p, err := Read(bytes.NewReader(out.Bytes()), int64(out.Len()), nil)
	if err != nil || len(p.Documents) != 4 {
		t.Fatalf("read back: %v", err)
	}
	if got := p.Documents[2].FormatCode.Code; got != cda.FormatUnreferenced.Code {
		t.Errorf("read back formatCode %s", got)
	}

	// Options.UnreferencedModels: for every document of the package.
	w = NewWriter(&bytes.Buffer{}, &Options{UnreferencedModels: true})
	if e, err := w.Add(bytes.NewReader(unknown), nil); err != nil || e.FormatCode != cda.FormatUnreferenced {
		t.Fatalf("Options.UnreferencedModels: %+v %v", e, err)
	}
	// An N1 body whose media type ASS_A12 does not list.
	png := bytes.Replace(testCDA(t, testPatient(), cda.TypeCRConsultation, nil), []byte(`mediaType="application/pdf"`), []byte(`mediaType="image/png"`), 1)
	if _, err := NewWriter(&bytes.Buffer{}, nil).Add(bytes.NewReader(png), nil); !errors.As(err, &me) || me.MediaType != "image/png" {
		t.Fatalf("N1 image/png: %v", err)
	}
}

// TestContentType: the submission set contentTypeCode is a JDV_J03 code,
// never the document's LOINC type; the caller may set it.
func TestContentType(t *testing.T) {
	hospital := testCDA(t, testPatient(), cda.TypeLettreLiaisonSortie, func(n *cda.N1) {
		n.Encounter.Code = cda.Code{Code: "IMP", CodeSystem: cda.OIDEncounterType, DisplayName: "Hospitalisation"}
	})
	tests := []struct {
		name string
		opts *Options
		doc  []byte
		want cda.Code
	}{
		{"no encounter type", nil, testCDA(t, testPatient(), cda.TypeCRConsultation, nil), cda.ContentIndifferencie},
		{"inpatient", nil, hospital, cda.ContentHospitalisationComplete},
		{"caller's", &Options{ContentType: cda.ContentCabinetIndividuel}, hospital, cda.ContentCabinetIndividuel},
	}
	for _, tt := range tests {
		w := NewWriter(&bytes.Buffer{}, tt.opts)
		if _, err := w.Add(bytes.NewReader(tt.doc), nil); err != nil {
			t.Fatal(err)
		}
		ss, err := w.SubmissionSet()
		if err != nil || ss.ContentType != tt.want {
			t.Errorf("%s: %+v %v, want %+v", tt.name, ss.ContentType, err, tt.want)
		}
		if _, ok := cda.LookupContentType(ss.ContentType.Code, ss.ContentType.CodeSystem); !ok {
			t.Errorf("%s: %+v not in JDV_J03", tt.name, ss.ContentType)
		}
	}
}

// TestSelfPresentingMimeType: a CDA whose root is xsl:stylesheet is
// labelled application/xslt+xml (CI-SIS), in the entry and in METADATA.XML.
func TestSelfPresentingMimeType(t *testing.T) {
	plain := testCDA(t, testPatient(), cda.TypeCRConsultation, nil)
	var out bytes.Buffer
	w := NewWriter(&out, nil)
	e1, err := w.Add(bytes.NewReader(plain), nil)
	if err != nil {
		t.Fatal(err)
	}
	e2, err := w.Add(bytes.NewReader(selfPresenting(plain)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if e1.MimeType != "text/xml" || e2.MimeType != "application/xslt+xml" {
		t.Fatalf("mime types %s %s", e1.MimeType, e2.MimeType)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p, err := Read(bytes.NewReader(out.Bytes()), int64(out.Len()), nil)
	if err != nil || len(p.Documents) != 2 || p.Documents[1].MimeType != "application/xslt+xml" {
		t.Fatalf("read back: %v", err)
	}
}
