package xdm

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/cda"
)

// Every file of the archive carries the submission time (zip.Writer's
// Create would leave month 0, "1980-00-00"), README.TXT names the
// application, its version and a contact (IHE ITI-32), and an archive built
// twice with the same options is the same bytes.
func TestArchiveDatesAndReadme(t *testing.T) {
	at := time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)
	opts := &Options{SubmissionTime: at, SubmissionSetID: "1.2.3.4.5", SourceID: "1.2.3.99",
		Vendor: "Logiciel DPI", VendorVersion: "4.2.1", Contact: "support@editeur.example\r\nX-Injected: 1"}
	doc := testCDA(t, testPatient(), cda.TypeCRConsultation, nil)
	first := build(t, opts, doc)
	zr, err := zip.NewReader(bytes.NewReader(first), int64(len(first)))
	if err != nil {
		t.Fatal(err)
	}
	var readme string
	for _, f := range zr.File {
		if !f.Modified.Equal(at) {
			t.Errorf("%s: modified %v, want %v", f.Name, f.Modified, at)
		}
		if month := f.ModifiedDate >> 5 & 0xf; month < 1 || month > 12 {
			t.Errorf("%s: MS-DOS month %d", f.Name, month)
		}
		if f.Name == ReadmeName {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			readme = string(b)
		}
	}
	for _, want := range []string{"Created by: Logiciel DPI, version 4.2.1\r\n", "Contact: support@editeur.example  X-Injected: 1\r\n", "Created on: 2026-11-26 10:30:00 UTC"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.TXT lacks %q:\n%s", want, readme)
		}
	}
	if again := build(t, opts, doc); !bytes.Equal(again, first) {
		t.Error("the same documents and options gave two different archives")
	}

	// Defaults: this SDK and the module's version ("devel" in a test).
	def := build(t, &Options{SubmissionTime: at}, doc)
	zr, _ = zip.NewReader(bytes.NewReader(def), int64(len(def)))
	for _, f := range zr.File {
		if f.Name == ReadmeName {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			if !strings.Contains(string(b), "Created by: MSSanté Go SDK, version devel\r\nContact: not given\r\n") {
				t.Errorf("default README.TXT:\n%s", b)
			}
		}
	}
}
