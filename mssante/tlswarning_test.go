package mssante_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"sync"
	"testing"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/trust"
)

// Revocation problems that a soft-fail Verifier accepts reach the audit and
// Config.OnTLSWarning, and a TLS.VerifyConnection set beside a Verifier
// adds its check instead of replacing the Verifier's (issue 19 item 11).
func TestTLSWarningsAndComposedChecks(t *testing.T) {
	s, err := mssantetest.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const a, b = "alice.martin@medecin.mssante.fr", "bruno.durand@ch-test.mssante.fr"
	s.MustAddMailbox(a, mssantetest.MailboxPER, nil)
	s.MustAddMailbox(b, mssantetest.MailboxPER, nil)
	anchors, err := trust.NewAnchors([]*x509.Certificate{s.RootCertificate()}, []*x509.Certificate{s.IntermediateCertificate()})
	if err != nil {
		t.Fatal(err)
	}
	msg := func() *mail.Message {
		return &mail.Message{To: []mail.Address{mail.MustParseAddress(b)}, Subject: "s", Text: "t"}
	}
	config := func(policy trust.RevocationPolicy, extra func(tls.ConnectionState) error) (mssante.Config, *[]mssante.AuditEvent, *[]mssante.TLSWarning) {
		var mu sync.Mutex
		var events []mssante.AuditEvent
		var warnings []mssante.TLSWarning
		cfg := s.MustConfig(a)
		cfg.RootCAs = nil
		// The sandbox certificates name no CRL nor OCSP responder: their
		// status cannot be established.
		cfg.Verifier = &trust.Verifier{Anchors: anchors, Revocation: policy}
		cfg.TLS.VerifyConnection = extra
		cfg.Audit = mssante.AuditorFunc(func(_ context.Context, e mssante.AuditEvent) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
		})
		cfg.OnTLSWarning = func(w mssante.TLSWarning) {
			mu.Lock()
			warnings = append(warnings, w)
			mu.Unlock()
		}
		return cfg, &events, &warnings
	}

	t.Run("soft-fail warnings are surfaced", func(t *testing.T) {
		cfg, events, warnings := config(trust.RevocationSoftFail, nil)
		c := newTestClient(t, cfg)
		if _, err := c.Send(context.Background(), msg()); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Folders(context.Background()); err != nil {
			t.Fatal(err)
		}
		var audited int
		for _, e := range *events {
			if e.Action == "tls.warning" {
				audited++
				if !errors.Is(e.Err, trust.ErrRevocationUnknown) || e.Server == "" || e.Object != "127.0.0.1" {
					t.Errorf("audit event %+v", e)
				}
			}
		}
		// SMTP and IMAP, each with the leaf (the intermediate's status comes
		// from no CRL either).
		if audited < 2 || len(*warnings) != audited {
			t.Fatalf("%d tls.warning events, %d hook calls", audited, len(*warnings))
		}
		for _, w := range *warnings {
			if !errors.Is(w.Err, trust.ErrRevocationUnknown) || (w.Server != s.SMTPAddr && w.Server != s.IMAPAddr) {
				t.Errorf("warning %+v", w)
			}
		}
	})

	t.Run("VerifyConnection does not replace the hard-fail check", func(t *testing.T) {
		called := false
		cfg, _, _ := config(trust.RevocationHardFail, func(tls.ConnectionState) error { called = true; return nil })
		_, err := newTestClient(t, cfg).Send(context.Background(), msg())
		if !errors.Is(err, mssante.ErrTLS) || !errors.Is(err, trust.ErrRevocationUnknown) {
			t.Fatalf("hard-fail with a caller's VerifyConnection: %v", err)
		}
		if called {
			t.Error("the caller's check ran although the Verifier refused")
		}
	})

	t.Run("VerifyConnection adds its check", func(t *testing.T) {
		pin := errors.New("certificate not pinned")
		cfg, _, _ := config(trust.RevocationOff, func(cs tls.ConnectionState) error {
			if cs.ServerName != "127.0.0.1" || len(cs.PeerCertificates) == 0 {
				t.Errorf("state %q, %d certificates", cs.ServerName, len(cs.PeerCertificates))
			}
			return pin
		})
		if _, err := newTestClient(t, cfg).Send(context.Background(), msg()); !errors.Is(err, mssante.ErrTLS) || !errors.Is(err, pin) {
			t.Fatalf("refusing VerifyConnection: %v", err)
		}
	})
}
