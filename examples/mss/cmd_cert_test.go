package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/testpki"
)

// cert inspect --revocation asks the certificate's CRL: a revoked
// certificate is a finding (exit 1), a good one is valid.
func TestCertInspectRevocation(t *testing.T) {
	var crl atomic.Value // []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pkix-crl")
		w.Write(crl.Load().([]byte))
	}))
	defer srv.Close()

	now := time.Now()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rootTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "AC RACINE TEST", Organization: []string{"TEST"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(rootDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: "server.operateur.example", Organization: []string{"OPERATEUR TEST"}},
		DNSNames: []string{"server.operateur.example"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(12 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		CRLDistributionPoints: []string{srv.URL + "/root.crl"}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, root, leafKey.Public(), rootKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(leafDER)
	makeCRL := func(revoked ...*big.Int) []byte {
		var entries []x509.RevocationListEntry
		for _, s := range revoked {
			entries = append(entries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: now.Add(-time.Minute)})
		}
		der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(int64(len(revoked) + 1)),
			ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour), RevokedCertificateEntries: entries}, root, rootKey)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	certFile := writeFile(t, "leaf.pem", string(testpki.PEM(leaf)))
	anchors := writeFile(t, "root.pem", string(testpki.PEM(root)))

	crl.Store(makeCRL())
	code, stdout, stderr := runCLI(t, "cert", "inspect", certFile, "--anchors", anchors, "--revocation", "hard")
	if code != 0 || !strings.Contains(stdout, "revocation checked, hard") {
		t.Fatalf("good: %d %s %s", code, stdout, stderr)
	}
	crl.Store(makeCRL(big.NewInt(42)))
	code, stdout, stderr = runCLI(t, "cert", "inspect", certFile, "--anchors", anchors, "--revocation", "hard", "--json")
	if code != 1 || !strings.Contains(stdout, `"revoked": true`) || !strings.Contains(stderr, "leaf.pem: revoked") {
		t.Fatalf("revoked: %d %s %s", code, stdout, stderr)
	}
	// Offline by default: the CRL is not asked.
	if code, stdout, _ := runCLI(t, "cert", "inspect", certFile, "--anchors", anchors); code != 0 || !strings.Contains(stdout, "revocation not checked") {
		t.Fatalf("offline: %d %s", code, stdout)
	}
	if code, _, stderr := runCLI(t, "cert", "inspect", certFile, "--revocation", "hard"); code != exitUsage || !strings.Contains(stderr, "needs --anchors") {
		t.Fatalf("without anchors: %d %s", code, stderr)
	}
}
