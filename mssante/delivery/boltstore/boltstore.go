// Package boltstore is the durable [delivery.Store] for one process on one
// machine: the tracker's state and the outbox's queue in one file, with
// bbolt (go.etcd.io/bbolt).
//
// Every change is a bbolt read-write transaction, committed with fsync
// before the method returns: a change reported done survives a crash or a
// power cut, and a crash at any point leaves the file as it was before or
// after the transaction, never in between (bbolt is copy-on-write and
// switches its meta page last).
//
// One writer: the file is locked, so one process at a time opens it for
// writing, and read-only opens (Options.ReadOnly, as "mss track" does) wait
// for the writer to close it. Several processes, or a "mss track" beside a
// running program, need a shared store: package pgstore (PostgreSQL). Within
// the process, a Store is safe for concurrent use: bbolt runs one
// read-write transaction at a time, so the atomic updates and the outbox
// claims of the delivery.Store contract hold without retries.
//
// Why bbolt rather than an embedded SQL database: the Store needs keyed
// records, ordered indexes and crash-safe transactions, not queries; bbolt
// is pure Go (no cgo), small, has one dependency (golang.org/x/sys), has
// been the storage of etcd for years, and its transactions are fsync'd by
// default. A pure-Go SQLite (modernc.org/sqlite) would bring a large
// translated C code base and many modules for features the SDK does not
// use.
//
// Layout (schema version 2): bucket "messages" maps a Message-ID to the JSON
// of its delivery.TrackedMessage; "outbox" maps a Message-ID to the JSON of
// its delivery.OutboxEntry; "chunks" holds the encoded messages in blocks of
// 256 KiB, apart from the entries, so that a state change does not rewrite
// the message; "index" holds the ordered keys of every query (the same
// layout as delivery's memory store: ENVID, creation, settled or not,
// awaited report, recipient, state; outbox by creation and due time), with
// empty values; "adding" marks the bodies being written; "meta" holds the
// schema version and the number of outbox entries. A file of version 1 is
// upgraded when opened for writing.
package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/internal/storekeys"
	"github.com/mssante-go/sdk/mssante/mail"
)

// SchemaVersion is written in the file; Open refuses a file of a newer
// version, and upgrades an older one when it opens it for writing.
const SchemaVersion = 2

var (
	bucketMessages = []byte("messages")
	bucketOutbox   = []byte("outbox")
	bucketChunks   = []byte("chunks")
	bucketIndex    = []byte("index")
	bucketAdding   = []byte("adding")
	bucketMeta     = []byte("meta")
	bucketBodiesV1 = []byte("bodies")
	keyVersion     = []byte("version")
	keyOutboxCount = []byte("outbox_count")
)

// Sizes of the stored bodies: blocks of chunkSize, written chunksPerTx per
// transaction when a body does not fit in one, so that memory stays
// bounded by chunksPerTx blocks whatever the body's size.
const (
	chunkSize   = 256 << 10
	chunksPerTx = 4
)

// ErrReadOnly is returned by the writing methods of a store opened
// read-only.
var ErrReadOnly = errors.New("boltstore: store opened read-only")

// errRollback ends a read-write transaction without writing.
var errRollback = errors.New("boltstore: rollback")

// Options tune Open. A nil pointer means defaults.
type Options struct {
	// Timeout bounds the wait for the file lock, held by another process
	// that has the store open. Zero means 1 second.
	Timeout time.Duration
	// ReadOnly opens the store for reading only (a shared lock), e.g. to
	// list tracked messages. The file must exist.
	ReadOnly bool
}

