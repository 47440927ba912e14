package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"sync"
)

// ErrUnknownMessage is returned by a [Store] and by the [Tracker] for a
// Message-ID they do not hold.
var ErrUnknownMessage = errors.New("delivery: message not tracked")

// Store keeps what the [Tracker] knows of each sent message and what the
// [Outbox] still has to submit. Package mssante has an in-memory Store
// ([NewMemoryStore]); package mssante/delivery/boltstore has a durable one for
// production on one machine.
//
// Each method is a transaction of its own: when it returns nil, the change is
// durable (for a durable store) and visible to the next call. Values passed in
// and returned are copies: a Store never keeps or shares the caller's
// pointers. Implementations must be safe for concurrent use.
type Store interface {
	// LoadMessage returns the tracked message, or ErrUnknownMessage.
	LoadMessage(ctx context.Context, messageID string) (*TrackedMessage, error)
	// SaveMessage creates or replaces a tracked message.
	SaveMessage(ctx context.Context, m *TrackedMessage) error
	// ListMessages returns every tracked message, in no particular order.
	ListMessages(ctx context.Context) ([]*TrackedMessage, error)

	// AddOutbox stores a new outbox entry and the encoded message in one
	// transaction.
	AddOutbox(ctx context.Context, e *OutboxEntry, body []byte) error
	// UpdateOutbox replaces the entry's metadata; the body is kept. It
	// returns ErrUnknownMessage when the entry is gone.
	UpdateOutbox(ctx context.Context, e *OutboxEntry) error
	// OutboxBody returns the encoded message of an entry.
	OutboxBody(ctx context.Context, messageID string) ([]byte, error)
	// RemoveOutbox deletes an entry and its body. Removing an absent entry
	// is not an error.
	RemoveOutbox(ctx context.Context, messageID string) error
	// ListOutbox returns the entries still in the outbox, oldest first.
	ListOutbox(ctx context.Context) ([]*OutboxEntry, error)
}

// NewMemoryStore returns a Store that keeps everything in memory: for tests,
// and for programs that accept losing the tracking state and the outbox
// when they stop.
func NewMemoryStore() Store {
	return &memoryStore{msgs: map[string][]byte{}, entries: map[string][]byte{}, bodies: map[string][]byte{}}
}

// memoryStore keeps JSON copies, so that it has the exact semantics of a
// durable store: nothing the caller changes afterwards leaks in.
type memoryStore struct {
	mu      sync.Mutex
	msgs    map[string][]byte
	entries map[string][]byte
	bodies  map[string][]byte
}

func (s *memoryStore) LoadMessage(ctx context.Context, id string) (*TrackedMessage, error) {
	s.mu.Lock()
	b, ok := s.msgs[id]
	s.mu.Unlock()
	if !ok {
		return nil, ErrUnknownMessage
	}
	m := new(TrackedMessage)
	return m, json.Unmarshal(b, m)
}

func (s *memoryStore) SaveMessage(ctx context.Context, m *TrackedMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.msgs[m.MessageID] = b
	s.mu.Unlock()
	return nil
}

func (s *memoryStore) ListMessages(ctx context.Context) ([]*TrackedMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*TrackedMessage, 0, len(s.msgs))
	for _, b := range s.msgs {
		m := new(TrackedMessage)
		if err := json.Unmarshal(b, m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func (s *memoryStore) AddOutbox(ctx context.Context, e *OutboxEntry, body []byte) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.entries[e.MessageID] = b
	s.bodies[e.MessageID] = append([]byte(nil), body...)
	s.mu.Unlock()
	return nil
}

func (s *memoryStore) UpdateOutbox(ctx context.Context, e *OutboxEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.entries[e.MessageID]; !ok {
		return ErrUnknownMessage
	}
	s.entries[e.MessageID] = b
	return nil
}

func (s *memoryStore) OutboxBody(ctx context.Context, id string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.bodies[id]
	if !ok {
		return nil, ErrUnknownMessage
	}
	return append([]byte(nil), b...), nil
}

func (s *memoryStore) RemoveOutbox(ctx context.Context, id string) error {
	s.mu.Lock()
	delete(s.entries, id)
	delete(s.bodies, id)
	s.mu.Unlock()
	return nil
}

func (s *memoryStore) ListOutbox(ctx context.Context) ([]*OutboxEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*OutboxEntry, 0, len(s.entries))
	for _, b := range s.entries {
		e := new(OutboxEntry)
		if err := json.Unmarshal(b, e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	SortOutboxEntries(out)
	return out, nil
}

// SortOutboxEntries orders entries oldest first (then by Message-ID), the
// order ListOutbox returns them in. Store implementations may use it.
func SortOutboxEntries(list []*OutboxEntry) {
	sort.Slice(list, func(i, j int) bool {
		if !list[i].Created.Equal(list[j].Created) {
			return list[i].Created.Before(list[j].Created)
		}
		return list[i].MessageID < list[j].MessageID
	})
}
