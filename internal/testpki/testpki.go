// Package testpki makes certificate hierarchies shaped like IGC-Santé for
// tests and for the in-process operator: a root, an intermediate for
// organisations, server certificates and client certificates for
// applicative mailboxes. Keys are made fresh for each PKI; nothing here is
// meant for production.
//
// With Options.RevocationURL, the PKI also publishes the revocation status
// of what it issued, as IGC-Santé does (Handler): the certificates below the
// root name a CRL distribution point (RFC 5280 §4.2.1.13) and an OCSP
// responder (RFC 5280 §4.2.2.1), the CRLs are signed by the issuing CA and
// the OCSP answers (RFC 6960) by the CA itself, so that a trust.Verifier
// with the default hard-fail policy accepts them; Revoke puts a certificate
// on its issuer's CRL and makes OCSP answer "revoked".
package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"
)

// PKI is a root and an intermediate CA that issue leaf certificates.
type PKI struct {
	Root         *x509.Certificate
	Intermediate *x509.Certificate

	rootKey, interKey crypto.Signer
	notBefore         time.Time
	notAfter          time.Time
	revocationURL     string // "" when no revocation status is published
	clock             Clock

	mu        sync.Mutex
	serial    int64
	issuedBy  map[string]*x509.Certificate // serial (decimal) -> the CA that signed it
	revoked   map[string]time.Time         // serial (decimal) -> revocation time
	crlNumber int64
}

// Options tune New. A nil *Options means defaults.
type Options struct {
	// Name is appended to the CA common names, e.g. "TEST". Empty means
	// "TEST".
	Name string
	// NotBefore and NotAfter bound every certificate. Zero means one hour
	// ago and one year from now.
	NotBefore, NotAfter time.Time
	// RevocationURL is the http:// base URL where Handler is served, e.g.
	// "http://127.0.0.1:8080". When set, the intermediate names the root's
	// CRL (RevocationURL + "/crl/root.crl") and every leaf the
	// intermediate's ("/crl/intermediate.crl"), and all of them the OCSP
	// responder RevocationURL + "/ocsp". Empty: certificates name neither,
	// and a verifier cannot learn their status.
	RevocationURL string
	// Clock gives the thisUpdate of the CRLs and OCSP answers and the time
	// of a revocation. Nil: the system clock. The same fake clock serves
	// every package of this module.
	Clock Clock
}

// Clock is the time of the PKI's revocation answers, nil meaning the system
// clock.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// New makes a root CA and an intermediate, named like the IGC-Santé ones:
// "AC RACINE IGC-SANTE <name>" and "AC IGC-SANTE ELEMENTAIRE ORGANISATIONS
// <name>", organisation ASIP-SANTE.
func New(opts *Options) (*PKI, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Name == "" {
		o.Name = "TEST"
	}
	now := time.Now()
	if o.NotBefore.IsZero() {
		o.NotBefore = now.Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = now.Add(365 * 24 * time.Hour)
	}
	p := &PKI{notBefore: o.NotBefore, notAfter: o.NotAfter, revocationURL: strings.TrimSuffix(o.RevocationURL, "/"), clock: o.Clock,
		issuedBy: map[string]*x509.Certificate{}, revoked: map[string]time.Time{}}
	var err error
	if p.rootKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	if p.interKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	rootTmpl := p.caTemplate("AC RACINE IGC-SANTE " + o.Name)
	if p.Root, err = p.sign(rootTmpl, rootTmpl, p.rootKey.Public(), p.rootKey); err != nil {
		return nil, err
	}
	interTmpl := p.caTemplate("AC IGC-SANTE ELEMENTAIRE ORGANISATIONS " + o.Name)
	interTmpl.MaxPathLenZero = true
	p.addRevocationURLs(interTmpl, "root")
	if p.Intermediate, err = p.sign(interTmpl, p.Root, p.interKey.Public(), p.rootKey); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *PKI) nextSerial() *big.Int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.serial++
	return big.NewInt(p.serial)
}

func (p *PKI) caTemplate(cn string) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber:          p.nextSerial(),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"ASIP-SANTE"}, Country: []string{"FR"}},
		NotBefore:             p.notBefore,
		NotAfter:              p.notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
}

func (p *PKI) sign(tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		return nil, fmt.Errorf("testpki: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	if parent != tmpl { // not the self-signed root
		p.mu.Lock()
		p.issuedBy[cert.SerialNumber.String()] = parent
		p.mu.Unlock()
	}
	return cert, nil
}

// addRevocationURLs makes a certificate issued by the CA named ca ("root"
// or "intermediate") point at its CRL and at the OCSP responder.
func (p *PKI) addRevocationURLs(tmpl *x509.Certificate, ca string) {
	if p.revocationURL == "" {
		return
	}
	tmpl.CRLDistributionPoints = []string{p.revocationURL + "/crl/" + ca + ".crl"}
	tmpl.OCSPServer = []string{p.revocationURL + "/ocsp"}
}

// Pool returns a pool holding the root only, as a client's RootCAs.
func (p *PKI) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.Root)
	return pool
}

// ServerCertificate issues an RSA server certificate (serverAuth) for the
// given host names and IP addresses, with the intermediate in its chain. RSA,
// because the TLS 1.2 suites of Ref#2 are all ECDHE_RSA.
func (p *PKI) ServerCertificate(hosts ...string) (tls.Certificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: p.nextSerial(),
		Subject:      pkix.Name{CommonName: hosts[0], Organization: []string{"OPERATEUR TEST"}, Country: []string{"FR"}},
		NotBefore:    p.notBefore,
		NotAfter:     p.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return p.leaf(tmpl, key)
}

// ClientCertificate issues an organisation client certificate (clientAuth)
// as for an applicative mailbox: CN = the mailbox address, OU = the
// structure identifier, the address also as an e-mail SAN.
func (p *PKI) ClientCertificate(address, structureID string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:   p.nextSerial(),
		Subject:        pkix.Name{CommonName: address, OrganizationalUnit: []string{structureID}, Organization: []string{"STRUCTURE TEST"}, Country: []string{"FR"}},
		NotBefore:      p.notBefore,
		NotAfter:       p.notAfter,
		KeyUsage:       x509.KeyUsageDigitalSignature,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		EmailAddresses: []string{address},
	}
	return p.leaf(tmpl, key)
}

func (p *PKI) leaf(tmpl *x509.Certificate, key crypto.Signer) (tls.Certificate, error) {
	p.addRevocationURLs(tmpl, "intermediate")
	cert, err := p.sign(tmpl, p.Intermediate, key.Public(), p.interKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{
		Certificate: [][]byte{cert.Raw, p.Intermediate.Raw},
		PrivateKey:  key,
		Leaf:        cert,
	}, nil
}

// PEM encodes certificates, e.g. to write a CA bundle file.
func PEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}
