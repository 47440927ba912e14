package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
