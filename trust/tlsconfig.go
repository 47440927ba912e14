package trust

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"slices"
	"time"
)

// eco113Suites are the TLS 1.2 cipher suites of ECO.1.1.3 that Go
// implements. ECO.1.1.3 also lists TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
// which Go does not implement, and TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
// which Go classes as insecure: both are left out. TLS 1.3 suites are not
// configurable in Go.
var eco113Suites = []uint16{
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
}

// TLS12CipherSuites returns the TLS 1.2 cipher suites of ECO.1.1.3 that Go
// implements safely, a new slice at each call: what ClientTLSConfig and
// ServerTLSConfig set, and what package mssante's client offers.
func TLS12CipherSuites() []uint16 { return slices.Clone(eco113Suites) }

func (v *Verifier) timeout() time.Duration {
	if v.Timeout > 0 {
		return v.Timeout
	}
	return 15 * time.Second
}

// VerifyConnection returns a function for tls.Config.VerifyConnection that
// runs Verify on the peer's certificate, with the rest of the peer's chain as
// intermediates:
//
//   - UsageServer, on the client side of a connection to an operator: the
//     certificate must name tls.ConnectionState.ServerName (set
//     tls.Config.ServerName).
//   - UsageClient, on a server that requires BAL APP client certificates.
//
// It does the whole check itself (chain, dates, usage, host name,
// revocation), so it is also correct with InsecureSkipVerify, e.g. to accept
// a peer whose intermediate is only in the anchors. Revocation checks are
// bounded by Verifier.Timeout, since TLS callbacks get no context.
//
// The warnings of a verification that succeeds (RevocationSoftFail: a
// status that could not be established) are dropped: use
// VerifyConnectionWithWarnings to receive them.
func (v *Verifier) VerifyConnection(usage Usage) func(tls.ConnectionState) error {
	return v.VerifyConnectionWithWarnings(usage, nil)
}

// VerifyConnectionWithWarnings is VerifyConnection that gives the warnings
// of a successful verification (Result.Warnings: with RevocationSoftFail,
// each a *CertificateError wrapping ErrRevocationUnknown) to onWarnings,
// with the connection state, before the handshake goes on. onWarnings runs
// inside the TLS handshake: it must not block. Nil drops them.
func (v *Verifier) VerifyConnectionWithWarnings(usage Usage, onWarnings func(cs tls.ConnectionState, warnings []error)) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return &CertificateError{Subject: "(none)", Err: ErrUntrusted, Detail: "the peer sent no certificate"}
		}
		opts := &VerifyOptions{Usage: usage, Intermediates: cs.PeerCertificates[1:]}
		if usage == UsageServer || usage == 0 {
			if cs.ServerName == "" {
				return &CertificateError{Subject: SubjectDN(cs.PeerCertificates[0]), Err: ErrHostname, Detail: "no server name to check (set tls.Config.ServerName)"}
			}
			opts.DNSName = cs.ServerName
		}
		ctx, cancel := context.WithTimeout(context.Background(), v.timeout())
		defer cancel()
		res, err := v.Verify(ctx, cs.PeerCertificates[0], opts)
		if err == nil && len(res.Warnings) > 0 && onWarnings != nil {
			onWarnings(cs, res.Warnings)
		}
		return err
	}
}

// VerifyPeerCertificate returns a function for
// tls.Config.VerifyPeerCertificate that runs Verify on the raw chain the peer
// sent. It has no access to the server name: prefer VerifyConnection for
// server certificates, or check the name separately.
func (v *Verifier) VerifyPeerCertificate(usage Usage) func(rawCerts [][]byte, verifiedChains [][]*x509.Certificate) error {
	return func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
		if len(rawCerts) == 0 {
			return &CertificateError{Subject: "(none)", Err: ErrUntrusted, Detail: "the peer sent no certificate"}
		}
		certs := make([]*x509.Certificate, 0, len(rawCerts))
		for _, raw := range rawCerts {
			c, err := x509.ParseCertificate(raw)
			if err != nil {
				return &CertificateError{Subject: "(unparsable)", Err: ErrUntrusted, Detail: err.Error()}
			}
			certs = append(certs, c)
		}
		ctx, cancel := context.WithTimeout(context.Background(), v.timeout())
		defer cancel()
		_, err := v.Verify(ctx, certs[0], &VerifyOptions{Usage: usage, Intermediates: certs[1:]})
		return err
	}
}

// ClientTLSConfig returns a TLS configuration for connecting to an MSSanté
// operator at serverName: IGC-Santé roots only (ECO.1.1.10), TLS 1.2 or later
// (ECO.1.1.2), the ECO.1.1.3 cipher suites for TLS 1.2, and VerifyConnection
// for usage and revocation (ECO.1.1.5, ECO.1.1.6). Add the BAL APP client
// certificate to Certificates when the mailbox authenticates by certificate.
func (v *Verifier) ClientTLSConfig(serverName string) (*tls.Config, error) {
	if v.Anchors == nil {
		return nil, ErrNoAnchors
	}
	return &tls.Config{
		ServerName:       serverName,
		RootCAs:          v.Anchors.RootPool(),
		MinVersion:       tls.VersionTLS12,
		CipherSuites:     TLS12CipherSuites(),
		VerifyConnection: v.VerifyConnection(UsageServer),
	}, nil
}

// ServerTLSConfig returns a TLS configuration for a server (a test operator,
// a gateway) that requires IGC-Santé client certificates valid for
// clientAuth, as BAL APP mailboxes present.
func (v *Verifier) ServerTLSConfig(certs []tls.Certificate) (*tls.Config, error) {
	if v.Anchors == nil {
		return nil, ErrNoAnchors
	}
	if len(certs) == 0 {
		return nil, errors.New("trust: ServerTLSConfig needs the server's certificate")
	}
	return &tls.Config{
		Certificates:     certs,
		ClientAuth:       tls.RequireAndVerifyClientCert,
		ClientCAs:        v.Anchors.RootPool(),
		MinVersion:       tls.VersionTLS12,
		CipherSuites:     TLS12CipherSuites(),
		VerifyConnection: v.VerifyConnection(UsageClient),
	}, nil
}
