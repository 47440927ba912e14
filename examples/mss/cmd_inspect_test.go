package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/testdocs"
	"github.com/mssante-go/sdk/mssante/mail"
)

// writeFile writes content to a file of a temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A 1 MB report whose Diagnostic-Code is folded over 100,000 lines (issue
// 19): inspect reads it at once, shows the report and the field it left
// out.
func TestInspectFoldedReport(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n" +
		"Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; a@medecin.mssante.fr\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
		"Diagnostic-Code: smtp; 550\r\n")
	for b.Len() < 1_000_000 {
		b.WriteString(" 5.1.1 x\r\n")
	}
	b.WriteString("\r\n--b--\r\n")
	path := writeFile(t, "folded.eml", b.String())
	start := time.Now()
	code, stdout, stderr := runCLI(t, "inspect", path)
	// The benchmark of package mssante measures the time (milliseconds);
	// this is only a guard against the quadratic parse (40 s).
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("took %v", d)
	}
	if code != 0 || !strings.Contains(stdout, "a@medecin.mssante.fr: failed 5.1.1") ||
		!strings.Contains(stdout, "Problem:    mail: malformed message/delivery-status: field Diagnostic-Code left out: mail: report field size over the limit of 65536") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
}

const inspectUnavailable = "From MAILER-DAEMON Thu Nov 26 11:02:03 2026\n" +
	"From: MAILER-DAEMON@smtp.operateur.example (Mail Delivery System)\nSubject: Undelivered Mail Returned to Sender\n" +
	"To: helene.lefevre@medecin.mssante.fr\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n" +
	"--b\nContent-Type: text/plain\n\nThis is the mail system at host smtp.operateur.example.\n\n                   The mail system\n\n\t--- Delivery report unavailable ---\n\n" +
	"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; smtp.operateur.example\nX-Postfix-Queue-ID: 6A1B21C0F2\n" +
	"Original-Envelope-Id: msgid-aadq4fi4emvdcob7izgviw3cne\n\n" +
	"--b\nContent-Type: text/rfc822-headers\n\nMessage-ID: <aadq4fi4emvdcob7izgviw3cne@medecin.mssante.fr>\nSubject: Lettre\n"