// Store is a durable delivery.Store in one bbolt file. It is safe for
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
	version := func(meta *bolt.Bucket) (int, error) {
		if meta == nil {
			return 0, nil
		}
		v := meta.Get(keyVersion)
		if len(v) == 0 {
			return 0, nil
		}
		var n int
		if _, err := fmt.Sscan(string(v), &n); err != nil || n > SchemaVersion {
			return 0, fmt.Errorf("boltstore: file has schema version %q; this SDK reads up to %d", v, SchemaVersion)
		}
		return n, nil
	}
	if s.readOnly {
		return s.db.View(func(tx *bolt.Tx) error {
			n, err := version(tx.Bucket(bucketMeta))
			if err == nil && n != 0 && n < SchemaVersion {
				err = fmt.Errorf("boltstore: file has schema version %d; open it once for writing to upgrade it to %d", n, SchemaVersion)
			}
			return err
		})
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		n, err := version(meta)
		if err != nil {
			return err
		}
		for _, b := range [][]byte{bucketMessages, bucketOutbox, bucketChunks, bucketIndex, bucketAdding} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if n == 1 {
			if err := upgradeV1(tx); err != nil {
				return fmt.Errorf("boltstore: upgrading the file from schema version 1: %w", err)
			}
		}
		if err := dropUnfinishedAdds(tx); err != nil {
			return err
		}
		if err := releaseLeases(tx); err != nil {
			return err
		}
		return meta.Put(keyVersion, []byte(fmt.Sprint(SchemaVersion)))
	})
}

// upgradeV1 indexes the messages and entries of a version 1 file and
// moves its bodies into chunks.
func upgradeV1(tx *bolt.Tx) error {
	if err := tx.Bucket(bucketMessages).ForEach(func(k, v []byte) error {
		m := new(delivery.TrackedMessage)
		if err := decode(v, m, string(k)); err != nil {
			return err
		}
		return putKeys(tx, nil, messageKeys(m))
	}); err != nil {
		return err
	}
	n := 0
	if err := tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
		e := new(delivery.OutboxEntry)
		if err := decode(v, e, string(k)); err != nil {
			return err
		}
		n++
		return putKeys(tx, nil, outboxKeys(e))
	}); err != nil {
		return err
	}
	if old := tx.Bucket(bucketBodiesV1); old != nil {
		if err := old.ForEach(func(k, v []byte) error {
			if err := putChunks(tx, string(k), 0, v); err != nil {
				return err
			}
			raw := tx.Bucket(bucketOutbox).Get(k)
			if raw == nil {
				return nil
			}
			e := new(delivery.OutboxEntry)
			if err := decode(raw, e, string(k)); err != nil {
				return err
			}
			e.Size = int64(len(v))
			return putJSON(tx.Bucket(bucketOutbox), e.MessageID, e)
		}); err != nil {
			return err
		}
		if err := tx.DeleteBucket(bucketBodiesV1); err != nil {
			return err
		}
	}
	return setCount(tx, n)
}

// dropUnfinishedAdds deletes the chunks of bodies whose AddOutbox did not
// finish (the process died while writing them).
func dropUnfinishedAdds(tx *bolt.Tx) error {
	var ids []string
	tx.Bucket(bucketAdding).ForEach(func(k, _ []byte) error {
		ids = append(ids, string(k))
		return nil
	})
	for _, id := range ids {
		if err := deleteChunks(tx, id); err != nil {
			return err
		}
		if err := tx.Bucket(bucketAdding).Delete([]byte(id)); err != nil {
			return err
		}
	}
	return nil
}

// releaseLeases frees the leases found at Open: the file lock proves that
// the process that took them is gone, so its entries are due at once
// rather than when the leases expire.
func releaseLeases(tx *bolt.Tx) error {
	var leased []*delivery.OutboxEntry
	err := tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
		e := new(delivery.OutboxEntry)
		if err := decode(v, e, string(k)); err != nil {
			return err
		}
		if e.LeaseOwner != "" {
			leased = append(leased, e)
		}
		return nil
	})
	for _, e := range leased {
		old := outboxKeys(e)
		e.LeaseOwner, e.LeaseUntil = "", time.Time{}
		if err == nil {
			err = putEntry(tx, old, e)
		}
	}
	return err
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
	err := s.db.Update(fn)
	if err == errRollback {
		return nil
	}
	return err
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

