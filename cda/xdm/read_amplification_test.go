package xdm

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"testing"
	"testing/iotest"
)

// referencesMetadata returns a METADATA.XML of n DocumentEntries, all
// naming uri, as short as a producer can write them.
func referencesMetadata(n int, uri, hash string) string {
	var b strings.Builder
	b.WriteString(`<SubmitObjectsRequest><RegistryObjectList>`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `<ExtrinsicObject id="d%d"><Slot name="URI"><ValueList><Value>%s</Value></ValueList></Slot><Slot name="hash"><ValueList><Value>%s</Value></ValueList></Slot></ExtrinsicObject>`, i, uri, hash)
	}
	b.WriteString(`</RegistryObjectList></SubmitObjectsRequest>`)
	return b.String()
}

// referencesArchive is the archive of issue 19: n DocumentEntries naming
// one file of 1 MiB (just under the ratio check), deflated (zeros: a few
// KB in all) or stored (random bytes, so that the bytes read from the
// archive are the bytes inflated). With pad, 70 KB of README.TXT follow,
// so that the scans for the directory at the end of the archive do not
// start in the file. It returns the archive and where the file's data lie
// in it.
func referencesArchive(t testing.TB, n int, deflate, pad bool) (zipped []byte, dataFrom, dataTo int64) {
	t.Helper()
	doc := make([]byte, 1<<20)
	method := zip.Store
	if deflate {
		method = zip.Deflate
	} else {
		rand.New(rand.NewSource(1)).Read(doc)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "IHE_XDM/SUBSET01/METADATA.XML", Method: zip.Deflate})
	io.WriteString(w, referencesMetadata(n, "DOC0001.XML", sha1hex(doc)))
	w, _ = zw.CreateHeader(&zip.FileHeader{Name: "IHE_XDM/SUBSET01/DOC0001.XML", Method: method})
	w.Write(doc)
	if pad {
		w, _ = zw.CreateHeader(&zip.FileHeader{Name: "README.TXT", Method: zip.Store})
		w.Write(doc[:70<<10])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, _ := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	f := zr.File[1]
	off, _ := f.DataOffset()
	return b.Bytes(), off, off + int64(f.CompressedSize64)
}