// A bounce saved from a mail client (mbox "From " line), Postfix's
// "Delivery report unavailable", cut before its closing boundary: inspect
// shows the report and its problems, and exits 0.
func TestInspectLenientReport(t *testing.T) {
	path := writeFile(t, "bounce.mbox", inspectUnavailable)
	code, stdout, stderr := runCLI(t, "inspect", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"Report:     DSN on aadq4fi4emvdcob7izgviw3cne@medecin.mssante.fr",
		"(recipients not named): failed (action inferred)",
		"--- Delivery report unavailable ---",
		"Problem:    mail: malformed header: mbox envelope line skipped",
		"Problem:    mail: malformed message/delivery-status: report without per-recipient status",
		"Problem:    mail: malformed multipart/report: no closing boundary",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

// Exim's generic status, refined from the text, in the JSON.
func TestInspectInferredStatus(t *testing.T) {
	raw := "From: Mail Delivery System <Mailer-Daemon@exim.example>\nSubject: Mail delivery failed: returning message to sender\n" +
		"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=e\n\n" +
		"--e\nContent-type: text/plain\n\n  279035121518989@patient.mssante.fr\n    LMTP error after RCPT TO:<279035121518989@patient.mssante.fr>:\n    550 5.1.1 User unknown\n\n" +
		"--e\nContent-type: message/delivery-status\n\nReporting-MTA: dns; exim.example\n\nAction: failed\nFinal-Recipient: rfc822;279035121518989@patient.mssante.fr\nStatus: 5.0.0\n\n--e--\n"
	code, stdout, stderr := runCLI(t, "inspect", "--json", writeFile(t, "exim.eml", raw))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var v inspectJSON
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatal(err)
	}
	r := v.Report.Recipients[0]
	if r.Status != "5.1.1" || !r.StatusInferred || r.ReportedStatus != "5.0.0" || !strings.Contains(r.Error, "patient unknown") {
		t.Fatalf("%+v", r)
	}
	_, text, _ := runCLI(t, "inspect", writeFile(t, "exim.eml", raw))
	if !strings.Contains(text, "279035121518989@patient.mssante.fr: failed 5.1.1 (status inferred, reported 5.0.0)") {
		t.Fatalf("text:\n%s", text)
	}
}

// A document mail composed with --cda: inspect shows each document with
// its checks (hash, patient, PDF copy), in text and in JSON.
func TestInspectDocumentMail(t *testing.T) {
	dir := t.TempDir()
	cdaFile := filepath.Join(dir, "lettre.xml")
	doc, err := testdocs.N1(testdocs.Options{}, strings.NewReader("%PDF-1.4 lettre"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(cdaFile, doc, 0o600)
	eml := filepath.Join(dir, "doc.eml")
	if code, _, stderr := runCLI(t, "compose", "--from", "alice.martin@medecin.mssante.fr", "--to", "dr.b@ch-test.mssante.fr",
		"--cda", cdaFile, "--product-ref", "DEV935997", "-o", eml); code != 0 {
		t.Fatalf("compose: %s", stderr)
	}
	code, stdout, stderr := runCLI(t, "inspect", eml)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"Document 1: CR ou fiche de consultation ou de visite (11488-4), N1 application/pdf",
		"bytes, hash and size checked",
		"  patient   FIGATELLIX CORSE, born 12/10/1988, INS 279035121518989 (qualified)",
		"  PDF copy  20261120_CR ou fiche de consultation ou de visite_FIGATELLIX_CORSE.pdf (the PDF inside the document)",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "problem") {
		t.Errorf("problems reported:\n%s", stdout)
	}
	_, stdout, _ = runCLI(t, "inspect", "--json", eml)
	var v inspectJSON
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Documents) != 1 || !v.Documents[0].HashOK || !v.Documents[0].PDFMatchesBody || v.Documents[0].INS != "279035121518989" || v.DocumentsError != "" {
		t.Fatalf("%+v", v.Documents)
	}
}

// Documents that cannot be checked or read: the problems are shown and
// inspect still exits 0.
func TestInspectDocumentProblems(t *testing.T) {
	doc, err := testdocs.N1(testdocs.Options{}, strings.NewReader("%PDF-1.4 lettre"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := mail.NewDocumentSet([]mail.CDASource{{Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(doc)), nil }}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var zip bytes.Buffer
	if err := set.WriteXDM(&zip, nil); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, zip, want string
	}{
		{"no PDF copy", zip.String(), "  problem   mail: document 1 (\"11488-4\"): mail: document has no PDF copy"},
		{"not an archive", "PK not a zip", "Documents:  cannot be read: mail: IHE_XDM.ZIP: xdm: not a ZIP archive"},
	} {
		m := &mail.Message{From: mail.MustParseAddress("a@medecin.mssante.fr"), To: []mail.Address{mail.MustParseAddress("b@medecin.mssante.fr")},
			Attachments: []*mail.Attachment{mail.BytesAttachment("IHE_XDM.ZIP", "application/zip", []byte(tt.zip))}}
		var raw bytes.Buffer
		if err := m.Encode(&raw, nil); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runCLI(t, "inspect", writeFile(t, "doc.eml", raw.String()))
		if code != 0 || !strings.Contains(stdout, tt.want) {
			t.Errorf("%s: exit %d, output lacks %q:\n%s%s", tt.name, code, tt.want, stdout, stderr)
		}
	}
}

// An empty file, or text without a header, is a finding (exit 1) naming
// the file; a message's addresses are bare in JSON, its display name apart.
func TestInspectNotAMessage(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"empty.eml": "", "text.eml": "just some text\nno header at all\n"} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(content), 0o600)
		code, _, stderr := runCLI(t, "inspect", path)
		if code != 1 || !strings.Contains(stderr, name) {
			t.Errorf("%s: exit %d, %q; want 1 naming the file", name, code, stderr)
		}
	}
	eml := filepath.Join(dir, "m.eml")
	os.WriteFile(eml, []byte("From: Dr_Marie_MARTIN <marie.martin@medecin.mssante.fr>\r\nTo: \"B\" <b@ch-test.mssante.fr>\r\nSubject: x\r\n\r\nbody\r\n"), 0o600)
	code, stdout, stderr := runCLI(t, "inspect", "--json", eml)
	var v struct {
		From, FromName string
		To             []string
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &v) != nil {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	if v.From != "marie.martin@medecin.mssante.fr" || v.FromName != "Dr_Marie_MARTIN" || len(v.To) != 1 || v.To[0] != "b@ch-test.mssante.fr" {
		t.Errorf("addresses %+v", v)
	}
}
