package trust

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"
)

// DefaultMaxOCSPBytes bounds an OCSP answer.
const DefaultMaxOCSPBytes = 64 << 10

// DefaultOCSPMaxAge is how old (from its thisUpdate) an OCSP answer without
// nextUpdate may be. RFC 6960 §4.2.2.1 lets a responder omit nextUpdate
// ("newer information is always available"); a signed answer is then valid
// forever, and anyone on the (plain HTTP) path could replay a "good" answer
// made before a revocation. A week matches the validity of IGC-Santé CRLs.
const DefaultOCSPMaxAge = 7 * 24 * time.Hour

type ocspKey struct {
	issuer Fingerprint
	serial string
}

type ocspEntry struct {
	revoked bool
	at      time.Time
	until   time.Time
}

// ocspCache keeps OCSP answers until their nextUpdate (or their thisUpdate
// plus the maximum age), at most an hour.
type ocspCache struct {
	mu sync.Mutex
	m  map[ocspKey]ocspEntry
}

// ocspStatus asks the responder at url about cert. An "unknown" answer is an
// error, so that the CRL is tried next.
func (v *Verifier) ocspStatus(ctx context.Context, url string, cert, issuer *x509.Certificate, now time.Time) (bool, time.Time, error) {
	key := ocspKey{issuer: FingerprintOf(issuer), serial: cert.SerialNumber.String()}
	v.ocsp.mu.Lock()
	e, ok := v.ocsp.m[key]
	v.ocsp.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.revoked, e.at, nil
	}
	fail := func(format string, args ...any) (bool, time.Time, error) {
		return false, time.Time{}, fmt.Errorf("OCSP %s: %s", redactURL(url), fmt.Sprintf(format, args...))
	}
	reqDER, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		return fail("%v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(reqDER))
	if err != nil {
		return fail("%v", err)
	}
	req.Header.Set("Content-Type", "application/ocsp-request")
	req.Header.Set("Accept", "application/ocsp-response")
	resp, err := doRequest(revocationClient(v.HTTPClient), req)
	if err != nil {
		return fail("%v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail("HTTP %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, DefaultMaxOCSPBytes+1))
	if err != nil {
		return fail("%v", err)
	}
	if len(body) > DefaultMaxOCSPBytes {
		return fail("answer larger than %d bytes", DefaultMaxOCSPBytes)
	}
	r, err := ocsp.ParseResponseForCert(body, cert, issuer)
	if err != nil {
		return fail("%v", err)
	}
	// x/crypto/ocsp checks that a delegated responder certificate is signed
	// by the issuer, not that it may sign OCSP answers (RFC 6960 §4.2.2.2)
	// nor that it is valid now.
	if rc := r.Certificate; rc != nil && !bytes.Equal(rc.Raw, issuer.Raw) {
		if !hasEKU(rc, x509.ExtKeyUsageOCSPSigning) {
			return fail("responder certificate %q lacks the OCSPSigning usage", rc.Subject)
		}
		if now.Before(rc.NotBefore) || now.After(rc.NotAfter) {
			return fail("responder certificate %q expired or not yet valid", rc.Subject)
		}
	}
	maxAge := v.ocspMaxAge()
	switch {
	case r.ThisUpdate.After(now.Add(clockSkew)):
		return fail("answer not yet valid (thisUpdate %s is in the future)", r.ThisUpdate.UTC().Format(time.RFC3339))
	case r.NextUpdate.IsZero() && now.Sub(r.ThisUpdate) > maxAge:
		return fail("stale answer (thisUpdate %s, no nextUpdate, older than %s)", r.ThisUpdate.UTC().Format(time.RFC3339), maxAge)
	case !r.NextUpdate.IsZero() && !now.Before(r.NextUpdate):
		return fail("stale answer (past its nextUpdate %s)", r.NextUpdate.UTC().Format(time.RFC3339))
	}
	var revoked bool
	switch r.Status {
	case ocsp.Good:
	case ocsp.Revoked:
		revoked = true
	default:
		return fail("status unknown")
	}
	until := now.Add(time.Hour)
	end := r.NextUpdate
	if end.IsZero() {
		end = r.ThisUpdate.Add(maxAge)
	}
	if end.Before(until) {
		until = end
	}
	v.ocsp.mu.Lock()
	if len(v.ocsp.m) >= 10_000 {
		clear(v.ocsp.m) // crude bound; answers are cheap to ask again
	}
	v.ocsp.m[key] = ocspEntry{revoked: revoked, at: r.RevokedAt, until: until}
	v.ocsp.mu.Unlock()
	return revoked, r.RevokedAt, nil
}

func hasEKU(c *x509.Certificate, u x509.ExtKeyUsage) bool {
	for _, e := range c.ExtKeyUsage {
		if e == u {
			return true
		}
	}
	return false
}

// ocspMaxAge is the maximum age of an answer without nextUpdate.
func (v *Verifier) ocspMaxAge() time.Duration {
	if v.OCSPMaxAge > 0 {
		return v.OCSPMaxAge
	}
	return DefaultOCSPMaxAge
}
