package psctest

import "net/http"

// faults are the switches the test sets.
type faults struct {
	refuseRefresh      bool
	denyAuthorize      bool
	denyCIBA           bool
	expireCIBA         bool
	slowDown           int
	failTokens         int
	failStatus         int
	lastBindingMessage string
	lastChannel        string
}

// Stats counts the requests the server received, so that a test can
// assert the work a client did ("no retry storm").
type Stats struct {
	Discovery, JWKS, Authorize, UserInfo, Revocations int
	// Token counts every request to the token endpoint; CodeExchanges,
	// Refreshes and CIBAPolls those of each grant that got past client
	// authentication and the injected failures.
	Token, CodeExchanges, Refreshes, CIBAPolls int
	CIBARequests                               int // backchannel authentication requests
	RefusedRefreshes                           int // refreshes answered invalid_grant
	TooFastPolls                               int // CIBA polls faster than the interval
	Issued                                     int // token responses with tokens
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// TokenRequests returns how many requests the token endpoint received.
func (s *Server) TokenRequests() int { return s.Stats().Token }

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// RefuseRefresh makes the token endpoint refuse every refresh token
// (invalid_grant "Token is not active", and the PSC session ends), as PSC
// does when the session expired or was closed; false lets new sessions
// refresh again.
func (s *Server) RefuseRefresh(on bool) {
	s.mu.Lock()
	s.faults.refuseRefresh = on
	s.mu.Unlock()
}

// DenyAuthorize makes the authorization endpoint redirect with
// error=access_denied, as when the professional cancels.
func (s *Server) DenyAuthorize(on bool) {
	s.mu.Lock()
	s.faults.denyAuthorize = on
	s.mu.Unlock()
}

// DenyCIBA makes new backchannel requests end in access_denied.
func (s *Server) DenyCIBA(on bool) {
	s.mu.Lock()
	s.faults.denyCIBA = on
	s.mu.Unlock()
}

// ExpireCIBA makes every pending backchannel request expire: the next poll
// gets expired_token.
func (s *Server) ExpireCIBA() {
	s.mu.Lock()
	s.faults.expireCIBA = true
	s.mu.Unlock()
}

// SlowDown answers the next n CIBA polls with slow_down (each adds 5 s
// to the request's interval, which the server then enforces).
func (s *Server) SlowDown(n int) {
	s.mu.Lock()
	s.faults.slowDown = n
	s.mu.Unlock()
}

// FailTokenRequests answers the next n token endpoint requests with
// status (500 when 0) and {"error":"server_error"}: a temporary failure.
func (s *Server) FailTokenRequests(n, status int) {
	if status == 0 {
		status = http.StatusInternalServerError
	}
	s.mu.Lock()
	s.faults.failTokens, s.faults.failStatus = n, status
	s.mu.Unlock()
}

func (s *Server) takeTokenFailure() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.failTokens <= 0 {
		return 0, false
	}
	s.faults.failTokens--
	return s.faults.failStatus, true
}

// RotateKeys signs from now on with a new key. With retire, the old keys
// leave the JWKS (and Verify refuses tokens they signed); otherwise they
// stay published, as during a real rotation.
func (s *Server) RotateKeys(retire bool) error {
	k, err := newSigningKey()
	if err != nil {
		return err
	}
	s.mu.Lock()
	if retire {
		s.keys = []*signingKey{k}
	} else {
		s.keys = append([]*signingKey{k}, s.keys...)
	}
	s.mu.Unlock()
	return nil
}

// ExpireAccessTokens makes every access token issued so far invalid for
// Verify and userinfo, as if their lifetime had passed: the forced expiry
// a test of the operator's 401 and the client's refresh needs.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	for jti := range s.access {
		s.expired[jti] = true
	}
	s.mu.Unlock()
}

// LastCIBA returns the binding_message and channel of the last
// backchannel request.
func (s *Server) LastCIBA() (bindingMessage, channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.lastBindingMessage, s.faults.lastChannel
}
