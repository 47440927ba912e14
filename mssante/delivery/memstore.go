package delivery

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/mssante-go/sdk/mssante/delivery/internal/storekeys"
	"github.com/mssante-go/sdk/mssante/mail"
)

// NewMemoryStore returns a Store that keeps everything in memory: for
// tests, and for programs that accept losing the tracking state and the
// outbox when they stop. Its indexes are ordered sets in memory, laid out
// as package boltstore lays out its own, so that both answer queries alike.
func NewMemoryStore() Store {
	return &memoryStore{msgs: map[string]*TrackedMessage{}, msgKeys: map[string][]string{},
		entries: map[string]*OutboxEntry{}, bodies: map[string][][]byte{}, adding: map[string]bool{}}
}

// memoryStore keeps copies, so that nothing the caller changes afterwards
// leaks in: the semantics of a durable store.
type memoryStore struct {
	mu      sync.Mutex
	msgs    map[string]*TrackedMessage
	msgKeys map[string][]string // index keys of each message
	entries map[string]*OutboxEntry
	bodies  map[string][][]byte
	adding  map[string]bool // AddOutbox reading the body
	index   storekeys.Set
}

// memoryChunk is the size of the blocks a body is kept in.
const memoryChunk = 64 << 10

var errEmptyID = errors.New("delivery: empty Message-ID")

func (s *memoryStore) CreateMessage(ctx context.Context, m *TrackedMessage) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if m.MessageID == "" {
		return false, errEmptyID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.msgs[m.MessageID]; ok {
		return false, nil
	}
	s.putMessage(m.clone())
	return true, nil
}

// putMessage stores m (the store's own copy) and its index keys.
func (s *memoryStore) putMessage(m *TrackedMessage) {
	keys := messageKeys(m)
	s.msgs[m.MessageID] = m
	s.rekey(s.msgKeys[m.MessageID], keys)
	s.msgKeys[m.MessageID] = keys
}

func (s *memoryStore) rekey(old, new []string) {
	gone, added := storekeys.Diff(old, new)
	for _, k := range gone {
		s.index.Delete(k)
	}
	for _, k := range added {
		s.index.Insert(k)
	}
}

func (s *memoryStore) Message(ctx context.Context, id string) (*TrackedMessage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[id]
	if !ok {
		return nil, ErrUnknownMessage
	}
	return m.clone(), nil
}

func (s *memoryStore) MessageByEnvelopeID(ctx context.Context, envid string) (*TrackedMessage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var found *TrackedMessage
	r := storekeys.Envelope(envid)
	s.index.Ascend(r, func(key string) bool {
		_, id := r.Split(key)
		found = s.msgs[id]
		return found == nil
	})
	if found == nil {
		return nil, ErrUnknownMessage
	}
	return found.clone(), nil
}

func (s *memoryStore) UpdateMessage(ctx context.Context, id string, fn func(m *TrackedMessage) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.msgs[id]
	if !ok {
		return ErrUnknownMessage
	}
	m := old.clone()
	if err := fn(m); err != nil {
		if errors.Is(err, ErrNoChange) {
			return nil
		}
		return err
	}
	if m.MessageID != id {
		return errChangedID
	}
	s.putMessage(m.clone())
	return nil
}

var errChangedID = errors.New("delivery: UpdateMessage: the function changed the Message-ID")

func (s *memoryStore) Messages(ctx context.Context, q MessageQuery) (MessagePage, error) {
	r, err := storekeys.Messages(MailboxKey(q.Recipient), string(q.State), q.Unsettled, q.CreatedBefore, q.After)
	if err != nil {
		return MessagePage{}, err
	}
	return s.page(ctx, r, PageLimit(q.Limit), q.Match)
}

func (s *memoryStore) DueMessages(ctx context.Context, q DueQuery) (MessagePage, error) {
	r, err := storekeys.Due(q.Awaiting == AwaitingDelivery, q.Before, q.After)
	if err != nil {
		return MessagePage{}, err
	}
	return s.page(ctx, r, PageLimit(q.Limit), func(*TrackedMessage) bool { return true })
}

