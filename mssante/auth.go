package mssante

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/emersion/go-sasl"
	"golang.org/x/oauth2"

	"github.com/mssante-go/sdk/internal/xoauth2"
)

// Auth is how the client authenticates to its operator. Build one with
// [OAuth2], [OAuthBearer], [Certificate] or [Password].
type Auth struct {
	kind     authKind
	tokens   oauth2.TokenSource
	cert     *tls.Certificate
	username string
	password string
	noSASL   bool
}

type authKind int

const (
	authNone authKind = iota
	authXOAuth2
	authOAuthBearer
	authCertificate
	authPassword
)

// OAuth2 authenticates with Pro Santé Connect access tokens through SASL
// XOAUTH2 (Ref#2 ECO.1.2.1), for personal and organisational mailboxes.
// The client asks ts for a token at each connection and never stores it
// (ECO.1.2.5); when the server refuses a token (XOAUTH2 status 401), the
// client asks ts once more and retries if it gets a different token. Use a
// TokenSource that refreshes (oauth2.Config.TokenSource with a refresh
// token, or oauth2.ReuseTokenSource over your PSC session).
func OAuth2(ts oauth2.TokenSource) Auth { return Auth{kind: authXOAuth2, tokens: ts} }

// OAuthBearer is like OAuth2 with the standard OAUTHBEARER mechanism
// (RFC 7628), for operators that offer it.
func OAuthBearer(ts oauth2.TokenSource) Auth { return Auth{kind: authOAuthBearer, tokens: ts} }

// Certificate authenticates an applicative mailbox (BAL APP) with its
// IGC-Santé organisation certificate, presented in TLS, followed by SASL
// EXTERNAL.
func Certificate(cert tls.Certificate) Auth { return Auth{kind: authCertificate, cert: &cert} }

// CertificateOnly is like Certificate for operators that authenticate
// the mailbox from the TLS certificate alone, without a SASL step.
func CertificateOnly(cert tls.Certificate) Auth {
	return Auth{kind: authCertificate, cert: &cert, noSASL: true}
}

// Password authenticates with SASL PLAIN. MSSanté operators do not offer it
// to vendors' software: it is for test operators (mssantetest) and is only
// ever sent over TLS.
func Password(username, password string) Auth {
	return Auth{kind: authPassword, username: username, password: password}
}

// String names the mechanism, never the secret.
func (a Auth) String() string {
	switch a.kind {
	case authXOAuth2:
		return "XOAUTH2"
	case authOAuthBearer:
		return "OAUTHBEARER"
	case authCertificate:
		if a.noSASL {
			return "TLS client certificate"
		}
		return "EXTERNAL"
	case authPassword:
		return "PLAIN"
	}
	return "none"
}

var errNoAuth = errors.New("mssante: Config.Auth is not set (use OAuth2, Certificate or Password)")

// clientCertificate returns the certificate to present in TLS, or nil.
func (a Auth) clientCertificate() *tls.Certificate { return a.cert }

// saslClient returns the SASL client for a connection as user, nil when
// no SASL step is needed. For token mechanisms it uses token, or fetches
// one when token is ""; the token used is returned so that the caller can
// tell a refreshed one.
func (a Auth) saslClient(user, host string, port int, token string) (sasl.Client, string, error) {
	switch a.kind {
	case authXOAuth2, authOAuthBearer:
		if token == "" {
			var err error
			if token, err = a.token(); err != nil {
				return nil, "", err
			}
		}
		if a.kind == authOAuthBearer {
			return sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: user, Token: token, Host: host, Port: port}), token, nil
		}
		return &xoauth2.Client{Username: user, Token: token}, token, nil
	case authCertificate:
		if a.noSASL {
			return nil, "", nil
		}
		return sasl.NewExternalClient(""), "", nil
	case authPassword:
		return sasl.NewPlainClient("", a.username, a.password), "", nil
	}
	return nil, "", errNoAuth
}

// token asks the token source for an access token.
func (a Auth) token() (string, error) {
	if a.tokens == nil {
		return "", errors.New("mssante: OAuth2 auth without a TokenSource")
	}
	tok, err := a.tokens.Token()
	if err != nil {
		return "", fmt.Errorf("mssante: getting an access token: %w", err)
	}
	return tok.AccessToken, nil
}

// refreshedToken returns a token different from the refused one, or "".
func (a Auth) refreshedToken(refused string) string {
	if refused == "" || a.tokens == nil {
		return ""
	}
	tok, err := a.token()
	if err != nil || tok == refused {
		return ""
	}
	return tok
}

// xoauth2Status returns the JSON status of a refused XOAUTH2 exchange.
func xoauth2Status(c sasl.Client) string {
	if x, ok := c.(*xoauth2.Client); ok && x.Err != nil {
		return x.Err.Status
	}
	return ""
}
