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

// revocationStatus asks OCSP, then the CRLs, until one answers.
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
			return st
		}
	}
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
		return st
	}
	return st
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
