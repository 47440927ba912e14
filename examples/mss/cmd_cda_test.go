package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/internal/testdocs"
	"github.com/mssante-go/sdk/internal/testenv"
)

// writeCDA writes the sample N1 document, changed by mod, to a file.
func writeCDA(t *testing.T, mod func(*cda.Document)) string {
	t.Helper()
	d, err := testdocs.Document(testdocs.Options{}, strings.NewReader("%PDF-1.4 x"))
	if err != nil {
		t.Fatal(err)
	}
	mod(d)
	var b bytes.Buffer
	if err := d.Encode(&b); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(name, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestCDAValidateSeverity: "mss cda validate" exits 1 on errors, prints
// warnings and exits 0 on them, unless --strict.
func TestCDAValidateSeverity(t *testing.T) {
	clean := writeCDA(t, func(*cda.Document) {})
	zone := writeCDA(t, func(d *cda.Document) { d.LegalAuthenticator.Time = "20240106113623+100" })
	key := writeCDA(t, func(d *cda.Document) { d.Patient.INS.Matricule = "279035121518988" })
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings
	}{
		{"clean", []string{clean}, 0, []string{"ok: no error", "(0 warning(s))"}},
		{"timezone offset", []string{zone}, 0, []string{"warning: legalAuthenticator/time:", "(HL7 DTr1_TS)", "(1 warning(s))"}},
		{"timezone offset, strict", []string{zone, "--strict"}, 1, []string{"warning: legalAuthenticator/time:"}},
		{"INS key", []string{key}, 1, []string{"error: recordTarget/patientRole/id:", "(SDK)"}},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCLI(t, append([]string{"cda", "validate"}, tt.args...)...)
		if code != tt.code {
			t.Errorf("%s: exit %d, want %d\n%s%s", tt.name, code, tt.code, stdout, stderr)
		}
		for _, s := range tt.stdout {
			if !strings.Contains(stdout, s) {
				t.Errorf("%s: stdout lacks %q:\n%s", tt.name, s, stdout)
			}
		}
	}

	code, stdout, _ := runCLI(t, "cda", "validate", zone, "--json")
	var v struct {
		Valid            bool
		Errors, Warnings int
		Problems         []struct{ Severity, Authority, Rule, Path, Message string }
	}
	err := json.Unmarshal([]byte(stdout), &v)
	probs := v.Problems
	if code != 0 || err != nil || !v.Valid || v.Errors != 0 || v.Warnings != 1 || len(probs) != 1 ||
		probs[0].Severity != "warning" || probs[0].Authority != "HL7" || probs[0].Rule != "DTr1_TS" || probs[0].Path != "legalAuthenticator/time" {
		t.Fatalf("--json: %d %s", code, stdout)
	}
}

// TestCDAValidateExamples runs "mss cda validate" on the ANS examples that
// the ANS schematron accepts but Validate does not find clean: BIO-TROD (a
// legal authenticator time "+100": warning) and CSE-CS8 (an INS whose key
// does not match: error).
func TestCDAValidateExamples(t *testing.T) {
	dir, _ := testenv.CDAExamples(t)
	trod, cs8 := filepath.Join(dir, "BIO-TROD_2024.01_Angine.xml"), filepath.Join(dir, "CSE-CS8_2025.01.xml")
	for _, f := range []string{trod, cs8} {
		if _, err := os.Stat(f); err != nil {
			testenv.Missing(t, "ANS example not available (%v)", err)
		}
	}
	if code, stdout, _ := runCLI(t, "cda", "validate", trod); code != 0 || !strings.Contains(stdout, "warning: legalAuthenticator/time") {
		t.Errorf("BIO-TROD: exit %d\n%s", code, stdout)
	}
	if code, _, _ := runCLI(t, "cda", "validate", trod, "--strict"); code != 1 {
		t.Errorf("BIO-TROD --strict: exit %d", code)
	}
	if code, stdout, stderr := runCLI(t, "cda", "validate", cs8); code != 1 || !strings.Contains(stdout, "error: recordTarget/patientRole/id") ||
		!strings.Contains(stderr, "1 error(s)") {
		t.Errorf("CSE-CS8: exit %d\n%s%s", code, stdout, stderr)
	}
}

// cda new --pdf checks that the file is a whole PDF (exit 1 otherwise) and
// warns when it is not declared PDF/A-1.
func TestCDANewPDF(t *testing.T) {
	args := func(pdf string) []string {
		return []string{"cda", "new", "--pdf", pdf, "--ins", "279035121518989", "--ins-kind", "test",
			"--family", "FIGATELLIX", "--given", "Corse", "--gender", "F", "--birth", "19881012", "--birthplace", "2A004",
			"--author-rpps", "10000000001", "--author-family", "MARTIN", "--org-finess", "750000001", "--org-name", "Cabinet du Parc",
			"--type", "11490-0", "-o", filepath.Join(t.TempDir(), "doc.xml")}
	}
	pdfA2 := strings.Replace(testPDFA, `pdfaid:part="1"`, "\n<pdfaid:part>2</pdfaid:part>", 1)
	tests := []struct {
		name, content string
		code          int
		stderr        string // "" for none
	}{
		{"PDF/A-1", testPDFA, 0, ""},
		{"plain PDF", testPDF, 0, "not declared PDF/A (no pdfaid:part in its XMP metadata); Ref#2 ECO.2.1.1 asks for PDF/A-1"},
		{"PDF/A-2", pdfA2, 0, "declared PDF/A-2; Ref#2 ECO.2.1.1 asks for PDF/A-1"},
		{"not a PDF", "GIF89a...", 1, "not a PDF (it does not start with %PDF-)"},
		{"cut short", testPDF[:len(testPDF)-8], 1, "not a whole PDF (no %%EOF at its end: cut short?)"},
		{"empty", "", 1, "not a PDF"},
	}
	for _, tt := range tests {
		pdf := writeFile(t, "lettre.pdf", tt.content)
		code, _, stderr := runCLI(t, args(pdf)...)
		if code != tt.code || (tt.stderr == "") != (stderr == "") || !strings.Contains(stderr, tt.stderr) || (stderr != "" && !strings.Contains(stderr, "--pdf "+pdf+": ")) {
			t.Errorf("%s: exit %d, %q; want %d and %q", tt.name, code, stderr, tt.code, tt.stderr)
		}
	}
}

// The PDF/A marker is found wherever it is, also across two blocks of the
// scan.
func TestPDFAPart(t *testing.T) {
	marker := `pdfaid:part="1"`
	for _, at := range []int{0, 64<<10 - 7, 64 << 10, 3*64<<10 + 1} {
		data := strings.Repeat("x", at) + marker + "yyy"
		if part, err := pdfAPart(strings.NewReader(data)); part != 1 || err != nil {
			t.Errorf("marker at %d: %d %v", at, part, err)
		}
	}
	if part, _ := pdfAPart(strings.NewReader(strings.Repeat("x", 200<<10))); part != 0 {
		t.Errorf("no marker: %d", part)
	}
}
