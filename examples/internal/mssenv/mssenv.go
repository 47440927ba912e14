// Package mssenv builds an mssante.Config from MSSANTE_* environment
// variables, for the examples and the mss tool. Copy it into your
// integration and adapt it: it shows every piece a real operator needs.
//
//	MSSANTE_ADDRESS        the mailbox (BAL), required
//	MSSANTE_SMTP           submission server host:port (empty: DNS SRV)
//	MSSANTE_IMAP           IMAP server host:port (empty: DNS SRV)
//	MSSANTE_SRV_TARGETS    with DNS SRV: comma-separated host names the records
//	                       may name outside the mailbox's domain (pinned)
//	MSSANTE_IMPLICIT_TLS   "1": ports 465/993 style TLS instead of STARTTLS
//	MSSANTE_TOKEN          a Pro Santé Connect access token (XOAUTH2), or
//	MSSANTE_CERT + MSSANTE_KEY          BAL APP certificate and key (PEM), or
//	MSSANTE_P12 + MSSANTE_P12_PASSWORD  BAL APP certificate (PKCS#12), or
//	MSSANTE_PASSWORD       a password (test operators and mss sandbox only)
//	MSSANTE_ANCHORS        IGC-Santé CA bundle (.p7b or PEM), required
//	MSSANTE_ANCHORS_AS_GIVEN  "1": trust the bundle's roots without the
//	                       fingerprint check (IGC-Santé TEST hierarchy)
//	MSSANTE_REVOCATION     hard (default), soft or off
//	MSSANTE_TRUST_LIST     liste blanche file or https URL, required
//	MSSANTE_PRODUCT_REF    the X-MSS-NIL product reference, required
//
// Exactly one way of authenticating is set. [Load] checks every variable
// before it fails, and its *[ConfigError] lists all that are missing or
// wrong at once, so that a configuration is fixed in one pass.
//
// # The anchors file
//
// The roots of MSSANTE_ANCHORS must be production IGC-Santé roots the SDK
// knows by fingerprint (trust.KnownRoots); the bundle's other roots (the
// STANDARD and FORT hierarchies of the ANS .p7b) are left out, so that a
// wrong or altered file cannot bring a root of its own. The file's roots are
// trusted as given, without that check, in two cases:
//
//   - MSSANTE_ANCHORS_AS_GIVEN=1, for the IGC-Santé TEST hierarchy of an
//     operator's qualification platform;
//   - servers on loopback: MSSANTE_SMTP and MSSANTE_IMAP both name
//     localhost, 127.0.0.0/8 or ::1 (mss sandbox, a test operator on the
//     same machine), whose PKI is made on the spot and cannot have a known
//     fingerprint. A connection to loopback never leaves the machine, so no
//     other party can present a certificate under that root.
package mssenv

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"

	"golang.org/x/oauth2"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/trust"
)

// Getenv reads a variable; os.Getenv in programs, a map in tests.
type Getenv func(string) string

// Configured reports whether MSSANTE_ADDRESS is set.
func Configured(getenv Getenv) bool { return getenv("MSSANTE_ADDRESS") != "" }

// Options tune [LoadWith]. A nil *Options means the zero value of each field.
type Options struct {
	// Progress, if set, is called as the liste blanche downloads (when
	// MSSANTE_TRUST_LIST is a URL) with the bytes read so far and the
	// expected total, -1 when the server does not say. It is called from
	// the goroutine of LoadWith. Nil: no calls.
	Progress func(done, total int64)
}

// VarError is one variable (or pair of variables) that is missing or wrong.
type VarError struct {
	Name string // "MSSANTE_ANCHORS", or "MSSANTE_CERT/MSSANTE_KEY" for a pair
	Err  error
}

func (e *VarError) Error() string { return e.Name + ": " + e.Err.Error() }
func (e *VarError) Unwrap() error { return e.Err }

// ConfigError lists every variable that is missing or wrong, in the order
// of the package documentation. errors.As reaches each *VarError, and
// errors.Is the errors they wrap (trust.ErrBadBundle, say).
type ConfigError struct {
	Problems []*VarError
}

func (e *ConfigError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Error()
	}
	if len(parts) == 1 {
		return "mssenv: " + parts[0]
	}
	return fmt.Sprintf("mssenv: %d settings to fix: %s", len(parts), strings.Join(parts, "; "))
}

// Unwrap returns the problems.
func (e *ConfigError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p
	}
	return out
}

// Load builds the configuration. It reads the anchors and the trust list
// (downloading the list when MSSANTE_TRUST_LIST is a URL). It is LoadWith
// without options.
func Load(ctx context.Context, getenv Getenv) (mssante.Config, error) {
	return LoadWith(ctx, getenv, nil)
}

