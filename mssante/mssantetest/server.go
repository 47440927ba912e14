package mssantetest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-smtp"

	"github.com/mssante-go/sdk/internal/sysclock"
	"github.com/mssante-go/sdk/internal/testpki"
)

// Options configure a Server. A nil *Options means defaults.
type Options struct {
	// Domains are the domains whose mailboxes the server holds. Empty means
	// DefaultDomains().
	Domains []string
	// TrustedDomains are other domains of the trust space: mail to them is
	// accepted and reported "relayed". Mail to a domain that is neither
	// here nor in Domains is refused at RCPT with 550 5.7.1.
	TrustedDomains []string
	// DelayedDomains are domains of the trust space whose operator "does
	// not answer": mail to them is accepted, reported "delayed" (4.4.1)
	// when NOTIFY asks for DELAY, and never delivered.
	DelayedDomains []string
	// MaxMessageBytes is the SMTP SIZE limit. Zero means 25 MiB, the limit
	// of Mon Espace Santé.
	MaxMessageBytes int64
	// IMAPExtensions are the IMAP extensions offered besides IMAP4rev1, by
	// their CAPABILITY names. Nil means UIDPLUS, MOVE and NAMESPACE; a test
	// of the fallbacks takes some away (an empty, non-nil slice offers
	// none). IDLE, ENABLE, UNSELECT, SASL-IR, LITERAL- and UTF8=ACCEPT are
	// always offered (go-imap's server has them built in); a name the
	// server does not implement is ignored.
	IMAPExtensions []string
	// DisableDSN hides the SMTP DSN extension, as some operators do.
	DisableDSN bool
	// ImplicitTLS serves SMTP and IMAP over TLS from the first byte
	// (ports 465/993 style) instead of STARTTLS.
	ImplicitTLS bool
	// ErrorLog receives the servers' error messages. Nil discards them.
	ErrorLog *log.Logger
	// Clock gives the time written in Received fields, delivery reports
	// (Date, Arrival-Date, Will-Retry-Until) and IMAP internal dates. Nil:
	// the system clock. (The servers' read and write timeouts stay on the
	// system clock.)
	Clock Clock
	// VerifyToken, when set, makes XOAUTH2 and OAUTHBEARER accept only the
	// tokens an identity provider vouches for, as a real operator accepts
	// only Pro Santé Connect's: it is called with the bearer token and
	// returns the national identifier (IdNat_PS) of the professional the
	// token was issued to, or an error to refuse it (not issued by the
	// provider, expired, wrong audience...). The token then opens a mailbox
	// only if that identifier is among the mailbox's NationalIDs
	// (MailboxOptions); otherwise the client gets the XOAUTH2 status 401
	// (OAUTHBEARER: invalid_token). The tokens of Token and TokenSource,
	// and so Config's authentication of PER and ORG mailboxes, are then
	// refused. A psctest.Server plugs in as
	//
	//	func(tok string) (string, error) { info, err := idp.Introspect(tok); return info.NationalID, err }
	//
	// It may be called from several sessions at once. Nil: the server's own
	// tokens (Token).
	VerifyToken func(token string) (nationalID string, err error)
	// ServeRevocation publishes the revocation status of the server's PKI
	// as IGC-Santé does: an HTTP server on loopback (Server.RevocationURL)
	// serves the CRLs of the root and of the intermediate and answers OCSP
	// requests, and every certificate below the root names them. A
	// trust.Verifier with its default policy (hard-fail) then accepts the
	// server's certificate, and refuses it after RevokeServerCertificate.
	// The answers are dated by Clock. Zero: the certificates name no CRL
	// nor OCSP responder; a Verifier accepts them only with RevocationOff,
	// or RevocationSoftFail, which warns about each.
	ServeRevocation bool
}

// Clock is the time a Server writes in what it delivers, nil meaning the
// system clock. Tests pass a fake one; the same fake clock serves every
// package of this module.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// DefaultDomains returns the domains a Server holds by default: two
// professional domains, an establishment and the patient domain. Each call
// returns a new slice.
func DefaultDomains() []string {
	return []string{"medecin.mssante.fr", "pharmacien.mssante.fr", "ch-test.mssante.fr", "patient.mssante.fr"}
}

const defaultMaxMessageBytes = 25 << 20

