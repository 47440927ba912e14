package delivery

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"time"
)

// Errors of a [Store], shared by every implementation so that callers can
// test them with errors.Is.
var (
	// ErrUnknownMessage: the store (or the tracker) does not hold a
	// message or an outbox entry with that Message-ID.
	ErrUnknownMessage = errors.New("delivery: message not tracked")
	// ErrNoChange, returned by the function given to
	// Store.UpdateMessage, leaves the message as it was; UpdateMessage
	// then returns nil.
	ErrNoChange = errors.New("delivery: no change")
	// ErrLeaseLost: the outbox entry is leased to another owner (the
	// caller's lease expired and another worker claimed it), or was
	// released. The caller must stop working on it.
	ErrLeaseLost = errors.New("delivery: outbox lease lost")
	// ErrDuplicateMessage: Store.AddOutbox was given a Message-ID the
	// outbox already holds. Nothing was stored.
	ErrDuplicateMessage = errors.New("delivery: message already in the outbox")
)

// Store keeps what the [Tracker] knows of each sent message and what the
// [Outbox] still has to submit. Implementations: [NewMemoryStore] (tests;
// nothing survives the process), package boltstore (one process on one
// machine: the file has one writer), package pgstore (PostgreSQL: several
// processes or machines share it).
//
// The contract, checked for every implementation by package storetest:
//
//   - Each method is a transaction of its own: when it returns nil the
//     change is durable (for a durable store) and visible to every later
//     call, from this process or another one on the same store.
//   - Values passed in and returned are copies: a Store never keeps or
//     shares the caller's pointers.
//   - Lookups by Message-ID and by ENVID, and every query, use an index:
//     their cost does not grow with the number of messages held beyond
//     the index's logarithm and the rows returned.
//   - Queries return pages ordered by a time then the Message-ID (byte
//     order), with a limit and a cursor ([MessagePage.Next]) that stays
//     valid while the messages change. Index times are kept to the
//     microsecond (PostgreSQL's precision); the messages themselves keep
//     their full times.
//   - Implementations are safe for concurrent use.
//
// Times of the outbox's leases are the callers' (their [Clock]), not the
// store's: processes sharing a store need clocks that agree to well within
// [OutboxOptions.Lease] (NTP does).
type Store interface {
	// CreateMessage stores m unless the store holds a message with its
	// Message-ID, atomically, and reports whether it stored it.
	CreateMessage(ctx context.Context, m *TrackedMessage) (bool, error)
	// Message returns a tracked message, or ErrUnknownMessage.
	Message(ctx context.Context, messageID string) (*TrackedMessage, error)
	// MessageByEnvelopeID returns the tracked message with that
	// TrackedMessage.EnvelopeID (the DSN ENVID), or ErrUnknownMessage.
	MessageByEnvelopeID(ctx context.Context, envelopeID string) (*TrackedMessage, error)
	// UpdateMessage reads a message, calls fn with it and stores what fn
	// left, atomically: concurrent updates of one message, from this
	// process or another, never lose one another's changes. fn may be
	// called more than once (a store re-runs it after a serialization
	// conflict), so it must only change m and what it returns. An error
	// from fn stores nothing and is returned, except ErrNoChange, which
	// stores nothing and returns nil. fn must not change the Message-ID.
	// It returns ErrUnknownMessage for a message the store does not hold.
	UpdateMessage(ctx context.Context, messageID string, fn func(m *TrackedMessage) error) error
	// Messages returns a page of the messages q selects, oldest first
	// (by Created, then Message-ID).
	Messages(ctx context.Context, q MessageQuery) (MessagePage, error)
	// DueMessages returns a page of the messages waiting for a report
	// since a time at or before q.Before (see [MessageIndex]), by that
	// time then Message-ID.
	DueMessages(ctx context.Context, q DueQuery) (MessagePage, error)
	// PurgeMessages deletes up to limit settled messages created before
	// the given time, oldest first, and returns how many it deleted.
	PurgeMessages(ctx context.Context, createdBefore time.Time, limit int) (int, error)

	// AddOutbox stores a new outbox entry and its encoded message, read
	// from body until io.EOF, as one change: the entry exists, claimable,
	// only once the whole body is stored. It returns ErrDuplicateMessage
	// when the outbox holds the Message-ID, ErrOutboxFull when it holds
	// opts.MaxEntries entries (both checked atomically with the insert),
	// a *mail.LimitError when body is longer than opts.MaxBytes, and the
	// error of body as is; nothing is stored then. It sets e.Size to the
	// body's length. Memory stays bounded by a buffer, whatever the
	// body's size.
	AddOutbox(ctx context.Context, e *OutboxEntry, body io.Reader, opts AddOptions) error
	// OutboxEntry returns one entry, or ErrUnknownMessage.
	OutboxEntry(ctx context.Context, messageID string) (*OutboxEntry, error)
	// OutboxBody returns a reader of an entry's encoded message, which
	// reads it from the store a chunk at a time, or ErrUnknownMessage.
	// The caller closes it.
	OutboxBody(ctx context.Context, messageID string) (io.ReadCloser, error)
	// ClaimOutbox leases up to c.Max entries due at c.Now (see
	// [OutboxEntry.Due]), earliest due first, to c.Owner until c.Until,
	// and returns them. Claims are exclusive: an entry is leased to one
	// owner at a time, however many processes claim at once; an entry
	// whose lease expired is due again, whoever held it.
	ClaimOutbox(ctx context.Context, c OutboxClaim) ([]*OutboxEntry, error)
	// RenewOutbox extends the lease of an entry held by owner. It returns
	// ErrLeaseLost when owner does not hold it, ErrUnknownMessage when it
	// is gone.
	RenewOutbox(ctx context.Context, owner, messageID string, until time.Time) error
	// UpdateOutbox replaces an entry's fields (the body is kept) if owner
	// holds its lease ("" for an entry leased to nobody); the lease
	// becomes e's: an empty e.LeaseOwner releases it. It returns
	// ErrLeaseLost when owner does not hold it, ErrUnknownMessage when it
	// is gone.
	UpdateOutbox(ctx context.Context, owner string, e *OutboxEntry) error
	// RemoveOutbox deletes an entry and its body if owner holds its lease
	// ("" for an entry leased to nobody), or returns ErrLeaseLost.
	// Removing an absent entry is not an error.
	RemoveOutbox(ctx context.Context, owner, messageID string) error
	// ListOutbox returns a page of the entries, oldest first (by Created,
	// then Message-ID).
	ListOutbox(ctx context.Context, q OutboxQuery) (OutboxPage, error)
	// OutboxSummary returns how many entries the outbox holds and when
	// the next one falls due.
	OutboxSummary(ctx context.Context) (OutboxSummary, error)
}

