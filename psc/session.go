package psc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/mssante-go/sdk/internal/backoff"
)

// defaultAccessLifetime is assumed when a token response has no
// expires_in: short, so that the session refreshes rather than hands out
// a dead token.
const defaultAccessLifetime = 60 * time.Second

// Session is a logged-in professional's PSC session: the access token
// (held in memory only, never written anywhere: Ref#2 ECO.1.2.5), the
// refresh token, and the identity. A Session is an oauth2.TokenSource:
// pass it (or TokenSource()) to mssante.OAuth2.
//
// Token refreshes ahead of expiry. When PSC refuses the refresh token the
// session ends for good (ECO.1.2.6): Token returns a *SessionEndedError
// (errors.Is(err, ErrSessionEnded)) without calling PSC again. A refresh
// that fails temporarily is tried again a few times with backoff; while
// the current access token still works it is returned meanwhile, and
// after the last attempt PSC is not called again before the backoff has
// passed, however often Token is called. Safe for concurrent use; one
// refresh at a time.
//
// Token hands out the access token only: the refresh token never leaves
// the Session.
type Session struct {
	c *Client

	mu          sync.Mutex
	access      string
	refresh     string
	expiry      time.Time // of the access token
	issued      time.Time // when the access token arrived
	refreshExp  time.Time // of the refresh token, zero when unknown
	identity    Identity
	invalid     bool // the current access token was refused (Invalidate)
	nextAttempt time.Time
	lastTemp    *TemporaryError
	ended       *SessionEndedError
	done        chan struct{}
}

// newSession checks a token response (and its ID token) and makes a
// Session of it.
func (c *Client) newSession(ctx context.Context, tr *tokenResponse, chk idTokenCheck) (*Session, error) {
	s := &Session{c: c, done: make(chan struct{})}
	if err := s.install(tr); err != nil {
		return nil, err
	}
	chk.accessToken = tr.AccessToken
	claims, err := c.verifyIDToken(ctx, tr.IDToken, chk)
	if err != nil {
		return nil, err
	}
	s.identity = identityFrom(Identity{}, claims)
	c.log.Debug("psc: session opened", slog.String("sub", s.identity.Subject), slog.Time("expiry", s.expiry))
	return s, nil
}

// install takes the tokens of a token response.
func (s *Session) install(tr *tokenResponse) error {
	if tr.AccessToken == "" {
		return errors.New("psc: token response without access_token")
	}
	if !strings.EqualFold(tr.TokenType, "Bearer") {
		return fmt.Errorf("psc: token_type %s, want Bearer", quote(tr.TokenType))
	}
	now := s.c.clock.Now()
	life, ok := seconds(tr.ExpiresIn)
	if !ok {
		life = defaultAccessLifetime
	}
	s.access, s.issued, s.expiry, s.invalid = tr.AccessToken, now, now.Add(life), false
	if tr.RefreshToken != "" {
		s.refresh = tr.RefreshToken // rotation: PSC may send a new one
		s.refreshExp = time.Time{}
	}
	if d, ok := seconds(tr.RefreshExpiresIn); ok {
		s.refreshExp = now.Add(d)
	}
	return nil
}

// Identity returns the professional, from the ID token (and from the
// userinfo response once UserInfo was called).
func (s *Session) Identity() Identity {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.identity
}

// Expiry returns when the current access token expires.
func (s *Session) Expiry() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expiry
}

// Err returns nil while the session lives, its *SessionEndedError after.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended == nil {
		return nil
	}
	return s.ended
}

// Done is closed when the session ends.
func (s *Session) Done() <-chan struct{} { return s.done }

// TokenSource returns the session as an oauth2.TokenSource.
func (s *Session) TokenSource() oauth2.TokenSource { return s }

// Token returns a valid access token, refreshing when due. See Session.
func (s *Session) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*DefaultHTTPTimeout)
	defer cancel()
	return s.TokenContext(ctx)
}

// TokenContext is Token with a context for the refresh.
func (s *Session) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended != nil {
		return nil, s.ended
	}
	now := s.c.clock.Now()
	if !s.invalid && now.Before(s.refreshAt()) {
		return s.current(), nil
	}
	if now.Before(s.nextAttempt) {
		if s.usable(now) {
			return s.current(), nil
		}
		return nil, &TemporaryError{Cause: s.lastTemp.Cause, RetryAfter: s.nextAttempt.Sub(now)}
	}
	err := s.refreshLocked(ctx)
	if err == nil {
		return s.current(), nil
	}
	if s.ended == nil && s.usable(s.c.clock.Now()) {
		s.c.log.Warn("psc: refresh failed, the current access token still works", slog.String("error", err.Error()))
		return s.current(), nil
	}
	return nil, err
}

// Invalidate tells the session that a server refused accessToken (an
// MSSanté operator answering XOAUTH2 status 401): the next Token refreshes
// instead of handing it out again. A token other than the current one is
// ignored.
func (s *Session) Invalidate(accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if accessToken != "" && accessToken == s.access {
		s.invalid = true
	}
}

// KeepAlive refreshes the access token ahead of expiry until ctx is done
// or the session ends, so that a token is always ready and the refresh
// token does not expire while the application is idle. It returns the
// session's *SessionEndedError, or ctx.Err().
func (s *Session) KeepAlive(ctx context.Context) error {
	for {
		s.mu.Lock()
		if s.ended != nil {
			err := s.ended
			s.mu.Unlock()
			return err
		}
		at := s.refreshAt()
		if s.nextAttempt.After(at) {
			at = s.nextAttempt
		}
		wait := at.Sub(s.c.clock.Now())
		s.mu.Unlock()
		if wait > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-s.done:
				continue
			case <-s.c.clock.After(wait):
			}
		}
		if _, err := s.TokenContext(ctx); errors.Is(err, ErrSessionEnded) {
			return err
		} else if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// Close ends the session: it revokes the refresh token at PSC (RFC 7009)
