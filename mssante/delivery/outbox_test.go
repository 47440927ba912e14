package delivery_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"golang.org/x/oauth2"
)

// obxEnv is a trkEnv with an outbox running for A on the fake clock.
type obxEnv struct {
	*trkEnv
	ob *delivery.Outbox
}

func newObxEnv(t *testing.T, opts *delivery.OutboxOptions, run bool) *obxEnv {
	t.Helper()
	e := &obxEnv{trkEnv: newTrkEnv(t, nil)}
	var o delivery.OutboxOptions
	if opts != nil {
		o = *opts
	}
	o.Clock = e.clock
	if o.MinBackoff == 0 {
		o.MinBackoff, o.MaxBackoff = time.Minute, 10*time.Minute
	}
	ob, err := delivery.NewOutbox(e.a, e.tr, &o)
	if err != nil {
		t.Fatal(err)
	}
	e.ob = ob
	if run {
		runOutbox(t, ob)
	}
	return e
}

// runOutbox runs ob until the test ends, and checks that it stopped as
// asked.
func runOutbox(t *testing.T, ob *delivery.Outbox) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ob.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	})
}

// settle advances the fake clock a step at a time until cond holds; the
// real time spent is bounded (it is a bound, not a wait: conditions hold
// within milliseconds on an idle machine).
func (e *obxEnv) settle(t *testing.T, step time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not settled; stats %+v", e.ob.Stats())
		}
		time.Sleep(2 * time.Millisecond)
		// The clock moves only while no attempt runs, so that a slow
		// machine does not age the messages.
		if step > 0 && e.ob.Stats().Running == 0 {
			e.clock.Advance(step)
		}
	}
}

func (e *obxEnv) empty() bool {
	s := e.ob.Stats()
	return s.Queued == 0 && s.Running == 0
}

func copiesOf(t *testing.T, s *mssantetest.Server, mailbox, messageID string) int {
	t.Helper()
	raws, err := s.Messages(mailbox)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, raw := range raws {
		if containsMessageID(raw, messageID) {
			n++
		}
	}
	return n
}

func containsMessageID(raw []byte, id string) bool {
	return bytes.Contains(raw, []byte("Message-ID: <"+id+">")) || bytes.Contains(raw, []byte("Message-Id: <"+id+">"))
}

