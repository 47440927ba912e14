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

// sandboxEnv points the MSSANTE_* variables at an in-process operator, as
// a vendor would at a real one.
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
		"MSSANTE_ANCHORS": ca, "MSSANTE_ANCHORS_AS_GIVEN": "1", "MSSANTE_REVOCATION": "off",
		"MSSANTE_TRUST_LIST": list, "MSSANTE_PRODUCT_REF": "DEV935997",
	} {
		t.Setenv(k, v)
	}
}

func TestSendAndSync(t *testing.T) {
	s, err := mssantetest.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.MustAddMailbox("a@medecin.mssante.fr", mssantetest.MailboxPER, nil)
	s.MustAddMailbox("b@ch-test.mssante.fr", mssantetest.MailboxPER, nil)

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
	s, err := mssantetest.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.MustAddMailbox("a@medecin.mssante.fr", mssantetest.MailboxPER, nil)
	s.MustAddMailbox("b@ch-test.mssante.fr", mssantetest.MailboxPER, nil)
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
