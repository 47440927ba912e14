package xdm

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda"
)

// FuzzRead feeds Read arbitrary archives: it must never panic.
func FuzzRead(f *testing.F) {
	f.Add(build(f, nil, testCDA(f, testPatient(), cda.TypeCRConsultation, nil)))
	f.Add(zipOf(f, true, `x\ihe_xdm\subset01\metadata.xml`, minimalMeta, `x\ihe_xdm\subset01\doc0001.xml`, "<a/>"))
	f.Add(zipOf(f, false, "IHE_XDM/SUBSET01/METADATA.XML", "<a><b>"))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Read(bytes.NewReader(data), int64(len(data)), &ReadOptions{MaxTotalSize: 1 << 22, MaxEntries: 50})
		if err != nil {
			return
		}
		p.PatientINS()
		p.Verify()
		for _, d := range p.Documents {
			if rc, err := p.Open(d); err == nil {
				rc.Close()
			}
		}
	})
}

// tooManyAttributes reports whether encoding/xml, reading data, meets an
// element with more than maxAttributes attributes, or fails before the
// end (then the input was not well-formed, and any refusal is right).
func tooManyAttributes(data []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		t, err := d.Token()
		if err != nil {
			return err != io.EOF
		}
		if se, ok := t.(xml.StartElement); ok && len(se.Attr) > maxAttributes {
			return true
		}
	}
}

// FuzzMetadata feeds METADATA.XML decoding arbitrary XML; a refusal for
// too many attributes must be right (the attribute count is made on the
// bytes, before encoding/xml).
func FuzzMetadata(f *testing.F) {
	f.Add([]byte(minimalMeta))
	f.Add([]byte("<a>" + string(bytes.Repeat([]byte("<b>"), 70))))
	f.Add([]byte(`<!DOCTYPE S [<!-- it's --><!ELEMENT S ANY>]><?pi it's ?><S x='1' y="2"><![CDATA[ ' ]]></S>`))
	f.Add([]byte("<S" + strings.Repeat(` a=""`, 70) + "/>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := decodeMetadata(bytes.NewReader(data), &metaLimits{depth: 64, docs: 1000, elements: 1 << 20})
		var le *LimitError
		if errors.As(err, &le) && le.Limit == "attributes" && !tooManyAttributes(data) {
			t.Fatalf("refused for its attributes, yet encoding/xml reads no element with more than %d", maxAttributes)
		}
		if err != nil {
			return
		}
		req.convert()
	})
}