// messageKeys returns the index keys of a message.
func messageKeys(m *delivery.TrackedMessage) []string {
	x := m.Index()
	f := storekeys.MessageFields{EnvelopeID: x.EnvelopeID, Created: x.Created, Settled: x.Settled,
		AwaitingDelivery: x.AwaitingDelivery, AwaitingRead: x.AwaitingRead, Recipients: x.Recipients}
	for _, st := range x.States {
		f.States = append(f.States, string(st))
	}
	return storekeys.Message(m.MessageID, f)
}

func outboxKeys(e *delivery.OutboxEntry) []string {
	return storekeys.Outbox(e.MessageID, delivery.IndexTime(e.Created), delivery.IndexTime(e.Due()))
}

// putKeys replaces the index keys old by new.
func putKeys(tx *bolt.Tx, old, new []string) error {
	ix := tx.Bucket(bucketIndex)
	gone, added := storekeys.Diff(old, new)
	for _, k := range gone {
		if err := ix.Delete([]byte(k)); err != nil {
			return err
		}
	}
	for _, k := range added {
		if err := ix.Put([]byte(k), nil); err != nil {
			return err
		}
	}
	return nil
}

// ascend calls fn with the index keys of r, in order, until fn returns
// false. fn must not change the index.
func ascend(tx *bolt.Tx, r storekeys.Range, fn func(key string) bool) {
	c := tx.Bucket(bucketIndex).Cursor()
	for k, _ := c.Seek([]byte(r.Start)); k != nil; k, _ = c.Next() {
		key := string(k)
		if !r.Contains(key) || !fn(key) {
			return
		}
	}
}

func putJSON(b *bolt.Bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), raw)
}

func decode(v []byte, dst any, key string) error {
	if err := json.Unmarshal(v, dst); err != nil {
		return fmt.Errorf("boltstore: record %q: %w", key, err)
	}
	return nil
}

func getMessage(tx *bolt.Tx, id string) (*delivery.TrackedMessage, error) {
	v := tx.Bucket(bucketMessages).Get([]byte(id))
	if v == nil {
		return nil, delivery.ErrUnknownMessage
	}
	m := new(delivery.TrackedMessage)
	return m, decode(v, m, id)
}

// CreateMessage implements delivery.Store.
func (s *Store) CreateMessage(ctx context.Context, m *delivery.TrackedMessage) (bool, error) {
	if m.MessageID == "" {
		return false, errors.New("boltstore: empty Message-ID")
	}
	created := false
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMessages)
		if b.Get([]byte(m.MessageID)) != nil {
			return errRollback
		}
		created = true
		if err := putJSON(b, m.MessageID, m); err != nil {
			return err
		}
		return putKeys(tx, nil, messageKeys(m))
	})
	return created && err == nil, err
}

// Message implements delivery.Store.
func (s *Store) Message(ctx context.Context, messageID string) (*delivery.TrackedMessage, error) {
	var m *delivery.TrackedMessage
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		m, err = getMessage(tx, messageID)
		return err
	})
	if err == nil && m == nil {
		err = delivery.ErrUnknownMessage
	}
	return m, err
}

// MessageByEnvelopeID implements delivery.Store.
func (s *Store) MessageByEnvelopeID(ctx context.Context, envelopeID string) (*delivery.TrackedMessage, error) {
	var m *delivery.TrackedMessage
	err := s.view(ctx, func(tx *bolt.Tx) error {
		r := storekeys.Envelope(envelopeID)
		var id string
		ascend(tx, r, func(key string) bool {
			_, id = r.Split(key)
			return false
		})
		if id == "" {
			return nil
		}
		var err error
		m, err = getMessage(tx, id)
		return err
	})
	if err == nil && m == nil {
		err = delivery.ErrUnknownMessage
	}
	return m, err
}

