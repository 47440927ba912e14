package mssantetest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mssante-go/sdk/internal/xoauth2"
)

type smtpBackend struct{ s *Server }

func (b *smtpBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	// go-smtp opens a session at each EHLO, so twice on a connection that
	// starts TLS: the connection is met at its first.
	raw := c.Conn()
	if tc, ok := raw.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if sc, ok := raw.(*smtpConn); ok && !sc.counted.Load() {
		if err := b.s.fault(StageGreeting, c.Conn()); err != nil {
			return nil, err
		}
		sc.counted.Store(true)
		b.s.stats.smtpConnections.Add(1)
		b.s.stats.smtpOpen.Add(1)
	}
	return &smtpSession{s: b.s, conn: c}, nil
}

// smtpListener gives the SMTP server connections that keep the counts of
// Stats.
type smtpListener struct {
	net.Listener
	s *Server
}

func (l *smtpListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &smtpConn{Conn: c, s: l.s}, nil
}

// smtpConn is an accepted SMTP connection: counted in Stats at its first
// session (EHLO), counted out of SMTPOpen once, when it closes.
type smtpConn struct {
	net.Conn
	s       *Server
	counted atomic.Bool
	closed  sync.Once
}

func (c *smtpConn) Close() error {
	c.closed.Do(func() {
		if c.counted.Load() {
			c.s.stats.smtpOpen.Add(-1)
		}
	})
	return c.Conn.Close()
}

// smtpSession is one submission connection.
type smtpSession struct {
	s    *Server
	conn *smtp.Conn
	user string // authenticated mailbox address, "" before AUTH
	tx   *transaction
}

// transaction is the envelope of the message being submitted.
type transaction struct {
	from       string
	opts       smtp.MailOptions
	recipients []recipient
}

type recipient struct {
	addr string
	opts smtp.RcptOptions
}

var (
	errAuthFailed   = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
	errSenderDenied = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Sender address differs from the authenticated mailbox"}
	errOutOfTrust   = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Recipient domain is not in the MSSante trust space"}
)

func (s *smtpSession) AuthMechanisms() []string {
	mechs := []string{sasl.Plain, xoauth2.Mechanism, sasl.OAuthBearer}
	if s.peerCertificateAddress() != "" {
		mechs = append(mechs, sasl.External)
	}
	return mechs
}

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	if err := s.s.fault(StageAuth, s.conn.Conn()); err != nil {
		return nil, err
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			mb := s.s.mailbox(username)
			if mb == nil || password != mb.Password || (identity != "" && identity != username) {
				return errAuthFailed
			}
			s.user = mb.Address
			return nil
		}), nil
	case xoauth2.Mechanism:
		return smtpSASL{xoauth2.NewServer(func(user, token string) *xoauth2.ServerError {
			addr, ok := s.s.tokenOpens(user, token)
			if !ok {
				return &xoauth2.ServerError{Status: "401", Schemes: "bearer", Scope: "mail"}
			}
			s.user = addr
			return nil
		})}, nil
	case sasl.OAuthBearer:
		return sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			addr, ok := s.s.tokenOpens(o.Username, o.Token)
			if !ok {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			s.user = addr
			return nil
		}), nil
	case sasl.External:
		return sasl.NewExternalServer(func(identity string) error {
			addr := s.peerCertificateAddress()
			if addr == "" || (identity != "" && normalise(identity) != addr) {
				return errAuthFailed
			}
			s.user = addr
			return nil
		}), nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// smtpSASL turns a failed XOAUTH2 exchange into the 535 reply.
type smtpSASL struct{ sasl.Server }

func (x smtpSASL) Next(r []byte) ([]byte, bool, error) {
	c, done, err := x.Server.Next(r)
	if err != nil {
		return nil, true, errAuthFailed
	}
	return c, done, nil
}

// peerCertificateAddress returns the mailbox named by a verified client
// certificate (its e-mail SAN, else its CN), or "".
func (s *smtpSession) peerCertificateAddress() string {
	state, ok := s.conn.TLSConnectionState()
	if !ok {
		return ""
	}
	return s.s.certificateMailbox(state)
}

func (s *Server) certificateMailbox(state tls.ConnectionState) string {
	if len(state.VerifiedChains) == 0 || len(state.PeerCertificates) == 0 {
		return ""
	}
	leaf := state.PeerCertificates[0]
	candidates := append([]string(nil), leaf.EmailAddresses...)
	candidates = append(candidates, leaf.Subject.CommonName)
	for _, c := range candidates {
		if mb := s.mailbox(c); mb != nil {
			return mb.Address
		}
	}
	return ""
}

func (s *smtpSession) Mail(from string, opts *smtp.MailOptions) error {
	if err := s.s.fault(StageMail, s.conn.Conn()); err != nil {
		return err
	}
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	if normalise(from) != s.user {
		return errSenderDenied
	}
	s.s.stats.transactions.Add(1)
	s.tx = &transaction{from: s.user}
	if opts != nil {
		s.tx.opts = *opts
	}
	return nil
}

func (s *smtpSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	if err := s.s.fault(StageRcpt, s.conn.Conn()); err != nil {
		return err
	}
	if s.tx == nil {
		return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "MAIL first"}
	}
	if !s.s.inTrustSpace(domainOf(to)) {
		return errOutOfTrust
	}
	r := recipient{addr: normalise(to)}
	if opts != nil {
		r.opts = *opts
	}
	s.tx.recipients = append(s.tx.recipients, r)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	if s.tx == nil || len(s.tx.recipients) == 0 {
		return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "RCPT first"}
	}
	if err := s.s.fault(StageData, s.conn.Conn()); err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	if err := s.s.fault(StageDataEnd, s.conn.Conn()); err != nil {
		return err
	}
	tx := s.tx
	s.tx = nil
	s.s.stats.messages.Add(1)
	s.s.deliverTransaction(tx, buf.Bytes())
	return s.s.fault(StageDataAccepted, s.conn.Conn())
}

func (s *smtpSession) Reset() { s.tx = nil }

func (s *smtpSession) Logout() error { return nil }

var _ smtp.AuthSession = (*smtpSession)(nil)

// errClosedByFault is what a dropped connection reports to the server.
var errClosedByFault = errors.New("mssantetest: connection dropped by a fault")
