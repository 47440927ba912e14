package hostile

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/cda/xdm"
	"github.com/mssante-go/sdk/internal/testdocs"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/trust"
)

var update = flag.Bool("update", false, "rewrite the catalogue in ../../ROBUSTNESS.md")

func catalogue(t *testing.T) []hostileCase {
	cases := slices.Concat(zipCases(t), xdmReadCases(t), mimeCases(), reportCases(), xmlCases(t), headerCases(), addressCases(t),
		trustCases(t), clientCases(t), mailDocumentsCases(t))
	return cases
}

func TestCatalogue(t *testing.T) {
	var md strings.Builder
	md.WriteString("| Area | Case | Expected | Result |\n|---|---|---|---|\n")
	for _, c := range catalogue(t) {
		start := time.Now()
		o, panicked, setup := runCase(c)
		var fail error
		switch {
		case panicked != nil:
			fail = fmt.Errorf("PANIC: %v", panicked)
		case setup != nil:
			fail = fmt.Errorf("setup: %v", setup)
		default:
			fail = c.check(o)
		}
		result := "ok"
		if fail != nil {
			result = "FAILED"
			t.Errorf("%s / %s: %v; want %s", c.area, c.name, fail, c.want)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Logf("%s / %s took %v", c.area, c.name, d)
		}
		fmt.Fprintf(&md, "| %s | %s | %s | %s |\n", c.area, c.name, c.want, result)
	}
	syncDoc(t, md.String())
}

// syncDoc checks that ROBUSTNESS.md lists the catalogue as it ran, or
// rewrites it with -update.
func syncDoc(t *testing.T, table string) {
	const path = "../../ROBUSTNESS.md"
	const begin, end = "<!-- catalogue:begin -->\n", "<!-- catalogue:end -->"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	s := string(doc)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no catalogue markers", path)
	}
	want := s[:i+len(begin)] + table + s[j:]
	if *update && t.Failed() {
		t.Log("a case failed: ROBUSTNESS.md not rewritten")
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want != s {
		t.Errorf("%s does not match the catalogue (run go test ./internal/hostile -update):\n%s", path, table)
	}
}

// --- ZIP (IHE_XDM.ZIP) ---

// countingReaderAt counts the bytes read from an archive, in all and
// within the data of some entries.
type countingReaderAt struct {
	r       io.ReaderAt
	n       atomic.Int64
	watched []*watchedData
}

// watchedData is the byte range of one entry's data.
type watchedData struct {
	name     string
	from, to int64
	n        atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	for _, w := range c.watched {
		if lo, hi := max(off, w.from), min(off+int64(n), w.to); lo < hi {
			w.n.Add(hi - lo)
		}
	}
	return n, err
}

// readXDM reads an archive through a counting ReaderAt. The bytes read of
// the data of each entry named in watch are counted as "bytes of NAME
// read", NAME being the entry's base name.
func readXDM(b []byte, opts *xdm.ReadOptions, watch ...string) func(o *outcome) error {
	return func(o *outcome) error {
		cr := &countingReaderAt{r: bytes.NewReader(b)}
		if len(watch) > 0 {
			zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				return err
			}
			for _, name := range watch {
				i := slices.IndexFunc(zr.File, func(f *zip.File) bool { return f.Name == name })
				if i < 0 {
					return fmt.Errorf("no entry %s", name)
				}
				from, err := zr.File[i].DataOffset()
				if err != nil {
					return err
				}
				cr.watched = append(cr.watched, &watchedData{name: path.Base(name), from: from, to: from + int64(zr.File[i].CompressedSize64)})
			}
		}
		o.pkg, o.err = xdm.Read(cr, int64(len(b)), opts)
		o.read = cr.n.Load()
		for _, w := range cr.watched {
			o.count("bytes of "+w.name+" read", w.n.Load())
		}
		return nil
	}
}

