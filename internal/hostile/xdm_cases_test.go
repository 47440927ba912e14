package hostile

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mssante-go/sdk/cda/xdm"
)

// --- XDM packages: reference amplification and broken metadata ---

// countingReaderAt counts the bytes read from an archive.
type countingReaderAt struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// refsMetadata is a METADATA.XML of n DocumentEntries all naming uri.
func refsMetadata(n int, uri string) string {
	var b strings.Builder
	b.WriteString("<SubmitObjectsRequest><RegistryObjectList>")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `<ExtrinsicObject id="d%d"><Slot name="URI"><ValueList><Value>%s</Value></ValueList></Slot></ExtrinsicObject>`, i, uri)
	}
	b.WriteString("</RegistryObjectList></SubmitObjectsRequest>")
	return b.String()
}

// refsZIP holds a METADATA.XML and one 1 MiB DOC0001.XML: zeros deflated
// (the archive is a few KB), or random bytes stored (the bytes read from
// the archive are then the bytes inflated).
func refsZIP(t *testing.T, metadata string, random bool) []byte {
	doc := make([]byte, 1<<20)
	method := zip.Deflate
	if random {
		rand.New(rand.NewSource(1)).Read(doc)
		method = zip.Store
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: meta, Method: zip.Deflate})
	io.WriteString(w, metadata)
	w, _ = zw.CreateHeader(&zip.FileHeader{Name: "IHE_XDM/SUBSET01/DOC0001.XML", Method: method})
	w.Write(doc)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// readCounted reads an archive through a counting ReaderAt.
func readCounted(b []byte, opts *xdm.ReadOptions) (*xdm.Package, int64, error) {
	cr := &countingReaderAt{r: bytes.NewReader(b)}
	p, err := xdm.Read(cr, int64(len(b)), opts)
	return p, cr.n.Load(), err
}

// documentFault returns the problem of the package's document with that
// entry id, or an error saying it has none.
func documentFault(p *xdm.Package, id string) error {
	for _, d := range p.Documents {
		if d.EntryID == id {
			if err := d.Err(); err != nil {
				return err
			}
			return fmt.Errorf("document %s has no problem", id)
		}
	}
	return fmt.Errorf("no document %s", id)
}

func xdmReadCases(t *testing.T) []hostileCase {
	thousand := refsZIP(t, refsMetadata(1000, "DOC0001.XML"), false)
	if len(thousand) > 8<<10 {
		t.Fatalf("the 1,000-reference archive is %d bytes", len(thousand))
	}
	var read1, read2 int64
	var shared int
	many := makeZIP(t, entry{name: meta, data: []byte(refsMetadata(150000, "DOC0001.XML"))})
	if len(many) > 512<<10 {
		t.Fatalf("the 150,000-reference archive is %d bytes", len(many))
	}
	twoDocs := func(uri string, extra ...entry) []byte {
		m := strings.Replace(refsMetadata(2, "DOC0002.XML"), "DOC0002.XML", uri, 1)
		if uri == "" {
			m = strings.Replace(refsMetadata(2, "DOC0002.XML"), `<Slot name="URI"><ValueList><Value>DOC0002.XML</Value></ValueList></Slot>`, "", 1)
		}
		return makeZIP(t, append([]entry{{name: meta, data: []byte(m)}, {name: "IHE_XDM/SUBSET01/DOC0002.XML", data: []byte("<ClinicalDocument/>")}}, extra...)...)
	}
	return []hostileCase{
		{"ZIP", "1,000 DocumentEntries naming one 1 MiB file (an archive of about 4 KB)",
			"`xdm.ErrLimit` (documents > 50, `ReadOptions.MaxDocuments`), less than 64 KB read", func() error {
				_, n, err := readCounted(thousand, nil)
				read1 = n
				return err
			}, func(err error) bool { return errors.Is(err, xdm.ErrLimit) && read1 < 64<<10 }},
		{"ZIP", "the same, stored, with `MaxDocuments: 1000`",
			"read; every entry `xdm.ErrSharedFile` and none readable; the file is never read (under 128 KB read of the 1 MiB archive: its directory and metadata)", func() error {
				p, n, err := readCounted(refsZIP(t, refsMetadata(1000, "DOC0001.XML"), true), &xdm.ReadOptions{MaxDocuments: 1000})
				read2 = n
				if err != nil {
					return err
				}
				for _, d := range p.Documents {
					if !d.Readable() && errors.Is(d.Err(), xdm.ErrSharedFile) {
						shared++
					}
				}
				return p.Verify()
			}, func(err error) bool { return errors.Is(err, xdm.ErrSharedFile) && shared == 1000 && read2 < 128<<10 }},
		{"ZIP", "150,000 DocumentEntries (an archive under 512 KB)",
			"`xdm.ErrLimit` (METADATA.XML over 4 MiB; with a larger `MaxMetadataSize`, documents > 50 while decoding)", func() error {
				if _, err := xdm.Read(bytes.NewReader(many), int64(len(many)), &xdm.ReadOptions{MaxMetadataSize: 64 << 20}); !errors.Is(err, xdm.ErrLimit) {
					return fmt.Errorf("with a larger MaxMetadataSize: %v", err)
				}
				return readZIP(many)
			}, is(xdm.ErrLimit)},
		{"XML", "METADATA.XML of 60,000 empty `<Association/>`", "`xdm.ErrLimit` (elements: 1,000 per document allowed, plus 1,000)", func() error {
			return readZIP(makeZIP(t, entry{name: meta, data: []byte("<S><RegistryObjectList>" + strings.Repeat("<Association/>", 60000) + "</RegistryObjectList></S>")}))
		}, is(xdm.ErrLimit)},
		{"XML", "METADATA.XML element with 800,000 attributes (4 MiB)", "`xdm.ErrLimit` (attributes: 64 per element), before encoding/xml holds them", func() error {
			return readZIP(makeZIP(t, entry{name: meta, data: []byte("<S><RegistryObjectList><ExtrinsicObject" + strings.Repeat(` a=""`, 800000) + "/></RegistryObjectList></S>")}))
		}, is(xdm.ErrLimit)},
		{"ZIP", "document URI `..\\..\\etc\\passwd`", "that document `xdm.ErrUnsafePath` with no file; the other one read", func() error {
			b := twoDocs(`..\..\etc\passwd`)
			p, err := xdm.Read(bytes.NewReader(b), int64(len(b)), nil)
			if err != nil {
				return err
			}
			if !p.Documents[1].Readable() || p.Documents[0].Readable() {
				return errors.New("wrong documents readable")
			}
			return documentFault(p, "d0")
		}, is(xdm.ErrUnsafePath)},
		{"ZIP", "DocumentEntry without URI beside a folder entry and another document's file", "that document `xdm.ErrMissingFile` (no hash check against the folder, no taking another's file)", func() error {
			b := twoDocs("", entry{name: "IHE_XDM/SUBSET01/"})
			p, err := xdm.Read(bytes.NewReader(b), int64(len(b)), nil)
			if err != nil {
				return err
			}
			err = documentFault(p, "d0")
			if errors.Is(err, xdm.ErrHashMismatch) || p.Documents[0].Readable() {
				return fmt.Errorf("false check: %w", err)
			}
			return err
		}, is(xdm.ErrMissingFile)},
	}
}
