package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/mail"
)

// blockSize is the size of the bytea blocks a body is stored in.
const blockSize = 256 << 10

// AddOutbox implements delivery.Store: the blocks are inserted first, a
// statement each, then, under an advisory lock that adders take (claims do
// not), the bound is checked and the entry inserted; all in one
// transaction.
func (s *Store) AddOutbox(ctx context.Context, e *delivery.OutboxEntry, body io.Reader, opts delivery.AddOptions) error {
	if e.MessageID == "" {
		return errors.New("pgstore: empty Message-ID")
	}
	max := opts.MaxBytes
	if s.opts.MaxMessageBytes > 0 && (max == 0 || s.opts.MaxMessageBytes < max) {
		max = s.opts.MaxMessageBytes
	}
	// A first look, before the body is read; the checks that count are
	// made again in the transaction.
	if err := s.admit(ctx, s.pool, e.MessageID, opts.MaxEntries); err != nil {
		return err
	}
	var size int64
	var stop error // the body's error: the transaction fails with it
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		buf := make([]byte, blockSize)
		for seq := 0; ; seq++ {
			n, err := io.ReadFull(body, buf)
			size += int64(n)
			if max > 0 && size > max {
				stop = &mail.LimitError{Limit: "message size", Max: max}
				return stop
			}
			if n > 0 {
				if _, err := tx.Exec(ctx, s.q.insertBlock, e.MessageID, seq, buf[:n]); err != nil {
					if uniqueViolation(err) {
						return delivery.ErrDuplicateMessage // an entry, or an add under way, has blocks
					}
					return err
				}
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				break
			}
			if err != nil {
				stop = err
				return err
			}
		}
		if _, err := tx.Exec(ctx, s.q.addLock, "mssante-pgstore-add:"+s.opts.Schema); err != nil {
			return err
		}
		if err := s.admit(ctx, tx, e.MessageID, opts.MaxEntries); err != nil {
			return err
		}
		c := *e
		c.Size = size
		doc, err := json.Marshal(&c)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, s.q.insertEntry, c.MessageID, delivery.IndexTime(c.Created), delivery.IndexTime(c.NextAttempt),
			delivery.IndexTime(c.Due()), c.LeaseOwner, nullTime(c.LeaseUntil), size, doc)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return delivery.ErrDuplicateMessage
		}
		return s.wake(ctx, tx)
	})
	if stop != nil && errors.Is(err, stop) {
		return stop // the reader's error as is
	}
	if err != nil {
		return wrap(err)
	}
	e.Size = size
	return nil
}

// admit checks that id may be added: not in the outbox, room left.
func (s *Store) admit(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, id string, max int) error {
	var exists bool
	if err := q.QueryRow(ctx, s.q.exists, id).Scan(&exists); err != nil {
		return wrap(err)
	}
	if exists {
		return delivery.ErrDuplicateMessage
	}
	if max <= 0 {
		return nil
	}
	var n int
	if err := q.QueryRow(ctx, s.q.countEntries).Scan(&n); err != nil {
		return wrap(err)
	}
	if n >= max {
		return delivery.ErrOutboxFull
	}
	return nil
}

// wake sends the outbox's notification, delivered at commit.
func (s *Store) wake(ctx context.Context, tx pgx.Tx) error {
	if !s.opts.Notify {
		return nil
	}
	_, err := tx.Exec(ctx, s.q.notify, s.channel)
	return err
}

// scanEntry decodes an entry; the lease and the size come from their
// columns, which claims and renewals change without the document.
func scanEntry(doc []byte, owner string, until *time.Time, size int64) (*delivery.OutboxEntry, error) {
	e := new(delivery.OutboxEntry)
	if err := json.Unmarshal(doc, e); err != nil {
		return nil, fmt.Errorf("pgstore: stored outbox entry: %w", err)
	}
	e.LeaseOwner, e.LeaseUntil, e.Size = owner, time.Time{}, size
	if until != nil {
		e.LeaseUntil = until.UTC()
	}
	return e, nil
}

// OutboxEntry implements delivery.Store.
func (s *Store) OutboxEntry(ctx context.Context, messageID string) (*delivery.OutboxEntry, error) {
	var doc []byte
	var owner string
	var until *time.Time
	var size int64
	err := s.pool.QueryRow(ctx, s.q.selectEntry, messageID).Scan(&doc, &owner, &until, &size)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, delivery.ErrUnknownMessage
	}
	if err != nil {
		return nil, wrap(err)
	}
	return scanEntry(doc, owner, until, size)
}

// OutboxBody implements delivery.Store: the reader fetches a block per
// query, the first one with the entry's size.
func (s *Store) OutboxBody(ctx context.Context, messageID string) (io.ReadCloser, error) {
	r := &bodyReader{s: s, ctx: ctx, id: messageID, seq: 1}
	var size int64
	err := s.pool.QueryRow(ctx, s.q.selectFirstBlock, messageID).Scan(&size, (*blockScanner)(r))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, delivery.ErrUnknownMessage
	}
	if err != nil {
		return nil, wrap(err)
	}
	r.left = size - int64(len(r.buf))
	return r, nil
}

type bodyReader struct {
	s    *Store
	ctx  context.Context
	id   string
	seq  int
	left int64  // bytes not fetched yet
	buf  []byte // the current block; its memory is reused for the next
	off  int    // read up to there
}

