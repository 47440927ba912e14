package mssante_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/trust"
)

// fakeClock is a mssante.Clock whose timers fire at once (advancing its
// time) and that records each wait; onAfter, if set, runs on each After
// with the number of waits so far. hold makes the timers never fire.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waits   []time.Duration
	hold    bool
	onAfter func(n int)
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	n, hold, onAfter := len(c.waits), c.hold, c.onAfter
	ch := make(chan time.Time, 1)
	if !hold {
		c.now = c.now.Add(d)
		ch <- c.now
	}
	c.mu.Unlock()
	if onAfter != nil {
		onAfter(n)
	}
	return ch
}

func (c *fakeClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}

// watchStarted returns a config whose audit signals each IDLE Watch
// starts.
func watchStarted(cfg mssante.Config) (mssante.Config, <-chan struct{}) {
	started := make(chan struct{}, 16)
	cfg.Audit = mssante.AuditorFunc(func(_ context.Context, e mssante.AuditEvent) {
		if e.Action == "imap.idle" {
			started <- struct{}{}
		}
	})
	return cfg, started
}

// Client.Close ends Watch (issue 15 §5), whether Watch is waiting for
// changes on its connection or waiting to reconnect, and Watch after Close
// returns at once.
func TestCloseEndsWatch(t *testing.T) {
	s := newTestServer(t, mailboxA)

	t.Run("idle", func(t *testing.T) {
		cfg, started := watchStarted(s.MustConfig(mailboxA))
		p := startProxy(t, cfg.Operator.IMAP)
		cfg.Operator.IMAP = p.Addr
		c := newTestClient(t, cfg)
		done := make(chan error, 1)
		go func() { done <- c.Watch(context.Background(), "INBOX", nil, func(mssante.WatchEvent) {}) }()
		select {
		case <-started:
		case err := <-done:
			t.Fatalf("Watch: %v", err)
		case <-time.After(20 * time.Second):
			t.Fatal("Watch did not start")
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		select {
		case err := <-done:
			if !errors.Is(err, mssante.ErrClosed) {
				t.Errorf("Watch returned %v, want ErrClosed", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Watch runs on after Close")
		}
		if err := c.Watch(context.Background(), "INBOX", nil, func(mssante.WatchEvent) {}); !errors.Is(err, mssante.ErrClosed) {
			t.Errorf("Watch after Close: %v", err)
		}
		if n := p.accepts.Load(); n != 1 {
			t.Errorf("%d connections", n)
		}
	})

	t.Run("reconnecting", func(t *testing.T) {
		cfg := s.MustConfig(mailboxA)
		p := startProxy(t, cfg.Operator.IMAP)
		p.refuse.Store(true)
		cfg.Operator.IMAP = p.Addr
		c := newTestClient(t, cfg)
		waiting := make(chan struct{}, 1)
		clk := &fakeClock{hold: true, onAfter: func(int) { waiting <- struct{}{} }}
		done := make(chan error, 1)
		go func() {
			done <- c.Watch(context.Background(), "INBOX", &mssante.WatchOptions{Clock: clk}, func(mssante.WatchEvent) {})
		}()
		select {
		case <-waiting:
		case err := <-done:
			t.Fatalf("Watch: %v", err)
		}
		c.Close()
		select {
		case err := <-done:
			if !errors.Is(err, mssante.ErrClosed) {
				t.Errorf("Watch returned %v, want ErrClosed", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Watch waits to reconnect after Close")
		}
	})
}

// Watch's backoff grows while the connection fails and starts again from
// MinBackoff after a healthy session, one that lasted at least as long as
// the wait had grown to; a session cut at once does not reset it. Driven by
// a fake clock: nothing sleeps.
func TestWatchBackoffResets(t *testing.T) {
	s := newTestServer(t, mailboxA)
	cfg := s.MustConfig(mailboxA)
	p := startProxy(t, cfg.Operator.IMAP)
	p.refuse.Store(true)
	cfg.Operator.IMAP = p.Addr
	c := newTestClient(t, cfg)

	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	clk := &fakeClock{now: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	var healthy bool // the next session lasts an hour
	clk.onAfter = func(n int) {
		switch n {
		case 3: // three failures: let the next connection through, for long
			healthy = true
			p.refuse.Store(false)
		case 4: // then a session cut at once
			healthy = false
		case 5:
			cancel()
		}
	}
	sessions := 0
	err := c.Watch(ctx, "INBOX", &mssante.WatchOptions{MinBackoff: time.Second, MaxBackoff: time.Minute, Clock: clk}, func(e mssante.WatchEvent) {
		if !e.Reconnected {
			return
		}
		sessions++
		if healthy {
			clk.Advance(time.Hour)
		}
		p.cut()
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch: %v", err)
	}
	waits := clk.Waits()
	bounds := [][2]time.Duration{
		{time.Second / 2, time.Second}, // failure 1
		{time.Second, 2 * time.Second}, // failure 2
		{2 * time.Second, 4 * time.Second},
		{time.Second / 2, time.Second}, // after an hour-long session: reset
		{time.Second, 2 * time.Second}, // after a session cut at once: growing again
	}
	if len(waits) != len(bounds) || sessions != 2 {
		t.Fatalf("waits %v, %d sessions", waits, sessions)
	}
	for i, w := range waits {
		if w < bounds[i][0] || w > bounds[i][1] {
			t.Errorf("wait %d: %v, want within %v", i+1, w, bounds[i])
		}
	}
}

// proxiedClient starts an operator with A and Bruno, and a client of A
// whose SMTP connections go through a proxy; configure, when not nil,
// changes the client's Config.
func proxiedClient(t *testing.T, configure func(*mssante.Config)) (*mssantetest.Server, *tcpProxy, *mssante.Client) {
	t.Helper()
	s := newTestServer(t, mailboxA, "bruno@ch-test.mssante.fr")
	cfg := s.MustConfig(mailboxA)
	p := startProxy(t, cfg.Operator.SMTP)
	cfg.Operator.SMTP = p.Addr
	if configure != nil {
		configure(&cfg)
	}
	return s, p, newTestClient(t, cfg)
}

// Submission.Close returns the error of QUIT, once; the message was sent all
// the same.
func TestSenderCloseError(t *testing.T) {
	s, p, c := proxiedClient(t, nil)

	snd, err := c.OpenSubmission(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snd.Send(testCtx(t), &mail.Message{To: []mail.Address{mail.MustParseAddress("bruno@ch-test.mssante.fr")}, Text: "t"}); err != nil {
		t.Fatal(err)
	}
	p.cut()
	if err := snd.Close(); !errors.Is(err, mssante.ErrConnect) {
		t.Errorf("Close after the connection was cut: %v", err)
	}
	if err := snd.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := snd.Send(testCtx(t), &mail.Message{Text: "t"}); !errors.Is(err, mssante.ErrClosed) {
		t.Errorf("Send after Close: %v", err)
	}
	if st := s.Stats(); st.Messages != 1 {
		t.Errorf("%d messages", st.Messages)
	}

	// A healthy session closes without error; Client.Close closes the
	// Submissions still open.
	snd, err = c.OpenSubmission(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := snd.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	snd, err = c.OpenSubmission(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := snd.Send(testCtx(t), &mail.Message{To: []mail.Address{mail.MustParseAddress("bruno@ch-test.mssante.fr")}, Text: "t"}); !errors.Is(err, mssante.ErrClosed) {
		t.Errorf("Send on a Submission of a closed client: %v", err)
	}
	if err := snd.Close(); err != nil {
		t.Errorf("Close of a Submission of a closed client: %v", err)
	}
}

// A Submission whose transaction lost the connection (here a peer that
// went silent, as behind a firewall that drops an idle connection) closes
// without QUIT: QUIT would wait for that peer up to CommandTimeout.
func TestSubmissionCloseAfterLostConnection(t *testing.T) {
	_, p, c := proxiedClient(t, func(cfg *mssante.Config) {
		cfg.CommandTimeout = 300 * time.Millisecond // the silent peer's MAIL fails after it
	})

	snd, err := c.OpenSubmission(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	msg := &mail.Message{To: []mail.Address{mail.MustParseAddress("bruno@ch-test.mssante.fr")}, Text: "t"}
	if _, err := snd.Send(testCtx(t), msg); err != nil {
		t.Fatal(err)
	}
	p.stall.Store(true)
	if _, err := snd.Send(testCtx(t), msg); err == nil {
		t.Fatal("Send to a silent peer succeeded")
	}
	// QUIT to the silent peer could only fail, or time out: Close
	// returns nil when it sends none.
	if err := snd.Close(); err != nil {
		t.Errorf("Close after the connection was lost: %v", err)
	}
}

// The zero Client and the zero Submission are closed ones: nothing panics,
// everything returns ErrClosed, Close does nothing.
func TestZeroValues(t *testing.T) {
	var c mssante.Client
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	ctx := testCtx(t)
	msg := &mail.Message{To: []mail.Address{mail.MustParseAddress("b@ch-test.mssante.fr")}, Text: "t"}
	if _, err := c.Send(ctx, msg); !errors.Is(err, mssante.ErrClosed) {
		t.Errorf("Send: %v", err)
	}
	if _, err := c.OpenSubmission(ctx); !errors.Is(err, mssante.ErrClosed) {
		t.Errorf("OpenSubmission: %v", err)
	}
	if _, err := c.Folders(ctx); !errors.Is(err, mssante.ErrClosed) {
		t.Errorf("Folders: %v", err)
	}
	if _, err := c.Fetch(ctx, "INBOX", 1); !errors.Is(err, mssante.ErrClosed) {
		t.Errorf("Fetch: %v", err)
	}
	for r, err := range c.Sync(ctx, "INBOX", nil) {
		if r != nil || !errors.Is(err, mssante.ErrClosed) {
			t.Errorf("Sync: %v %v", r, err)
		}
	}
	if err := c.Watch(ctx, "INBOX", nil, func(mssante.WatchEvent) {}); !errors.Is(err, mssante.ErrClosed) {
		t.Errorf("Watch: %v", err)
	}
	var s mssante.Submission
	if err := s.Close(); err != nil {
		t.Errorf("Submission.Close: %v", err)
	}
	if _, err := s.Send(ctx, msg); !errors.Is(err, mssante.ErrClosed) {
		t.Errorf("Submission.Send: %v", err)
	}
	if _, err := s.SendRaw(ctx, mssante.Envelope{}, nil, 0, nil); !errors.Is(err, mssante.ErrClosed) {
		t.Errorf("Submission.SendRaw: %v", err)
	}
}

// Ref2CipherSuites returns a copy, the list of package trust.
func TestRef2CipherSuites(t *testing.T) {
	a := mssante.Ref2CipherSuites()
	if !slices.Equal(a, trust.TLS12CipherSuites()) || len(a) == 0 {
		t.Fatalf("%x differs from trust's %x", a, trust.TLS12CipherSuites())
	}
	a[0] = 0
	if mssante.Ref2CipherSuites()[0] == 0 {
		t.Fatal("the list is shared")
	}
}