// Server is an MSSanté operator in the process, for tests and the
// quickstart: an SMTP submission server with STARTTLS, AUTH PLAIN, XOAUTH2
// and EXTERNAL, the DSN extension and real RFC 3464 reports, delivering into
// IMAP mailboxes served with UIDs and IDLE, on loopback ports, with a PKI
// shaped like IGC-Santé.
type Server struct {
	// SMTPAddr and IMAPAddr are the loopback addresses the servers listen on.
	SMTPAddr, IMAPAddr string
	// Hostname is the name in the server certificate and in the DSNs.
	Hostname string
	// RevocationURL is the base URL of the CRLs and the OCSP responder the
	// certificates name, on loopback: with Options.ServeRevocation only,
	// else "".
	RevocationURL string

	opts    Options
	pki     *testpki.PKI      // issued the server certificate, issues client certificates
	cert    *x509.Certificate // the SMTP and IMAP servers' certificate
	domains map[string]bool
	trusted map[string]bool
	delayed map[string]bool
	smtp    *smtp.Server
	imap    *imapserver.Server
	tlsConf *tls.Config
	smtpLn  net.Listener
	imapLn  net.Listener
	revocation
	wg sync.WaitGroup

	stats stats

	mu        sync.Mutex
	mailboxes map[string]*Mailbox // by lower-case address
	tokens    map[string]string   // XOAUTH2 token -> address
	faults    []*Fault
}

// NewServer starts an operator on loopback ports and returns it. Close it
// when done.
func NewServer(opts *Options) (*Server, error) {
	s := &Server{Hostname: "localhost", mailboxes: map[string]*Mailbox{}, tokens: map[string]string{}, domains: map[string]bool{}, trusted: map[string]bool{}, delayed: map[string]bool{}}
	if opts != nil {
		s.opts = *opts
	}
	if len(s.opts.Domains) == 0 {
		s.opts.Domains = DefaultDomains()
	}
	if s.opts.Clock == nil {
		s.opts.Clock = sysclock.Clock{}
	}
	if s.opts.MaxMessageBytes == 0 {
		s.opts.MaxMessageBytes = defaultMaxMessageBytes
	}
	if s.opts.IMAPExtensions == nil {
		s.opts.IMAPExtensions = []string{string(imap.CapUIDPlus), string(imap.CapMove), string(imap.CapNamespace)}
	}
	for _, d := range s.opts.Domains {
		s.domains[strings.ToLower(d)] = true
	}
	for _, d := range s.opts.TrustedDomains {
		s.trusted[strings.ToLower(d)] = true
	}
	for _, d := range s.opts.DelayedDomains {
		s.trusted[strings.ToLower(d)] = true
		s.delayed[strings.ToLower(d)] = true
	}
	if err := s.newPKI(); err != nil {
		return nil, err
	}
	cert, err := s.pki.ServerCertificate(s.Hostname, "127.0.0.1", "::1")
	if err != nil {
		s.stopRevocation()
		return nil, err
	}
	s.cert = cert.Leaf
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(s.pki.Root)
	s.tlsConf = &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    clientCAs,
		MinVersion:   tls.VersionTLS12,
	}
	if err := s.startSMTP(); err != nil {
		s.stopRevocation()
		return nil, err
	}
	if err := s.startIMAP(); err != nil {
		s.smtp.Close()
		s.stopRevocation()
		return nil, err
	}
	return s, nil
}

// listen opens a loopback listener; wrap, when not nil, wraps it under
// TLS (Options.ImplicitTLS).
func (s *Server) listen(wrap func(net.Listener) net.Listener) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if wrap != nil {
		ln = wrap(ln)
	}
	if s.opts.ImplicitTLS {
		ln = tls.NewListener(ln, s.tlsConf)
	}
	return ln, nil
}

func (s *Server) errorLog() *log.Logger {
	if s.opts.ErrorLog != nil {
		return s.opts.ErrorLog
	}
	return log.New(io.Discard, "", 0)
}

func (s *Server) startSMTP() error {
	ln, err := s.listen(func(ln net.Listener) net.Listener { return &smtpListener{Listener: ln, s: s} })
	if err != nil {
		return err
	}
	s.smtpLn, s.SMTPAddr = ln, ln.Addr().String()
	srv := smtp.NewServer(&smtpBackend{s: s})
	srv.Domain = s.Hostname
	srv.MaxMessageBytes = s.opts.MaxMessageBytes
	srv.MaxRecipients = 100
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.EnableDSN = !s.opts.DisableDSN
	srv.ErrorLog = s.errorLog()
	if !s.opts.ImplicitTLS {
		srv.TLSConfig = s.tlsConf
	}
	s.smtp = srv
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		srv.Serve(ln)
	}()
	return nil
}

