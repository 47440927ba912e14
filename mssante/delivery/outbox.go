package delivery

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
)

// Errors of the outbox.
var (
	// ErrOutboxFull: Outbox.Send refused the message because the outbox
	// holds OutboxOptions.QueueSize messages. Nothing was stored.
	ErrOutboxFull = errors.New("delivery: outbox full")
	// ErrOutboxDeadline wraps the last error of a message given up after
	// OutboxOptions.Deadline of temporary failures.
	ErrOutboxDeadline = errors.New("delivery: outbox gave up after its deadline")
)

// OutboxState is where an outbox entry stands.
type OutboxState string

// Outbox entry states. They are written to the store in this order, each
// durably before the step it announces.
const (
	// OutboxPending: stored, waiting for its (next) attempt.
	OutboxPending OutboxState = "pending"
	// OutboxInFlight: an attempt is about to send DATA, or sent it and its
	// outcome is not recorded yet. Found after a restart, it means the
	// operator may or may not have accepted the message: it is sent again
	// (see the Outbox documentation).
	OutboxInFlight OutboxState = "in-flight"
	// OutboxAccepted: the operator answered 250 to DATA. Recorded before
	// anything else; found after a restart, the message is not sent again.
	OutboxAccepted OutboxState = "accepted"
)

// OutboxEntry is a message in the outbox: its envelope and where its
// submission stands. The encoded message is stored beside it.
type OutboxEntry struct {
	MessageID string `json:"message_id"`
	From      string `json:"from"`
	// Recipients are the envelope recipients still to submit (Bcc
	// included: they are not in the encoded header).
	Recipients      []string    `json:"recipients"`
	Subject         string      `json:"subject,omitempty"`
	DeliveryReceipt bool        `json:"delivery_receipt"` // ask DSNs (NOTIFY, ENVID)
	ReadReceipt     bool        `json:"read_receipt"`
	State           OutboxState `json:"state"`
	Created         time.Time   `json:"created"`
	Deadline        time.Time   `json:"deadline"`
	NextAttempt     time.Time   `json:"next_attempt"`
	Attempts        int         `json:"attempts"`
	LastError       string      `json:"last_error,omitempty"`
	// Uncertain is set when an attempt was found in flight after a restart:
	// an earlier copy may have reached the recipients.
	Uncertain bool `json:"uncertain,omitempty"`
	// Outcome of the accepted attempt, kept until the tracker has it.
	Accepted       []string        `json:"accepted,omitempty"`
	Refused        []OutboxRefusal `json:"refused,omitempty"`
	DSNRequested   bool            `json:"dsn_requested,omitempty"`
	DSNUnsupported bool            `json:"dsn_unsupported,omitempty"`
}

// OutboxRefusal is a recipient refused at RCPT by an accepted attempt.
type OutboxRefusal struct {
	Address  string `json:"address"`
	Code     int    `json:"code"`
	Enhanced string `json:"enhanced,omitempty"`
	Message  string `json:"message,omitempty"`
}

// Clock gives the time and timers to the outbox; tests use a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// OutboxOptions configure an Outbox. A nil pointer means defaults.
type OutboxOptions struct {
	// QueueSize bounds the messages the outbox holds; Send returns
	// ErrOutboxFull beyond. Zero means 1000.
	QueueSize int
	// Workers is how many submissions run at once, each on its own SMTP
	// connection. Zero means 4.
	Workers int
	// MinBackoff and MaxBackoff bound the wait after a temporary failure:
	// MinBackoff doubled after each failure, capped at MaxBackoff, with
	// jitter (a random value between half of it and all of it). Zero means
	// 30 seconds and 30 minutes.
	MinBackoff, MaxBackoff time.Duration
	// Deadline is how long after Send temporary failures are retried before
	// the message fails (ErrOutboxDeadline). Zero means 24 hours.
	Deadline time.Duration
	// MaxMessageBytes bounds the encoded message kept in the store. Zero
	// means the client's Config.MaxMessageBytes.
	MaxMessageBytes int64
	// Clock gives the time and timers. Nil means the system clock.
	Clock Clock
	// Rand is the source of the jitter. Nil means crypto/rand.
	Rand io.Reader
}