// UpdateMessage implements delivery.Store. bbolt runs one read-write
// transaction at a time: fn runs once.
func (s *Store) UpdateMessage(ctx context.Context, messageID string, fn func(m *delivery.TrackedMessage) error) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getMessage(tx, messageID)
		if err != nil {
			return err
		}
		oldKeys := messageKeys(old)
		if err := fn(old); err != nil {
			if errors.Is(err, delivery.ErrNoChange) {
				return errRollback
			}
			return err
		}
		m := old
		if m.MessageID != messageID {
			return errors.New("boltstore: UpdateMessage: the function changed the Message-ID")
		}
		if err := putJSON(tx.Bucket(bucketMessages), messageID, m); err != nil {
			return err
		}
		return putKeys(tx, oldKeys, messageKeys(m))
	})
}

// Messages implements delivery.Store.
func (s *Store) Messages(ctx context.Context, q delivery.MessageQuery) (delivery.MessagePage, error) {
	r, err := storekeys.Messages(delivery.MailboxKey(q.Recipient), string(q.State), q.Unsettled, q.CreatedBefore, q.After)
	if err != nil {
		return delivery.MessagePage{}, err
	}
	return s.page(ctx, r, delivery.PageLimit(q.Limit), q.Match)
}

// DueMessages implements delivery.Store.
func (s *Store) DueMessages(ctx context.Context, q delivery.DueQuery) (delivery.MessagePage, error) {
	r, err := storekeys.Due(q.Awaiting == delivery.AwaitingDelivery, q.Before, q.After)
	if err != nil {
		return delivery.MessagePage{}, err
	}
	return s.page(ctx, r, delivery.PageLimit(q.Limit), nil)
}

func (s *Store) page(ctx context.Context, r storekeys.Range, limit int, match func(*delivery.TrackedMessage) bool) (delivery.MessagePage, error) {
	var p delivery.MessagePage
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		ascend(tx, r, func(key string) bool {
			t, id := r.Split(key)
			var m *delivery.TrackedMessage
			if m, err = getMessage(tx, id); err != nil {
				return false
			}
			if match != nil && !match(m) {
				return true
			}
			p.Messages = append(p.Messages, m)
			if len(p.Messages) == limit {
				p.Next = delivery.PageToken(t, id)
				return false
			}
			return true
		})
		return err
	})
	return p, err
}

// PurgeMessages implements delivery.Store.
func (s *Store) PurgeMessages(ctx context.Context, createdBefore time.Time, limit int) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		r := storekeys.Settled(delivery.IndexTime(createdBefore))
		var ids []string
		ascend(tx, r, func(key string) bool {
			_, id := r.Split(key)
			ids = append(ids, id)
			return len(ids) < limit
		})
		for _, id := range ids {
			m, err := getMessage(tx, id)
			if err != nil {
				return err
			}
			if err := putKeys(tx, messageKeys(m), nil); err != nil {
				return err
			}
			if err := tx.Bucket(bucketMessages).Delete([]byte(id)); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

func count(tx *bolt.Tx) int {
	v := tx.Bucket(bucketMeta).Get(keyOutboxCount)
	if len(v) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(v))
}

