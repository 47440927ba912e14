package psc

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Pending is an authorization request on its way: the URL to send the
// professional's browser to, and what the answer must match. A web
// application keeps it in the user's server-side session between the
// redirect and the callback (all fields are exported for that); it is
// good for one Exchange.
//
// CodeVerifier is the PKCE secret (RFC 7636): String, GoString and
// LogValue leave it out.
type Pending struct {
	URL          string    // the authorization URL
	State        string    // the state sent, checked on the callback
	Nonce        string    // the nonce sent, checked in the ID token
	CodeVerifier string    // the PKCE verifier, sent with the code
	RedirectURL  string    // the redirect_uri sent
	Created      time.Time // when the request was made
}

// String describes the request without the verifier.
func (p *Pending) String() string {
	return fmt.Sprintf("psc.Pending{RedirectURL: %q, Created: %s}", p.RedirectURL, p.Created.Format(time.RFC3339))
}

// GoString is String.
func (p *Pending) GoString() string { return p.String() }

// MarshalJSON writes the request without the verifier. To keep a
// Pending in a server-side session, store its fields.
func (p *Pending) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		URL         string    `json:"url"`
		RedirectURL string    `json:"redirect_url"`
		Created     time.Time `json:"created"`
	}{p.URL, p.RedirectURL, p.Created})
}

// LogValue logs the request without the verifier.
func (p *Pending) LogValue() slog.Value {
	return slog.GroupValue(slog.String("redirect_url", p.RedirectURL), slog.Time("created", p.Created))
}

// randomToken returns 32 random bytes, base64url: state and nonce.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// AuthCodeURL starts an authorization code flow with PKCE (S256), a fresh
// state and nonce, and the configured scopes and acr_values, redirecting
// to redirectURL ("" means Config.RedirectURL).
func (c *Client) AuthCodeURL(redirectURL string) (*Pending, error) {
	if redirectURL == "" {
		redirectURL = c.cfg.RedirectURL
	}
	if redirectURL == "" {
		return nil, fmt.Errorf("%w: no redirect URL", ErrConfig)
	}
	if c.meta.AuthorizationEndpoint == "" {
		return nil, fmt.Errorf("%w: environment %s has no authorization_endpoint", ErrConfig, quote(c.cfg.Environment.Name))
	}
	p := &Pending{
		State:        randomToken(),
		Nonce:        randomToken(),
		CodeVerifier: oauth2.GenerateVerifier(),
		RedirectURL:  redirectURL,
		Created:      c.clock.Now(),
	}
	oc := oauth2.Config{
		ClientID:    c.cfg.ClientID,
		Endpoint:    oauth2.Endpoint{AuthURL: c.meta.AuthorizationEndpoint, TokenURL: c.meta.TokenEndpoint},
		RedirectURL: redirectURL,
		Scopes:      c.scopes,
	}
	p.URL = oc.AuthCodeURL(p.State,
		oauth2.S256ChallengeOption(p.CodeVerifier),
		oauth2.SetAuthURLParam("nonce", p.Nonce),
		oauth2.SetAuthURLParam("acr_values", strings.Join(c.acr, " ")),
	)
	return p, nil
}

// Exchange completes the flow with the query of the redirect PSC sent the
// browser to: it checks the state (ErrStateMismatch) and the issuer when
// PSC names one (RFC 9207, ErrIssuerMismatch), reports an error PSC
// returned (*AuthorizationError), exchanges the code with the PKCE
// verifier, and verifies the ID token: signature, issuer, audience,
// expiry, nonce (ErrNonceMismatch), acr (ErrInsufficientACR) and at_hash.
func (c *Client) Exchange(ctx context.Context, p *Pending, callback url.Values) (*Session, error) {
	if p == nil || p.State == "" || p.CodeVerifier == "" {
		return nil, fmt.Errorf("%w: Exchange without the pending request", ErrConfig)
	}
	if subtle.ConstantTimeCompare([]byte(callback.Get("state")), []byte(p.State)) != 1 {
		return nil, ErrStateMismatch
	}
	if iss := callback.Get("iss"); iss != "" && iss != c.meta.Issuer {
		// Checked only when present: the PSC authorization endpoint is
		// a front (wallet.*) distinct from the Keycloak that advertises
		// authorization_response_iss_parameter_supported.
		return nil, fmt.Errorf("%w: redirect from issuer %s", ErrIssuerMismatch, quote(iss))
	}
	if e := callback.Get("error"); e != "" {
		return nil, &AuthorizationError{Code: e, Description: callback.Get("error_description")}
	}
	code := callback.Get("code")
	if code == "" {
		return nil, fmt.Errorf("psc: the redirect has neither code nor error")
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {p.RedirectURL},
		"code_verifier": {p.CodeVerifier},
	}
	var tr tokenResponse
	if err := c.post(ctx, "token_endpoint", "token", form, &tr); err != nil {
		return nil, err
	}
	return c.newSession(ctx, &tr, idTokenCheck{nonce: p.Nonce})
}