// OutboxStats are the outbox's counters, metrics style: the first two are
// gauges, the others only grow.
type OutboxStats struct {
	Queued            int    // messages in the outbox now
	Running           int    // attempts running now
	Enqueued          uint64 // messages taken by Send
	Rejected          uint64 // Send calls refused with ErrOutboxFull
	Attempts          uint64 // submissions attempted
	Retries           uint64 // attempts that failed temporarily and were rescheduled
	Submitted         uint64 // attempts the operator accepted
	Failed            uint64 // messages given up (permanent failure or deadline)
	ResentUncertain   uint64 // attempts whose outcome was unknown (in flight at startup, or no reply to DATA), sent again
	RecoveredAccepted uint64 // entries found accepted at startup and not sent again
}

// Outbox makes submission reliable: Send stores the encoded message
// durably (with the Tracker's Store) and returns; Run submits it, retries
// temporary failures (a lost connection, a 4xx reply, a refused token)
// with exponential backoff and jitter until a deadline, and records
// permanent failures in the tracker with their reason. Several goroutines
// may call Send at once.
//
// Delivery is at least once, with idempotence: the Message-ID and the bytes
// never change across attempts, and the acceptance of DATA (250) is recorded
// in the store before anything else, so that a restart never sends again a
// message it knows was accepted. One window remains: between the moment
// the operator accepts DATA and the moment the store has recorded it (an
// fsync, a few milliseconds), a crash or a lost connection leaves the
// attempt "in flight", and the next run cannot know whether the operator
// took the message. It sends it again: the recipient may then get two
// copies with the same Message-ID, which mail clients (and the tracker)
// treat as one message. OutboxStats.ResentUncertain counts these, and the
// client's auditor gets an "outbox.resend-uncertain" event for each.
type Outbox struct {
	c       *mssante.Client
	tracker *Tracker
	store   Store
	opts    OutboxOptions

	mu      sync.Mutex
	entries map[string]*OutboxEntry // what is in the store, by Message-ID
	busy    map[string]bool         // entries with a running attempt
	done    map[string]chan struct{}
	running bool
	wake    chan struct{}
	stats   OutboxStats

	log *slog.Logger // the client's

	// hook, set by tests only, is called at each step of a submission.
	hook func(step string)
}

// NewOutbox returns an outbox that submits with c and records each
// outcome in t, whose Store also keeps the outbox. Call Run to submit.
func NewOutbox(c *mssante.Client, t *Tracker, opts *OutboxOptions) (*Outbox, error) {
	if c == nil || t == nil {
		return nil, errors.New("delivery: NewOutbox needs a client and a tracker")
	}
	o := &Outbox{c: c, tracker: t, store: t.store, log: c.Config().Logger, entries: map[string]*OutboxEntry{},
		busy: map[string]bool{}, done: map[string]chan struct{}{}, wake: make(chan struct{}, 1)}
	if opts != nil {
		o.opts = *opts
	}
	if o.opts.QueueSize <= 0 {
		o.opts.QueueSize = 1000
	}
	if o.opts.Workers <= 0 {
		o.opts.Workers = 4
	}
	if o.opts.MinBackoff <= 0 {
		o.opts.MinBackoff = 30 * time.Second
	}
	if o.opts.MaxBackoff <= 0 {
		o.opts.MaxBackoff = 30 * time.Minute
	}
	if o.opts.MaxBackoff < o.opts.MinBackoff {
		o.opts.MaxBackoff = o.opts.MinBackoff
	}
	if o.opts.Deadline <= 0 {
		o.opts.Deadline = 24 * time.Hour
	}
	if o.opts.MaxMessageBytes <= 0 {
		o.opts.MaxMessageBytes = c.Config().MaxMessageBytes
	}
	if o.opts.Clock == nil {
		o.opts.Clock = realClock{}
	}
	if o.opts.Rand == nil {
		o.opts.Rand = rand.Reader
	}
	return o, nil
}

func (o *Outbox) step(name string) {
	if o.hook != nil {
		o.hook(name)
	}
}

