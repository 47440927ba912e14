package mssante

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// PKCS#12 files made by OpenSSL in both encryption styles, when openssl is
// installed (the SDK has no encoder to make one itself).
func TestCertificateFromPKCS12(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(openssl, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("openssl %v: %v\n%s", args[0], err, out)
		}
	}
	run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-out", "c.pem", "-subj", "/CN=app@ch-test.mssante.fr", "-days", "2")
	run("pkcs12", "-export", "-legacy", "-inkey", "k.pem", "-in", "c.pem", "-out", "legacy.p12", "-passout", "pass:secret")
	run("pkcs12", "-export", "-inkey", "k.pem", "-in", "c.pem", "-out", "modern.p12", "-passout", "pass:secret")
	modern, _ := os.ReadFile(filepath.Join(dir, "modern.p12"))
	if _, err := CertificateFromPKCS12(modern, "secret"); err == nil || !strings.Contains(err.Error(), "-legacy") {
		t.Errorf("OpenSSL 3 PKCS#12: %v, want an error that says how to convert", err)
	}
	for _, name := range []string{"legacy.p12"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		cert, err := CertificateFromPKCS12(data, "secret")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cert.Leaf == nil && len(cert.Certificate) == 0 {
			t.Fatalf("%s: no certificate", name)
		}
		if _, err := CertificateFromPKCS12(data, "wrong"); err == nil {
			t.Fatalf("%s: wrong password accepted", name)
		}
	}
}
