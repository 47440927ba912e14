package trust

import (
	"bytes"
	"encoding/pem"
	"errors"
	"testing"

	"github.com/smallstep/pkcs7"
)

// FuzzParseList checks that no input makes ParseList panic, that every error
// is typed, and that an accepted list is consistent: at least one domain,
// each a valid domain name.
func FuzzParseList(f *testing.F) {
	f.Add(genList([]listEntry{{name: "a.mssante.fr"}, {name: "A.mssante.fr"}, {name: "b.mssante.fr"}}, false))
	f.Add(genList([]listEntry{{name: "a.mssante.fr"}}, true))
	f.Add([]byte(`<?xml version="1.0"?><!--c--><lb:ListeBlancheMSSante xmlns:lb="https://listeblanche.mssante.fr/schema"><lb:DateDeGeneration>2025-01-01T00:00:00Z</lb:DateDeGeneration><lb:ListeDomaines><lb:Domaine><lb:Nom><![CDATA[x.mssante.fr]]></lb:Nom><lb:Description>&amp;&#233;</lb:Description></lb:Domaine></lb:ListeDomaines>`))
	f.Add([]byte(`<!DOCTYPE x><ListeBlancheMSSante/>`))
	f.Add(genList([]listEntry{{name: "someone@sub.domain.mssante.fr"}, {name: "b.mssante.fr"}, {name: ""}}, false))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseList(bytes.NewReader(data), &ParseOptions{MaxBytes: 1 << 20})
		if err != nil {
			if !errors.Is(err, ErrMalformedList) && !errors.Is(err, ErrListTooLarge) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if l.DomainCount() == 0 || l.DomainCount() > l.Len() || l.DomainCount() != len(l.Domains()) || len(l.Skipped()) > l.SkippedCount() {
			t.Fatalf("inconsistent list: %d domains, %d entries, generated %v", l.DomainCount(), l.Len(), l.Generated())
		}
		for _, d := range l.Domains() {
			if !l.Contains(d) {
				t.Fatalf("Contains(%q) false for a listed domain", d)
			}
			if p := domainNameProblem([]byte(d)); p != "" {
				t.Fatalf("listed domain %q: %s", d, p)
			}
		}
	})
}

// FuzzParseAnchors checks that no bundle makes ParseAnchors (or the PKCS#7
// library under it) panic, and that errors are typed.
func FuzzParseAnchors(f *testing.F) {
	pki := newTestPKI(f, "")
	p7, err := pkcs7.DegenerateCertificate(append(append([]byte(nil), pki.root.Raw...), pki.inter.Raw...))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p7)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: p7}))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pki.root.Raw}))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAnchors(data, &AnchorOptions{TrustBundleRoots: true})
		if err != nil {
			if !errors.Is(err, ErrBadBundle) && !errors.Is(err, ErrUnknownRoot) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(a.Roots()) == 0 {
			t.Fatal("anchors without roots")
		}
	})
}
