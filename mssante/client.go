package mssante

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/trust"
)

// Config configures a [Client]. Fields left zero take the documented
// defaults; Address, Auth and a trust anchor (RootCAs or UseSystemRoots)
// are required.
type Config struct {
	// Address is the mailbox (BAL) the client works for, and the From of
	// the messages that have none. Required. Its display name, if any,
	// must follow ECO.2.2.7 ([CheckDisplayName]).
	Address mail.Address
	// Operator gives the servers. Zero means discovered by DNS SRV
	// (RFC 6186) in the domain of Address (ECO.1.1.9), with the rule of
	// RFC 6186 §6: a record can be spoofed, and any valid IGC-Santé server
	// certificate would pass the TLS check for the host it names, so an SRV
	// target is used only when something binds it to the mail domain:
	//
	//   - it is the domain or one of its subdomains (smtp.medecin.mssante.fr
	//     for medecin.mssante.fr), its certificate checked for that name;
	//   - or the caller pinned it in SRVTargets;
	//   - or Trust knows the domain's operators ([DomainLookup]: a
	//     trust.List or trust.Source), and the target's certificate, besides
	//     being valid for the target's name, carries the identity of one of
	//     them as the liste blanche gives it in DNCertificatOperateur (its
	//     O, OU, ST and C; its CN only when the list gives nothing else).
	//     This is checked in the TLS handshake, before any credential.
	//
	// Any other target is refused with a [*DiscoveryError]
	// (ErrUntrustedSRVTarget) that tells to set Operator: nothing is sent
	// to it.
	Operator Operator
	// SRVTargets pins host names that DNS SRV discovery may lead to outside
	// the mail domain, e.g. "imap.operateur.example", when the caller knows
	// its operator's servers but wants the records' ports and priorities.
	// Nil means none.
	SRVTargets []string
	// Auth is how the client authenticates. Required.
	Auth Auth
	// Verifier checks the operator's certificate the IGC-Santé way (package
	// trust): its anchors become RootCAs when RootCAs is nil, and its checks
	// (usage, revocation: ECO.1.1.5, ECO.1.1.6) run at every handshake,
	// before TLS.VerifyConnection when that is set too (both must pass).
	// What it accepts with a warning (trust.RevocationSoftFail: a status
	// that could not be established) goes to OnTLSWarning and to the audit
	// as "tls.warning" events. Nil means only RootCAs is used.
	Verifier *trust.Verifier
	// OnTLSWarning, if set, receives each problem the TLS checks accepted
	// instead of refusing the connection: with a Verifier in
	// trust.RevocationSoftFail, a certificate of the operator's chain whose
	// revocation status could not be established. It is called after the
	// handshake, on the goroutine of the operation. Nil means the warnings
	// go to the audit only.
	OnTLSWarning func(TLSWarning)
	// RootCAs are the anchors the operator's certificate must chain to: the
	// IGC-Santé roots. Nil means Verifier's anchors; one of them, or
	// UseSystemRoots, is required.
	RootCAs *x509.CertPool
	// UseSystemRoots trusts the system's certificate store instead of
	// RootCAs. MSSanté operators use IGC-Santé certificates, which no system
	// store holds (ECO.1.1.10): set it only for another kind of server.
	UseSystemRoots bool
	// TLS tunes the TLS policy. Zero means the Ref#2 policy: TLS 1.2 or
	// newer, and for TLS 1.2 only the four ECDHE-RSA suites of ECO.1.1.3.
	TLS TLSPolicy
	// ProductRef is the X-MSS-NIL value put on every message whose own
	// ProductRef is empty: the product reference the ANS gave the software
	// (ECO.2.4.3). Required to send.
	ProductRef string
	// Trust decides which recipients may receive mail; Send refuses the
	// message before connecting when one is out (see [TrustError]). Nil
	// means every recipient is refused, unless AllowAnyRecipient is set.
	Trust RecipientChecker
	// AllowAnyRecipient disables the trust-space check of recipients. For
	// tests only: health data must not leave the trust space.
	AllowAnyRecipient bool
	// Audit receives an event for every mailbox operation (ECO.4.1.1). Nil
	// means no audit.
	Audit Auditor
	// Logger receives diagnostics. Nil means none.
	Logger *slog.Logger
	// DialTimeout bounds each connection attempt. Zero means 30 seconds.
	DialTimeout time.Duration
	// CommandTimeout bounds each protocol command. Zero means 2 minutes.
	CommandTimeout time.Duration
	// Resolver is used for DNS SRV discovery (and to resolve the
	// discovered hosts when it can, see [Resolver]). Nil means
	// net.DefaultResolver.
	Resolver Resolver
	// MaxMessageBytes bounds each message read from the server. Zero means
	// DefaultMaxMessageBytes.
	MaxMessageBytes int64
}

