package cda

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// FuzzParse feeds Parse arbitrary input: it must never panic, and whatever
// it returns must survive Validate, Encode and a second Parse.
func FuzzParse(f *testing.F) {
	d, err := NewN1(testN1(f, []byte("%PDF-1.4 seed")))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(encode(f, d))
	f.Add([]byte(n3Doc))
	f.Add([]byte(`<ClinicalDocument><component><nonXMLBody><text representation="B64">SGVs<![CDATA[bG8=]]></text></nonXMLBody></component></ClinicalDocument>`))
	f.Add([]byte(`<ClinicalDocument><recordTarget><patientRole><id root="1.2.250.1.213.1.4.8" extension="1"/></patientRole></recordTarget></ClinicalDocument>`))
	f.Add([]byte(`<a><ClinicalDocument><component><structuredBody/></component></ClinicalDocument></a>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(bytes.NewReader(data), &ParseOptions{MaxHeaderSize: 1 << 16, MaxStructuredBody: 1 << 16})
		if err != nil {
			return
		}
		if d.Body.Content != nil {
			io.Copy(io.Discard, io.LimitReader(d.Body.Content, 1<<20))
			d.Body.Content = strings.NewReader("x")
		}
		Validate(d)
		d.Patient.INSQualified()
		d.ActTime().UTC()
		FormatCodeFor(d)
		if d.Body.Kind == BodyNone {
			return
		}
		var out bytes.Buffer
		if err := d.Encode(&out); err != nil {
			t.Fatalf("Encode of a parsed document: %v", err)
		}
	})
}
