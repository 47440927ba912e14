package mssantetest

import (
	"errors"
	"sync"

	"golang.org/x/oauth2"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
)

// Config returns a ready client configuration for a mailbox of the server:
// its endpoints, the server's root as RootCAs, the server's trust list as
// Trust, and the authentication of its type: Pro Santé Connect style XOAUTH2
// tokens for personal and organisational mailboxes (TokenSource; with
// Options.VerifyToken, set Auth to the identity provider's tokens instead),
// a client certificate and SASL EXTERNAL for applicative ones.
func (s *Server) Config(address string) (mssante.Config, error) {
	mb := s.mailbox(address)
	if mb == nil {
		return mssante.Config{}, ErrUnknownMailbox
	}
	addr, err := mail.ParseAddress(mb.Address)
	if err != nil {
		return mssante.Config{}, err
	}
	cfg := mssante.Config{
		Address: addr,
		Operator: mssante.Operator{
			SMTP: s.SMTPAddr, IMAP: s.IMAPAddr,
			SMTPImplicitTLS: s.opts.ImplicitTLS, IMAPImplicitTLS: s.opts.ImplicitTLS,
		},
		RootCAs:    s.RootCAs(),
		Trust:      s.TrustChecker(),
		ProductRef: "MSSANTETEST",
	}
	if mb.Type == MailboxAPP {
		cert, err := s.ClientCertificate(mb.Address)
		if err != nil {
			return mssante.Config{}, err
		}
		cfg.Auth = mssante.Certificate(cert)
	} else {
		cfg.Auth = mssante.OAuth2(s.TokenSource(mb.Address))
	}
	return cfg, nil
}

// MustConfig is Config for tests: it panics on error.
func (s *Server) MustConfig(address string) mssante.Config {
	cfg, err := s.Config(address)
	if err != nil {
		panic(err)
	}
	return cfg
}

// TokenSource returns a token source for the mailbox that behaves like a
// Pro Santé Connect session: it keeps its token until the server revokes it
// (RevokeToken), then issues a new one. Its tokens are refused when
// Options.VerifyToken is set.
func (s *Server) TokenSource(address string) oauth2.TokenSource {
	return &tokenSource{s: s, address: address}
}

type tokenSource struct {
	s       *Server
	address string
	mu      sync.Mutex
	current string
}

func (t *tokenSource) Token() (*oauth2.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.current == "" || t.s.tokenOwner(t.current) == "" {
		tok, err := t.s.Token(t.address)
		if err != nil {
			return nil, err
		}
		t.current = tok
	}
	return &oauth2.Token{AccessToken: t.current, TokenType: "Bearer"}, nil
}

// ErrOutsideTrust is the reason TrustChecker gives for a refused domain.
var ErrOutsideTrust = errors.New("mssantetest: domain not in the trust list of the test operator")

// TrustChecker returns a recipient checker for the server's trust list: its
// own domains and the trusted ones, matched exactly.
func (s *Server) TrustChecker() mssante.RecipientChecker {
	return mssante.RecipientCheckerFunc(func(address string) error {
		if !s.inTrustSpace(domainOf(address)) {
			return ErrOutsideTrust
		}
		return nil
	})
}
