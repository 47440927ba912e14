package trust

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/smallstep/pkcs7"
)

// DefaultBundleURL is where the ANS publishes the IGC-Santé CA bundle
// (PKCS#7 certs-only, all hierarchies). It is plain HTTP: the integrity of a
// download comes from the root fingerprint check of ParseAnchors.
const DefaultBundleURL = "http://igc-sante.esante.gouv.fr/AC/Chaine_de_certification-IGC-Sante.p7b"

// DefaultMaxBundleBytes bounds FetchAnchors when AnchorOptions.MaxBytes is zero.
const DefaultMaxBundleBytes = 4 << 20

// AnchorOptions says which roots of a CA bundle to trust. A nil
// *AnchorOptions means the defaults: only KnownRoots, and any other
// self-signed certificate in the bundle is an error.
type AnchorOptions struct {
	// ExtraRoots lists SHA-256 fingerprints (hex; case, colons and spaces
	// ignored) of roots accepted besides KnownRoots, e.g. "AC RACINE
	// IGC-SANTE STANDARD" and "AC RACINE IGC-SANTE FORT" once the caller has
	// checked them out of band. Zero: none.
	ExtraRoots []string

	// TrustBundleRoots makes every self-signed certificate of the bundle a
	// trust anchor, without the fingerprint check. Set it only for a bundle
	// the caller vouches for, e.g. the IGC-Santé TEST hierarchy read from its
	// own files. Zero: the check applies.
	TrustBundleRoots bool

	// SkipUnknownRoots leaves out roots that fail the fingerprint check, and
	// the CA certificates under them, instead of failing: the ANS bundle holds
	// the STANDARD and FORT hierarchies too, and a caller who only needs
	// ELEMENTAIRE can trust just that. Anchors.Skipped lists what was left out.
	// Zero: an unknown root makes ParseAnchors fail with an *UnknownRootError.
	SkipUnknownRoots bool

	// MaxBytes bounds the download of FetchAnchors. Zero: DefaultMaxBundleBytes.
	MaxBytes int64

	// RedirectHosts are the hosts, besides the one of the URL asked for,
	// that a redirect of the FetchAnchors download may lead to: "name" (any
	// port) or "name:port". A redirect from https to http is refused in
	// every case (ErrRedirect). Zero: a redirect must stay on the host
	// asked.
	RedirectHosts []string
}

// UnknownRootError reports a self-signed certificate of a bundle whose
// fingerprint is not trusted. errors.Is(err, ErrUnknownRoot) holds.
type UnknownRootError struct {
	Subject     string
	Fingerprint Fingerprint
}

func (e *UnknownRootError) Error() string {
	return fmt.Sprintf("trust: root %q (SHA-256 %s) is not a known IGC-Santé root; add its fingerprint to AnchorOptions.ExtraRoots if you trust it", e.Subject, e.Fingerprint)
}

// Is makes errors.Is(err, ErrUnknownRoot) true.
func (e *UnknownRootError) Is(target error) bool { return target == ErrUnknownRoot }

// BundleError reports a CA bundle that cannot be used. errors.Is(err,
// ErrBadBundle) holds.
type BundleError struct {
	Subject string // the certificate concerned, "" for the bundle as a whole
	Msg     string
}

func (e *BundleError) Error() string {
	if e.Subject == "" {
		return "trust: invalid CA bundle: " + e.Msg
	}
	return fmt.Sprintf("trust: invalid CA bundle: %q: %s", e.Subject, e.Msg)
}

// Is makes errors.Is(err, ErrBadBundle) true.
func (e *BundleError) Is(target error) bool { return target == ErrBadBundle }

// Anchors is a set of IGC-Santé trust anchors: roots, and the intermediate CA
// certificates under them. It is immutable and safe for concurrent use. Build
// it with ParseAnchors, FetchAnchors or NewAnchors.
//
// Use it as the roots of every TLS connection of the trust space (never the
// system pool: ECO.1.1.10 makes IGC-Santé the only authority accepted):
// RootPool for tls.Config.RootCAs or ClientCAs, and a Verifier for the
// certificate checks Go's TLS stack does not do (revocation, usage).
type Anchors struct {
	roots, intermediates, skipped []*x509.Certificate
	rootPool, interPool           *x509.CertPool
}

// Roots returns the root certificates.
func (a *Anchors) Roots() []*x509.Certificate {
	if a == nil {
		return nil
	}
	return append([]*x509.Certificate(nil), a.roots...)
}

// Intermediates returns the intermediate CA certificates.
func (a *Anchors) Intermediates() []*x509.Certificate {
	if a == nil {
		return nil
	}
	return append([]*x509.Certificate(nil), a.intermediates...)
}

