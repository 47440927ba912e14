package trust

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"time"
)

// RevocationStatus is the revocation check of one certificate.
type RevocationStatus struct {
	Subject   string
	Source    string    // "ocsp <url>" or "crl <url>" that gave the answer; "" when none did
	Revoked   bool      // true when Source says the certificate is revoked
	RevokedAt time.Time // revocation time, when Revoked
	Errors    []error   // what failed on the way (responders down, bad answers)
}

// revocationStatus asks OCSP, then the CRLs, until one answers. When OCSP
// says good, the CRLs are asked too, and a valid CRL that lists the
// certificate wins: a responder that lags behind the CRL, or a replayed
// "good" answer still within its validity, must not hide a revocation.
func (v *Verifier) revocationStatus(ctx context.Context, cert, issuer *x509.Certificate, now time.Time) RevocationStatus {
	st := RevocationStatus{Subject: SubjectDN(cert)}
	if !v.DisableOCSP {
		for _, u := range cert.OCSPServer {
			if !isHTTPURL(u) {
				continue
			}
			revoked, at, err := v.ocspStatus(ctx, u, cert, issuer, now)
			if err != nil {
				st.Errors = append(st.Errors, err)
				continue
			}
			st.Source, st.Revoked, st.RevokedAt = "ocsp "+redactURL(u), revoked, at
			if !revoked {
				v.crlOverridesGood(ctx, &st, cert, issuer)
			}
			return st
		}
	}
	v.crlStatus(ctx, &st, cert, issuer)
	return st
}

// crlOverridesGood asks the CRLs about a certificate OCSP says is good, and
// marks it revoked when a valid CRL lists it. A CRL that cannot be had
// leaves the OCSP answer standing (its error is kept in st.Errors).
func (v *Verifier) crlOverridesGood(ctx context.Context, st *RevocationStatus, cert, issuer *x509.Certificate) {
	crl := RevocationStatus{}
	v.crlStatus(ctx, &crl, cert, issuer)
	st.Errors = append(st.Errors, crl.Errors...)
	if crl.Revoked {
		st.Source, st.Revoked, st.RevokedAt = crl.Source+" (OCSP said good)", true, crl.RevokedAt
	}
}

// crlStatus asks the HTTP CRL distribution points until one answers.
func (v *Verifier) crlStatus(ctx context.Context, st *RevocationStatus, cert, issuer *x509.Certificate) {
	for _, u := range cert.CRLDistributionPoints {
		if !isHTTPURL(u) {
			continue
		}
		revoked, at, err := v.crls.Revoked(ctx, u, cert, issuer)
		if err != nil {
			st.Errors = append(st.Errors, err)
			continue
		}
		st.Source, st.Revoked, st.RevokedAt = "crl "+redactURL(u), revoked, at
		return
	}
}

func isHTTPURL(u string) bool {
	return strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")
}

// pemBlock returns the bytes of the first PEM block of type typ, or nil.
func pemBlock(data []byte, typ string) []byte {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil
		}
		if b.Type == typ {
			return b.Bytes
		}
	}
}
