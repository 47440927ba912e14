package mssante

import (
	"crypto/rand"
	"crypto/tls"
	"errors"
	"net"
	"strings"
)

var randReader = rand.Reader

func tlsClient(conn net.Conn, conf *tls.Config) *tls.Conn { return tls.Client(conn, conf) }

// isTLSError tells a handshake failure from other connection errors.
func isTLSError(err error) bool {
	var (
		cv *tls.CertificateVerificationError
		ae tls.AlertError
		rh tls.RecordHeaderError
	)
	return errors.As(err, &cv) || errors.As(err, &ae) || errors.As(err, &rh) || strings.HasPrefix(err.Error(), "tls: ")
}
