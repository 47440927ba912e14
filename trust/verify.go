package trust

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Usage is what a certificate is verified for. It selects the extended key
// usage required of the whole chain.
type Usage int

// Usages. The zero value means UsageServer, as in x509.VerifyOptions.
const (
	UsageServer Usage = iota + 1 // TLS server (serverAuth): an operator's SMTP/IMAP server
	UsageClient                  // TLS client (clientAuth): a BAL APP organisation certificate
	UsageEmail                   // e-mail protection (emailProtection): S/MIME and ORG SIGN seals
)

// String returns "server", "client" or "email".
func (u Usage) String() string {
	switch u {
	case UsageClient:
		return "client"
	case UsageEmail:
		return "email"
	}
	return "server"
}

func (u Usage) extKeyUsage() x509.ExtKeyUsage {
	switch u {
	case UsageClient:
		return x509.ExtKeyUsageClientAuth
	case UsageEmail:
		return x509.ExtKeyUsageEmailProtection
	}
	return x509.ExtKeyUsageServerAuth
}

// RevocationPolicy says what a Verifier does about revocation.
type RevocationPolicy int

// Revocation policies. The zero value is RevocationHardFail: ECO.1.1.6
// requires the check.
const (
	// RevocationHardFail refuses a certificate whose status cannot be
	// established: no good OCSP answer and no valid CRL (a cached CRL that has
	// not passed its nextUpdate counts, ECO.1.1.7).
	RevocationHardFail RevocationPolicy = iota
	// RevocationSoftFail refuses revoked certificates but accepts one whose
	// status cannot be established, with a warning in Result.Warnings.
	RevocationSoftFail
	// RevocationOff skips revocation checks (tests, offline inspection).
	RevocationOff
)

// String returns "hard-fail", "soft-fail" or "off".
func (p RevocationPolicy) String() string {
	switch p {
	case RevocationSoftFail:
		return "soft-fail"
	case RevocationOff:
		return "off"
	}
	return "hard-fail"
}

// Verifier checks IGC-Santé certificates: chain to the anchors, validity
// dates, extended key usage, host name, and revocation by OCSP then CRL.
// Set the fields before first use and do not change them afterwards; a
// Verifier is then safe for concurrent use.
type Verifier struct {
	// Anchors are the trusted roots and known intermediates. Required: with
	// nil, every verification fails with ErrNoAnchors.
	Anchors *Anchors

	// Revocation is the revocation policy. Zero: RevocationHardFail.
	Revocation RevocationPolicy

	// HTTPClient fetches CRLs and OCSP answers. Zero: a client with a 30 s
	// timeout. Used for CRLs only when CRLs is nil.
	HTTPClient *http.Client

	// CRLs caches CRLs across verifications. Zero: a cache private to this
	// Verifier, using HTTPClient and Clock.
	CRLs *CRLCache

	// DisableOCSP skips OCSP and checks CRLs only. Zero: OCSP is asked first
	// when the certificate names a responder, CRLs serve as fallback.
	DisableOCSP bool

	// OCSPMaxAge is how old (from its thisUpdate) an OCSP answer without
	// nextUpdate may be. Zero: DefaultOCSPMaxAge (7 days).
	OCSPMaxAge time.Duration

	// Clock gives the time certificates, CRLs and OCSP answers are checked
	// at (unless VerifyOptions.CurrentTime says otherwise). Nil: the system
	// clock.
	Clock Clock

	// Timeout bounds the revocation checks made from TLS callbacks, which get
	// no context. Zero: 15 s.
	Timeout time.Duration

	once sync.Once
	crls *CRLCache
	ocsp *ocspCache
}