// page collects the messages of an index range that match, up to limit.
func (s *memoryStore) page(ctx context.Context, r storekeys.Range, limit int, match func(*TrackedMessage) bool) (MessagePage, error) {
	if err := ctx.Err(); err != nil {
		return MessagePage{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var p MessagePage
	s.index.Ascend(r, func(key string) bool {
		t, id := r.Split(key)
		m := s.msgs[id]
		if m == nil || !match(m) {
			return true
		}
		p.Messages = append(p.Messages, m.clone())
		if len(p.Messages) == limit {
			p.Next = PageToken(t, id)
			return false
		}
		return true
	})
	return p, nil
}

func (s *memoryStore) PurgeMessages(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	r := storekeys.Settled(IndexTime(before))
	s.index.Ascend(r, func(key string) bool {
		_, id := r.Split(key)
		ids = append(ids, id)
		return len(ids) < limit
	})
	for _, id := range ids {
		s.rekey(s.msgKeys[id], nil)
		delete(s.msgKeys, id)
		delete(s.msgs, id)
	}
	return len(ids), nil
}

func (s *memoryStore) AddOutbox(ctx context.Context, e *OutboxEntry, body io.Reader, opts AddOptions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.MessageID == "" {
		return errEmptyID
	}
	id := e.MessageID
	// The Message-ID is reserved while the body is read, so that the
	// duplicate and size checks hold against concurrent adds.
	s.mu.Lock()
	err := s.admit(id, opts.MaxEntries)
	if err == nil {
		s.adding[id] = true
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	chunks, n, err := readChunks(ctx, body, memoryChunk, opts.MaxBytes)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.adding, id)
	if err != nil {
		return err
	}
	c := e.clone()
	c.Size = n
	s.entries[id] = c
	s.bodies[id] = chunks
	s.rekey(nil, outboxKeys(c))
	e.Size = n
	return nil
}

// admit checks that id may be added; s.mu is held.
func (s *memoryStore) admit(id string, max int) error {
	if _, ok := s.entries[id]; ok || s.adding[id] {
		return ErrDuplicateMessage
	}
	if max > 0 && len(s.entries)+len(s.adding) >= max {
		return ErrOutboxFull
	}
	return nil
}

// readChunks reads body into blocks of size bytes, refusing more than max
// bytes (zero: no bound).
func readChunks(ctx context.Context, body io.Reader, size int, max int64) ([][]byte, int64, error) {
	var chunks [][]byte
	var n int64
	buf := make([]byte, size)
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		k, err := io.ReadFull(body, buf)
		n += int64(k)
		if max > 0 && n > max {
			return nil, 0, &mail.LimitError{Limit: "message size", Max: max}
		}
		if k > 0 {
			chunks = append(chunks, bytes.Clone(buf[:k]))
		}
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return chunks, n, nil
		default:
			return nil, 0, err
		}
	}
}

func (s *memoryStore) OutboxEntry(ctx context.Context, id string) (*OutboxEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[id]
	if !ok {
		return nil, ErrUnknownMessage
	}
	return e.clone(), nil
}

func (s *memoryStore) OutboxBody(ctx context.Context, id string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	chunks, ok := s.bodies[id]
	if !ok {
		return nil, ErrUnknownMessage
	}
	// The blocks are never written again: readers share them.
	rs := make([]io.Reader, len(chunks))
	for i, c := range chunks {
		rs[i] = bytes.NewReader(c)
	}
	return io.NopCloser(io.MultiReader(rs...)), nil
}

func (s *memoryStore) ClaimOutbox(ctx context.Context, c OutboxClaim) ([]*OutboxEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	if c.Max > 0 {
		s.index.Ascend(storekeys.OutboxDue(IndexTime(c.Now)), func(key string) bool {
			ids = append(ids, storekeys.DueID(key))
			return len(ids) < c.Max
		})
	}
	out := make([]*OutboxEntry, 0, len(ids))
	for _, id := range ids {
		e := s.entries[id]
		old := outboxKeys(e)
		e.LeaseOwner, e.LeaseUntil = c.Owner, c.Until
		s.rekey(old, outboxKeys(e))
		out = append(out, e.clone())
	}
	return out, nil
}

// held returns the entry if owner holds it.
func (s *memoryStore) held(owner, id string) (*OutboxEntry, error) {
	e, ok := s.entries[id]
	if !ok {
		return nil, ErrUnknownMessage
	}
	if e.LeaseOwner != owner {
		return nil, ErrLeaseLost
	}
	return e, nil
}

func (s *memoryStore) RenewOutbox(ctx context.Context, owner, id string, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.held(owner, id)
	if err != nil {
		return err
	}
	old := outboxKeys(e)
	e.LeaseUntil = until
	s.rekey(old, outboxKeys(e))
	return nil
}

func (s *memoryStore) UpdateOutbox(ctx context.Context, owner string, e *OutboxEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.held(owner, e.MessageID)
	if err != nil {
		return err
	}
	c := e.clone()
	c.Size = old.Size
	s.entries[e.MessageID] = c
	s.rekey(outboxKeys(old), outboxKeys(c))
	return nil
}

func (s *memoryStore) RemoveOutbox(ctx context.Context, owner, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.held(owner, id)
	if errors.Is(err, ErrUnknownMessage) {
		return nil
	}
	if err != nil {
		return err
	}
	s.rekey(outboxKeys(e), nil)
	delete(s.entries, id)
	delete(s.bodies, id)
	return nil
}

func (s *memoryStore) ListOutbox(ctx context.Context, q OutboxQuery) (OutboxPage, error) {
	if err := ctx.Err(); err != nil {
		return OutboxPage{}, err
	}
	r, err := storekeys.OutboxCreated(q.After)
	if err != nil {
		return OutboxPage{}, err
	}
	limit := PageLimit(q.Limit)
	s.mu.Lock()
	defer s.mu.Unlock()
	var p OutboxPage
	s.index.Ascend(r, func(key string) bool {
		t, id := r.Split(key)
		p.Entries = append(p.Entries, s.entries[id].clone())
		if len(p.Entries) == limit {
			p.Next = PageToken(t, id)
			return false
		}
		return true
	})
	return p, nil
}

func (s *memoryStore) OutboxSummary(ctx context.Context) (OutboxSummary, error) {
	if err := ctx.Err(); err != nil {
		return OutboxSummary{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := OutboxSummary{Entries: len(s.entries)}
	s.index.Ascend(storekeys.OutboxDueAll(), func(key string) bool {
		sum.NextDue = storekeys.DueTime(key)
		return false
	})
	return sum, nil
}
