package mssante

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse: it must return a message or an
// error, never panic, and a message it returns must encode again when it has
// a sender and recipients.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("From: a@b.fr\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\n--x--\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(bytes.NewReader(raw), &ParseOptions{MaxMessageBytes: 1 << 20, MaxParts: 50, MaxDepth: 8})
		if err != nil {
			return
		}
		_ = m.Kind()
		_ = m.DisplaySubject()
		if m.DSN != nil {
			for _, r := range m.DSN.Recipients {
				_ = r.Err()
			}
		}
		if m.MDN != nil {
			_ = m.MDN.Err()
		}
	})
}

// FuzzParseAddress checks that an accepted address formats and parses back
// to itself, and never carries a line break.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{
		"dr.martin@medecin.mssante.fr", "Dr_Marie_MARTIN <m@medecin.mssante.fr>", "279035121518989@patient.mssante.fr",
		`"quoted local"@a.fr`, "=?utf-8?q?H=C3=B4pital?= <h@ch.mssante.fr>", "185122A00123400@patient.mssante.fr",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			return
		}
		if strings.ContainsAny(a.Addr+a.Name, "\r\n") {
			t.Fatalf("line break accepted in %q", s)
		}
		b, err := ParseAddress(a.String())
		if err != nil || !b.Equal(a) {
			t.Fatalf("%q formats as %q, which parses to %v, %v", s, a.String(), b, err)
		}
	})
}

// FuzzReport feeds arbitrary report bodies to the DSN and MDN field parsers:
// a typed error or a report, never a panic; an accepted MDN disposition
// formats and parses back to itself.
func FuzzReport(f *testing.F) {
	f.Add([]byte("Reporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; a@b.fr\r\nAction: failed\r\nStatus: 5.1.1\r\n"))
	f.Add([]byte("Final-Recipient: rfc822;a@b.fr\r\nDisposition: automatic-action/MDN-sent-automatically; processed/Error: 902^x^y\r\n"))
	f.Add([]byte("Disposition: manual-action/MDN-sent-manually; displayed\r\nError: 904^INS^applicationErrorCondition\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		blocks, err := readFieldBlocks(bytes.NewReader(body))
		if err != nil {
			return
		}
		if d, err := parseDSNFields(blocks); err == nil {
			for _, r := range d.Recipients {
				_ = r.Err()
			}
		}
		md, err := parseMDNFields(blocks)
		if err != nil {
			return
		}
		_ = md.Err()
		again, _, err := parseDisposition(md.Disposition.String())
		if err != nil || again.String() != md.Disposition.String() {
			t.Fatalf("disposition %q does not parse back: %v", md.Disposition, err)
		}
	})
}