// Operator gives the servers of an operator.
type Operator struct {
	// SMTP is the submission server, host:port. Port 587 with STARTTLS
	// unless SMTPImplicitTLS.
	SMTP string
	// IMAP is the IMAP server, host:port. Port 143 with STARTTLS unless
	// IMAPImplicitTLS.
	IMAP string
	// SMTPImplicitTLS uses TLS from the first byte (port 465).
	SMTPImplicitTLS bool
	// IMAPImplicitTLS uses TLS from the first byte (port 993).
	IMAPImplicitTLS bool
}

// RecipientChecker decides whether an address belongs to the MSSanté trust
// space. Package trust's *List and *Source implement it; mssantetest
// provides one too.
type RecipientChecker interface {
	// CheckAddress returns nil when address (local@domain) may receive
	// MSSanté mail, or an error saying why not.
	CheckAddress(address string) error
}

// RecipientCheckerFunc adapts a function to RecipientChecker.
type RecipientCheckerFunc func(address string) error

// CheckAddress calls f.
func (f RecipientCheckerFunc) CheckAddress(address string) error { return f(address) }

// TLSPolicy tunes TLS. The zero value is the Ref#2 policy.
type TLSPolicy struct {
	// MinVersion is the lowest TLS version. Zero means TLS 1.2 (ECO.1.1.2).
	MinVersion uint16
	// CipherSuites are the TLS 1.2 suites offered (TLS 1.3 suites are not
	// configurable in Go). Nil means Ref2CipherSuites.
	CipherSuites []uint16
	// VerifyConnection, if set, runs after the chain is verified and after
	// Config.Verifier's checks, e.g. to pin a certificate; an error aborts
	// the handshake. It adds a check: it never replaces the Verifier's.
	VerifyConnection func(tls.ConnectionState) error
}

// Ref2CipherSuites are the TLS 1.2 suites Ref#2 ECO.1.1.3 allows.
var Ref2CipherSuites = []uint16{
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	0xC028, // TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: Go does not implement it; listed for servers that prefer it
}

// Client talks to one mailbox at its operator: SMTP submission to send,
// IMAP to receive. It is safe for concurrent use; IMAP commands are
// serialised on one connection, each Send uses its own SMTP connection.
type Client struct {
	cfg Config

	imapMu sync.Mutex
	imap   *imapConn // nil until first use

	closeOnce sync.Once
	closed    chan struct{}
}

// NewClient checks the configuration and returns a client. It does not
// connect: connections are made when needed.
func NewClient(cfg Config) (*Client, error) {
	if cfg.Address.IsZero() {
		return nil, errors.New("mssante: Config.Address is required")
	}
	if err := cfg.Address.Validate(); err != nil {
		return nil, fmt.Errorf("mssante: Config.Address: %w", err)
	}
	if err := mail.CheckDisplayName(cfg.Address.Name); err != nil {
		return nil, fmt.Errorf("mssante: Config.Address: %w", err)
	}
	if cfg.Auth.kind == authNone {
		return nil, errNoAuth
	}
	if v := cfg.Verifier; v != nil {
		if v.Anchors == nil {
			return nil, errors.New("mssante: Config.Verifier has no Anchors")
		}
		if cfg.RootCAs == nil {
			cfg.RootCAs = v.Anchors.RootPool()
		}
	}
	if cfg.RootCAs == nil && !cfg.UseSystemRoots {
		return nil, errors.New("mssante: Config.Verifier or Config.RootCAs is required (the IGC-Santé anchors; see package trust)")
	}
	if cfg.Trust == nil && !cfg.AllowAnyRecipient {
		return nil, errors.New("mssante: Config.Trust is required to check recipients (or set AllowAnyRecipient in tests)")
	}
	if err := mail.CheckProductRef(cfg.ProductRef); err != nil {
		return nil, err
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 30 * time.Second
	}
	if cfg.CommandTimeout == 0 {
		cfg.CommandTimeout = 2 * time.Minute
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxMessageBytes == 0 {
		cfg.MaxMessageBytes = mail.DefaultMaxMessageBytes
	}
	return &Client{cfg: cfg, closed: make(chan struct{})}, nil
}

// Address returns the mailbox the client works for.
func (c *Client) Address() mail.Address { return c.cfg.Address }

// Close closes the client's connections. Operations after Close fail with
// ErrClosed.
func (c *Client) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	c.imapMu.Lock()
	defer c.imapMu.Unlock()
	if c.imap != nil {
		err := c.imap.close()
		c.imap = nil
		return err
	}
	return nil
}

func (c *Client) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// connTLS is what the TLS checks of one connection need, and what they
// collect.
type connTLS struct {
	serverName string // the name the certificate must carry
	// binding, for an SRV target bound by the liste blanche only, is
	// checked after the Verifier.
	binding *operatorBinding

	mu       sync.Mutex
	warnings []error
}