// TestReadReferenceAmplification: 1,000 entries naming one 1 MiB file made
// Read inflate and hash 1 GiB. Now the entry count is bounded, and a file
// named by several entries is read by none of them.
func TestReadReferenceAmplification(t *testing.T) {
	zipped, _, _ := referencesArchive(t, 1000, true, false)
	if len(zipped) > 8<<10 {
		t.Fatalf("the archive is %d bytes, not a few KB", len(zipped))
	}
	cr := &countingReaderAt{r: bytes.NewReader(zipped)}
	_, err := Read(cr, int64(len(zipped)), nil)
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "documents" || le.Max != 50 || le.Value != 51 {
		t.Fatalf("default limits: %v", err)
	}
	if cr.total > 64<<10 {
		t.Errorf("%d bytes read", cr.total)
	}

	// Allowed that many entries, Read still reads the file at most once:
	// here never, as every entry shares it.
	for _, deflate := range []bool{true, false} {
		zipped, from, to := referencesArchive(t, 1000, deflate, true)
		cr := &countingReaderAt{r: bytes.NewReader(zipped), watchFrom: from, watchTo: to}
		p, err := Read(cr, int64(len(zipped)), &ReadOptions{MaxDocuments: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range p.Documents {
			if d.Readable() || !errors.Is(d.Err(), ErrSharedFile) {
				t.Fatalf("%s: readable %v, %v", d.EntryID, d.Readable(), d.Problems)
			}
		}
		if len(p.Documents) != 1000 || !errors.Is(p.Verify(), ErrSharedFile) {
			t.Fatalf("%d documents, %v", len(p.Documents), p.Verify())
		}
		if cr.inWatched != 0 || cr.total > int64(len(zipped))-(to-from)+64<<10 {
			t.Errorf("deflate %v: %d bytes read, %d of the document", deflate, cr.total, cr.inWatched)
		}
	}

	// One entry: the file is read once, the document checked.
	zipped, from, to := referencesArchive(t, 1, false, true)
	cr = &countingReaderAt{r: bytes.NewReader(zipped), watchFrom: from, watchTo: to}
	p, err := Read(cr, int64(len(zipped)), nil)
	if err != nil || !p.Documents[0].HashOK {
		t.Fatal(err, p.Documents[0].Problems)
	}
	if cr.inWatched != to-from {
		t.Errorf("the document's %d bytes read %d times over", to-from, cr.inWatched)
	}
}

// TestReadManyReferences: 150,000 references fit in a few hundred KB of
// archive; they are refused before they are decoded into memory.
func TestReadManyReferences(t *testing.T) {
	meta := referencesMetadata(150000, "DOC0001.XML", "0")
	zipped := zipOf(t, true, "IHE_XDM/SUBSET01/METADATA.XML", meta, "IHE_XDM/SUBSET01/DOC0001.XML", "x")
	if len(zipped) > 1<<20 {
		t.Fatalf("archive of %d bytes", len(zipped))
	}
	for _, tt := range []struct {
		opts  *ReadOptions
		limit string
	}{
		{nil, "metadata size"},
		{&ReadOptions{MaxMetadataSize: 64 << 20}, "documents"},
	} {
		_, err := Read(bytes.NewReader(zipped), int64(len(zipped)), tt.opts)
		var le *LimitError
		if !errors.As(err, &le) || le.Limit != tt.limit {
			t.Errorf("%+v: %v", tt.opts, err)
		}
	}
}

// TestReadElementsBound: a METADATA.XML of tiny non-document objects is
// refused at 1,000 elements per document allowed.
func TestReadElementsBound(t *testing.T) {
	meta := "<S><RegistryObjectList>" + strings.Repeat("<Association/>", 60000) + "</RegistryObjectList></S>"
	zipped := zipOf(t, false, "SUBSET01/METADATA.XML", meta)
	var le *LimitError
	if _, err := Read(bytes.NewReader(zipped), int64(len(zipped)), nil); !errors.As(err, &le) || le.Limit != "elements" || le.Max != 51000 {
		t.Fatalf("err = %v", err)
	}
	if _, err := Read(bytes.NewReader(zipped), int64(len(zipped)), &ReadOptions{MaxDocuments: 60}); err != nil {
		t.Fatalf("with MaxDocuments 60: %v", err)
	}
}

// TestBudget: every read counts, however often a file is read.
func TestBudget(t *testing.T) {
	b := &budget{left: 10, max: 10}
	if n, err := io.Copy(io.Discard, b.reader(strings.NewReader("123456"), "a")); n != 6 || err != nil {
		t.Fatal(n, err)
	}
	_, err := io.Copy(io.Discard, b.reader(strings.NewReader("123456"), "a"))
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "total size" || le.Value != 12 || le.Max != 10 {
		t.Fatalf("second read: %v", err)
	}
}

// TestAttributesBound: an element of METADATA.XML with more than 64
// attributes is refused before encoding/xml holds them all; '=' in
// values, comments and CDATA sections do not count.
func TestAttributesBound(t *testing.T) {
	many := strings.Repeat("=", 200)
	manyAttrs := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, ` a%d="%d"`, i, i)
		}
		return b.String()
	}
	tests := []struct {
		xml string
		ok  bool
	}{
		{`<?xml version="1.0" encoding="UTF-8"?><S a="` + many + `" b='` + many + `'><!-- it's ` + many + ` " --><X><![CDATA[ ' " ` + many + ` <a> ]]></X><Y` + manyAttrs(64) + `/></S>`, true},
		{`<S><!--` + many + `--><Y` + manyAttrs(65) + `/></S>`, false},
		{`<S><![CDATA[>]]><Y` + manyAttrs(65) + `/></S>`, false},
		{`<S xmlns:x="` + many + `">` + strings.Repeat(`<x:Y a="1" b='2'/>`, 100) + `</S>`, true},
		// A comment inside a DOCTYPE, a processing instruction, with quotes.
		{`<!DOCTYPE S [<!-- it's --><!ELEMENT S ANY>]><?pi it's ?><S>it's ` + many + `</S>`, true},
		{`<?pi a="` + many + `?><S` + manyAttrs(65) + `/>`, false},
	}
	for i, tt := range tests {
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = strings.NewReader(tt.xml)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			_, err := decodeMetadata(r, &metaLimits{depth: 64, docs: 10, elements: 1000})
			var le *LimitError
			if tt.ok != (err == nil) || (!tt.ok && (!errors.As(err, &le) || le.Limit != "attributes")) {
				t.Errorf("%d (one byte %v): %v", i, oneByte, err)
			}
		}
	}
	// 4 MiB of attributes on one element: refused at the 65th.
	storm := "<S><RegistryObjectList><ExtrinsicObject" + strings.Repeat(` a=""`, (4<<20-100)/5) + "/></RegistryObjectList></S>"
	zipped := zipOf(t, false, "SUBSET01/METADATA.XML", storm)
	var le *LimitError
	if _, err := Read(bytes.NewReader(zipped), int64(len(zipped)), nil); !errors.As(err, &le) || le.Limit != "attributes" {
		t.Fatalf("storm: %v", err)
	}
}
