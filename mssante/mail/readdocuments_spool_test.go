package mail

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/cda/xdm"
	"github.com/mssante-go/sdk/internal/testdocs"
)

// largeDocumentMail encodes a document mail whose PDF is size random bytes
// (incompressible, so that the IHE_XDM.ZIP is as large).
func largeDocumentMail(t testing.TB, size int) []byte {
	t.Helper()
	pdf := make([]byte, size)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(pdf)
	copy(pdf, "%PDF-1.4\n")
	doc, err := testdocs.N1(testdocs.Options{}, bytes.NewReader(pdf))
	if err != nil {
		t.Fatal(err)
	}
	set, err := NewDocumentSet([]CDASource{{Open: pdfOpener(doc)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &Message{From: MustParseAddress("a@medecin.mssante.fr"), To: []Address{MustParseAddress("b@medecin.mssante.fr")}, Documents: set}
	var raw bytes.Buffer
	if err := m.Encode(&raw, nil); err != nil {
		t.Fatal(err)
	}
	return raw.Bytes()
}

// TestReadDocumentsReadsTheSpool: an archive Parse spooled to a temporary
// file is read in that file, not copied into memory: what ReadDocuments
// allocates stays a small part of the archive's size, hashes and PDF check
// included.
func TestReadDocumentsReadsTheSpool(t *testing.T) {
	const size = 8 << 20
	raw := largeDocumentMail(t, size)
	dir := t.TempDir()
	m, err := Parse(bytes.NewReader(raw), &ParseOptions{SpoolDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if a := m.XDM(); a == nil || a.Size < size {
		t.Fatalf("archive %v", a)
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	docs, err := m.ReadDocuments(nil)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	defer docs.Close()

	f, ok := docs.src.r.(*os.File)
	if !ok || filepath.Dir(f.Name()) != dir || !strings.HasPrefix(filepath.Base(f.Name()), "mssante-attachment-") {
		t.Fatalf("archive read from %T, not from the spool file", docs.src.r)
	}
	d := docs.Documents[0]
	if d.Err() != nil || !d.Entry.HashOK || !d.PDFMatchesBody || d.Entry.ActualSize < size {
		t.Fatalf("document: %v, hash %v, PDF %v, size %d", d.Problems, d.Entry.HashOK, d.PDFMatchesBody, d.Entry.ActualSize)
	}
	// The archive is inflated twice and its PDF decoded and compared with
	// an 8 MiB copy: buffers only, about a megabyte, where a copy of the
	// archive would be over 8.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/4 {
		t.Errorf("ReadDocuments allocated %d bytes for a %d-byte archive", alloc, m.XDM().Size)
	}
}

// BenchmarkReadDocuments reads the documents of a spooled 8 MiB document
// mail.
func BenchmarkReadDocuments(b *testing.B) {
	raw := largeDocumentMail(b, 8<<20)
	m, err := Parse(bytes.NewReader(raw), &ParseOptions{SpoolDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	b.SetBytes(m.XDM().Size)
	b.ReportAllocs()
	for b.Loop() {
		docs, err := m.ReadDocuments(nil)
		if err != nil {
			b.Fatal(err)
		}
		docs.Close()
	}
}

// TestDocumentMailFixture keeps testdata/document-mail.eml, the document
// mail of ExampleMessage_ReadDocuments: an N1 discharge letter made with
// NewDocumentSet, written again with -update (its archive has new ids and
// times each time), read without any problem otherwise.
func TestDocumentMailFixture(t *testing.T) {
	const path = "testdata/document-mail.eml"
	if *update {
		pdf := []byte("%PDF-1.4\n% Lettre de liaison de Corse FIGATELLIX\n%%EOF\n")
		doc, err := testdocs.N1(testdocs.Options{Type: cda.TypeLettreLiaisonSortie}, bytes.NewReader(pdf))
		if err != nil {
			t.Fatal(err)
		}
		set, err := NewDocumentSet([]CDASource{{Open: pdfOpener(doc)}}, &DocumentSetOptions{SourceID: "1.2.250.1.999.1"})
		if err != nil {
			t.Fatal(err)
		}
		m := &Message{
			From:      MustParseAddress("alice.martin@medecin.mssante.fr"),
			To:        []Address{MustParseAddress("bruno.durand@ch-test.mssante.fr")},
			Text:      "Cher confrère,\nci-joint la lettre de liaison de votre patiente.\n",
			Documents: set, ProductRef: "DEV935997",
		}
		var b bytes.Buffer
		if err := m.Encode(&b, stableOptions()); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := Parse(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := m.ReadDocuments(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer docs.Close()
	if len(docs.Documents) != 1 || docs.Err() != nil || !docs.Documents[0].PDFMatchesBody {
		t.Fatalf("%d documents: %v", len(docs.Documents), docs.Err())
	}
}

// FuzzReadDocuments feeds arbitrary archives, beside a PDF copy, to
// ReadDocuments and reads every document it returns: no panic, errors and
// problems that quote little of the input, and every document's problems
// typed.
func FuzzReadDocuments(f *testing.F) {
	pdf := []byte("%PDF-1.4 fuzz")
	doc, err := testdocs.N1(testdocs.Options{}, bytes.NewReader(pdf))
	if err != nil {
		f.Fatal(err)
	}
	set, err := NewDocumentSet([]CDASource{{Open: pdfOpener(doc)}}, nil)
	if err != nil {
		f.Fatal(err)
	}
	var zip bytes.Buffer
	if err := set.WriteXDM(&zip, []string{"b@medecin.mssante.fr"}); err != nil {
		f.Fatal(err)
	}
	f.Add(zip.Bytes(), pdf)
	f.Add([]byte("PK\x03\x04 not a zip"), []byte(nil))
	opts := &ReadDocumentsOptions{}
	opts.XDM = &xdm.ReadOptions{MaxEntries: 20, MaxDocuments: 5, MaxTotalSize: 4 << 20}
	f.Fuzz(func(t *testing.T, archive, pdf []byte) {
		m := &Message{Attachments: []*Attachment{
			BytesAttachment(XDMFilename, "application/zip", archive),
			BytesAttachment("copie.pdf", "application/pdf", pdf),
		}}
		docs, err := m.ReadDocuments(opts)
		if err != nil {
			if len(err.Error()) > maxTestErrorLen {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			return
		}
		defer docs.Close()
		for _, d := range docs.Documents {
			for _, p := range d.Problems {
				var de *DocumentError
				if !errors.As(p, &de) || len(p.Error()) > maxTestErrorLen {
					t.Fatalf("problem %T of %d bytes", p, len(p.Error()))
				}
			}
			for _, open := range []func() (io.ReadCloser, error){d.OpenBody, d.OpenCDA} {
				if rc, err := open(); err == nil {
					io.Copy(io.Discard, rc)
					rc.Close()
				}
			}
		}
	})
}