// Send checks msg as Client.Send does (From, product reference, validity,
// the patient-safety rules of [mail.PatientSafetyError], trust space), gives it its Message-ID, encodes it and stores it with its
// envelope, then returns the Message-ID: from then on the message survives
// a crash, and Run submits it. The message is tracked (queued) in the
// tracker. Nothing is stored when an error is returned.
func (o *Outbox) Send(ctx context.Context, msg *mail.Message) (string, error) {
	o.step("before-persist")
	o.mu.Lock()
	full := len(o.entries) >= o.opts.QueueSize
	if full {
		o.stats.Rejected++
	}
	o.mu.Unlock()
	if full {
		return "", ErrOutboxFull
	}
	if err := o.c.Prepare(ctx, msg); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	err := msg.Encode(&limitedWriter{w: &buf, max: o.opts.MaxMessageBytes}, &mail.EncodeOptions{Now: o.opts.Clock.Now})
	if err != nil {
		return "", err
	}
	now := o.opts.Clock.Now()
	e := &OutboxEntry{MessageID: msg.MessageID, From: msg.From.Addr, Subject: msg.Subject,
		DeliveryReceipt: msg.RequestDeliveryReceipt, ReadReceipt: msg.RequestReadReceipt,
		State: OutboxPending, Created: now, Deadline: now.Add(o.opts.Deadline), NextAttempt: now}
	for _, a := range msg.Recipients() {
		if !containsMailbox(e.Recipients, a.Addr) {
			e.Recipients = append(e.Recipients, a.Addr)
		}
	}
	o.mu.Lock()
	_, dup := o.entries[e.MessageID]
	o.mu.Unlock()
	if dup {
		return "", fmt.Errorf("delivery: message %s is already in the outbox", e.MessageID)
	}
	err = o.store.AddOutbox(ctx, e, buf.Bytes())
	o.c.Audit(ctx, "outbox.enqueue", e.MessageID, err)
	if err != nil {
		return "", err
	}
	o.step("after-persist")
	if err := o.tracker.track(ctx, e.MessageID, e.From, e.Subject, e.Recipients, e.DeliveryReceipt, e.ReadReceipt, CauseOutbox); err != nil {
		// The message is stored and will be sent; Run tracks it again.
		o.log.Warn("delivery: outbox could not track a message", "message_id", e.MessageID, "err", err)
	}
	o.mu.Lock()
	o.stats.Enqueued++
	o.mu.Unlock()
	o.adopt(e) // unless Run's startup already loaded it from the store
	o.signal()
	return e.MessageID, nil
}

// Wait blocks until the message left the outbox (accepted by the operator
// for every recipient that could take it, or given up) or ctx is done.
// The tracker tells the outcome per recipient. It returns at once for a
// message the outbox does not hold: already done, or stored by an earlier
// run that Run has not loaded yet.
func (o *Outbox) Wait(ctx context.Context, messageID string) error {
	o.mu.Lock()
	ch, ok := o.done[messageID]
	o.mu.Unlock()
	if !ok {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Entries returns the messages still in the outbox, oldest first, with
// their state, attempts and last error.
func (o *Outbox) Entries(ctx context.Context) ([]*OutboxEntry, error) {
	return o.store.ListOutbox(ctx)
}

// Stats returns the counters.
func (o *Outbox) Stats() OutboxStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.stats
	s.Queued = len(o.entries)
	s.Running = len(o.busy)
	return s
}

// Run loads what the store holds from an earlier run, then submits the
// messages as they come and as their retries fall due, until ctx is done;
// it then waits for the running attempts and returns ctx.Err(). Entries
// found in flight are sent again (see Outbox); entries found accepted are
// recorded and not sent again. Run must not be called twice at once.
func (o *Outbox) Run(ctx context.Context) error {
	o.mu.Lock()
	if o.running {
		o.mu.Unlock()
		return errors.New("delivery: Outbox.Run is already running")
	}
	o.running = true
	o.mu.Unlock()
	defer func() {
		o.mu.Lock()
		o.running = false
		o.mu.Unlock()
	}()
	if err := o.recover(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		var timer <-chan time.Time
		if d, ok := o.dispatch(ctx, &wg); ok {
			timer = o.opts.Clock.After(d)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-o.wake:
		case <-timer:
		}
	}
}

// dispatch starts the attempts that are due, as workers allow, and returns
// the wait until the next one falls due.
func (o *Outbox) dispatch(ctx context.Context, wg *sync.WaitGroup) (time.Duration, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.opts.Clock.Now()
	ids := make([]string, 0, len(o.entries))
	for id := range o.entries {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return o.entries[ids[i]].NextAttempt.Before(o.entries[ids[j]].NextAttempt) })
	var next time.Time
	for _, id := range ids {
		e := o.entries[id]
		if o.busy[id] {
			continue
		}
		if e.NextAttempt.After(now) {
			if next.IsZero() || e.NextAttempt.Before(next) {
				next = e.NextAttempt
			}
			continue
		}
		if len(o.busy) >= o.opts.Workers {
			continue // a worker's end wakes the loop
		}
		o.busy[id] = true
		cp := *e
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.attempt(ctx, &cp)
			o.mu.Lock()
			delete(o.busy, cp.MessageID)
			if _, still := o.entries[cp.MessageID]; !still {
				o.closeDone(cp.MessageID) // Wait returns once Stats no longer counts it
			}
			o.mu.Unlock()
			o.signal()
		}()
	}
	if next.IsZero() {
		return 0, false
	}
	return next.Sub(now), true
}

