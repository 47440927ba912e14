package mssante

import (
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
// Config can be logged whole. The secrets sit behind a pointer, which fmt
// prints as an address even where it cannot call these methods (an Auth in
// an unexported field of the caller's struct).
type Auth struct {
	kind     authKind
	username string
	noSASL   bool
	secrets  *authSecrets
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
// The client asks ts for a token at each connection and never stores it
// (ECO.1.2.5); when the server refuses a token (XOAUTH2 status 401), the
// client asks ts once more and retries if it gets a different token. Use a
// TokenSource that refreshes (oauth2.Config.TokenSource with a refresh
// token, or oauth2.ReuseTokenSource over your PSC session).
func OAuth2(ts oauth2.TokenSource) Auth {
	return Auth{kind: authXOAuth2, secrets: &authSecrets{tokens: ts}}
}

// OAuthBearer is like OAuth2 with the standard OAUTHBEARER mechanism
// (RFC 7628), for operators that offer it.
func OAuthBearer(ts oauth2.TokenSource) Auth {
	return Auth{kind: authOAuthBearer, secrets: &authSecrets{tokens: ts}}
}

// Certificate authenticates an applicative mailbox (BAL APP) with its
// IGC-Santé organisation certificate, presented in TLS, followed by SASL
// EXTERNAL.
func Certificate(cert tls.Certificate) Auth {
	return Auth{kind: authCertificate, secrets: &authSecrets{cert: &cert}}
}

// CertificateOnly is like Certificate for operators that authenticate
// the mailbox from the TLS certificate alone, without a SASL step.
func CertificateOnly(cert tls.Certificate) Auth {
	return Auth{kind: authCertificate, secrets: &authSecrets{cert: &cert}, noSASL: true}
}

// Password authenticates with SASL PLAIN. MSSanté operators do not offer it
// to vendors' software: it is for test operators (mssantetest) and is only
// ever sent over TLS.
func Password(username, password string) Auth {
	return Auth{kind: authPassword, username: username, secrets: &authSecrets{password: password}}
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
	if a.secrets == nil {
		return nil
	}
	return a.secrets.cert
}

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
		return sasl.NewPlainClient("", a.username, a.secrets.password), "", nil
	}
	return nil, "", errNoAuth
}

// token asks the token source for an access token.
func (a Auth) token() (string, error) {
	if a.secrets == nil || a.secrets.tokens == nil {
		return "", errors.New("mssante: OAuth2 auth without a TokenSource")
	}
	tok, err := a.secrets.tokens.Token()
	if err != nil {
		return "", fmt.Errorf("mssante: getting an access token: %w", err)
	}
	return tok.AccessToken, nil
}

// refreshedToken returns a token different from the refused one, or "".
func (a Auth) refreshedToken(refused string) string {
	if refused == "" || a.secrets == nil || a.secrets.tokens == nil {
		return ""
	}
	tok, err := a.token()
	if err != nil || tok == refused {
		return ""
	}
	return tok
}

// secretTexts returns the secrets a server could echo: the token used, or
// the password.
func (a Auth) secretTexts(token string) []string {
	out := []string{token}
	if a.secrets != nil && a.secrets.password != "" {
		out = append(out, a.secrets.password)
	}
	return out
}

// xoauth2Status returns the JSON status of a refused XOAUTH2 exchange.
func xoauth2Status(c sasl.Client) string {
	if x, ok := c.(*xoauth2.Client); ok && x.Err != nil {
		return x.Err.Status
	}
	return ""
}
