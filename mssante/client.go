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
	"sync/atomic"
	"time"

	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/trust"
)

// Config configures a [Client]. Fields left zero take the documented
// defaults. Required: Address, Auth, the anchors of the operator's
// certificate (Verifier, RootCAs or UseSystemRoots), Trust (or
// AllowAnyRecipient in tests) and, to send, ProductRef. [NewClient] takes
// it by value, not as a nil-able *Options: it has required fields, so
// there are no defaults to fall back on.
type Config struct {
	// Address is the mailbox (BAL) the client works for, and the From of
	// the messages that have none. Required. Its display name, if any,
	// must follow ECO.2.2.7 ([mail.CheckDisplayName]).
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
	//     O, OU, ST and C; the whole DN, CN included, when the list gives no
	//     O or OU). This is checked in the TLS handshake, before any
	//     credential.
	//
	// For IMAP both _imap._tcp (STARTTLS) and _imaps._tcp (implicit TLS)
	// are looked up and their priorities compared (RFC 6186 §3.4); on a
	// tie the client takes STARTTLS on 143, which Ref#2 ECO.1.0.2 names.
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
	// newer, and for TLS 1.2 only the ECO.1.1.3 suites Go implements
	// safely ([Ref2CipherSuites]).
	TLS TLSPolicy
	// ProductRef is the X-MSS-NIL value put on every message whose own
	// ProductRef is empty: the product reference the ANS gave the software
	// (ECO.2.4.3). Required to send.
	ProductRef string
	// Trust decides which recipients may receive mail: a *trust.Source
	// (the liste blanche kept fresh) or a *trust.List. Send refuses the
	// message before connecting when one is out (a [*TrustError] wrapping
	// what Trust said of each, a *trust.AddressError from package trust).
	// Required: NewClient refuses a nil Trust unless AllowAnyRecipient is
	// set.
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
	// TLS 1.3 is offered too: Ref#2 v1.0.1 asks for TLS 1.2 "minimum"
	// (SC.MSS/CONF.01), where its v0.1 said TLS 1.2 alone; set
	// MaxVersion for an operator that cannot negotiate it.
	MinVersion uint16
	// MaxVersion is the highest TLS version. Zero means TLS 1.3.
	MaxVersion uint16
	// CipherSuites are the TLS 1.2 suites offered (TLS 1.3 suites are not
	// configurable in Go). Nil means Ref2CipherSuites().
	CipherSuites []uint16
	// VerifyConnection, if set, runs after the chain is verified and after
	// Config.Verifier's checks, e.g. to pin a certificate; an error aborts
	// the handshake. It adds a check: it never replaces the Verifier's.
	VerifyConnection func(tls.ConnectionState) error
}

// Ref2CipherSuites returns the TLS 1.2 suites the client offers by
// default, a new slice at each call: those of Ref#2 ECO.1.1.3 that Go
// implements safely, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 and
// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256. ECO.1.1.3 also lists
// TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, which Go does not implement, and
// TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, which Go classes as insecure. The
// list is package trust's (trust.TLS12CipherSuites), which
// trust.Verifier.ClientTLSConfig uses too.
func Ref2CipherSuites() []uint16 { return trust.TLS12CipherSuites() }

// Client talks to one mailbox at its operator: SMTP submission to send,
// IMAP to receive. It is safe for concurrent use; IMAP commands are
// serialised on one connection, each Send uses its own SMTP connection.
//
// Make a Client with [NewClient] only. The zero Client is a closed one:
// its methods return ErrClosed and its Close does nothing.
type Client struct {
	cfg Config

	// life is cancelled (cause ErrClosed) by Close: every operation runs
	// under a context that ends with it.
	life     context.Context
	closeNow context.CancelCauseFunc

	imapMu sync.Mutex
	imap   *imapConn // nil until first use
	// imapAddr is the IMAP server last connected to, for the audit events
	// of a server found by DNS SRV.
	imapAddr atomic.Pointer[string]

	connsMu sync.Mutex
	conns   map[io.Closer]struct{} // Watch's connections, the Submissions'
}

// NewClient checks the configuration and returns a client. It does not
// connect: connections are made when needed. It takes Config by value on
// purpose: the configuration has required fields, so there is no
// nil-means-defaults to offer, and the client keeps its own copy.
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
	c := &Client{cfg: cfg, conns: map[io.Closer]struct{}{}}
	c.life, c.closeNow = context.WithCancelCause(context.Background())
	return c, nil
}

// Address returns the mailbox the client works for.
func (c *Client) Address() mail.Address { return c.cfg.Address }

// Close ends everything the client started: the operations in progress
// (they return ErrClosed), Watch (which returns ErrClosed), the open
// Submissions (their connections are closed without QUIT: a message in the
// middle of DATA is not sent) and the IMAP connection (LOGOUT). The
// connections of Watch and of the Submissions are closed, and the IMAP one
// logged out, before Close returns; one still being opened is closed by
// its dial or handshake, which see the cancellation. Operations after
// Close fail with ErrClosed. Only the first call does something; it
// returns the error of the IMAP LOGOUT, if any.
func (c *Client) Close() error {
	if c.closeNow == nil || c.life.Err() != nil {
		return nil // the zero Client, or closed already
	}
	c.closeNow(ErrClosed)
	c.connsMu.Lock()
	for conn := range c.conns {
		conn.Close()
	}
	clear(c.conns)
	c.connsMu.Unlock()
	c.imapMu.Lock()
	defer c.imapMu.Unlock()
	if c.imap == nil {
		return nil
	}
	ic := c.imap
	c.imap = nil
	if ic.broken() {
		return nil // an operation cut short by Close closed it already
	}
	return ic.close()
}

// isClosed reports whether Close was called, or whether c is the zero
// Client.
func (c *Client) isClosed() bool { return c.life == nil || c.life.Err() != nil }

// opContext returns the context of one operation: it ends with ctx and
// with Close, whose cause is then ErrClosed. Call stop when the operation
// is over.
func (c *Client) opContext(ctx context.Context) (_ context.Context, stop func()) {
	op, cancel := context.WithCancelCause(ctx)
	unhook := context.AfterFunc(c.life, func() { cancel(ErrClosed) })
	return op, func() {
		unhook()
		cancel(nil)
	}
}

// track registers a connection that Close must close (a Watch
// connection, a Submission's), and returns its release. It returns false, and
// closes conn, when the client is closed already.
func (c *Client) track(conn io.Closer) (release func(), ok bool) {
	c.connsMu.Lock()
	defer c.connsMu.Unlock()
	if c.isClosed() {
		conn.Close()
		return nil, false
	}
	c.conns[conn] = struct{}{}
	return func() {
		c.connsMu.Lock()
		delete(c.conns, conn)
		c.connsMu.Unlock()
	}, true
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
		MaxVersion:   p.MaxVersion,
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
		conf.CipherSuites = Ref2CipherSuites()
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
