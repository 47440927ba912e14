package delivery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/mssante-go/sdk/internal/backoff"
	"github.com/mssante-go/sdk/internal/sysclock"
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
	// ErrNotReady: a method was called on an Outbox not made by
	// NewOutbox.
	ErrNotReady = errors.New("delivery: Outbox not made by NewOutbox")
)

// OutboxState is where an outbox entry stands.
type OutboxState string

// Outbox entry states. They are written to the store in this order, each
// durably before the step it announces.
const (
	// OutboxPending: stored, waiting for its (next) attempt.
	OutboxPending OutboxState = "pending"
	// OutboxInFlight: an attempt is about to send DATA, or sent it and its
	// outcome is not recorded yet. Found by a worker after its lease
	// expired (the worker that held it died or lost the store), it means
	// the operator may or may not have accepted the message: it is sent
	// again (see the Outbox documentation).
	OutboxInFlight OutboxState = "in-flight"
	// OutboxAccepted: the operator answered 250 to DATA. Recorded before
	// anything else; found after a crash, the message is not sent again.
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
	// Size is the length of the encoded message, set by the store.
	Size        int64     `json:"size"`
	Created     time.Time `json:"created"`
	Deadline    time.Time `json:"deadline"`
	NextAttempt time.Time `json:"next_attempt"`
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error,omitempty"`
	// LeaseOwner is the outbox working on the entry (OutboxOptions.Owner)
	// until LeaseUntil; empty when none is. A lease that expired is free
	// to claim.
	LeaseOwner string    `json:"lease_owner,omitempty"`
	LeaseUntil time.Time `json:"lease_until,omitempty"`
	// Uncertain is set when an attempt was found in flight by a later
	// one: an earlier copy may have reached the recipients.
	Uncertain bool `json:"uncertain,omitempty"`
	// Outcome of the accepted attempt, kept until the tracker has it.
	Accepted       []string        `json:"accepted,omitempty"`
	Refused        []OutboxRefusal `json:"refused,omitempty"`
	DSNRequested   bool            `json:"dsn_requested,omitempty"`
	DSNUnsupported bool            `json:"dsn_unsupported,omitempty"`
}

// Due returns when the entry may be claimed: its next attempt, or the end
// of its lease if that is later.
func (e *OutboxEntry) Due() time.Time {
	if e.LeaseOwner != "" && e.LeaseUntil.After(e.NextAttempt) {
		return e.LeaseUntil
	}
	return e.NextAttempt
}

// OutboxRefusal is a recipient refused at RCPT by an accepted attempt.
type OutboxRefusal struct {
	Address  string `json:"address"`
	Code     int    `json:"code"`
	Enhanced string `json:"enhanced,omitempty"`
	Message  string `json:"message,omitempty"`
}

// OutboxOptions configure an Outbox. A nil pointer means defaults.
type OutboxOptions struct {
	// QueueSize bounds the messages the outbox holds (in the store, for
	// every process sharing it); Send returns ErrOutboxFull beyond. Zero
	// means 1000.
	QueueSize int
	// Workers is how many submissions this Outbox runs at once, each on
	// its own SMTP connection (kept open while there is work). Zero means
	// 4.
	Workers int
	// IdleTimeout is how long a worker keeps its SMTP connection open
	// with no message to send, so that a queue drained one claim at a
	// time does not cost a TLS handshake and an AUTH per message. It must
	// stay below the operator's own idle timeout (RFC 5321 §4.5.3.2.7
	// suggests 5 minutes for the server); a kept connection the operator
	// closed anyway costs the next message no retry: the worker
	// reconnects at once, once. Zero means 5 seconds; a negative value
	// closes the connection as soon as no message waits.
	IdleTimeout time.Duration
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
	// Lease is how long a claimed entry stays this Outbox's without
	// renewal: an attempt renews it every third of it, and when the
	// process dies the entry is due again, for any process, once it
	// expires. It bounds how long a crashed worker's messages wait. Zero
	// means 1 minute.
	Lease time.Duration
	// PollInterval is how often an idle Outbox looks for entries that
	// other processes added or released, with jitter (between half of it
	// and all of it). Entries this Outbox adds or reschedules wake it at
	// once, and so does a store that implements OutboxWaker. Zero means
	// 5 seconds.
	PollInterval time.Duration
	// Owner names this Outbox in the leases it takes; it must differ
	// between the Outboxes sharing a store. Empty means the host name,
	// the process id and a random suffix.
	Owner string
	// Clock gives the time and timers. Nil means the system clock (the
	// same fake clock serves every package of this module).
	Clock Clock
	// Rand is the source of the jitter. Nil means crypto/rand.
	Rand io.Reader
}

