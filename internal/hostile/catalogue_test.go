package hostile

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/cda/xdm"
	"github.com/mssante-go/sdk/internal/testdocs"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/trust"
)

var update = flag.Bool("update", false, "rewrite the catalogue in ../../ROBUSTNESS.md")

// A case feeds one hostile input to the SDK and checks the outcome.
type hostileCase struct {
	area, name string
	want       string           // the expected outcome, as written in ROBUSTNESS.md
	run        func() error     // returns the SDK's error (nil: accepted)
	check      func(error) bool // whether the outcome is the expected one
}

func is(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }
func accepted(err error) bool          { return err == nil }

func TestCatalogue(t *testing.T) {
	cases := slices.Concat(zipCases(t), xdmReadCases(t), mimeCases(t), reportCases(), xmlCases(t), headerCases(), addressCases(t),
		trustCases(t), clientCases(t), mailDocumentsCases(t))
	var md strings.Builder
	md.WriteString("| Area | Case | Expected | Result |\n|---|---|---|---|\n")
	for _, c := range cases {
		start := time.Now()
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("PANIC: %v", r)
				}
			}()
			err = c.run()
		}()
		ok := c.check(err)
		result := "ok"
		if !ok {
			result = "FAILED"
			t.Errorf("%s / %s: got %v, want %s", c.area, c.name, err, c.want)
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

func readZIP(b []byte) error {
	_, err := xdm.Read(bytes.NewReader(b), int64(len(b)), nil)
	return err
}

type entry struct {
	name  string
	data  []byte
	flags uint16
	// claimed sizes, for forged headers; zero means the real ones.
	rawDeflate []byte
	usize      uint64
}

func makeZIP(t *testing.T, entries ...entry) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		if e.rawDeflate != nil {
			w, err := zw.CreateRaw(&zip.FileHeader{Name: e.name, Method: zip.Deflate, CompressedSize64: uint64(len(e.rawDeflate)), UncompressedSize64: e.usize})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(e.rawDeflate)
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate, Flags: e.flags})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	zw.Close()
	return b.Bytes()
}

func deflated(t *testing.T, n int) []byte {
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestCompression)
	zeros := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(zeros))
		fw.Write(zeros[:k])
		n -= k
	}
	fw.Close()
	return b.Bytes()
}

const meta = "IHE_XDM/SUBSET01/METADATA.XML"