func (r *bodyReader) Read(p []byte) (int, error) {
	if r.off == len(r.buf) {
		if r.left <= 0 {
			return 0, io.EOF
		}
		err := r.s.pool.QueryRow(r.ctx, r.s.q.selectBlock, r.id, r.seq).Scan((*blockScanner)(r))
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, delivery.ErrUnknownMessage // removed meanwhile
		}
		if err != nil {
			return 0, wrap(err)
		}
		r.off = 0
		r.seq++
		r.left -= int64(len(r.buf))
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

func (r *bodyReader) Close() error { return nil }

// blockScanner scans a block into the reader's buffer (pgtype.BytesScanner:
// pgx hands over its own memory, valid until the next call).
type blockScanner bodyReader

func (b *blockScanner) ScanBytes(v []byte) error {
	b.buf = append(b.buf[:0], v...)
	return nil
}

// ClaimOutbox implements delivery.Store with one UPDATE over a SELECT ...
// FOR UPDATE SKIP LOCKED.
func (s *Store) ClaimOutbox(ctx context.Context, c delivery.OutboxClaim) ([]*delivery.OutboxEntry, error) {
	if c.Max <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, s.q.claim, delivery.IndexTime(c.Now), c.Max, c.Owner, delivery.IndexTime(c.Until))
	if err != nil {
		return nil, wrap(err)
	}
	type claimed struct {
		e       *delivery.OutboxEntry
		due, at time.Time
	}
	var list []claimed
	var doc []byte
	var size int64
	var due, created time.Time
	_, err = pgx.ForEachRow(rows, []any{&doc, &size, &due, &created}, func() error {
		e, err := scanEntry(doc, c.Owner, &c.Until, size)
		if err != nil {
			return err
		}
		list = append(list, claimed{e, due, created})
		return nil
	})
	if err != nil {
		return nil, wrap(err)
	}
	// RETURNING has no order: earliest due first, as the claim chose.
	slices.SortFunc(list, func(a, b claimed) int {
		if c := a.due.Compare(b.due); c != 0 {
			return c
		}
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		if a.e.MessageID < b.e.MessageID {
			return -1
		}
		return 1
	})
	out := make([]*delivery.OutboxEntry, len(list))
	for i, cl := range list {
		out[i] = cl.e
	}
	return out, nil
}

// leaseError tells why a write guarded by a lease changed no row.
func (s *Store) leaseError(ctx context.Context, id string) error {
	var exists bool
	if err := s.pool.QueryRow(ctx, s.q.exists, id).Scan(&exists); err != nil {
		return wrap(err)
	}
	if exists {
		return delivery.ErrLeaseLost
	}
	return delivery.ErrUnknownMessage
}

// RenewOutbox implements delivery.Store.
func (s *Store) RenewOutbox(ctx context.Context, owner, messageID string, until time.Time) error {
	tag, err := s.pool.Exec(ctx, s.q.renew, messageID, owner, delivery.IndexTime(until))
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return s.leaseError(ctx, messageID)
	}
	return nil
}

// UpdateOutbox implements delivery.Store, in one statement. A release (an
// empty e.LeaseOwner) wakes the other processes' outboxes with
// Options.Notify.
func (s *Store) UpdateOutbox(ctx context.Context, owner string, e *delivery.OutboxEntry) error {
	doc, err := json.Marshal(e)
	if err != nil {
		return err
	}
	var n, woke int
	err = s.pool.QueryRow(ctx, s.q.updateEntry, e.MessageID, owner, delivery.IndexTime(e.NextAttempt), delivery.IndexTime(e.Due()),
		e.LeaseOwner, nullTime(e.LeaseUntil), doc, s.opts.Notify && e.LeaseOwner == "", s.channel).Scan(&n, &woke)
	if err != nil {
		return wrap(err)
	}
	if n == 0 {
		return s.leaseError(ctx, e.MessageID)
	}
	return nil
}

// RemoveOutbox implements delivery.Store, in one statement.
func (s *Store) RemoveOutbox(ctx context.Context, owner, messageID string) error {
	var n int
	if err := s.pool.QueryRow(ctx, s.q.deleteEntry, messageID, owner).Scan(&n); err != nil {
		return wrap(err)
	}
	if n == 0 {
		if err := s.leaseError(ctx, messageID); !errors.Is(err, delivery.ErrUnknownMessage) {
			return err
		}
	}
	return nil
}

// ListOutbox implements delivery.Store.
func (s *Store) ListOutbox(ctx context.Context, q delivery.OutboxQuery) (delivery.OutboxPage, error) {
	limit := delivery.PageLimit(q.Limit)
	var rows pgx.Rows
	var err error
	if q.After == "" {
		rows, err = s.pool.Query(ctx, s.q.listOutbox, limit)
	} else {
		at, id, perr := delivery.ParsePageToken(q.After)
		if perr != nil {
			return delivery.OutboxPage{}, perr
		}
		rows, err = s.pool.Query(ctx, s.q.listOutboxAfter, limit, at, id)
	}
	if err != nil {
		return delivery.OutboxPage{}, wrap(err)
	}
	var p delivery.OutboxPage
	var doc []byte
	var owner string
	var until *time.Time
	var size int64
	var created time.Time
	_, err = pgx.ForEachRow(rows, []any{&doc, &owner, &until, &size, &created}, func() error {
		e, err := scanEntry(doc, owner, until, size)
		if err != nil {
			return err
		}
		p.Entries = append(p.Entries, e)
		return nil
	})
	if err != nil {
		return delivery.OutboxPage{}, wrap(err)
	}
	if len(p.Entries) == limit {
		p.Next = delivery.PageToken(created, p.Entries[len(p.Entries)-1].MessageID)
	}
	return p, nil
}

// OutboxSummary implements delivery.Store.
func (s *Store) OutboxSummary(ctx context.Context) (delivery.OutboxSummary, error) {
	var sum delivery.OutboxSummary
	var next *time.Time
	if err := s.pool.QueryRow(ctx, s.q.summary).Scan(&sum.Entries, &next); err != nil {
		return sum, wrap(err)
	}
	if next != nil {
		sum.NextDue = next.UTC()
	}
	return sum, nil
}
