package delivery

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"time"

	"github.com/mssante-go/sdk/internal/sysclock"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
)

// State is where a message stands for one recipient.
//
// The states form a ladder: queued, submitted (the operator answered 250),
// delayed (a DSN said so), delivered or relayed (a DSN), then displayed,
// processed or deleted (an MDN). Failed ends the ladder from any step: a
// refusal at submission, a failure DSN (a Mon Espace Santé bounce among
// them), an error MDN, or the tracker's delivery timeout. A read receipt
// that does not come is not a failure: the recipient stays delivered,
// marked (RecipientStatus.NoReadReceipt).
type State string

// Delivery states.
const (
	StateQueued    State = "queued"    // known, not yet accepted by the operator
	StateSubmitted State = "submitted" // accepted by the operator (SMTP 250)
	StateDelayed   State = "delayed"   // a DSN reported a delay; the operator keeps trying
	StateDelivered State = "delivered" // a DSN reported delivery into the mailbox
	StateRelayed   State = "relayed"   // a DSN reported relay to another operator (no further DSN may come)
	StateDisplayed State = "displayed" // an MDN reported the message shown to the recipient
	StateProcessed State = "processed" // an MDN reported the message processed (integrated by a program)
	StateDeleted   State = "deleted"   // an MDN reported the message discarded unread
	StateFailed    State = "failed"    // refused, bounced, not integrated, or timed out
)

// rank orders the states: a report moves a recipient up the ladder only,
// so that a late or duplicate report changes nothing.
func (s State) rank() int {
	switch s {
	case StateQueued:
		return 0
	case StateSubmitted:
		return 1
	case StateDelayed:
		return 2
	case StateDelivered, StateRelayed:
		return 3
	case StateDisplayed, StateProcessed, StateDeleted:
		return 4
	case StateFailed:
		return 5
	}
	return -1
}

// Cause says what caused a transition.
type Cause string

// Causes of transitions.
const (
	CauseCaller  Cause = "caller"  // the caller started tracking (Tracker.Track)
	CauseOutbox  Cause = "outbox"  // the outbox took or gave up the message
	CauseSMTP    Cause = "smtp"    // the operator's answer at submission
	CauseDSN     Cause = "dsn"     // a delivery status notification
	CauseMDN     Cause = "mdn"     // a message disposition notification
	CauseTimeout Cause = "timeout" // no report before one of the tracker's deadlines
)

// Errors of the tracker's deadlines, in TrackEvent.Err.
var (
	// ErrReportTimeout: a delivery receipt (DSN) was asked for and no
	// report came within TrackerOptions.Timeout of the submission. The
	// recipient failed.
	ErrReportTimeout = errors.New("delivery: no delivery report before the timeout")
	// ErrReadTimeout: the read receipt asked for did not come within
	// TrackerOptions.ReadTimeout of the submission. Nothing failed: the
	// wait is over, the recipient keeps its state (delivered, or submitted
	// when no delivery receipt was asked for) and is marked
	// NoReadReceipt.
	ErrReadTimeout = errors.New("delivery: no read receipt before the deadline")
)

// Transition is one step in the history of a recipient.
type Transition struct {
	Time  time.Time `json:"time"`
	From  State     `json:"from,omitempty"`
	To    State     `json:"to"`
	Cause Cause     `json:"cause"`
	// Status is the enhanced status code (SMTP or DSN) when there is one.
	Status string `json:"status,omitempty"`
	// Reason is the error text of a failure or delay, empty otherwise.
	Reason string `json:"reason,omitempty"`
	// IntegrationCode is the CI-SIS code of an error MDN, 0 otherwise.
	IntegrationCode mail.IntegrationErrorCode `json:"integration_code,omitempty"`
	// Problems are what the parser could not read in the report that made
	// the transition (Message.Problems, the first few), e.g. "report
	// without per-recipient status" or a returned message cut short: the
	// report counted, but support may want to look at it.
	Problems []string `json:"problems,omitempty"`
}