func (s *Server) startIMAP() error {
	ln, err := s.listen(nil)
	if err != nil {
		return err
	}
	s.imapLn, s.IMAPAddr = ln, ln.Addr().String()
	o := &imapserver.Options{
		NewSession: func(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &imapSession{s: s, conn: c}, nil, nil
		},
		Caps:   imapCaps(s.opts.IMAPExtensions),
		Logger: s.errorLog(),
	}
	if !s.opts.ImplicitTLS {
		o.TLSConfig = s.tlsConf
	}
	s.imap = imapserver.New(o)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.imap.Serve(ln)
	}()
	return nil
}

// Close stops both servers and closes their connections.
func (s *Server) Close() error {
	// Closing the listeners ends the Serve loops, even one that had not
	// started yet; the servers' own Close runs only once they have
	// returned, since go-imap's races with a Serve still starting.
	s.smtpLn.Close()
	s.imapLn.Close()
	s.wg.Wait()
	var errs []error
	for _, err := range []error{s.smtp.Close(), s.imap.Close(), s.stopRevocation()} {
		if err != nil && !errors.Is(err, net.ErrClosed) { // the listeners, closed above
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// imapCaps is the capability set of go-imap's server: always IMAP4rev1
// (without it go-imap's server panics), then the extensions asked for.
func imapCaps(extensions []string) imap.CapSet {
	caps := imap.CapSet{imap.CapIMAP4rev1: {}}
	for _, e := range extensions {
		caps[imap.Cap(strings.ToUpper(e))] = struct{}{}
	}
	return caps
}

// RootCAs returns a pool with the root of the server's PKI: what a client
// trusts instead of the IGC-Santé roots (Config sets it as RootCAs).
func (s *Server) RootCAs() *x509.CertPool { return s.pki.Pool() }

// RootCertificate returns the root CA of the server's PKI, named like an
// IGC-Santé root ("AC RACINE IGC-SANTE TEST"): the anchor of a
// trust.Verifier (trust.NewAnchors), or the CA file of a command-line tool.
func (s *Server) RootCertificate() *x509.Certificate { return s.pki.Root }

// IntermediateCertificate returns the CA below RootCertificate that issued
// the server's certificate and issues ClientCertificate's ("AC IGC-SANTE
// ELEMENTAIRE ORGANISATIONS TEST"): the intermediate of trust.NewAnchors.
func (s *Server) IntermediateCertificate() *x509.Certificate { return s.pki.Intermediate }

// isLocal reports whether the server holds the domain's mailboxes.
func (s *Server) isLocal(domain string) bool { return s.domains[strings.ToLower(domain)] }

// inTrustSpace reports whether mail to domain is accepted.
func (s *Server) inTrustSpace(domain string) bool {
	d := strings.ToLower(domain)
	return s.domains[d] || s.trusted[d]
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return ""
}

func (s *Server) String() string {
	return fmt.Sprintf("mssantetest operator: SMTP %s, IMAP %s", s.SMTPAddr, s.IMAPAddr)
}

// Stats count what the server saw.
type Stats struct {
	SMTPConnections int64 // SMTP connections that reached EHLO (once per connection, STARTTLS or not)
	SMTPOpen        int64 // of those, the ones open now
	Transactions    int64 // MAIL FROM commands accepted
	Messages        int64 // messages accepted after DATA
	CRLRequests     int64 // CRL downloads served (Options.ServeRevocation)
	OCSPRequests    int64 // OCSP requests answered (Options.ServeRevocation)
}

type stats struct {
	smtpConnections, smtpOpen, transactions, messages atomic.Int64
	crlRequests, ocspRequests                         atomic.Int64
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	return Stats{
		SMTPConnections: s.stats.smtpConnections.Load(),
		SMTPOpen:        s.stats.smtpOpen.Load(),
		Transactions:    s.stats.transactions.Load(),
		Messages:        s.stats.messages.Load(),
		CRLRequests:     s.stats.crlRequests.Load(),
		OCSPRequests:    s.stats.ocspRequests.Load(),
	}
}
