package mail_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/cda/xdm"
	"github.com/mssante-go/sdk/internal/testdocs"
	"github.com/mssante-go/sdk/mssante/mail"
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

func bytesSource(b []byte) mail.CDASource {
	return mail.CDASource{Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }}
}

func TestDocumentMailFromCDA(t *testing.T) {
	pdf1 := []byte("%PDF-1.4 lettre de liaison " + strings.Repeat("x", 5000))
	pdf2 := []byte("%PDF-1.4 consultation")
	set, err := mail.NewDocumentSet([]mail.CDASource{
		bytesSource(n1(t, "279035121518989", "FIGATELLIX", pdf1)),
		bytesSource(n1(t, "279035121518989", "FIGATELLIX", pdf2)),
	}, &mail.DocumentSetOptions{SourceID: "1.2.250.1.999.1"})
	if err != nil {
		t.Fatal(err)
	}
	msg := &mail.Message{
		From:      mail.MustParseAddress("alice.martin@medecin.mssante.fr"),
		To:        []mail.Address{mail.MustParseAddress("279035121518989@patient.mssante.fr")},
		Cc:        []mail.Address{mail.MustParseAddress("dr.b@ch-test.mssante.fr")},
		Bcc:       []mail.Address{mail.MustParseAddress("archive@ch-test.mssante.fr")},
		Documents: set, ProductRef: "DEV935997",
	}
	var raw bytes.Buffer
	if err := msg.Encode(&raw, nil); err != nil {
		t.Fatal(err)
	}
	got, err := mail.Parse(&raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	code := cda.TypeCRConsultation.Code
	if strings.Join(got.CDACodes, ",") != code+","+code || got.INS != mail.INSQualified {
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
	if _, err := mail.NewDocumentSet([]mail.CDASource{bytesSource(a), bytesSource(b)}, nil); !errors.Is(err, mail.ErrSeveralPatients) {
		t.Errorf("two patients: %v", err)
	}
	if _, err := mail.NewDocumentSet(nil, nil); !errors.Is(err, mail.ErrNoDocuments) {
		t.Errorf("none: %v", err)
	}
	if _, err := mail.NewDocumentSet([]mail.CDASource{bytesSource([]byte("<not-cda/>"))}, nil); err == nil {
		t.Error("not a CDA accepted")
	}
}

// n3Unknown is an N3 document of a model in no ANS table (templateId
// 1.2.3.4.5.6.7.8), with its PDF copy.
func n3Unknown(t *testing.T) mail.CDASource {
	t.Helper()
	doc := n1(t, "279035121518989", "FIGATELLIX", []byte("%PDF-1.4 x"))
	doc = bytes.Replace(doc, []byte(`root="`+cda.TemplateXDSSD+`"`), []byte(`root="1.2.3.4.5.6.7.8"`), 1)
	i := bytes.Index(doc, []byte("<component>"))
	doc = append(doc[:i:i], "<component><structuredBody/></component></ClinicalDocument>"...)
	src := bytesSource(doc)
	src.PDF = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader([]byte("%PDF-1.4 copy"))), nil }
	return src
}

// TestDocumentSetXDSCodes: a model in no ANS table is refused when the set
// is made, before any mail is built; the caller's formatCode or
// "document non référencé" and the contentTypeCode reach METADATA.XML.
func TestDocumentSetXDSCodes(t *testing.T) {
	_, err := mail.NewDocumentSet([]mail.CDASource{n3Unknown(t)}, nil)
	var de *mail.DocumentError
	var me *cda.UnknownModelError
	if !errors.As(err, &de) || de.Index != 0 || !errors.As(err, &me) || !errors.Is(err, cda.ErrUnknownModel) {
		t.Fatalf("unknown model: %v", err)
	}

	ips := cda.Code{Code: "urn:ihe:pcc:ips:2020", CodeSystem: cda.OIDIHEFormatCode, DisplayName: "Synthèse médicale"}
	withFormat := n3Unknown(t)
	withFormat.FormatCode = ips
	tests := []struct {
		name    string
		src     mail.CDASource
		opts    *mail.DocumentSetOptions
		format  cda.Code
		content cda.Code
	}{
		{"caller's formatCode", withFormat, nil, ips, cda.ContentIndifferencie},
		{"unreferenced", n3Unknown(t), &mail.DocumentSetOptions{UnreferencedModels: true, ContentType: cda.ContentCabinetIndividuel},
			cda.FormatUnreferenced, cda.ContentCabinetIndividuel},
		{"N1", bytesSource(n1(t, "279035121518989", "FIGATELLIX", []byte("%PDF-1.4 y"))), nil,
			cda.Code{Code: "urn:ihe:iti:xds-sd:pdf:2008", CodeSystem: cda.OIDIHEFormatCode, DisplayName: "Document à corps non structuré en Pdf/A-1"},
			cda.ContentIndifferencie},
	}
	for _, tt := range tests {
		set, err := mail.NewDocumentSet([]mail.CDASource{tt.src}, tt.opts)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var zip bytes.Buffer
		if err := set.WriteXDM(&zip, []string{"dr.b@ch-test.mssante.fr"}); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		p, err := xdm.Read(bytes.NewReader(zip.Bytes()), int64(zip.Len()), nil)
		if err != nil || len(p.Documents) != 1 || len(p.SubmissionSets) != 1 {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := p.Documents[0].FormatCode; got != tt.format {
			t.Errorf("%s: formatCode %+v, want %+v", tt.name, got, tt.format)
		}
		if got := p.SubmissionSets[0].ContentType; got != tt.content {
			t.Errorf("%s: contentTypeCode %+v, want %+v", tt.name, got, tt.content)
		}
	}
}
