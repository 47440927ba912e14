package mail

import (
	"bytes"
	"errors"
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
		checkErrorLengths(t, m, err)
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

// maxTestErrorLen is how long an error of Parse, or a problem it records,
// may be whatever the input: it quotes at most about a hundred bytes of it
// (ParseError.Error stays under about 450 bytes).
const maxTestErrorLen = 500

// checkErrorLengths fails when Parse gave an error or a problem longer
// than maxTestErrorLen.
func checkErrorLengths(t *testing.T, m *Message, err error) {
	t.Helper()
	if err != nil && len(err.Error()) > maxTestErrorLen {
		t.Fatalf("error of %d bytes: %.200s…", len(err.Error()), err)
	}
	if m == nil {
		return
	}
	for _, p := range m.Problems {
		if len(p.Error()) > maxTestErrorLen {
			t.Fatalf("problem of %d bytes: %.200s…", len(p.Error()), p)
		}
	}
}

var testFieldLimits = fieldLimits{maxFields: DefaultMaxReportFields, maxFieldBytes: DefaultMaxReportFieldBytes}

// FuzzReport feeds arbitrary report bodies to the DSN and MDN field parsers:
// a report and problems, never a panic or a long error; an MDN disposition
// read without problem formats and parses back to itself.
func FuzzReport(f *testing.F) {
	f.Add([]byte("Reporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; a@b.fr\r\nAction: failed\r\nStatus: 5.1.1\r\n"))
	f.Add([]byte("Final-Recipient: rfc822;a@b.fr\r\nDisposition: automatic-action/MDN-sent-automatically; processed/Error: 902^x^y\r\n"))
	f.Add([]byte("Disposition: manual-action/MDN-sent-manually; displayed\r\nError: 904^INS^applicationErrorCondition\r\n"))
	f.Add([]byte("Reporting-MTA: dns; x\nDISPLAY_DATE_FORMAT : dd/MM\n\nAction: failed\nFinal-Recipient: rfc822;p@patient.mssante.fr\nStatus: 5.0.0\nDiagnostic-Code: smtp; 550-x\n 550 5.1.1 unknown\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		blocks, probs := readFieldBlocks(body, testFieldLimits, "report")
		d, dprobs := parseDSNFields(blocks, "report")
		probs = append(append(probs, dprobs...), d.infer(string(body), "Undelivered Mail", "report")...)
		for _, r := range d.Recipients {
			_ = r.Err()
			if r.Status != "" && !validStatus(r.Status) {
				t.Fatalf("status %q kept", r.Status)
			}
		}
		md, mprobs := parseMDNFields(blocks, "report")
		_ = md.Err()
		for _, p := range append(probs, mprobs...) {
			if len(p.Error()) > maxTestErrorLen {
				t.Fatalf("problem of %d bytes", len(p.Error()))
			}
		}
		if len(mprobs) > 0 || md.Disposition.Type == "" {
			return
		}
		again, _, err := parseDisposition(md.Disposition.String())
		if err != nil || again.String() != md.Disposition.String() {
			t.Fatalf("disposition %q does not parse back: %v", md.Disposition, err)
		}
	})
}

// FuzzReportFolded folds one field of a report over many continuation
// lines, as the quadratic-parsing attack did (issue 19): the field must
// unfold to its segments joined by one space, the fields around it must be
// intact, and a field over the size limit must be left out with a
// LimitError.
func FuzzReportFolded(f *testing.F) {
	f.Add("smtp; 550 5.1.1 unknown", uint16(3), uint8(0), false)
	f.Add("x", uint16(2000), uint8(1), true)
	f.Add("a\tb  c", uint16(40), uint8(7), false)
	f.Add("", uint16(5), uint8(2), true)
	f.Fuzz(func(t *testing.T, segment string, folds uint16, indent uint8, crlf bool) {
		seg := strings.TrimSpace(strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' {
				return ' '
			}
			return r
		}, segment))
		if seg == "" || bytes.TrimSpace([]byte(seg)) == nil || strings.TrimSpace(seg) != seg {
			seg = "x"
		}
		nl := "\n"
		if crlf {
			nl = "\r\n"
		}
		ws := []string{" ", "\t", "  ", " \t"}[indent%4]
		var b strings.Builder
		b.WriteString("Reporting-MTA: dns; mx" + nl + nl + "Final-Recipient: rfc822; a@b.fr" + nl + "Diagnostic-Code: " + seg + nl)
		n := int(folds % 4000)
		for i := 0; i < n; i++ {
			b.WriteString(ws + seg + nl)
		}
		b.WriteString("Action: failed" + nl + "Status: 5.1.1" + nl)
		lim := fieldLimits{maxFields: 100, maxFieldBytes: 4096}
		blocks, probs := readFieldBlocks([]byte(b.String()), lim, "report")
		if len(blocks) != 2 {
			t.Fatalf("%d blocks, problems %v", len(blocks), probs)
		}
		rb := blocks[1]
		if rb.get("Action") != "failed" || rb.get("Status") != "5.1.1" || rb.get("Final-Recipient") != "rfc822; a@b.fr" {
			t.Fatalf("fields around the folded one: %+v", rb)
		}
		want := strings.Repeat(seg+" ", n) + seg
		got := rb.get("Diagnostic-Code")
		if len(want) > lim.maxFieldBytes {
			var le *LimitError
			if got != "" || len(probs) != 1 || !errors.As(probs[0], &le) {
				t.Fatalf("over the limit: value of %d bytes kept, problems %v", len(got), probs)
			}
			return
		}
		if got != want || len(probs) != 0 {
			t.Fatalf("unfolded to %q, want %q; problems %v", got, want, probs)
		}
	})
}
