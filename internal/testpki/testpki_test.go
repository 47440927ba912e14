package testpki

import (
	"crypto/x509"
	"testing"
)

func TestChains(t *testing.T) {
	p, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := p.ServerCertificate("localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	inter := x509.NewCertPool()
	inter.AddCert(p.Intermediate)
	if _, err := srv.Leaf.Verify(x509.VerifyOptions{Roots: p.Pool(), Intermediates: inter, DNSName: "localhost"}); err != nil {
		t.Errorf("server chain: %v", err)
	}
	cli, err := p.ClientCertificate("app@ch.mssante.fr", "1750803447")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Leaf.Verify(x509.VerifyOptions{Roots: p.Pool(), Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client chain: %v", err)
	}
	if _, err := cli.Leaf.Verify(x509.VerifyOptions{Roots: p.Pool(), Intermediates: inter}); err == nil {
		t.Error("a client certificate verified as a server certificate")
	}
	other, _ := New(&Options{Name: "OTHER"})
	if _, err := srv.Leaf.Verify(x509.VerifyOptions{Roots: other.Pool(), Intermediates: inter}); err == nil {
		t.Error("verified against another root")
	}
}