// RecipientStatus is the state of a tracked message for one recipient and
// how it got there.
type RecipientStatus struct {
	Address string    `json:"address"`
	State   State     `json:"state"`
	Since   time.Time `json:"since"`
	// Source, Status, Reason and IntegrationCode repeat those of the last
	// transition.
	Cause           Cause                     `json:"cause"`
	Status          string                    `json:"status,omitempty"`
	Reason          string                    `json:"reason,omitempty"`
	IntegrationCode mail.IntegrationErrorCode `json:"integration_code,omitempty"`
	// NoReadReceipt is set when the read receipt asked for did not come
	// before TrackerOptions.ReadTimeout: the recipient keeps its state and
	// counts as settled. A read receipt that comes later still counts and
	// clears it.
	NoReadReceipt bool         `json:"no_read_receipt,omitempty"`
	History       []Transition `json:"history"`
}

// TrackedMessage is what the tracker knows of one sent message.
type TrackedMessage struct {
	MessageID  string    `json:"message_id"`
	EnvelopeID string    `json:"envelope_id"` // the DSN ENVID: EnvelopeID(MessageID)
	From       string    `json:"from"`
	Subject    string    `json:"subject,omitempty"`
	Created    time.Time `json:"created"`             // when tracking began (queued)
	Submitted  time.Time `json:"submitted,omitempty"` // when the operator first accepted it
	// DeliveryReceipt and ReadReceipt record which reports were asked for
	// and can come: DSNs only when the server offered the extension.
	DeliveryReceipt bool              `json:"delivery_receipt"`
	ReadReceipt     bool              `json:"read_receipt"`
	Recipients      []RecipientStatus `json:"recipients"`
}

// Recipient returns the status of one recipient (the domain compared
// without case), or nil.
func (m *TrackedMessage) Recipient(addr string) *RecipientStatus {
	for i := range m.Recipients {
		if sameMailbox(m.Recipients[i].Address, addr) {
			return &m.Recipients[i]
		}
	}
	return nil
}

// Settled reports whether nothing more is expected for any recipient: each
// failed, or reached the last report it can get (an MDN when a read
// receipt was asked for, a DSN when only a delivery receipt was, the
// submission when neither was), or stopped waiting for the read receipt
// (NoReadReceipt).
func (m *TrackedMessage) Settled() bool {
	for i := range m.Recipients {
		if !m.settled(&m.Recipients[i]) {
			return false
		}
	}
	return true
}

func (m *TrackedMessage) settled(r *RecipientStatus) bool {
	switch r.State {
	case StateFailed, StateDisplayed, StateProcessed, StateDeleted:
		return true
	case StateDelivered, StateRelayed:
		return !m.ReadReceipt || r.NoReadReceipt
	case StateSubmitted:
		return !m.DeliveryReceipt && (!m.ReadReceipt || r.NoReadReceipt)
	}
	return false
}

// TrackEvent reports one transition to the caller.
type TrackEvent struct {
	MessageID string
	Recipient string
	Transition
	// Err is the typed error of a failure or delay: a *RecipientError or
	// *TransactionError (submission), a *DeliveryError (DSN), an
	// *IntegrationError (error MDN), or ErrReportTimeout; ErrReadTimeout
	// for the end of the wait for a read receipt (From and To are then the
	// same state). It is nil for other transitions, and for events rebuilt
	// from the store.
	Err error
}

// TrackerOptions configure a Tracker. A nil pointer means defaults.
type TrackerOptions struct {
	// Store keeps the state. Nil means NewMemoryStore(): nothing survives
	// the process. Use package boltstore for one process, pgstore for
	// several (see the README, "Running several instances").
	Store Store
	// Clock gives the time. Nil means the system clock; tests give a fake
	// one (the same fake clock serves every package of this module).
	Clock Clock
	// Timeout fails a submitted (or delayed) recipient for which no
	// delivery report came within this delay of the submission, when a
	// delivery receipt (DSN) was asked for and the server offered it
	// (ErrReportTimeout). A report that comes later still counts. Zero
	// means no timeout. It is applied by CheckTimeouts.
	Timeout time.Duration
	// ReadTimeout ends the wait for a read receipt that was asked for and
	// did not come within this delay of the submission (ErrReadTimeout):
	// the recipient keeps its state (delivered or relayed, or submitted
	// when no delivery receipt was asked for), is marked NoReadReceipt and
	// counts as settled. It never fails a recipient: a patient may never
	// return a read receipt. Zero means never: a person may read a mail
	// days later, and Pending lists the messages still waiting. It is
	// applied by CheckTimeouts.
	ReadTimeout time.Duration
	// Retention is how long settled messages are kept: Purge deletes
	// those created longer ago. Zero means they are kept until the caller
	// deletes them (Purge does nothing).
	Retention time.Duration
	// OnEvent is called for every transition, in order, after it was
	// stored. It runs on the goroutine that fed the tracker; it may query
	// the tracker but must not feed it (Track, Sent, Observe,
	// CheckTimeouts).
	OnEvent func(TrackEvent)
}

