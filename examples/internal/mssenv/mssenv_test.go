package mssenv

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/testdocs"
	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/trust"
)

// sandbox starts an operator with two mailboxes and returns the variables a
// vendor would set for the first, with no MSSANTE_ANCHORS_AS_GIVEN.
func sandbox(t *testing.T) (*mssantetest.Server, map[string]string) {
	t.Helper()
	s, err := mssantetest.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.MustAddMailbox("a@medecin.mssante.fr", mssantetest.MailboxPER, nil)
	s.MustAddMailbox("b@ch-test.mssante.fr", mssantetest.MailboxPER, nil)
	tok, _ := s.Token("a@medecin.mssante.fr")
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, testpki.PEM(s.RootCertificate()), 0o600)
	list := filepath.Join(dir, "liste.xml")
	os.WriteFile(list, []byte(testdocs.ListeBlanche("ch-test.mssante.fr")), 0o600)
	return s, map[string]string{
		"MSSANTE_ADDRESS": "a@medecin.mssante.fr", "MSSANTE_SMTP": s.SMTPAddr, "MSSANTE_IMAP": s.IMAPAddr,
		"MSSANTE_TOKEN": tok, "MSSANTE_ANCHORS": ca,
		"MSSANTE_REVOCATION": "off", "MSSANTE_TRUST_LIST": list, "MSSANTE_PRODUCT_REF": "DEV935997",
	}
}

// The configuration a vendor writes for a real operator, pointed at the
// in-process one: its root is trusted as given because both servers are on
// loopback, without MSSANTE_ANCHORS_AS_GIVEN.
func TestLoadAgainstSandbox(t *testing.T) {
	_, env := sandbox(t)
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
}

// Away from loopback, a root the SDK does not know is refused when the
// configuration is loaded, with the way out named; MSSANTE_ANCHORS_AS_GIVEN=1
// accepts it.
func TestLoadUnknownRootAwayFromLoopback(t *testing.T) {
	_, env := sandbox(t)
	getenv := func(k string) string { return env[k] }
	for _, servers := range [][2]string{
		{"smtp.operateur.example:587", "imap.operateur.example:143"},
		{"", ""}, // DNS SRV
		{"127.0.0.1:587", "imap.operateur.example:143"},
	} {
		env["MSSANTE_SMTP"], env["MSSANTE_IMAP"] = servers[0], servers[1]
		env["MSSANTE_ANCHORS_AS_GIVEN"] = ""
		_, err := Load(context.Background(), getenv)
		var ve *VarError
		if !errors.As(err, &ve) || ve.Name != "MSSANTE_ANCHORS" || !errors.Is(err, trust.ErrBadBundle) || !strings.Contains(err.Error(), "MSSANTE_ANCHORS_AS_GIVEN=1") {
			t.Errorf("%v: %v", servers, err)
		}
		env["MSSANTE_ANCHORS_AS_GIVEN"] = "1"
		if _, err := Load(context.Background(), getenv); err != nil {
			t.Errorf("%v, as given: %v", servers, err)
		}
	}
}

// Every variable that is missing or wrong is reported by one error.
func TestLoadReportsEveryProblem(t *testing.T) {
	_, env := sandbox(t)
	getenv := func(k string) string { return env[k] }
	for k, v := range map[string]string{
		"MSSANTE_ADDRESS": "", "MSSANTE_TOKEN": "", "MSSANTE_ANCHORS": "", "MSSANTE_TRUST_LIST": "",
		"MSSANTE_PRODUCT_REF": "", "MSSANTE_REVOCATION": "sometimes", "MSSANTE_IMPLICIT_TLS": "yes", "MSSANTE_SMTP": "no-port",
	} {
		env[k] = v
	}
	_, err := Load(context.Background(), getenv)
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("%T %v", err, err)
	}
	var names []string
	for _, p := range ce.Problems {
		names = append(names, p.Name)
	}
	want := "MSSANTE_ADDRESS MSSANTE_IMPLICIT_TLS MSSANTE_SMTP MSSANTE_TOKEN MSSANTE_ANCHORS MSSANTE_REVOCATION MSSANTE_PRODUCT_REF MSSANTE_TRUST_LIST"
	if strings.Join(names, " ") != want {
		t.Errorf("problems %v, want %s", names, want)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "mssenv: 8 settings to fix: MSSANTE_ADDRESS: required") || strings.Contains(msg, "\n") {
		t.Errorf("message %q", msg)
	}

	// One problem reads as one.
	_, env = sandbox(t)
	env["MSSANTE_PRODUCT_REF"] = ""
	if _, err := Load(context.Background(), getenv); err == nil || !strings.HasPrefix(err.Error(), "mssenv: MSSANTE_PRODUCT_REF: required") {
		t.Errorf("one problem: %v", err)
	}
}

func TestLoadAuthentication(t *testing.T) {
	_, env := sandbox(t)
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		set  map[string]string
		name string // of the VarError, "" for success
	}{
		{map[string]string{"MSSANTE_PASSWORD": "x"}, "MSSANTE_TOKEN"}, // token and password
		{map[string]string{"MSSANTE_TOKEN": "", "MSSANTE_PASSWORD": "x"}, ""},
		{map[string]string{"MSSANTE_TOKEN": "", "MSSANTE_CERT": "/nonexistent.pem"}, "MSSANTE_KEY"},
		{map[string]string{"MSSANTE_TOKEN": "", "MSSANTE_CERT": "/nonexistent.pem", "MSSANTE_KEY": "/nonexistent.key"}, "MSSANTE_CERT/MSSANTE_KEY"},
		{map[string]string{"MSSANTE_TOKEN": "", "MSSANTE_KEY": "/nonexistent.key"}, "MSSANTE_KEY"},
		{map[string]string{"MSSANTE_TOKEN": "", "MSSANTE_P12": "/nonexistent.p12"}, "MSSANTE_P12"},
	}
	for _, tt := range tests {
		saved := map[string]string{}
		for k, v := range tt.set {
			saved[k] = env[k]
			env[k] = v
		}
		_, err := Load(context.Background(), getenv)
		var ve *VarError
		switch {
		case tt.name == "" && err != nil:
			t.Errorf("%v: %v", tt.set, err)
		case tt.name != "" && (!errors.As(err, &ve) || ve.Name != tt.name):
			t.Errorf("%v: %v, want a problem with %s", tt.set, err, tt.name)
		}
		for k, v := range saved {
			env[k] = v
		}
	}
}

// A liste blanche downloaded over https reports its progress.
func TestLoadListProgress(t *testing.T) {
	_, env := sandbox(t)
	pki, err := testpki.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	list := testdocs.ListeBlanche("ch-test.mssante.fr")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(list)) }))
	cert, err := pki.ServerCertificate("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, testpki.PEM(pki.Root), 0o600)
	env["MSSANTE_ANCHORS"], env["MSSANTE_ANCHORS_AS_GIVEN"] = ca, "1"
	env["MSSANTE_TRUST_LIST"] = srv.URL + "/liste.xml"
	var last, total int64
	calls := 0
	cfg, err := LoadWith(context.Background(), func(k string) string { return env[k] }, &Options{Progress: func(d, tot int64) { last, total = d, tot; calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Trust == nil || calls == 0 || last != int64(len(list)) || total != int64(len(list)) {
		t.Errorf("progress: %d calls, last %d of %d, want %d", calls, last, total, len(list))
	}
}
