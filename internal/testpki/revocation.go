package testpki

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"time"

	"golang.org/x/crypto/ocsp"
)

// Validity of what the PKI publishes: long enough for any test, short
// enough that an answer is never taken for a permanent one.
const (
	CRLValidity  = 24 * time.Hour // nextUpdate - thisUpdate of a CRL
	OCSPValidity = time.Hour      // nextUpdate - thisUpdate of an OCSP answer
)

// maxOCSPRequestBytes bounds a request body; a real one is about 100 bytes.
const maxOCSPRequestBytes = 16 << 10

// ErrNotIssued is returned by Revoke for a certificate this PKI did not
// issue (or its root, which no CRL can revoke).
var ErrNotIssued = errors.New("testpki: certificate not issued by this PKI below its root")

func (p *PKI) now() time.Time {
	if p.clock != nil {
		return p.clock.Now()
	}
	return time.Now()
}

// RevocationURL returns Options.RevocationURL without a trailing slash: the
// base URL certificates point at, "" when they point nowhere.
func (p *PKI) RevocationURL() string { return p.revocationURL }

// Revoke marks a certificate the PKI issued (the intermediate, a server or a
// client certificate) revoked from now on: its issuer's CRL lists it and the
// OCSP responder answers "revoked". Revoking twice keeps the first time.
func (p *PKI) Revoke(cert *x509.Certificate) error {
	serial := cert.SerialNumber.String()
	p.mu.Lock()
	defer p.mu.Unlock()
	ca := p.issuedBy[serial]
	if ca == nil || !bytes.Equal(ca.RawSubject, cert.RawIssuer) {
		return ErrNotIssued
	}
	if _, done := p.revoked[serial]; !done {
		p.revoked[serial] = p.now()
	}
	return nil
}

// ownCA returns the PKI's own copy of ca (Root or Intermediate) and its
// key, or nils.
func (p *PKI) ownCA(ca *x509.Certificate) (*x509.Certificate, crypto.Signer) {
	switch {
	case ca == nil:
		return nil, nil
	case ca.Equal(p.Root):
		return p.Root, p.rootKey
	case ca.Equal(p.Intermediate):
		return p.Intermediate, p.interKey
	}
	return nil, nil
}

// CRL returns a CRL (DER) of the certificates ca issued and Revoke revoked,
// signed by ca (Root or Intermediate), valid from now for CRLValidity.
func (p *PKI) CRL(ca *x509.Certificate) ([]byte, error) {
	ca, key := p.ownCA(ca)
	if key == nil {
		return nil, errors.New("testpki: CRL asked of a CA that is not this PKI's")
	}
	now := p.now()
	p.mu.Lock()
	p.crlNumber++
	tmpl := &x509.RevocationList{Number: big.NewInt(p.crlNumber), ThisUpdate: now, NextUpdate: now.Add(CRLValidity)}
	for serial, at := range p.revoked {
		if p.issuedBy[serial] == ca {
			n, _ := new(big.Int).SetString(serial, 10)
			tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: n, RevocationTime: at})
		}
	}
	p.mu.Unlock()
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca, key)
	if err != nil {
		return nil, fmt.Errorf("testpki: %w", err)
	}
	return der, nil
}

// OCSPResponse answers an OCSP request (DER, RFC 6960) about a certificate
// of the PKI: "good", "revoked" after Revoke, "unknown" for a serial the CA
// named in the request did not issue. The answer is signed by that CA (no
// delegated responder) and valid from now for OCSPValidity. A request that
// cannot be read gets the malformedRequest answer, one about another CA the
// unauthorized answer; the error is only for a signature that failed.
func (p *PKI) OCSPResponse(request []byte) ([]byte, error) {
	req, err := ocsp.ParseRequest(request)
	if err != nil || !req.HashAlgorithm.Available() {
		return ocsp.MalformedRequestErrorResponse, nil
	}
	var ca *x509.Certificate
	for _, c := range []*x509.Certificate{p.Root, p.Intermediate} {
		if matchesIssuer(req, c) {
			ca = c
		}
	}
	if ca == nil {
		return ocsp.UnauthorizedErrorResponse, nil
	}
	now := p.now()
	tmpl := ocsp.Response{Status: ocsp.Good, SerialNumber: req.SerialNumber, IssuerHash: req.HashAlgorithm,
		ThisUpdate: now, NextUpdate: now.Add(OCSPValidity)}
	serial := req.SerialNumber.String()
	p.mu.Lock()
	at, revoked := p.revoked[serial]
	issuer := p.issuedBy[serial]
	p.mu.Unlock()
	switch {
	case issuer != ca:
		tmpl.Status = ocsp.Unknown
	case revoked:
		tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, at, ocsp.Unspecified
	}
	_, key := p.ownCA(ca)
	der, err := ocsp.CreateResponse(ca, ca, tmpl, key)
	if err != nil {
		return nil, fmt.Errorf("testpki: %w", err)
	}
	return der, nil
}

// matchesIssuer reports whether the request's issuer name and key hashes
// are those of ca.
func matchesIssuer(req *ocsp.Request, ca *x509.Certificate) bool {
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(ca.RawSubjectPublicKeyInfo, &spki); err != nil {
		return false
	}
	h := req.HashAlgorithm.New()
	h.Write(spki.PublicKey.RightAlign())
	keyHash := h.Sum(nil)
	h.Reset()
	h.Write(ca.RawSubject)
	return bytes.Equal(keyHash, req.IssuerKeyHash) && bytes.Equal(h.Sum(nil), req.IssuerNameHash)
}

// Handler serves the PKI's revocation status over HTTP, at the paths the
// certificates name under Options.RevocationURL:
//
//	GET  /crl/root.crl          the root's CRL (it revokes the intermediate)
//	GET  /crl/intermediate.crl  the intermediate's CRL (leaves)
//	POST /ocsp                  an OCSP request (application/ocsp-request)
//
// The GET form of OCSP (RFC 6960 appendix A.1) is not served: trust and
// the usual clients POST.
func (p *PKI) Handler() http.Handler {
	mux := http.NewServeMux()
	crl := func(ca func() *x509.Certificate) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			der, err := p.CRL(ca())
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/pkix-crl")
			w.Write(der)
		}
	}
	mux.HandleFunc("GET /crl/root.crl", crl(func() *x509.Certificate { return p.Root }))
	mux.HandleFunc("GET /crl/intermediate.crl", crl(func() *x509.Certificate { return p.Intermediate }))
	mux.HandleFunc("POST /ocsp", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxOCSPRequestBytes+1))
		if err != nil || len(body) > maxOCSPRequestBytes {
			http.Error(w, "bad OCSP request body", http.StatusBadRequest)
			return
		}
		p.serveOCSP(w, body)
	})
	return mux
}

func (p *PKI) serveOCSP(w http.ResponseWriter, request []byte) {
	der, err := p.OCSPResponse(request)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/ocsp-response")
	w.Write(der)
}
