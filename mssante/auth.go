package mssante

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/emersion/go-sasl"
	"golang.org/x/oauth2"

	"github.com/mssante-go/sdk/internal/xoauth2"
)

// Auth is how the client authenticates to its operator. Build one with
// [OAuth2], [OAuthBearer], [Certificate] or [Password].
//
// An Auth never prints its secrets: String, GoString, Format (every verb,
// %#v included), MarshalJSON and LogValue give the mechanism only, so a
// Config can be logged whole. The secrets sit behind a function, which fmt
// prints as an address with every verb even where it cannot call these
// methods (an Auth in an unexported field of the caller's struct).
type Auth struct {
	kind     authKind
	username string
	noSASL   bool
	secrets  func() *authSecrets // a func, not a pointer: fmt never prints what a func returns
}

// hide boxes the secrets so that no printer reaches them.
func hide(s *authSecrets) func() *authSecrets { return func() *authSecrets { return s } }

// sec returns the secrets, or nil for a zero Auth.
func (a Auth) sec() *authSecrets {
	if a.secrets == nil {
		return nil
	}
	return a.secrets()
}

// authSecrets holds what must never be printed.
type authSecrets struct {
	tokens   oauth2.TokenSource
	cert     *tls.Certificate
	password string
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
// Use a TokenSource that refreshes: a *psc.Session, or
// oauth2.Config.TokenSource with a refresh token.
//
// The client asks ts for a token at each connection (with the operation's
// context when ts has a TokenContext(ctx) method, as psc.Session does) and
// never stores it (ECO.1.2.5). When the server refuses a token (XOAUTH2
// status 401), the client tells ts so when ts has an Invalidate(token
// string) method (psc.Session does: its next Token refreshes instead of
// handing out the same unexpired token), asks ts once more, and retries
// once if it gets a different token. When ts fails, the client returns an
// [*AuthError] whose Err is ts's error: with psc.Session, after the PSC
// session ended (ECO.1.2.6), errors.Is(err, psc.ErrSessionEnded) holds,
// AuthError.Temporary is false, and Watch stops reconnecting.
func OAuth2(ts oauth2.TokenSource) Auth {
	return Auth{kind: authXOAuth2, secrets: hide(&authSecrets{tokens: ts})}
}

// OAuthBearer is like OAuth2 with the standard OAUTHBEARER mechanism
// (RFC 7628), for operators that offer it.
func OAuthBearer(ts oauth2.TokenSource) Auth {
	return Auth{kind: authOAuthBearer, secrets: hide(&authSecrets{tokens: ts})}
}

// Certificate authenticates an applicative mailbox (BAL APP) with its
// IGC-Santé organisation certificate, presented in TLS, followed by SASL
// EXTERNAL.
func Certificate(cert tls.Certificate) Auth {
	return Auth{kind: authCertificate, secrets: hide(&authSecrets{cert: &cert})}
}

// CertificateOnly is like Certificate for operators that authenticate
// the mailbox from the TLS certificate alone, without a SASL step.
func CertificateOnly(cert tls.Certificate) Auth {
	return Auth{kind: authCertificate, secrets: hide(&authSecrets{cert: &cert}), noSASL: true}
}

// Password authenticates with SASL PLAIN. MSSanté operators do not offer it
// to vendors' software: it is for test operators (mssantetest) and is only
// ever sent over TLS.
func Password(username, password string) Auth {
	return Auth{kind: authPassword, username: username, secrets: hide(&authSecrets{password: password})}
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

// GoString is for %#v: the mechanism, the secret redacted.
func (a Auth) GoString() string {
	return fmt.Sprintf("mssante.Auth{Mechanism: %q, Secret: %q}", a.String(), redacted)
}

// Format prints the mechanism for every verb, GoString for %#v.
func (a Auth) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, a.GoString())
		return
	}
	io.WriteString(f, a.String())
}

// MarshalJSON gives {"mechanism": "…"}.
func (a Auth) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Mechanism string `json:"mechanism"`
	}{a.String()})
}

