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
)

// DefaultMaxCRLBytes bounds a CRL download when CRLCache.MaxBytes is zero.
// The IGC-Santé PERSONNES CRLs list every revoked CPS card, so they are large.
const DefaultMaxCRLBytes = 64 << 20

// CRLCache downloads, verifies and caches certificate revocation lists. It
// keeps the last valid CRL of each URL and goes on using it when a download
// fails, until its nextUpdate (ECO.1.1.7). Set the fields before first use;
// a CRLCache is then safe for concurrent use. The zero value is ready.
//
// Delta CRLs and LDAP distribution points are not supported: IGC-Santé
// publishes full CRLs over HTTP.
type CRLCache struct {
	// HTTPClient downloads CRLs. Zero: a client with a 30 s timeout.
	// Whatever the client, a redirect from https to http is refused
	// (ErrRedirect); IGC-Santé serves its CRLs over http, which the
	// signature check makes safe, but a CRL asked over https stays so.
	HTTPClient *http.Client

	// Clock gives the time CRLs are checked at and their age measured
	// with. Nil: the system clock.
	Clock Clock

	// RefreshInterval is how long a CRL is used before a new download is
	// tried, even if its nextUpdate is later (IGC-Santé CRLs are valid for
	// days but republished more often). Zero: one hour.
	RefreshInterval time.Duration

	// MaxBytes bounds one CRL download. Zero: DefaultMaxCRLBytes.
	MaxBytes int64

	mu sync.Mutex
	m  map[string]*crlEntry
}

type crlEntry struct {
	mu           sync.Mutex // held during a download: one fetch per URL at a time
	crl          *x509.RevocationList
	issuer       Fingerprint          // the CA whose signature was checked
	revoked      map[string]time.Time // serial (decimal) -> revocation time
	fetched      time.Time            // last successful download or 304
	lastModified string
}

func (c *CRLCache) now() time.Time { return clockOr(c.Clock).Now() }

func (c *CRLCache) entry(url string) *crlEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]*crlEntry)
	}
	e := c.m[url]
	if e == nil {
		e = &crlEntry{}
		c.m[url] = e
	}
	return e
}

// Add puts a CRL (DER or PEM) in the cache for url, after checking it is
// signed by issuer and current. Use it to seed the cache from disk at start.
func (c *CRLCache) Add(url string, data []byte, issuer *x509.Certificate) error {
	crl, err := parseCRL(data)
	if err != nil {
		return err
	}
	e := c.entry(url)
	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.now()
	if err := checkCRL(crl, issuer, now); err != nil {
		return err
	}
	e.store(crl, issuer, time.Time{}, "")
	return nil
}

// Revoked reports whether cert appears on the CRL at url, which issuer signs.
// It downloads the CRL when the cache has none, or when the cached one is
// older than RefreshInterval or past its nextUpdate; when that download
// fails, a cached CRL still before its nextUpdate is used. An error means
// no valid CRL is available.
func (c *CRLCache) Revoked(ctx context.Context, url string, cert, issuer *x509.Certificate) (revoked bool, at time.Time, err error) {
	e := c.entry(url)
	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.now()
	fp := FingerprintOf(issuer)
	usable := e.crl != nil && e.issuer == fp && now.Before(e.crl.NextUpdate)
	refresh := c.RefreshInterval
	if refresh <= 0 {
		refresh = time.Hour
	}
	if !usable || now.Sub(e.fetched) >= refresh {
		ferr := c.fetch(ctx, url, e, issuer, now)
		usable = e.crl != nil && e.issuer == fp && now.Before(e.crl.NextUpdate)
		if ferr != nil && !usable {
			return false, time.Time{}, ferr
		}
	}
	if !usable {
		return false, time.Time{}, fmt.Errorf("CRL %s: no valid CRL", redactURL(url))
	}
	at, revoked = e.revoked[cert.SerialNumber.String()]
	return revoked, at, nil
}

// fetch downloads the CRL (conditionally when one is cached) and stores it
// if valid and not older than the cached one.
func (c *CRLCache) fetch(ctx context.Context, url string, e *crlEntry, issuer *x509.Certificate, now time.Time) error {
	client := revocationClient(c.HTTPClient)
	max := c.MaxBytes
	if max <= 0 {
		max = DefaultMaxCRLBytes
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("CRL %s: %v", redactURL(url), err)
	}
	if e.crl != nil && e.lastModified != "" && e.issuer == FingerprintOf(issuer) {
		req.Header.Set("If-Modified-Since", e.lastModified)
	}
	resp, err := doRequest(client, req)
	if err != nil {
		return fmt.Errorf("CRL %s: %w", redactURL(url), err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotModified:
		if e.crl != nil {
			e.fetched = now
			return nil
		}
		return fmt.Errorf("CRL %s: 304 without a cached CRL", redactURL(url))
	case http.StatusOK:
	default:
		return fmt.Errorf("CRL %s: HTTP %s", redactURL(url), resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return fmt.Errorf("CRL %s: %v", redactURL(url), err)
	}
	if int64(len(data)) > max {
		return fmt.Errorf("CRL %s: larger than %d bytes", redactURL(url), max)
	}
	crl, err := parseCRL(data)
	if err != nil {
		return fmt.Errorf("CRL %s: %v", redactURL(url), err)
	}
	if err := checkCRL(crl, issuer, now); err != nil {
		return fmt.Errorf("CRL %s: %v", redactURL(url), err)
	}
	if e.crl != nil && e.issuer == FingerprintOf(issuer) && crl.ThisUpdate.Before(e.crl.ThisUpdate) {
		return fmt.Errorf("CRL %s: older than the cached one", redactURL(url))
	}
	e.store(crl, issuer, now, resp.Header.Get("Last-Modified"))
	return nil
}

func (e *crlEntry) store(crl *x509.RevocationList, issuer *x509.Certificate, fetched time.Time, lastModified string) {
	revoked := make(map[string]time.Time, len(crl.RevokedCertificateEntries))
	for _, r := range crl.RevokedCertificateEntries {
		revoked[r.SerialNumber.String()] = r.RevocationTime
	}
	e.crl, e.issuer, e.revoked, e.fetched, e.lastModified = crl, FingerprintOf(issuer), revoked, fetched, lastModified
}

func parseCRL(data []byte) (*x509.RevocationList, error) {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")) {
		if der := pemBlock(data, "X509 CRL"); der != nil {
			data = der
		}
	}
	crl, err := x509.ParseRevocationList(data)
	if err != nil {
		return nil, fmt.Errorf("bad CRL: %v", err)
	}
	return crl, nil
}

// checkCRL checks a CRL's issuer, signature and dates.
func checkCRL(crl *x509.RevocationList, issuer *x509.Certificate, now time.Time) error {
	if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) {
		return fmt.Errorf("CRL issued by %q, not by %q", crl.Issuer, issuer.Subject)
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return fmt.Errorf("CRL signature: %v", err)
	}
	if crl.ThisUpdate.After(now.Add(clockSkew)) {
		return fmt.Errorf("CRL not yet valid (thisUpdate %s)", crl.ThisUpdate.UTC().Format(time.RFC3339))
	}
	if crl.NextUpdate.IsZero() {
		return fmt.Errorf("CRL without nextUpdate")
	}
	if !now.Before(crl.NextUpdate) {
		return fmt.Errorf("CRL expired (nextUpdate %s)", crl.NextUpdate.UTC().Format(time.RFC3339))
	}
	return nil
}

// clockSkew is the tolerance on thisUpdate dates of CRLs and OCSP answers.
const clockSkew = 5 * time.Minute
