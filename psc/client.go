package psc

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/mssante-go/sdk/internal/httpredirect"
	"github.com/mssante-go/sdk/internal/sysclock"
)

// Client is a Pro Santé Connect client (a "fournisseur de service"): it
// runs the login flows and yields Sessions. It is safe for concurrent use.
type Client struct {
	cfg      Config
	meta     *Metadata
	hc       *http.Client
	clock    Clock
	log      *slog.Logger
	verifier *oidc.IDTokenVerifier
	keys     oidc.KeySet
	acr      []string
	scopes   []string
	requests atomic.Int64
}

// New discovers the environment and returns a Client.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.ClientID == "" {
		return nil, fmt.Errorf("%w: ClientID is empty", ErrConfig)
	}
	if (cfg.Auth.method == AuthClientSecretBasic || cfg.Auth.method == AuthClientSecretPost) && cfg.Auth.secret == "" {
		return nil, fmt.Errorf("%w: %s with an empty secret", ErrConfig, cfg.Auth.method)
	}
	c := &Client{cfg: cfg, clock: cfg.Clock, log: cfg.Logger}
	if c.clock == nil {
		c.clock = sysclock.Clock{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.acr = cfg.ACRValues
	if c.acr == nil {
		c.acr = []string{DefaultACR}
	}
	c.scopes = cfg.Scopes
	if c.scopes == nil {
		c.scopes = DefaultScopes()
	}
	var err error
	if c.hc, err = httpClient(cfg); err != nil {
		return nil, err
	}
	if c.meta, err = discover(ctx, cfg.Environment, c.hc); err != nil {
		return nil, err
	}
	algs := c.meta.IDTokenSigningAlgs
	if len(algs) == 0 {
		algs = []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512, oidc.PS256, oidc.PS384, oidc.PS512}
	}
	algs = usableAlgs(algs, cfg.Auth.secret != "")
	remote := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), c.hc), c.meta.JWKSURI)
	c.keys = &keySet{remote: remote, secret: cfg.Auth.secret}
	c.verifier = oidc.NewVerifier(c.meta.Issuer, c.keys, &oidc.Config{
		ClientID:             cfg.ClientID,
		SupportedSigningAlgs: algs,
		Now:                  c.clock.Now,
	})
	return c, nil
}

// Metadata returns the environment's endpoints as discovered and
// overridden.
func (c *Client) Metadata() Metadata { return *c.meta }

// String describes the client without its secret.
func (c *Client) String() string {
	return fmt.Sprintf("psc.Client{Environment: %s, ClientID: %q, Auth: %s}", c.cfg.Environment.Name, c.cfg.ClientID, c.cfg.Auth.Method())
}

// GoString is String.
func (c *Client) GoString() string { return c.String() }

// MarshalJSON writes the configuration without its secret.
func (c *Client) MarshalJSON() ([]byte, error) { return c.cfg.MarshalJSON() }

// LogValue logs the configuration without its secret.
func (c *Client) LogValue() slog.Value { return c.cfg.LogValue() }

// httpClient returns the client to reach PSC with: the caller's or a
// default one, with the redirect policy and the TLS client certificate.
func httpClient(cfg Config) (*http.Client, error) {
	base := cfg.HTTPClient
	if base == nil {
		base = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	hc := httpredirect.Policy{SameHost: true, Err: ErrRedirect}.Client(base)
	if cfg.Auth.mtls() {
		var tr *http.Transport
		switch t := hc.Transport.(type) {
		case nil:
			tr = http.DefaultTransport.(*http.Transport).Clone()
		case *http.Transport:
			tr = t.Clone()
		default:
			return nil, fmt.Errorf("%w: TLSClientAuth needs an *http.Transport in HTTPClient, have %T", ErrConfig, t)
		}
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		} else {
			tr.TLSClientConfig = tr.TLSClientConfig.Clone()
		}
		tr.TLSClientConfig.Certificates = []tls.Certificate{*cfg.Auth.cert}
		hc.Transport = tr
	}
	return hc, nil
}

