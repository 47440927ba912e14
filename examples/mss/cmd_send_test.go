package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/testdocs"
	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// newOperator starts an in-process operator with the PER mailboxes given,
// closed at the end of the test.
func newOperator(t *testing.T, mailboxes ...string) *mssantetest.Server {
	t.Helper()
	s, err := mssantetest.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, m := range mailboxes {
		s.MustAddMailbox(m, mssantetest.MailboxPER, nil)
	}
	return s
}

// sandboxEnv points the MSSANTE_* variables at an in-process operator, as
// a vendor would at a real one. No MSSANTE_ANCHORS_AS_GIVEN: the servers are
// on loopback, so the sandbox's root is taken as given.
func sandboxEnv(t *testing.T, s *mssantetest.Server, address string) {
	t.Helper()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, testpki.PEM(s.RootCertificate()), 0o600)
	list := filepath.Join(dir, "liste.xml")
	os.WriteFile(list, []byte(testdocs.ListeBlanche(mssantetest.DefaultDomains()...)), 0o600)
	tok, err := s.Token(address)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"MSSANTE_ADDRESS": address, "MSSANTE_SMTP": s.SMTPAddr, "MSSANTE_IMAP": s.IMAPAddr, "MSSANTE_TOKEN": tok,
		"MSSANTE_ANCHORS": ca, "MSSANTE_ANCHORS_AS_GIVEN": "", "MSSANTE_REVOCATION": "off",
		"MSSANTE_TRUST_LIST": list, "MSSANTE_PRODUCT_REF": "DEV935997",
	} {
		t.Setenv(k, v)
	}
}

