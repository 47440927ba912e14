package psc_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/mssante-go/sdk/psc"
	"github.com/mssante-go/sdk/psc/psctest"
)

var timeZero time.Time

// TestSessionChain is the life of a mailbox session: login, token, refresh
// ahead of expiry, a token refused by the operator (forced expiry),
// refresh, PSC refusing the refresh token, session ended; with the token
// requests counted at every step, and none after the end however often
// the application asks.
func TestSessionChain(t *testing.T) {
	r := newRig(t, nil, nil)
	s := r.login(t)
	want := func(step string, n int) {
		t.Helper()
		if got := r.idp.TokenRequests(); got != n {
			t.Fatalf("%s: %d token requests, want %d", step, got, n)
		}
		if got := r.c.TokenRequests(); got != int64(n) {
			t.Fatalf("%s: client counted %d token requests, want %d", step, got, n)
		}
	}
	want("login", 1)

	tok1, err := s.Token()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.idp.Verify(tok1.AccessToken); err != nil {
		t.Fatalf("first token: %v", err)
	}
	if tok1.RefreshToken != "" {
		t.Error("Token hands out the refresh token")
	}
	want("first token", 1)

	// 60 s of 120: not due (refresh 30 s ahead).
	r.clock.Advance(60 * time.Second)
	if tok, _ := s.Token(); tok.AccessToken != tok1.AccessToken {
		t.Fatal("refreshed too early")
	}
	want("before refresh time", 1)

	// 95 s: due, the old token still valid.
	r.clock.Advance(35 * time.Second)
	if err := r.idp.Verify(tok1.AccessToken); err != nil {
		t.Fatalf("token should still be valid at 95 s: %v", err)
	}
	tok2, err := s.Token()
	if err != nil || tok2.AccessToken == tok1.AccessToken {
		t.Fatalf("refresh ahead of expiry: %v", err)
	}
	if err := r.idp.Verify(tok2.AccessToken); err != nil {
		t.Fatal(err)
	}
	want("refresh ahead", 2)

	// Forced expiry: the operator refuses the token (XOAUTH2 401).
	r.idp.ExpireAccessTokens()
	if err := r.idp.Verify(tok2.AccessToken); !errors.Is(err, psctest.ErrInvalidToken) {
		t.Fatalf("forced expiry: Verify = %v", err)
	}
	s.Invalidate("some-other-token") // ignored
	if tok, _ := s.Token(); tok.AccessToken != tok2.AccessToken {
		t.Fatal("Invalidate of another token forced a refresh")
	}
	s.Invalidate(tok2.AccessToken)
	tok3, err := s.Token()
	if err != nil || tok3.AccessToken == tok2.AccessToken {
		t.Fatalf("refresh after forced expiry: %v", err)
	}
	if err := r.idp.Verify(tok3.AccessToken); err != nil {
		t.Fatal(err)
	}
	want("refresh after forced expiry", 3)

	// PSC refuses the refresh token: the session ends (ECO.1.2.6).
	r.idp.RefuseRefresh(true)
	r.clock.Advance(100 * time.Second)
	_, err = s.Token()
	if !errors.Is(err, psc.ErrSessionEnded) {
		t.Fatalf("refused refresh: %v", err)
	}
	var te *psc.TokenError
	if !errors.As(err, &te) || te.Code != "invalid_grant" || te.Status != http.StatusBadRequest {
		t.Fatalf("cause: %#v", err)
	}
	var tmp interface{ Temporary() bool }
	if !errors.As(err, &tmp) || tmp.Temporary() {
		t.Fatal("an ended session says it is temporary")
	}
	want("refused refresh", 4)
	select {
	case <-s.Done():
	default:
		t.Fatal("Done not closed")
	}
	if !errors.Is(s.Err(), psc.ErrSessionEnded) {
		t.Fatalf("Err = %v", s.Err())
	}
	// No retry storm.
	for range 50 {
		r.clock.Advance(time.Minute)
		if _, err := s.Token(); !errors.Is(err, psc.ErrSessionEnded) {
			t.Fatalf("after the end: %v", err)
		}
	}
	want("after the end", 4)
	if st := r.idp.Stats(); st.RefusedRefreshes != 1 || st.Refreshes != 3 || st.CodeExchanges != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestSessionTemporaryFailures: a refresh failing with 5xx is tried again
// with backoff; while the old token works it is handed out; once it is
// spent, Token returns a *TemporaryError and does not call PSC again
// before the backoff has passed.
func TestSessionTemporaryFailures(t *testing.T) {
	r := newRig(t, nil, nil)
	s := r.login(t)
	tok1, _ := s.Token()
	r.clock.Waits()

	// Two failures, then success: 3 requests, waits of 1 s and 2 s with
	// jitter (between half of each and all of it).
	r.idp.FailTokenRequests(2, http.StatusServiceUnavailable)
	r.clock.Advance(95 * time.Second)
	tok2, err := s.Token()
	if err != nil || tok2.AccessToken == tok1.AccessToken {
		t.Fatalf("retry: %v", err)
	}
	if got := r.idp.TokenRequests(); got != 4 {
		t.Fatalf("%d token requests, want 4", got)
	}
	if w := r.clock.Waits(); len(w) != 2 || w[0] < time.Second/2 || w[0] > time.Second || w[1] < time.Second || w[1] > 2*time.Second {
		t.Fatalf("waits %v", w)
	}

	// Failing while the token is still valid: the token is handed out.
	r.idp.FailTokenRequests(100, http.StatusBadGateway)
	r.clock.Advance(95 * time.Second)
	tok3, err := s.Token()
	if err != nil || tok3.AccessToken != tok2.AccessToken {
		t.Fatalf("valid token during an outage: %v", err)
	}
	if got := r.idp.TokenRequests(); got != 7 {
		t.Fatalf("%d token requests, want 7", got)
	}
	// Called again at once: within the backoff, no request.
	for range 20 {
		if _, err := s.Token(); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.idp.TokenRequests(); got != 7 {
		t.Fatalf("retry storm: %d token requests, want 7", got)
	}

	// The token expires during the outage: a temporary error, not the end.
	r.clock.Advance(60 * time.Second)
	_, err = s.Token()
	var tmp *psc.TemporaryError
	if !errors.Is(err, psc.ErrTemporary) || errors.Is(err, psc.ErrSessionEnded) || !errors.As(err, &tmp) || tmp.RetryAfter <= 0 || !tmp.Temporary() {
		t.Fatalf("outage: %v", err)
	}
	n := r.idp.TokenRequests()
	for range 20 {
		if _, err := s.Token(); !errors.Is(err, psc.ErrTemporary) {
			t.Fatalf("outage: %v", err)
		}
	}
	if got := r.idp.TokenRequests(); got != n {
		t.Fatalf("retry storm: %d token requests, want %d", got, n)
	}
	// PSC is back: after the backoff, the session recovers.
	r.idp.FailTokenRequests(0, 0)
	r.clock.Advance(time.Minute)
	if _, err := s.Token(); err != nil {
		t.Fatalf("recovery: %v", err)
	}
	if s.Err() != nil {
		t.Fatal(s.Err())
	}
}

// TestSessionClose revokes the refresh token at PSC.
func TestSessionClose(t *testing.T) {
	r := newRig(t, nil, nil)
	s := r.login(t)
	tok, _ := s.Token()
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(); !errors.Is(err, psc.ErrSessionEnded) || !errors.Is(err, psc.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if r.idp.Stats().Revocations != 1 {
		t.Fatal("no revocation")
	}
	if err := r.idp.Verify(tok.AccessToken); !errors.Is(err, psctest.ErrInvalidToken) {
		t.Fatalf("token of a revoked session: %v", err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestKeepAlive refreshes in the background until PSC refuses.
func TestKeepAlive(t *testing.T) {
	r := newRig(t, nil, nil)
	s := r.login(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.KeepAlive(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
	r.idp.RefuseRefresh(true)
	if err := s.KeepAlive(context.Background()); !errors.Is(err, psc.ErrSessionEnded) {
		t.Fatalf("KeepAlive = %v", err)
	}
	if got := r.idp.Stats().Refreshes; got != 1 {
		t.Fatalf("%d refreshes", got)
	}
}

// TestKeyRotation: PSC signs with a new key; the client fetches the JWKS
// again and accepts the new ID token.
func TestKeyRotation(t *testing.T) {
	r := newRig(t, nil, nil)
	s := r.login(t)
	jwks := r.idp.Stats().JWKS
	if err := r.idp.RotateKeys(true); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(100 * time.Second)
	tok, err := s.Token()
	if err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if r.idp.Stats().JWKS != jwks+1 {
		t.Fatalf("JWKS fetched %d times, want %d", r.idp.Stats().JWKS, jwks+1)
	}
	if err := r.idp.Verify(tok.AccessToken); err != nil {
		t.Fatal(err)
	}
}