func zipCases(t *testing.T) []hostileCase {
	valid := validPackage(t)
	many := func() []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for i := 0; i < 100000; i++ {
			zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("f%d", i), Method: zip.Store})
		}
		zw.Close()
		return b.Bytes()
	}()
	bomb := deflated(t, 64<<20)
	tiny := deflated(t, 1024)
	return []hostileCase{
		{"ZIP", "zip-slip name `../../etc/passwd`", "`xdm.ErrUnsafePath`", func() error { return readZIP(makeZIP(t, entry{name: "../../etc/passwd"}, entry{name: meta})) }, is(xdm.ErrUnsafePath)},
		{"ZIP", "zip-slip through back-slashes `IHE_XDM\\..\\..\\x`", "`xdm.ErrUnsafePath`", func() error { return readZIP(makeZIP(t, entry{name: `IHE_XDM\..\..\x`}, entry{name: meta})) }, is(xdm.ErrUnsafePath)},
		{"ZIP", "absolute path `/etc/passwd`", "`xdm.ErrUnsafePath`", func() error { return readZIP(makeZIP(t, entry{name: "/etc/passwd"}, entry{name: meta})) }, is(xdm.ErrUnsafePath)},
		{"ZIP", "drive letter `C:/Windows/x`", "`xdm.ErrUnsafePath`", func() error { return readZIP(makeZIP(t, entry{name: "C:/Windows/x"}, entry{name: meta})) }, is(xdm.ErrUnsafePath)},
		{"ZIP", "1 KB entry whose header claims 1 GB", "`xdm.ErrLimit` (ratio)", func() error {
			return readZIP(makeZIP(t, entry{name: meta, rawDeflate: tiny, usize: 1 << 30}))
		}, is(xdm.ErrLimit)},
		{"ZIP", "64 MB of zeros in 64 KB (real bomb)", "`xdm.ErrLimit` (ratio)", func() error {
			return readZIP(makeZIP(t, entry{name: meta, rawDeflate: bomb, usize: 64 << 20}))
		}, is(xdm.ErrLimit)},
		{"ZIP", "entry inflating past its declared size", "refused (`zip.ErrFormat` through `xdm.ErrMetadata`)", func() error {
			return readZIP(makeZIP(t, entry{name: meta, rawDeflate: deflated(t, 4096), usize: 10}))
		}, func(err error) bool { return err != nil }},
		{"ZIP", "100,000 entries", "`xdm.ErrLimit` (entries) before the directory is loaded", func() error { return readZIP(many) }, is(xdm.ErrLimit)},
		{"ZIP", "duplicate entry names", "`xdm.ErrDuplicateEntry`", func() error {
			return readZIP(appendEntry(t, valid, "IHE_XDM/SUBSET01/DOC0001.XML", []byte("<other/>")))
		}, is(xdm.ErrDuplicateEntry)},
		{"ZIP", "encrypted entry", "`xdm.ErrEncrypted`", func() error { return readZIP(makeZIP(t, entry{name: meta, data: []byte("x"), flags: 1})) }, is(xdm.ErrEncrypted)},
		{"ZIP", "not a ZIP at all", "`xdm.ErrNotZIP`", func() error { return readZIP([]byte("PK\x03\x04 garbage")) }, is(xdm.ErrNotZIP)},
		{"ZIP", "tampered document (hash mismatch)", "read with `HashOK` false; `Package.Verify` returns `xdm.ErrHashMismatch`", func() error {
			b := tamper(t, valid)
			p, err := xdm.Read(bytes.NewReader(b), int64(len(b)), nil)
			if err != nil {
				return err
			}
			return p.Verify()
		}, is(xdm.ErrHashMismatch)},
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

// rewrite copies a ZIP, letting edit change each entry's content.
func rewrite(t *testing.T, src []byte, edit func(name string, data []byte) []byte, extra ...entry) []byte {
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		w, _ := zw.Create(f.Name)
		w.Write(edit(f.Name, data))
	}
	for _, e := range extra {
		w, _ := zw.Create(e.name)
		w.Write(e.data)
	}
	zw.Close()
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

func parseMIME(raw string) error {
	m, err := mail.Parse(strings.NewReader(raw), nil)
	if err == nil {
		m.Close()
	}
	return err
}

func mimeCases(t *testing.T) []hostileCase {
	nested := func(depth int) string {
		var b strings.Builder
		b.WriteString("From: a@b.fr\r\nMIME-Version: 1.0\r\n")
		for i := 0; i < depth; i++ {
			fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
		}
		b.WriteString("Content-Type: text/plain\r\n\r\nx\r\n")
		return b.String()
	}
	problem := func(raw string) func() error {
		return func() error {
			m, err := mail.Parse(strings.NewReader(raw), nil)
			if err != nil {
				return err
			}
			defer m.Close()
			if len(m.Problems) == 0 {
				return errors.New("no problem recorded")
			}
			return m.Problems[0]
		}
	}
	return []hostileCase{
		{"MIME", "multipart nested 1,000 deep", "`mail.ErrLimitExceeded` (depth 20)", func() error { return parseMIME(nested(1000)) }, is(mail.ErrLimitExceeded)},
		{"MIME", "a 10 MB header", "`mail.ErrLimitExceeded` (header size 1 MiB)", func() error {
			return parseMIME("From: a@b.fr\r\nX-Big: " + strings.Repeat("a", 10<<20) + "\r\n\r\nbody")
		}, is(mail.ErrLimitExceeded)},
		{"MIME", "multipart without boundary", "`mail.ErrMalformed`", func() error {
			return parseMIME("From: a@b.fr\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\n\r\nbody\r\n")
		}, is(mail.ErrMalformed)},
		{"MIME", "invalid base64 attachment", "`mail.ErrMalformed`", func() error {
			return parseMIME("From: a@b.fr\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not*base64!!!\r\n")
		}, is(mail.ErrMalformed)},
		{"MIME", "unknown charset", "parsed; a `mail.ErrMalformed` problem recorded, body kept", problem("From: a@b.fr\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nqapla'\r\n"), is(mail.ErrMalformed)},
		{"MIME", "bare LF line ends", "parsed like CRLF", func() error {
			return parseMIME("From: a@b.fr\nSubject: s\nContent-Type: text/plain\n\nbody\n")
		}, accepted},
		{"MIME", "NUL bytes in header and body", "parsed, no panic", func() error {
			return parseMIME("From: a@b.fr\r\nSubject: a\x00b\r\n\r\nbo\x00dy\r\n")
		}, accepted},
		{"MIME", "message over the size limit", "`mail.ErrLimitExceeded` (message size)", func() error {
			_, err := mail.Parse(strings.NewReader("From: a@b.fr\r\n\r\n"+strings.Repeat("x", 2000)), &mail.ParseOptions{MaxMessageBytes: 1000})
			return err
		}, is(mail.ErrLimitExceeded)},
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

func parseCDA(s string) error {
	_, err := cda.Parse(strings.NewReader(s), nil)
	return err
}

func metadataZIP(t *testing.T, xml string) []byte {
	return makeZIP(t, entry{name: meta, data: []byte(xml)})
}

func xmlCases(t *testing.T) []hostileCase {
	secret := t.TempDir() + "/secret.txt"
	os.WriteFile(secret, []byte("TOP-SECRET"), 0o600)
	xxe := `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file://` + secret + `">]>`
	cdaHead := `<ClinicalDocument xmlns="urn:hl7-org:v3">`
	return []hostileCase{
		{"XML", "billion laughs in a CDA", "`cda.ErrMalformed` (entities are not expanded)", func() error {
			return parseCDA(billionLaughs + cdaHead + `<title>&lol9;</title></ClinicalDocument>`)
		}, is(cda.ErrMalformed)},
		{"XML", "external entity in a CDA", "`cda.ErrMalformed`, the file is never read", func() error {
			return parseCDA(xxe + cdaHead + `<title>&xxe;</title></ClinicalDocument>`)
		}, is(cda.ErrMalformed)},
		{"XML", "CDA nested 10,000 deep", "`cda.ErrTooDeep` (256)", func() error {
			return parseCDA(cdaHead + deep("<section>", "</section>", 10000) + `</ClinicalDocument>`)
		}, is(cda.ErrTooDeep)},
		{"XML", "METADATA.XML nested 10,000 deep", "`xdm.ErrLimit` (depth 64)", func() error {
			return readZIP(metadataZIP(t, `<SubmitObjectsRequest>`+deep("<a>", "</a>", 10000)+`</SubmitObjectsRequest>`))
		}, is(xdm.ErrLimit)},
		{"XML", "billion laughs in METADATA.XML", "`xdm.ErrMetadata`", func() error {
			return readZIP(metadataZIP(t, billionLaughs+`<SubmitObjectsRequest>&lol9;</SubmitObjectsRequest>`))
		}, is(xdm.ErrMetadata)},
		{"XML", "external entity in METADATA.XML", "`xdm.ErrMetadata`, the file is never read", func() error {
			return readZIP(metadataZIP(t, xxe+`<SubmitObjectsRequest>&xxe;</SubmitObjectsRequest>`))
		}, is(xdm.ErrMetadata)},
		{"XML", "liste blanche with a DTD (billion laughs)", "`trust.ErrMalformedList` (DTDs refused)", func() error {
			_, err := trust.ParseList(strings.NewReader(billionLaughs+`<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema"></ListeBlancheMSSante>`), nil)
			return err
		}, is(trust.ErrMalformedList)},
		{"XML", "liste blanche nested 10,000 deep", "`trust.ErrMalformedList`", func() error {
			_, err := trust.ParseList(strings.NewReader(`<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">`+deep("<x>", "</x>", 10000)+`</ListeBlancheMSSante>`), nil)
			return err
		}, is(trust.ErrMalformedList)},
	}
}

// --- Headers ---

func headerCases() []hostileCase {
	inj := "x\r\nBcc: evil@attacker.example"
	base := func(mod func(m *mail.Message)) func() error {
		return func() error {
			m := &mail.Message{From: mail.MustParseAddress("a@medecin.mssante.fr"), To: []mail.Address{mail.MustParseAddress("b@medecin.mssante.fr")}}
			mod(m)
			var out bytes.Buffer
			err := m.Encode(&out, nil)
			if err == nil || out.Len() != 0 {
				return fmt.Errorf("encoded %d bytes", out.Len())
			}
			return err
		}
	}
	injected := func(err error) bool {
		return errors.Is(err, mail.ErrHeaderInjection) || errors.Is(err, mail.ErrInvalidAddress)
	}
	rows := []struct {
		name string
		mod  func(m *mail.Message)
	}{
		{"CR/LF in the subject", func(m *mail.Message) { m.Subject = inj }},
		{"CR/LF in a display name", func(m *mail.Message) { m.From.Name = inj }},
		{"CR/LF in an attachment file name", func(m *mail.Message) {
			m.Attachments = []*mail.Attachment{mail.BytesAttachment("a.pdf"+inj, "", nil)}
		}},
		{"CR/LF in an attachment content type", func(m *mail.Message) {
			m.Attachments = []*mail.Attachment{mail.BytesAttachment("a.pdf", "application/pdf"+inj, nil)}
		}},
		{"CR/LF in X-MSS-NIL (product reference)", func(m *mail.Message) { m.ProductRef = inj }},
		{"CR/LF in Message-ID, In-Reply-To, References", func(m *mail.Message) { m.References = []string{"a@b", inj} }},
		{"CR/LF in an address", func(m *mail.Message) { m.To[0].Addr = "b@medecin.mssante.fr" + inj }},
	}
	var out []hostileCase
	for _, r := range rows {
		out = append(out, hostileCase{"Headers", r.name, "refused before any byte: `mail.ErrHeaderInjection` or `ErrInvalidAddress`", base(r.mod), injected})
	}
	return out
}

// --- Addresses ---

func addressCases(t *testing.T) []hostileCase {
	list, err := trust.ParseList(strings.NewReader(testdocs.ListeBlanche("medecin.mssante.fr")), nil)
	if err != nil {
		t.Fatal(err)
	}
	guard := func(addr string) func() error {
		return func() error {
			a, err := mail.ParseAddress(addr)
			if err != nil {
				return err
			}
			return list.CheckAddress(a.Addr)
		}
	}
	two := func() error {
		set, err := mail.NewDocumentSet([]mail.CDASource{src(n1(t, "279035121518989")), src(n1(t, "146026322000196"))}, nil)
		if err == nil {
			_ = set
		}
		return err
	}
	return []hostileCase{
		{"Addresses", "patient address with a wrong INS key", "`cda.ErrINSKey` (and `mail.ErrInvalidAddress`)", guard("279035121518988@patient.mssante.fr"), is(cda.ErrINSKey)},
		{"Addresses", "look-alike domain `medecin.mssante.fr.evil.com`", "`trust.ErrNotInTrustSpace`", guard("x@medecin.mssante.fr.evil.com"), is(trust.ErrNotInTrustSpace)},
		{"Addresses", "look-alike domain `medecin-mssante.fr`", "`trust.ErrNotInTrustSpace`", guard("x@medecin-mssante.fr"), is(trust.ErrNotInTrustSpace)},
		{"Addresses", "subdomain `x.medecin.mssante.fr`", "`trust.ErrNotInTrustSpace` (no suffix match)", guard("x@x.medecin.mssante.fr"), is(trust.ErrNotInTrustSpace)},
		{"Addresses", "IDN homograph `médecin.mssante.fr` (Unicode)", "`mail.ErrInvalidAddress` (ASCII domains only)", guard("x@médecin.mssante.fr"), is(mail.ErrInvalidAddress)},
		{"Addresses", "IDN homograph in punycode `xn--mdecin-dva.mssante.fr`", "`trust.ErrNotInTrustSpace`", guard("x@xn--mdecin-dva.mssante.fr"), is(trust.ErrNotInTrustSpace)},
		{"Addresses", "Cyrillic `а` in `medecin` (homograph)", "`mail.ErrInvalidAddress`", guard("x@mеdecin.mssante.fr"), is(mail.ErrInvalidAddress)},
		{"Addresses", "quoted local part `\"a b\"@medecin.mssante.fr`", "accepted (valid RFC 5322, listed domain)", guard(`"a b"@medecin.mssante.fr`), accepted},
		{"Addresses", "quoted local part hiding a domain `\"x@medecin.mssante.fr\"@evil.com`", "`trust.ErrNotInTrustSpace` (the real domain is checked)", guard(`"x@medecin.mssante.fr"@evil.com`), is(trust.ErrNotInTrustSpace)},
		{"Documents", "document mail with two patients", "`mail.ErrSeveralPatients`", two, is(mail.ErrSeveralPatients)},
	}
}

func src(b []byte) mail.CDASource {
	return mail.CDASource{Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }}
}
