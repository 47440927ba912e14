package mssante

import (
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/pkcs12"
)

// CertificateFromPKCS12 reads the .p12 (PKCS#12) file an applicative
// mailbox's IGC-Santé certificate is delivered in: the private key, the
// certificate and the chain. Use it with [Certificate]; for a PEM pair use
// tls.LoadX509KeyPair. The password is not kept.
//
// It reads the classic encryption (3DES and RC2 with SHA-1 MAC) that
// certificate authorities and OpenSSL before 3.0 produce; a file in the
// PBES2/AES form of OpenSSL 3 is refused with an error that says how to
// convert it (openssl pkcs12 -legacy, or a PEM pair).
func CertificateFromPKCS12(data []byte, password string) (tls.Certificate, error) {
	blocks, err := pkcs12.ToPEM(data, password)
	if err != nil {
		var ni pkcs12.NotImplementedError
		if errors.As(err, &ni) || strings.Contains(err.Error(), "unknown digest algorithm") {
			return tls.Certificate{}, fmt.Errorf("mssante: reading PKCS#12: %w (PBES2/AES files are not supported: convert with openssl pkcs12 -legacy, or use the PEM certificate and key)", err)
		}
		return tls.Certificate{}, fmt.Errorf("mssante: reading PKCS#12: %w", err)
	}
	var certPEM, keyPEM []byte
	for _, b := range blocks {
		// ToPEM copies the bag attributes into the headers; tls wants none.
		block := &pem.Block{Type: b.Type, Bytes: b.Bytes}
		switch b.Type {
		case "CERTIFICATE":
			certPEM = append(certPEM, pem.EncodeToMemory(block)...)
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if keyPEM == nil {
				keyPEM = pem.EncodeToMemory(block)
			}
		}
	}
	if certPEM == nil || keyPEM == nil {
		return tls.Certificate{}, errors.New("mssante: PKCS#12 without a certificate and its key")
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("mssante: PKCS#12: %w", err)
	}
	return cert, nil
}