func setCount(tx *bolt.Tx, n int) error {
	return tx.Bucket(bucketMeta).Put(keyOutboxCount, binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// chunkKey is the key of block seq of a body: the Message-ID, prefixed by
// its length, then seq.
func chunkKey(id string, seq uint32) []byte {
	return binary.BigEndian.AppendUint32(chunkPrefix(id), seq)
}

func chunkPrefix(id string) []byte {
	b := binary.AppendUvarint(nil, uint64(len(id)))
	return append(b, id...)
}

// putChunks stores data as the blocks of a body from block seq on.
func putChunks(tx *bolt.Tx, id string, seq uint32, data []byte) error {
	b := tx.Bucket(bucketChunks)
	for len(data) > 0 {
		n := min(len(data), chunkSize)
		if err := b.Put(chunkKey(id, seq), data[:n]); err != nil {
			return err
		}
		data, seq = data[n:], seq+1
	}
	return nil
}

func deleteChunks(tx *bolt.Tx, id string) error {
	p := chunkPrefix(id)
	var keys [][]byte
	c := tx.Bucket(bucketChunks).Cursor()
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		if len(k) == len(p)+4 {
			keys = append(keys, bytes.Clone(k))
		}
	}
	for _, k := range keys {
		if err := tx.Bucket(bucketChunks).Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// admit checks that the entry may be added: not there, not being added,
// room left counting the adds under way.
func admit(tx *bolt.Tx, id string, max int) error {
	if tx.Bucket(bucketOutbox).Get([]byte(id)) != nil || tx.Bucket(bucketAdding).Get([]byte(id)) != nil {
		return delivery.ErrDuplicateMessage
	}
	if max > 0 && count(tx)+tx.Bucket(bucketAdding).Stats().KeyN >= max {
		return delivery.ErrOutboxFull
	}
	return nil
}

// AddOutbox implements delivery.Store. A body of up to 1 MiB is stored
// with its entry in one transaction; a longer one is written 1 MiB per
// transaction, marked as being added (a crash leaves blocks that the next
// Open deletes), and the entry is written last.
func (s *Store) AddOutbox(ctx context.Context, e *delivery.OutboxEntry, body io.Reader, opts delivery.AddOptions) error {
	if e.MessageID == "" {
		return errors.New("boltstore: empty Message-ID")
	}
	if s.readOnly {
		return ErrReadOnly
	}
	id := e.MessageID
	// A first look, before the body is read; the checks that count are
	// made again in the transaction that inserts.
	if err := s.view(ctx, func(tx *bolt.Tx) error { return admit(tx, id, opts.MaxEntries) }); err != nil {
		return err
	}
	buf := make([]byte, chunkSize*chunksPerTx)
	n, err := io.ReadFull(body, buf)
	total := int64(n)
	if opts.MaxBytes > 0 && total > opts.MaxBytes {
		return &mail.LimitError{Limit: "message size", Max: opts.MaxBytes}
	}
	switch err {
	case io.EOF, io.ErrUnexpectedEOF:
		// The whole body is in buf: one transaction.
		return s.update(ctx, func(tx *bolt.Tx) error {
			if err := admit(tx, id, opts.MaxEntries); err != nil {
				return err
			}
			if err := putChunks(tx, id, 0, buf[:n]); err != nil {
				return err
			}
			return finishAdd(tx, e, total)
		})
	case nil:
	default:
		return err
	}
	if err := s.update(ctx, func(tx *bolt.Tx) error {
		if err := admit(tx, id, opts.MaxEntries); err != nil {
			return err
		}
		return tx.Bucket(bucketAdding).Put([]byte(id), nil)
	}); err != nil {
		return err
	}
	err = s.addChunks(ctx, id, body, buf, n, &total, opts.MaxBytes)
	if err == nil {
		err = s.update(ctx, func(tx *bolt.Tx) error {
			if err := tx.Bucket(bucketAdding).Delete([]byte(id)); err != nil {
				return err
			}
			return finishAdd(tx, e, total)
		})
	}
	if err != nil {
		s.db.Update(func(tx *bolt.Tx) error {
			deleteChunks(tx, id)
			return tx.Bucket(bucketAdding).Delete([]byte(id))
		})
	}
	return err
}

// addChunks writes the body, buf[:n] first, a transaction per buffer.
func (s *Store) addChunks(ctx context.Context, id string, body io.Reader, buf []byte, n int, total *int64, max int64) error {
	var seq uint32
	for {
		data := buf[:n]
		if err := s.update(ctx, func(tx *bolt.Tx) error { return putChunks(tx, id, seq, data) }); err != nil {
			return err
		}
		seq += uint32((n + chunkSize - 1) / chunkSize)
		var err error
		n, err = io.ReadFull(body, buf)
		*total += int64(n)
		if max > 0 && *total > max {
			return &mail.LimitError{Limit: "message size", Max: max}
		}
		switch err {
		case nil:
		case io.EOF:
			return nil
		case io.ErrUnexpectedEOF:
			data := buf[:n]
			return s.update(ctx, func(tx *bolt.Tx) error { return putChunks(tx, id, seq, data) })
		default:
			return err
		}
	}
}

// finishAdd writes the entry of a stored body.
func finishAdd(tx *bolt.Tx, e *delivery.OutboxEntry, size int64) error {
	c := *e
	c.Size = size
	if err := putJSON(tx.Bucket(bucketOutbox), c.MessageID, &c); err != nil {
		return err
	}
	if err := putKeys(tx, nil, outboxKeys(&c)); err != nil {
		return err
	}
	e.Size = size
	return setCount(tx, count(tx)+1)
}

func getEntry(tx *bolt.Tx, id string) (*delivery.OutboxEntry, error) {
	v := tx.Bucket(bucketOutbox).Get([]byte(id))
	if v == nil {
		return nil, delivery.ErrUnknownMessage
	}
	e := new(delivery.OutboxEntry)
	return e, decode(v, e, id)
}

// OutboxEntry implements delivery.Store.
func (s *Store) OutboxEntry(ctx context.Context, messageID string) (*delivery.OutboxEntry, error) {
	var e *delivery.OutboxEntry
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		e, err = getEntry(tx, messageID)
		return err
	})
	if err == nil && e == nil {
		err = delivery.ErrUnknownMessage
	}
	return e, err
}

// OutboxBody implements delivery.Store: the reader reads a block per
// transaction.
func (s *Store) OutboxBody(ctx context.Context, messageID string) (io.ReadCloser, error) {
	if _, err := s.OutboxEntry(ctx, messageID); err != nil {
		return nil, err
	}
	return &bodyReader{s: s, ctx: ctx, id: messageID}, nil
}

type bodyReader struct {
	s   *Store
	ctx context.Context
	id  string
	seq uint32
	buf []byte // the current block; reused for the next
	off int    // read up to there
	eof bool
}

func (r *bodyReader) Read(p []byte) (int, error) {
	if r.off == len(r.buf) && !r.eof {
		err := r.s.view(r.ctx, func(tx *bolt.Tx) error {
			v := tx.Bucket(bucketChunks).Get(chunkKey(r.id, r.seq))
			if v == nil {
				if tx.Bucket(bucketOutbox).Get([]byte(r.id)) == nil {
					return delivery.ErrUnknownMessage
				}
				r.eof = true
				return nil
			}
			r.buf, r.off = append(r.buf[:0], v...), 0 // v is only valid in the transaction
			return nil
		})
		if err != nil {
			return 0, err
		}
		r.seq++
	}
	if r.off == len(r.buf) {
		return 0, io.EOF
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

func (r *bodyReader) Close() error { return nil }

// ClaimOutbox implements delivery.Store.
func (s *Store) ClaimOutbox(ctx context.Context, c delivery.OutboxClaim) ([]*delivery.OutboxEntry, error) {
	var out []*delivery.OutboxEntry
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out = nil
		var ids []string
		if c.Max > 0 {
			ascend(tx, storekeys.OutboxDue(delivery.IndexTime(c.Now)), func(key string) bool {
				ids = append(ids, storekeys.DueID(key))
				return len(ids) < c.Max
			})
		}
		if len(ids) == 0 {
			return errRollback
		}
		for _, id := range ids {
			e, err := getEntry(tx, id)
			if err != nil {
				return err
			}
			old := outboxKeys(e)
			e.LeaseOwner, e.LeaseUntil = c.Owner, c.Until
			if err := putEntry(tx, old, e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

func putEntry(tx *bolt.Tx, oldKeys []string, e *delivery.OutboxEntry) error {
	if err := putJSON(tx.Bucket(bucketOutbox), e.MessageID, e); err != nil {
		return err
	}
	return putKeys(tx, oldKeys, outboxKeys(e))
}

func held(tx *bolt.Tx, owner, id string) (*delivery.OutboxEntry, error) {
	e, err := getEntry(tx, id)
	if err != nil {
		return nil, err
	}
	if e.LeaseOwner != owner {
		return nil, delivery.ErrLeaseLost
	}
	return e, nil
}

// RenewOutbox implements delivery.Store.
func (s *Store) RenewOutbox(ctx context.Context, owner, messageID string, until time.Time) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		e, err := held(tx, owner, messageID)
		if err != nil {
			return err
		}
		old := outboxKeys(e)
		e.LeaseUntil = until
		return putEntry(tx, old, e)
	})
}

// UpdateOutbox implements delivery.Store.
func (s *Store) UpdateOutbox(ctx context.Context, owner string, e *delivery.OutboxEntry) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		old, err := held(tx, owner, e.MessageID)
		if err != nil {
			return err
		}
		c := *e
		c.Size = old.Size
		return putEntry(tx, outboxKeys(old), &c)
	})
}

