package mail_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/cda/xdm"
	"github.com/mssante-go/sdk/mssante/mail"
)

const (
	testINS   = "279035121518989"
	otherINS  = "146026322000196"
	copyStart = "20261120_CR ou fiche de consultation ou de visite_FIGATELLIX_CORSE"
)

// documentSet returns a document set of N1 documents around pdfs, for the
// test patient, and the CDA of each.
func documentSet(t *testing.T, pdfs ...[]byte) (mail.DocumentSet, [][]byte) {
	t.Helper()
	var srcs []mail.CDASource
	var cdas [][]byte
	for _, p := range pdfs {
		c := n1(t, testINS, "FIGATELLIX", p)
		cdas = append(cdas, c)
		srcs = append(srcs, bytesSource(c))
	}
	set, err := mail.NewDocumentSet(srcs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return set, cdas
}

// encodeDocumentMail encodes a document mail carrying set.
func encodeDocumentMail(t *testing.T, set mail.DocumentSet) []byte {
	t.Helper()
	msg := &mail.Message{
		From:      mail.MustParseAddress("alice.martin@medecin.mssante.fr"),
		To:        []mail.Address{mail.MustParseAddress("dr.b@ch-test.mssante.fr")},
		Text:      "Lettre ci-jointe.",
		Documents: set,
	}
	var raw bytes.Buffer
	if err := msg.Encode(&raw, nil); err != nil {
		t.Fatal(err)
	}
	return raw.Bytes()
}

// archive returns the IHE_XDM.ZIP of a document set.
func archive(t *testing.T, set mail.DocumentSet) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := set.WriteXDM(&b, []string{"dr.b@ch-test.mssante.fr"}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// rewriteZip copies an archive, passing each entry through edit (which
// may rename it or change its content).
func rewriteZip(t *testing.T, in []byte, edit func(name string, b []byte) (string, []byte)) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		name, b := edit(f.Name, b)
		if name == "" {
			continue
		}
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func isCDAEntry(name string) bool {
	return strings.HasSuffix(name, ".XML") && !strings.HasSuffix(name, "METADATA.XML")
}

func readAll(t *testing.T, open func() (io.ReadCloser, error)) []byte {
	t.Helper()
	rc, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReadDocuments: a document mail made with NewDocumentSet and parsed
// back, kept in memory, parsed in place, spooled to disk: one call gives
// each document's metadata, header, patient, PDF copy and body, checked.
func TestReadDocuments(t *testing.T) {
	pdfs := [][]byte{[]byte("%PDF-1.4 lettre " + strings.Repeat("a", 3000)), []byte("%PDF-1.4 consultation")}
	set, cdas := documentSet(t, pdfs...)
	raw := encodeDocumentMail(t, set)
	spoolDir := t.TempDir()
	parsers := []struct {
		name  string
		parse func() (*mail.Message, error)
	}{
		{"Parse", func() (*mail.Message, error) { return mail.Parse(bytes.NewReader(raw), nil) }},
		{"ParseBytes", func() (*mail.Message, error) {
			return mail.ParseBytes(bytes.Clone(raw), &mail.ParseOptions{Release: func([]byte) {}})
		}},
		{"spooled", func() (*mail.Message, error) {
			return mail.Parse(bytes.NewReader(raw), &mail.ParseOptions{SpoolThreshold: 64, SpoolDir: spoolDir})
		}},
		{"in memory", func() (*mail.Message, error) {
			return mail.Parse(bytes.NewReader(raw), &mail.ParseOptions{SpoolThreshold: -1})
		}},
	}
	for _, p := range parsers {
		t.Run(p.name, func(t *testing.T) {
			m, err := p.parse()
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			docs, err := m.ReadDocuments(nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := docs.Err(); err != nil || len(docs.Problems) != 0 {
				t.Fatalf("problems: %v %v", err, docs.Problems)
			}
			if docs.Archive != m.XDM() || len(docs.Package.SubmissionSets) != 1 || len(docs.Documents) != 2 {
				t.Fatalf("archive %v, %d submission sets, %d documents", docs.Archive, len(docs.Package.SubmissionSets), len(docs.Documents))
			}
			for i, d := range docs.Documents {
				if len(d.Problems) != 0 || !d.Entry.HashOK {
					t.Errorf("document %d: problems %v, hash checked %v", i, d.Problems, d.Entry.HashOK)
				}
				if d.CDA == nil || d.CDA.Code.Code != cda.TypeCRConsultation.Code || !d.CDA.IsN1() || d.CDA.Body.MediaType != "application/pdf" {
					t.Fatalf("document %d: header %+v", i, d.CDA)
				}
				if d.Patient.INS != testINS || !d.Patient.QualifiedINS || d.Patient.Family != "FIGATELLIX" || d.Patient.BirthDate.Year() != 1988 {
					t.Errorf("document %d: patient %+v", i, d.Patient)
				}
				if d.PDF != m.Attachments[i+1] || !strings.HasPrefix(d.PDF.Filename, copyStart) || !d.PDFMatchesBody {
					t.Errorf("document %d: PDF copy %v, same as the body %v", i, d.PDF, d.PDFMatchesBody)
				}
				if got := readAll(t, d.OpenBody); !bytes.Equal(got, pdfs[i]) {
					t.Errorf("document %d: body %q", i, got)
				}
				if got := readAll(t, d.OpenCDA); !bytes.Equal(got, cdas[i]) {
					t.Errorf("document %d: CDA file differs", i)
				}
			}
			if err := docs.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := docs.Documents[0].OpenBody(); !errors.Is(err, mail.ErrClosed) {
				t.Fatalf("OpenBody after Close: %v", err)
			}
			if _, err := docs.Documents[0].OpenCDA(); !errors.Is(err, mail.ErrClosed) {
				t.Fatalf("OpenCDA after Close: %v", err)
			}
			docs.Close() // twice is fine
		})
	}
	if files, _ := os.ReadDir(spoolDir); len(files) != 0 {
		t.Errorf("%d files left in the spool directory", len(files))
	}
}

// TestReadDocumentsOutlivesMessage: the documents stay readable after the
// message is closed (the archive is held open, or copied).
func TestReadDocumentsOutlivesMessage(t *testing.T) {
	pdf := []byte("%PDF-1.4 " + strings.Repeat("z", 2<<20))
	set, _ := documentSet(t, pdf)
	raw := encodeDocumentMail(t, set)
	for _, threshold := range []int64{0, -1} {
		m, err := mail.Parse(bytes.NewReader(raw), &mail.ParseOptions{SpoolThreshold: threshold, SpoolDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		docs, err := m.ReadDocuments(nil)
		if err != nil {
			t.Fatal(err)
		}
		m.Close()
		if got := readAll(t, docs.Documents[0].OpenBody); !bytes.Equal(got, pdf) {
			t.Errorf("threshold %d: body after Message.Close: %d bytes", threshold, len(got))
		}
		docs.Close()
	}
}

// TestReadDocumentsClosedMessage: after Message.Close, the content Close
// released cannot be read.
func TestReadDocumentsClosedMessage(t *testing.T) {
	set, _ := documentSet(t, []byte("%PDF-1.4 a"))
	raw := encodeDocumentMail(t, set)
	m, err := mail.ParseBytes(raw, &mail.ParseOptions{Release: func([]byte) {}})
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	if docs, err := m.ReadDocuments(nil); docs != nil || !errors.Is(err, mail.ErrClosed) {
		t.Fatalf("ReadDocuments after Close: %v", err)
	}
}

// TestReadDocumentsTampered: a document changed after METADATA.XML was
// written is reported (hash and size), and stays readable.
func TestReadDocumentsTampered(t *testing.T) {
	pdf := []byte("%PDF-1.4 lettre")
	set, _ := documentSet(t, pdf)
	zipBytes := rewriteZip(t, archive(t, set), func(name string, b []byte) (string, []byte) {
		if isCDAEntry(name) {
			b = append(b, "<!-- changed in transit -->"...)
		}
		return name, b
	})
	m := &mail.Message{Attachments: []*mail.Attachment{
		mail.BytesAttachment("IHE_XDM.ZIP", "application/zip", zipBytes),
		mail.BytesAttachment(copyStart+".pdf", "application/pdf", pdf),
	}}
	docs, err := m.ReadDocuments(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer docs.Close()
	d := docs.Documents[0]
	var de *mail.DocumentError
	var xe *xdm.DocumentError
	if !errors.Is(d.Err(), xdm.ErrHashMismatch) || !errors.Is(d.Err(), xdm.ErrSizeMismatch) || d.Entry.HashOK ||
		!errors.As(d.Problems[0], &de) || de.Index != 0 || de.Code != cda.TypeCRConsultation.Code || !errors.As(d.Problems[0], &xe) {
		t.Fatalf("tampered document: %v", d.Problems)
	}
	if !errors.Is(docs.Err(), xdm.ErrHashMismatch) {
		t.Errorf("ReceivedDocuments.Err: %v", docs.Err())
	}
	if d.CDA == nil || !d.PDFMatchesBody {
		t.Fatalf("header %v, PDF copy checked %v", d.CDA, d.PDFMatchesBody)
	}
	if got := readAll(t, d.OpenBody); !bytes.Equal(got, pdf) {
		t.Fatalf("body %q", got)
	}
}

// TestReadDocumentsPDFCopies: how each document finds its PDF copy, and
// what is said when it has none or a different one.
func TestReadDocumentsPDFCopies(t *testing.T) {
	pdf1, pdf2 := []byte("%PDF-1.4 un"), []byte("%PDF-1.4 deux")
	set, _ := documentSet(t, pdf1, pdf2)
	zipBytes := archive(t, set)
	one, _ := documentSet(t, pdf1)
	oneZip := archive(t, one)
	att := mail.BytesAttachment
	named := copyStart + ".pdf"
	tests := []struct {
		name     string
		zip      []byte
		pdfs     []*mail.Attachment
		opts     *mail.ReadDocumentsOptions
		want     []int  // index in pdfs of each document's copy, -1 for none
		verified []bool // PDFMatchesBody
		problem  []error
	}{
		{"by name", zipBytes, []*mail.Attachment{att(named, "application/pdf", pdf1), att(named, "application/pdf", pdf2)}, nil,
			[]int{0, 1}, []bool{true, true}, []error{nil, nil}},
		{"same names, other order", zipBytes, []*mail.Attachment{att(named, "application/pdf", pdf2), att(named, "application/pdf", pdf1)}, nil,
			[]int{1, 0}, []bool{true, true}, []error{nil, nil}},
		{"ASCII name with a numéro de dossier", oneZip, []*mail.Attachment{att("notes.txt", "text/plain", pdf2), att(strings.ToUpper(copyStart)+"_D42.PDF", "", pdf1)}, nil,
			[]int{1}, []bool{true}, []error{nil}},
		{"by content", zipBytes, []*mail.Attachment{att("b.pdf", "application/pdf", pdf2), att("a.pdf", "application/pdf", pdf1)}, nil,
			[]int{1, 0}, []bool{true, true}, []error{nil, nil}},
		{"the one left, different", oneZip, []*mail.Attachment{att("scan.pdf", "application/pdf", []byte("%PDF-1.4 autre"))}, nil,
			[]int{0}, []bool{false}, []error{mail.ErrPDFCopyMismatch}},
		{"named, different", zipBytes, []*mail.Attachment{att(named, "application/pdf", pdf1), att(named, "application/pdf", []byte("%PDF autre"))}, nil,
			[]int{0, 1}, []bool{true, false}, []error{nil, mail.ErrPDFCopyMismatch}},
		{"missing", zipBytes, []*mail.Attachment{att(named, "application/pdf", pdf2)}, nil,
			[]int{-1, 0}, []bool{false, true}, []error{mail.ErrMissingPDF, nil}},
		{"none", oneZip, nil, nil, []int{-1}, []bool{false}, []error{mail.ErrMissingPDF}},
		{"not compared", zipBytes, []*mail.Attachment{att(named, "application/pdf", pdf2), att(named, "application/pdf", pdf1)}, &mail.ReadDocumentsOptions{SkipPDFCheck: true},
			[]int{0, 1}, []bool{false, false}, []error{nil, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &mail.Message{Attachments: append([]*mail.Attachment{att("IHE_XDM.ZIP", "application/zip", tt.zip)}, tt.pdfs...)}
			docs, err := m.ReadDocuments(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer docs.Close()
			for i, d := range docs.Documents {
				var want *mail.Attachment
				if tt.want[i] >= 0 {
					want = tt.pdfs[tt.want[i]]
				}
				if d.PDF != want || d.PDFMatchesBody != tt.verified[i] {
					t.Errorf("document %d: copy %v, verified %v; want %v, %v", i, d.PDF, d.PDFMatchesBody, want, tt.verified[i])
				}
				if tt.problem[i] == nil && d.Err() != nil || tt.problem[i] != nil && !errors.Is(d.Err(), tt.problem[i]) {
					t.Errorf("document %d: problems %v, want %v", i, d.Problems, tt.problem[i])
				}
			}
		})
	}
}

// TestReadDocumentsPatients: a CDA whose METADATA.XML names another
// patient, and two documents of two patients, are reported.
func TestReadDocumentsPatients(t *testing.T) {
	pdf := []byte("%PDF-1.4 x")
	set, _ := documentSet(t, pdf)
	zipBytes := archive(t, set)
	lying := rewriteZip(t, zipBytes, func(name string, b []byte) (string, []byte) {
		if strings.HasSuffix(name, "METADATA.XML") {
			b = bytes.ReplaceAll(b, []byte(testINS), []byte(otherINS))
		}
		return name, b
	})
	otherSet, err := mail.NewDocumentSet([]mail.CDASource{bytesSource(n1(t, otherINS, "DUPONT", pdf))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Two submission sets in one archive, one per patient.
	second := rewriteZip(t, archive(t, otherSet), func(name string, b []byte) (string, []byte) {
		if !strings.Contains(name, "SUBSET01/") {
			return "", nil
		}
		return strings.Replace(name, "SUBSET01/", "SUBSET02/", 1), b
	})
	two := mergeZips(t, zipBytes, second)

	for _, tt := range []struct {
		name string
		zip  []byte
		doc  int
		want error
	}{
		{"metadata names another patient", lying, 0, mail.ErrPatientMismatch},
		{"two patients", two, 1, mail.ErrSeveralPatients},
	} {
		m := &mail.Message{Attachments: []*mail.Attachment{mail.BytesAttachment("IHE_XDM.ZIP", "application/zip", tt.zip)}}
		docs, err := m.ReadDocuments(nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(docs.Documents) <= tt.doc || !errors.Is(docs.Documents[tt.doc].Err(), tt.want) {
			t.Errorf("%s: %v", tt.name, docs.Err())
		}
		if errors.Is(docs.Documents[0].Err(), xdm.ErrHashMismatch) {
			t.Errorf("%s: hash mismatch reported", tt.name)
		}
		docs.Close()
	}
}

// mergeZips writes the entries of several archives into one.
func mergeZips(t *testing.T, zips ...[]byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, z := range zips {
		zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			if err := zw.Copy(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestReadDocumentsNotDocumentMail: an ordinary mail and a report are not
// document mails; an IHE_XDM.ZIP that is not an archive is xdm's error.
func TestReadDocumentsNotDocumentMail(t *testing.T) {
	plain := &mail.Message{Text: "Bonjour", Attachments: []*mail.Attachment{mail.BytesAttachment("a.pdf", "", []byte("%PDF"))}}
	if _, err := plain.ReadDocuments(nil); !errors.Is(err, mail.ErrNotDocumentMail) {
		t.Errorf("plain: %v", err)
	}
	for _, tt := range []struct {
		file string
		want error
	}{
		{"testdata/dsn-postfix-failure.eml", mail.ErrNotDocumentMail},
		{"testdata/plain.eml", mail.ErrNotDocumentMail},
		{"testdata/document.eml", xdm.ErrNotZIP}, // its archive is a fake
	} {
		f, err := os.Open(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.Parse(f, nil)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		docs, err := m.ReadDocuments(nil)
		if docs != nil || !errors.Is(err, tt.want) || !strings.HasPrefix(err.Error(), "mail: ") {
			t.Errorf("%s: %v", tt.file, err)
		}
	}
}

// TestReadDocumentsN3: a structured document has no N1 body; its file is
// read with OpenCDA; two archives are one problem of the mail.
func TestReadDocumentsN3(t *testing.T) {
	set, err := mail.NewDocumentSet([]mail.CDASource{n3Unknown(t)}, &mail.DocumentSetOptions{UnreferencedModels: true})
	if err != nil {
		t.Fatal(err)
	}
	zipBytes := archive(t, set)
	m := &mail.Message{Attachments: []*mail.Attachment{
		mail.BytesAttachment("IHE_XDM.ZIP", "application/zip", zipBytes),
		mail.BytesAttachment("copie.pdf", "application/pdf", []byte("%PDF-1.4 copy")),
		mail.BytesAttachment("ihe_xdm.zip", "application/zip", zipBytes),
	}}
	docs, err := m.ReadDocuments(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer docs.Close()
	d := docs.Documents[0]
	if d.CDA == nil || d.CDA.IsN1() || d.PDF != m.Attachments[1] || d.PDFMatchesBody || d.Err() != nil {
		t.Fatalf("N3: header %v, copy %v (%v), %v", d.CDA, d.PDF, d.PDFMatchesBody, d.Problems)
	}
	if _, err := d.OpenBody(); !errors.Is(err, mail.ErrNotN1) {
		t.Errorf("OpenBody of an N3: %v", err)
	}
	if got := readAll(t, d.OpenCDA); !bytes.Contains(got, []byte("<structuredBody/>")) {
		t.Errorf("OpenCDA: %q", got)
	}
	if len(docs.Problems) != 1 || !errors.Is(docs.Problems[0], mail.ErrMalformed) || !errors.Is(docs.Err(), mail.ErrMalformed) {
		t.Errorf("two archives: %v", docs.Problems)
	}
}

// TestReadDocumentsUnreadable: a document whose file is missing is
// listed, with no header, and its body gives the reason.
func TestReadDocumentsUnreadable(t *testing.T) {
	set, _ := documentSet(t, []byte("%PDF-1.4 a"))
	zipBytes := rewriteZip(t, archive(t, set), func(name string, b []byte) (string, []byte) {
		if isCDAEntry(name) {
			return "", nil
		}
		return name, b
	})
	m := &mail.Message{Attachments: []*mail.Attachment{mail.BytesAttachment("IHE_XDM.ZIP", "application/zip", zipBytes)}}
	docs, err := m.ReadDocuments(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer docs.Close()
	d := docs.Documents[0]
	if d.CDA != nil || d.Patient.INS != testINS || !errors.Is(d.Err(), xdm.ErrMissingFile) || !errors.Is(d.Err(), mail.ErrMissingPDF) {
		t.Fatalf("missing file: header %v, patient %+v, %v", d.CDA, d.Patient, d.Problems)
	}
	if _, err := d.OpenBody(); !errors.Is(err, xdm.ErrMissingFile) {
		t.Errorf("OpenBody: %v", err)
	}
}