// Several goroutines send at once; every message reaches B once and is
// tracked as submitted, then delivered by its DSN.
func TestOutboxConcurrentSends(t *testing.T) {
	e := newObxEnv(t, &delivery.OutboxOptions{Workers: 3}, true)
	ctx := trkCtx(t)
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := trkMessage(true, false, trkB)
			m.Subject = fmt.Sprint("message ", i)
			id, err := e.ob.Send(ctx, m)
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if err := e.ob.Wait(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	e.observeInbox(t)
	for _, id := range ids {
		if n := copiesOf(t, e.s, trkB, id); n != 1 {
			t.Errorf("%s: %d copies", id, n)
		}
		if got := e.events.path(id, trkB); got != "queued>submitted>delivered" {
			t.Errorf("%s: %s", id, got)
		}
	}
	st := e.ob.Stats()
	if st.Enqueued != 8 || st.Submitted != 8 || st.Attempts != 8 || st.Queued != 0 || st.Failed != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// A worker keeps its connection between messages sent one after the other
// (one TLS handshake and one AUTH for the lot, not one per message), for
// IdleTimeout on the outbox's clock; then it closes it, and the next
// message opens a new one. A negative IdleTimeout closes it as soon as no
// message waits.
func TestOutboxKeepsConnectionWhileBusy(t *testing.T) {
	for _, idle := range []time.Duration{0, -1, 7 * time.Minute} {
		t.Run(fmt.Sprint(idle), func(t *testing.T) {
			// The idle timer is told from the outbox's others (polling,
			// leases) by its duration.
			e := newObxEnv(t, &delivery.OutboxOptions{Workers: 1, IdleTimeout: idle, PollInterval: 11 * time.Minute, Lease: 13 * time.Minute}, false)
			waitIdle := idleWaiter(e.ob)
			runOutbox(t, e.ob)
			ctx := trkCtx(t)
			send := func() {
				t.Helper()
				id, err := e.ob.Send(ctx, trkMessage(false, false, trkB))
				if err != nil {
					t.Fatal(err)
				}
				if err := e.ob.Wait(ctx, id); err != nil {
					t.Fatal(err)
				}
			}
			if idle < 0 {
				for range 10 {
					send()
				}
				// Closed with no clock moving: nothing waits.
				waitOpenSMTP(t, e.s, 0)
				return
			}
			for range 10 {
				send()
				waitIdle(t)
			}
			if st := e.s.Stats(); st.Messages != 10 || st.SMTPConnections != 1 || st.SMTPOpen != 1 {
				t.Fatalf("operator stats %+v, want 10 messages on 1 connection, open", st)
			}
			if idle == 0 {
				idle = 5 * time.Second
			}
			// Idle for less than the timeout: the connection serves again.
			e.clock.Advance(idle - time.Millisecond)
			send()
			waitIdle(t)
			if st := e.s.Stats(); st.SMTPConnections != 1 {
				t.Fatalf("operator stats %+v after an idle time under the timeout, want 1 connection", st)
			}
			// Idle for the timeout: the worker closes it.
			e.clock.Advance(idle)
			waitOpenSMTP(t, e.s, 0)
			send()
			if n := e.s.Stats().SMTPConnections; n != 2 {
				t.Fatalf("%d connections after the idle timeout, want 2", n)
			}
		})
	}
}

// idleWaiter returns a function that waits until a worker of ob waits
// with its connection open, its idle timer set (the outbox's "idle"
// step). It must be called before ob runs.
func idleWaiter(ob *delivery.Outbox) func(t *testing.T) {
	idling := make(chan struct{}, 1)
	delivery.SetOutboxHook(ob, func(step string) {
		if step == "idle" {
			select {
			case idling <- struct{}{}:
			default: // one not taken yet says the same
			}
		}
	})
	return func(t *testing.T) {
		t.Helper()
		select {
		case <-idling:
		case <-time.After(10 * time.Second): // a guard against a hang
			t.Fatal("the worker never waited with its connection open")
		}
	}
}

// waitOpenSMTP waits until the operator has n SMTP connections open; the
// real time spent is bounded.
func waitOpenSMTP(t *testing.T, s *mssantetest.Server, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats().SMTPOpen != n {
		if time.Now().After(deadline) {
			t.Fatalf("operator stats %+v, want %d connections open", s.Stats(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// Temporary failures (451 at DATA, a dropped connection, 421 at MAIL) are
// retried with backoff on the fake clock; the Message-ID never changes.
func TestOutboxRetriesTemporaryFailures(t *testing.T) {
	faults := map[string]*mssantetest.Fault{
		"451 at DATA":      {Stage: mssantetest.StageData, Code: 451, Enhanced: [3]int{4, 3, 0}, Message: "busy", Times: 2},
		"drop at data-end": {Stage: mssantetest.StageDataEnd, Drop: true},
		"421 at MAIL":      {Stage: mssantetest.StageMail, Code: 421, Enhanced: [3]int{4, 7, 0}, Message: "later"},
		"drop at greeting": {Stage: mssantetest.StageGreeting, Drop: true, Times: 3},
	}
	for name, f := range faults {
		t.Run(name, func(t *testing.T) {
			e := newObxEnv(t, nil, true)
			e.s.InjectFault(f)
			ctx := trkCtx(t)
			id, err := e.ob.Send(ctx, trkMessage(true, false, trkB))
			if err != nil {
				t.Fatal(err)
			}
			e.settle(t, 30*time.Second, e.empty)
			times := f.Times
			if times == 0 {
				times = 1
			}
			st := e.ob.Stats()
			if f.Fired() != times || st.Retries != uint64(times) || st.Submitted != 1 || st.Attempts != uint64(times+1) {
				t.Fatalf("fired %d, stats %+v", f.Fired(), st)
			}
			if n := copiesOf(t, e.s, trkB, id); n != 1 {
				t.Fatalf("%d copies", n)
			}
			// Only a connection lost after the content was sent leaves the
			// outcome unknown.
			if uncertain := f.Stage == mssantetest.StageDataEnd; (st.ResentUncertain == 1) != uncertain {
				t.Fatalf("resent uncertain %d", st.ResentUncertain)
			}
			if r, _ := e.tr.Recipient(ctx, id, trkB); r.State != delivery.StateSubmitted {
				t.Fatalf("state %+v", r)
			}
		})
	}
}

// The backoff doubles, with jitter, and is capped.
func TestOutboxBackoffSchedule(t *testing.T) {
	e := newObxEnv(t, &delivery.OutboxOptions{MinBackoff: time.Minute, MaxBackoff: 4 * time.Minute, Deadline: time.Hour}, true)
	e.s.InjectFault(&mssantetest.Fault{Stage: mssantetest.StageMail, Code: 451, Message: "busy", Times: 100})
	ctx := trkCtx(t)
	if _, err := e.ob.Send(ctx, trkMessage(false, false, trkB)); err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	for attempts := uint64(1); attempts <= 5; attempts++ {
		// Small steps: the clock moves at most one step past the failure.
		e.settle(t, time.Second, func() bool { return e.ob.Stats().Retries >= attempts })
		list, err := e.tr.Store().ListOutbox(ctx, delivery.OutboxQuery{})
		if err != nil || len(list.Entries) != 1 {
			t.Fatalf("outbox %v %v", list, err)
		}
		w := list.Entries[0].NextAttempt.Sub(e.clock.Now())
		waits = append(waits, w)
		e.clock.Advance(w)
	}
	limits := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 4 * time.Minute, 4 * time.Minute}
	for i, w := range waits {
		if w < limits[i]/2-time.Second || w > limits[i] {
			t.Errorf("wait %d: %v, want within [%v, %v]", i, w, limits[i]/2, limits[i])
		}
	}
}

// Permanent failures end at once, with the reason; temporary ones end at
// the deadline.
func TestOutboxFailures(t *testing.T) {
	t.Run("permanent", func(t *testing.T) {
		e := newObxEnv(t, nil, true)
		e.s.InjectFault(&mssantetest.Fault{Stage: mssantetest.StageDataEnd, Code: 554, Enhanced: [3]int{5, 6, 0}, Message: "content refused"})
		ctx := trkCtx(t)
		id, _ := e.ob.Send(ctx, trkMessage(true, false, trkB))
		if err := e.ob.Wait(ctx, id); err != nil {
			t.Fatal(err)
		}
		r, _ := e.tr.Recipient(ctx, id, trkB)
		if r.State != delivery.StateFailed || r.Cause != delivery.CauseOutbox || r.Status != "5.6.0" {
			t.Fatalf("%+v", r)
		}
		if st := e.ob.Stats(); st.Failed != 1 || st.Retries != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		e := newObxEnv(t, &delivery.OutboxOptions{MinBackoff: 10 * time.Minute, MaxBackoff: 10 * time.Minute, Deadline: time.Hour}, true)
		e.s.InjectFault(&mssantetest.Fault{Stage: mssantetest.StageData, Code: 452, Message: "full", Times: 1000})
		ctx := trkCtx(t)
		id, _ := e.ob.Send(ctx, trkMessage(true, false, trkB))
		e.settle(t, 5*time.Minute, e.empty)
		var got delivery.TrackEvent
		for _, ev := range e.events.ev {
			if ev.To == delivery.StateFailed {
				got = ev
			}
		}
		if got.MessageID != id || !errors.Is(got.Err, delivery.ErrOutboxDeadline) {
			t.Fatalf("event %+v", got)
		}
		if st := e.ob.Stats(); st.Failed != 1 || st.Retries < 2 || st.Submitted != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("refused recipient, another accepted", func(t *testing.T) {
		e := newObxEnv(t, nil, true)
		e.s.InjectFault(&mssantetest.Fault{Stage: mssantetest.StageRcpt, Code: 550, Enhanced: [3]int{5, 1, 1}, Message: "unknown"})
		ctx := trkCtx(t)
		id, _ := e.ob.Send(ctx, trkMessage(false, false, trkPatient, trkB))
		if err := e.ob.Wait(ctx, id); err != nil {
			list, _ := e.tr.Store().ListOutbox(ctx, delivery.OutboxQuery{})
			t.Fatalf("wait: %v; stats %+v; entries %d", err, e.ob.Stats(), len(list.Entries))
		}
		m, _ := e.tr.Message(ctx, id)
		if m.Recipient(trkPatient).State != delivery.StateFailed || m.Recipient(trkB).State != delivery.StateSubmitted {
			t.Fatalf("%+v", m.Recipients)
		}
	})
}

// A recipient refused for now (450) is retried alone; the other got it
// once.
func TestOutboxRetriesRefusedRecipientAlone(t *testing.T) {
	e := newObxEnv(t, nil, true)
	e.s.InjectFault(&mssantetest.Fault{Stage: mssantetest.StageRcpt, Code: 450, Enhanced: [3]int{4, 2, 1}, Message: "mailbox busy"})
	ctx := trkCtx(t)
	id, err := e.ob.Send(ctx, trkMessage(false, false, trkPatient, trkB))
	if err != nil {
		t.Fatal(err)
	}
	e.settle(t, 30*time.Second, e.empty)
	if a, b := copiesOf(t, e.s, trkPatient, id), copiesOf(t, e.s, trkB, id); a != 1 || b != 1 {
		t.Fatalf("copies %d %d", a, b)
	}
	if st := e.s.Stats(); st.Messages != 2 {
		t.Fatalf("server stats %+v", st)
	}
	m, _ := e.tr.Message(ctx, id)
	for _, r := range m.Recipients {
		if r.State != delivery.StateSubmitted {
			t.Fatalf("%+v", r)
		}
	}
}

// The queue is bounded; a message refused before anything is stored
// leaves no trace.
func TestOutboxBounds(t *testing.T) {
	e := newObxEnv(t, &delivery.OutboxOptions{QueueSize: 1}, false)
	ctx := trkCtx(t)
	if _, err := e.ob.Send(ctx, trkMessage(false, false, trkB)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ob.Send(ctx, trkMessage(false, false, trkB)); !errors.Is(err, delivery.ErrOutboxFull) {
		t.Fatalf("full: %v", err)
	}
	e2 := newObxEnv(t, nil, false)
	bad := &mail.Message{Subject: "x", Text: "y"}
	if _, err := e2.ob.Send(ctx, bad); !errors.Is(err, mail.ErrNoRecipients) {
		t.Fatalf("invalid: %v", err)
	}
	outside := trkMessage(false, false, "dr@ailleurs.example.com")
	var te *mssante.TrustError
	if _, err := e2.ob.Send(ctx, outside); !errors.As(err, &te) {
		t.Fatalf("outside: %v", err)
	}
	if list, _ := e2.tr.Store().ListOutbox(ctx, delivery.OutboxQuery{}); len(list.Entries) != 0 {
		t.Fatalf("stored %d", len(list.Entries))
	}
	if st := e.ob.Stats(); st.Rejected != 1 || st.Queued != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// Audit events of the outbox go to the client's auditor.
func TestOutboxAudit(t *testing.T) {
	s, err := mssantetest.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.MustAddMailbox(trkA, mssantetest.MailboxPER, nil)
	s.MustAddMailbox(trkB, mssantetest.MailboxPER, nil)
	var mu sync.Mutex
	var actions []string
	cfg := s.MustConfig(trkA)
	cfg.Audit = mssante.AuditorFunc(func(_ context.Context, ev mssante.AuditEvent) {
		mu.Lock()
		actions = append(actions, ev.Action+":"+ev.Result())
		mu.Unlock()
	})
	c, err := mssante.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ob, _ := delivery.NewOutbox(c, delivery.NewTracker(nil), nil)
	ctx, cancel := context.WithCancel(trkCtx(t))
	done := make(chan struct{})
	go func() { ob.Run(ctx); close(done) }()
	id, err := ob.Send(ctx, trkMessage(false, false, trkB))
	if err != nil {
		t.Fatal(err)
	}
	ob.Wait(ctx, id)
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	want := []string{"outbox.enqueue:ok", "smtp.connect:ok", "smtp.send:ok"}
	if fmt.Sprint(actions) != fmt.Sprint(want) {
		t.Fatalf("audit %v", actions)
	}
}

// Bcc recipients are in the stored envelope, not in the stored bytes.
func TestOutboxBcc(t *testing.T) {
	e := newObxEnv(t, nil, true)
	ctx := trkCtx(t)
	m := trkMessage(false, false, trkB)
	m.Bcc = []mail.Address{mail.MustParseAddress(trkPatient)}
	id, err := e.ob.Send(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ob.Wait(ctx, id); err != nil {
		t.Fatal(err)
	}
	if copiesOf(t, e.s, trkB, id) != 1 || copiesOf(t, e.s, trkPatient, id) != 1 {
		t.Fatal("not delivered to both")
	}
	raws, _ := e.s.Messages(trkB)
	if bytes.Contains(raws[0], []byte(trkPatient)) {
		t.Fatal("Bcc disclosed")
	}
	if r, _ := e.tr.Recipient(ctx, id, trkPatient); r.State != delivery.StateSubmitted {
		t.Fatalf("Bcc tracked %+v", r)
	}
}

// endedTokens is a token source whose first token the operator refuses
// and which then says it will give no other (as a Pro Santé Connect session
// does once PSC refuses its refresh token).
type endedTokens struct{ calls atomic.Int32 }

type sessionEnded struct{}

func (sessionEnded) Error() string   { return "session ended" }
func (sessionEnded) Temporary() bool { return false }

func (s *endedTokens) Token() (*oauth2.Token, error) {
	if s.calls.Add(1) == 1 {
		return &oauth2.Token{AccessToken: "not-a-token-of-the-operator"}, nil
	}
	return nil, sessionEnded{}
}

// An outbox whose token source ended fails the message at once instead of
// retrying it against the operator (ECO.1.2.6: the session is over).
func TestOutboxTokenSourceEnded(t *testing.T) {
	e := &obxEnv{trkEnv: newTrkEnv(t, nil)}
	cfg := e.s.MustConfig(trkA)
	tokens := &endedTokens{}
	cfg.Auth = mssante.OAuth2(tokens)
	c, err := mssante.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ob, err := delivery.NewOutbox(c, e.tr, &delivery.OutboxOptions{Clock: e.clock, MinBackoff: time.Minute, MaxBackoff: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	e.ob = ob
	ctx, cancel := context.WithCancel(trkCtx(t))
	done := make(chan error, 1)
	go func() { done <- ob.Run(ctx) }()
	defer func() { cancel(); <-done }()

	id, err := ob.Send(ctx, trkMessage(true, false, trkB))
	if err != nil {
		t.Fatal(err)
	}
	if err := ob.Wait(ctx, id); err != nil {
		t.Fatal(err)
	}
	r, _ := e.tr.Recipient(ctx, id, trkB)
	if r.State != delivery.StateFailed {
		t.Fatalf("recipient %+v", r)
	}
	if st := ob.Stats(); st.Failed != 1 || st.Retries != 0 || tokens.calls.Load() != 2 {
		t.Fatalf("stats %+v, %d token requests; want one failure, no retry, 2 requests", st, tokens.calls.Load())
	}
}