// RemoveOutbox implements delivery.Store.
func (s *Store) RemoveOutbox(ctx context.Context, owner, messageID string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		e, err := held(tx, owner, messageID)
		if errors.Is(err, delivery.ErrUnknownMessage) {
			return errRollback
		}
		if err != nil {
			return err
		}
		if err := putKeys(tx, outboxKeys(e), nil); err != nil {
			return err
		}
		if err := tx.Bucket(bucketOutbox).Delete([]byte(messageID)); err != nil {
			return err
		}
		if err := deleteChunks(tx, messageID); err != nil {
			return err
		}
		return setCount(tx, max(count(tx)-1, 0))
	})
}

// ListOutbox implements delivery.Store.
func (s *Store) ListOutbox(ctx context.Context, q delivery.OutboxQuery) (delivery.OutboxPage, error) {
	r, err := storekeys.OutboxCreated(q.After)
	if err != nil {
		return delivery.OutboxPage{}, err
	}
	limit := delivery.PageLimit(q.Limit)
	var p delivery.OutboxPage
	err = s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		ascend(tx, r, func(key string) bool {
			t, id := r.Split(key)
			var e *delivery.OutboxEntry
			if e, err = getEntry(tx, id); err != nil {
				return false
			}
			p.Entries = append(p.Entries, e)
			if len(p.Entries) == limit {
				p.Next = delivery.PageToken(t, id)
				return false
			}
			return true
		})
		return err
	})
	return p, err
}

