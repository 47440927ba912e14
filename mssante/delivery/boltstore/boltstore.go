// Package boltstore is the durable [mssante.Store] of the SDK: the tracker's
// state and the outbox's queue in one file, with bbolt (go.etcd.io/bbolt),
// for a vendor's program on one machine.
//
// Every Store method is one bbolt read-write transaction, committed with
// fsync before it returns: a change reported done survives a crash or a
// power cut, and a crash at any point leaves the file as it was before or
// after the transaction, never in between (bbolt is copy-on-write and
// switches its meta page last). The file is locked: one process at a time
// opens it for writing; read-only opens (Options.ReadOnly, as "mss track"
// does) wait for the writer to close it.
//
// Why bbolt rather than an embedded SQL database: the Store needs keyed
// records and crash-safe transactions, not queries; bbolt is pure Go (no
// cgo), small, has one dependency (golang.org/x/sys), has been the storage
// of etcd for years, and its transactions are fsync'd by default. A pure-Go
// SQLite (modernc.org/sqlite) would bring a large translated C code base and
// many modules for features the SDK does not use.
//
// Layout: bucket "messages" maps a Message-ID to the JSON of its
// mssante.TrackedMessage; "outbox" maps a Message-ID to the JSON of its
// mssante.OutboxEntry; "bodies" holds the encoded messages apart, so that
// a state change does not rewrite the message; "meta" holds the schema
// version.
package boltstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mssante-go/sdk/mssante/delivery"
)

// SchemaVersion is written in the file; Open refuses a file of a newer
// version.
const SchemaVersion = 1

var (
	bucketMessages = []byte("messages")
	bucketOutbox   = []byte("outbox")
	bucketBodies   = []byte("bodies")
	bucketMeta     = []byte("meta")
	keyVersion     = []byte("version")
)

// ErrReadOnly is returned by the writing methods of a store opened
// read-only.
var ErrReadOnly = errors.New("boltstore: store opened read-only")

// Options tune Open. A nil pointer means defaults.
type Options struct {
	// Timeout bounds the wait for the file lock, held by another process
	// that has the store open. Zero means 1 second.
	Timeout time.Duration
	// ReadOnly opens the store for reading only (a shared lock), e.g. to
	// list tracked messages. The file must exist.
	ReadOnly bool
}

// Store is a durable mssante.Store in one bbolt file. It is safe for
// concurrent use.
type Store struct {
	db       *bolt.DB
	readOnly bool
}

var _ delivery.Store = (*Store)(nil)

// Open opens (or creates, mode 0600) the store file at path.
func Open(path string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.Timeout, ReadOnly: o.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	s := &Store{db: db, readOnly: o.ReadOnly}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) init() error {
	check := func(meta *bolt.Bucket) error {
		if meta == nil {
			return nil
		}
		if v := meta.Get(keyVersion); len(v) > 0 {
			var n int
			if _, err := fmt.Sscan(string(v), &n); err != nil || n > SchemaVersion {
				return fmt.Errorf("boltstore: file has schema version %q; this SDK reads up to %d", v, SchemaVersion)
			}
		}
		return nil
	}
	if s.readOnly {
		return s.db.View(func(tx *bolt.Tx) error { return check(tx.Bucket(bucketMeta)) })
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMessages, bucketOutbox, bucketBodies, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if err := check(meta); err != nil {
			return err
		}
		if meta.Get(keyVersion) == nil {
			return meta.Put(keyVersion, []byte(fmt.Sprint(SchemaVersion)))
		}
		return nil
	})
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Path returns the file's path.
func (s *Store) Path() string { return s.db.Path() }

func (s *Store) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if s.readOnly {
		return ErrReadOnly
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(fn)
}

func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMessages) == nil {
			return nil // a read-only open of a file never written
		}
		return fn(tx)
	})
}

// LoadMessage implements mssante.Store.
func (s *Store) LoadMessage(ctx context.Context, messageID string) (*delivery.TrackedMessage, error) {
	var m *delivery.TrackedMessage
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMessages).Get([]byte(messageID))
		if v == nil {
			return nil
		}
		m = new(delivery.TrackedMessage)
		return decode(v, m, messageID)
	})
	if err == nil && m == nil {
		err = delivery.ErrUnknownMessage
	}
	return m, err
}

// SaveMessage implements mssante.Store.
func (s *Store) SaveMessage(ctx context.Context, m *delivery.TrackedMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMessages).Put([]byte(m.MessageID), b)
	})
}

// ListMessages implements mssante.Store.
func (s *Store) ListMessages(ctx context.Context) ([]*delivery.TrackedMessage, error) {
	var out []*delivery.TrackedMessage
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMessages).ForEach(func(k, v []byte) error {
			m := new(delivery.TrackedMessage)
			if err := decode(v, m, string(k)); err != nil {
				return err
			}
			out = append(out, m)
			return nil
		})
	})
	return out, err
}

// AddOutbox implements mssante.Store.
func (s *Store) AddOutbox(ctx context.Context, e *delivery.OutboxEntry, body []byte) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketBodies).Put([]byte(e.MessageID), body); err != nil {
			return err
		}
		return tx.Bucket(bucketOutbox).Put([]byte(e.MessageID), b)
	})
}

// UpdateOutbox implements mssante.Store.
func (s *Store) UpdateOutbox(ctx context.Context, e *delivery.OutboxEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketOutbox)
		if bk.Get([]byte(e.MessageID)) == nil {
			return delivery.ErrUnknownMessage
		}
		return bk.Put([]byte(e.MessageID), b)
	})
}

// OutboxBody implements mssante.Store.
func (s *Store) OutboxBody(ctx context.Context, messageID string) ([]byte, error) {
	var body []byte
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketBodies).Get([]byte(messageID))
		if v == nil {
			return delivery.ErrUnknownMessage
		}
		body = append([]byte(nil), v...) // v is only valid in the transaction
		return nil
	})
	if err == nil && body == nil {
		err = delivery.ErrUnknownMessage
	}
	return body, err
}

// RemoveOutbox implements mssante.Store.
func (s *Store) RemoveOutbox(ctx context.Context, messageID string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketOutbox).Delete([]byte(messageID)); err != nil {
			return err
		}
		return tx.Bucket(bucketBodies).Delete([]byte(messageID))
	})
}

// ListOutbox implements mssante.Store.
func (s *Store) ListOutbox(ctx context.Context) ([]*delivery.OutboxEntry, error) {
	var out []*delivery.OutboxEntry
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
			e := new(delivery.OutboxEntry)
			if err := decode(v, e, string(k)); err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	})
	delivery.SortOutboxEntries(out)
	return out, err
}

func decode(v []byte, dst any, key string) error {
	if err := json.Unmarshal(v, dst); err != nil {
		return fmt.Errorf("boltstore: record %q: %w", key, err)
	}
	return nil
}
