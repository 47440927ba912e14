package delivery

import (
	"iter"
	"time"

	"github.com/mssante-go/sdk/mssante/delivery/internal/storekeys"
)

// ErrPageToken is the error of a query whose After is not a page token a
// store returned.
var ErrPageToken = storekeys.ErrToken

// PageToken returns the page token of a position in a query's order: the
// index time (see [IndexTime]) and the Message-ID of the last item of a
// page. Stores use it for Next; callers treat tokens as opaque.
func PageToken(t time.Time, messageID string) string { return storekeys.Token(t, messageID) }

// ParsePageToken decodes a token of PageToken, or returns ErrPageToken.
func ParsePageToken(token string) (time.Time, string, error) { return storekeys.ParseToken(token) }

// Match reports whether m meets every condition of q (not the page: Limit
// and After). Stores that scan one index use it to filter on the others.
func (q *MessageQuery) Match(m *TrackedMessage) bool {
	if q.Recipient != "" && m.Recipient(q.Recipient) == nil {
		return false
	}
	if q.State != "" {
		found := false
		for i := range m.Recipients {
			found = found || m.Recipients[i].State == q.State
		}
		if !found {
			return false
		}
	}
	if q.Unsettled && m.Settled() {
		return false
	}
	if !q.CreatedBefore.IsZero() && !IndexTime(m.Created).Before(IndexTime(q.CreatedBefore)) {
		return false
	}
	return true
}

// IndexKeys returns the ordered index keys of a message as the memory and
// bbolt stores lay them out.
func messageKeys(m *TrackedMessage) []string {
	return storekeys.Message(m.MessageID, messageFields(m))
}

func messageFields(m *TrackedMessage) storekeys.MessageFields {
	x := m.Index()
	f := storekeys.MessageFields{EnvelopeID: x.EnvelopeID, Created: x.Created, Settled: x.Settled,
		AwaitingDelivery: x.AwaitingDelivery, AwaitingRead: x.AwaitingRead, Recipients: x.Recipients}
	for _, s := range x.States {
		f.States = append(f.States, string(s))
	}
	return f
}

func outboxKeys(e *OutboxEntry) []string {
	return storekeys.Outbox(e.MessageID, IndexTime(e.Created), IndexTime(e.Due()))
}

// clone returns a deep copy of m.
func (m *TrackedMessage) clone() *TrackedMessage {
	c := *m
	c.Recipients = make([]RecipientStatus, len(m.Recipients))
	for i, r := range m.Recipients {
		r.History = append([]Transition(nil), r.History...)
		for j := range r.History {
			r.History[j].Problems = append([]string(nil), r.History[j].Problems...)
		}
		c.Recipients[i] = r
	}
	return &c
}

// clone returns a deep copy of e.
func (e *OutboxEntry) clone() *OutboxEntry {
	c := *e
	c.Recipients = append([]string(nil), e.Recipients...)
	c.Accepted = append([]string(nil), e.Accepted...)
	c.Refused = append([]OutboxRefusal(nil), e.Refused...)
	return &c
}

// pages iterates over the items of the pages fetch returns, one page at a
// time from the cursor after, until a page has no next cursor. The
// sequence ends after the first error.
func pages[T any](after string, fetch func(after string) (items []T, next string, err error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for cursor := after; ; {
			items, next, err := fetch(cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			cursor = next
		}
	}
}
