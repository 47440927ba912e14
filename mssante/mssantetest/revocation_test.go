package mssantetest_test

import (
	"bytes"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/trust"
)

// hardFailConfig is drA's configuration with a Verifier at the default
// revocation policy (hard-fail) over the server's root, and the liste
// blanche the server writes as the trust guard.
func hardFailConfig(t *testing.T, s *mssantetest.Server) mssante.Config {
	t.Helper()
	anchors, err := trust.NewAnchors([]*x509.Certificate{s.RootCertificate()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var xml bytes.Buffer
	if err := s.WriteTrustList(&xml); err != nil {
		t.Fatal(err)
	}
	list, err := trust.ParseList(&xml, nil)
	if err != nil {
		t.Fatalf("WriteTrustList: %v\n%s", err, xml.String())
	}
	cfg := s.MustConfig(drA)
	cfg.RootCAs = nil
	cfg.Verifier = &trust.Verifier{Anchors: anchors}
	cfg.Trust = list
	return cfg
}

// With ServeRevocation, the default (hard-fail) policy accepts the server,
// by OCSP and CRL on loopback; once a certificate of its chain is revoked,
// it refuses it before anything is sent.
func TestServeRevocation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		revoke  func(*mssantetest.Server) error
		subject string // in the DN of the certificate refused
	}{
		{"server certificate", (*mssantetest.Server).RevokeServerCertificate, "CN=localhost,"},
		{"intermediate", func(s *mssantetest.Server) error { return s.RevokeCertificate(s.IntermediateCertificate()) },
			"CN=AC IGC-SANTE ELEMENTAIRE ORGANISATIONS TEST,"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, &mssantetest.Options{ServeRevocation: true})
			c := newClient(t, hardFailConfig(t, s))
			if _, err := c.Send(ctx(t), textMessage(drB)); err != nil {
				t.Fatalf("hard-fail policy against a server publishing its revocation status: %v", err)
			}
			if _, err := c.Folders(ctx(t)); err != nil {
				t.Fatalf("IMAP: %v", err)
			}
			st := s.Stats()
			// OCSP for the leaf and the intermediate, and the CRLs too
			// (a good OCSP answer is checked against the CRL).
			if st.OCSPRequests < 2 || st.CRLRequests < 2 {
				t.Errorf("revocation requests served: %d OCSP, %d CRL", st.OCSPRequests, st.CRLRequests)
			}

			if err := tc.revoke(s); err != nil {
				t.Fatal(err)
			}
			// A new client, whose Verifier has no cached answer.
			_, err := newClient(t, hardFailConfig(t, s)).Send(ctx(t), textMessage(drB))
			var ce *trust.CertificateError
			if !errors.Is(err, mssante.ErrTLS) || !errors.Is(err, trust.ErrRevoked) || !errors.As(err, &ce) {
				t.Fatalf("revoked: %v", err)
			}
			if !strings.Contains(ce.Subject, tc.subject) {
				t.Errorf("refused %q, want %q", ce.Subject, tc.subject)
			}
			if got := s.Stats().Messages; got != st.Messages {
				t.Errorf("%d messages accepted after the revocation", got-st.Messages)
			}
		})
	}
}

func TestRevocationOffByDefault(t *testing.T) {
	s := newServer(t, nil)
	if s.RevocationURL != "" {
		t.Errorf("RevocationURL %q without ServeRevocation", s.RevocationURL)
	}
	if err := s.RevokeServerCertificate(); !errors.Is(err, mssantetest.ErrNoRevocation) {
		t.Errorf("RevokeServerCertificate: %v", err)
	}
	if n := len(s.IntermediateCertificate().OCSPServer) + len(s.IntermediateCertificate().CRLDistributionPoints); n != 0 {
		t.Errorf("the intermediate names %d revocation URLs", n)
	}

	r := newServer(t, &mssantetest.Options{ServeRevocation: true})
	other, err := testpki.New(&testpki.Options{Name: "AUTRE"})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*x509.Certificate{"root": r.RootCertificate(), "another PKI's": other.Intermediate, "nil": nil} {
		if err := r.RevokeCertificate(c); !errors.Is(err, mssantetest.ErrNotIssued) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Close stops the revocation server too.
	url := r.RevocationURL + "/crl/root.crl"
	resp, err := http.Get(url)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	r.Close()
	if resp, err := http.Get(url); err == nil {
		resp.Body.Close()
		t.Error("the revocation server still answers after Close")
	}
}

// The liste blanche of WriteTrustList holds the server's domains and the
// trusted ones.
func TestWriteTrustList(t *testing.T) {
	s := newServer(t, &mssantetest.Options{TrustedDomains: []string{"Autre.mssante.fr"}, DelayedDomains: []string{"lent.mssante.fr", "autre.mssante.fr"}})
	var xml bytes.Buffer
	if err := s.WriteTrustList(&xml); err != nil {
		t.Fatal(err)
	}
	list, err := trust.ParseList(&xml, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := append(mssantetest.DefaultDomains(), "autre.mssante.fr", "lent.mssante.fr")
	if list.DomainCount() != len(want) || list.Len() != len(want) || list.SkippedCount() != 0 {
		t.Errorf("%d domains, %d entries, %d skipped: %v", list.DomainCount(), list.Len(), list.SkippedCount(), list.Domains())
	}
	for _, d := range want {
		dom, ok := list.Lookup(d)
		if !ok || len(dom.OperatorDNs()) != 1 || !strings.Contains(dom.OperatorDNs()[0], "CN=localhost,") {
			t.Errorf("%s: %v %+v", d, ok, dom)
		}
	}
	if list.Contains("pirate.example") {
		t.Error("a domain outside the trust space")
	}
}