// OutboxStats are the outbox's counters, metrics style: the first two are
// gauges, the others only grow. They count what this Outbox did; several
// processes sharing a store each count their own.
type OutboxStats struct {
	Queued            int    // messages in the outbox (store-wide), as of this Outbox's last look, kept current by its own changes
	Running           int    // attempts running now in this Outbox
	Enqueued          uint64 // messages taken by Send
	Rejected          uint64 // Send calls refused with ErrOutboxFull
	Attempts          uint64 // submissions attempted
	Retries           uint64 // attempts that failed temporarily and were rescheduled
	Submitted         uint64 // attempts the operator accepted
	Failed            uint64 // messages given up (permanent failure or deadline)
	ResentUncertain   uint64 // attempts whose outcome was unknown (found in flight, or no reply to DATA), sent again
	RecoveredAccepted uint64 // entries found accepted and not sent again
	LeasesLost        uint64 // entries this Outbox stopped working on because another took them over
}

// Outbox makes submission reliable: Send stores the encoded message
// durably (with the Tracker's Store) and returns; Run submits it, retries
// temporary failures (a lost connection, a 4xx reply, a refused token)
// with exponential backoff and jitter until a deadline, and records
// permanent failures in the tracker with their reason. Several goroutines
// may call Send at once.
//
// Several processes may run an Outbox on one shared store (package
// pgstore): each claims due entries with a lease (Store.ClaimOutbox),
// renews it while it sends, and completes or releases the entry with the
// outcome. An entry whose lease expired, because its process died or lost
// the store for longer than the lease, is due again for every process.
//
// Delivery is at least once, with idempotence: the Message-ID and the bytes
// never change across attempts, and the acceptance of DATA (250) is recorded
// in the store before anything else, so that no worker ever sends again a
// message known to be accepted. One window remains: between the moment the
// operator accepts DATA and the moment the store has recorded it (a commit,
// a few milliseconds; up to the lease when the store is unreachable then),
// a crash or a lost connection leaves the attempt "in flight", and the next
// attempt cannot know whether the operator took the message. It sends it
// again: the recipient may then get two copies with the same Message-ID,
// which mail clients (and the tracker) treat as one message. A worker that
// cannot renew its lease for longer than Lease while DATA is under way
// widens the window the same way. OutboxStats.ResentUncertain counts these,
// and the client's auditor gets an "outbox.resend-uncertain" event for
// each.
//
// An Outbox not made by NewOutbox returns ErrNotReady from its methods.
type Outbox struct {
	c       *mssante.Client
	tracker *Tracker
	store   Store
	opts    OutboxOptions

	mu      sync.Mutex
	busy    map[string]bool          // entries claimed by this outbox, being worked on
	done    map[string]chan struct{} // waiters of Wait, released when this outbox removes the entry
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
	o := &Outbox{c: c, tracker: t, store: t.Store(), log: c.Config().Logger,
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
	if o.opts.Lease <= 0 {
		o.opts.Lease = time.Minute
	}
	if o.opts.IdleTimeout == 0 {
		o.opts.IdleTimeout = 5 * time.Second
	}
	if o.opts.PollInterval <= 0 {
		o.opts.PollInterval = 5 * time.Second
	}
	if o.opts.Clock == nil {
		o.opts.Clock = sysclock.Clock{}
	}
	if o.opts.Rand == nil {
		o.opts.Rand = rand.Reader
	}
	if o.opts.Owner == "" {
		o.opts.Owner = defaultOwner(o.opts.Rand)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// defaultOwner names an Outbox: host, process, and a random suffix that
// tells apart two Outboxes of one process.
func defaultOwner(r io.Reader) string {
	host, _ := os.Hostname()
	var b [4]byte
	io.ReadFull(r, b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Owner returns the name of this Outbox's leases.
func (o *Outbox) Owner() string { return o.opts.Owner }

func (o *Outbox) step(name string) {
	if o.hook != nil {
		o.hook(name)
	}
}

// Send checks msg as Client.Send does (From, product reference, validity,
// the patient-safety rules of [mail.PatientSafetyError], trust space),
// gives it its Message-ID, encodes it and stores it with its envelope, then
// returns the Message-ID: from then on the message survives a crash, and
// Run (in this process or another sharing the store) submits it. The
// message is tracked (queued) in the tracker. Nothing is stored when an
// error is returned: ErrOutboxFull when the outbox holds QueueSize
// messages, ErrDuplicateMessage when it holds this Message-ID, both
// checked atomically with the insertion.
//
// The encoded message streams into the store: Send holds a buffer, not
// the message, whatever its size.
func (o *Outbox) Send(ctx context.Context, msg *mail.Message) (string, error) {
	if o.c == nil {
		return "", ErrNotReady
	}
	o.step("before-persist")
	if err := o.c.Prepare(ctx, msg); err != nil {
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
	body, encoded := o.encoder(msg)
	err := o.store.AddOutbox(ctx, e, body, AddOptions{MaxEntries: o.opts.QueueSize, MaxBytes: o.opts.MaxMessageBytes})
	body.CloseWithError(errAbandoned) // ends the encoder if the store stopped reading early
	<-encoded                         // msg is the caller's again
	if errors.Is(err, ErrOutboxFull) {
		o.mu.Lock()
		o.stats.Rejected++
		o.mu.Unlock()
		return "", err
	}
	o.c.Audit(ctx, "outbox.enqueue", e.MessageID, err)
	if err != nil {
		return "", err
	}
	o.step("after-persist")
	if err := o.tracker.track(ctx, e.MessageID, e.From, e.Subject, e.Recipients, e.DeliveryReceipt, e.ReadReceipt, CauseOutbox); err != nil {
		// The message is stored and will be sent; its first attempt
		// tracks it again.
		o.log.Warn("delivery: outbox could not track a message", "message_id", e.MessageID, "err", err)
	}
	o.mu.Lock()
	o.stats.Enqueued++
	o.stats.Queued++
	o.mu.Unlock()
	o.signal()
	return e.MessageID, nil
}

// encoder returns a reader of msg encoded, written by a goroutine as the
// store reads: the message never sits whole in memory. The goroutine ends
// when the reader is read to the end or closed; the channel is closed
// then.
func (o *Outbox) encoder(msg *mail.Message) (*io.PipeReader, <-chan struct{}) {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := msg.Encode(&limitedWriter{w: pw, max: o.opts.MaxMessageBytes}, &mail.EncodeOptions{Now: o.opts.Clock.Now})
		pw.CloseWithError(err)
	}()
	return pr, done
}

// errAbandoned stops the encoder of a message the store did not take.
var errAbandoned = errors.New("delivery: the store stopped reading the message")

// Wait blocks until the message left the outbox (accepted by the operator
// for every recipient that could take it, or given up, by this process or
// another) or ctx is done. The tracker tells the outcome per recipient. It
// returns at once for a message the outbox does not hold. Another process
// finishing the message is seen within OutboxOptions.PollInterval.
func (o *Outbox) Wait(ctx context.Context, messageID string) error {
	if o.c == nil {
		return ErrNotReady
	}
	o.mu.Lock()
	ch, ok := o.done[messageID]
	if !ok {
		ch = make(chan struct{})
		o.done[messageID] = ch
	}
	o.mu.Unlock()
	for {
		// The channel is registered first: a removal from now on closes it.
		_, err := o.store.OutboxEntry(ctx, messageID)
		if errors.Is(err, ErrUnknownMessage) {
			o.release(messageID)
			return nil
		}
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-o.opts.Clock.After(o.opts.PollInterval):
		}
	}
}

// release closes the waiters' channel of a message that left the outbox.
func (o *Outbox) release(id string) {
	o.mu.Lock()
	if ch, ok := o.done[id]; ok {
		close(ch)
		delete(o.done, id)
	}
	o.mu.Unlock()
}

// Entries returns the messages still in the outbox, oldest first, with
// their state, attempts, lease and last error, read from the store a page
// at a time.
func (o *Outbox) Entries(ctx context.Context) iter.Seq2[*OutboxEntry, error] {
	return func(yield func(*OutboxEntry, error) bool) {
		if o.c == nil {
			yield(nil, ErrNotReady)
			return
		}
		pages("", func(after string) ([]*OutboxEntry, string, error) {
			page, err := o.store.ListOutbox(ctx, OutboxQuery{After: after})
			return page.Entries, page.Next, err
		})(yield)
	}
}

// Stats returns the counters.
func (o *Outbox) Stats() OutboxStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.stats
	s.Running = len(o.busy)
	return s
}

// Run submits the messages of the outbox, as they come and as their
// retries fall due, until ctx is done; it then waits for the running
// attempts and returns ctx.Err(). It claims due entries from the store, as
// many as it has idle workers: those Send stored in this process or
// another, those whose retry fell due, and those whose lease expired
// because the process working on them died (entries found in flight are
// sent again, see Outbox; entries found accepted are recorded and not sent
// again). Run must not be called twice at once on one Outbox; several
// processes may each run one on a shared store.
func (o *Outbox) Run(ctx context.Context) error {
	if o.c == nil {
		return ErrNotReady
	}
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

	jobs := make(chan *OutboxEntry, o.opts.Workers)
	var wg sync.WaitGroup
	for range o.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.worker(ctx, jobs)
		}()
	}
	defer func() {
		close(jobs)
		wg.Wait()
	}()
	var notify <-chan struct{}
	if w, ok := o.store.(OutboxWaker); ok {
		notify = w.WakeOutbox(ctx)
	}
	for {
		wait := o.dispatch(ctx, jobs)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-o.wake:
		case <-notify:
		case <-o.opts.Clock.After(wait):
		}
	}
}

