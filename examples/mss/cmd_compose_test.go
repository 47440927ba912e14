package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/testenv"
	"github.com/mssante-go/sdk/mssante/mail"
)

// runCLI runs one command line in process and returns the exit status and
// outputs.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), &env{stdout: &out, stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

func TestComposeInspect(t *testing.T) {
	dir := t.TempDir()
	pdf := filepath.Join(dir, "Résumé.pdf")
	os.WriteFile(pdf, []byte("%PDF-1.4 test"), 0o600)
	eml := filepath.Join(dir, "out.eml")
	code, _, stderr := runCLI(t, "compose",
		"--from", "Dr_Marie_MARTIN <marie.martin@medecin.mssante.fr>",
		"--to", "a@pharmacien.mssante.fr,279035121518989@patient.mssante.fr", "--cc", "c@ch.mssante.fr",
		"--subject", "Résultats d'analyse", "--text", "Bonjour,\nvoici.", "--attach", pdf,
		"--read-receipt", "--end-conversation", "--product-ref", "DEV935997", "-o", eml)
	if code != 0 {
		t.Fatalf("compose exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "inspect", eml, "--json")
	if code != 0 {
		t.Fatalf("inspect exit %d: %s", code, stderr)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	for _, key := range []string{"messageId", "from", "to", "subject", "xdmSubject", "headers", "attachments", "kind", "patientSender"} {
		if _, ok := v[key]; !ok {
			t.Errorf("JSON lacks %q", key)
		}
	}
	if v["kind"] != "plain" || v["subject"] != "Résultats d'analyse" || v["xdmSubject"] != false || v["patientSender"] != false {
		t.Errorf("JSON %s", stdout)
	}
	if to := v["to"].([]any); len(to) != 2 {
		t.Errorf("to %v", to)
	}
	h := v["headers"].(map[string]any)
	if h["X-MSS-NIL"] != "DEV935997" || h["X-MSS-MES"] != "FIN" {
		t.Errorf("headers %v", h)
	}
	att := v["attachments"].([]any)
	if len(att) != 1 || att[0].(map[string]any)["name"] != "Résumé.pdf" || att[0].(map[string]any)["size"].(float64) != 13 {
		t.Errorf("attachments %v", att)
	}

	// Human-readable form.
	code, stdout, _ = runCLI(t, "inspect", eml)
	if code != 0 || !strings.Contains(stdout, "X-MSS-NIL:    DEV935997") || !strings.Contains(stdout, "Attachment: Résumé.pdf") {
		t.Errorf("inspect text:\n%s", stdout)
	}
	// Standard output without -o.
	code, stdout, _ = runCLI(t, "compose", "--from", "a@medecin.mssante.fr", "--to", "b@medecin.mssante.fr", "--subject", "s", "--text", "t", "--product-ref", "DEV935997")
	if code != 0 || !strings.Contains(stdout, "Subject: s\r\n") {
		t.Errorf("compose to stdout: %d\n%s", code, stdout)
	}
}

func TestInspectReports(t *testing.T) {
	tests := []struct {
		file, typ, orig string
		recipients      int
	}{
		{"dsn-postfix-failure.eml", "dsn", "aadq4fi4emvdcob7izgviw3cne@medecin.mssante.fr", 2},
		{"mdn-cisis-error.eml", "mdn", "aadq4fi4emvdcob7izgviw3cne@medecin.mssante.fr", 1},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCLI(t, "inspect", "--json", filepath.Join("..", "..", "mssante", "mail", "testdata", tt.file))
		if code != 0 {
			t.Fatalf("%s: exit %d %s", tt.file, code, stderr)
		}
		var v struct {
			Kind   string `json:"kind"`
			Report struct {
				Type              string `json:"type"`
				OriginalMessageID string `json:"originalMessageId"`
				Disposition       string `json:"disposition"`
				Recipients        []struct {
					Address, Action, Status string
				} `json:"recipients"`
			} `json:"report"`
		}
		if err := json.Unmarshal([]byte(stdout), &v); err != nil {
			t.Fatal(err)
		}
		if v.Kind != tt.typ || v.Report.Type != tt.typ || v.Report.OriginalMessageID != tt.orig || len(v.Report.Recipients) != tt.recipients {
			t.Errorf("%s: %s", tt.file, stdout)
		}
		if tt.typ == "dsn" && (v.Report.Recipients[0].Action != "failed" || v.Report.Recipients[0].Status != "5.1.1") {
			t.Errorf("dsn recipients %+v", v.Report.Recipients)
		}
		if tt.typ == "mdn" && v.Report.Disposition != "automatic-action/MDN-sent-automatically; processed/error" {
			t.Errorf("disposition %q", v.Report.Disposition)
		}
	}
}

// Errors are one line on standard error, each said once and naming the
// flag or file at fault; invalid input exits 1, a wrong command line 2.
func TestCLIErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string // in the error line
	}{
		{[]string{"compose", "--to", "b@medecin.mssante.fr"}, 2, "missing --from, --product-ref or --no-product-ref"},
		{[]string{"compose", "--from", "a@medecin.mssante.fr", "--to", "279035121518988@patient.mssante.fr", "--no-product-ref"}, 1, "--to: "},
		{[]string{"compose", "--from", "a@medecin.mssante.fr", "--to", "b@medecin.mssante.fr", "--subject", "x\ny", "--no-product-ref"}, 1, "--subject: header value contains CR, LF or NUL"},
		{[]string{"compose", "--from", "a@medecin.mssante.fr", "--to", "b@medecin.mssante.fr", "--attach", "/nonexistent.pdf", "--no-product-ref"}, 1, "--attach /nonexistent.pdf: "},
		{[]string{"compose", "--from", "a@medecin.mssante.fr", "--to", "b@medecin.mssante.fr", "--cda", "/nonexistent.xml", "--no-product-ref"}, 1, "--cda /nonexistent.xml: no such file or directory"},
		{[]string{"compose", "--from", "a@medecin.mssante.fr", "--to", "b@medecin.mssante.fr", "--product-ref", "DEV935997", "--no-product-ref"}, 2, "exclude each other"},
		{[]string{"compose", "--pdf", "x.pdf"}, 2, "--pdf \"x.pdf\": must follow the --cda of its document"},
		{[]string{"inspect"}, 2, "missing FILE.eml"},
		{[]string{"inspect", "/nonexistent.eml"}, 1, "/nonexistent.eml"},
		{[]string{"nosuchcommand"}, 2, "unknown command"},
		{[]string{"cda"}, 2, "missing subcommand"},
		{[]string{"cda", "nosuch"}, 2, "unknown subcommand \"nosuch\""},
		{[]string{"compose", "--no-such-flag"}, 2, "unknown flag -no-such-flag"},
		{[]string{"cda", "inspect", "/nonexistent.xml"}, 1, "mss cda inspect: /nonexistent.xml: no such file or directory"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCLI(t, tt.args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != tt.code || stdout != "" || len(lines) != 1 || !strings.Contains(lines[0], tt.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d and %q", tt.args, code, stdout, stderr, tt.code, tt.want)
		}
		_, msg, _ := strings.Cut(stderr, ": ")
		for _, p := range []string{"mail: ", "mssante: ", "cda: ", "trust: "} {
			if strings.Contains(msg, p) {
				t.Errorf("%q: %q repeats a package prefix", tt.args, stderr)
			}
		}
	}
}

func TestCLIHelp(t *testing.T) {
	code, stdout, _ := runCLI(t, "compose", "-h")
	if code != 0 || !strings.Contains(stdout, "-product-ref") {
		t.Errorf("help: %d %q", code, stdout)
	}
}

func TestSandbox(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan int)
	go func() {
		done <- run(ctx, &env{stdout: out, stderr: out}, []string{"sandbox", "--mailbox", "x@medecin.mssante.fr:APP"})
	}()
	for i := 0; i < 200 && !strings.Contains(out.String(), "Ctrl-C"); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 || !strings.Contains(out.String(), "x@medecin.mssante.fr (APP)") || !strings.Contains(out.String(), "SMTP submission  127.0.0.1:") {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestComposeCDA(t *testing.T) {
	dir := t.TempDir()
	pdf := filepath.Join(dir, "lettre.pdf")
	os.WriteFile(pdf, []byte(testPDF), 0o600)
	doc := filepath.Join(dir, "doc.xml")
	code, _, stderr := runCLI(t, "cda", "new", "--pdf", pdf, "--ins", "279035121518989", "--ins-kind", "test",
		"--family", "FIGATELLIX", "--given", "Corse", "--gender", "F", "--birth", "19881012", "--birthplace", "2A004",
		"--author-rpps", "10000000001", "--author-family", "MARTIN", "--author-given", "Alice",
		"--org-finess", "750000001", "--org-name", "Cabinet du Parc", "--type", "11490-0", "-o", doc)
	if code != 0 {
		t.Fatalf("cda new: %s", stderr)
	}
	eml := filepath.Join(dir, "doc.eml")
	code, _, stderr = runCLI(t, "compose", "--from", "alice.martin@medecin.mssante.fr", "--to", "279035121518989@patient.mssante.fr",
		"--cda", doc, "--text", "Votre lettre de liaison", "--product-ref", "DEV935997", "-o", eml)
	if code != 0 {
		t.Fatalf("compose --cda: %s", stderr)
	}
	code, stdout, _ := runCLI(t, "inspect", eml, "--json")
	var v struct {
		Kind        string            `json:"kind"`
		XDMSubject  bool              `json:"xdmSubject"`
		Subject     string            `json:"subject"`
		Headers     map[string]string `json:"headers"`
		Attachments []struct {
			Name, ContentType string
		} `json:"attachments"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &v) != nil {
		t.Fatalf("inspect: %s", stdout)
	}
	if v.Kind != "document" || !v.XDMSubject || v.Headers["X-MSS-CODECDA"] != "11490-0" || v.Headers["X-MSS-INS"] != "O" || v.Headers["X-MSS-NIL"] != "DEV935997" {
		t.Errorf("document mail: %s", stdout)
	}
	if !strings.HasPrefix(v.Subject, "XDM/1.0/DDM+") || !strings.Contains(v.Subject, "FIGATELLIX Corse 12/10/1988") {
		t.Errorf("subject %q", v.Subject)
	}
	if len(v.Attachments) != 2 || v.Attachments[0].Name != "IHE_XDM.ZIP" || v.Attachments[1].ContentType != "application/pdf" || !strings.HasSuffix(v.Attachments[1].Name, "_FIGATELLIX_Corse.pdf") {
		t.Errorf("attachments %+v", v.Attachments)
	}
}

// --from follows the display-name rule of Ref#2 ECO.2.2.7: the error names
// the rule and what breaks it.
func TestComposeFromDisplayName(t *testing.T) {
	for _, tt := range []struct{ from, reason string }{
		{"Dr_MARTIN <marie.martin@medecin.mssante.fr>", "missing first name"},
		{"Jean_Pierre_MARTIN <jp.martin@medecin.mssante.fr>", "upper case"},
		{"Dr__MARTIN <m@medecin.mssante.fr>", "empty part"},
	} {
		code, _, stderr := runCLI(t, "compose", "--from", tt.from, "--to", "b@medecin.mssante.fr", "--subject", "s", "--text", "t", "--no-product-ref")
		if code != 1 || !strings.Contains(stderr, "--from") || !strings.Contains(stderr, "ECO.2.2.7") || !strings.Contains(stderr, tt.reason) {
			t.Errorf("compose --from %q: exit %d, %s", tt.from, code, stderr)
		}
	}
	for _, from := range []string{"Dr_Jean-Pierre_MARTIN <jp@medecin.mssante.fr>", "CH Nord - Biologie <bio@ch.mssante.fr>"} {
		if code, _, stderr := runCLI(t, "compose", "--from", from, "--to", "b@medecin.mssante.fr", "--subject", "s", "--text", "t", "--no-product-ref"); code != 0 {
			t.Errorf("compose --from %q refused: %s", from, stderr)
		}
	}
}

// An N3 document (structured body, no embedded PDF) needs its PDF copy from
// --pdf, which pairs with the --cda before it.
func TestComposeCDAWithPDF(t *testing.T) {
	n3 := testenv.SharedDir(t, "ans-TestContenuCDA-3-0", "ExemplesCDA", "LDL-SES_2022.01.xml") // an ANS N3 example
	dir := t.TempDir()
	pdf := filepath.Join(dir, "copie.pdf")
	os.WriteFile(pdf, []byte(testPDFA), 0o600)
	notPDF := filepath.Join(dir, "copie.txt")
	os.WriteFile(notPDF, []byte("plain text"), 0o600)
	eml := filepath.Join(dir, "n3.eml")
	base := []string{"compose", "--from", "alice.martin@medecin.mssante.fr", "--to", "bruno.durand@ch-test.mssante.fr",
		"--text", "Lettre de liaison", "--product-ref", "DEV935997", "-o", eml}

	for _, tt := range []struct {
		name, want string
		args       []string
	}{
		{"N3 without --pdf", "no PDF copy", []string{"--cda", n3}},
		{"--pdf before any --cda", "must follow the --cda", []string{"--pdf", pdf, "--cda", n3}},
		{"two --pdf", "a second --pdf for --cda", []string{"--cda", n3, "--pdf", pdf, "--pdf", pdf}},
		{"not a PDF", "copie.txt: not a PDF", []string{"--cda", n3, "--pdf", notPDF}},
	} {
		if code, _, stderr := runCLI(t, append(base, tt.args...)...); code == 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: exit %d, %q, want an error with %q", tt.name, code, stderr, tt.want)
		}
	}

	if code, _, stderr := runCLI(t, append(base, "--cda", n3, "--pdf", pdf)...); code != 0 {
		t.Fatalf("compose --cda N3 --pdf: %s", stderr)
	}
	f, err := os.Open(eml)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := mail.Parse(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var copies int
	for _, a := range m.Attachments {
		if a.ContentType != "application/pdf" {
			continue
		}
		rc, err := a.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != testPDFA {
			t.Errorf("PDF copy %q", b)
		}
		copies++
	}
	if copies != 1 || m.Kind() != mail.KindDocument {
		t.Errorf("%s mail with %d PDF copies", m.Kind(), copies)
	}
}

// testPDF is a whole PDF as far as checkPDF looks (its start and end), not
// declared PDF/A; testPDFA declares PDF/A-1 in its XMP metadata.
const (
	testPDF  = "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
	testPDFA = "%PDF-1.4\n1 0 obj << /Type /Metadata /Subtype /XML >> stream\n<x:xmpmeta><rdf:Description xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\" pdfaid:part=\"1\" pdfaid:conformance=\"B\"/></x:xmpmeta>\nendstream endobj\ntrailer << >>\n%%EOF\n"
)