// tokenResponse is a successful token endpoint answer (RFC 6749 §5.1,
// OpenID Connect Core §3.1.3.3; refresh_expires_in is Keycloak's).
type tokenResponse struct {
	AccessToken      string      `json:"access_token"`
	TokenType        string      `json:"token_type"`
	ExpiresIn        json.Number `json:"expires_in"`
	RefreshToken     string      `json:"refresh_token"`
	RefreshExpiresIn json.Number `json:"refresh_expires_in"`
	IDToken          string      `json:"id_token"`
	Scope            string      `json:"scope"`
}

// errorResponse is an OAuth error answer.
type errorResponse struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// TokenRequests returns how many requests the client sent to the token,
// backchannel and revocation endpoints since it was made.
func (c *Client) TokenRequests() int64 { return c.requests.Load() }

// post sends a form to a PSC endpoint with the client authentication and
// decodes a JSON answer into out. A non-2xx answer is a *TokenError (or a
// *TemporaryError around one when it may change); a transport failure is a
// *TemporaryError.
func (c *Client) post(ctx context.Context, endpointName, label string, form url.Values, out any) error {
	u := c.meta.endpoint(endpointName, c.cfg.Auth.mtls())
	if u == "" {
		return fmt.Errorf("%w: environment %s has no %s", ErrConfig, quote(c.cfg.Environment.Name), endpointName)
	}
	switch c.cfg.Auth.method {
	case AuthClientSecretPost:
		form.Set("client_id", c.cfg.ClientID)
		form.Set("client_secret", c.cfg.Auth.secret)
	case AuthClientSecretBasic:
	default:
		form.Set("client_id", c.cfg.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrConfig, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.cfg.Auth.method == AuthClientSecretBasic {
		// RFC 6749 §2.3.1: both are form-encoded before Basic.
		req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(c.cfg.Auth.secret))
	}
	c.requests.Add(1)
	resp, body, err := c.do(req, label)
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return statusError(label, form.Get("grant_type"), resp, body)
	}
	if out == nil {
		return nil
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "" && mt != "application/json" {
		return fmt.Errorf("psc: %s endpoint: answer is %s, not JSON", label, quote(mt))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("psc: %s endpoint: malformed answer: %v", label, err)
	}
	return nil
}

// do sends req to an endpoint of the identity provider and reads the
// answer, bounded by MaxResponseBytes; resp (its body read and closed) is
// nil only when no answer came. A refused redirect is returned as it is;
// a transport failure is temporary, its URL redacted.
func (c *Client) do(req *http.Request, label string) (*http.Response, []byte, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		if errors.Is(err, ErrRedirect) {
			return nil, nil, err
		}
		return nil, nil, &TemporaryError{Cause: fmt.Errorf("psc: %s endpoint: %w", label, httpredirect.RedactError(err))}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes()+1))
	if err != nil {
		return resp, nil, &TemporaryError{Cause: fmt.Errorf("psc: %s endpoint: reading the answer: %v", label, err)}
	}
	if int64(len(body)) > c.maxBytes() {
		return resp, nil, fmt.Errorf("psc: %s endpoint: answer over %d bytes", label, c.maxBytes())
	}
	return resp, body, nil
}

// statusError is the error of an endpoint's answer with an error status:
// a *TokenError with the OAuth error the body names, inside a
// *TemporaryError when it is worth retrying.
func statusError(label, grant string, resp *http.Response, body []byte) error {
	te := &TokenError{Endpoint: label, Grant: grant, Status: resp.StatusCode}
	var er errorResponse
	if json.Unmarshal(body, &er) == nil {
		te.Code, te.Description = er.Error, er.Description
	}
	if te.temporary() {
		return &TemporaryError{Cause: te, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	}
	return te
}

func (c *Client) maxBytes() int64 {
	if c.cfg.MaxResponseBytes > 0 {
		return c.cfg.MaxResponseBytes
	}
	return DefaultMaxResponseBytes
}

// retryAfter parses a Retry-After in seconds; dates and junk give 0.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 || n > 3600 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// seconds reads an expires_in: a JSON number, or a string holding one.
func seconds(n json.Number) (time.Duration, bool) {
	if n == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f <= 0 || f > 1e7 {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}
