package psc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/mssante-go/sdk/internal/textcut"
)

// TestHMACIDToken: an ID token signed HS256 with the client secret (a
// Keycloak client setting the ANS plugin supports) verifies; with another
// secret, or none, it does not.
func TestHMACIDToken(t *testing.T) {
	secret := strings.Repeat("s", 32)
	sign := func(key string) string {
		sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(key)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		jws, _ := sig.Sign([]byte(`{"sub":"x"}`))
		s, _ := jws.CompactSerialize()
		return s
	}
	ks := &keySet{remote: failingKeySet{}, secret: secret}
	if p, err := ks.VerifySignature(context.Background(), sign(secret)); err != nil || string(p) != `{"sub":"x"}` {
		t.Fatalf("good HMAC: %v", err)
	}
	if _, err := ks.VerifySignature(context.Background(), sign(strings.Repeat("o", 32))); err == nil {
		t.Fatal("HMAC with another secret accepted")
	}
	if _, err := (&keySet{remote: failingKeySet{}}).VerifySignature(context.Background(), sign(secret)); err == nil {
		t.Fatal("HMAC without a secret accepted")
	}
	if got := usableAlgs([]string{"RS256", "HS256", "none", ""}, false); strings.Join(got, ",") != "RS256" {
		t.Fatalf("usableAlgs without secret: %v", got)
	}
	if got := usableAlgs([]string{"RS256", "HS256", "none"}, true); strings.Join(got, ",") != "RS256,HS256" {
		t.Fatalf("usableAlgs with secret: %v", got)
	}
}

type failingKeySet struct{}

func (failingKeySet) VerifySignature(context.Context, string) ([]byte, error) {
	return nil, errors.New("remote")
}

func TestCheckAtHash(t *testing.T) {
	// OpenID Connect Core A.3 example: at_hash of "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y" with RS256.
	if err := checkAtHash("RS256", "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "77QmUPtjPfzWtF2AnpK9RQ"); err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{"RS256", "HS", "", "none"} {
		if err := checkAtHash(alg, "token", "77QmUPtjPfzWtF2AnpK9RQ"); err == nil {
			t.Fatalf("%q: accepted", alg)
		}
	}
}

func TestHeaderAlg(t *testing.T) {
	for in, want := range map[string]string{
		"eyJhbGciOiJIUzI1NiJ9.e30.x":     "HS256",
		"":                               "",
		"....":                           "",
		"!!!.x.y":                        "",
		strings.Repeat("A", 5000) + ".x": "",
	} {
		if got := headerAlg(in); got != want {
			t.Errorf("headerAlg(%.20q) = %q", in, got)
		}
	}
}

// TestDiscovery: the issuer must be the prefix of PSC's discovery URL (or
// the configured one), the document is bounded, and overrides apply.
func TestDiscovery(t *testing.T) {
	var doc map[string]any
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(doc)
	}))
	defer srv.Close()
	iss := srv.URL + "/auth/realms/esante-wallet"
	good := func() map[string]any {
		return map[string]any{"issuer": iss, "authorization_endpoint": srv.URL + "/auth", "token_endpoint": iss + "/token", "jwks_uri": iss + "/certs"}
	}
	env := Environment{Name: "t", DiscoveryURL: iss + "/.well-known/wallet-openid-configuration"}
	ctx := context.Background()
	hc := srv.Client()

	doc = good()
	m, err := discover(ctx, env, hc)
	if err != nil || m.TokenEndpoint != iss+"/token" {
		t.Fatalf("good: %v %+v", err, m)
	}
	e2 := env
	e2.TokenEndpoint = "https://proxy.lps.example/psc/token"
	if m, err := discover(ctx, e2, hc); err != nil || m.TokenEndpoint != e2.TokenEndpoint {
		t.Fatalf("override: %v", err)
	}

	doc = good()
	doc["issuer"] = "https://evil.example/auth/realms/esante-wallet"
	if _, err := discover(ctx, env, hc); !errors.Is(err, ErrIssuerMismatch) || !errors.Is(err, ErrDiscovery) {
		t.Fatalf("foreign issuer: %v", err)
	}
	e3 := env
	e3.Issuer = "https://evil.example/auth/realms/esante-wallet"
	if _, err := discover(ctx, e3, hc); err != nil {
		t.Fatalf("configured issuer: %v", err)
	}

	doc = good()
	delete(doc, "jwks_uri")
	if _, err := discover(ctx, env, hc); !errors.Is(err, ErrDiscovery) {
		t.Fatalf("no jwks_uri: %v", err)
	}
	doc = good()
	doc["token_endpoint"] = "javascript:alert(1)"
	if _, err := discover(ctx, env, hc); !errors.Is(err, ErrDiscovery) {
		t.Fatalf("bad URL: %v", err)
	}
	doc = good()
	doc["pad"] = strings.Repeat("x", maxDiscoveryBytes)
	if _, err := discover(ctx, env, hc); !errors.Is(err, ErrDiscovery) {
		t.Fatalf("huge: %v", err)
	}
	status = http.StatusServiceUnavailable
	if _, err := discover(ctx, env, hc); !errors.Is(err, ErrTemporary) {
		t.Fatalf("503: %v", err)
	}
	status = http.StatusNotFound
	if _, err := discover(ctx, env, hc); !errors.Is(err, ErrDiscovery) || errors.Is(err, ErrTemporary) {
		t.Fatalf("404: %v", err)
	}
}

// TestRedirectRefused: a token endpoint redirecting to another host is
// not followed (the form carries the code and the secret).
func TestRedirectRefused(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("followed the redirect")
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/token", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	c := &Client{cfg: Config{ClientID: "c", Auth: ClientSecretPost("secret")}, meta: &Metadata{TokenEndpoint: srv.URL + "/token"}}
	var err error
	if c.hc, err = httpClient(c.cfg); err != nil {
		t.Fatal(err)
	}
	err = c.post(context.Background(), "token_endpoint", "token", map[string][]string{"grant_type": {"refresh_token"}}, nil)
	if !errors.Is(err, ErrRedirect) {
		t.Fatalf("err = %v", err)
	}
}

func TestQuote(t *testing.T) {
	long := strings.Repeat("é", 200)
	if q := quote(long); len(q) > textcut.Max+10 {
		t.Fatalf("quote kept %d bytes", len(q))
	}
}

func TestRetryAfter(t *testing.T) {
	for in, want := range map[string]time.Duration{"5": 5 * time.Second, "": 0, "x": 0, "-1": 0, "99999": 0} {
		if got := retryAfter(in); got != want {
			t.Errorf("retryAfter(%q) = %v", in, got)
		}
	}
}