// LoadWith builds the configuration, reading the anchors and the trust list.
// It checks every variable first: the error, a *ConfigError, names all the
// variables that are missing or wrong. On error the Config is the zero value.
func LoadWith(ctx context.Context, getenv Getenv, opts *Options) (mssante.Config, error) {
	if opts == nil {
		opts = &Options{}
	}
	var cfg mssante.Config
	var problems []*VarError
	fail := func(name string, err error) { problems = append(problems, &VarError{Name: name, Err: err}) }
	failf := func(name, format string, args ...any) { fail(name, fmt.Errorf(format, args...)) }

	if a := getenv("MSSANTE_ADDRESS"); a == "" {
		failf("MSSANTE_ADDRESS", "required: the address of the mailbox (BAL)")
	} else if addr, err := mail.ParseAddress(a); err != nil {
		fail("MSSANTE_ADDRESS", err)
	} else {
		cfg.Address = addr
	}

	implicit := false
	switch v := getenv("MSSANTE_IMPLICIT_TLS"); v {
	case "", "0":
	case "1":
		implicit = true
	default:
		failf("MSSANTE_IMPLICIT_TLS", "%q: want 1 (implicit TLS) or 0 (STARTTLS, the default)", v)
	}
	cfg.Operator = mssante.Operator{SMTP: getenv("MSSANTE_SMTP"), IMAP: getenv("MSSANTE_IMAP"), SMTPImplicitTLS: implicit, IMAPImplicitTLS: implicit}
	for _, s := range []struct{ name, addr string }{{"MSSANTE_SMTP", cfg.Operator.SMTP}, {"MSSANTE_IMAP", cfg.Operator.IMAP}} {
		if s.addr == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(s.addr); err != nil || port == "" {
			failf(s.name, "%q: want host:port (empty: DNS SRV discovery)", s.addr)
		}
	}
	// DNS SRV targets outside the mailbox's domain are refused unless the
	// liste blanche binds them to the domain's operator, or they are pinned.
	for _, h := range strings.Split(getenv("MSSANTE_SRV_TARGETS"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			cfg.SRVTargets = append(cfg.SRVTargets, h)
		}
	}

	loadAuth(getenv, cfg.Address, &cfg, fail)

	var anchors *trust.Anchors
	bundle := getenv("MSSANTE_ANCHORS")
	asGiven := false
	switch v := getenv("MSSANTE_ANCHORS_AS_GIVEN"); v {
	case "", "0":
	case "1":
		asGiven = true
	default:
		failf("MSSANTE_ANCHORS_AS_GIVEN", "%q: want 1 or 0", v)
	}
	if bundle == "" {
		failf("MSSANTE_ANCHORS", "required: the IGC-Santé CA bundle (.p7b or PEM, from %s)", trust.DefaultBundleURL)
	} else if a, err := loadAnchors(bundle, asGiven || onLoopback(cfg.Operator)); err != nil {
		fail("MSSANTE_ANCHORS", err)
	} else {
		anchors = a
	}
	v := &trust.Verifier{Anchors: anchors}
	switch r := getenv("MSSANTE_REVOCATION"); r {
	case "", "hard":
	case "soft":
		v.Revocation = trust.RevocationSoftFail
	case "off":
		v.Revocation = trust.RevocationOff
	default:
		failf("MSSANTE_REVOCATION", "%q: want hard (the default), soft or off", r)
	}
	cfg.Verifier = v // IGC-Santé roots, usage and revocation checks

	if p := getenv("MSSANTE_PRODUCT_REF"); p == "" {
		failf("MSSANTE_PRODUCT_REF", "required: the X-MSS-NIL reference the ANS gave your product")
	} else if err := mail.CheckProductRef(p); err != nil {
		fail("MSSANTE_PRODUCT_REF", err)
	} else {
		cfg.ProductRef = p
	}

	listLoc := getenv("MSSANTE_TRUST_LIST")
	remote := strings.HasPrefix(listLoc, "https://") || strings.HasPrefix(listLoc, "http://")
	switch {
	case listLoc == "":
		failf("MSSANTE_TRUST_LIST", "required: the liste blanche, a file or %s", trust.DefaultListURL)
	case remote && anchors == nil:
		// The ANS server has an IGC-Santé certificate: without anchors
		// the download cannot be trusted (MSSANTE_ANCHORS is reported).
	default:
		src := &trust.Source{Location: listLoc, Anchors: anchors}
		if remote && opts.Progress != nil {
			src.HTTPClient = ProgressClient(anchors.HTTPClient(0), opts.Progress)
		}
		if _, err := src.Refresh(ctx); err != nil {
			fail("MSSANTE_TRUST_LIST", err)
		} else {
			cfg.Trust = src
		}
	}

	if len(problems) > 0 {
		return mssante.Config{}, &ConfigError{Problems: problems}
	}
	return cfg, nil
}

