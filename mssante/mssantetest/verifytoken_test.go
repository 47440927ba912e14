package mssantetest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/psc"
	"github.com/mssante-go/sdk/psc/psctest"
)

// pscOperator is an operator that accepts only the tokens of a Pro Santé
// Connect look-alike: drA is the mailbox of the IdP's professional, drB
// another professional's.
type pscOperator struct {
	op      *mssantetest.Server
	idp     *psctest.Server
	clock   *psctest.Clock
	session *psc.Session
}

func newPSCOperator(t *testing.T) *pscOperator {
	t.Helper()
	clock := psctest.NewClock(time.Time{})
	idp, err := psctest.NewServer(&psctest.Options{Clock: clock, CIBAPendingPolls: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	op := newServerWith(t, &mssantetest.Options{VerifyToken: func(tok string) (string, error) {
		info, err := idp.Introspect(tok)
		return info.NationalID, err
	}})
	op.MustAddMailbox(drA, mssantetest.MailboxPER, &mssantetest.MailboxOptions{NationalIDs: []string{idp.Professional().NationalID}})
	op.MustAddMailbox(drB, mssantetest.MailboxPER, &mssantetest.MailboxOptions{NationalIDs: []string{"810000000002"}})

	cfg := idp.Config()
	cfg.Clock = clock
	client, err := psc.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	session, err := client.LoginCIBA(ctx(t), psc.CIBARequest{LoginHint: idp.Professional().NationalID})
	if err != nil {
		t.Fatal(err)
	}
	return &pscOperator{op: op, idp: idp, clock: clock, session: session}
}

// newServerWith is newServer without the default mailboxes.
func newServerWith(t *testing.T, opts *mssantetest.Options) *mssantetest.Server {
	t.Helper()
	s, err := mssantetest.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// try sends from address with auth and lists its folders: SMTP and IMAP.
func (p *pscOperator) try(t *testing.T, address string, auth mssante.Auth) (smtpErr, imapErr error) {
	t.Helper()
	cfg := p.op.MustConfig(address)
	cfg.Auth = auth
	c := newClient(t, cfg)
	_, smtpErr = c.Send(ctx(t), textMessage(drA))
	_, imapErr = c.Folders(ctx(t))
	return smtpErr, imapErr
}

// want401 fails unless err is the refusal of a token: an AuthError with
// the XOAUTH2 status 401, or with OAUTHBEARER the status invalid_token.
func want401(t *testing.T, what string, err error, xoauth2 bool) {
	t.Helper()
	var ae *mssante.AuthError
	switch {
	case xoauth2 && (!errors.As(err, &ae) || !errors.Is(err, mssante.ErrAuth) || ae.Status != "401"):
		t.Errorf("%s: got %v, want an AuthError with status 401", what, err)
	case !xoauth2 && (!errors.As(err, &ae) || !errors.Is(err, mssante.ErrAuth) || ae.Status != "invalid_token"):
		t.Errorf("%s: got %v, want an AuthError with status invalid_token", what, err)
	}
}

// TestVerifyTokenPSC: with Options.VerifyToken plugged on psctest, a token
// Pro Santé Connect issued to a professional opens that professional's
// mailbox, over SMTP and IMAP, XOAUTH2 and OAUTHBEARER; it does not open
// another professional's; once expired it is refused with the XOAUTH2
// status 401; tokens the operator issued itself are refused.
func TestVerifyTokenPSC(t *testing.T) {
	p := newPSCOperator(t)
	tok, err := p.session.Token()
	if err != nil {
		t.Fatal(err)
	}
	static := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok.AccessToken})

	for name, auth := range map[string]mssante.Auth{
		"XOAUTH2":     mssante.OAuth2(static),
		"OAUTHBEARER": mssante.OAuthBearer(static),
	} {
		s, i := p.try(t, drA, auth)
		if s != nil || i != nil {
			t.Errorf("%s, the professional's own mailbox: SMTP %v, IMAP %v", name, s, i)
		}
		s, i = p.try(t, drB, auth)
		want401(t, name+", another's mailbox, SMTP", s, name == "XOAUTH2")
		want401(t, name+", another's mailbox, IMAP", i, name == "XOAUTH2")
	}

	s, i := p.try(t, drA, mssante.OAuth2(p.op.TokenSource(drA)))
	want401(t, "the operator's own token, SMTP", s, true)
	want401(t, "the operator's own token, IMAP", i, true)
	s, i = p.try(t, drA, mssante.OAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "psc-test-forged"})))
	want401(t, "a forged token, SMTP", s, true)
	want401(t, "a forged token, IMAP", i, true)

	// PSC access tokens live 2 minutes (psctest's default): past that, the
	// same token is refused.
	p.clock.Advance(3 * time.Minute)
	if err := p.idp.Verify(tok.AccessToken); !errors.Is(err, psctest.ErrInvalidToken) {
		t.Fatalf("the IdP still accepts the token: %v", err)
	}
	s, i = p.try(t, drA, mssante.OAuth2(static))
	want401(t, "an expired token, SMTP", s, true)
	want401(t, "an expired token, IMAP", i, true)
}

// TestVerifyTokenPSCSession runs the chain of issue 18 against the two
// look-alikes: login (CIBA) → token → XOAUTH2 → send; the token expires →
// the session refreshes → the client reconnects; PSC refuses the refresh →
// the session ends and the client gets psc.ErrSessionEnded, without asking
// PSC again.
func TestVerifyTokenPSCSession(t *testing.T) {
	p := newPSCOperator(t)
	cfg := p.op.MustConfig(drA)
	cfg.Auth = mssante.OAuth2(p.session)
	c := newClient(t, cfg)
	if _, err := c.Send(ctx(t), textMessage(drB)); err != nil {
		t.Fatalf("send with the session's token: %v", err)
	}

	p.clock.Advance(3 * time.Minute) // the access token expired
	if _, err := c.Send(ctx(t), textMessage(drB)); err != nil {
		t.Fatalf("send after expiry: %v", err)
	}
	if _, err := c.Folders(ctx(t)); err != nil {
		t.Fatalf("IMAP after expiry: %v", err)
	}
	if got := p.idp.Stats().Refreshes; got != 1 {
		t.Errorf("%d refreshes, want 1", got)
	}

	p.idp.RefuseRefresh(true)
	p.clock.Advance(3 * time.Minute)
	for i := 0; i < 3; i++ {
		_, err := c.Send(ctx(t), textMessage(drB))
		if !errors.Is(err, psc.ErrSessionEnded) {
			t.Fatalf("send %d after the refused refresh: %v, want psc.ErrSessionEnded", i, err)
		}
	}
	if st := p.idp.Stats(); st.RefusedRefreshes != 1 {
		t.Errorf("PSC refused %d refreshes, want 1 (no retry after the session ended)", st.RefusedRefreshes)
	}
	if got := len(mustMessages(t, p.op, drB)); got != 2 {
		t.Errorf("drB received %d messages, want 2", got)
	}
}

func mustMessages(t *testing.T, s *mssantetest.Server, address string) [][]byte {
	t.Helper()
	raw, err := s.Messages(address)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
