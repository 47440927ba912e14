package psc

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Defaults.
const (
	// DefaultACR is the eIDAS level PSC authenticates at and expects in
	// acr_values: "eidas1" (CPS card or e-CPS app), the only level PSC
	// accepts today.
	DefaultACR = "eidas1"
	// DefaultRefreshAhead is how long before the access token expires the
	// session refreshes it (see Config.RefreshAhead).
	DefaultRefreshAhead = 30 * time.Second
	// DefaultHTTPTimeout bounds each HTTP exchange with PSC.
	DefaultHTTPTimeout = 30 * time.Second
	// DefaultMaxResponseBytes bounds each response body read from PSC.
	DefaultMaxResponseBytes = 1 << 20
	// DefaultRefreshAttempts is how many times Session.Token tries a
	// refresh that fails temporarily before giving up for RetryBackoff.
	DefaultRefreshAttempts = 3
	// DefaultRetryBackoff is the first wait after a temporary failure; it
	// doubles on each further attempt, up to 8 times the first, with
	// jitter (a random wait between half of it and all of it).
	DefaultRetryBackoff = time.Second
)

// DefaultScopes are the scopes PSC documents for a service that wants the
// professional's identity and practice situations: "openid" and
// "scope_all". The ANS samples (proxy e-Santé, mod_auth_openidc configs)
// and every public integration we found ask for exactly these.
func DefaultScopes() []string { return []string{"openid", "scope_all"} }

// Clock is the time a Client reads and waits on (token expiry, refresh
// backoff, CIBA polling), nil meaning the system clock. Tests pass a fake
// one, such as psctest.Clock, to drive them without sleeping; the same fake
// clock serves every package of this module.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// Config configures a Client. Every zero field has the default its comment
// gives.
type Config struct {
	// Environment is where PSC is: BAS(), Production(), or a test server's
	// (psctest.Server.Environment). Required.
	Environment Environment

	// ClientID is the service's client_id at PSC. Required.
	ClientID string

	// Auth is how the client authenticates to the token, backchannel and
	// revocation endpoints: ClientSecretBasic, ClientSecretPost or
	// TLSClientAuth. Zero: none, a public client (client_id in the form,
	// PKCE only), which PSC does not document; see the package
	// documentation.
	Auth ClientAuth

	// RedirectURL is the redirect URI registered at PSC, for the
	// authorization code flow. LoginLoopback requires a loopback http URL
	// (or empty: 127.0.0.1 on a free port, path /callback).
	RedirectURL string

	// Scopes requested. Nil: DefaultScopes ("openid scope_all").
	Scopes []string

	// ACRValues are the authentication levels requested (acr_values) and
	// accepted in the ID token's acr. Nil: {DefaultACR} ("eidas1").
	ACRValues []string

	// RefreshAhead: a session refreshes its access token when less than
	// this, or a third of the token's lifetime if that is smaller, is
	// left. Zero: DefaultRefreshAhead (30 s). PSC access tokens live 2 to 5
	// minutes.
	RefreshAhead time.Duration

	// RefreshAttempts is how many times Session.Token tries a refresh
	// that fails temporarily (network, 5xx, 429) before returning a
	// *TemporaryError. Zero: DefaultRefreshAttempts (3).
	RefreshAttempts int

	// RetryBackoff is the first wait between attempts; it doubles up to 8
	// times itself, with jitter (a random wait between half of it and all
	// of it, so that many sessions do not come back to PSC together after
	// an outage). After the last attempt the session does not call PSC
	// again before the backoff has passed, however often Token is called.
	// Zero: DefaultRetryBackoff (1 s).
	RetryBackoff time.Duration

	// HTTPClient makes the requests to PSC. Nil: a client with a 30 s
	// timeout. Either way the package adds its redirect policy (no https
	// to http, no other host) and, for TLSClientAuth, the certificate
	// (when the client's Transport is an *http.Transport or nil).
	HTTPClient *http.Client

	// Clock is the time the client reads and waits on. Nil: the system
	// clock.
	Clock Clock

	// Logger receives debug and warning records about the flows (never a
	// token, code, verifier or secret). Nil: no logs.
	Logger *slog.Logger

	// MaxResponseBytes bounds each response body from PSC. Zero:
	// DefaultMaxResponseBytes (1 MiB).
	MaxResponseBytes int64
}

// String describes the configuration without its secret.
func (c Config) String() string {
	return fmt.Sprintf("psc.Config{Environment: %s, ClientID: %q, Auth: %s, RedirectURL: %q}", c.Environment.Name, c.ClientID, c.Auth, c.RedirectURL)
}

// GoString is String: %#v must not print the secret either.
func (c Config) GoString() string { return c.String() }

// MarshalJSON writes the configuration without its secret.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Environment string   `json:"environment"`
		ClientID    string   `json:"client_id"`
		Auth        string   `json:"auth"`
		RedirectURL string   `json:"redirect_url,omitempty"`
		Scopes      []string `json:"scopes,omitempty"`
	}{c.Environment.Name, c.ClientID, c.Auth.Method(), c.RedirectURL, c.Scopes})
}

// LogValue logs the configuration without its secret.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("environment", c.Environment.Name), slog.String("client_id", c.ClientID), slog.String("auth", c.Auth.Method()))
}

// ClientAuth is a client authentication method at the PSC endpoints. Its
// secret never prints: String, GoString, MarshalJSON and LogValue give the
// method only.
type ClientAuth struct {
	method string
	secret string
	cert   *tls.Certificate
}

// Client authentication method names (RFC 7591, RFC 8705).
const (
	AuthNone              = "none"
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	AuthTLSClient         = "tls_client_auth"
)

// ClientSecretBasic authenticates with the client secret in HTTP Basic
// (RFC 6749 §2.3.1): what the PSC documentation shows for the CIBA and
// introspection endpoints ("Authentification: Basic Auth").
func ClientSecretBasic(secret string) ClientAuth {
	return ClientAuth{method: AuthClientSecretBasic, secret: secret}
}

// ClientSecretPost authenticates with client_id and client_secret in the
// form (RFC 6749 §2.3.1). PSC's discovery document lists it.
func ClientSecretPost(secret string) ClientAuth {
	return ClientAuth{method: AuthClientSecretPost, secret: secret}
}

// TLSClientAuth authenticates with a certificate in TLS (RFC 8705 §2.1,
// tls_client_auth): the ANS proxy e-Santé example uses it for CIBA in
// production, with the certificate PSC registered for the client (an
// IGC-Santé organisation certificate). client_id goes in the form.
func TLSClientAuth(cert tls.Certificate) ClientAuth {
	return ClientAuth{method: AuthTLSClient, cert: &cert}
}

// Method returns the method's registered name ("none" for the zero value).
func (a ClientAuth) Method() string {
	if a.method == "" {
		return AuthNone
	}
	return a.method
}

// String returns the method name, never the secret.
func (a ClientAuth) String() string { return "psc.ClientAuth(" + a.Method() + ")" }

// GoString is String.
func (a ClientAuth) GoString() string { return a.String() }

// MarshalJSON writes the method name only.
func (a ClientAuth) MarshalJSON() ([]byte, error) { return json.Marshal(a.Method()) }

// LogValue logs the method name only.
func (a ClientAuth) LogValue() slog.Value { return slog.StringValue(a.Method()) }

func (a ClientAuth) mtls() bool { return a.method == AuthTLSClient }
