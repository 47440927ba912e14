package mssante_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/psc"
)

// psc's Session and its end have the methods the client looks for, by
// interface so that mssante does not import psc.
var (
	_ interface {
		oauth2.TokenSource
		Invalidate(accessToken string)
		TokenContext(context.Context) (*oauth2.Token, error)
	} = (*psc.Session)(nil)
	_ interface{ Temporary() bool } = (*psc.SessionEndedError)(nil)
)

// errSessionOver stands for psc.ErrSessionEnded: the client must not
// import psc, and needs only the Temporary method.
var errSessionOver = errors.New("session ended: log in again")

type sessionOverError struct{}

func (sessionOverError) Error() string        { return errSessionOver.Error() }
func (sessionOverError) Is(target error) bool { return target == errSessionOver }
func (sessionOverError) Temporary() bool      { return false }

// fakeSession behaves as a psc.Session does: it hands out its access
// token until the token expires or is invalidated, then refreshes; with
// ended set, the refresh fails for good. The first token it hands out was
// revoked at the operator, which answers XOAUTH2 status 401 to it.
type fakeSession struct {
	s    *mssantetest.Server
	addr string

	mu          sync.Mutex
	current     string
	ended       bool
	calls       int
	invalidated []string
}

func newFakeSession(t *testing.T, s *mssantetest.Server, addr string, ended bool) *fakeSession {
	t.Helper()
	tok, err := s.Token(addr)
	if err != nil {
		t.Fatal(err)
	}
	s.RevokeToken(tok) // unexpired for the session, refused by the operator
	return &fakeSession{s: s, addr: addr, current: tok, ended: ended}
}

func (f *fakeSession) Token() (*oauth2.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.current == "" {
		if f.ended {
			return nil, sessionOverError{}
		}
		tok, err := f.s.Token(f.addr)
		if err != nil {
			return nil, err
		}
		f.current = tok
	}
	return &oauth2.Token{AccessToken: f.current, Expiry: time.Now().Add(time.Minute)}, nil
}

func (f *fakeSession) Invalidate(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.invalidated = append(f.invalidated, token)
	if token == f.current {
		f.current = ""
	}
}

func (f *fakeSession) stats() (calls int, invalidated []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, append([]string(nil), f.invalidated...)
}

// After XOAUTH2 status 401 the client tells the token source which token
// was refused (issue 18): a session that would hand out the same
// unexpired token refreshes instead, and the retry succeeds, for SMTP and
// IMAP alike.
func TestRefusedTokenInvalidated(t *testing.T) {
	s := newTestServer(t, mailboxA, "bruno@ch-test.mssante.fr")
	for _, service := range []string{"SMTP", "IMAP"} {
		t.Run(service, func(t *testing.T) {
			ts := newFakeSession(t, s, mailboxA, false)
			refused := ts.current
			cfg := s.MustConfig(mailboxA)
			cfg.Auth = mssante.OAuth2(ts)
			c := newTestClient(t, cfg)
			var err error
			if service == "SMTP" {
				_, err = c.Send(testCtx(t), &mail.Message{To: []mail.Address{mail.MustParseAddress("bruno@ch-test.mssante.fr")}, Text: "t"})
			} else {
				_, err = c.Folders(testCtx(t))
			}
			calls, invalidated := ts.stats()
			if err != nil || calls != 2 || len(invalidated) != 1 || invalidated[0] != refused {
				t.Fatalf("%v; %d tokens asked, invalidated %d", err, calls, len(invalidated))
			}
		})
	}
}

// When the token source cannot give a new token after a 401 because its
// session ended for good (psc.ErrSessionEnded, whose Temporary is false),
// the client's AuthError carries that error and says it is permanent, so
// that the Outbox stops retrying, and Watch stops reconnecting (Ref#2
// ECO.1.2.6). The source is asked once per connection attempt: no storm.
func TestEndedTokenSource(t *testing.T) {
	s := newTestServer(t, mailboxA, "bruno@ch-test.mssante.fr")
	check := func(t *testing.T, err error, status string) {
		t.Helper()
		var ae *mssante.AuthError
		if !errors.As(err, &ae) || !errors.Is(err, mssante.ErrAuth) || !errors.Is(err, errSessionOver) || ae.Temporary() || ae.Status != status {
			t.Fatalf("%#v", err)
		}
	}

	t.Run("Send", func(t *testing.T) {
		ts := newFakeSession(t, s, mailboxA, true)
		cfg := s.MustConfig(mailboxA)
		cfg.Auth = mssante.OAuth2(ts)
		c := newTestClient(t, cfg)
		_, err := c.Send(testCtx(t), &mail.Message{To: []mail.Address{mail.MustParseAddress("bruno@ch-test.mssante.fr")}, Text: "t"})
		check(t, err, "401")
		if calls, inv := ts.stats(); calls != 2 || len(inv) != 1 {
			t.Errorf("%d tokens asked, %d invalidated", calls, len(inv))
		}
		// Later connections fail at once, without a server round trip.
		_, err = c.Folders(testCtx(t))
		check(t, err, "")
	})

	t.Run("Watch", func(t *testing.T) {
		ts := newFakeSession(t, s, mailboxA, true)
		cfg := s.MustConfig(mailboxA)
		cfg.Auth = mssante.OAuth2(ts)
		c := newTestClient(t, cfg)
		clk := &fakeClock{}
		err := c.Watch(testCtx(t), "INBOX", &mssante.WatchOptions{Clock: clk}, func(mssante.WatchEvent) {})
		check(t, err, "401")
		if calls, _ := ts.stats(); calls != 2 || len(clk.Waits()) != 0 {
			t.Errorf("%d tokens asked, %d reconnections", calls, len(clk.Waits()))
		}
	})

	// A token source that fails for a while is worth trying again: Watch
	// reconnects.
	t.Run("temporary", func(t *testing.T) {
		var mu sync.Mutex
		failures := 0
		ts := tokenSourceFunc(func() (*oauth2.Token, error) {
			mu.Lock()
			defer mu.Unlock()
			if failures < 2 {
				failures++
				return nil, errors.New("identity provider unreachable")
			}
			tok, err := s.Token(mailboxA)
			return &oauth2.Token{AccessToken: tok}, err
		})
		cfg, started := watchStarted(s.MustConfig(mailboxA))
		cfg.Auth = mssante.OAuth2(ts)
		c := newTestClient(t, cfg)
		ctx, cancel := context.WithCancel(testCtx(t))
		clk := &fakeClock{}
		done := make(chan error, 1)
		go func() { done <- c.Watch(ctx, "INBOX", &mssante.WatchOptions{Clock: clk}, func(mssante.WatchEvent) {}) }()
		select {
		case <-started:
		case err := <-done:
			t.Fatalf("Watch: %v", err)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) || len(clk.Waits()) != 2 {
			t.Fatalf("Watch: %v after %d reconnections", err, len(clk.Waits()))
		}
	})
}

type tokenSourceFunc func() (*oauth2.Token, error)

func (f tokenSourceFunc) Token() (*oauth2.Token, error) { return f() }