// when the environment has a revocation endpoint, and Token returns a
// *SessionEndedError with cause ErrClosed from then on. The session ends
// even if the revocation fails; the error says so.
func (s *Session) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.ended != nil {
		s.mu.Unlock()
		return nil
	}
	rt := s.refresh
	s.endLocked(ErrClosed)
	s.mu.Unlock()
	if rt == "" || s.c.meta.RevocationEndpoint == "" {
		return nil
	}
	form := url.Values{"token": {rt}, "token_type_hint": {"refresh_token"}}
	return s.c.post(ctx, "revocation_endpoint", "revocation", form, nil)
}

// refreshAt is when the access token is due for refresh.
func (s *Session) refreshAt() time.Time {
	ahead := s.c.cfg.RefreshAhead
	if ahead <= 0 {
		ahead = DefaultRefreshAhead
	}
	if third := s.expiry.Sub(s.issued) / 3; third < ahead {
		ahead = third
	}
	return s.expiry.Add(-ahead)
}

func (s *Session) usable(now time.Time) bool { return !s.invalid && now.Before(s.expiry) }

func (s *Session) current() *oauth2.Token {
	return &oauth2.Token{AccessToken: s.access, TokenType: "Bearer", Expiry: s.expiry}
}

func (s *Session) endLocked(cause error) {
	s.ended = &SessionEndedError{Cause: cause}
	s.access, s.refresh = "", ""
	close(s.done)
	s.c.log.Info("psc: session ended", slog.String("sub", s.identity.Subject), slog.String("cause", cause.Error()))
}

// errNoRefreshToken ends a session whose token response had no
// refresh_token, once its access token is spent.
var errNoRefreshToken = errors.New("psc: no refresh token to renew the access token with")

// refreshLocked refreshes, retrying temporary failures, and ends the
// session when PSC refuses. s.mu is held.
func (s *Session) refreshLocked(ctx context.Context) error {
	if s.refresh == "" {
		s.endLocked(errNoRefreshToken)
		return s.ended
	}
	attempts := s.c.cfg.RefreshAttempts
	if attempts <= 0 {
		attempts = DefaultRefreshAttempts
	}
	base := s.c.cfg.RetryBackoff
	if base <= 0 {
		base = DefaultRetryBackoff
	}
	policy := backoff.Policy{Min: base, Max: 8 * base}
	for attempt := 1; ; attempt++ {
		err := s.refreshOnce(ctx)
		if err == nil {
			s.nextAttempt, s.lastTemp = time.Time{}, nil
			return nil
		}
		var te *TokenError
		if errors.As(err, &te) && !errors.Is(err, ErrTemporary) && te.Code != "" {
			// PSC answered no (invalid_grant: refresh token expired or
			// revoked; invalid_client...). ECO.1.2.6.
			s.endLocked(te)
			return s.ended
		}
		tmp, ok := err.(*TemporaryError)
		if !ok {
			tmp = &TemporaryError{Cause: err}
		}
		wait := max(policy.Delay(attempt), tmp.RetryAfter)
		if attempt >= attempts || ctx.Err() != nil {
			s.nextAttempt, s.lastTemp = s.c.clock.Now().Add(wait), tmp
			tmp.RetryAfter = wait
			return tmp
		}
		s.c.log.Debug("psc: refresh failed, trying again", slog.Int("attempt", attempt), slog.String("error", err.Error()))
		select {
		case <-ctx.Done():
			s.nextAttempt, s.lastTemp = s.c.clock.Now().Add(wait), tmp
			return tmp
		case <-s.c.clock.After(wait):
		}
	}
}

// refreshOnce sends one refresh request.
func (s *Session) refreshOnce(ctx context.Context) error {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.refresh}}
	var tr tokenResponse
	if err := s.c.post(ctx, "token_endpoint", "token", form, &tr); err != nil {
		return err
	}
	if tr.IDToken != "" {
		claims, err := s.c.verifyIDToken(ctx, tr.IDToken, idTokenCheck{accessToken: tr.AccessToken, subject: s.identity.Subject})
		if err != nil {
			return err
		}
		s.identity = identityFrom(s.identity, claims)
	}
	return s.install(&tr)
}

// String describes the session without its tokens.
func (s *Session) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	state := "active"
	if s.ended != nil {
		state = "ended"
	}
	return fmt.Sprintf("psc.Session{sub: %q, national_id: %q, expiry: %s, %s}", s.identity.Subject, s.identity.NationalID, s.expiry.Format(time.RFC3339), state)
}

// GoString is String.
func (s *Session) GoString() string { return s.String() }

// MarshalJSON writes the session without its tokens.
func (s *Session) MarshalJSON() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return json.Marshal(struct {
		Identity Identity  `json:"identity"`
		Expiry   time.Time `json:"expiry"`
		Ended    bool      `json:"ended"`
	}{s.identity, s.expiry, s.ended != nil})
}

// LogValue logs the session without its tokens.
func (s *Session) LogValue() slog.Value {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slog.GroupValue(slog.String("sub", s.identity.Subject), slog.String("national_id", s.identity.NationalID),
		slog.Time("expiry", s.expiry), slog.Bool("ended", s.ended != nil))
}