// loadAuth sets cfg.Auth from the one way of authenticating that is set.
func loadAuth(getenv Getenv, addr mail.Address, cfg *mssante.Config, fail func(string, error)) {
	var set []string
	for _, name := range []string{"MSSANTE_TOKEN", "MSSANTE_CERT", "MSSANTE_P12", "MSSANTE_PASSWORD"} {
		if getenv(name) != "" {
			set = append(set, name)
		}
	}
	if getenv("MSSANTE_KEY") != "" && getenv("MSSANTE_CERT") == "" {
		fail("MSSANTE_KEY", errors.New("set with no MSSANTE_CERT"))
		return
	}
	switch len(set) {
	case 0:
		fail("MSSANTE_TOKEN", errors.New("no way to authenticate: set MSSANTE_TOKEN, MSSANTE_CERT and MSSANTE_KEY, MSSANTE_P12, or MSSANTE_PASSWORD"))
		return
	case 1:
	default:
		fail(set[0], fmt.Errorf("set only one way to authenticate, not %s", strings.Join(set, " and ")))
		return
	}
	switch set[0] {
	case "MSSANTE_TOKEN":
		cfg.Auth = mssante.OAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: getenv("MSSANTE_TOKEN")}))
	case "MSSANTE_CERT":
		if getenv("MSSANTE_KEY") == "" {
			fail("MSSANTE_KEY", errors.New("required with MSSANTE_CERT: the certificate's private key (PEM)"))
			return
		}
		cert, err := tls.LoadX509KeyPair(getenv("MSSANTE_CERT"), getenv("MSSANTE_KEY"))
		if err != nil {
			fail("MSSANTE_CERT/MSSANTE_KEY", err)
			return
		}
		cfg.Auth = mssante.Certificate(cert)
	case "MSSANTE_P12":
		data, err := os.ReadFile(getenv("MSSANTE_P12"))
		if err != nil {
			fail("MSSANTE_P12", err)
			return
		}
		cert, err := mssante.CertificateFromPKCS12(data, getenv("MSSANTE_P12_PASSWORD"))
		if err != nil {
			fail("MSSANTE_P12", err)
			return
		}
		cfg.Auth = mssante.Certificate(cert)
	case "MSSANTE_PASSWORD":
		if !addr.IsZero() {
			cfg.Auth = mssante.Password(addr.Addr, getenv("MSSANTE_PASSWORD"))
		}
	}
}

// loadAnchors reads the CA bundle. The ANS bundle also holds the STANDARD
// and FORT hierarchies, whose roots the SDK does not know: only the known
// ones are kept, unless the roots are trusted as given (see the package
// documentation).
func loadAnchors(path string, asGiven bool) (*trust.Anchors, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	opts := &trust.AnchorOptions{SkipUnknownRoots: true}
	if asGiven {
		opts = &trust.AnchorOptions{TrustBundleRoots: true}
	}
	a, err := trust.ParseAnchors(data, opts)
	if errors.Is(err, trust.ErrBadBundle) && !asGiven {
		return nil, fmt.Errorf("%w (%s holds no production IGC-Santé root the SDK knows; for the IGC-Santé TEST hierarchy set MSSANTE_ANCHORS_AS_GIVEN=1)", err, path)
	}
	return a, err
}

// onLoopback reports whether both servers are set and on the loopback
// interface.
func onLoopback(op mssante.Operator) bool {
	for _, hp := range []string{op.SMTP, op.IMAP} {
		host, _, err := net.SplitHostPort(hp)
		if err != nil {
			return false
		}
		if strings.EqualFold(host, "localhost") {
			continue
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return false
		}
	}
	return true
}

// ProgressClient returns c with the bytes of each response body reported
// to progress as they are read: done and total of that body (total -1 when
// the length is unknown). It returns c itself when progress is nil.
func ProgressClient(c *http.Client, progress func(done, total int64)) *http.Client {
	if progress == nil {
		return c
	}
	cc := *c
	cc.Transport = &progressTransport{base: c.Transport, progress: progress}
	return &cc
}

// progressTransport reports the bytes of each response body as they are
// read.
type progressTransport struct {
	base     http.RoundTripper
	progress func(done, total int64)
}

func (t *progressTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &progressBody{ReadCloser: resp.Body, total: resp.ContentLength, progress: t.progress}
	return resp, nil
}

type progressBody struct {
	io.ReadCloser
	done, total int64
	progress    func(done, total int64)
}

func (b *progressBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.done += int64(n)
		b.progress(b.done, b.total)
	}
	return n, err
}