// Tracker follows each sent message, per recipient, from submission to
// read receipt: it is fed by the outcome of each submission (Tracker.Track
// then Tracker.Sent around Client.Send, or an Outbox) and by the reports the mailbox receives (Tracker.Observe with
// each message from Client.Sync), matched on the ENVID, the Original-Message-ID
// and the returned headers. Duplicate and late reports are ignored: a
// recipient only moves up the ladder of State, and a late "delayed"
// never overrides "delivered". It is safe for concurrent use.
//
// Reports are matched as mail systems write them. A DSN that names no
// recipient (Postfix's "Delivery report unavailable", a report cut short:
// see [mail.DSNRecipient.Unnamed]) applies to every recipient still waiting for
// a delivery report (queued, submitted, delayed or relayed), with the
// reason ReasonNoRecipientStatus; a DSN or MDN whose recipients match none
// of a message with one recipient applies to that one; an MDN without
// Original-Recipient is matched by its Final-Recipient, then by the
// report's From. What the parser could not read in a report is kept in the
// transition's Problems.
//
// It follows the delivery-notification model of the Direct Project
// (correlation per Message-ID and recipient, duplicate suppression, a
// timeout that ends the wait), with MSSanté's reports: RFC 3464 DSNs, which
// Direct does not use, come before MDNs. It differs in three ways: it asks
// for no X-DIRECT-FINAL-DESTINATION-DELIVERY option (MSSanté has none), a
// "dispatched" MDN counts as processed, and a timeout is an event for the
// caller rather than a failure DSN written to the sender's mailbox; a read
// receipt that does not come is not a failure at all.
//
// Several trackers, in several processes, may share a Store that allows it
// (package pgstore): each update of a message is atomic in the store
// (Store.UpdateMessage), so that two processes observing reports for the
// same message never lose a transition, and a duplicate report observed by
// both is recorded once. Each process gets the OnEvent calls of the
// transitions it recorded.
//
// The zero value is a tracker with default options and a memory store, as
// NewTracker(nil) returns; it holds nothing to close.
type Tracker struct {
	once  sync.Once
	store Store
	clock Clock
	opts  TrackerOptions

	mu     sync.Mutex // serialises this tracker's updates, so events keep their order
	emitMu sync.Mutex // keeps events in order while mu is released
}

// NewTracker returns a tracker.
func NewTracker(opts *TrackerOptions) *Tracker {
	t := &Tracker{}
	if opts != nil {
		t.opts = *opts
	}
	t.init()
	return t
}

// init applies the defaults, once; every method calls it, so that a zero
// Tracker works.
func (t *Tracker) init() {
	t.once.Do(func() {
		if t.opts.Store == nil {
			t.opts.Store = NewMemoryStore()
		}
		if t.opts.Clock == nil {
			t.opts.Clock = sysclock.Clock{}
		}
		t.store, t.clock = t.opts.Store, t.opts.Clock
	})
}

// Store returns the tracker's store.
func (t *Tracker) Store() Store {
	t.init()
	return t.store
}

// Track starts tracking msg: each recipient (To, Cc, Bcc) is queued. The
// Message-ID must be set: call Client.Prepare first. To track a message
// sent with Client.Send, call Prepare, Track (queued first, so that a crash
// during the submission leaves a trace), Send, then Sent with its outcome;
// an Outbox does all of this, durably. Tracking a message already tracked
// changes nothing.
func (t *Tracker) Track(ctx context.Context, msg *mail.Message) error {
	if msg.MessageID == "" {
		return errors.New("delivery: Tracker.Track needs the Message-ID (Client.Prepare sets it)")
	}
	rcpts := make([]string, 0, len(msg.To)+len(msg.Cc)+len(msg.Bcc))
	for _, a := range msg.Recipients() {
		rcpts = append(rcpts, a.Addr)
	}
	return t.track(ctx, msg.MessageID, msg.From.Addr, msg.Subject, rcpts, msg.RequestDeliveryReceipt, msg.RequestReadReceipt, CauseCaller)
}

