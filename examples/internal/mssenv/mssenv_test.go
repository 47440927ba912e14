package mssenv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mssante-go/sdk/internal/testdocs"
	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// The configuration a vendor writes for a real operator, pointed at the
// in-process one.
func TestLoadAgainstSandbox(t *testing.T) {
	s, err := mssantetest.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.MustAddMailbox("a@medecin.mssante.fr", mssantetest.MailboxPER, nil)
	s.MustAddMailbox("b@ch-test.mssante.fr", mssantetest.MailboxPER, nil)
	tok, _ := s.Token("a@medecin.mssante.fr")
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, testpki.PEM(s.RootCertificate()), 0o600)
	list := filepath.Join(dir, "liste.xml")
	os.WriteFile(list, []byte(testdocs.ListeBlanche("ch-test.mssante.fr")), 0o600)
	env := map[string]string{
		"MSSANTE_ADDRESS": "a@medecin.mssante.fr", "MSSANTE_SMTP": s.SMTPAddr, "MSSANTE_IMAP": s.IMAPAddr,
		"MSSANTE_TOKEN": tok, "MSSANTE_ANCHORS": ca, "MSSANTE_ANCHORS_AS_GIVEN": "1",
		"MSSANTE_REVOCATION": "off", "MSSANTE_TRUST_LIST": list, "MSSANTE_PRODUCT_REF": "DEV935997",
	}
	getenv := func(k string) string { return env[k] }
	if !Configured(getenv) {
		t.Fatal("not configured")
	}
	cfg, err := Load(context.Background(), getenv)
	if err != nil {
		t.Fatal(err)
	}
	c, err := mssante.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := &mail.Message{To: []mail.Address{mail.MustParseAddress("b@ch-test.mssante.fr")}, Subject: "x", Text: "y"}
	if _, err := c.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	// Pinned SRV targets.
	env["MSSANTE_SRV_TARGETS"] = " imap.operateur.example, smtp.operateur.example ,"
	if cfg, err := Load(context.Background(), getenv); err != nil || len(cfg.SRVTargets) != 2 || cfg.SRVTargets[1] != "smtp.operateur.example" {
		t.Errorf("MSSANTE_SRV_TARGETS: %q, %v", cfg.SRVTargets, err)
	}
	env["MSSANTE_SRV_TARGETS"] = ""
	// Without the as-given flag the sandbox root is not a known IGC-Santé root.
	env["MSSANTE_ANCHORS_AS_GIVEN"] = ""
	if cfg, err := Load(context.Background(), getenv); err == nil {
		c, _ := mssante.NewClient(cfg)
		if _, err := c.Send(context.Background(), msg); !errors.Is(err, mssante.ErrTLS) {
			t.Fatalf("a sandbox root trusted as IGC-Santé: %v", err)
		}
		c.Close()
	}
	for _, missing := range []string{"MSSANTE_PRODUCT_REF", "MSSANTE_TOKEN", "MSSANTE_ANCHORS", "MSSANTE_TRUST_LIST"} {
		saved := env[missing]
		env[missing] = ""
		if _, err := Load(context.Background(), getenv); err == nil {
			t.Errorf("Load without %s succeeded", missing)
		}
		env[missing] = saved
	}
}
