package mssantetest

import (
	"crypto/tls"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"

	"github.com/mssante-go/sdk/internal/xoauth2"
)

// imapSession is one IMAP connection: the memory server's session once
// authenticated, with the operator's SASL mechanisms before.
type imapSession struct {
	*imapmemserver.UserSession // nil until authenticated
	s                          *Server
	conn                       *imapserver.Conn
}

var _ imapserver.SessionSASL = (*imapSession)(nil)

func (is *imapSession) authenticated(address string) error {
	mb := is.s.mailbox(address)
	if mb == nil {
		return imapserver.ErrAuthFailed
	}
	is.UserSession = imapmemserver.NewUserSession(mb.user)
	return nil
}

func (is *imapSession) Close() error {
	if is.UserSession == nil {
		return nil
	}
	return is.UserSession.Close()
}

func (is *imapSession) Login(username, password string) error {
	if err := is.s.fault(StageAuth, is.conn.NetConn()); err != nil {
		return imapserver.ErrAuthFailed
	}
	mb := is.s.mailbox(username)
	if mb == nil || password != mb.Password {
		return imapserver.ErrAuthFailed
	}
	return is.authenticated(mb.Address)
}

func (is *imapSession) AuthenticateMechanisms() []string {
	mechs := []string{sasl.Plain, xoauth2.Mechanism, sasl.OAuthBearer}
	if is.peerCertificateAddress() != "" {
		mechs = append(mechs, sasl.External)
	}
	return mechs
}

func (is *imapSession) Authenticate(mech string) (sasl.Server, error) {
	if err := is.s.fault(StageAuth, is.conn.NetConn()); err != nil {
		return nil, err
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return imapserver.ErrAuthFailed
			}
			return is.Login(username, password)
		}), nil
	case xoauth2.Mechanism:
		return imapSASL{xoauth2.NewServer(func(user, token string) *xoauth2.ServerError {
			addr, ok := is.s.tokenOpens(user, token)
			if !ok || is.authenticated(addr) != nil {
				return &xoauth2.ServerError{Status: "401", Schemes: "bearer", Scope: "mail"}
			}
			return nil
		})}, nil
	case sasl.OAuthBearer:
		return sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			addr, ok := is.s.tokenOpens(o.Username, o.Token)
			if !ok || is.authenticated(addr) != nil {
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
			}
			return nil
		}), nil
	case sasl.External:
		return sasl.NewExternalServer(func(identity string) error {
			addr := is.peerCertificateAddress()
			if addr == "" || (identity != "" && normalise(identity) != addr) {
				return imapserver.ErrAuthFailed
			}
			return is.authenticated(addr)
		}), nil
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "unsupported mechanism"}
}

// imapSASL makes a refused XOAUTH2 exchange end in an authentication failure.
type imapSASL struct{ sasl.Server }

func (x imapSASL) Next(r []byte) ([]byte, bool, error) {
	c, done, err := x.Server.Next(r)
	if err != nil {
		return nil, true, imapserver.ErrAuthFailed
	}
	return c, done, nil
}

func (is *imapSession) peerCertificateAddress() string {
	tc, ok := is.conn.NetConn().(*tls.Conn)
	if !ok {
		return ""
	}
	return is.s.certificateMailbox(tc.ConnectionState())
}

// Fetch lets a fault drop the connection while a FETCH is answered.
func (is *imapSession) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	if err := is.s.fault(StageFetch, is.conn.NetConn()); err != nil {
		return err
	}
	return is.UserSession.Fetch(w, numSet, options)
}

// Idle lets a fault drop the connection during IDLE.
func (is *imapSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	if err := is.s.fault(StageIdle, is.conn.NetConn()); err != nil {
		return err
	}
	return is.UserSession.Idle(w, stop)
}
