package trust

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestParseSkipsBadEntries: among good entries, an entry with an unusable
// value is left out and recorded, the others are kept, and no domain is
// guessed from the bad value.
func TestParseSkipsBadEntries(t *testing.T) {
	good := string(genList([]listEntry{{name: "a.mssante.fr"}, {name: "b.mssante.fr"}, {name: "c.mssante.fr"}}, false))
	// genList writes each <Nom> on line 5 + 8*i.
	tests := []struct {
		name    string
		doc     string
		want    SkippedEntry
		outside []string // domains that must stay outside the trust space
	}{
		{"e-mail address as Nom", strings.Replace(good, "<Nom>b.mssante.fr", "<Nom>someone@sub.domain.mssante.fr", 1),
			SkippedEntry{Line: 13, Element: "Nom", Value: "someone@sub.domain.mssante.fr", Reason: "an e-mail address, not a domain name"},
			[]string{"sub.domain.mssante.fr", "domain.mssante.fr", "someone@sub.domain.mssante.fr", "b.mssante.fr"}},
		{"empty Nom", strings.Replace(good, "<Nom>b.mssante.fr", "<Nom> ", 1),
			SkippedEntry{Line: 13, Element: "Nom", Value: "", Reason: "empty"}, []string{"b.mssante.fr", ""}},
		{"Nom with a space", strings.Replace(good, "<Nom>b.mssante.fr", "<Nom>b b.mssante.fr", 1),
			SkippedEntry{Line: 13, Element: "Nom", Value: "b b.mssante.fr", Reason: "character ' ' is not allowed in a domain name"}, []string{"b.mssante.fr", "b b.mssante.fr"}},
		{"Nom with a trailing dot", strings.Replace(good, "<Nom>b.mssante.fr", "<Nom>b.mssante.fr.", 1),
			SkippedEntry{Line: 13, Element: "Nom", Value: "b.mssante.fr.", Reason: "empty label (leading, trailing or double dot)"}, []string{"b.mssante.fr", "b.mssante.fr."}},
		{"Nom in Unicode", strings.Replace(good, "<Nom>b.mssante.fr", "<Nom>bé.mssante.fr", 1),
			SkippedEntry{Line: 13, Element: "Nom", Value: "bé.mssante.fr", Reason: "not ASCII (an IDN must be written as an A-label, xn--...)"}, []string{"bé.mssante.fr"}},
		{"unparsable DateMAJ", strings.Replace(good, "<DateMAJ>2024-06-12T15:41:16Z</DateMAJ>", "<DateMAJ>12/06/2024</DateMAJ>", 1),
			SkippedEntry{Line: 10, Element: "DateMAJ", Value: "12/06/2024", Reason: "not an RFC 3339 date"}, []string{"a.mssante.fr"}},
		{"no Nom", strings.Replace(good, "<Nom>b.mssante.fr</Nom>", "", 1),
			SkippedEntry{Line: 19, Element: "Domaine", Reason: "no <Nom>"}, []string{"b.mssante.fr"}},
		{"two Nom", strings.Replace(good, "<Nom>b.mssante.fr</Nom>", "<Nom>b.mssante.fr</Nom><Nom>evil.example</Nom>", 1),
			SkippedEntry{Line: 13, Element: "Nom", Value: "evil.example", Reason: "more than one <Nom> in the <Domaine>"}, []string{"b.mssante.fr", "evil.example"}},
		{"empty Domaine", strings.Replace(good, "<ListeDomaines>", "<ListeDomaines><Domaine/>", 1),
			SkippedEntry{Line: 3, Element: "Domaine", Reason: "empty <Domaine>, no <Nom>"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ParseList(strings.NewReader(tt.doc), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := l.Skipped(); len(got) != 1 || got[0] != tt.want || l.SkippedCount() != 1 {
				t.Fatalf("Skipped = %+v (count %d), want [%+v]", got, l.SkippedCount(), tt.want)
			}
			for _, d := range tt.outside {
				if l.Contains(d) {
					t.Errorf("Contains(%q) = true: a skipped entry widened the trust space", d)
				}
			}
			kept := 2 // one of the three entries is bad
			if tt.name == "empty Domaine" {
				kept = 3 // an extra, empty, entry
			}
			if l.Len() != kept || l.DomainCount() != kept {
				t.Errorf("Len %d, DomainCount %d, want %d", l.Len(), l.DomainCount(), kept)
			}
			if !l.Contains("c.mssante.fr") {
				t.Error("the entries after the bad one were lost")
			}
		})
	}
}

func TestParseNoUsableEntry(t *testing.T) {
	doc := genList([]listEntry{{name: "x@a.mssante.fr"}, {name: "y@b.mssante.fr"}}, false)
	_, err := ParseList(bytes.NewReader(doc), nil)
	var pe *ParseError
	if !errors.As(err, &pe) || !errors.Is(err, ErrMalformedList) ||
		!strings.Contains(err.Error(), `no usable <Domaine>: 2 skipped, the first: line 5: <Nom> "x@a.mssante.fr": an e-mail address`) {
		t.Fatalf("err = %v", err)
	}
	_, err = ParseList(bytes.NewReader(genList(nil, true)), nil)
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "no <Domaine>") {
		t.Fatalf("empty list: err = %v", err)
	}
}