func (t *Tracker) track(ctx context.Context, id, from, subject string, rcpts []string, dsn, mdn bool, src Cause) error {
	t.init()
	t.mu.Lock()
	now := t.clock.Now()
	m := &TrackedMessage{MessageID: id, EnvelopeID: mssante.EnvelopeID(id), From: from, Subject: subject, Created: now,
		DeliveryReceipt: dsn, ReadReceipt: mdn}
	var events []TrackEvent
	for _, a := range rcpts {
		if m.Recipient(a) != nil {
			continue
		}
		tr := Transition{Time: now, To: StateQueued, Cause: src}
		m.Recipients = append(m.Recipients, RecipientStatus{Address: a, State: StateQueued, Since: now, Cause: src, History: []Transition{tr}})
		events = append(events, TrackEvent{MessageID: id, Recipient: a, Transition: tr})
	}
	created, err := t.store.CreateMessage(ctx, m)
	if !created {
		events = nil // tracked already: tracking again changes nothing
	}
	t.unlockAndEmit(events, err)
	return err
}

// Sent records the outcome of Client.Send (or Submission.Send) for msg:
// accepted recipients become submitted, refused ones failed. A temporary
// refusal (4xx, a lost connection) changes nothing: the message stays
// queued for a new attempt. A message not yet tracked is tracked first.
func (t *Tracker) Sent(ctx context.Context, msg *mail.Message, res *mssante.SendResult, err error) error {
	if msg.MessageID == "" {
		return nil // refused before a Message-ID was given: nothing was sent
	}
	// Tracked already on the documented path (Prepare, Track, Send, Sent):
	// one write. Otherwise track it, then record.
	serr := t.sent(ctx, msg.MessageID, res, err, CauseSMTP)
	if !errors.Is(serr, ErrUnknownMessage) {
		return serr
	}
	if terr := t.Track(ctx, msg); terr != nil {
		return terr
	}
	return t.sent(ctx, msg.MessageID, res, err, CauseSMTP)
}

func (t *Tracker) sent(ctx context.Context, id string, res *mssante.SendResult, sendErr error, src Cause) error {
	return t.apply(ctx, id, func(m *TrackedMessage, now time.Time) []TrackEvent {
		var ev []TrackEvent
		if res == nil {
			if sendErr == nil || temporaryError(sendErr) {
				return nil
			}
			for i := range m.Recipients {
				if e, ok := t.move(m, &m.Recipients[i], StateFailed, src, now, sendErr); ok {
					ev = append(ev, e)
				}
			}
			return ev
		}
		m.DeliveryReceipt = m.DeliveryReceipt && !res.DSNUnsupported
		for _, rr := range res.Recipients {
			r := m.Recipient(rr.Address)
			if r == nil {
				continue
			}
			switch {
			case rr.Accepted:
				if m.Submitted.IsZero() {
					m.Submitted = now
				}
				if e, ok := t.move(m, r, StateSubmitted, src, now, nil); ok {
					ev = append(ev, e)
				}
			case rr.Err != nil && !temporaryError(rr.Err):
				if e, ok := t.move(m, r, StateFailed, src, now, rr.Err); ok {
					ev = append(ev, e)
				}
			}
		}
		return ev
	})
}

// fail moves the given recipients (all when nil) of a message to failed.
func (t *Tracker) fail(ctx context.Context, id string, rcpts []string, err error, src Cause) error {
	return t.apply(ctx, id, func(m *TrackedMessage, now time.Time) []TrackEvent {
		var ev []TrackEvent
		for i := range m.Recipients {
			r := &m.Recipients[i]
			if rcpts != nil && !containsMailbox(rcpts, r.Address) {
				continue
			}
			if e, ok := t.move(m, r, StateFailed, src, now, err); ok {
				ev = append(ev, e)
			}
		}
		return ev
	})
}