type entry struct {
	name   string
	data   []byte
	flags  uint16
	stored bool // zip.Store rather than zip.Deflate
	// forged headers: rawDeflate is written as the compressed data, and
	// usize claimed as the uncompressed size.
	rawDeflate []byte
	usize      uint64
}

func makeZIP(t *testing.T, entries ...entry) []byte {
	t.Helper()
	return makeZIPComment(t, "", entries...)
}

// paddedZIP is an archive whose entries are followed by 4 KiB of padding
// (a stored file) and an end record with the longest comment: the tail
// that readers search for the end record (the last 64 KiB, 65 KiB for
// archive/zip) then holds none of the entries' bytes, so that the bytes
// read of an entry are the bytes Read asked of it.
func paddedZIP(t *testing.T, entries ...entry) []byte {
	t.Helper()
	return makeZIPComment(t, strings.Repeat(" ", 65535), append(entries, entry{name: "PADDING", data: make([]byte, 4096), stored: true})...)
}

func makeZIPComment(t *testing.T, comment string, entries ...entry) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	if err := zw.SetComment(comment); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		var w io.Writer
		var err error
		data := e.data
		if e.rawDeflate != nil {
			w, err = zw.CreateRaw(&zip.FileHeader{Name: e.name, Method: zip.Deflate, CompressedSize64: uint64(len(e.rawDeflate)), UncompressedSize64: e.usize})
			data = e.rawDeflate
		} else {
			method := zip.Deflate
			if e.stored {
				method = zip.Store
			}
			w, err = zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method, Flags: e.flags})
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// deflated is n zero bytes, deflated.
func deflated(t *testing.T, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	fw, err := flate.NewWriter(&b, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(zeros))
		if _, err := fw.Write(zeros[:k]); err != nil {
			t.Fatal(err)
		}
		n -= k
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// manyEntries is an archive of n empty stored entries.
func manyEntries(t *testing.T, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i < n; i++ {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("f%d", i), Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const meta = "IHE_XDM/SUBSET01/METADATA.XML"

func zipCases(t *testing.T) []hostileCase {
	valid := validPackage(t)
	many := manyEntries(t, 100000)
	if len(many) < 10_000_000 {
		t.Fatalf("the 100,000-entry archive is %d bytes", len(many))
	}
	bomb := deflated(t, 64<<20)
	if len(bomb) < 60<<10 || len(bomb) > 68<<10 {
		t.Fatalf("the 64 MB bomb is %d bytes deflated", len(bomb))
	}
	tiny := deflated(t, 1024)
	unsafe := func(name, show string) hostileCase {
		return hostileCase{"ZIP", show, "`xdm.ErrUnsafePath`",
			readXDM(makeZIP(t, entry{name: name}, entry{name: meta}), nil), is(xdm.ErrUnsafePath)}
	}
	return []hostileCase{
		unsafe("../../etc/passwd", "zip-slip name `../../etc/passwd`"),
		unsafe(`IHE_XDM\..\..\x`, "zip-slip through back-slashes `IHE_XDM\\..\\..\\x`"),
		unsafe("/etc/passwd", "absolute path `/etc/passwd`"),
		unsafe("C:/Windows/x", "drive letter `C:/Windows/x`"),
		{"ZIP", "1 KB entry whose header claims 1 GB", "`xdm.ErrLimit` (ratio, 200 at most)",
			readXDM(makeZIP(t, entry{name: meta, rawDeflate: tiny, usize: 1 << 30}), nil), xdmLimit("ratio", 200)},
		{"ZIP", "64 MB of zeros in 64 KB (real bomb)", "`xdm.ErrLimit` (ratio, 200 at most)",
			readXDM(makeZIP(t, entry{name: meta, rawDeflate: bomb, usize: 64 << 20}), nil), xdmLimit("ratio", 200)},
		{"ZIP", "entry inflating past its declared size", "refused: `xdm.ErrMetadata` wrapping `zip.ErrFormat`",
			readXDM(makeZIP(t, entry{name: meta, rawDeflate: deflated(t, 4096), usize: 10}), nil), all(is(xdm.ErrMetadata), is(zip.ErrFormat))},
		{"ZIP", "100,000 entries (a 10 MB archive)", "`xdm.ErrLimit` (entries, 1,000 at most) before the directory is loaded: only its last 64 KiB and its ZIP64 end record read",
			readXDM(many, nil), all(xdmLimit("entries", 1000), readAtMost(64<<10+22+40))},
		{"ZIP", "duplicate entry names", "`xdm.ErrDuplicateEntry`",
			readXDM(appendEntry(t, valid, "IHE_XDM/SUBSET01/DOC0001.XML", []byte("<other/>")), nil), is(xdm.ErrDuplicateEntry)},
		{"ZIP", "encrypted entry", "`xdm.ErrEncrypted`",
			readXDM(makeZIP(t, entry{name: meta, data: []byte("x"), flags: 1}), nil), is(xdm.ErrEncrypted)},
		{"ZIP", "not a ZIP at all", "`xdm.ErrNotZIP`", readXDM([]byte("PK\x03\x04 garbage"), nil), is(xdm.ErrNotZIP)},
		{"ZIP", "tampered document (hash mismatch)", "read, the document with `HashOK` false; `Package.Verify` returns `xdm.ErrHashMismatch`",
			func(o *outcome) error {
				if err := readXDM(tamper(t, valid), nil)(o); err != nil || o.pkg == nil {
					return err
				}
				o.next = o.pkg.Verify()
				return nil
			}, all(accepted, pkg(func(p *xdm.Package) error {
				if len(p.Documents) != 1 || p.Documents[0].HashOK {
					return fmt.Errorf("%d documents, the first with HashOK", len(p.Documents))
				}
				return nil
			}), nextIs(xdm.ErrHashMismatch))},
	}
}

// validPackage builds a real IHE_XDM.ZIP around one N1 document.
func validPackage(t *testing.T) []byte {
	var b bytes.Buffer
	w := xdm.NewWriter(&b, nil)
	if _, err := w.Add(bytes.NewReader(n1(t, "279035121518989")), nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// rewrite copies a ZIP, letting edit change each entry's content, and
// adds extra entries.
func rewrite(t *testing.T, src []byte, edit func(name string, data []byte) []byte, extra ...entry) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	add := func(name string, data []byte) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		if err := rc.Close(); err != nil {
			t.Fatal(err)
		}
		add(f.Name, edit(f.Name, data))
	}
	for _, e := range extra {
		add(e.name, e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func appendEntry(t *testing.T, src []byte, name string, data []byte) []byte {
	return rewrite(t, src, func(_ string, d []byte) []byte { return d }, entry{name: name, data: data})
}

func tamper(t *testing.T, src []byte) []byte {
	return rewrite(t, src, func(name string, d []byte) []byte {
		if strings.HasSuffix(name, "DOC0001.XML") {
			return bytes.Replace(d, []byte("<title>"), []byte("<title>X"), 1)
		}
		return d
	})
}

func n1(t *testing.T, ins string) []byte {
	b, err := testdocs.N1(testdocs.Options{INS: ins}, strings.NewReader("%PDF-1.4 test"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// --- MIME ---

// countingReader counts the bytes read from a message.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// parse parses raw through a counting reader; after, when set, runs on the
// parsed message before it is closed.
func parse(raw string, opts *mail.ParseOptions, after func(o *outcome, m *mail.Message)) func(o *outcome) error {
	return func(o *outcome) error {
		cr := &countingReader{r: strings.NewReader(raw)}
		o.msg, o.err = mail.Parse(cr, opts)
		o.read = cr.n
		if o.msg == nil {
			return nil
		}
		if after != nil {
			after(o, o.msg)
		}
		if err := o.msg.Close(); err != nil {
			return fmt.Errorf("closing the message: %v", err)
		}
		return nil
	}
}

// hasProblem: a problem of the message wraps target and says text.
func hasProblem(m *mail.Message, target error, text string) error {
	for _, p := range m.Problems {
		if errors.Is(p, target) && strings.Contains(p.Error(), text) {
			return nil
		}
	}
	return fmt.Errorf("no %v problem saying %q among %v", target, text, m.Problems)
}

func mimeCases() []hostileCase {
	nested := func(depth int) string {
		var b strings.Builder
		b.WriteString("From: a@b.fr\r\nMIME-Version: 1.0\r\n")
		for i := 0; i < depth; i++ {
			fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
		}
		b.WriteString("Content-Type: text/plain\r\n\r\nx\r\n")
		return b.String()
	}
	const badBase64 = "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not*base64!!!\r\n"
	const crlf = "From: a@b.fr\r\nSubject: s\r\nContent-Type: text/plain\r\n\r\nbody\r\nline 2\r\n"
	return []hostileCase{
		{"MIME", "multipart nested 1,000 deep", "`mail.ErrLimitExceeded` (depth, 20 at most)",
			parse(nested(1000), nil, nil), mailLimit("depth", 20)},
		{"MIME", "a 10 MB header", "`mail.ErrLimitExceeded` (header size 1 MiB), at most 1.1 MB of it read",
			parse("From: a@b.fr\r\nX-Big: "+strings.Repeat("a", 10<<20)+"\r\n\r\nbody", nil, nil),
			all(mailLimit("header size", 1<<20), readAtMost(1_100_000))},
		{"MIME", "multipart without boundary", "`mail.ErrMalformed`",
			parse("From: a@b.fr\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\n\r\nbody\r\n", nil, nil), is(mail.ErrMalformed)},
		{"MIME", "invalid base64 attachment as the whole message (single part)", "`mail.ErrMalformed` from `Parse`",
			parse("From: a@b.fr\r\n"+badBase64, nil, nil), is(mail.ErrMalformed)},
		{"MIME", "invalid base64 attachment in a multipart message", "parsed, the attachment listed; reading it fails with `mail.ErrMalformed`",
			parse("From: a@b.fr\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\n"+badBase64+"--b--\r\n", nil,
				func(o *outcome, m *mail.Message) {
					if len(m.Attachments) != 1 || m.Attachments[0].Open == nil {
						return
					}
					rc, err := m.Attachments[0].Open()
					if err == nil {
						_, err = io.ReadAll(rc)
						if cerr := rc.Close(); err == nil {
							err = cerr
						}
					}
					o.next = err
				}),
			all(accepted, message(func(m *mail.Message) error {
				if len(m.Attachments) != 1 || m.Attachments[0].Filename != "a.pdf" {
					return fmt.Errorf("attachments %v", m.Attachments)
				}
				return nil
			}), nextIs(mail.ErrMalformed))},
		{"MIME", "unknown charset", "parsed; a `mail.ErrMalformed` problem recorded, body kept",
			parse("From: a@b.fr\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nqapla'\r\n", nil, nil),
			all(accepted, message(func(m *mail.Message) error {
				if m.Text != "qapla'\n" {
					return fmt.Errorf("body %q", m.Text)
				}
				return hasProblem(m, mail.ErrMalformed, "charset")
			}))},
		{"MIME", "bare LF line ends", "parsed like CRLF (same sender, subject, body, header fields)",
			parse(strings.ReplaceAll(crlf, "\r\n", "\n"), nil, nil),
			all(accepted, message(func(m *mail.Message) error {
				want, err := mail.Parse(strings.NewReader(crlf), nil)
				if err != nil {
					return fmt.Errorf("the CRLF message: %v", err)
				}
				if m.From != want.From || m.Subject != want.Subject || m.Text != want.Text || m.Text != "body\nline 2\n" ||
					fmt.Sprint(m.Header.Map()) != fmt.Sprint(want.Header.Map()) {
					return fmt.Errorf("got %q %q %q, CRLF gives %q %q %q", m.From, m.Subject, m.Text, want.From, want.Subject, want.Text)
				}
				return nil
			}))},
		{"MIME", "NUL bytes in header and body", "parsed, no panic",
			parse("From: a@b.fr\r\nSubject: a\x00b\r\n\r\nbo\x00dy\r\n", nil, nil), accepted},
		{"MIME", "message over the size limit", "`mail.ErrLimitExceeded` (message size, `MaxMessageBytes`)",
			parse("From: a@b.fr\r\n\r\n"+strings.Repeat("x", 2000), &mail.ParseOptions{MaxMessageBytes: 1000}, nil), mailLimit("message size", 1000)},
	}
}

// --- XML ---

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
`

func deep(open, close string, n int) string {
	return strings.Repeat(open, n) + strings.Repeat(close, n)
}

// parseCDA parses s, measuring what the parse allocates.
func parseCDA(s string) func(o *outcome) error {
	return func(o *outcome) error {
		o.alloc = allocated(func() { _, o.err = cda.Parse(strings.NewReader(s), nil) })
		return nil
	}
}

// externalEntity runs f with the URL of an HTTP server that counts the
// requests it gets as "requests for the entity".
func externalEntity(f func(url string) func(o *outcome) error) func(o *outcome) error {
	return func(o *outcome) error {
		var asked atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			asked.Add(1)
			w.WriteHeader(http.StatusOK) // an empty answer: any request is a failure of the case
		}))
		defer srv.Close()
		err := f(srv.URL + "/secret.txt")(o)
		o.count("requests for the entity", asked.Load())
		return err
	}
}

func xxe(url string) string {
	return `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "` + url + `">]>`
}

func xmlCases(t *testing.T) []hostileCase {
	cdaHead := `<ClinicalDocument xmlns="urn:hl7-org:v3">`
	sections := func(n int) string { return cdaHead + deep("<section>", "</section>", n) + `</ClinicalDocument>` }
	metadataZIP := func(xml string) []byte { return makeZIP(t, entry{name: meta, data: []byte(xml)}) }
	listHead := `<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">`
	parseList := func(s string) func(o *outcome) error {
		return func(o *outcome) error {
			o.list, o.err = trust.ParseList(strings.NewReader(s), nil)
			return nil
		}
	}
	return []hostileCase{
		{"XML", "billion laughs in a CDA", "`cda.ErrMalformed`; entities are not expanded (under 1 MB allocated)",
			parseCDA(billionLaughs + cdaHead + `<title>&lol9;</title></ClinicalDocument>`), all(is(cda.ErrMalformed), allocAtMost(1<<20))},
		{"XML", "external entity in a CDA", "`cda.ErrMalformed`; the entity's URL is never fetched",
			externalEntity(func(url string) func(o *outcome) error {
				return parseCDA(xxe(url) + cdaHead + `<title>&xxe;</title></ClinicalDocument>`)
			}), all(is(cda.ErrMalformed), counted("requests for the entity", 0))},
		{"XML", "CDA nested 10,000 deep", "`cda.ErrTooDeep` (`ParseOptions.MaxDepth`, 256: a document 256 deep is not refused for its depth, one 257 deep is)",
			func(o *outcome) error {
				_, o.err = cda.Parse(strings.NewReader(sections(10000)), nil)
				for _, depth := range []int{256, 257} {
					// ClinicalDocument, then depth-1 sections.
					if _, err := cda.Parse(strings.NewReader(sections(depth-1)), nil); errors.Is(err, cda.ErrTooDeep) {
						o.count(fmt.Sprintf("refused for depth at %d", depth), 1)
					}
				}
				return nil
			}, all(is(cda.ErrTooDeep), counted("refused for depth at 256", 0), counted("refused for depth at 257", 1))},
		{"XML", "METADATA.XML nested 10,000 deep", "`xdm.ErrLimit` (depth, 64 at most)",
			readXDM(metadataZIP(`<SubmitObjectsRequest>`+deep("<a>", "</a>", 10000)+`</SubmitObjectsRequest>`), nil), xdmLimit("depth", 64)},
		{"XML", "billion laughs in METADATA.XML", "`xdm.ErrMetadata`; entities are not expanded (under 1 MB allocated)",
			func(o *outcome) error {
				b := metadataZIP(billionLaughs + `<SubmitObjectsRequest>&lol9;</SubmitObjectsRequest>`)
				o.alloc = allocated(func() { _, o.err = xdm.Read(bytes.NewReader(b), int64(len(b)), nil) })
				return nil
			}, all(is(xdm.ErrMetadata), allocAtMost(1<<20))},
		{"XML", "external entity in METADATA.XML", "`xdm.ErrMetadata`; the entity's URL is never fetched",
			externalEntity(func(url string) func(o *outcome) error {
				return readXDM(metadataZIP(xxe(url)+`<SubmitObjectsRequest>&xxe;</SubmitObjectsRequest>`), nil)
			}), all(is(xdm.ErrMetadata), counted("requests for the entity", 0))},
		{"XML", "liste blanche with a DTD (billion laughs)", "`trust.ErrMalformedList`: document type declarations are refused",
			parseList(billionLaughs + listHead + `</ListeBlancheMSSante>`), all(is(trust.ErrMalformedList), errText("document type declarations are not accepted"))},
		{"XML", "liste blanche nested 10,000 deep", "`trust.ErrMalformedList`",
			parseList(listHead + deep("<x>", "</x>", 10000) + `</ListeBlancheMSSante>`), is(trust.ErrMalformedList)},
	}
}

// --- Headers ---

// countingWriter counts the bytes written to it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// encode encodes a message that mod makes hostile, counting the bytes
// the encoder writes.
func encode(mod func(m *mail.Message)) func(o *outcome) error {
	return func(o *outcome) error {
		m := &mail.Message{From: mail.MustParseAddress("a@medecin.mssante.fr"), To: []mail.Address{mail.MustParseAddress("b@medecin.mssante.fr")}}
		mod(m)
		var w countingWriter
		o.err = m.Encode(&w, nil)
		o.wrote = w.n
		return nil
	}
}

func headerCases() []hostileCase {
	inj := "x\r\nBcc: evil@attacker.example"
	injection := func(name string, mod func(m *mail.Message)) hostileCase {
		return hostileCase{"Headers", name, "refused before any byte: `mail.ErrHeaderInjection`", encode(mod), all(is(mail.ErrHeaderInjection), wroteNothing)}
	}
	// A CR/LF in an address or its display name fails the address grammar
	// first.
	badAddress := func(name string, mod func(m *mail.Message)) hostileCase {
		return hostileCase{"Headers", name, "refused before any byte: `mail.ErrInvalidAddress`", encode(mod), all(is(mail.ErrInvalidAddress), wroteNothing)}
	}
	return []hostileCase{
		injection("CR/LF in the subject", func(m *mail.Message) { m.Subject = inj }),
		badAddress("CR/LF in a display name", func(m *mail.Message) { m.From.Name = inj }),
		injection("CR/LF in an attachment file name", func(m *mail.Message) {
			m.Attachments = []*mail.Attachment{mail.BytesAttachment("a.pdf"+inj, "", nil)}
		}),
		injection("CR/LF in an attachment content type", func(m *mail.Message) {
			m.Attachments = []*mail.Attachment{mail.BytesAttachment("a.pdf", "application/pdf"+inj, nil)}
		}),
		injection("CR/LF in X-MSS-NIL (product reference)", func(m *mail.Message) { m.ProductRef = inj }),
		injection("CR/LF in Message-ID", func(m *mail.Message) { m.MessageID = "a@b" + inj }),
		injection("CR/LF in In-Reply-To", func(m *mail.Message) { m.InReplyTo = []string{"a@b" + inj} }),
		injection("CR/LF in References", func(m *mail.Message) { m.References = []string{"a@b", inj} }),
		badAddress("CR/LF in an address", func(m *mail.Message) { m.To[0].Addr = "b@medecin.mssante.fr" + inj }),
	}
}

// --- Addresses ---

func addressCases(t *testing.T) []hostileCase {
	list, err := trust.ParseList(strings.NewReader(testdocs.ListeBlanche("medecin.mssante.fr")), nil)
	if err != nil {
		t.Fatal(err)
	}
	// guard parses an address and checks it against the liste blanche;
	// o.err is the first refusal.
	guard := func(addr string) func(o *outcome) error {
		return sdk(func() error {
			a, err := mail.ParseAddress(addr)
			if err != nil {
				return err
			}
			return list.CheckAddress(a.Addr)
		})
	}
	trustErr := func(f func(e *trust.AddressError) error) check {
		return func(o *outcome) error {
			var e *trust.AddressError
			if !errors.As(o.err, &e) {
				return fmt.Errorf("error %v, want a trust.AddressError", o.err)
			}
			return f(e)
		}
	}
	two := sdk(func() error {
		_, err := mail.NewDocumentSet([]mail.CDASource{src(n1(t, "279035121518989")), src(n1(t, "146026322000196"))}, nil)
		return err
	})
	return []hostileCase{
		{"Addresses", "patient address with a wrong INS key", "`mail.ErrInvalidAddress` wrapping `cda.ErrINSKey`",
			guard("279035121518988@patient.mssante.fr"), all(is(mail.ErrInvalidAddress), is(cda.ErrINSKey))},
		{"Addresses", "look-alike domain `medecin.mssante.fr.evil.com`", "`trust.ErrNotInTrustSpace`", guard("x@medecin.mssante.fr.evil.com"), is(trust.ErrNotInTrustSpace)},
		{"Addresses", "look-alike domain `medecin-mssante.fr`", "`trust.ErrNotInTrustSpace`", guard("x@medecin-mssante.fr"), is(trust.ErrNotInTrustSpace)},
		{"Addresses", "subdomain `x.medecin.mssante.fr`", "`trust.ErrNotInTrustSpace`: no suffix match, the error names the listed parent",
			guard("x@x.medecin.mssante.fr"), all(is(trust.ErrNotInTrustSpace), trustErr(func(e *trust.AddressError) error {
				if !strings.Contains(e.Detail, "parent medecin.mssante.fr is listed") {
					return fmt.Errorf("detail %q", e.Detail)
				}
				return nil
			}))},
		{"Addresses", "IDN homograph `médecin.mssante.fr` (Unicode)", "`mail.ErrInvalidAddress` (ASCII domains only)",
			guard("x@médecin.mssante.fr"), all(is(mail.ErrInvalidAddress), errText("domain must be ASCII"))},
		{"Addresses", "IDN homograph in punycode `xn--mdecin-dva.mssante.fr`", "`trust.ErrNotInTrustSpace`", guard("x@xn--mdecin-dva.mssante.fr"), is(trust.ErrNotInTrustSpace)},
		{"Addresses", "Cyrillic `а` in `medecin` (homograph)", "`mail.ErrInvalidAddress`", guard("x@mеdecin.mssante.fr"), is(mail.ErrInvalidAddress)},
		{"Addresses", "quoted local part `\"a b\"@medecin.mssante.fr`", "accepted (valid RFC 5322, listed domain)", guard(`"a b"@medecin.mssante.fr`), accepted},
		{"Addresses", "quoted local part hiding a domain `\"x@medecin.mssante.fr\"@evil.com`", "`trust.ErrNotInTrustSpace` for the real domain, `evil.com`",
			guard(`"x@medecin.mssante.fr"@evil.com`), all(is(trust.ErrNotInTrustSpace), trustErr(func(e *trust.AddressError) error {
				if e.Domain != "evil.com" {
					return fmt.Errorf("domain %q checked", e.Domain)
				}
				return nil
			}))},
		{"Documents", "document mail with two patients", "`mail.ErrSeveralPatients`", two, is(mail.ErrSeveralPatients)},
	}
}

func src(b []byte) mail.CDASource {
	return mail.CDASource{Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }}
}