func (o *Outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// recover loads the store's entries at startup.
func (o *Outbox) recover(ctx context.Context) error {
	list, err := o.store.ListOutbox(ctx)
	if err != nil {
		return err
	}
	for _, e := range list {
		// A pending entry may come from a Send running now: whoever adds
		// it first to memory owns it. In-flight and accepted ones were
		// left by an earlier run (attempts start after this loop).
		if !o.adopt(e) {
			continue
		}
		// Tracking may have been lost by a crash right after AddOutbox;
		// tracking twice changes nothing.
		if err := o.tracker.track(ctx, e.MessageID, e.From, e.Subject, e.Recipients, e.DeliveryReceipt, e.ReadReceipt, CauseOutbox); err != nil {
			return err
		}
		switch e.State {
		case OutboxAccepted:
			o.mu.Lock()
			o.stats.RecoveredAccepted++
			o.mu.Unlock()
			o.c.Audit(ctx, "outbox.recover-accepted", e.MessageID, nil)
			if err := o.finishAccepted(ctx, e); err != nil {
				return err
			}
		case OutboxInFlight:
			e.State, e.Uncertain = OutboxPending, true
			if err := o.store.UpdateOutbox(ctx, e); err != nil {
				return err
			}
			o.update(e)
			o.mu.Lock()
			o.stats.ResentUncertain++
			o.mu.Unlock()
			o.c.Audit(ctx, "outbox.resend-uncertain", e.MessageID, nil)
		}
	}
	return nil
}

// adopt adds an entry to those the outbox works on, with its waiters'
// channel, unless it is there already; it reports whether it added it.
func (o *Outbox) adopt(e *OutboxEntry) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.entries[e.MessageID]; ok {
		return false
	}
	o.entries[e.MessageID] = e
	o.done[e.MessageID] = make(chan struct{})
	return true
}

// attempt submits one entry once and records the outcome.
func (o *Outbox) attempt(ctx context.Context, e *OutboxEntry) {
	o.mu.Lock()
	o.stats.Attempts++
	o.mu.Unlock()
	e.Attempts++
	// The store is written even when Run is stopping: an outcome the
	// operator gave must be recorded.
	sctx := context.WithoutCancel(ctx)
	body, err := o.store.OutboxBody(ctx, e.MessageID)
	if errors.Is(err, ErrUnknownMessage) {
		o.remove(ctx, e.MessageID) // removed from the store by someone else
		return
	}
	if err != nil {
		o.retryOrFail(ctx, e, &storeError{err})
		return
	}
	s, err := o.c.OpenSender(ctx)
	if err != nil {
		o.retryOrFail(ctx, e, err)
		return
	}
	defer s.Close()
	env := mssante.Envelope{MessageID: e.MessageID, From: e.From, Recipients: e.Recipients, DeliveryReceipt: e.DeliveryReceipt}
	res, err := s.SendRaw(ctx, env, &halfwayReader{body: body, at: func() { o.step("data") }}, int64(len(body)), &mssante.RawOptions{BeforeData: func() error {
		// Durably in flight before the first byte of DATA.
		e.State = OutboxInFlight
		if err := o.store.UpdateOutbox(sctx, e); err != nil {
			e.State = OutboxPending
			return &storeError{err}
		}
		o.step("in-flight")
		return nil
	}})
	if err != nil && res == nil {
		o.retryOrFail(ctx, e, err)
		return
	}
	if err != nil {
		// Every recipient refused at RCPT: nothing was sent.
		o.tracker.sent(sctx, e.MessageID, res, nil, CauseSMTP)
		o.remaining(ctx, e, res, err)
		return
	}
	o.step("accepted")
	// The acceptance first, durably: a crash from here on never resends.
	e.State = OutboxAccepted
	e.Accepted, e.Refused = res.Accepted(), refusals(res)
	e.DSNRequested, e.DSNUnsupported = res.DSNRequested, res.DSNUnsupported
	e.LastError = ""
	if err := o.store.UpdateOutbox(sctx, e); err != nil {
		// The operator has the message; the store does not know it. Go
		// on: removing the entry below is the other way not to resend.
		o.log.Error("delivery: outbox could not record an accepted message", "message_id", e.MessageID, "err", err)
	}
	o.step("recorded")
	o.mu.Lock()
	o.stats.Submitted++
	o.mu.Unlock()
	if err := o.finishAccepted(sctx, e); err != nil {
		o.log.Error("delivery: outbox could not track an accepted message", "message_id", e.MessageID, "err", err)
	}
}