// OutboxWaker is implemented by stores that can wake idle outboxes of
// other processes when an entry becomes due (package pgstore, with
// LISTEN/NOTIFY). An [Outbox] on such a store polls less: it still polls,
// with jitter, in case a wake-up is lost.
type OutboxWaker interface {
	// WakeOutbox returns a channel that receives a value (coalesced) each
	// time another process may have added or released an entry, until ctx
	// is done; it is then closed.
	WakeOutbox(ctx context.Context) <-chan struct{}
}

// Default and maximum page sizes of the store queries.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)

// PageLimit returns the page size a store applies for a query's Limit:
// DefaultPageLimit for zero or less, at most MaxPageLimit.
func PageLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultPageLimit
	case limit > MaxPageLimit:
		return MaxPageLimit
	}
	return limit
}

// MessageQuery selects tracked messages; its conditions are combined (and).
// The zero value selects every message, a page at a time.
type MessageQuery struct {
	// Recipient keeps the messages sent to this mailbox (the domain
	// compared without case). Empty means any.
	Recipient string
	// State keeps the messages with at least one recipient in this
	// state. Empty means any.
	State State
	// Unsettled keeps the messages not settled ([TrackedMessage.Settled]).
	Unsettled bool
	// CreatedBefore keeps the messages created before this time. Zero
	// means no bound.
	CreatedBefore time.Time
	// Limit bounds the page: zero means DefaultPageLimit; at most
	// MaxPageLimit.
	Limit int
	// After is the Next of the previous page; empty means the first page.
	After string
}

// Awaiting names the report a message waits for, for [DueQuery].
type Awaiting int