// Skipped returns the certificates left out by AnchorOptions.SkipUnknownRoots.
func (a *Anchors) Skipped() []*x509.Certificate {
	if a == nil {
		return nil
	}
	return append([]*x509.Certificate(nil), a.skipped...)
}

// RootPool returns a new pool of the roots, for tls.Config.RootCAs (client
// side) or tls.Config.ClientCAs (server side). It is empty for a nil or zero
// Anchors: nothing is trusted.
func (a *Anchors) RootPool() *x509.CertPool {
	if a == nil || a.rootPool == nil {
		return x509.NewCertPool()
	}
	return a.rootPool.Clone()
}

// HTTPClient returns an HTTP client whose TLS trusts these anchors only, for
// the ANS servers that present IGC-Santé certificates (the liste blanche,
// the Annuaire Santé extraction). timeout bounds each request; zero means
// 60 seconds. It refuses a redirect from https to http (ErrRedirect).
func (a *Anchors) HTTPClient(timeout time.Duration) *http.Client {
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	return &http.Client{
		Timeout:       timeout,
		CheckRedirect: noDowngrade.CheckRedirect,
		Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			TLSClientConfig:     &tls.Config{RootCAs: a.RootPool(), MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout: 15 * time.Second,
		},
	}
}

// IntermediatePool returns a new pool of the intermediate CAs under the
// roots, for x509.VerifyOptions.Intermediates: a peer does not always send
// its chain, and IGC-Santé leaf certificates are issued by these CAs, never
// by a root. The caller may add to the pool; the Anchors do not change. It
// is empty for a nil or zero Anchors. (A Verifier already uses it.)
func (a *Anchors) IntermediatePool() *x509.CertPool {
	if a == nil || a.interPool == nil {
		return x509.NewCertPool()
	}
	return a.interPool.Clone()
}

// NewAnchors builds anchors from certificates the caller vouches for: every
// root is trusted as given (no fingerprint check). Each root must be a
// self-signed CA, and each intermediate a CA that chains to a root.
func NewAnchors(roots, intermediates []*x509.Certificate) (*Anchors, error) {
	for _, r := range roots {
		if !isSelfSigned(r) {
			return nil, &BundleError{Subject: SubjectDN(r), Msg: "a root must be self-signed"}
		}
	}
	return buildAnchors(append(append([]*x509.Certificate(nil), roots...), intermediates...), &AnchorOptions{TrustBundleRoots: true})
}

// ParseAnchors reads a CA bundle: PKCS#7 certs-only (the ANS .p7b), in DER or
// PEM ("-----BEGIN PKCS7-----"), or PEM certificates, or one DER certificate.
// Self-signed certificates are the candidate roots, checked against
// KnownRoots and opts (see AnchorOptions); the other certificates must be CAs
// that chain to an accepted root.
func ParseAnchors(data []byte, opts *AnchorOptions) (*Anchors, error) {
	certs, err := parseCertBundle(data)
	if err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &AnchorOptions{}
	}
	return buildAnchors(certs, opts)
}

// FetchAnchors downloads a CA bundle (DefaultBundleURL when url is "") with
// client (when nil, a client with a 60 s timeout and the system roots) and
// parses it with ParseAnchors. A redirect must stay on the host of url
// unless AnchorOptions.RedirectHosts allows another, and never goes from
// https to http: either fails with ErrRedirect.
func FetchAnchors(ctx context.Context, client *http.Client, url string, opts *AnchorOptions) (*Anchors, error) {
	if url == "" {
		url = DefaultBundleURL
	}
	if client == nil {
		client = &http.Client{Timeout: 60 * time.Second}
	}
	max := int64(DefaultMaxBundleBytes)
	var hosts []string
	if opts != nil {
		if opts.MaxBytes > 0 {
			max = opts.MaxBytes
		}
		hosts = opts.RedirectHosts
	}
	client = sameHostRedirects(hosts).Client(client)
	data, err := httpGet(ctx, client, url, max)
	if err != nil {
		return nil, fmt.Errorf("trust: fetching CA bundle: %w", err)
	}
	return ParseAnchors(data, opts)
}

// httpGet downloads url, failing on a non-200 status or more than max bytes.
func httpGet(ctx context.Context, client *http.Client, url string, max int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := doRequest(client, req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %s", redactURL(url), resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("GET %s: response larger than %d bytes", redactURL(url), max)
	}
	return data, nil
}