// dispatch claims due entries for the idle workers and returns how long
// to wait before looking again, unless woken.
func (o *Outbox) dispatch(ctx context.Context, jobs chan<- *OutboxEntry) time.Duration {
	poll := o.jitter(o.opts.PollInterval)
	o.mu.Lock()
	free := o.opts.Workers - len(o.busy)
	o.mu.Unlock()
	if free == 0 {
		return poll // a worker that ends wakes the loop
	}
	now := o.opts.Clock.Now()
	{
		claimed, err := o.store.ClaimOutbox(ctx, OutboxClaim{Owner: o.opts.Owner, Now: now, Until: now.Add(o.opts.Lease), Max: free})
		if err != nil {
			if ctx.Err() == nil {
				o.log.Warn("delivery: outbox could not claim messages", "err", err)
			}
			return poll
		}
		o.mu.Lock()
		for _, e := range claimed {
			o.busy[e.MessageID] = true
		}
		o.mu.Unlock()
		for _, e := range claimed {
			jobs <- e // buffered for every worker: never blocks
		}
		if len(claimed) == free {
			return poll // a worker that ends wakes the loop
		}
	}
	sum, err := o.store.OutboxSummary(ctx)
	if err != nil {
		return poll
	}
	o.mu.Lock()
	o.stats.Queued = sum.Entries
	o.mu.Unlock()
	if sum.NextDue.IsZero() {
		return poll
	}
	if d := sum.NextDue.Sub(now); d < poll {
		// Due now yet not claimed: another process's claim holds it
		// (or this outbox's workers are all busy). Look again soon.
		return max(d, poll/50, time.Millisecond)
	}
	return poll
}

func (o *Outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// jitter returns a random duration between half of d and d.
func (o *Outbox) jitter(d time.Duration) time.Duration {
	return backoff.Policy{Min: d, Max: d, Rand: o.opts.Rand}.Delay(1)
}