// Observe feeds the tracker a received message. A DSN is matched to the
// tracked message by its ENVID, then the Message-ID of the returned headers
// (or its Original-Message-ID), and each of its recipients by the original
// recipient (ORCPT) or the final one; an MDN by its Original-Message-ID and
// reporting mailbox. Other messages are ignored. It reports whether the
// message concerned a tracked message.
func (t *Tracker) Observe(ctx context.Context, msg *mail.Message) (bool, error) {
	t.init()
	switch {
	case msg == nil:
		return false, nil
	case msg.DSN != nil:
		return t.observeDSN(ctx, msg)
	case msg.MDN != nil:
		return t.observeMDN(ctx, msg)
	}
	return false, nil
}

// maxTransitionProblems bounds the problems a transition keeps.
const maxTransitionProblems = 5

// reportProblems returns the texts of the first problems of a report.
func reportProblems(msg *mail.Message) []string {
	var out []string
	for _, p := range msg.Problems {
		if len(out) == maxTransitionProblems {
			out = append(out, fmt.Sprintf("and %d more", len(msg.Problems)-maxTransitionProblems))
			break
		}
		out = append(out, strings.TrimPrefix(p.Error(), "delivery: "))
	}
	return out
}

func (t *Tracker) observeDSN(ctx context.Context, msg *mail.Message) (bool, error) {
	d := msg.DSN
	id, err := t.findDSN(ctx, d)
	if id == "" || err != nil {
		return false, err
	}
	problems := reportProblems(msg)
	return true, t.apply(ctx, id, func(m *TrackedMessage, now time.Time) []TrackEvent {
		var ev []TrackEvent
		apply := func(r *RecipientStatus, dr mail.DSNRecipient) {
			var to State
			switch dr.Action {
			case mail.ActionDelivered, mail.ActionExpanded:
				to = StateDelivered
			case mail.ActionRelayed:
				to = StateRelayed
			case mail.ActionDelayed:
				to = StateDelayed
			case mail.ActionFailed:
				to = StateFailed
			default:
				return
			}
			unnamed := dr.Unnamed()
			if unnamed {
				// The report names nobody: say which recipient it is
				// taken for, and why.
				dr.FinalRecipient, dr.DiagnosticCode = r.Address, mail.ReasonNoRecipientStatus
			}
			cause := dr.Err()
			e, ok := t.move(m, r, to, CauseDSN, now, cause)
			if !ok {
				return
			}
			if dr.Status != "" {
				r.Status = dr.Status
				r.History[len(r.History)-1].Status = dr.Status
				e.Status = dr.Status
			}
			if cause == nil && unnamed {
				r.Reason = mail.ReasonNoRecipientStatus
				r.History[len(r.History)-1].Reason = r.Reason
				e.Reason = r.Reason
			}
			t.noteProblems(r, &e, problems)
			ev = append(ev, e)
		}
		var unmatched []mail.DSNRecipient
		for _, dr := range d.Recipients {
			if dr.Unnamed() {
				for i := range m.Recipients {
					if r := &m.Recipients[i]; waitingForDSN(r) {
						apply(r, mail.DSNRecipient{Action: dr.Action, Status: dr.Status, StatusInferred: dr.StatusInferred})
					}
				}
				continue
			}
			r := m.Recipient(dr.Recipient())
			if r == nil {
				r = m.Recipient(dr.FinalRecipient)
			}
			if r == nil {
				unmatched = append(unmatched, dr)
				continue
			}
			apply(r, dr)
		}
		// A forwarded or aliased mailbox reports under another name: with
		// one recipient, there is no doubt whom the report is about.
		if len(unmatched) == 1 && len(m.Recipients) == 1 && len(d.Recipients) == 1 {
			apply(&m.Recipients[0], unmatched[0])
		}
		return ev
	})
}

// waitingForDSN tells the recipients an unnamed delivery report applies
// to: those with no delivery report yet, and relayed ones (the next
// operator may bounce).
func waitingForDSN(r *RecipientStatus) bool {
	switch r.State {
	case StateQueued, StateSubmitted, StateDelayed, StateRelayed:
		return true
	}
	return false
}

// noteProblems records the report's problems on the last transition.
func (t *Tracker) noteProblems(r *RecipientStatus, e *TrackEvent, problems []string) {
	if len(problems) == 0 {
		return
	}
	r.History[len(r.History)-1].Problems = problems
	e.Problems = problems
}

