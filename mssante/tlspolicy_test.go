package mssante

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/trust"
)

// tlsOnlyServer accepts TLS connections with conf, records the version and
// suite each handshake agreed on, and closes them: enough to tell a
// handshake the client accepted from one it refused.
type tlsOnlyServer struct {
	addr string
	mu   sync.Mutex
	got  []tls.ConnectionState
}

func startTLSOnly(t *testing.T, conf *tls.Config) *tlsOnlyServer {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", conf)
	if err != nil {
		t.Fatal(err)
	}
	s := &tlsOnlyServer{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			tc := c.(*tls.Conn)
			tc.SetDeadline(time.Now().Add(5 * time.Second))
			if tc.Handshake() == nil {
				s.mu.Lock()
				s.got = append(s.got, tc.ConnectionState())
				s.mu.Unlock()
			}
			tc.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *tlsOnlyServer) states() []tls.ConnectionState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]tls.ConnectionState(nil), s.got...)
}

// The TLS policy (Ref#2 ECO.1.1.2, ECO.1.1.3) against servers that offer
// one version or one suite at a time, for SMTP and IMAP (implicit TLS, so
// that the handshake is the first thing on the wire) and for
// trust.ClientTLSConfig. TLS 1.3 is offered: Ref#2 v1.0.1 asks for TLS 1.2
// "minimum" (SC.MSS/CONF.01); only v0.1 said 1.2 alone. TLS 1.2 uses the
// two ECDHE-RSA AES-GCM suites of ECO.1.1.3 (the list's two CBC suites are
// left out: Go implements 0xC028 not at all and 0xC027 without Lucky13
// countermeasures; TLSPolicy.CipherSuites can add the latter).
func TestTLSPolicy(t *testing.T) {
	p := testPKI(t)
	cert := serverCert(t, p, "localhost")
	for _, tt := range []struct {
		name   string
		min    uint16
		max    uint16
		suite  uint16 // the only TLS 1.2 suite the server accepts; 0: Go's defaults
		accept bool
	}{
		{"TLS 1.3 only", tls.VersionTLS13, tls.VersionTLS13, 0, true},
		{"TLS 1.2, ECDHE-RSA-AES256-GCM-SHA384 (0xC030)", tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, true},
		{"TLS 1.2, ECDHE-RSA-AES128-GCM-SHA256 (0xC02F)", tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, true},
		{"TLS 1.2, ECDHE-RSA-AES128-CBC-SHA256 (0xC027)", tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, false},
		{"TLS 1.2, ECDHE-RSA-CHACHA20-POLY1305 (not in ECO.1.1.3)", tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305, false},
		{"TLS 1.2, RSA key exchange AES128-GCM (not in ECO.1.1.3)", tls.VersionTLS12, tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, false},
		{"TLS 1.2, ECDHE-RSA-AES128-CBC-SHA (not in ECO.1.1.3)", tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, false},
		{"TLS 1.1 at most", tls.VersionTLS10, tls.VersionTLS11, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tt.min, MaxVersion: tt.max}
			if tt.suite != 0 {
				conf.CipherSuites = []uint16{tt.suite}
			}
			check := func(what string, s *tlsOnlyServer, err error, before int) {
				t.Helper()
				states := s.states()[before:]
				if tt.accept {
					if errors.Is(err, ErrTLS) || len(states) != 1 {
						t.Fatalf("%s: %v, %d handshakes; want the handshake accepted", what, err, len(states))
					}
					if got := states[0]; got.Version != tt.max || (tt.suite != 0 && got.CipherSuite != tt.suite) {
						t.Errorf("%s: %s %s", what, tls.VersionName(got.Version), tls.CipherSuiteName(got.CipherSuite))
					}
					return
				}
				if !errors.Is(err, ErrTLS) || len(states) != 0 {
					t.Fatalf("%s: %v, %d handshakes; want the handshake refused (ErrTLS)", what, err, len(states))
				}
			}

			s := startTLSOnly(t, conf)
			base := Config{
				Address:    mail.MustParseAddress("dr@medecin.mssante.fr"),
				Auth:       Password("dr", "x"),
				RootCAs:    p.Pool(),
				ProductRef: "DEV935997",
				Trust:      RecipientCheckerFunc(func(string) error { return nil }),
				Operator:   Operator{SMTP: "localhost:" + port(t, s.addr), IMAP: "localhost:" + port(t, s.addr), SMTPImplicitTLS: true, IMAPImplicitTLS: true},
			}
			c, err := NewClient(base)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			_, err = c.OpenSubmission(ctx)
			check("SMTP", s, err, 0)
			if tt.min == tls.VersionTLS13 {
				// TLSPolicy.MaxVersion caps the version for an operator
				// that cannot negotiate TLS 1.3.
				capped := base
				capped.TLS.MaxVersion = tls.VersionTLS12
				c12, err := NewClient(capped)
				if err != nil {
					t.Fatal(err)
				}
				defer c12.Close()
				before := len(s.states())
				if _, err := c12.OpenSubmission(ctx); !errors.Is(err, ErrTLS) || len(s.states()) != before {
					t.Errorf("MaxVersion TLS 1.2 against a TLS 1.3 server: %v", err)
				}
			}
			before := len(s.states())
			_, err = c.Folders(ctx)
			check("IMAP", s, err, before)

			before = len(s.states())
			anchors, err := trust.NewAnchors([]*x509.Certificate{p.Root}, []*x509.Certificate{p.Intermediate})
			if err != nil {
				t.Fatal(err)
			}
			v := &trust.Verifier{Anchors: anchors, Revocation: trust.RevocationOff} // the test PKI names no CRL
			client, err := v.ClientTLSConfig("localhost")
			if err != nil {
				t.Fatal(err)
			}
			dialer := &tls.Dialer{Config: client}
			conn, err := dialer.DialContext(ctx, "tcp", s.addr)
			if err == nil {
				// The handshake happened in Dial; the server records it,
				// then closes: reading to the end waits for that.
				io.Copy(io.Discard, conn)
				conn.Close()
			}
			if tt.accept != (err == nil) {
				t.Errorf("trust.ClientTLSConfig: %v, want accepted=%v", err, tt.accept)
			}
			if tt.accept && len(s.states()) != before+1 {
				t.Errorf("trust.ClientTLSConfig: %d handshakes", len(s.states())-before)
			}
		})
	}
}

func port(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