// OutboxSummary implements delivery.Store.
func (s *Store) OutboxSummary(ctx context.Context) (delivery.OutboxSummary, error) {
	var sum delivery.OutboxSummary
	err := s.view(ctx, func(tx *bolt.Tx) error {
		sum.Entries = count(tx)
		ascend(tx, storekeys.OutboxDueAll(), func(key string) bool {
			sum.NextDue = storekeys.DueTime(key)
			return false
		})
		return nil
	})
	return sum, err
}

// importBatch is how many messages Import writes per transaction: bbolt
// splits its pages at the commit only, so that a larger transaction moves
// ever larger pages at each insertion.
const importBatch = 1000

// Import stores tracked messages in bulk, a thousand per transaction: to
// move a tracker's messages from another store, or to load a test. The
// store must hold none of them: a Message-ID it holds fails the import
// (the batches before it stay).
func (s *Store) Import(ctx context.Context, msgs []*delivery.TrackedMessage) error {
	for len(msgs) > 0 {
		batch := msgs[:min(len(msgs), importBatch)]
		msgs = msgs[len(batch):]
		err := s.update(ctx, func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketMessages)
			for _, m := range batch {
				if m.MessageID == "" {
					return errors.New("boltstore: empty Message-ID")
				}
				if b.Get([]byte(m.MessageID)) != nil {
					return fmt.Errorf("boltstore: Import: message %q is already stored", m.MessageID)
				}
				if err := putJSON(b, m.MessageID, m); err != nil {
					return err
				}
				if err := putKeys(tx, nil, messageKeys(m)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
