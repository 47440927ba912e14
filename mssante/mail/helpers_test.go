package mail

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixedRand gives byte-stable Message-IDs and boundaries.
func fixedRand() io.Reader {
	b := make([]byte, 4096)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return bytes.NewReader(b)
}

var testDate = time.Date(2026, 11, 26, 10, 30, 0, 0, time.FixedZone("CET", 3600))

func stableOptions() *EncodeOptions {
	return &EncodeOptions{Rand: fixedRand(), Now: func() time.Time { return testDate }}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update after checking):\n--- got ---\n%s", name, got)
	}
}

// fakeDocuments is a DocumentSet made in the test: what cda/xdm provides in
// real use.
type fakeDocuments struct {
	docs []DocumentInfo
	zip  []byte
}

func (f *fakeDocuments) Documents() []DocumentInfo { return f.docs }
func (f *fakeDocuments) WriteXDM(w io.Writer, recipients []string) error {
	_, err := w.Write(f.zip)
	return err
}

func pdfOpener(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

var testPatient = DocumentPatient{
	Family: "Figatellix", Given: "Corse", BirthDate: time.Date(1988, 10, 12, 0, 0, 0, 0, time.UTC),
	INS: "279035121518989", QualifiedINS: true,
}

func testDocumentSet() *fakeDocuments {
	return &fakeDocuments{
		zip: []byte("PK\x03\x04 fake IHE XDM archive"),
		docs: []DocumentInfo{
			{Code: "11490-0", Label: "Lettre de liaison à la sortie", ActDate: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
				Patient: testPatient, PDF: pdfOpener([]byte("%PDF-1.4 lettre"))},
			{Code: "11502-2", Label: "CR de biologie", ActDate: time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC), Dossier: "D42",
				Patient: testPatient, PDF: pdfOpener([]byte("%PDF-1.4 biologie"))},
		},
	}
}

func encodeString(t *testing.T, m *Message) string {
	t.Helper()
	var b bytes.Buffer
	if err := m.Encode(&b, stableOptions()); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return b.String()
}
