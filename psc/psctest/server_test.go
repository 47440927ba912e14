package psctest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/psc"
	"github.com/mssante-go/sdk/psc/psctest"
)

type fixture struct {
	idp   *psctest.Server
	clock *psctest.Clock
	c     *psc.Client
}

func newFixture(t *testing.T, opts psctest.Options) *fixture {
	t.Helper()
	clock := psctest.NewClock(time.Time{})
	opts.Clock = clock
	idp, err := psctest.NewServer(&opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	cfg := idp.Config()
	cfg.Clock = clock
	c, err := psc.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{idp, clock, c}
}

func (f *fixture) login(t *testing.T) *psc.Session {
	t.Helper()
	s, err := f.c.LoginCIBA(context.Background(), psc.CIBARequest{LoginHint: f.idp.Professional().NationalID})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) token(t *testing.T, s *psc.Session) string {
	t.Helper()
	tok, err := s.Token()
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// TestVerify: Verify accepts only valid access tokens of this server.
func TestVerify(t *testing.T) {
	f := newFixture(t, psctest.Options{CIBAPendingPolls: -1})
	s := f.login(t)
	at := f.token(t, s)
	info, err := f.idp.Introspect(at)
	if err != nil {
		t.Fatal(err)
	}
	if info.NationalID != "810000000001" || info.ClientID != f.idp.ClientID() || info.Scope != "openid scope_all" ||
		info.Expiry.Sub(info.IssuedAt) != 120*time.Second {
		t.Fatalf("info %+v", info)
	}

	other := newFixture(t, psctest.Options{CIBAPendingPolls: -1})
	otherToken := other.token(t, other.login(t))
	parts := strings.Split(at, ".")
	tests := map[string]string{
		"another server's token": otherToken,
		"tampered payload":       parts[0] + "." + parts[1] + "x." + parts[2],
		"tampered signature":     parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])),
		"not a JWT":              "psc-test-0123456789",
		"empty":                  "",
		"huge":                   strings.Repeat("a", 20000),
	}
	for name, tok := range tests {
		if err := f.idp.Verify(tok); !errors.Is(err, psctest.ErrInvalidToken) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Expired by time.
	f.clock.Advance(121 * time.Second)
	if err := f.idp.Verify(at); !errors.Is(err, psctest.ErrInvalidToken) {
		t.Errorf("expired: %v", err)
	}
}

// TestVerifyAudience: the audience the operator expects.
func TestVerifyAudience(t *testing.T) {
	f := newFixture(t, psctest.Options{CIBAPendingPolls: -1, Audience: []string{"mssante-operator"}})
	at := f.token(t, f.login(t))
	info, err := f.idp.Introspect(at)
	if err != nil || len(info.Audience) != 1 || info.Audience[0] != "mssante-operator" {
		t.Fatalf("%v %+v", err, info)
	}
}

// TestRotateKeys: with the old key retired, its tokens no longer verify;
// kept, they do.
func TestRotateKeys(t *testing.T) {
	f := newFixture(t, psctest.Options{CIBAPendingPolls: -1})
	at := f.token(t, f.login(t))
	if err := f.idp.RotateKeys(false); err != nil {
		t.Fatal(err)
	}
	if err := f.idp.Verify(at); err != nil {
		t.Fatalf("old key kept: %v", err)
	}
	if err := f.idp.RotateKeys(true); err != nil {
		t.Fatal(err)
	}
	if err := f.idp.Verify(at); !errors.Is(err, psctest.ErrInvalidToken) {
		t.Fatalf("old key retired: %v", err)
	}
	s := f.login(t) // signed with the new key, fetched by the client
	if err := f.idp.Verify(f.token(t, s)); err != nil {
		t.Fatal(err)
	}
}

// TestRefreshRotationAndExpiry: a refresh token serves once, and not
// after its lifetime.
func TestRefreshRotationAndExpiry(t *testing.T) {
	f := newFixture(t, psctest.Options{CIBAPendingPolls: -1, RefreshTokenLifetime: 5 * time.Minute})
	s := f.login(t)
	for range 3 {
		f.clock.Advance(4 * time.Minute)
		if _, err := s.Token(); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Advance(6 * time.Minute)
	if _, err := s.Token(); !errors.Is(err, psc.ErrSessionEnded) {
		t.Fatalf("after the refresh token's lifetime: %v", err)
	}
	if st := f.idp.Stats(); st.Refreshes != 4 || st.RefusedRefreshes != 1 {
		t.Fatalf("%+v", st)
	}
}

// TestEndpoints checks the raw protocol: discovery shape, client
// authentication, unsupported grant, userinfo without token.
func TestEndpoints(t *testing.T) {
	f := newFixture(t, psctest.Options{})
	hc := f.idp.HTTPClient()
	resp, err := hc.Get(f.idp.URL + psctest.DiscoveryPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if doc["issuer"] != f.idp.Issuer() || doc["backchannel_authentication_endpoint"] != f.idp.URL+psctest.BackchannelPath {
		t.Fatalf("discovery %v", doc)
	}
	post := func(form url.Values, basic bool) (int, string) {
		req, _ := http.NewRequest("POST", f.idp.URL+psctest.TokenPath, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if basic {
			req.SetBasicAuth(f.idp.ClientID(), f.idp.ClientSecret())
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, body := post(url.Values{"grant_type": {"password"}}, true); st != 400 || !strings.Contains(body, "unsupported_grant_type") {
		t.Errorf("password grant: %d %s", st, body)
	}
	if st, body := post(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, false); st != 401 || !strings.Contains(body, "invalid_client") {
		t.Errorf("no client auth: %d %s", st, body)
	}
	if st, body := post(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, true); st != 400 || !strings.Contains(body, "invalid_grant") {
		t.Errorf("unknown refresh token: %d %s", st, body)
	}
	resp, err = hc.Get(f.idp.URL + psctest.UserInfoPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("userinfo without token: %d", resp.StatusCode)
	}
	// Authorization with a redirect URI that is not registered.
	resp, err = hc.Get(f.idp.URL + psctest.AuthorizePath + "?client_id=" + f.idp.ClientID() + "&redirect_uri=https://evil.example/cb")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("foreign redirect_uri: %d", resp.StatusCode)
	}
}
