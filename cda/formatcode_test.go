package cda

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// n3 turns an encoded N1 document into an N3 one of model template.
func n3(t *testing.T, template string) *Document {
	t.Helper()
	d, err := NewN1(testN1(t, []byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	doc := encode(t, d)
	doc = bytes.Replace(doc, []byte(`root="`+TemplateXDSSD+`"`), []byte(`root="`+template+`"`), 1)
	i := bytes.Index(doc, []byte("<component>"))
	doc = append(doc[:i:i], "<component><structuredBody/></component></ClinicalDocument>"...)
	out, err := Parse(bytes.NewReader(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Body.Kind != BodyStructured {
		t.Fatalf("body %v", out.Body.Kind)
	}
	return out
}

func TestFormatCode(t *testing.T) {
	n1, err := NewN1(testN1(t, []byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		doc  *Document
		want string
	}{
		{"N1 PDF (ASS_A12)", n1, "urn:ihe:iti:xds-sd:pdf:2008"},
		{"LDL-SES (ASS_A11, TRE_A06)", n3(t, "1.2.250.1.213.1.1.1.29"), "urn:asip:ci-sis:ldl-ses:2017"},
		{"CR-BIO (ASS_A11, TRE_A11)", n3(t, "1.2.250.1.213.1.1.1.55"), "urn:ihe:lab:xd-lab:2008"},
		{"CSE-CS24", n3(t, "1.2.250.1.213.1.1.1.5.3"), "urn:asip:ci-sis:cse-cs24:2017"},
		{"BIO-TROD (later ANS row)", n3(t, "1.2.250.1.213.1.1.1.59"), "urn:ans:ci-sis:trod:2024"},
	}
	for _, tt := range tests {
		f, err := FormatCode(tt.doc)
		if err != nil || f.Code != tt.want || f.DisplayName == "" || f.CodeSystem == "" {
			t.Errorf("%s: %+v %v, want %s", tt.name, f, err, tt.want)
		}
	}

	// A model in no table: a typed error naming the templateId.
	_, err = FormatCode(n3(t, "1.2.3.4.5.6.7.8"))
	var me *UnknownModelError
	if !errors.Is(err, ErrUnknownModel) || !errors.As(err, &me) || len(me.TemplateIDs) != 1 ||
		me.TemplateIDs[0] != "1.2.3.4.5.6.7.8" || !strings.Contains(err.Error(), `"1.2.3.4.5.6.7.8"`) {
		t.Errorf("unknown model: %v (%+v)", err, me)
	}
	if _, ok := FormatCodeFor(n3(t, "1.2.3.4.5.6.7.8")); ok {
		t.Error("FormatCodeFor: ok for an unknown model")
	}
	// An N1 body of a media type ASS_A12 does not list.
	n1.Body.MediaType = "image/png"
	if _, err := FormatCode(n1); !errors.As(err, &me) || me.MediaType != "image/png" || !strings.Contains(err.Error(), "ASS_A12") {
		t.Errorf("unknown media type: %v", err)
	}
	// The error quotes a bounded part of hostile input.
	long := strings.Repeat("9", 5000)
	if _, err := FormatCode(&Document{TemplateIDs: []II{{Root: long}, {Root: "1"}, {Root: "2"}, {Root: "3"}}, Body: Body{Kind: BodyStructured}}); err == nil || len(err.Error()) > 300 {
		t.Errorf("error of %d bytes", len(err.Error()))
	}
}

// TestXDSTables checks the generated tables against each other: every
// formatCode of ASS_A11 and ASS_A12 is a JDV_J10 concept, and the
// constants match their value sets.
func TestXDSTables(t *testing.T) {
	if len(formatOfTemplate) < 50 || len(formatOfMedia) != 5 {
		t.Errorf("%d models, %d media types", len(formatOfTemplate), len(formatOfMedia))
	}
	for k, f := range formatOfTemplate {
		if j, ok := LookupFormatCode(f.Code); !ok || j.CodeSystem != f.CodeSystem {
			t.Errorf("ASS_A11 %s: %+v not in JDV_J10", k, f)
		}
	}
	for k, f := range formatOfMedia {
		if j, ok := LookupFormatCode(f.Code); !ok || j != f || f.CodeSystem != OIDIHEFormatCode {
			t.Errorf("ASS_A12 %s: %+v", k, f)
		}
	}
	if j, ok := LookupFormatCode(FormatUnreferenced.Code); !ok || j != FormatUnreferenced {
		t.Errorf("FormatUnreferenced %+v, JDV_J10 %+v", FormatUnreferenced, j)
	}
	if len(FormatCodes()) < 70 {
		t.Errorf("JDV_J10: %d codes", len(FormatCodes()))
	}
	for _, c := range []Code{ContentHospitalisationComplete, ContentHospitalisationJour, ContentConsultationsExternes,
		ContentTraitementAmbulatoire, ContentIndifferencie, ContentCabinetIndividuel, ContentCabinetGroupe, ContentExpressionPatient} {
		if j, ok := LookupContentType(c.Code, c.CodeSystem); !ok || j != c {
			t.Errorf("constant %+v, JDV_J03 %+v", c, j)
		}
	}
	systems := map[string]int{}
	for _, c := range ContentTypes() {
		systems[c.CodeSystem]++
	}
	if systems[OIDTypeActivite] != 33 || systems[OIDSecteurActivite] < 50 || systems[OIDNonPSProducer] != 1 || systems[OIDFormeActivite] != 1 {
		t.Errorf("JDV_J03 by code system: %v", systems)
	}
	if _, ok := LookupContentType("11488-4", ""); ok {
		t.Error("a LOINC type code is not a content type")
	}
}

func TestContentTypeFor(t *testing.T) {
	for enc, want := range map[string]Code{
		"IMP": ContentHospitalisationComplete, "AMB": ContentConsultationsExternes, "EMER": ContentConsultationsExternes,
		"EXTERNE": ContentConsultationsExternes, "SEANCE": ContentTraitementAmbulatoire, "VR": ContentIndifferencie, "": ContentIndifferencie,
	} {
		d := &Document{Encounter: Encounter{Code: Code{Code: enc}}}
		if got := ContentTypeFor(d); got != want {
			t.Errorf("%q: %+v, want %+v", enc, got, want)
		}
	}
}

func TestWrapperMimeType(t *testing.T) {
	d, err := NewN1(testN1(t, []byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	doc := encode(t, d)
	body := doc[bytes.Index(doc, []byte("<ClinicalDocument")):]
	tests := []struct {
		name string
		doc  string
		want Wrapper
		mime string
	}{
		{"plain", string(doc), WrapperNone, "text/xml"},
		{"self-presenting", `<?xml version="1.0"?><xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><data>` +
			string(body) + `</data></xsl:stylesheet>`, WrapperStylesheet, "application/xslt+xml"},
		{"signed", `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:Object>` + string(body) + `</ds:Object></ds:Signature>`,
			WrapperSignature, "text/xml"},
		{"other", `<wrap>` + string(body) + `</wrap>`, WrapperOther, "text/xml"},
	}
	for _, tt := range tests {
		got, err := Parse(strings.NewReader(tt.doc), &ParseOptions{HeaderOnly: true})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got.Wrapper != tt.want || got.MimeType() != tt.mime {
			t.Errorf("%s: wrapper %v mime %s", tt.name, got.Wrapper, got.MimeType())
		}
	}
}