// finishAccepted gives an accepted entry's outcome to the tracker, then
// removes the entry, or keeps the recipients refused temporarily for
// another attempt.
func (o *Outbox) finishAccepted(ctx context.Context, e *OutboxEntry) error {
	res := &mssante.SendResult{MessageID: e.MessageID, DSNRequested: e.DSNRequested, DSNUnsupported: e.DSNUnsupported}
	if e.DSNRequested {
		res.EnvelopeID = mssante.EnvelopeID(e.MessageID)
	}
	for _, a := range e.Accepted {
		res.Recipients = append(res.Recipients, mssante.RecipientResult{Address: a, Accepted: true})
	}
	for _, r := range e.Refused {
		res.Recipients = append(res.Recipients, mssante.RecipientResult{Address: r.Address,
			Err: &mssante.RecipientError{Address: r.Address, Code: r.Code, Enhanced: r.Enhanced, Message: r.Message}})
	}
	if err := o.tracker.sent(ctx, e.MessageID, res, nil, CauseSMTP); err != nil {
		return err
	}
	o.remaining(ctx, e, res, nil)
	return nil
}

// remaining keeps the recipients refused temporarily for another attempt
// and removes the entry when there are none.
func (o *Outbox) remaining(ctx context.Context, e *OutboxEntry, res *mssante.SendResult, err error) {
	var again []string
	var last error
	for _, rr := range res.Recipients {
		if !rr.Accepted && rr.Err != nil && temporaryError(rr.Err) {
			again = append(again, rr.Address)
			last = rr.Err
		}
	}
	if len(again) == 0 {
		if err != nil {
			o.mu.Lock()
			o.stats.Failed++
			o.mu.Unlock()
			o.c.Audit(ctx, "outbox.failed", e.MessageID, err)
		}
		o.remove(ctx, e.MessageID)
		return
	}
	e.Recipients = again
	e.Accepted, e.Refused, e.State = nil, nil, OutboxPending
	o.retryOrFail(ctx, e, last)
}

// retryOrFail reschedules an entry after a temporary failure, or fails it.
func (o *Outbox) retryOrFail(ctx context.Context, e *OutboxEntry, cause error) {
	now := o.opts.Clock.Now()
	var (
		te *mssante.TransactionError
		se *mssante.SizeError
	)
	if e.State == OutboxInFlight && !errors.As(cause, &te) && !errors.As(cause, &se) {
		// DATA was under way and no reply came: the operator may have the
		// message. The next attempt is the documented duplicate window.
		e.Uncertain = true
		o.mu.Lock()
		o.stats.ResentUncertain++
		o.mu.Unlock()
		o.c.Audit(ctx, "outbox.resend-uncertain", e.MessageID, cause)
	}
	e.State = OutboxPending
	e.LastError = cause.Error()
	if (temporaryError(cause) && ctx.Err() != nil) || errors.Is(cause, mssante.ErrClosed) {
		// Run is stopping: keep the entry as it is for the next run.
		o.store.UpdateOutbox(context.WithoutCancel(ctx), e)
		o.update(e)
		return
	}
	if temporaryError(cause) {
		next := now.Add(o.backoff(e.Attempts))
		if !next.After(e.Deadline) {
			e.NextAttempt = next
			err := o.store.UpdateOutbox(ctx, e)
			o.c.Audit(ctx, "outbox.retry", e.MessageID, cause)
			if err != nil {
				o.log.Error("delivery: outbox could not reschedule a message", "message_id", e.MessageID, "err", err)
			}
			o.mu.Lock()
			o.stats.Retries++
			o.mu.Unlock()
			o.update(e)
			return
		}
		cause = fmt.Errorf("%w (%d attempts): %w", ErrOutboxDeadline, e.Attempts, cause)
	}
	o.tracker.fail(ctx, e.MessageID, e.Recipients, cause, CauseOutbox)
	o.mu.Lock()
	o.stats.Failed++
	o.mu.Unlock()
	o.c.Audit(ctx, "outbox.failed", e.MessageID, cause)
	o.remove(ctx, e.MessageID)
}

