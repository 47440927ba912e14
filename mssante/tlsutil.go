package mssante

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
)

func tlsClient(conn net.Conn, conf *tls.Config) *tls.Conn { return tls.Client(conn, conf) }

// isTLSError tells a handshake failure from other connection errors.
func isTLSError(err error) bool {
	var (
		cv *tls.CertificateVerificationError
		ae tls.AlertError
		rh tls.RecordHeaderError
		vc *verifyConnectionError
	)
	return errors.As(err, &cv) || errors.As(err, &ae) || errors.As(err, &rh) || errors.As(err, &vc) || strings.HasPrefix(err.Error(), "tls: ")
}

// verifyConnectionError marks a refusal by TLSPolicy.VerifyConnection
// (revocation, usage) as a TLS failure.
type verifyConnectionError struct{ err error }

func (e *verifyConnectionError) Error() string { return e.err.Error() }
func (e *verifyConnectionError) Unwrap() error { return e.err }
