package mssante

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// testCertificate makes a self-signed certificate with key.
func testCertificate(t *testing.T, key crypto.Signer) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "app@ch-test.mssante.fr"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// PKCS#12 files in the classic form (3DES/RC2, SHA-1 MAC) and in the form
// OpenSSL 3 writes by default (PBES2/AES-256, SHA-256 MAC), made with the
// library's encoders, and with openssl itself when it is installed.
func TestCertificateFromPKCS12(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaCert, ecCert := testCertificate(t, rsaKey), testCertificate(t, ecKey)
	files := map[string][]byte{}
	for name, enc := range map[string]*pkcs12.Encoder{"legacy-rc2": pkcs12.LegacyRC2, "legacy-des": pkcs12.LegacyDES, "modern-2023": pkcs12.Modern2023} {
		for keyName, pair := range map[string]struct {
			key  any
			cert *x509.Certificate
		}{"rsa": {rsaKey, rsaCert}, "ecdsa": {ecKey, ecCert}} {
			data, err := enc.Encode(pair.key, pair.cert, []*x509.Certificate{ecCert}, "secret")
			if err != nil {
				t.Fatal(err)
			}
			files[name+"-"+keyName] = data
		}
	}
	if openssl, err := exec.LookPath("openssl"); err == nil {
		dir := t.TempDir()
		run := func(args ...string) bool {
			cmd := exec.Command(openssl, args...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Logf("openssl %v: %v\n%s", args, err, out)
			}
			return err == nil
		}
		if run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-out", "c.pem", "-subj", "/CN=app@ch-test.mssante.fr", "-days", "2") &&
			run("pkcs12", "-export", "-inkey", "k.pem", "-in", "c.pem", "-out", "default.p12", "-passout", "pass:secret") {
			files["openssl-default"], _ = os.ReadFile(filepath.Join(dir, "default.p12"))
			if run("pkcs12", "-export", "-legacy", "-inkey", "k.pem", "-in", "c.pem", "-out", "legacy.p12", "-passout", "pass:secret") {
				files["openssl-legacy"], _ = os.ReadFile(filepath.Join(dir, "legacy.p12"))
			}
		}
	}
	for name, data := range files {
		cert, err := CertificateFromPKCS12(data, "secret")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if cert.Leaf == nil || len(cert.Certificate) == 0 || cert.Leaf.Subject.CommonName != "app@ch-test.mssante.fr" {
			t.Errorf("%s: certificate %+v", name, cert.Leaf)
		}
		if _, err := CertificateFromPKCS12(data, "wrong"); !errors.Is(err, pkcs12.ErrIncorrectPassword) {
			t.Errorf("%s: wrong password: %v", name, err)
		}
	}
	if len(files) < 6 {
		t.Fatalf("%d files", len(files))
	}
	if _, err := CertificateFromPKCS12([]byte("not a pkcs12"), "secret"); err == nil {
		t.Error("garbage accepted")
	}
}
