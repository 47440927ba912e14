package delivery_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// faultScene is the stage of a row of the fault table: an operator with
// A and B, a tracker and an outbox for A on a fake clock, A's client
// audited, and the memory store they share, which the row reads.
type faultScene struct {
	*obxEnv
	store delivery.Store
	audit *auditLog
}

// sceneOptions vary a scene. The zero value is the operator's defaults,
// A's client as mssantetest configures it, and the outbox options given.
type sceneOptions struct {
	server    *mssantetest.Options                       // nil: defaults
	mailboxA  *mssantetest.MailboxOptions                // nil: defaults
	configure func(*mssantetest.Server, *mssante.Config) // nil: A's client as mssantetest configures it
	outbox    delivery.OutboxOptions                     // Clock is the scene's
}

func newFaultScene(t *testing.T, o sceneOptions) *faultScene {
	t.Helper()
	s, err := mssantetest.NewServer(o.server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing the operator: %v", err)
		}
	})
	if _, err := s.AddMailbox(trkA, mssantetest.MailboxPER, o.mailboxA); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMailbox(trkB, mssantetest.MailboxPER, nil); err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	store := delivery.NewMemoryStore()
	audit := &auditLog{clock: clock, store: store}
	cfg, err := s.Config(trkA)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Audit = audit
	if o.configure != nil {
		o.configure(s, &cfg)
	}
	c, err := mssante.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("closing the client: %v", err)
		}
	})
	tr := delivery.NewTracker(&delivery.TrackerOptions{Store: store, Clock: clock})
	oo := o.outbox
	oo.Clock = clock
	ob, err := delivery.NewOutbox(c, tr, &oo)
	if err != nil {
		t.Fatal(err)
	}
	runOutbox(t, ob)
	env := &trkEnv{s: s, a: c, tr: tr, clock: clock, events: &eventLog{}}
	return &faultScene{obxEnv: &obxEnv{trkEnv: env, ob: ob}, store: store, audit: audit}
}

// auditLog records A's audit events. For each "outbox.retry" it also
// reads, in the store, when the message is due again: the backoff, on the
// fake clock (which does not move while an attempt runs: obxEnv.settle).
type auditLog struct {
	clock *fakeClock
	store delivery.Store

	mu      sync.Mutex
	actions map[string][]string // action -> objects, in order
	waits   []time.Duration     // the backoff of each retry
	errs    []error             // what the log itself could not read
}

func (l *auditLog) Audit(ctx context.Context, e mssante.AuditEvent) {
	var wait time.Duration
	var err error
	if e.Action == "outbox.retry" {
		var entry *delivery.OutboxEntry
		if entry, err = l.store.OutboxEntry(context.WithoutCancel(ctx), e.Object); err == nil {
			wait = entry.NextAttempt.Sub(l.clock.Now())
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.actions == nil {
		l.actions = map[string][]string{}
	}
	l.actions[e.Action] = append(l.actions[e.Action], e.Object)
	switch {
	case err != nil:
		l.errs = append(l.errs, fmt.Errorf("reading the entry of %s: %w", e.Object, err))
	case e.Action == "outbox.retry":
		l.waits = append(l.waits, wait)
	}
}

// objects returns the objects of the events of an action.
func (l *auditLog) objects(action string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.actions[action]...)
}

// retryWaits returns the backoff of each retry, and what could not be
// read.
func (l *auditLog) retryWaits() ([]time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Duration(nil), l.waits...), errors.Join(l.errs...)
}

// deliveredIDs returns the Message-ID of each message the operator
// delivered to a mailbox, read with net/mail (not the SDK's parser).
func deliveredIDs(t *testing.T, s *mssantetest.Server, mailbox string) []string {
	t.Helper()
	raws, err := s.Messages(mailbox)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, raw := range raws {
		m, err := netmail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("a message delivered to %s does not parse: %v", mailbox, err)
		}
		ids = append(ids, strings.Trim(m.Header.Get("Message-Id"), "<>"))
	}
	return ids
}

// copiesCheck returns nil when ids are n copies of the message id.
func copiesCheck(ids []string, id string, n int) error {
	if len(ids) != n {
		return fmt.Errorf("%d messages delivered (%q), want %d copies of %s", len(ids), ids, n, id)
	}
	for _, got := range ids {
		if got != id {
			return fmt.Errorf("delivered %q, want only %s", ids, id)
		}
	}
	return nil
}

// countingTokens counts the tokens asked of a source.
type countingTokens struct {
	ts    oauth2.TokenSource
	asked atomic.Int64
}

func (c *countingTokens) Token() (*oauth2.Token, error) {
	c.asked.Add(1)
	return c.ts.Token()
}

// expiringTokens plays both sides of an expired Pro Santé Connect token:
// the session of the client, which still hands out a token the operator
// considers expired until the client reports it refused (Invalidate, as
// psc.Session has), then a fresh one; and the identity provider the
// operator asks (mssantetest.Options.VerifyToken), which vouches for the
// fresh tokens only. It counts the tokens asked and every token presented
// to the operator, each AUTH being one call of verify.
type expiringTokens struct {
	nationalID string

	mu          sync.Mutex
	current     string
	fresh       int
	asked       int
	invalidated []string
	presented   []string
}

const expiredToken = "psc-expired"

var errTokenExpired = errors.New("token expired")

func newExpiringTokens(nationalID string) *expiringTokens {
	return &expiringTokens{nationalID: nationalID, current: expiredToken}
}

func (x *expiringTokens) Token() (*oauth2.Token, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.asked++
	if x.current == "" {
		x.fresh++
		x.current = fmt.Sprintf("psc-fresh-%d", x.fresh)
	}
	return &oauth2.Token{AccessToken: x.current, TokenType: "Bearer"}, nil
}

func (x *expiringTokens) Invalidate(token string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.invalidated = append(x.invalidated, token)
	if token == x.current {
		x.current = ""
	}
}

// verify is the operator's check of a token: the fresh ones open A.
func (x *expiringTokens) verify(token string) (string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.presented = append(x.presented, token)
	if strings.HasPrefix(token, "psc-fresh-") {
		return x.nationalID, nil
	}
	return "", errTokenExpired
}

// counts returns the tokens asked, those reported refused and those
// presented to the operator.
func (x *expiringTokens) counts() (asked int, invalidated, presented []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.asked, append([]string(nil), x.invalidated...), append([]string(nil), x.presented...)
}
