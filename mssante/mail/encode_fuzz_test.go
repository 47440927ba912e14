package mail

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzAddressGrammar: every address ParseAddress returns passes the
// grammar Validate applies to hand-built ones (the 64-character limit of
// sent local parts aside), and validateAddress never accepts what
// ParseAddress would read as another mailbox.
func FuzzAddressGrammar(f *testing.F) {
	for _, s := range []string{
		"dr.martin@medecin.mssante.fr", `"a b"@medecin.mssante.fr`, `"a\"b"@x.fr`, "victim@evil.com@ch-test.mssante.fr",
		"@evil.com:victim@ch-test.mssante.fr", "a>,<evil@evil.com@medecin.mssante.fr", `"x@y.fr"@evil.com`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, err := ParseAddress(s); err == nil {
			if err := a.Validate(); err != nil && !strings.Contains(err.Error(), "longer than 64") {
				t.Fatalf("ParseAddress(%q) = %q, refused by validateAddress: %v", s, a.Addr, err)
			}
		}
		if (Address{Addr: s}).Validate() == nil {
			// The same mailbox: local part unquoted, domain without case.
			a, err := ParseAddress(s)
			l1, d1, _ := splitMailbox(s)
			l2, d2, _ := splitMailbox(a.Addr)
			if err != nil || l1 != l2 || !strings.EqualFold(d1, d2) {
				t.Fatalf("validateAddress accepts %q, which ParseAddress reads as %q, %v", s, a.Addr, err)
			}
		}
	})
}

// FuzzEncodeSubject: the encoded subject is ASCII, decodes back to the
// subject, and keeps the XDM/1.0/DDM+ prefix literal.
func FuzzEncodeSubject(f *testing.F) {
	for _, s := range []string{"XDM/1.0/DDM+Évaluation postopératoire X", "a  é  b", "=?utf-8?q?x?=", "é\té", "XDM/1.0/DDM+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.ContainsAny(s, "\r\n\x00") {
			return
		}
		enc := encodeSubject(s)
		for i := 0; i < len(enc); i++ {
			if enc[i] >= 0x7f {
				t.Fatalf("%q encodes with a non-ASCII byte: %q", s, enc)
			}
		}
		if strings.HasPrefix(s, XDMSubjectPrefix) && !strings.HasPrefix(enc, XDMSubjectPrefix) {
			t.Fatalf("%q lost its literal prefix: %q", s, enc)
		}
		dec, err := wordDecoder.DecodeHeader(enc)
		if err != nil || dec != s {
			t.Fatalf("%q encodes as %q, which decodes as %q, %v", s, enc, dec, err)
		}
	})
}
