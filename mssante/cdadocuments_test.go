package mssante_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/cda/xdm"
	"github.com/mssante-go/sdk/internal/testdocs"
	"github.com/mssante-go/sdk/mssante"
)

// n1 builds an N1 CDA around pdf for the patient with INS ins.
func n1(t *testing.T, ins, family string, pdf []byte) []byte {
	t.Helper()
	b, err := testdocs.N1(testdocs.Options{INS: ins, Family: family}, bytes.NewReader(pdf))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bytesSource(b []byte) mssante.CDASource {
	return mssante.CDASource{Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }}
}

func TestDocumentMailFromCDA(t *testing.T) {
	pdf1 := []byte("%PDF-1.4 lettre de liaison " + strings.Repeat("x", 5000))
	pdf2 := []byte("%PDF-1.4 consultation")
	set, err := mssante.NewDocumentSet([]mssante.CDASource{
		bytesSource(n1(t, "279035121518989", "FIGATELLIX", pdf1)),
		bytesSource(n1(t, "279035121518989", "FIGATELLIX", pdf2)),
	}, &mssante.DocumentSetOptions{SourceID: "1.2.250.1.999.1"})
	if err != nil {
		t.Fatal(err)
	}
	msg := &mssante.Message{
		From:      mssante.MustParseAddress("alice.martin@medecin.mssante.fr"),
		To:        []mssante.Address{mssante.MustParseAddress("279035121518989@patient.mssante.fr")},
		Cc:        []mssante.Address{mssante.MustParseAddress("dr.b@ch-test.mssante.fr")},
		Bcc:       []mssante.Address{mssante.MustParseAddress("archive@ch-test.mssante.fr")},
		Documents: set, ProductRef: "DEV935997",
	}
	var raw bytes.Buffer
	if err := msg.Encode(&raw, nil); err != nil {
		t.Fatal(err)
	}
	got, err := mssante.Parse(&raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	code := cda.TypeCRConsultation.Code
	if strings.Join(got.CDACodes, ",") != code+","+code || got.INS != mssante.INSQualified {
		t.Fatalf("X-MSS-CODECDA %v X-MSS-INS %q", got.CDACodes, got.INS)
	}
	if !strings.HasPrefix(got.Subject, "XDM/1.0/DDM+CR ou fiche de consultation ou de visite FIGATELLIX CORSE 12/10/1988") {
		t.Fatalf("subject %q", got.Subject)
	}
	if len(got.Attachments) != 3 {
		t.Fatalf("%d attachments", len(got.Attachments))
	}
	// The PDF copies are the embedded PDFs, byte for byte.
	for i, want := range [][]byte{pdf1, pdf2} {
		a := got.Attachments[i+1]
		rc, _ := a.Open()
		b, _ := io.ReadAll(rc)
		if !bytes.Equal(b, want) || !strings.HasPrefix(a.Filename, "20261120_CR ou fiche de consultation ou de visite_FIGATELLIX_CORSE") {
			t.Errorf("PDF copy %d: %q (%d bytes)", i, a.Filename, len(b))
		}
	}
	// The archive reads back with both documents, hashes verified, the
	// mail recipients (not Bcc) as intended recipients.
	zipAtt := got.XDM()
	rc, _ := zipAtt.Open()
	zb, _ := io.ReadAll(rc)
	pkg, err := xdm.Read(bytes.NewReader(zb), int64(len(zb)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pkg.Verify(); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if len(pkg.Documents) != 2 || len(pkg.SubmissionSets) != 1 {
		t.Fatalf("%d documents, %d submission sets in the archive", len(pkg.Documents), len(pkg.SubmissionSets))
	}
	rcpts := strings.Join(pkg.SubmissionSets[0].IntendedRecipients, " ")
	if !strings.Contains(rcpts, "279035121518989@patient.mssante.fr") || !strings.Contains(rcpts, "dr.b@ch-test.mssante.fr") || strings.Contains(rcpts, "archive@") {
		t.Fatalf("intended recipients %q", rcpts)
	}
	if ins, ok := pkg.PatientINS(); !ok || ins.Matricule != "279035121518989" {
		t.Fatalf("patient INS %v %v", ins, ok)
	}
}

func TestDocumentSetErrors(t *testing.T) {
	a := n1(t, "279035121518989", "FIGATELLIX", []byte("%PDF a"))
	b := n1(t, "146026322000196", "DUPONT", []byte("%PDF b"))
	if _, err := mssante.NewDocumentSet([]mssante.CDASource{bytesSource(a), bytesSource(b)}, nil); !errors.Is(err, mssante.ErrSeveralPatients) {
		t.Errorf("two patients: %v", err)
	}
	if _, err := mssante.NewDocumentSet(nil, nil); !errors.Is(err, mssante.ErrNoDocuments) {
		t.Errorf("none: %v", err)
	}
	if _, err := mssante.NewDocumentSet([]mssante.CDASource{bytesSource([]byte("<not-cda/>"))}, nil); err == nil {
		t.Error("not a CDA accepted")
	}
}