// findDSN returns the Message-ID a DSN is about, or "": by its ENVID
// (indexed, hashed or not), then by the Original-Message-ID.
func (t *Tracker) findDSN(ctx context.Context, d *mail.DSN) (string, error) {
	if d.OriginalEnvelopeID != "" {
		m, err := t.store.MessageByEnvelopeID(ctx, d.OriginalEnvelopeID)
		if err == nil {
			return m.MessageID, nil
		}
		if !errors.Is(err, ErrUnknownMessage) {
			return "", err
		}
	}
	if d.OriginalMessageID != "" {
		m, err := t.store.Message(ctx, d.OriginalMessageID)
		if err == nil {
			return m.MessageID, nil
		}
		if !errors.Is(err, ErrUnknownMessage) {
			return "", err
		}
	}
	return "", nil
}

func (t *Tracker) observeMDN(ctx context.Context, msg *mail.Message) (bool, error) {
	md := msg.MDN
	if md.OriginalMessageID == "" {
		return false, nil
	}
	matched := false
	problems := reportProblems(msg)
	err := t.apply(ctx, md.OriginalMessageID, func(m *TrackedMessage, now time.Time) []TrackEvent {
		r := m.Recipient(md.OriginalRecipient)
		if r == nil {
			r = m.Recipient(md.FinalRecipient)
		}
		if r == nil {
			r = m.Recipient(msg.From.Addr)
		}
		if r == nil && len(m.Recipients) == 1 {
			// Forwarded or aliased mailbox that reports under another name.
			r = &m.Recipients[0]
		}
		if r == nil {
			return nil
		}
		matched = true       // set again by each run of the update, alike
		to := StateProcessed // processed, and dispatched (Direct's final delivery)
		switch md.Disposition.Type {
		case mail.Displayed:
			to = StateDisplayed
		case mail.Deleted:
			to = StateDeleted
		case "":
			// A disposition that could not be read: the report still
			// proves the message reached the mailbox.
			to = StateDelivered
		}
		err := md.Err()
		if err != nil {
			to = StateFailed
		}
		e, ok := t.move(m, r, to, CauseMDN, now, err)
		if !ok {
			return nil
		}
		if md.ErrorCode != 0 {
			r.IntegrationCode = md.ErrorCode
			r.History[len(r.History)-1].IntegrationCode = md.ErrorCode
			e.IntegrationCode = md.ErrorCode
		}
		t.noteProblems(r, &e, problems)
		return []TrackEvent{e}
	})
	if errors.Is(err, ErrUnknownMessage) {
		return false, nil
	}
	return matched, err
}

// CheckTimeouts applies the deadlines of TrackerOptions: it fails the
// recipients whose delivery report is overdue (Timeout), marks those whose
// read receipt is overdue (ReadTimeout: NoReadReceipt, not a failure), and
// returns how many recipients it failed or marked. Call it periodically,
// e.g. after each Sync.
func (t *Tracker) CheckTimeouts(ctx context.Context) (int, error) {
	t.init()
	now := t.clock.Now()
	n := 0
	for _, w := range []struct {
		awaiting Awaiting
		after    time.Duration
	}{{AwaitingDelivery, t.opts.Timeout}, {AwaitingRead, t.opts.ReadTimeout}} {
		if w.after <= 0 {
			continue
		}
		// Each message updated leaves the index it was found in; the
		// cursor moves on past those that stay.
		q := DueQuery{Awaiting: w.awaiting, Before: now.Add(-w.after), Limit: MaxPageLimit}
		for {
			page, err := t.store.DueMessages(ctx, q)
			if err != nil {
				return n, err
			}
			for _, lm := range page.Messages {
				k, err := t.expire(ctx, lm.MessageID)
				n += k
				if err != nil && !errors.Is(err, ErrUnknownMessage) {
					return n, err
				}
			}
			if page.Next == "" {
				break
			}
			q.After = page.Next
		}
	}
	return n, nil
}

