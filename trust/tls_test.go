package trust

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"

	"golang.org/x/crypto/ocsp"
)

// handshake runs one TLS handshake over loopback and returns the client's and
// the server's errors.
func handshake(t *testing.T, serverConf, clientConf *tls.Config) (clientErr, serverErr error) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", serverConf)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		done <- c.(*tls.Conn).Handshake()
	}()
	c, err := tls.Dial("tcp", ln.Addr().String(), clientConf)
	if err == nil {
		// With TLS 1.3 the client finishes before the server has checked
		// the client certificate: read to see the server's verdict.
		c.Read(make([]byte, 1))
		c.Close()
	}
	return err, <-done
}

func TestTLSConfigs(t *testing.T) {
	e := newRevEnv(t)
	srvCert, srvKey := e.pki.issue(t, leafSpec{cn: "mss.operateur.test", dns: []string{"mss.operateur.test"}, eku: serverEKU,
		crl: []string{e.url + "/inter.crl"}, ocsp: []string{e.url + "/ocsp"}})
	appCert, appKey := e.pki.issue(t, leafSpec{cn: "bal-app.etablissement.test", ou: "318751275100020", eku: clientEKU,
		crl: []string{e.url + "/inter.crl"}, ocsp: []string{e.url + "/ocsp"}})
	signCert, signKey := e.pki.issue(t, leafSpec{cn: "cachet.etablissement.test", eku: emailEKU,
		crl: []string{e.url + "/inter.crl"}, ocsp: []string{e.url + "/ocsp"}})

	v := e.verifier(RevocationHardFail)
	serverConf, err := v.ServerTLSConfig([]tls.Certificate{e.pki.tlsCert(srvCert, srvKey)})
	if err != nil {
		t.Fatal(err)
	}
	client := func(name string, cert *x509.Certificate, key any) *tls.Config {
		c, err := v.ClientTLSConfig(name)
		if err != nil {
			t.Fatal(err)
		}
		if cert != nil {
			c.Certificates = []tls.Certificate{{Certificate: [][]byte{cert.Raw, e.pki.inter.Raw}, PrivateKey: key, Leaf: cert}}
		}
		return c
	}

	if cerr, serr := handshake(t, serverConf, client("mss.operateur.test", appCert, appKey)); cerr != nil || serr != nil {
		t.Fatalf("BAL APP to operator: client %v, server %v", cerr, serr)
	}
	if _, serr := handshake(t, serverConf, client("mss.operateur.test", signCert, signKey)); serr == nil {
		t.Error("a certificate without clientAuth was accepted as a client certificate")
	}
	if _, serr := handshake(t, serverConf, client("mss.operateur.test", nil, nil)); serr == nil {
		t.Error("a client without certificate was accepted")
	}
	if cerr, _ := handshake(t, serverConf, client("autre.operateur.test", appCert, appKey)); cerr == nil {
		t.Error("a server certificate for another name was accepted")
	}

	// Anchors of another hierarchy on the client: refused.
	other := newTestPKI(t, "")
	ov := &Verifier{Anchors: other.anchors, Revocation: RevocationOff}
	oc, _ := ov.ClientTLSConfig("mss.operateur.test")
	if cerr, _ := handshake(t, serverConf, oc); cerr == nil {
		t.Error("a server outside the anchors was accepted")
	}

	// The server certificate is revoked: VerifyConnection refuses it.
	e.rs.update(func(s *revServer) { s.ocspMode = ocsp.Revoked })
	v2 := e.verifier(RevocationHardFail) // fresh OCSP cache
	c2, _ := v2.ClientTLSConfig("mss.operateur.test")
	if cerr, _ := handshake(t, serverConf, c2); !errors.Is(cerr, ErrRevoked) {
		t.Errorf("revoked server certificate: client err = %v, want ErrRevoked", cerr)
	}

	// VerifyPeerCertificate on the raw chain.
	vp := e.verifier(RevocationOff).VerifyPeerCertificate(UsageClient)
	if err := vp([][]byte{appCert.Raw, e.pki.inter.Raw}, nil); err != nil {
		t.Errorf("VerifyPeerCertificate(client cert): %v", err)
	}
	if err := vp([][]byte{signCert.Raw}, nil); !errors.Is(err, ErrWrongUsage) {
		t.Errorf("VerifyPeerCertificate(e-mail cert as client): %v", err)
	}
	if err := vp(nil, nil); !errors.Is(err, ErrUntrusted) {
		t.Errorf("VerifyPeerCertificate(nothing): %v", err)
	}
	if err := vp([][]byte{[]byte("junk")}, nil); err == nil {
		t.Error("VerifyPeerCertificate(junk) = nil")
	}

	// VerifyConnection without a server name is refused rather than unchecked.
	vc := e.verifier(RevocationOff).VerifyConnection(UsageServer)
	if err := vc(tls.ConnectionState{PeerCertificates: []*x509.Certificate{srvCert}}); !errors.Is(err, ErrHostname) {
		t.Errorf("VerifyConnection without ServerName: %v", err)
	}
	if _, err := (&Verifier{}).ClientTLSConfig("x"); !errors.Is(err, ErrNoAnchors) {
		t.Errorf("ClientTLSConfig without anchors: %v", err)
	}
}