// What a message may wait for.
const (
	// AwaitingDelivery: a delivery report (DSN) was asked for and a
	// recipient is submitted or delayed ([TrackerOptions.Timeout]).
	AwaitingDelivery Awaiting = iota + 1
	// AwaitingRead: a read receipt was asked for and a recipient that can
	// still send one has not ([TrackerOptions.ReadTimeout]).
	AwaitingRead
)

// DueQuery selects the messages waiting for a kind of report since a time
// at or before Before: those whose deadline has passed.
type DueQuery struct {
	Awaiting Awaiting
	Before   time.Time
	// Limit and After page the result as in MessageQuery.
	Limit int
	After string
}

// MessagePage is one page of a query. Next is the After of the next page,
// empty after the last page.
type MessagePage struct {
	Messages []*TrackedMessage
	Next     string
}

// OutboxQuery pages the outbox: Limit and After as in MessageQuery.
type OutboxQuery struct {
	Limit int
	After string
}

// OutboxPage is one page of the outbox.
type OutboxPage struct {
	Entries []*OutboxEntry
	Next    string
}

// OutboxSummary is the size of the outbox and its next due time.
type OutboxSummary struct {
	Entries int
	// NextDue is the earliest OutboxEntry.Due; zero when the outbox is
	// empty.
	NextDue time.Time
}

// OutboxClaim asks Store.ClaimOutbox for due entries.
type OutboxClaim struct {
	Owner string    // who takes the lease (OutboxOptions.Owner)
	Now   time.Time // entries due at or before Now are claimed
	Until time.Time // the lease ends then unless renewed
	Max   int       // at most this many entries
}

// AddOptions bound Store.AddOutbox.
type AddOptions struct {
	// MaxEntries refuses the entry (ErrOutboxFull) when the outbox holds
	// that many. Zero means no bound.
	MaxEntries int
	// MaxBytes refuses a longer body (*mail.LimitError). Zero means no
	// bound.
	MaxBytes int64
}

// MessageIndex is what a Store indexes of a tracked message, computed by
// [TrackedMessage.Index]: stores call it rather than deriving the fields
// themselves, so that every store answers queries alike.
type MessageIndex struct {
	EnvelopeID string
	// Created is TrackedMessage.Created to the microsecond.
	Created time.Time
	Settled bool
	// AwaitingDelivery is the submission time (to the microsecond) when
	// the message waits for a delivery report, zero otherwise;
	// AwaitingRead likewise for a read receipt.
	AwaitingDelivery, AwaitingRead time.Time
	// Recipients are the distinct MailboxKey of the recipients, States
	// the distinct states of the recipients, both sorted.
	Recipients []string
	States     []State
}

// IndexTime is a time as stores index it: to the microsecond, in UTC.
func IndexTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Index returns what a Store indexes of m.
func (m *TrackedMessage) Index() MessageIndex {
	x := MessageIndex{EnvelopeID: m.EnvelopeID, Created: IndexTime(m.Created), Settled: m.Settled()}
	var delivery, read bool
	seen := map[State]bool{}
	for i := range m.Recipients {
		r := &m.Recipients[i]
		x.Recipients = append(x.Recipients, MailboxKey(r.Address))
		if !seen[r.State] {
			seen[r.State] = true
			x.States = append(x.States, r.State)
		}
		switch r.State {
		case StateSubmitted, StateDelayed:
			delivery = delivery || m.DeliveryReceipt
			read = read || (r.State == StateSubmitted && !m.DeliveryReceipt && m.ReadReceipt && !r.NoReadReceipt)
		case StateDelivered, StateRelayed:
			read = read || (m.ReadReceipt && !r.NoReadReceipt)
		}
	}
	slices.Sort(x.States)
	slices.Sort(x.Recipients)
	x.Recipients = slices.Compact(x.Recipients)
	if !m.Submitted.IsZero() {
		if delivery {
			x.AwaitingDelivery = IndexTime(m.Submitted)
		}
		if read {
			x.AwaitingRead = IndexTime(m.Submitted)
		}
	}
	return x
}

// MailboxKey is the form of an address that the stores index: the local
// part as is, the domain in lower case, as [TrackedMessage.Recipient]
// compares them.
func MailboxKey(addr string) string {
	addr = strings.TrimSpace(addr)
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[:i+1] + strings.ToLower(addr[i+1:])
	}
	return addr
}
