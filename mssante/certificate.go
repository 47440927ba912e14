package mssante

import (
	"crypto"
	"crypto/tls"
	"errors"
	"fmt"

	"software.sslmate.com/src/go-pkcs12"
)

// CertificateFromPKCS12 reads the .p12 (PKCS#12) file an applicative
// mailbox's IGC-Santé certificate is delivered in: the private key, the
// certificate and the chain. Use it with [Certificate]; for a PEM pair use
// tls.LoadX509KeyPair. The password is not kept.
//
// It reads both the classic encryption (3DES and RC2 with a SHA-1 MAC) that
// certificate authorities and OpenSSL before 3.0 write, and the PBES2/AES
// form with a SHA-256 MAC of OpenSSL 3 and current operating-system key
// stores (software.sslmate.com/src/go-pkcs12). A wrong password is an
// error wrapping pkcs12.ErrIncorrectPassword.
func CertificateFromPKCS12(data []byte, password string) (tls.Certificate, error) {
	key, leaf, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) {
			return tls.Certificate{}, fmt.Errorf("mssante: reading PKCS#12: wrong password: %w", err)
		}
		return tls.Certificate{}, fmt.Errorf("mssante: reading PKCS#12: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return tls.Certificate{}, fmt.Errorf("mssante: PKCS#12: a private key of type %T cannot sign", key)
	}
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(leaf.PublicKey) {
		return tls.Certificate{}, errors.New("mssante: PKCS#12: the private key is not the certificate's")
	}
	cert := tls.Certificate{PrivateKey: key, Leaf: leaf, Certificate: [][]byte{leaf.Raw}}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	return cert, nil
}