// backoff returns the wait before attempt n+1: MinBackoff·2^(n-1), capped,
// with jitter between half and all of it.
func (o *Outbox) backoff(n int) time.Duration {
	d := o.opts.MinBackoff
	for i := 1; i < n && d < o.opts.MaxBackoff; i++ {
		d *= 2
	}
	if d > o.opts.MaxBackoff {
		d = o.opts.MaxBackoff
	}
	var b [8]byte
	if _, err := io.ReadFull(o.opts.Rand, b[:]); err != nil {
		return d
	}
	half := int64(d / 2)
	if half <= 0 {
		return d
	}
	return time.Duration(half + int64(binary.BigEndian.Uint64(b[:])%uint64(half+1)))
}

func (o *Outbox) update(e *OutboxEntry) {
	o.mu.Lock()
	if _, ok := o.entries[e.MessageID]; ok {
		cp := *e
		o.entries[e.MessageID] = &cp
	}
	o.mu.Unlock()
}

func (o *Outbox) remove(ctx context.Context, id string) {
	if err := o.store.RemoveOutbox(context.WithoutCancel(ctx), id); err != nil {
		o.log.Error("delivery: outbox could not remove a message", "message_id", id, "err", err)
	}
	o.mu.Lock()
	delete(o.entries, id)
	if !o.busy[id] {
		o.closeDone(id)
	}
	o.mu.Unlock()
}

// closeDone releases the waiters of a message; o.mu is held.
func (o *Outbox) closeDone(id string) {
	if ch, ok := o.done[id]; ok {
		close(ch)
		delete(o.done, id)
	}
}

func refusals(res *mssante.SendResult) []OutboxRefusal {
	var out []OutboxRefusal
	for _, rr := range res.Recipients {
		if rr.Accepted {
			continue
		}
		r := OutboxRefusal{Address: rr.Address}
		var re *mssante.RecipientError
		if errors.As(rr.Err, &re) {
			r.Code, r.Enhanced, r.Message = re.Code, re.Enhanced, re.Message
		}
		out = append(out, r)
	}
	return out
}

// temporaryError reports an error worth retrying: a 4xx reply, a lost or
// refused connection, a refused token (the next attempt asks for a new one).
// Refusals that will not change (5xx, trust space, size, invalid message,
// TLS) are permanent.
func temporaryError(err error) bool {
	var (
		re *mssante.RecipientError
		te *mssante.TransactionError
		ae *mssante.AuthError
		ce *mssante.ConnectError
		tl *mssante.TLSError
		ne net.Error
		st *storeError
	)
	switch {
	case errors.As(err, &st):
		return true
	case errors.As(err, &re):
		return re.Temporary()
	case errors.As(err, &te):
		return te.Temporary()
	case errors.As(err, &ae):
		return ae.Status == "401" || (ae.Code >= 400 && ae.Code < 500)
	case errors.As(err, &tl):
		return false
	case errors.As(err, &ce), errors.As(err, &ne):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	return false
}

// storeError is a failure of the outbox's store: the message stays queued
// and is tried again.
type storeError struct{ err error }

func (e *storeError) Error() string { return "delivery: outbox store: " + e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// limitedWriter fails once more than n bytes were written.
type limitedWriter struct {
	w        io.Writer
	max, len int64
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.len+int64(len(p)) > l.max {
		return 0, &mail.LimitError{Limit: "message size", Max: l.max}
	}
	l.len += int64(len(p))
	return l.w.Write(p)
}

// halfwayReader reads body and calls at once the first half was read and
// written (at the next Read): the tests stop an outbox there, in the
// middle of DATA.
type halfwayReader struct {
	body   []byte
	off    int
	at     func()
	called bool
}

func (r *halfwayReader) Read(p []byte) (int, error) {
	half := len(r.body) / 2
	if r.off >= half && !r.called {
		r.called = true
		r.at()
	}
	if r.off >= len(r.body) {
		return 0, io.EOF
	}
	end := len(r.body)
	if r.off < half {
		end = half
	}
	n := copy(p, r.body[r.off:end])
	r.off += n
	return n, nil
}
