package xdm

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/internal/testenv"
)

// The ANS example documents (TestContenuCDA kit) and the ebRS 3.0 schema
// are in ../shared/testdata-external (see its README-cda-xdm.md); without
// them the tests skip, or fail under CI (internal/testenv).

// ebrsSchema returns the ebRS 3.0 lcm.xsd.
func ebrsSchema(t *testing.T) string {
	t.Helper()
	return testenv.SharedDir(t, "oasis-ebrs30-via-ipf", "schema", "ebRS30", "lcm.xsd")
}

// exampleCDAs returns the ANS example documents (testenv.CDAExamples).
func exampleCDAs(t *testing.T) []string {
	t.Helper()
	_, files := testenv.CDAExamples(t)
	return files
}

// rimMetadata is what the test reads back from METADATA.XML (local names:
// encoding/xml matches them in any namespace).
type rimMetadata struct {
	Entries []struct {
		ID       string          `xml:"id,attr"`
		MimeType string          `xml:"mimeType,attr"`
		Coded    []rimClassified `xml:"Classification"`
	} `xml:"RegistryObjectList>ExtrinsicObject"`
	Sets []struct {
		Coded []rimClassified `xml:"Classification"`
	} `xml:"RegistryObjectList>RegistryPackage"`
}

type rimClassified struct {
	Scheme string   `xml:"classificationScheme,attr"`
	Code   string   `xml:"nodeRepresentation,attr"`
	Coding []string `xml:"Slot>ValueList>Value"`
	Name   struct {
		Value string `xml:"value,attr"`
	} `xml:"Name>LocalizedString"`
}

func (m *rimMetadata) coded(list []rimClassified, scheme string) (rimClassified, bool) {
	for _, c := range list {
		if c.Scheme == scheme {
			return c, true
		}
	}
	return rimClassified{}, false
}

// metadataOf builds a one-document package and returns its METADATA.XML.
func metadataOf(t *testing.T, name string) ([]byte, *cda.Document) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	w := NewWriter(&out, &Options{SourceID: "1.2.250.1.999.1", SubmissionTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	if _, err := w.Add(f, nil); err != nil {
		t.Fatalf("%s: %v", filepath.Base(name), err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	doc := w.Headers()[0]
	zr, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if zf.Name == SubsetDir+MetadataName {
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			meta, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			return meta, doc
		}
	}
	t.Fatal("no METADATA.XML")
	return nil, nil
}

// TestExamplesMetadata: every document of the ANS example kit gives a
// METADATA.XML valid against the ebRS 3.0 schema, with the coded
// attributes the CI-SIS requires (issue 14 §3): formatCode (JDV_J10),
// classCode, typeCode, confidentialityCode, healthcareFacilityTypeCode,
// practiceSettingCode, and a submission set contentTypeCode of JDV_J03.
func TestExamplesMetadata(t *testing.T) {
	files := exampleCDAs(t)
	dir := t.TempDir()
	var written []string
	selfPresenting := 0
	for _, name := range files {
		base := filepath.Base(name)
		meta, doc := metadataOf(t, name)
		var m rimMetadata
		if err := xml.Unmarshal(meta, &m); err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		if len(m.Entries) != 1 || len(m.Sets) != 1 {
			t.Fatalf("%s: %d entries, %d submission sets", base, len(m.Entries), len(m.Sets))
		}
		e := m.Entries[0]
		for _, want := range []struct{ what, scheme string }{
			{"formatCode", schemeDEFormatCode},
			{"classCode", schemeDEClassCode},
			{"typeCode", schemeDETypeCode},
			{"confidentialityCode", schemeDEConfidentiality},
			{"healthcareFacilityTypeCode", schemeDEFacilityType},
			{"practiceSettingCode", schemeDEPracticeSetting},
		} {
			c, ok := m.coded(e.Coded, want.scheme)
			if !ok || c.Code == "" || len(c.Coding) != 1 || c.Coding[0] == "" || c.Name.Value == "" {
				t.Errorf("%s: %s missing or incomplete: %+v", base, want.what, c)
			}
		}
		if f, _ := m.coded(e.Coded, schemeDEFormatCode); true {
			if j, ok := cda.LookupFormatCode(f.Code); !ok || j.CodeSystem != f.Coding[0] {
				t.Errorf("%s: formatCode %s (%v) is not in JDV_J10", base, f.Code, f.Coding)
			}
		}
		if c, _ := m.coded(e.Coded, schemeDETypeCode); c.Code != doc.Code.Code {
			t.Errorf("%s: typeCode %s, document %s", base, c.Code, doc.Code.Code)
		}
		ct, ok := m.coded(m.Sets[0].Coded, schemeSSContentType)
		if !ok || len(ct.Coding) != 1 {
			t.Errorf("%s: no contentTypeCode", base)
		} else if j, ok := cda.LookupContentType(ct.Code, ct.Coding[0]); !ok || j.DisplayName != ct.Name.Value {
			t.Errorf("%s: contentTypeCode %s (%v) is not in JDV_J03", base, ct.Code, ct.Coding)
		}
		wantMime := "text/xml"
		if doc.Wrapper == cda.WrapperStylesheet {
			wantMime = "application/xslt+xml"
			selfPresenting++
		}
		if e.MimeType != wantMime {
			t.Errorf("%s: mimeType %s, want %s", base, e.MimeType, wantMime)
		}
		out := filepath.Join(dir, fmt.Sprintf("%03d-METADATA.XML", len(written)))
		if err := os.WriteFile(out, meta, 0o600); err != nil {
			t.Fatal(err)
		}
		written = append(written, out)
	}
	if selfPresenting == 0 && os.Getenv("MSSANTE_CDA_EXAMPLES") == "" {
		t.Error("the kit's self-presenting documents (root xsl:stylesheet) were not seen as such")
	}

	ebrsLCM := ebrsSchema(t)
	testenv.LookPath(t, "xmllint", "libxml2-utils")
	// One xmllint run for all the files; it names each invalid one.
	args := append([]string{"--noout", "--nonet", "--schema", ebrsLCM}, written...)
	if out, err := exec.Command("xmllint", args...).CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s", err, clipOutput(out))
	}
	t.Logf("%d METADATA.XML valid against ebRS 3.0 lcm.xsd", len(written))
}

func clipOutput(b []byte) string {
	if s := string(b); len(s) > 4000 {
		return s[:4000] + "..."
	}
	return strings.TrimSpace(string(b))
}