// FuzzReadGenerated builds an archive from fuzzed parameters, so that the
// fuzzer reaches the resolution of documents rather than the ZIP checks:
// a layout (folders, case, separators, compression), up to 63
// DocumentEntries and 7 files; for each entry, from plan, how its URI
// names a file (exactly, in another case, by the whole path, a missing
// file, a path leaving its folder, the METADATA.XML, or no URI at all) and
// whether its hash and size are right, wrong, malformed or absent. It
// checks what Read must guarantee: no panic; only a limit refuses such an
// archive; no file given to two documents; each file read at most once; a
// hash or size called right only when it is; an entry with its own file,
// right hash and size, has no problem.
func FuzzReadGenerated(f *testing.F) {
	f.Add(uint8(0), uint8(1), uint8(1), []byte{0x29, 0x80})
	f.Add(uint8(0x17), uint8(3), uint8(2), []byte{0x00, 0x09, 0x2a, 0x81})
	f.Add(uint8(0x42), uint8(8), uint8(3), []byte{0x01, 0x01, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0e})
	f.Add(uint8(0xff), uint8(60), uint8(7), []byte{0x21, 0x62, 0xa3})
	f.Fuzz(func(t *testing.T, layout, nEntries, nFiles uint8, plan []byte) {
		nEntries %= 64
		nFiles %= 8
		if len(plan) == 0 {
			plan = []byte{0}
		}
		at := func(i int) byte { return plan[i%len(plan)] }
		sep := "/"
		if layout&1 != 0 {
			sep = `\`
		}
		prefix := []string{"", "IHE_XDM/", "Export/IHE_XDM/", "x/"}[layout>>1&3]
		subset := []string{"SUBSET01", "subset02", "Subset7", "SUBSET01"}[layout>>3&3]
		metaName := []string{"METADATA.XML", "metadata.xml"}[layout>>5&1]
		deflate := layout&0x40 != 0
		skipHash := layout&0x80 != 0 && nEntries%5 == 0
		dir := strings.ReplaceAll(prefix+subset+"/", "/", sep)

		uid := func(i int) string { return fmt.Sprintf("1.2.3.%d", i) }
		names := make([]string, nFiles)
		contents := make([][]byte, nFiles)
		for j := range names {
			names[j] = fmt.Sprintf("DOC%04d.XML", j+1)
			if at(j)&0x40 != 0 && j < int(nEntries) {
				names[j] = uid(j) + ".xml" // named after an entry's uniqueId
			}
			contents[j] = []byte(fmt.Sprintf("<ClinicalDocument n=%q/>", fmt.Sprint(j, plan[:min(len(plan), j)])))
		}

		const (
			noURI = iota
			exact
			otherCase
			wholePath
			missing
			leaving
			metadata
			exactAgain
		)
		entries := make([]genEntry, nEntries)
		modes := make([]int, nEntries)
		targets := make([]int, nEntries)
		named := map[int]int{} // file → entries naming it by URI
		for i := range entries {
			b, c := at(2*i), at(2*i+1)
			mode, k := int(b&7), 0
			if nFiles == 0 && mode != noURI {
				mode = missing
			}
			if nFiles > 0 {
				k = int(b>>3) % int(nFiles)
			}
			modes[i], targets[i] = mode, k
			e := genEntry{ID: fmt.Sprintf("Doc%d", i), UniqueID: uid(i)}
			switch mode {
			case exact, exactAgain:
				e.URI = str(names[k])
			case otherCase:
				e.URI = str("./" + strings.ToLower(names[k]))
			case wholePath:
				e.URI = str(dir + names[k])
			case missing:
				e.URI = str("NOPE.XML")
			case leaving:
				e.URI = str(`..\..\` + names[k])
			case metadata:
				e.URI = str(strings.ToUpper(metaName))
			}
			switch mode {
			case exact, otherCase, wholePath, exactAgain:
				named[k]++
			}
			var content []byte
			if nFiles > 0 {
				content = contents[k]
			}
			switch b >> 6 {
			case 1:
				e.Hash = sha1hex(content)
			case 2:
				e.Hash = sha1hex(append([]byte("x"), content...))
			case 3:
				e.Hash = "zz"
			}
			switch c & 3 {
			case 1:
				e.Size = fmt.Sprint(len(content))
			case 2:
				e.Size = fmt.Sprint(len(content) + 1)
			case 3:
				e.Size = "12a"
			}
			entries[i] = e
		}

		files := []string{dir + metaName, genMetadata(entries), "README.TXT", "generated"}
		if layout&0x10 != 0 {
			files = append(files, dir, "") // a folder entry
		}
		byPath := map[string][]byte{}
		for j, n := range names {
			files = append(files, dir+n, string(contents[j]))
			byPath[dir+n] = contents[j]
		}
		zipped := zipOf(t, deflate, files...)
		cr := &countingReaderAt{r: bytes.NewReader(zipped)}
		p, err := Read(cr, int64(len(zipped)), &ReadOptions{SkipHashCheck: skipHash})
		if err != nil {
			var le *LimitError
			if !errors.As(err, &le) || le.Limit != "documents" || nEntries <= 50 {
				t.Fatalf("%d entries: %v", nEntries, err)
			}
			return
		}
		if cr.total > 3*int64(len(zipped))+(128<<10) {
			t.Fatalf("%d bytes read from an archive of %d", cr.total, len(zipped))
		}
		if len(p.Documents) != int(nEntries) {
			t.Fatalf("%d documents for %d entries", len(p.Documents), nEntries)
		}
		owner := map[string]string{}
		for i, d := range p.Documents {
			for _, pr := range d.Problems {
				var de *DocumentError
				if !errors.As(pr, &de) || de.Entry != d.EntryID || len(pr.Error()) > 1000 {
					t.Fatalf("%s: problem %v", d.EntryID, pr)
				}
			}
			if d.Readable() {
				if o, dup := owner[d.Path]; dup {
					t.Fatalf("%s and %s both read %s", o, d.EntryID, d.Path)
				}
				owner[d.Path] = d.EntryID
				want, ok := byPath[d.Path]
				if !ok {
					t.Fatalf("%s: path %q is no document file", d.EntryID, d.Path)
				}
				if !skipHash && (d.ActualHash != sha1hex(want) || d.ActualSize != int64(len(want))) {
					t.Fatalf("%s: actual hash/size %s %d", d.EntryID, d.ActualHash, d.ActualSize)
				}
			} else if d.Err() == nil {
				t.Fatalf("%s: unreadable without a problem", d.EntryID)
			}
			if d.HashOK && (!strings.EqualFold(d.Hash, d.ActualHash) || (d.Size >= 0 && d.Size != d.ActualSize) || d.ActualHash == "") {
				t.Fatalf("%s: HashOK with %s/%s %d/%d", d.EntryID, d.Hash, d.ActualHash, d.Size, d.ActualSize)
			}
			e, mode, k := entries[i], modes[i], targets[i]
			switch mode {
			case exact, otherCase, wholePath, exactAgain:
				if named[k] > 1 {
					if d.Readable() || !errors.Is(d.Err(), ErrSharedFile) {
						t.Fatalf("%s shares %s: %v", d.EntryID, names[k], d.Problems)
					}
					continue
				}
				if !d.Readable() || d.Path != dir+names[k] {
					t.Fatalf("%s: URI %q: path %q, %v", d.EntryID, *e.URI, d.Path, d.Problems)
				}
				if !skipHash && e.Hash == sha1hex(contents[k]) && e.Size == fmt.Sprint(len(contents[k])) && (len(d.Problems) != 0 || !d.HashOK) {
					t.Fatalf("%s: right hash and size, yet %v", d.EntryID, d.Problems)
				}
			case missing, metadata:
				if d.Readable() || !errors.Is(d.Err(), ErrMissingFile) {
					t.Fatalf("%s: URI %q: %v", d.EntryID, *e.URI, d.Problems)
				}
			case leaving:
				if d.Readable() || !errors.Is(d.Err(), ErrUnsafePath) {
					t.Fatalf("%s: URI %q: %v", d.EntryID, *e.URI, d.Problems)
				}
			case noURI:
				if d.Readable() {
					var de *DocumentError
					if !errors.As(d.Problems[0], &de) || de.Err != ErrNoURI || named[indexOf(names, d.Path, dir)] > 0 {
						t.Fatalf("%s: no URI, took %s: %v", d.EntryID, d.Path, d.Problems)
					}
				}
			}
		}
	})
}

// indexOf returns the index of the file at path among names in dir, or -1.
func indexOf(names []string, path, dir string) int {
	for j, n := range names {
		if dir+n == path {
			return j
		}
	}
	return -1
}
