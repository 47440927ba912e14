package interop_test

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/mailserver"
	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/mssante"
)

const app = "integration@ch-test.mssante.fr"

// An applicative mailbox (BAL APP) logs in to the IMAP server with its
// client certificate and SASL EXTERNAL, and reads what the MTA delivered to
// it.
func TestCertificateExternal(t *testing.T) {
	run(t, pairs(), nil, testCertificateExternal)
}

// externalLogin is what each IMAP server logs for an EXTERNAL login.
var externalLogin = map[mailserver.Pair]string{
	mailserver.DovecotPostfix: "method=EXTERNAL",
	mailserver.CyrusExim:      app + " EXTERNAL+TLS User logged in",
}

func testCertificateExternal(t *testing.T, v variant, s *mailserver.Server) {
	a := user(t, s, drA)
	cert := s.AddCertificateUser(t, app)
	c := newClient(t, config(s, app, mssante.Certificate(cert)))
	if _, err := c.Folders(ctx(t)); err != nil {
		t.Fatalf("EXTERNAL login: %v", err)
	}
	m := textMessage(app)
	send(t, a, m)
	got := receive(t, c, "INBOX", &mssante.Cursor{}, 1)
	if got[0].Message.MessageID != m.MessageID {
		t.Fatalf("BAL APP got %s, want %s", got[0].Message.MessageID, m.MessageID)
	}
	if !strings.Contains(s.Logs(), externalLogin[v.pair]) {
		t.Errorf("%s logged no EXTERNAL login (%q):\n%s", v.pair, externalLogin[v.pair], s.Logs())
	}

	// The same name in a certificate of another CA: the server's CA file
	// does not verify it (the client does not even send it: the server
	// asks for certificates of its CAs), so EXTERNAL has no user and fails.
	other, err := testpki.New(&testpki.Options{Name: "AUTRE"})
	if err != nil {
		t.Fatal(err)
	}
	forged, err := other.ClientCertificate(app, "1750803447")
	if err != nil {
		t.Fatal(err)
	}
	_, err = newClient(t, config(s, app, mssante.Certificate(forged))).Folders(ctx(t))
	var ae *mssante.AuthError
	if !errors.As(err, &ae) || !errors.Is(err, mssante.ErrAuth) || ae.Mechanism != "EXTERNAL" {
		t.Fatalf("certificate of another CA: %v", err)
	}
	// A mailbox not registered for EXTERNAL, with a valid certificate.
	const inconnu = "inconnu@ch-test.mssante.fr"
	stranger, err := s.PKI.ClientCertificate(inconnu, "1750803447")
	if err != nil {
		t.Fatal(err)
	}
	sc := newClient(t, config(s, inconnu, mssante.Certificate(stranger)))
	_, err = sc.Folders(ctx(t))
	switch v.pair {
	case mailserver.DovecotPostfix:
		// Dovecot's EXTERNAL passdb lists the mailboxes that may use it.
		if !errors.Is(err, mssante.ErrAuth) {
			t.Fatalf("unregistered certificate: %v", err)
		}
	case mailserver.CyrusExim:
		// Cyrus lets in whoever its CAs issued a certificate to: the
		// login works, but there is no mailbox, which the first Sync
		// says with a *FolderError for INBOX.
		if err != nil {
			t.Fatalf("unregistered certificate on Cyrus: %v", err)
		}
		var fe *mssante.FolderError
		for _, err := range sc.Sync(ctx(t), "INBOX", &mssante.Cursor{}) {
			if !errors.As(err, &fe) || !errors.Is(err, mssante.ErrFolderNotFound) || fe.Folder != "INBOX" {
				t.Fatalf("Sync without a mailbox: %v", err)
			}
		}
		if fe == nil {
			t.Fatal("Sync without a mailbox returned nothing")
		}
	}
}

// The client refuses the IMAP server's and the MTA's certificate when it is
// not issued by its anchors, before any credentials are sent.
func TestTLSRejectsUntrustedServer(t *testing.T) {
	run(t, pairs(), nil, testTLSRejectsUntrustedServer)
}

func testTLSRejectsUntrustedServer(t *testing.T, v variant, s *mailserver.Server) {
	pw := s.AddUser(t, drA)
	other, err := testpki.New(&testpki.Options{Name: "AUTRE"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config(s, drA, mssante.Password(drA, pw))
	cfg.RootCAs = other.Pool()
	c := newClient(t, cfg)

	_, err = c.Send(ctx(t), textMessage(drB))
	var te *mssante.TLSError
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &te) || !errors.Is(err, mssante.ErrTLS) || !errors.As(err, &ua) || !strings.Contains(te.Issuer, "IGC-SANTE") {
		t.Fatalf("%s submission: %#v", v.pair, err)
	}
	if te.Server != s.SubmissionAddr {
		t.Errorf("TLSError.Server %q, want %q", te.Server, s.SubmissionAddr)
	}
	_, err = c.Folders(ctx(t))
	if !errors.As(err, &te) || !errors.As(err, &ua) || te.Server != s.IMAPAddr {
		t.Fatalf("%s IMAP: %#v", v.pair, err)
	}
	logs := s.Logs()
	if strings.Contains(logs, "sasl_username=") || strings.Contains(logs, "Login: user=") || // Postfix, Dovecot
		strings.Contains(logs, " A=plain:") || strings.Contains(logs, drA+" PLAIN+TLS") || strings.Contains(logs, "badlogin") { // Exim, Cyrus
		t.Fatalf("credentials were used on an untrusted server:\n%s", logs)
	}
}