// expire applies the deadlines to one message and returns how many
// recipients it failed or marked.
func (t *Tracker) expire(ctx context.Context, id string) (int, error) {
	n := 0
	err := t.apply(ctx, id, func(m *TrackedMessage, now time.Time) []TrackEvent {
		var ev []TrackEvent
		if m.Submitted.IsZero() {
			return nil
		}
		for i := range m.Recipients {
			r := &m.Recipients[i]
			elapsed := now.Sub(m.Submitted)
			readOverdue := t.opts.ReadTimeout > 0 && m.ReadReceipt && !r.NoReadReceipt && elapsed >= t.opts.ReadTimeout
			switch r.State {
			case StateSubmitted, StateDelayed:
				if t.opts.Timeout > 0 && m.DeliveryReceipt && elapsed >= t.opts.Timeout {
					if e, ok := t.move(m, r, StateFailed, CauseTimeout, now, ErrReportTimeout); ok {
						ev = append(ev, e)
					}
				} else if r.State == StateSubmitted && !m.DeliveryReceipt && readOverdue {
					// No delivery report can come: the read receipt
					// was the only news to wait for.
					ev = append(ev, t.markNoReadReceipt(m, r, now))
				}
			case StateDelivered, StateRelayed:
				if readOverdue {
					ev = append(ev, t.markNoReadReceipt(m, r, now))
				}
			}
		}
		n = len(ev)
		return ev
	})
	return n, err
}

// markNoReadReceipt ends the wait for r's read receipt: a transition from
// its state to the same, by the timeout, with ErrReadTimeout as the reason;
// the state and status stay.
func (t *Tracker) markNoReadReceipt(m *TrackedMessage, r *RecipientStatus, now time.Time) TrackEvent {
	tr := Transition{Time: now, From: r.State, To: r.State, Cause: CauseTimeout, Status: r.Status, Reason: ErrReadTimeout.Error()}
	r.NoReadReceipt = true
	r.Since, r.Cause, r.Reason, r.IntegrationCode = now, CauseTimeout, tr.Reason, 0
	r.History = append(r.History, tr)
	return TrackEvent{MessageID: m.MessageID, Recipient: r.Address, Transition: tr, Err: ErrReadTimeout}
}

// move applies one transition if the ladder allows it and returns the event.
func (t *Tracker) move(m *TrackedMessage, r *RecipientStatus, to State, src Cause, now time.Time, cause error) (TrackEvent, bool) {
	if !allowed(r, to, src) {
		return TrackEvent{}, false
	}
	tr := Transition{Time: now, From: r.State, To: to, Cause: src}
	if cause != nil {
		tr.Reason = cause.Error()
		tr.Status = statusOf(cause)
		var ie *mail.IntegrationError
		if errors.As(cause, &ie) {
			tr.IntegrationCode = ie.Code
		}
	}
	r.State, r.Since, r.Cause, r.Status, r.Reason, r.IntegrationCode = to, now, src, tr.Status, tr.Reason, tr.IntegrationCode
	r.NoReadReceipt = false
	r.History = append(r.History, tr)
	return TrackEvent{MessageID: m.MessageID, Recipient: r.Address, Transition: tr, Err: cause}, true
}

// allowed is the ladder rule: up only, failed is final, except that a real
// report overrides a failure the tracker decided by itself (a timeout).
func allowed(r *RecipientStatus, to State, src Cause) bool {
	if r.State == StateFailed {
		return r.Cause == CauseTimeout && (src == CauseDSN || src == CauseMDN)
	}
	if to == r.State {
		return false
	}
	if to == StateFailed {
		return true
	}
	return to.rank() > r.State.rank()
}

// statusOf extracts an enhanced status code (or SMTP code) from an error.
func statusOf(err error) string {
	var (
		de *mail.DeliveryError
		re *mssante.RecipientError
		te *mssante.TransactionError
	)
	switch {
	case errors.As(err, &de):
		return de.Status
	case errors.As(err, &re):
		if re.Enhanced != "" {
			return re.Enhanced
		}
		return fmt.Sprint(re.Code)
	case errors.As(err, &te):
		if te.Enhanced != "" {
			return te.Enhanced
		}
		return fmt.Sprint(te.Code)
	}
	return ""
}

// apply updates one tracked message atomically in the store and emits
// the events fn returns, in order. fn may run more than once (the store
// re-runs it after a conflict with another process): only the events of
// the run that was stored are emitted.
func (t *Tracker) apply(ctx context.Context, id string, fn func(m *TrackedMessage, now time.Time) []TrackEvent) error {
	t.init()
	t.mu.Lock()
	var events []TrackEvent
	err := t.store.UpdateMessage(ctx, id, func(m *TrackedMessage) error {
		events = fn(m, t.clock.Now())
		if len(events) == 0 {
			return ErrNoChange
		}
		return nil
	})
	t.unlockAndEmit(events, err)
	return err
}

