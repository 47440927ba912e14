package xdm

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// Archives as other implementations write them (IHE ITI-32 readers must be
// lenient; the cases below were seen in archives of other tools, and in the
// DirectProject samples: mixed case, an extra top folder, back-slashes).
// Each is built here, in code.

var (
	docA = []byte(`<ClinicalDocument xmlns="urn:hl7-org:v3"><title>A</title></ClinicalDocument>`)
	docB = []byte(`<ClinicalDocument xmlns="urn:hl7-org:v3"><title>B</title></ClinicalDocument>`)
)

// problemsOf returns the sentinels of a document's problems, in order.
func problemsOf(t *testing.T, d *Document) []error {
	t.Helper()
	var errs []error
	for _, p := range d.Problems {
		var de *DocumentError
		if !errors.As(p, &de) {
			t.Fatalf("problem %v is not a *DocumentError", p)
		}
		if de.Entry != d.EntryID || len(de.Error()) > 600 {
			t.Errorf("problem %q names entry %q, not %q", de.Error(), de.Entry, d.EntryID)
		}
		errs = append(errs, de.Err)
	}
	return errs
}

func sameErrs(a, b []error) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReadLayouts(t *testing.T) {
	meta := genMetadata([]genEntry{entryFor("Doc1", "DOCUMENT.xml", docA)})
	tests := []struct {
		name      string
		meta, doc string // entry names
		extra     []string
	}{
		{"standard", "IHE_XDM/SUBSET01/METADATA.XML", "IHE_XDM/SUBSET01/DOCUMENT.XML", []string{"README.TXT", "INDEX.HTM"}},
		{"backslashes, no IHE_XDM level", `SUBSET01\METADATA.xml`, `SUBSET01\DOCUMENT.xml`, []string{"README.txt", "INDEX.htm"}},
		{"SUBSET at the root, lower case", "subset01/metadata.xml", "subset01/document.xml", nil},
		{"SUBSETnn other than 01", "SUBSET07/METADATA.XML", "SUBSET07/Document.Xml", nil},
		{"one folder deeper", "Export du 12-03/IHE_XDM/SUBSET01/METADATA.XML", "Export du 12-03/IHE_XDM/SUBSET01/DOCUMENT.XML", []string{"Export du 12-03/README.TXT"}},
		{"one folder deeper, back-slashes", `Export\IHE_XDM\SUBSET01\Metadata.Xml`, `Export\IHE_XDM\SUBSET01\document.XML`, nil},
		{"extra folder, no IHE_XDM level", "export/SUBSET01/METADATA.XML", "export/SUBSET01/DOCUMENT.XML", nil},
		{"mixed separators, folder entries", `IHE_XDM/SUBSET01\METADATA.XML`, `IHE_XDM\SUBSET01/DOCUMENT.XML`, []string{"IHE_XDM/", "", `IHE_XDM\SUBSET01\`, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := append([]string{tt.meta, meta, tt.doc, string(docA)}, tt.extra...)
			if len(tt.extra)%2 == 1 {
				files = append(files, "readme")
			}
			zipped := zipOf(t, true, files...)
			p, err := Read(bytes.NewReader(zipped), int64(len(zipped)), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Documents) != 1 || len(p.SubmissionSets) != 1 {
				t.Fatalf("%d documents, %d sets", len(p.Documents), len(p.SubmissionSets))
			}
			d := p.Documents[0]
			if d.Path != tt.doc || !d.Readable() || !d.HashOK || d.ActualSize != int64(len(docA)) || len(d.Problems) != 0 {
				t.Fatalf("path %q readable %v hash ok %v size %d problems %v", d.Path, d.Readable(), d.HashOK, d.ActualSize, d.Problems)
			}
			if err := p.Verify(); err != nil {
				t.Fatal(err)
			}
			rc, err := p.Open(d)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(b, docA) {
				t.Error("wrong bytes")
			}
		})
	}
}

// TestReadStillStrict: the leniency on names does not reach unsafe ones.
func TestReadStillStrict(t *testing.T) {
	meta := genMetadata([]genEntry{entryFor("Doc1", "DOC0001.XML", docA)})
	for _, name := range []string{`IHE_XDM\..\..\x`, `SUBSET01\..\..\x`, `subset01/../../x`, `\SUBSET01\DOC.XML`, `c:\SUBSET01\DOC.XML`, `SUBSET01\DOC` + "\x00" + `.XML`} {
		zipped := zipOf(t, false, "SUBSET01/METADATA.XML", meta, name, "x")
		var pe *PathError
		if _, err := Read(bytes.NewReader(zipped), int64(len(zipped)), nil); !errors.Is(err, ErrUnsafePath) || !errors.As(err, &pe) {
			t.Errorf("%q: %v", name, err)
		}
	}
	// The same name with two separators is a duplicate.
	zipped := zipOf(t, false, "SUBSET01/METADATA.XML", meta, `SUBSET01\DOC0001.XML`, "a", "subset01/doc0001.xml", "b")
	if _, err := Read(bytes.NewReader(zipped), int64(len(zipped)), nil); !errors.Is(err, ErrDuplicateEntry) {
		t.Errorf("duplicate: %v", err)
	}
	// A METADATA.XML outside any SUBSETnn folder is not a submission set.
	zipped = zipOf(t, false, "IHE_XDM/METADATA.XML", meta, "IHE_XDM/DOC0001.XML", string(docA))
	if _, err := Read(bytes.NewReader(zipped), int64(len(zipped)), nil); !errors.Is(err, ErrNoMetadata) {
		t.Errorf("metadata outside SUBSETnn: %v", err)
	}
}

// wantDoc is what a test expects of one document: its problems, its path
// relative to the submission set folder ("" for none), whether HashOK.
type wantDoc struct {
	errs   []error
	path   string
	hashOK bool
}

func TestReadDocumentProblems(t *testing.T) {
	const dir = "IHE_XDM/SUBSET01/"
	noURI := func(id, uid string, content []byte) genEntry {
		e := entryFor(id, "", content)
		e.URI, e.UniqueID = nil, uid
		return e
	}
	tests := []struct {
		name    string
		entries []genEntry
		files   []string // name, content: the documents
		opts    *ReadOptions
		// per document: the problems expected, the path (relative to dir;
		// "" for none), whether HashOK.
		want []wantDoc
	}{
		{
			name:    "no URI, the only file of its folder",
			entries: []genEntry{noURI("Doc1", "1.2.3", docA)},
			files:   []string{dir, "", dir + "whatever.xml", string(docA)},
			want:    []wantDoc{{[]error{ErrNoURI}, "whatever.xml", true}},
		},
		{
			name:    "no URI, a file named after its uniqueId",
			entries: []genEntry{noURI("Doc1", "1.2.250.1.5^77", docA), entryFor("Doc2", "B.XML", docB)},
			files:   []string{dir + "1.2.250.1.5^77.xml", string(docA), dir + "B.XML", string(docB), dir + "notes.txt", "x"},
			want:    []wantDoc{{[]error{ErrNoURI}, "1.2.250.1.5^77.xml", true}, {nil, "B.XML", true}},
		},
		{
			name:    "no URI, a file named after its id",
			entries: []genEntry{noURI("Document01", "", docA), noURI("Document02", "", docB)},
			files:   []string{dir + "DOCUMENT01.XML", string(docA), dir + "document02", string(docB)},
			want:    []wantDoc{{[]error{ErrNoURI}, "DOCUMENT01.XML", true}, {[]error{ErrNoURI}, "document02", true}},
		},
		{
			// Today's bug: the empty URI joined to the folder gave a false
			// hash mismatch against the folder entry.
			name:    "no URI, no file to tell: missing, never the folder",
			entries: []genEntry{noURI("Doc1", "1.2.3", docA), noURI("Doc2", "1.2.4", docB)},
			files:   []string{dir, "", dir + "X.XML", string(docA), dir + "Y.XML", string(docB)},
			want:    []wantDoc{{[]error{ErrMissingFile}, "", false}, {[]error{ErrMissingFile}, "", false}},
		},
		{
			name:    "no URI, its folder's only file named by another entry",
			entries: []genEntry{noURI("Doc1", "1.2.3", docA), entryFor("Doc2", "DOC0002.XML", docB)},
			files:   []string{dir + "DOC0002.XML", string(docB)},
			want:    []wantDoc{{[]error{ErrMissingFile}, "", false}, {nil, "DOC0002.XML", true}},
		},
		{
			name:    "no URI, two entries named after one file",
			entries: []genEntry{noURI("Doc1", "1.2.3", docA), noURI("Doc2", "1.2.3", docA)},
			files:   []string{dir + "1.2.3.XML", string(docA), dir + "other.xml", "x"},
			want:    []wantDoc{{[]error{ErrSharedFile}, "", false}, {[]error{ErrSharedFile}, "", false}},
		},
		{
			name:    "URI naming no file",
			entries: []genEntry{entryFor("Doc1", "DOC0009.XML", docA), entryFor("Doc2", "DOC0002.XML", docB)},
			files:   []string{dir + "DOC0001.XML", string(docA), dir + "DOC0002.XML", string(docB)},
			want:    []wantDoc{{[]error{ErrMissingFile}, "", false}, {nil, "DOC0002.XML", true}},
		},
		{
			name:    "size and hash absent: nothing to check",
			entries: []genEntry{{ID: "Doc1", URI: str("DOC0001.XML")}},
			files:   []string{dir + "DOC0001.XML", string(docA)},
			want:    []wantDoc{{[]error{ErrNoHash, ErrNoSize}, "DOC0001.XML", false}},
		},
		{
			name: "size and hash wrong: readable and flagged",
			entries: []genEntry{
				{ID: "Doc1", URI: str("DOC0001.XML"), Hash: sha1hex(docB), Size: "12"},
				{ID: "Doc2", URI: str("DOC0002.XML"), Hash: "not a hash", Size: "12 bytes"},
				{ID: "Doc3", URI: str("DOC0003.XML"), Hash: strings.ToUpper(sha1hex(docA)), Size: "-1"},
			},
			files: []string{dir + "DOC0001.XML", string(docA), dir + "DOC0002.XML", string(docA), dir + "DOC0003.XML", string(docA)},
			want: []wantDoc{
				{[]error{ErrHashMismatch, ErrSizeMismatch}, "DOC0001.XML", false},
				{[]error{ErrHashMismatch, ErrSizeMismatch}, "DOC0002.XML", false},
				{[]error{ErrSizeMismatch}, "DOC0003.XML", false},
			},
		},
		{
			name:    "URI leaving its folder",
			entries: []genEntry{entryFor("Doc1", `..\..\etc\passwd`, docA), entryFor("Doc2", "DOC0002.XML", docB)},
			files:   []string{dir + "DOC0002.XML", string(docB)},
			want:    []wantDoc{{[]error{ErrUnsafePath}, "", false}, {nil, "DOC0002.XML", true}},
		},
		{
			name:    "URI naming the METADATA.XML",
			entries: []genEntry{entryFor("Doc1", "metadata.xml", docA)},
			want:    []wantDoc{{[]error{ErrMissingFile}, "", false}},
		},
		{
			name:    "URI with the whole path, or from the package root",
			entries: []genEntry{entryFor("Doc1", `IHE_XDM\SUBSET01\DOC0001.XML`, docA), entryFor("Doc2", "DOCS/B.XML", docB)},
			files:   []string{dir + "DOC0001.XML", string(docA), "DOCS/B.XML", string(docB)},
			want:    []wantDoc{{nil, "DOC0001.XML", true}, {nil, "../../DOCS/B.XML", true}},
		},
		{
			name:    "two entries, one URI",
			entries: []genEntry{entryFor("Doc1", "DOC0001.XML", docA), entryFor("Doc2", "doc0001.xml", docA), entryFor("Doc3", "DOC0003.XML", docB)},
			files:   []string{dir + "DOC0001.XML", string(docA), dir + "DOC0003.XML", string(docB)},
			want:    []wantDoc{{[]error{ErrSharedFile}, "", false}, {[]error{ErrSharedFile}, "", false}, {nil, "DOC0003.XML", true}},
		},
		{
			name:    "hash check skipped",
			entries: []genEntry{entryFor("Doc1", "DOC0001.XML", docB)},
			files:   []string{dir + "DOC0001.XML", string(docA)},
			opts:    &ReadOptions{SkipHashCheck: true},
			want:    []wantDoc{{nil, "DOC0001.XML", false}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := append([]string{dir + "METADATA.XML", genMetadata(tt.entries)}, tt.files...)
			zipped := zipOf(t, true, files...)
			p, err := Read(bytes.NewReader(zipped), int64(len(zipped)), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Documents) != len(tt.want) {
				t.Fatalf("%d documents", len(p.Documents))
			}
			anyFault := false
			for i, w := range tt.want {
				d := p.Documents[i]
				if got := problemsOf(t, d); !sameErrs(got, w.errs) {
					t.Errorf("%s: problems %v, want %v", d.EntryID, d.Problems, w.errs)
				}
				wantPath := ""
				if w.path != "" {
					wantPath = strings.TrimPrefix(dir+w.path, "IHE_XDM/SUBSET01/../../")
				}
				if d.Path != wantPath || d.Readable() != (wantPath != "") || d.HashOK != w.hashOK {
					t.Errorf("%s: path %q readable %v hash ok %v, want %q %v", d.EntryID, d.Path, d.Readable(), d.HashOK, wantPath, w.hashOK)
				}
				fault := d.Err()
				for _, e := range w.errs {
					if e != ErrNoHash && e != ErrNoSize && e != ErrNoURI && !errors.Is(fault, e) {
						t.Errorf("%s: Err() = %v, want %v in it", d.EntryID, fault, e)
					}
				}
				if fault != nil {
					anyFault = true
				}
				// A readable document opens, problems or not; another gives
				// its problem.
				rc, err := p.Open(d)
				if d.Readable() {
					if err != nil {
						t.Errorf("%s: open: %v", d.EntryID, err)
					} else {
						rc.Close()
					}
				} else if err == nil || !errors.Is(err, w.errs[0]) {
					t.Errorf("%s: open without a file: %v", d.EntryID, err)
				}
			}
			if err := p.Verify(); (err != nil) != anyFault {
				t.Errorf("Verify = %v", err)
			}
		})
	}
}

// TestReadMismatchValues: a mismatch carries both values.
func TestReadMismatchValues(t *testing.T) {
	e := genEntry{ID: "Doc1", URI: str("DOC0001.XML"), Hash: sha1hex(docB), Size: "12"}
	zipped := zipOf(t, true, "SUBSET01/METADATA.XML", genMetadata([]genEntry{e}), "SUBSET01/DOC0001.XML", string(docA))
	p, err := Read(bytes.NewReader(zipped), int64(len(zipped)), nil)
	if err != nil {
		t.Fatal(err)
	}
	var hash, size *DocumentError
	for _, pr := range p.Documents[0].Problems {
		de := pr.(*DocumentError)
		switch de.Err {
		case ErrHashMismatch:
			hash = de
		case ErrSizeMismatch:
			size = de
		}
	}
	if hash == nil || hash.Want != sha1hex(docB) || hash.Got != sha1hex(docA) || hash.Path != "SUBSET01/DOC0001.XML" {
		t.Errorf("hash problem %+v", hash)
	}
	if size == nil || size.Want != "12" || size.Got != "76" || !strings.Contains(size.Error(), `metadata "12", actual "76"`) {
		t.Errorf("size problem %+v", size)
	}
	if !errors.Is(p.Verify(), ErrHashMismatch) {
		t.Errorf("Verify = %v", p.Verify())
	}
}

// TestReadUnreadableDocument: corrupt data in one document leave the
// others readable.
func TestReadUnreadableDocument(t *testing.T) {
	meta := genMetadata([]genEntry{entryFor("Doc1", "DOC0001.XML", docA), entryFor("Doc2", "DOC0002.XML", docB)})
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("SUBSET01/METADATA.XML")
	w.Write([]byte(meta))
	w, _ = zw.CreateRaw(&zip.FileHeader{Name: "SUBSET01/DOC0001.XML", Method: zip.Deflate, CompressedSize64: 5, UncompressedSize64: uint64(len(docA)), CRC32: 1})
	w.Write([]byte{0xff, 0xff, 0xff, 0xff, 0xff})
	w, _ = zw.Create("SUBSET01/DOC0002.XML")
	w.Write(docB)
	zw.Close()
	p, err := Read(bytes.NewReader(b.Bytes()), int64(b.Len()), nil)
	if err != nil {
		t.Fatal(err)
	}
	d1, d2 := p.Documents[0], p.Documents[1]
	if !errors.Is(d1.Err(), ErrUnreadableFile) || d1.Readable() || d1.Path != "SUBSET01/DOC0001.XML" {
		t.Errorf("corrupt document: %v %v %q", d1.Problems, d1.Readable(), d1.Path)
	}
	if _, err := p.Open(d1); !errors.Is(err, ErrUnreadableFile) {
		t.Errorf("open corrupt: %v", err)
	}
	if !d2.HashOK || len(d2.Problems) != 0 {
		t.Errorf("good document: %v", d2.Problems)
	}
}

// TestReadSeveralSubsets: each submission set folder resolves its own
// URIs, whatever the layout.
func TestReadSeveralSubsets(t *testing.T) {
	m1 := genMetadata([]genEntry{entryFor("Doc1", "DOC0001.XML", docA)})
	m2 := genMetadata([]genEntry{entryFor("Doc2", "DOC0001.XML", docB)})
	zipped := zipOf(t, true, `SUBSET01\METADATA.XML`, m1, `SUBSET01\DOC0001.XML`, string(docA), `SUBSET02\METADATA.XML`, m2, `SUBSET02\DOC0001.XML`, string(docB))
	p, err := Read(bytes.NewReader(zipped), int64(len(zipped)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Documents) != 2 || p.Documents[0].Path != `SUBSET01\DOC0001.XML` || p.Documents[1].Path != `SUBSET02\DOC0001.XML` || p.Verify() != nil {
		t.Fatalf("documents %+v %v", p.Documents, p.Verify())
	}
}

func TestDocumentErrorQuotes(t *testing.T) {
	long := strings.Repeat("é", 200)
	e := &DocumentError{Entry: long, URI: long, Path: long, Err: ErrHashMismatch, Want: long, Got: "x", Detail: "d"}
	if n := len(e.Error()); n > 700 {
		t.Errorf("error of %d bytes", n)
	}
	if !strings.Contains(e.Error(), `"…`) {
		t.Errorf("no cut mark: %s", e.Error())
	}
	if !errors.Is(e, ErrHashMismatch) || e.Note() {
		t.Error("Is/Note")
	}
}
