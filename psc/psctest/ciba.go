package psctest

import (
	"net/http"
	"time"
)

// cibaRequest is a pending backchannel authentication.
type cibaRequest struct {
	scope    string
	expires  time.Time
	interval time.Duration
	lastPoll time.Time // or when the request was made
	polls    int
	denied   bool
	done     bool
}

// handleBackchannel starts a CIBA request for the configured professional
// (CIBA Core §7.1): login_hint must be its NationalID.
func (s *Server) handleBackchannel(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.CIBARequests++ })
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed form")
		return
	}
	if !s.authenticateClient(r) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Invalid client credentials")
		return
	}
	f := r.PostForm
	switch {
	case f.Get("login_hint") == "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "missing parameter : login_hint")
		return
	case !scopeHas(f.Get("scope"), "openid"):
		oauthError(w, http.StatusBadRequest, "invalid_request", "missing parameter : scope")
		return
	case f.Get("login_hint") != s.opts.Professional.NationalID:
		oauthError(w, http.StatusBadRequest, "unknown_user_id", "invalid_user")
		return
	}
	s.mu.Lock()
	s.faults.lastBindingMessage = f.Get("binding_message")
	s.faults.lastChannel = f.Get("channel")
	id := randomHex(24)
	now := s.now()
	s.ciba[id] = &cibaRequest{scope: f.Get("scope"), expires: now.Add(s.opts.CIBAExpiresIn),
		interval: s.opts.CIBAInterval, lastPoll: now, denied: s.faults.denyCIBA}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"auth_req_id": id,
		"expires_in":  int(s.opts.CIBAExpiresIn / time.Second),
		"interval":    int(s.opts.CIBAInterval / time.Second),
	})
}

// pollCIBA answers a CIBA token request (CIBA Core §11): slow_down when
// polled faster than the interval (which then grows by 5 s), or when a
// fault asks; expired_token, access_denied, authorization_pending for the
// configured number of polls, then the tokens.
func (s *Server) pollCIBA(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("auth_req_id")
	now := s.now()
	s.mu.Lock()
	c := s.ciba[id]
	if c == nil || c.done {
		s.mu.Unlock()
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid Auth Req ID")
		return
	}
	tooFast := now.Sub(c.lastPoll) < c.interval // the first poll too waits an interval
	c.lastPoll = now
	c.polls++
	var code string
	switch {
	case s.faults.expireCIBA || !now.Before(c.expires):
		code = "expired_token"
		c.done = true
	case tooFast:
		code = "slow_down"
		c.interval += 5 * time.Second
		s.stats.TooFastPolls++
	case s.faults.slowDown > 0:
		s.faults.slowDown--
		code = "slow_down"
		c.interval += 5 * time.Second
	case c.denied:
		code = "access_denied"
		c.done = true
	case c.polls <= s.opts.CIBAPendingPolls:
		code = "authorization_pending"
	default:
		c.done = true
	}
	scope := c.scope
	s.mu.Unlock()
	if code != "" {
		oauthError(w, http.StatusBadRequest, code, "")
		return
	}
	s.issue(w, s.newGrant(scope), "")
}
