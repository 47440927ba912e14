package hostile

import (
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda/xdm"
)

// --- XDM packages: reference amplification and broken metadata ---

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

const refsDoc = "IHE_XDM/SUBSET01/DOC0001.XML"

// refsZIP holds a METADATA.XML and one 1 MiB DOC0001.XML: zeros deflated
// (the archive is a few KB), or random bytes stored in a padded archive
// (the bytes read of its data are then the bytes inflated).
func refsZIP(t *testing.T, metadata string, random bool) []byte {
	doc := make([]byte, 1<<20)
	if !random {
		return makeZIP(t, entry{name: meta, data: []byte(metadata)}, entry{name: refsDoc, data: doc})
	}
	if _, err := rand.New(rand.NewSource(1)).Read(doc); err != nil {
		t.Fatal(err)
	}
	return paddedZIP(t, entry{name: meta, data: []byte(metadata)}, entry{name: refsDoc, data: doc, stored: true})
}

// document returns the package's document of that entry id.
func document(p *xdm.Package, id string) (*xdm.Document, error) {
	for _, d := range p.Documents {
		if d.EntryID == id {
			return d, nil
		}
	}
	return nil, fmt.Errorf("no document %s", id)
}

func xdmReadCases(t *testing.T) []hostileCase {
	thousand := refsZIP(t, refsMetadata(1000, "DOC0001.XML"), false)
	if len(thousand) < 3<<10 || len(thousand) > 6<<10 {
		t.Fatalf("the 1,000-reference archive is %d bytes", len(thousand))
	}
	stored := refsZIP(t, refsMetadata(1000, "DOC0001.XML"), true)
	if len(stored) < 1<<20 {
		t.Fatalf("the stored 1,000-reference archive is %d bytes", len(stored))
	}
	many := paddedZIP(t, entry{name: meta, data: []byte(refsMetadata(150000, "DOC0001.XML"))})
	if len(many) > 512<<10 {
		t.Fatalf("the 150,000-reference archive is %d bytes", len(many))
	}
	// 800,000 attributes are 4,000,000 bytes, under MaxMetadataSize;
	// stored, so that the ratio limit does not refuse the entry first.
	attrs := makeZIP(t, entry{name: meta, stored: true, data: []byte("<S><RegistryObjectList><ExtrinsicObject" + strings.Repeat(` a=""`, 800000) + "/></RegistryObjectList></S>")})
	twoDocs := func(uri string, extra ...entry) []byte {
		m := strings.Replace(refsMetadata(2, "DOC0002.XML"), "DOC0002.XML", uri, 1)
		if uri == "" {
			m = strings.Replace(refsMetadata(2, "DOC0002.XML"), `<Slot name="URI"><ValueList><Value>DOC0002.XML</Value></ValueList></Slot>`, "", 1)
		}
		return makeZIP(t, append([]entry{{name: meta, data: []byte(m)}, {name: "IHE_XDM/SUBSET01/DOC0002.XML", data: []byte("<ClinicalDocument/>")}}, extra...)...)
	}
	// twoDocsRead: d0 has the problem want and no file; d1 was read.
	twoDocsRead := func(want error, d0Check func(d *xdm.Document) error) check {
		return pkg(func(p *xdm.Package) error {
			d0, err := document(p, "d0")
			if err != nil {
				return err
			}
			d1, err := document(p, "d1")
			if err != nil {
				return err
			}
			switch {
			case !errors.Is(d0.Err(), want):
				return fmt.Errorf("d0: %v, want %v", d0.Err(), want)
			case d0.Readable() || d0.Path != "":
				return fmt.Errorf("d0 has the file %q", d0.Path)
			case !d1.Readable() || d1.Path != "IHE_XDM/SUBSET01/DOC0002.XML" || d1.ActualSize != int64(len("<ClinicalDocument/>")) || d1.ActualHash == "" || d1.Err() != nil:
				return fmt.Errorf("d1 not read: %q, %d bytes, %v", d1.Path, d1.ActualSize, d1.Err())
			}
			if d0Check != nil {
				return d0Check(d0)
			}
			return nil
		})
	}
	return []hostileCase{
		{"ZIP", "1,000 DocumentEntries naming one 1 MiB file (an archive of about 4 KB)",
			"`xdm.ErrLimit` (documents, 50 at most: `ReadOptions.MaxDocuments`)",
			readXDM(thousand, nil), xdmLimit("documents", 50)},
		{"ZIP", "the same, the file stored (an archive of 1 MiB)",
			"`xdm.ErrLimit` (documents); not one byte of the file read",
			readXDM(stored, nil, refsDoc), all(xdmLimit("documents", 50), counted("bytes of DOC0001.XML read", 0))},
		{"ZIP", "the same, stored, with `MaxDocuments: 1000`",
			"read; all 1,000 entries `xdm.ErrSharedFile` and none readable; not one byte of the file read",
			readXDM(stored, &xdm.ReadOptions{MaxDocuments: 1000}, refsDoc), all(accepted, counted("bytes of DOC0001.XML read", 0), pkg(func(p *xdm.Package) error {
				shared := 0
				for _, d := range p.Documents {
					if !d.Readable() && errors.Is(d.Err(), xdm.ErrSharedFile) {
						shared++
					}
				}
				if len(p.Documents) != 1000 || shared != 1000 {
					return fmt.Errorf("%d of %d documents shared and unreadable", shared, len(p.Documents))
				}
				return nil
			}))},
		{"ZIP", "150,000 DocumentEntries (an archive under 512 KB, METADATA.XML of 18 MB)",
			"`xdm.ErrLimit` (metadata size, 4 MiB at most: `MaxMetadataSize`) on its declared size: not one byte of it read",
			readXDM(many, nil, meta), all(xdmLimit("metadata size", 4<<20), counted("bytes of METADATA.XML read", 0))},
		{"ZIP", "the same with `MaxMetadataSize: 64 MiB`",
			"`xdm.ErrLimit` (documents, 50 at most) while METADATA.XML streams in: under 64 KB of its 429 KB (compressed) read",
			readXDM(many, &xdm.ReadOptions{MaxMetadataSize: 64 << 20}, meta), all(xdmLimit("documents", 50), func(o *outcome) error {
				if n := o.counts["bytes of METADATA.XML read"]; n == 0 || n > 64<<10 {
					return fmt.Errorf("%d bytes of METADATA.XML read", n)
				}
				return nil
			})},
		{"XML", "METADATA.XML of 60,000 empty `<Association/>`", "`xdm.ErrLimit` (elements: 1,000 per document allowed plus 1,000, so 51,000)",
			readXDM(makeZIP(t, entry{name: meta, data: []byte("<S><RegistryObjectList>" + strings.Repeat("<Association/>", 60000) + "</RegistryObjectList></S>")}), nil),
			xdmLimit("elements", 51000)},
		{"XML", "METADATA.XML element with 800,000 attributes (4 MB)", "`xdm.ErrLimit` (attributes, 64 per element) before encoding/xml holds them: under 1 MB allocated",
			func(o *outcome) (err error) {
				o.alloc = allocated(func() { err = readXDM(attrs, nil)(o) })
				return err
			}, all(xdmLimit("attributes", 64), allocAtMost(1<<20))},
		{"ZIP", "document URI `..\\..\\etc\\passwd`", "read; that document `xdm.ErrUnsafePath` with no file; the other one read and hashed",
			readXDM(twoDocs(`..\..\etc\passwd`), nil), all(accepted, twoDocsRead(xdm.ErrUnsafePath, nil))},
		{"ZIP", "DocumentEntry without URI beside a folder entry and another document's file",
			"read; that document `xdm.ErrMissingFile` with no file: no hash checked against the folder, the other document's file not taken",
			readXDM(twoDocs("", entry{name: "IHE_XDM/SUBSET01/"}), nil), all(accepted, twoDocsRead(xdm.ErrMissingFile, func(d *xdm.Document) error {
				if errors.Is(d.Err(), xdm.ErrHashMismatch) || d.ActualHash != "" {
					return fmt.Errorf("d0 hashed (%q): %v", d.ActualHash, d.Err())
				}
				return nil
			}))},
	}
}