// parseCertBundle extracts the certificates of a bundle.
func parseCertBundle(data []byte) ([]*x509.Certificate, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, &BundleError{Msg: "empty"}
	}
	if !bytes.Contains(trimmed, []byte("-----BEGIN ")) {
		if certs, err := parsePKCS7Certs(trimmed); err == nil {
			return certs, nil
		}
		c, err := x509.ParseCertificate(trimmed)
		if err != nil {
			return nil, &BundleError{Msg: "neither PKCS#7, PEM nor a DER certificate"}
		}
		return []*x509.Certificate{c}, nil
	}
	var certs []*x509.Certificate
	rest := trimmed
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch block.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, &BundleError{Msg: "bad PEM certificate: " + err.Error()}
			}
			certs = append(certs, c)
		case "PKCS7", "CMS":
			cs, err := parsePKCS7Certs(block.Bytes)
			if err != nil {
				return nil, &BundleError{Msg: "bad PEM PKCS#7: " + err.Error()}
			}
			certs = append(certs, cs...)
		default:
			// Never echo the block: it may be a private key.
			return nil, &BundleError{Msg: fmt.Sprintf("unexpected PEM block of type %q", block.Type)}
		}
	}
	if len(certs) == 0 {
		return nil, &BundleError{Msg: "no certificate found"}
	}
	return certs, nil
}

// parsePKCS7Certs returns the certificates of a PKCS#7 structure. The
// library is guarded against panics on hostile input.
func parsePKCS7Certs(der []byte) (certs []*x509.Certificate, err error) {
	defer func() {
		if r := recover(); r != nil {
			certs, err = nil, fmt.Errorf("malformed PKCS#7")
		}
	}()
	p7, err := pkcs7.Parse(der)
	if err != nil {
		return nil, err
	}
	if len(p7.Certificates) == 0 {
		return nil, fmt.Errorf("PKCS#7 without certificates")
	}
	return p7.Certificates, nil
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(c) == nil
}

// buildAnchors sorts certificates into accepted roots, intermediates that
// chain to them, and skipped ones.
func buildAnchors(certs []*x509.Certificate, opts *AnchorOptions) (*Anchors, error) {
	extra := make(map[Fingerprint]bool, len(opts.ExtraRoots))
	for _, s := range opts.ExtraRoots {
		f, err := ParseFingerprint(s)
		if err != nil {
			return nil, err
		}
		extra[f] = true
	}
	a := &Anchors{rootPool: x509.NewCertPool(), interPool: x509.NewCertPool()}
	seen := make(map[Fingerprint]bool)
	var pending []*x509.Certificate
	for _, c := range certs {
		fp := FingerprintOf(c)
		if seen[fp] {
			continue
		}
		seen[fp] = true
		if !c.BasicConstraintsValid || !c.IsCA {
			return nil, &BundleError{Subject: SubjectDN(c), Msg: "not a CA certificate"}
		}
		if !bytes.Equal(c.RawSubject, c.RawIssuer) {
			pending = append(pending, c)
			continue
		}
		if !isSelfSigned(c) {
			return nil, &BundleError{Subject: SubjectDN(c), Msg: "self-issued but its signature does not verify"}
		}
		_, known := IsKnownRoot(c)
		switch {
		case known || extra[fp] || opts.TrustBundleRoots:
			a.roots = append(a.roots, c)
			a.rootPool.AddCert(c)
		case opts.SkipUnknownRoots:
			a.skipped = append(a.skipped, c)
		default:
			return nil, &UnknownRootError{Subject: SubjectDN(c), Fingerprint: fp}
		}
	}
	if len(a.roots) == 0 {
		return nil, &BundleError{Msg: "no accepted root certificate"}
	}
	// Accept intermediates whose issuer is accepted, until nothing changes:
	// the bundle's order is not trusted.
	accepted := append([]*x509.Certificate(nil), a.roots...)
	for changed := true; changed && len(pending) > 0; {
		changed = false
		rest := pending[:0]
		for _, c := range pending {
			if issuedByAny(c, accepted) {
				accepted = append(accepted, c)
				a.intermediates = append(a.intermediates, c)
				a.interPool.AddCert(c)
				changed = true
			} else {
				rest = append(rest, c)
			}
		}
		pending = rest
	}
	for _, c := range pending {
		if !opts.SkipUnknownRoots {
			return nil, &BundleError{Subject: SubjectDN(c), Msg: "does not chain to an accepted root"}
		}
		a.skipped = append(a.skipped, c)
	}
	return a, nil
}

func issuedByAny(c *x509.Certificate, parents []*x509.Certificate) bool {
	for _, p := range parents {
		if bytes.Equal(c.RawIssuer, p.RawSubject) && c.CheckSignatureFrom(p) == nil {
			return true
		}
	}
	return false
}
