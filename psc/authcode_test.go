package psc_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/psc"
	"github.com/mssante-go/sdk/psc/psctest"
)

const redirect = "http://127.0.0.1:8765/callback"

// TestAuthCodeURL checks the request: PKCE S256, state, nonce, the
// scopes and acr_values PSC expects.
func TestAuthCodeURL(t *testing.T) {
	r := newRig(t, nil, nil)
	p, err := r.c.AuthCodeURL(redirect)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(p.URL)
	q := u.Query()
	for k, v := range map[string]string{
		"response_type": "code", "client_id": r.idp.ClientID(), "redirect_uri": redirect,
		"scope": "openid scope_all", "acr_values": "eidas1", "code_challenge_method": "S256",
		"state": p.State, "nonce": p.Nonce,
	} {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if q.Get("code_challenge") == "" || strings.Contains(p.URL, p.CodeVerifier) {
		t.Error("PKCE: no challenge, or the verifier is in the URL")
	}
	p2, _ := r.c.AuthCodeURL(redirect)
	if p2.State == p.State || p2.Nonce == p.Nonce || p2.CodeVerifier == p.CodeVerifier || len(p.State) < 43 {
		t.Error("state, nonce or verifier not fresh and random")
	}
}

// TestExchangeRefusesTampering: every altered part of the round trip is
// refused, and the checks made before the code exchange cost no token
// request.
func TestExchangeRefusesTampering(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name         string
		tamper       func(p *psc.Pending, q url.Values)
		want         error
		tokenRequest bool
	}{
		{"state changed", func(_ *psc.Pending, q url.Values) { q.Set("state", "forged") }, psc.ErrStateMismatch, false},
		{"state missing", func(_ *psc.Pending, q url.Values) { q.Del("state") }, psc.ErrStateMismatch, false},
		{"state of another request", func(p *psc.Pending, _ url.Values) { p.State = "another-request-state-000000000000000000000" }, psc.ErrStateMismatch, false},
		{"issuer mix-up", func(_ *psc.Pending, q url.Values) { q.Set("iss", "https://evil.example/auth/realms/esante-wallet") }, psc.ErrIssuerMismatch, false},
		{"PKCE verifier changed", func(p *psc.Pending, _ url.Values) { p.CodeVerifier = strings.Repeat("x", 43) }, nil, true},
		{"code changed", func(_ *psc.Pending, q url.Values) { q.Set("code", "0123456789") }, nil, true},
		{"nonce changed", func(p *psc.Pending, _ url.Values) { p.Nonce = "another-nonce" }, psc.ErrNonceMismatch, true},
		{"redirect_uri changed", func(p *psc.Pending, _ url.Values) { p.RedirectURL = "http://127.0.0.1:9999/cb" }, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil, nil)
			p, err := r.c.AuthCodeURL(redirect)
			if err != nil {
				t.Fatal(err)
			}
			q := r.redirectQuery(t, p.URL)
			tt.tamper(p, q)
			_, err = r.c.Exchange(ctx, p, q)
			if err == nil {
				t.Fatal("accepted")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == nil {
				var te *psc.TokenError
				if !errors.As(err, &te) || te.Code != "invalid_grant" {
					t.Fatalf("err = %v, want invalid_grant", err)
				}
			}
			if got := r.idp.TokenRequests() > 0; got != tt.tokenRequest {
				t.Fatalf("token request sent: %v", got)
			}
		})
	}
}

// TestExchangeOutcomes covers the other answers of the round trip.
func TestExchangeOutcomes(t *testing.T) {
	ctx := context.Background()
	t.Run("code replay", func(t *testing.T) {
		r := newRig(t, nil, nil)
		p, _ := r.c.AuthCodeURL(redirect)
		q := r.redirectQuery(t, p.URL)
		if _, err := r.c.Exchange(ctx, p, q); err != nil {
			t.Fatal(err)
		}
		var te *psc.TokenError
		if _, err := r.c.Exchange(ctx, p, q); !errors.As(err, &te) || te.Code != "invalid_grant" {
			t.Fatalf("replay: %v", err)
		}
	})
	t.Run("professional cancels", func(t *testing.T) {
		r := newRig(t, nil, nil)
		r.idp.DenyAuthorize(true)
		_, err := r.c.LoginLoopback(ctx, r.browse)
		var ae *psc.AuthorizationError
		if !errors.Is(err, psc.ErrAccessDenied) || !errors.As(err, &ae) || ae.Code != "access_denied" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("acr not accepted", func(t *testing.T) {
		r := newRig(t, nil, func(c *psc.Config) { c.ACRValues = []string{"eidas2"} })
		_, err := r.c.LoginLoopback(ctx, r.browse)
		var ae *psc.ACRError
		if !errors.Is(err, psc.ErrInsufficientACR) || !errors.As(err, &ae) || ae.Got != "eidas1" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("wrong client secret", func(t *testing.T) {
		r := newRig(t, nil, func(c *psc.Config) { c.Auth = psc.ClientSecretPost("not-the-secret") })
		_, err := r.c.LoginLoopback(ctx, r.browse)
		var te *psc.TokenError
		if !errors.As(err, &te) || te.Code != "invalid_client" || te.Status != 401 {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("client_secret_post", func(t *testing.T) {
		r := newRig(t, nil, nil)
		cfg := r.cfg
		cfg.Auth = psc.ClientSecretPost(r.idp.ClientSecret())
		c, err := psc.New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.LoginLoopback(ctx, r.browse); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("public client", func(t *testing.T) {
		r := newRig(t, &psctest.Options{PublicClient: true}, func(c *psc.Config) { c.Auth = psc.ClientAuth{} })
		if _, err := r.c.LoginLoopback(ctx, r.browse); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("loopback: forged state", func(t *testing.T) {
		r := newRig(t, nil, nil)
		_, err := r.c.LoginLoopback(ctx, func(u string) error {
			q := r.redirectQuery(t, u)
			q.Set("state", "forged")
			p, _ := url.Parse(u)
			back := p.Query().Get("redirect_uri") + "?" + q.Encode()
			return r.browse(back)
		})
		if !errors.Is(err, psc.ErrStateMismatch) {
			t.Fatalf("err = %v", err)
		}
		if r.idp.TokenRequests() != 0 {
			t.Fatal("code exchanged")
		}
	})
	t.Run("loopback: fixed redirect", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		fixed := "http://" + ln.Addr().String() + "/psc/retour"
		ln.Close()
		r := newRig(t, &psctest.Options{RedirectURIs: []string{fixed}}, func(c *psc.Config) { c.RedirectURL = fixed })
		if _, err := r.c.LoginLoopback(ctx, r.browse); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("loopback: not loopback", func(t *testing.T) {
		r := newRig(t, nil, func(c *psc.Config) { c.RedirectURL = "https://lps.example/callback" })
		if _, err := r.c.LoginLoopback(ctx, r.browse); !errors.Is(err, psc.ErrConfig) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("loopback: context", func(t *testing.T) {
		r := newRig(t, nil, nil)
		cctx, cancel := context.WithCancel(ctx)
		_, err := r.c.LoginLoopback(cctx, func(string) error { cancel(); return nil })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	})
}