func (t *connTLS) warn(_ tls.ConnectionState, w []error) {
	t.mu.Lock()
	t.warnings = append(t.warnings, w...)
	t.mu.Unlock()
}

// TLSWarning is a problem the TLS checks of a connection accepted instead
// of refusing it (see Config.OnTLSWarning).
type TLSWarning struct {
	Server string // host:port
	// Err is the problem: with trust.RevocationSoftFail, a
	// *trust.CertificateError wrapping trust.ErrRevocationUnknown.
	Err error
}

// reportTLS gives the warnings a handshake collected to the audit and to
// Config.OnTLSWarning.
func (c *Client) reportTLS(ctx context.Context, server string, t *connTLS) {
	t.mu.Lock()
	warnings := t.warnings
	t.warnings = nil
	t.mu.Unlock()
	for _, w := range warnings {
		c.audit(ctx, "tls.warning", t.serverName, server, w)
		if c.cfg.OnTLSWarning != nil {
			c.cfg.OnTLSWarning(TLSWarning{Server: server, Err: w})
		}
	}
}

// tlsConfig returns the TLS configuration of one connection. Its
// VerifyConnection runs, in order, the Verifier's checks, the operator
// binding of a discovered SRV target, and TLSPolicy.VerifyConnection; all
// must pass.
func (c *Client) tlsConfig(t *connTLS) *tls.Config {
	p := c.cfg.TLS
	conf := &tls.Config{
		ServerName:   t.serverName,
		MinVersion:   p.MinVersion,
		CipherSuites: p.CipherSuites,
		RootCAs:      c.cfg.RootCAs,
	}
	var checks []func(tls.ConnectionState) error
	if v := c.cfg.Verifier; v != nil {
		checks = append(checks, v.VerifyConnectionWithWarnings(trust.UsageServer, t.warn))
	}
	if t.binding != nil {
		checks = append(checks, t.binding.check)
	}
	if p.VerifyConnection != nil {
		checks = append(checks, p.VerifyConnection)
	}
	if len(checks) > 0 {
		conf.VerifyConnection = func(cs tls.ConnectionState) error {
			// No SNI is sent to an IP address, so the state has no server
			// name: give the checks the one that was dialled.
			if cs.ServerName == "" {
				cs.ServerName = t.serverName
			}
			for _, check := range checks {
				if err := check(cs); err != nil {
					return &verifyConnectionError{err}
				}
			}
			return nil
		}
	}
	if conf.MinVersion == 0 {
		conf.MinVersion = tls.VersionTLS12
	}
	if conf.CipherSuites == nil {
		conf.CipherSuites = Ref2CipherSuites
	}
	if c.cfg.UseSystemRoots {
		conf.RootCAs = nil
	}
	if cert := c.cfg.Auth.clientCertificate(); cert != nil {
		conf.Certificates = []tls.Certificate{*cert}
	}
	return conf
}

// tlsError wraps a handshake failure with what the server presented.
func tlsError(server string, conn net.Conn, err error) error {
	e := &TLSError{Server: server, Err: err}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) && len(certErr.UnverifiedCertificates) > 0 {
		e.Subject = certErr.UnverifiedCertificates[0].Subject.String()
		e.Issuer = certErr.UnverifiedCertificates[0].Issuer.String()
	}
	return e
}

// Config returns the client's configuration with its defaults applied
// (Logger, timeouts, MaxMessageBytes...). Its Auth still redacts its
// secrets when printed.
func (c *Client) Config() Config { return c.cfg }

// Audit records an event of the mailbox (actor: Config.Address) through
// Config.Audit, as the client does for each of its own operations. Package
// delivery's Outbox records its events this way, so that one trail holds
// them all.
func (c *Client) Audit(ctx context.Context, action, object string, err error) {
	c.audit(ctx, action, object, "", err)
}

// audit sends an event to the configured auditor.
func (c *Client) audit(ctx context.Context, action, object, server string, err error) {
	if c.cfg.Audit == nil {
		return
	}
	c.cfg.Audit.Audit(ctx, AuditEvent{Time: time.Now(), Actor: c.cfg.Address.Addr, Action: action, Object: object, Server: server, Err: err})
}

// watchContext closes conn when ctx is done before stop is called: the
// mail libraries take no context, so cancellation closes the connection.
func watchContext(ctx context.Context, conn io.Closer) (stop func()) {
	if ctx.Done() == nil {
		return func() {}
	}
	done := make(chan struct{})
	var once sync.Once
	go func() {
		select {
		case <-ctx.Done():
			conn.Close()
		case <-done:
		}
	}()
	return func() { once.Do(func() { close(done) }) }
}