// unlockAndEmit releases mu and calls OnEvent for events unless saving
// failed. emitMu is taken before mu is released, so that events reach the
// caller in the order they were stored.
func (t *Tracker) unlockAndEmit(events []TrackEvent, err error) {
	if t.opts.OnEvent == nil || err != nil || len(events) == 0 {
		t.mu.Unlock()
		return
	}
	t.emitMu.Lock()
	t.mu.Unlock()
	defer t.emitMu.Unlock()
	for _, e := range events {
		t.opts.OnEvent(e)
	}
}

// Message returns what the tracker knows of a message, or ErrUnknownMessage.
func (t *Tracker) Message(ctx context.Context, messageID string) (*TrackedMessage, error) {
	t.init()
	return t.store.Message(ctx, strings.Trim(messageID, "<>"))
}

// Recipient returns the status of one recipient of a message.
func (t *Tracker) Recipient(ctx context.Context, messageID, addr string) (*RecipientStatus, error) {
	m, err := t.Message(ctx, messageID)
	if err != nil {
		return nil, err
	}
	if r := m.Recipient(addr); r != nil {
		return r, nil
	}
	return nil, fmt.Errorf("%w: %s is not a recipient of %s", ErrUnknownMessage, addr, messageID)
}

// MessagePage returns one page of the messages q selects, oldest first:
// for dashboards that page with q.After = the previous page's Next.
func (t *Tracker) MessagePage(ctx context.Context, q MessageQuery) (MessagePage, error) {
	t.init()
	return t.store.Messages(ctx, q)
}

// Messages returns the messages q selects, oldest first (nil q: every
// message), read from the store a page (q.Limit) at a time: memory stays
// bounded by a page. The sequence ends after the first error.
func (t *Tracker) Messages(ctx context.Context, q *MessageQuery) iter.Seq2[*TrackedMessage, error] {
	t.init()
	var query MessageQuery
	if q != nil {
		query = *q
	}
	return pages(query.After, func(after string) ([]*TrackedMessage, string, error) {
		q := query
		q.After = after
		page, err := t.store.Messages(ctx, q)
		return page.Messages, page.Next, err
	})
}

// Pending returns the messages not settled (see TrackedMessage.Settled)
// that were created more than olderThan ago, oldest first, a page at a
// time as Messages does.
func (t *Tracker) Pending(ctx context.Context, olderThan time.Duration) iter.Seq2[*TrackedMessage, error] {
	t.init()
	return t.Messages(ctx, &MessageQuery{Unsettled: true, CreatedBefore: t.clock.Now().Add(-olderThan).Add(time.Microsecond)})
}

// purgeBatch is how many messages Purge deletes per transaction.
const purgeBatch = 1000

// Purge deletes the settled messages created more than
// TrackerOptions.Retention ago, in batches of a thousand (one transaction
// each, so that a large purge never holds the store for long), and
// returns how many it deleted. It does nothing when Retention is zero.
// Call it periodically, e.g. daily.
func (t *Tracker) Purge(ctx context.Context) (int, error) {
	t.init()
	if t.opts.Retention <= 0 {
		return 0, nil
	}
	before := t.clock.Now().Add(-t.opts.Retention)
	total := 0
	for {
		n, err := t.store.PurgeMessages(ctx, before, purgeBatch)
		total += n
		if err != nil || n < purgeBatch {
			return total, err
		}
	}
}

// sameMailbox compares two addresses the RFC 5321 way: the local part
// exactly, the domain without case.
func sameMailbox(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	i, j := strings.LastIndexByte(a, '@'), strings.LastIndexByte(b, '@')
	if i < 0 || j < 0 {
		return a == b && a != ""
	}
	return a[:i] == b[:j] && strings.EqualFold(a[i+1:], b[j+1:])
}

func containsMailbox(list []string, addr string) bool {
	for _, a := range list {
		if sameMailbox(a, addr) {
			return true
		}
	}
	return false
}