// VerifyOptions are the per-call settings of Verify. A nil *VerifyOptions
// means UsageServer at the Verifier's current time, without host name check.
type VerifyOptions struct {
	// Usage is the extended key usage required. Zero: UsageServer.
	Usage Usage

	// DNSName, when set, must be named by the certificate (server
	// certificates). Zero: not checked.
	DNSName string

	// Intermediates are extra intermediate CAs, usually the chain the peer
	// sent. The anchors' intermediates are always available. Zero: none.
	Intermediates []*x509.Certificate

	// CurrentTime is the time to verify at, e.g. the signing time of an
	// archived message. Zero: the Verifier's Clock.
	CurrentTime time.Time
}

// Result is a successful verification.
type Result struct {
	// Chain runs from the certificate to its root.
	Chain []*x509.Certificate
	// Identity is what the certificate says about its holder.
	Identity Identity
	// Revocation says how each certificate of the chain but the root was
	// checked, in chain order. Empty with RevocationOff.
	Revocation []RevocationStatus
	// Warnings holds revocation problems accepted by RevocationSoftFail.
	Warnings []error
}

// CertificateError reports a certificate that failed verification.
// errors.Is works with its Err, one of ErrUntrusted, ErrExpired,
// ErrWrongUsage, ErrHostname, ErrRevoked, ErrRevocationUnknown, ErrNoAnchors.
type CertificateError struct {
	Subject string // subject DN of the certificate concerned
	Err     error  // the sentinel
	Detail  string // more, for a human
}

func (e *CertificateError) Error() string {
	msg := fmt.Sprintf("%v: %q", e.Err, e.Subject)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

func (e *CertificateError) Unwrap() error { return e.Err }

func (v *Verifier) now() time.Time { return clockOr(v.Clock).Now() }

func (v *Verifier) init() {
	v.once.Do(func() {
		v.crls = v.CRLs
		if v.crls == nil {
			v.crls = &CRLCache{HTTPClient: v.HTTPClient, Clock: v.Clock}
		}
		v.ocsp = &ocspCache{m: make(map[ocspKey]ocspEntry)}
	})
}

// Verify checks cert for opts.Usage: chain to the anchors (at
// opts.CurrentTime), extended key usage along the chain, host name, then
// revocation of every certificate of the chain but the root, according to
// the policy. It returns a *CertificateError on failure.
func (v *Verifier) Verify(ctx context.Context, cert *x509.Certificate, opts *VerifyOptions) (*Result, error) {
	if opts == nil {
		opts = &VerifyOptions{}
	}
	subject := SubjectDN(cert)
	if v.Anchors == nil {
		return nil, &CertificateError{Subject: subject, Err: ErrNoAnchors}
	}
	now := opts.CurrentTime
	if now.IsZero() {
		now = v.now()
	}
	chain, err := v.chain(cert, opts, now)
	if err != nil {
		return nil, err
	}
	res := &Result{Chain: chain, Identity: IdentityOf(cert)}
	if v.Revocation == RevocationOff {
		return res, nil
	}
	v.init()
	// Freshness of CRLs and OCSP answers is judged at the real current time,
	// even when the chain is verified at another (opts.CurrentTime).
	clock := v.now()
	for i := 0; i < len(chain)-1; i++ {
		st := v.revocationStatus(ctx, chain[i], chain[i+1], clock)
		res.Revocation = append(res.Revocation, st)
		switch {
		case st.Revoked:
			return nil, &CertificateError{Subject: SubjectDN(chain[i]), Err: ErrRevoked,
				Detail: fmt.Sprintf("revoked on %s (%s)", st.RevokedAt.UTC().Format(time.RFC3339), st.Source)}
		case st.Source == "":
			if v.Revocation == RevocationHardFail {
				return nil, &CertificateError{Subject: SubjectDN(chain[i]), Err: ErrRevocationUnknown, Detail: errorsText(st.Errors)}
			}
			res.Warnings = append(res.Warnings, &CertificateError{Subject: SubjectDN(chain[i]), Err: ErrRevocationUnknown, Detail: errorsText(st.Errors)})
		}
	}
	return res, nil
}

// chain runs x509 verification and maps its errors to ours.
func (v *Verifier) chain(cert *x509.Certificate, opts *VerifyOptions, now time.Time) ([]*x509.Certificate, error) {
	inter := v.Anchors.IntermediatePool()
	for _, c := range opts.Intermediates {
		inter.AddCert(c)
	}
	roots := v.Anchors.rootPool
	if roots == nil {
		roots = x509.NewCertPool() // a zero Anchors trusts nothing, not the system pool
	}
	xo := x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		DNSName:       opts.DNSName,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{opts.Usage.extKeyUsage()},
	}
	chains, err := cert.Verify(xo)
	if err == nil {
		return chains[0], nil
	}
	subject := SubjectDN(cert)
	var inv x509.CertificateInvalidError
	var unk x509.UnknownAuthorityError
	var host x509.HostnameError
	switch {
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		// x509 reports expiry first. A certificate that is both expired and
		// foreign is foreign: say so, it is the more useful message.
		mid := cert.NotBefore.Add(cert.NotAfter.Sub(cert.NotBefore) / 2)
		xo.CurrentTime, xo.DNSName = mid, ""
		if _, err2 := cert.Verify(xo); errors.As(err2, &unk) {
			return nil, &CertificateError{Subject: subject, Err: ErrUntrusted, Detail: "issuer " + IssuerDN(cert) + " is not under the IGC-Santé anchors (and the certificate is expired)"}
		}
		return nil, &CertificateError{Subject: subject, Err: ErrExpired, Detail: fmt.Sprintf("valid %s to %s, checked at %s",
			cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))}
	case errors.As(err, &inv) && inv.Reason == x509.IncompatibleUsage:
		return nil, &CertificateError{Subject: subject, Err: ErrWrongUsage, Detail: fmt.Sprintf("not valid for %s use (extended key usage %s)", opts.Usage, ekuNames(cert))}
	case errors.As(err, &unk):
		return nil, &CertificateError{Subject: subject, Err: ErrUntrusted, Detail: "issuer " + IssuerDN(cert) + " is not under the IGC-Santé anchors"}
	case errors.As(err, &host):
		return nil, &CertificateError{Subject: subject, Err: ErrHostname, Detail: host.Error()}
	}
	return nil, &CertificateError{Subject: subject, Err: ErrUntrusted, Detail: err.Error()}
}