// LogValue gives the mechanism to log/slog.
func (a Auth) LogValue() slog.Value { return slog.StringValue(a.String()) }

// redacted replaces a secret wherever one would be printed.
const redacted = "[REDACTED]"

// The secrets box redacts itself too, for printers that reach it.
func (*authSecrets) String() string               { return redacted }
func (*authSecrets) GoString() string             { return redacted }
func (*authSecrets) Format(f fmt.State, _ rune)   { io.WriteString(f, redacted) }
func (*authSecrets) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }
func (*authSecrets) LogValue() slog.Value         { return slog.StringValue(redacted) }

var errNoAuth = errors.New("mssante: Config.Auth is not set (use OAuth2, Certificate or Password)")

// clientCertificate returns the certificate to present in TLS, or nil.
func (a Auth) clientCertificate() *tls.Certificate {
	if a.sec() == nil {
		return nil
	}
	return a.sec().cert
}

// saslClient returns the SASL client for a connection as user, nil when
// no SASL step is needed. For token mechanisms it uses token, or fetches
// one when token is ""; the token used is returned so that the caller can
// tell a refreshed one. An error of the token source is returned as it is
// (see tokenError).
func (a Auth) saslClient(ctx context.Context, user, host string, port int, token string) (sasl.Client, string, error) {
	switch a.kind {
	case authXOAuth2, authOAuthBearer:
		if token == "" {
			var err error
			if token, err = a.token(ctx); err != nil {
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
		return sasl.NewPlainClient("", a.username, a.sec().password), "", nil
	}
	return nil, "", errNoAuth
}

// errNoTokenSource is the error of OAuth2(nil).
var errNoTokenSource = errors.New("mssante: OAuth2 auth without a TokenSource")

// token asks the token source for an access token, with ctx when it takes
// one.
func (a Auth) token(ctx context.Context) (string, error) {
	if a.sec() == nil || a.sec().tokens == nil {
		return "", errNoTokenSource
	}
	var tok *oauth2.Token
	var err error
	if tc, ok := a.sec().tokens.(interface {
		TokenContext(context.Context) (*oauth2.Token, error)
	}); ok {
		tok, err = tc.TokenContext(ctx)
	} else {
		tok, err = a.sec().tokens.Token()
	}
	if err != nil {
		return "", err
	}
	if tok == nil || tok.AccessToken == "" {
		return "", errors.New("mssante: the token source gave an empty access token")
	}
	return tok.AccessToken, nil
}

// refreshedToken is asked after the server refused a token (XOAUTH2
// status 401). It tells the token source, when the source has an
// Invalidate method (psc.Session), then asks it again: it returns the new
// token, "" when the source gives the refused one again, or the source's
// error.
func (a Auth) refreshedToken(ctx context.Context, refused string) (string, error) {
	if refused == "" || a.sec() == nil || a.sec().tokens == nil {
		return "", nil
	}
	if inv, ok := a.sec().tokens.(interface{ Invalidate(string) }); ok {
		inv.Invalidate(refused)
	}
	tok, err := a.token(ctx)
	if err != nil || tok == refused {
		return "", err
	}
	return tok, nil
}

// secretTexts returns the secrets a server could echo: the token used, or
// the password.
func (a Auth) secretTexts(token string) []string {
	out := []string{token}
	if a.sec() != nil && a.sec().password != "" {
		out = append(out, a.sec().password)
	}
	return out
}

// saslStatus returns the JSON status of a refused XOAUTH2 or OAUTHBEARER
// exchange ("401", "invalid_token"), "" for other mechanisms. XOAUTH2
// keeps it in our client; OAUTHBEARER's client returns it as its error
// (RFC 7628 §3.2.2), which the protocol library hands back.
func saslStatus(c sasl.Client, err error) string {
	if x, ok := c.(*xoauth2.Client); ok && x.Err != nil {
		return x.Err.Status
	}
	var obe *sasl.OAuthBearerError
	if errors.As(err, &obe) {
		return obe.Status
	}
	return ""
}
