package testpki

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/mssante-go/sdk/trust"
)

// servedPKI returns a PKI whose Handler answers at the URL its certificates
// name.
func servedPKI(t *testing.T) (*PKI, *httptest.Server) {
	t.Helper()
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	p, err := New(&Options{RevocationURL: srv.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	h = p.Handler()
	return p, srv
}

// verify checks a server certificate with a fresh hard-fail Verifier (a
// Verifier caches answers, as it should).
func verify(t *testing.T, p *PKI, leaf *x509.Certificate, disableOCSP bool) (*trust.Result, error) {
	t.Helper()
	anchors, err := trust.NewAnchors([]*x509.Certificate{p.Root}, []*x509.Certificate{p.Intermediate})
	if err != nil {
		t.Fatal(err)
	}
	v := &trust.Verifier{Anchors: anchors, DisableOCSP: disableOCSP}
	return v.Verify(context.Background(), leaf, &trust.VerifyOptions{DNSName: "localhost"})
}

// The default revocation policy of trust (hard-fail) accepts the PKI's
// certificates by OCSP and by CRL, and refuses them once revoked.
func TestRevocationServedToHardFailVerifier(t *testing.T) {
	for _, tc := range []struct {
		name        string
		disableOCSP bool
		source      string // prefix of RevocationStatus.Source
	}{
		{"OCSP then CRL", false, "ocsp http://127.0.0.1"},
		{"CRL only", true, "crl http://127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := servedPKI(t)
			srv, err := p.ServerCertificate("localhost")
			if err != nil {
				t.Fatal(err)
			}
			if got := srv.Leaf.CRLDistributionPoints; len(got) != 1 || !strings.HasSuffix(got[0], "/crl/intermediate.crl") || strings.Contains(got[0], "//crl") {
				t.Errorf("leaf CRL distribution points %q", got)
			}
			if got := p.Intermediate.CRLDistributionPoints; len(got) != 1 || !strings.HasSuffix(got[0], "/crl/root.crl") {
				t.Errorf("intermediate CRL distribution points %q", got)
			}
			res, err := verify(t, p, srv.Leaf, tc.disableOCSP)
			if err != nil {
				t.Fatalf("hard-fail verification of a good certificate: %v", err)
			}
			if len(res.Revocation) != 2 {
				t.Fatalf("revocation checked for %d certificates, want the leaf and the intermediate", len(res.Revocation))
			}
			for _, st := range res.Revocation {
				if !strings.HasPrefix(st.Source, tc.source) || st.Revoked || len(st.Errors) > 0 {
					t.Errorf("status %+v", st)
				}
			}

			if err := p.Revoke(srv.Leaf); err != nil {
				t.Fatal(err)
			}
			_, err = verify(t, p, srv.Leaf, tc.disableOCSP)
			var ce *trust.CertificateError
			if !errors.Is(err, trust.ErrRevoked) || !errors.As(err, &ce) || ce.Subject != trust.SubjectDN(srv.Leaf) {
				t.Fatalf("revoked leaf: %v", err)
			}

			// A revoked intermediate takes down every leaf under it.
			other, err := p.ServerCertificate("localhost")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := verify(t, p, other.Leaf, tc.disableOCSP); err != nil {
				t.Fatalf("second leaf: %v", err)
			}
			if err := p.Revoke(p.Intermediate); err != nil {
				t.Fatal(err)
			}
			_, err = verify(t, p, other.Leaf, tc.disableOCSP)
			if !errors.Is(err, trust.ErrRevoked) || !errors.As(err, &ce) || ce.Subject != trust.SubjectDN(p.Intermediate) {
				t.Fatalf("leaf under a revoked intermediate: %v", err)
			}
		})
	}
}

func TestOCSPAnswers(t *testing.T) {
	p, srv := servedPKI(t)
	leaf, err := p.ClientCertificate("app@ch.mssante.fr", "1750803447")
	if err != nil {
		t.Fatal(err)
	}
	ask := func(cert *x509.Certificate) *ocsp.Response {
		t.Helper()
		req, err := ocsp.CreateRequest(cert, p.Intermediate, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(srv.URL+"/ocsp", "application/ocsp-request", bytes.NewReader(req))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/ocsp-response" {
			t.Fatalf("HTTP %s %q", resp.Status, resp.Header.Get("Content-Type"))
		}
		r, err := ocsp.ParseResponseForCert(body, cert, p.Intermediate)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := ask(leaf.Leaf); r.Status != ocsp.Good || r.NextUpdate.Sub(r.ThisUpdate) != OCSPValidity || time.Since(r.ThisUpdate) > time.Minute {
		t.Errorf("status %d, thisUpdate %s, nextUpdate %s", r.Status, r.ThisUpdate, r.NextUpdate)
	}
	// A serial the intermediate never issued is unknown, not good.
	stranger := &x509.Certificate{SerialNumber: big.NewInt(987654)}
	if r := ask(stranger); r.Status != ocsp.Unknown {
		t.Errorf("unissued serial: status %d, want unknown", r.Status)
	}
	if err := p.Revoke(leaf.Leaf); err != nil {
		t.Fatal(err)
	}
	if r := ask(leaf.Leaf); r.Status != ocsp.Revoked || r.RevokedAt.IsZero() {
		t.Errorf("revoked: status %d at %s", r.Status, r.RevokedAt)
	}

	// Requests that cannot be answered.
	for _, tc := range []struct {
		name string
		body []byte
		want []byte
	}{
		{"garbage", []byte("not DER"), ocsp.MalformedRequestErrorResponse},
		{"another CA", func() []byte {
			o, _ := New(&Options{Name: "AUTRE"})
			c, _ := o.ServerCertificate("localhost")
			req, _ := ocsp.CreateRequest(c.Leaf, o.Intermediate, nil)
			return req
		}(), ocsp.UnauthorizedErrorResponse},
	} {
		got, err := p.OCSPResponse(tc.body)
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("%s: %x, %v", tc.name, got, err)
		}
	}
}

func TestRevokeOnlyWhatWasIssued(t *testing.T) {
	p, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := New(&Options{Name: "AUTRE"})
	foreign, _ := o.ServerCertificate("localhost")
	for name, c := range map[string]*x509.Certificate{"root": p.Root, "another PKI's leaf": foreign.Leaf, "another PKI's intermediate": o.Intermediate} {
		if err := p.Revoke(c); !errors.Is(err, ErrNotIssued) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Without RevocationURL, certificates point nowhere.
	leaf, _ := p.ServerCertificate("localhost")
	if len(leaf.Leaf.CRLDistributionPoints)+len(leaf.Leaf.OCSPServer)+len(p.Intermediate.CRLDistributionPoints)+len(p.Intermediate.OCSPServer) != 0 {
		t.Error("certificates name revocation URLs without Options.RevocationURL")
	}
	if p.RevocationURL() != "" {
		t.Errorf("RevocationURL %q", p.RevocationURL())
	}
}

// The CRL lists exactly the revoked certificates of its CA, signed by it.
func TestCRL(t *testing.T) {
	p, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := p.ServerCertificate("localhost")
	p.ServerCertificate("localhost") // issued, not revoked: not listed
	p.Revoke(a.Leaf)
	p.Revoke(p.Intermediate)
	for _, tc := range []struct {
		ca   *x509.Certificate
		want *big.Int
	}{{p.Intermediate, a.Leaf.SerialNumber}, {p.Root, p.Intermediate.SerialNumber}} {
		der, err := p.CRL(tc.ca)
		if err != nil {
			t.Fatal(err)
		}
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		if err := crl.CheckSignatureFrom(tc.ca); err != nil {
			t.Error(err)
		}
		if n := len(crl.RevokedCertificateEntries); n != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(tc.want) != 0 {
			t.Errorf("CRL of %s: %d entries", tc.ca.Subject.CommonName, n)
		}
		if crl.NextUpdate.Sub(crl.ThisUpdate) != CRLValidity {
			t.Errorf("validity %s", crl.NextUpdate.Sub(crl.ThisUpdate))
		}
	}
	if _, err := p.CRL(a.Leaf); err == nil {
		t.Error("a CRL signed by a leaf")
	}
}