// ekuNames lists a certificate's extended key usages for messages.
func ekuNames(c *x509.Certificate) string {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return "none"
	}
	s := ""
	for _, u := range c.ExtKeyUsage {
		if s != "" {
			s += ", "
		}
		s += ekuName(u)
	}
	for _, o := range c.UnknownExtKeyUsage {
		if s != "" {
			s += ", "
		}
		s += o.String()
	}
	return s
}

// ekuName names an extended key usage as OpenSSL short names do.
func ekuName(u x509.ExtKeyUsage) string {
	switch u {
	case x509.ExtKeyUsageAny:
		return "any"
	case x509.ExtKeyUsageServerAuth:
		return "serverAuth"
	case x509.ExtKeyUsageClientAuth:
		return "clientAuth"
	case x509.ExtKeyUsageCodeSigning:
		return "codeSigning"
	case x509.ExtKeyUsageEmailProtection:
		return "emailProtection"
	case x509.ExtKeyUsageTimeStamping:
		return "timeStamping"
	case x509.ExtKeyUsageOCSPSigning:
		return "OCSPSigning"
	case x509.ExtKeyUsageMicrosoftServerGatedCrypto:
		return "msSGC"
	}
	return fmt.Sprintf("eku(%d)", int(u))
}

func errorsText(errs []error) string {
	if len(errs) == 0 {
		return "the certificate names no OCSP responder and no HTTP CRL"
	}
	s := ""
	for i, err := range errs {
		if i > 0 {
			s += "; "
		}
		s += err.Error()
	}
	return s
}
