package trust

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// testPKI is a two-level hierarchy shaped like IGC-Santé (root, then an
// "ORGANISATIONS" intermediate), generated for each test.
type testPKI struct {
	root, inter       *x509.Certificate
	rootKey, interKey *ecdsa.PrivateKey
	anchors           *Anchors
}

var testEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustCert(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	serverEKU = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	clientEKU = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	emailEKU  = []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}
)

var serialCounter atomic.Int64

func nextSerial() *big.Int { return big.NewInt(1000 + serialCounter.Add(1)) }

// newTestPKI builds the hierarchy. interCRL is the CRL distribution point
// written in the intermediate (the root's CRL), "" for none.
func newTestPKI(t testing.TB, interCRL string) *testPKI {
	t.Helper()
	p := &testPKI{rootKey: newKey(t), interKey: newKey(t)}
	rootTmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{Country: []string{"FR"}, Organization: []string{"ASIP-SANTE"}, OrganizationalUnit: []string{"IGC-SANTE TEST"}, CommonName: "TEST AC RACINE"},
		NotBefore:             testEpoch.AddDate(-5, 0, 0),
		NotAfter:              testEpoch.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	p.root = mustCert(t, rootTmpl, rootTmpl, p.rootKey.Public(), p.rootKey)
	interTmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{Country: []string{"FR"}, Organization: []string{"ASIP-SANTE"}, OrganizationalUnit: []string{"IGC-SANTE TEST"}, CommonName: "TEST AC ORGANISATIONS"},
		NotBefore:             testEpoch.AddDate(-5, 0, 0),
		NotAfter:              testEpoch.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	if interCRL != "" {
		interTmpl.CRLDistributionPoints = []string{interCRL}
	}
	p.inter = mustCert(t, interTmpl, p.root, p.interKey.Public(), p.rootKey)
	var err error
	p.anchors, err = NewAnchors([]*x509.Certificate{p.root}, []*x509.Certificate{p.inter})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// leafSpec describes an end-entity certificate.
type leafSpec struct {
	cn        string
	ou        string
	dns       []string
	ips       []net.IP
	eku       []x509.ExtKeyUsage
	notBefore time.Time // zero: a year before testEpoch
	notAfter  time.Time // zero: two years after testEpoch
	crl, ocsp []string
}

func (p *testPKI) issue(t testing.TB, s leafSpec) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{Country: []string{"FR"}, Organization: []string{"OPERATEUR TEST"}, OrganizationalUnit: []string{s.ou}, CommonName: s.cn},
		NotBefore:             s.notBefore,
		NotAfter:              s.notAfter,
		DNSNames:              s.dns,
		IPAddresses:           s.ips,
		ExtKeyUsage:           s.eku,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		CRLDistributionPoints: s.crl,
		OCSPServer:            s.ocsp,
	}
	if s.ou == "" {
		tmpl.Subject.OrganizationalUnit = nil
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = testEpoch.AddDate(-1, 0, 0)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = testEpoch.AddDate(2, 0, 0)
	}
	return mustCert(t, tmpl, p.inter, key.Public(), p.interKey), key
}

// tlsCert wraps a leaf and its intermediate for a TLS endpoint.
func (p *testPKI) tlsCert(leaf *x509.Certificate, key crypto.Signer) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{leaf.Raw, p.inter.Raw}, PrivateKey: key, Leaf: leaf}
}

// crl returns a CRL signed by issuer listing the revoked serials.
func makeCRL(t testing.TB, issuer *x509.Certificate, key crypto.Signer, number int64, thisUpdate, nextUpdate time.Time, revoked ...*big.Int) []byte {
	t.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(number), ThisUpdate: thisUpdate, NextUpdate: nextUpdate}
	for _, s := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: thisUpdate.Add(-time.Hour)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, issuer, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