func TestSendAndSync(t *testing.T) {
	s := newOperator(t, "a@medecin.mssante.fr", "b@ch-test.mssante.fr")

	sandboxEnv(t, s, "a@medecin.mssante.fr")
	code, stdout, stderr := runCLI(t, "send", "--to", "b@ch-test.mssante.fr,x@outside.example.org", "--subject", "Bonjour", "--text", "t")
	if code != 1 || !strings.Contains(stderr, "x@outside.example.org") {
		t.Fatalf("out-of-trust recipient not refused: %d %s %s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "send", "--to", "b@ch-test.mssante.fr", "--subject", "Bonjour", "--text", "t", "--read-receipt", "--json")
	var res struct {
		MessageID  string `json:"messageId"`
		Recipients []struct {
			Address  string
			Accepted bool
		}
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || len(res.Recipients) != 1 || !res.Recipients[0].Accepted {
		t.Fatalf("send: %d %s %s", code, stdout, stderr)
	}

	sandboxEnv(t, s, "b@ch-test.mssante.fr")
	state := filepath.Join(t.TempDir(), "cursor.json")
	code, stdout, stderr = runCLI(t, "sync", "--state", state)
	if code != 0 || !strings.Contains(stdout, "Bonjour") || !strings.Contains(stdout, "1 new message(s)") {
		t.Fatalf("sync: %d %s %s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "sync", "--state", state)
	if code != 0 || !strings.Contains(stdout, "0 new message(s)") {
		t.Fatalf("second sync: %s", stdout)
	}
	// The sender got the delivery report.
	sandboxEnv(t, s, "a@medecin.mssante.fr")
	code, stdout, _ = runCLI(t, "sync", "--json")
	if code != 0 || !strings.Contains(stdout, `"kind":"dsn"`) || !strings.Contains(stdout, res.MessageID) {
		t.Fatalf("DSN not synced: %s", stdout)
	}
}

func TestSendWithoutConfiguration(t *testing.T) {
	t.Setenv("MSSANTE_ADDRESS", "")
	code, _, stderr := runCLI(t, "send", "--to", "b@ch-test.mssante.fr", "--text", "x")
	if code != 1 || !strings.Contains(stderr, "MSSANTE_ADDRESS") {
		t.Fatalf("%d %s", code, stderr)
	}
}

// mss send keeps the patient-safety rules of Client.Send: an IHE_XDM.ZIP
// given with --attach and a message to two patients are refused with the
// rule in the one-line error, and nothing reaches the operator.
func TestSendPatientSafety(t *testing.T) {
	s := newOperator(t, "a@medecin.mssante.fr", "b@ch-test.mssante.fr")
	sandboxEnv(t, s, "a@medecin.mssante.fr")
	zip := filepath.Join(t.TempDir(), "IHE_XDM.ZIP")
	os.WriteFile(zip, []byte("PK\x03\x04"), 0o600)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--to", "b@ch-test.mssante.fr", "--attach", zip}, "Message.Documents"},
		{[]string{"--to", "279035121518989@patient.mssante.fr", "--bcc", "146026322000196@patient.mssante.fr"}, "one patient only"},
	} {
		code, _, stderr := runCLI(t, append([]string{"send", "--subject", "s", "--text", "t"}, tt.args...)...)
		if code != 1 || !strings.Contains(stderr, tt.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("send %v: exit %d, %q", tt.args, code, stderr)
		}
	}
	if st := s.Stats(); st.SMTPConnections != 0 {
		t.Errorf("%d SMTP connections", st.SMTPConnections)
	}
}

// compose → inspect → send: the .eml written by mss compose is sent as it
// is, to the recipients of its header, through the checks of Client.Send.
func TestSendComposedMessage(t *testing.T) {
	s := newOperator(t, "a@medecin.mssante.fr", "b@ch-test.mssante.fr")
	sandboxEnv(t, s, "a@medecin.mssante.fr")
	dir := t.TempDir()
	eml := filepath.Join(dir, "msg.eml")
	compose := []string{"compose", "--from", "Dr_Marie_MARTIN <a@medecin.mssante.fr>", "--to", "b@ch-test.mssante.fr", "--subject", "Bonjour", "--text", "t"}
	if code, _, stderr := runCLI(t, append(compose, "--product-ref", "DEV935997", "-o", eml)...); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, _ := runCLI(t, "inspect", eml, "--json")
	var composed struct{ MessageID string }
	if code != 0 || json.Unmarshal([]byte(stdout), &composed) != nil || composed.MessageID == "" {
		t.Fatalf("inspect: %d %s", code, stdout)
	}
	raw, _ := os.ReadFile(eml)

	// Refused before any connection: what the file or the command line
	// gets wrong.
	draft := filepath.Join(dir, "draft.eml")
	if code, _, stderr := runCLI(t, append(compose, "--no-product-ref", "-o", draft)...); code != 0 {
		t.Fatal(stderr)
	}
	bcc := writeFile(t, "bcc.eml", "Bcc: c@ch-test.mssante.fr\r\n"+string(raw))
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{draft}, 1, "draft.eml: no X-MSS-NIL header: a draft"},
		{[]string{bcc}, 1, "bcc.eml: a Bcc header"},
		{[]string{eml, "--to", "x@outside.example.org"}, 1, "x@outside.example.org"},
		{[]string{eml, "--subject", "other"}, 2, "FILE.eml is the message: --subject cannot go with it"},
		{[]string{filepath.Join(dir, "absent.eml")}, 1, "absent.eml: no such file or directory"},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"send"}, tt.args...)...)
		if code != tt.code || stdout != "" || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("send %q: exit %d, %q %q; want %d and %q", tt.args, code, stdout, stderr, tt.code, tt.want)
		}
	}
	if st := s.Stats(); st.SMTPConnections != 0 {
		t.Fatalf("%d SMTP connections before the good send", st.SMTPConnections)
	}

	code, stdout, stderr := runCLI(t, "send", eml, "--json")
	var res struct {
		MessageID    string `json:"messageId"`
		DSNRequested bool   `json:"dsnRequested"`
		Recipients   []struct {
			Address  string `json:"address"`
			Accepted bool   `json:"accepted"`
		} `json:"recipients"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || res.MessageID != composed.MessageID || !res.DSNRequested ||
		len(res.Recipients) != 1 || res.Recipients[0].Address != "b@ch-test.mssante.fr" || !res.Recipients[0].Accepted {
		t.Fatalf("send: %d %s %s", code, stdout, stderr)
	}
	// b got the bytes of the file; a got the delivery report.
	sandboxEnv(t, s, "b@ch-test.mssante.fr")
	code, stdout, _ = runCLI(t, "sync", "--json")
	if code != 0 || !strings.Contains(stdout, composed.MessageID) || !strings.Contains(stdout, `"X-MSS-NIL":"DEV935997"`) {
		t.Fatalf("b's sync: %d %s", code, stdout)
	}
	sandboxEnv(t, s, "a@medecin.mssante.fr")
	code, stdout, _ = runCLI(t, "sync", "--json")
	if code != 0 || !strings.Contains(stdout, `"kind":"dsn"`) || !strings.Contains(stdout, composed.MessageID) {
		t.Fatalf("a's sync: %d %s", code, stdout)
	}
}

// A document mail sent from its .eml keeps the patient-safety rule of
// Client.Send: the patient of the documents, read from the CDA inside the
// IHE_XDM.ZIP, must be the patient recipient.
func TestSendComposedDocumentMail(t *testing.T) {
	s := newOperator(t, "a@medecin.mssante.fr", "279035121518989@patient.mssante.fr", "146026322000196@patient.mssante.fr")
	sandboxEnv(t, s, "a@medecin.mssante.fr")
	dir := t.TempDir()
	pdf := writeFile(t, "lettre.pdf", testPDFA)
	doc := filepath.Join(dir, "doc.xml")
	if code, _, stderr := runCLI(t, "cda", "new", "--pdf", pdf, "--ins", "279035121518989", "--ins-kind", "test",
		"--family", "FIGATELLIX", "--given", "Corse", "--gender", "F", "--birth", "19881012", "--birthplace", "2A004",
		"--author-rpps", "10000000001", "--author-family", "MARTIN", "--author-given", "Alice",
		"--org-finess", "750000001", "--org-name", "Cabinet du Parc", "--type", "11490-0", "-o", doc); code != 0 || stderr != "" {
		t.Fatalf("cda new: %d %s", code, stderr)
	}
	eml := filepath.Join(dir, "doc.eml")
	if code, _, stderr := runCLI(t, "compose", "--from", "a@medecin.mssante.fr", "--to", "279035121518989@patient.mssante.fr",
		"--cda", doc, "--text", "Votre lettre", "--product-ref", "DEV935997", "-o", eml); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr := runCLI(t, "send", eml, "--to", "146026322000196@patient.mssante.fr")
	if code != 1 || !strings.Contains(stderr, "not the patient of the documents") || !strings.Contains(stderr, "146026322000196@patient.mssante.fr") {
		t.Fatalf("another patient: %d %s", code, stderr)
	}
	if st := s.Stats(); st.SMTPConnections != 0 {
		t.Fatalf("%d SMTP connections", st.SMTPConnections)
	}
	if code, stdout, stderr := runCLI(t, "send", eml); code != 0 || !strings.Contains(stdout, "279035121518989@patient.mssante.fr accepted") {
		t.Fatalf("the documents' patient: %d %s %s", code, stdout, stderr)
	}
}