// TestSkippedBounds: the records are bounded in number and size, the count
// is not.
func TestSkippedBounds(t *testing.T) {
	var es []listEntry
	for i := 0; i < MaxSkippedRecorded+10; i++ {
		es = append(es, listEntry{name: fmt.Sprintf("user%d@%s.mssante.fr", i, strings.Repeat("é", 80))})
	}
	es = append(es, listEntry{name: "ok.mssante.fr"})
	l, err := ParseList(bytes.NewReader(genList(es, false)), nil)
	if err != nil {
		t.Fatal(err)
	}
	sk := l.Skipped()
	if len(sk) != MaxSkippedRecorded || l.SkippedCount() != MaxSkippedRecorded+10 || l.Len() != 1 {
		t.Fatalf("%d records, count %d, Len %d", len(sk), l.SkippedCount(), l.Len())
	}
	v := sk[0].Value
	if len(v) > maxQuotedValue+len("…") || !strings.HasSuffix(v, "…") || !strings.HasPrefix(v, "user0@") || strings.ContainsRune(v, '\uFFFD') {
		t.Errorf("value not cut cleanly: %q (%d bytes)", v, len(v))
	}
	sk[0].Value = "changed"
	if l.Skipped()[0].Value == "changed" {
		t.Error("Skipped returns the List's own slice")
	}
	if (*List)(nil).Skipped() != nil || (*List)(nil).SkippedCount() != 0 {
		t.Error("nil *List has skipped entries")
	}
	// The bound on entries counts skipped ones too.
	if _, err := ParseList(bytes.NewReader(genList(es, false)), &ParseOptions{MaxEntries: 100}); !errors.Is(err, ErrMalformedList) {
		t.Errorf("MaxEntries with skipped entries: err = %v", err)
	}
}

func TestDomainNameProblem(t *testing.T) {
	for _, tt := range []struct {
		in, want string
	}{
		{"medecin.mssante.fr", ""},
		{"UC-CMP.mssante.fr", ""},
		{"xn--mdecin-dva.mssante.fr", ""},
		{"cert-valide-audit.espacedeconfiance.mssante.fr", ""},
		{"3d.mssante.fr", ""},
		{"", "empty"},
		{"a@b.fr", "an e-mail address, not a domain name"},
		{"localhost", "a single label, not a fully qualified domain name"},
		{".mssante.fr", "empty label (leading, trailing or double dot)"},
		{"a..fr", "empty label (leading, trailing or double dot)"},
		{"-a.fr", "label starting or ending with a hyphen"},
		{"a-.fr", "label starting or ending with a hyphen"},
		{strings.Repeat("a", 64) + ".fr", "label longer than 63 characters"},
		{strings.Repeat("abcdefgh.", 30) + "fr", "longer than 253 characters"},
		{"a_b.fr", "character '_' is not allowed in a domain name"},
		{"a/b.fr", "character '/' is not allowed in a domain name"},
		{"a\x00.fr", "character '\\x00' is not allowed in a domain name"},
		{"médecin.fr", "not ASCII (an IDN must be written as an A-label, xn--...)"},
	} {
		if got := domainNameProblem([]byte(tt.in)); got != tt.want {
			t.Errorf("domainNameProblem(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestParseVerbatimList reads the list the ANS published on 2025-05-21,
// byte for byte (no closing root tag).
func TestParseVerbatimList(t *testing.T) {
	data := readShared(t, "listeblanche", "listeblanchemssante-2025-05-21.xml")
	l, err := ParseList(bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 619 || l.DomainCount() != 516 || l.SkippedCount() != 0 {
		t.Errorf("Len %d, DomainCount %d, skipped %v; want 619, 516, none", l.Len(), l.DomainCount(), l.Skipped())
	}
	if !reflect.DeepEqual(l.Skipped(), []SkippedEntry(nil)) {
		t.Errorf("Skipped = %v", l.Skipped())
	}
}
