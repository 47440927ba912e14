package mssantetest

import (
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/mssante-go/sdk/internal/testpki"
)

// ErrNoRevocation is returned by the Revoke methods of a Server started
// without Options.ServeRevocation: its certificates name no CRL nor OCSP
// responder, so no verifier could learn of a revocation.
var ErrNoRevocation = errors.New("mssantetest: the server publishes no revocation status (Options.ServeRevocation)")

// ErrNotIssued is returned by RevokeCertificate for a certificate the
// server's PKI did not issue, or for its root.
var ErrNotIssued = errors.New("mssantetest: certificate not issued by the server's PKI below its root")

// revocation is the HTTP server of Options.ServeRevocation.
type revocation struct {
	revLn  net.Listener
	revSrv *http.Server
	revErr chan error // Serve's return, once
}

// newPKI makes the server's PKI and, with ServeRevocation, starts the HTTP
// server its certificates point at: it listens first, so that the
// certificates can name its port.
func (s *Server) newPKI() error {
	var opts testpki.Options
	opts.Clock = s.opts.Clock
	if s.opts.ServeRevocation {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		s.revLn = ln
		s.RevocationURL = "http://" + ln.Addr().String()
		opts.RevocationURL = s.RevocationURL
	}
	pki, err := testpki.New(&opts)
	if err != nil {
		s.stopRevocation()
		return err
	}
	s.pki = pki
	if s.revLn == nil {
		return nil
	}
	h := pki.Handler()
	s.revSrv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.URL.Path == "/ocsp":
				s.stats.ocspRequests.Add(1)
			case strings.HasPrefix(r.URL.Path, "/crl/"):
				s.stats.crlRequests.Add(1)
			}
			h.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		ErrorLog:          s.errorLog(),
	}
	s.revErr = make(chan error, 1)
	go func() { s.revErr <- s.revSrv.Serve(s.revLn) }()
	return nil
}

// stopRevocation stops the HTTP server of ServeRevocation, if any.
func (s *Server) stopRevocation() error {
	switch {
	case s.revSrv != nil:
		err := s.revSrv.Close()
		<-s.revErr
		s.revSrv, s.revLn = nil, nil
		return err
	case s.revLn != nil:
		err := s.revLn.Close()
		s.revLn = nil
		return err
	}
	return nil
}

// RevokeServerCertificate revokes the certificate of the SMTP and IMAP
// servers: from now on its issuer's CRL lists it and the OCSP responder
// answers "revoked", so that a client whose trust.Verifier checks
// revocation refuses the server (trust.ErrRevoked). A Verifier keeps the
// answers it already had (an OCSP answer up to an hour, a CRL up to its
// CRLCache.RefreshInterval): test the revocation with a new one. It needs
// Options.ServeRevocation (ErrNoRevocation).
func (s *Server) RevokeServerCertificate() error {
	return s.RevokeCertificate(s.cert)
}

// RevokeCertificate revokes a certificate the server's PKI issued: the
// intermediate (IntermediateCertificate, which takes down every certificate
// under it), the servers' certificate, or one of ClientCertificate (the
// server itself does not check the revocation of client certificates). See
// RevokeServerCertificate.
func (s *Server) RevokeCertificate(cert *x509.Certificate) error {
	if !s.opts.ServeRevocation {
		return ErrNoRevocation
	}
	if cert == nil {
		return ErrNotIssued
	}
	if err := s.pki.Revoke(cert); err != nil {
		if errors.Is(err, testpki.ErrNotIssued) {
			return ErrNotIssued
		}
		return err
	}
	return nil
}
