package trust

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func readExcerpt(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sharedDir(t, "listeblanche"), "listeblanchemssante-excerpt.xml"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseSharedExcerpt(t *testing.T) {
	data := readExcerpt(t)
	// The excerpt has a closing root tag added; the ANS file has none. Both must parse the same.
	cut := bytes.TrimSpace(data)
	cut = bytes.TrimSuffix(cut, []byte("</ListeBlancheMSSante>"))
	if bytes.Equal(cut, bytes.TrimSpace(data)) {
		t.Fatal("excerpt does not end with </ListeBlancheMSSante> any more; update the test")
	}
	for name, input := range map[string][]byte{"as shared": data, "as published by ANS": cut} {
		t.Run(name, func(t *testing.T) {
			l, err := ParseList(bytes.NewReader(input), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := l.Generated(), time.Date(2025, 3, 13, 14, 54, 10, 0, time.UTC); !got.Equal(want) {
				t.Errorf("Generated = %v, want %v", got, want)
			}
			if l.Len() != 27 || l.DomainCount() != 16 {
				t.Errorf("Len = %d, DomainCount = %d; want 27, 16", l.Len(), l.DomainCount())
			}
			for _, d := range []string{"patient.mssante.fr", "medecin.mssante.fr", "pro.mssante.fr", "mssante.apicrypt.org",
				"UC-CMP.mssante.fr", "uc-cmp.mssante.fr", "Patient.MSSante.FR", "cert-valide-audit.espacedeconfiance.mssante.fr"} {
				if !l.Contains(d) {
					t.Errorf("Contains(%q) = false, want true", d)
				}
			}
			for _, d := range []string{"mssante.fr", "aura.mssante.fr", "x.medecin.mssante.fr", "evil-mssante.fr",
				"mssante.fr.evil.com", "medecin.mssante.fr.", "apicrypt.org", "espacedeconfiance.mssante.fr"} {
				if l.Contains(d) {
					t.Errorf("Contains(%q) = true, want false", d)
				}
			}
			med, ok := l.Lookup("MEDECIN.mssante.fr")
			if !ok || med.Name != "medecin.mssante.fr" || len(med.Entries) != 2 {
				t.Fatalf("Lookup(medecin) = %+v, %v", med, ok)
			}
			dns := med.OperatorDNs()
			if len(dns) != 2 || !strings.HasPrefix(dns[0], "CN=") {
				t.Errorf("OperatorDNs = %q", dns)
			}
			pat, _ := l.Lookup("patient.mssante.fr")
			if !strings.Contains(pat.Entries[0].OperatorDN, "O=CNAM") {
				t.Errorf("patient.mssante.fr operator DN = %q, want the CNAM one", pat.Entries[0].OperatorDN)
			}
			if uc, _ := l.Lookup("uc-cmp.mssante.fr"); uc.Entries[0].Domain != "UC-CMP.mssante.fr" {
				t.Errorf("Entry.Domain = %q, want the file's spelling", uc.Entries[0].Domain)
			}
			checkAgainstEncodingXML(t, data, l)
		})
	}
}

// checkAgainstEncodingXML decodes a well-formed list with encoding/xml and
// compares every entry with what ParseList found.
func checkAgainstEncodingXML(t *testing.T, data []byte, l *List) {
	t.Helper()
	var doc struct {
		Generated string `xml:"DateDeGeneration"`
		Domaines  []struct {
			Nom, Description, DNCertificatOperateur, ResponsableContact, SupportContact, DateMAJ string
		} `xml:"ListeDomaines>Domaine"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("encoding/xml: %v", err)
	}
	var want []Entry
	for _, d := range doc.Domaines {
		e := Entry{
			Domain: strings.TrimSpace(d.Nom), Description: strings.TrimSpace(d.Description),
			OperatorDN: strings.TrimSpace(d.DNCertificatOperateur), ResponsibleContact: strings.TrimSpace(d.ResponsableContact),
			SupportContact: strings.TrimSpace(d.SupportContact),
		}
		if s := strings.TrimSpace(d.DateMAJ); s != "" {
			e.Updated, _ = time.Parse(time.RFC3339, s)
		}
		want = append(want, e)
	}
	var got []Entry
	seen := map[string]bool{}
	for _, e := range want {
		key := lowerASCII(e.Domain)
		if seen[key] {
			continue
		}
		seen[key] = true
		d, _ := l.Lookup(key)
		got = append(got, d.Entries...)
	}
	// Same entries, grouped by domain in first-appearance order.
	var wantGrouped []Entry
	for _, key := range orderOfAppearance(want) {
		for _, e := range want {
			if lowerASCII(e.Domain) == key {
				wantGrouped = append(wantGrouped, e)
			}
		}
	}
	if !reflect.DeepEqual(got, wantGrouped) {
		t.Errorf("ParseList and encoding/xml disagree:\n got %+v\nwant %+v", got, wantGrouped)
	}
}

func orderOfAppearance(es []Entry) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range es {
		k := lowerASCII(e.Domain)
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

func TestParseGenerated(t *testing.T) {
	entries := []listEntry{
		{name: "medecin.mssante.fr", dn: "CN=bus.mssante.fr,O=X,C=FR"},
		{name: "medecin.mssante.fr", dn: "CN=proxysmtp.mssante.fr,O=X,C=FR"},
		{name: "Medecin.MSSANTE.fr", dn: "CN=third.mssante.fr,O=X,C=FR"},
		{name: "pharmacien.mssante.fr"},
	}
	for _, closeRoot := range []bool{false, true} {
		data := genList(entries, closeRoot)
		l, err := ParseList(bytes.NewReader(data), nil)
		if err != nil {
			t.Fatalf("closeRoot=%v: %v", closeRoot, err)
		}
		if l.Len() != 4 || l.DomainCount() != 2 {
			t.Errorf("closeRoot=%v: Len %d DomainCount %d, want 4 and 2", closeRoot, l.Len(), l.DomainCount())
		}
		d, _ := l.Lookup("medecin.mssante.fr")
		if len(d.Entries) != 3 || d.Entries[2].Domain != "Medecin.MSSANTE.fr" {
			t.Errorf("duplicates not grouped: %+v", d)
		}
		if got := l.Domains(); !reflect.DeepEqual(got, []string{"medecin.mssante.fr", "pharmacien.mssante.fr"}) {
			t.Errorf("Domains = %q", got)
		}
		if closeRoot {
			checkAgainstEncodingXML(t, data, l)
		}
	}
}

// TestParseVariants feeds well-formed variations of the format.
func TestParseVariants(t *testing.T) {
	const tail = "</ListeDomaines></ListeBlancheMSSante>"
	tests := []struct {
		name, doc string
		domain    string // expected single domain
		desc      string // expected description of its entry
	}{
		{"entities", `<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema"><DateDeGeneration>2025-01-01T00:00:00Z</DateDeGeneration><ListeDomaines><Domaine><Nom>a.mssante.fr</Nom><Description>A &amp; B &lt;C&gt; &#233;&#xE9; &quot;&apos;</Description></Domaine>` + tail,
			"a.mssante.fr", `A & B <C> éé "'`},
		{"CDATA and comments", `<?xml version='1.0' encoding='utf-8'?><!-- head --><ListeBlancheMSSante xmlns='https://listeblanche.mssante.fr/schema'><!-- c --><DateDeGeneration>2025-01-01T00:00:00Z</DateDeGeneration><ListeDomaines><Domaine><Nom><![CDATA[b.mssante.fr]]></Nom><Description>x<![CDATA[<y>]]>z</Description></Domaine>` + tail + `<!-- end -->`,
			"b.mssante.fr", "x<y>z"},
		{"BOM, prefix, unknown elements", "\ufeff" + `<lb:ListeBlancheMSSante xmlns:lb="https://listeblanche.mssante.fr/schema"><lb:Version a="1">2</lb:Version><lb:DateDeGeneration>2025-01-01T00:00:00+01:00</lb:DateDeGeneration><lb:ListeDomaines><lb:Domaine><lb:Nom>c.mssante.fr</lb:Nom><lb:Nouveau><lb:X/></lb:Nouveau><lb:Description/></lb:Domaine></lb:ListeDomaines></lb:ListeBlancheMSSante>`,
			"c.mssante.fr", ""},
		{"no namespace", `<ListeBlancheMSSante><DateDeGeneration>2025-01-01T00:00:00Z</DateDeGeneration><ListeDomaines><Domaine><Nom> d.mssante.fr </Nom><DateMAJ></DateMAJ></Domaine>` + tail,
			"d.mssante.fr", ""},
		{"attribute with '>'", `<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema" note="a>b"><DateDeGeneration>2025-01-01T00:00:00Z</DateDeGeneration><ListeDomaines><Domaine><Nom>e.mssante.fr</Nom></Domaine>` + tail,
			"e.mssante.fr", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ParseList(strings.NewReader(tt.doc), nil)
			if err != nil {
				t.Fatal(err)
			}
			d, ok := l.Lookup(tt.domain)
			if !ok || l.Len() != 1 {
				t.Fatalf("Lookup(%q) = %v, Len %d; domains %q", tt.domain, ok, l.Len(), l.Domains())
			}
			if d.Entries[0].Description != tt.desc {
				t.Errorf("Description = %q, want %q", d.Entries[0].Description, tt.desc)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	good := string(genList([]listEntry{{name: "a.mssante.fr"}, {name: "b.mssante.fr"}}, true))
	head := `<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema"><DateDeGeneration>2025-01-01T00:00:00Z</DateDeGeneration>`
	tests := []struct{ name, doc string }{
		{"empty", ""},
		{"white space only", "  \n"},
		{"not XML", "hello"},
		{"truncated inside Domaine", good[:strings.Index(good, "<DNCertificatOperateur>")]},
		{"truncated inside a tag", good[:strings.Index(good, "<Nom>")+3]},
		{"truncated inside ListeDomaines", good[:strings.LastIndex(good, "<Domaine>")]},
		{"truncated after DateDeGeneration", head},
		{"mismatched end tag", head + `<ListeDomaines><Domaine><Nom>a.mssante.fr</Name></Domaine></ListeDomaines>`},
		{"mismatched root end tag", head + `<ListeDomaines/></ListeBlanche>`},
		{"no DateDeGeneration", `<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema"><ListeDomaines/></ListeBlancheMSSante>`},
		{"no ListeDomaines", head + `</ListeBlancheMSSante>`},
		{"two DateDeGeneration", head + `<DateDeGeneration>2025-01-01T00:00:00Z</DateDeGeneration><ListeDomaines/></ListeBlancheMSSante>`},
		{"bad DateDeGeneration", strings.Replace(good, "2025-03-13T14:54:10Z", "13/03/2025", 1)},
		{"wrong root", `<Liste xmlns="https://listeblanche.mssante.fr/schema"></Liste>`},
		{"wrong namespace", strings.Replace(good, "https://listeblanche.mssante.fr/schema", "urn:evil", 1)},
		{"undeclared prefix", `<x:ListeBlancheMSSante><x:DateDeGeneration>2025-01-01T00:00:00Z</x:DateDeGeneration><x:ListeDomaines/></x:ListeBlancheMSSante>`},
		{"DOCTYPE", `<!DOCTYPE ListeBlancheMSSante [<!ENTITY x "y">]>` + good},
		{"undefined entity", strings.Replace(good, "a.mssante.fr", "&x;.mssante.fr", 1)},
		{"bad character reference", strings.Replace(good, "a.mssante.fr", "&#0;.mssante.fr", 1)},
		{"Domaine without Nom", head + `<ListeDomaines><Domaine><Description>x</Description></Domaine></ListeDomaines>`},
		{"empty Domaine", head + `<ListeDomaines><Domaine/></ListeDomaines>`},
		{"element inside Nom", strings.Replace(good, "a.mssante.fr", "<b>a.mssante.fr</b>", 1)},
		{"text inside Domaine", strings.Replace(good, "<Nom>a", "oops<Nom>a", 1)},
		{"text before root", "x" + good},
		{"content after root", good + "<more/>"},
		{"text after root", good + "trailing"},
		{"two roots", good + good[strings.Index(good, "<ListeBlanche"):]},
		{"Latin-1 declared", strings.Replace(good, `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1)},
		{"invalid UTF-8", strings.Replace(good, "Dôme", "D\xf4me", 1)},
		{"end tag with attribute", strings.Replace(good, "</Nom>", "</Nom a='1'>", 1)},
		{"unquoted attribute", `<ListeBlancheMSSante xmlns=x>` + good[strings.Index(good, "<DateDe"):]},
		{"lone <", strings.Replace(good, "<Description>", "<Description>a < b", 1)},
		{"unterminated comment", head + "<!-- ..."},
		{"end tag first", "</ListeBlancheMSSante>"},
		{"markup declaration", head + "<!ELEMENT x ANY>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ParseList(strings.NewReader(tt.doc), nil)
			if err == nil {
				t.Fatalf("no error; parsed %d entries", l.Len())
			}
			var pe *ParseError
			if !errors.Is(err, ErrMalformedList) || !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *ParseError", err, err)
			}
			t.Log(err)
			if pe.Line < 1 || pe.Offset < 0 {
				t.Errorf("bad position in %v", err)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	data, _ := bigList(100)
	if _, err := ParseList(bytes.NewReader(data), &ParseOptions{MaxBytes: 1000}); !errors.Is(err, ErrListTooLarge) {
		t.Errorf("MaxBytes: err = %v, want ErrListTooLarge", err)
	}
	if _, err := ParseList(bytes.NewReader(data), &ParseOptions{MaxBytes: int64(len(data))}); err != nil {
		t.Errorf("MaxBytes = len: %v", err)
	}
	if _, err := ParseList(bytes.NewReader(data), &ParseOptions{MaxEntries: 99}); !errors.Is(err, ErrMalformedList) {
		t.Errorf("MaxEntries: err = %v, want ErrMalformedList", err)
	}
	if _, err := ParseList(bytes.NewReader(data), &ParseOptions{MaxEntries: 100}); err != nil {
		t.Errorf("MaxEntries = 100: %v", err)
	}
}

// TestParseReadError checks that an I/O error is reported as such, not as a
// malformed list.
func TestParseReadError(t *testing.T) {
	data, _ := bigList(10)
	boom := errors.New("boom")
	_, err := ParseList(&failingReader{data: data[:200], err: boom}, nil)
	if !errors.Is(err, boom) || errors.Is(err, ErrMalformedList) {
		t.Errorf("err = %v, want the reader's error", err)
	}
}

type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(b []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(b, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestParseSmallReads runs the parser on a reader returning one byte at a
// time, so that every token straddles buffer refills.
func TestParseSmallReads(t *testing.T) {
	data := genList([]listEntry{{name: "a.mssante.fr"}, {name: "b.mssante.fr"}}, false)
	l, err := ParseList(&oneByteReader{data: data}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 2 || !l.Contains("b.mssante.fr") {
		t.Errorf("Len %d, domains %q", l.Len(), l.Domains())
	}
}

type oneByteReader struct{ data []byte }

func (r *oneByteReader) Read(b []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	b[0] = r.data[0]
	r.data = r.data[1:]
	return 1, nil
}

// TestParseLongValues checks values longer than the scanner's buffer.
func TestParseLongValues(t *testing.T) {
	long := strings.Repeat("é", 40_000) // 80 KB, more than the 64 KB buffer
	doc := strings.Replace(string(genList([]listEntry{{name: "a.mssante.fr"}}, false)),
		"<Description>", "<Description>"+long+"<![CDATA["+long[:1000]+"]]>", 1)
	_, err := ParseList(strings.NewReader(doc), nil)
	if !errors.Is(err, ErrMalformedList) {
		t.Fatalf("a value over 64 KB: err = %v, want ErrMalformedList", err)
	}
	mid := strings.Repeat("x", 30_000)
	doc = strings.Replace(string(genList([]listEntry{{name: "a.mssante.fr"}}, false)),
		"<Description>", "<!--"+strings.Repeat("-x", 40_000)+"--><Description>"+mid, 1)
	l, err := ParseList(strings.NewReader(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := l.Lookup("a.mssante.fr")
	if !strings.HasPrefix(d.Entries[0].Description, mid) {
		t.Errorf("long description lost")
	}
}

func TestNilList(t *testing.T) {
	var l *List
	if l.Contains("medecin.mssante.fr") || l.Len() != 0 || l.DomainCount() != 0 || l.Domains() != nil || !l.Generated().IsZero() {
		t.Error("nil *List is not empty")
	}
	if err := l.CheckAddress("a@medecin.mssante.fr"); !errors.Is(err, ErrNoList) || !errors.Is(err, ErrNotInTrustSpace) {
		t.Errorf("CheckAddress on nil list: %v", err)
	}
}
