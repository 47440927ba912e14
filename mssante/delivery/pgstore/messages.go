package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/internal/storekeys"
)

// queries holds the statements, with the schema's name in them.
type queries struct {
	schema                                               string
	insertMessage, selectMessage, selectVersion          string
	selectByEnvelope, updateMessage, purge               string
	insertBlock, selectBlock, selectFirstBlock           string
	deleteBlocks                                         string
	insertEntry, selectEntry, countEntries, addLock      string
	claim, renew, updateEntry, deleteEntry, exists       string
	summary, notify                                      string
	listOutbox, listOutboxAfter                          string
	dueDelivery, dueDeliveryAfter, dueRead, dueReadAfter string
}

func newQueries(schema string) queries {
	t := func(name string) string { return schema + "." + name }
	due := func(col string, after bool) string {
		q := "SELECT doc, " + col + ", message_id FROM " + t("messages") + " WHERE " + col + " <= $1"
		if after {
			q += " AND (" + col + ", message_id) > ($3, $4)"
		}
		return q + " ORDER BY " + col + ", message_id LIMIT $2"
	}
	return queries{
		schema: schema,
		// One statement: the message, then its recipient and state rows
		// if it was inserted.
		insertMessage: "WITH m AS (INSERT INTO " + t("messages") + " (message_id, envelope_id, created, settled, awaiting_delivery, awaiting_read, doc)" +
			" VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (message_id) DO NOTHING RETURNING message_id)," +
			" r AS (INSERT INTO " + t("message_recipients") + " (recipient, created, message_id) SELECT DISTINCT x, $3::timestamptz, $1 FROM m, unnest($8::text[]) x)," +
			" s AS (INSERT INTO " + t("message_states") + " (state, created, message_id) SELECT DISTINCT x, $3::timestamptz, $1 FROM m, unnest($9::text[]) x)" +
			" SELECT count(*) FROM m",
		selectMessage:    "SELECT doc FROM " + t("messages") + " WHERE message_id = $1",
		selectVersion:    "SELECT doc, version FROM " + t("messages") + " WHERE message_id = $1",
		selectByEnvelope: "SELECT doc FROM " + t("messages") + " WHERE envelope_id = $1 ORDER BY message_id LIMIT 1",
		// One statement: the message if its version did not change since
		// it was read, then the recipient and state rows that changed.
		updateMessage: "WITH u AS (UPDATE " + t("messages") + " SET envelope_id = $3, created = $4, settled = $5, awaiting_delivery = $6, awaiting_read = $7, doc = $8, version = version + 1" +
			" WHERE message_id = $1 AND version = $2 RETURNING message_id)," +
			" dr AS (DELETE FROM " + t("message_recipients") + " WHERE message_id = $1 AND recipient = ANY($9::text[]) AND EXISTS (SELECT 1 FROM u))," +
			" ir AS (INSERT INTO " + t("message_recipients") + " (recipient, created, message_id) SELECT x, $4::timestamptz, $1 FROM u, unnest($10::text[]) x)," +
			" ds AS (DELETE FROM " + t("message_states") + " WHERE message_id = $1 AND state = ANY($11::text[]) AND EXISTS (SELECT 1 FROM u))," +
			" iss AS (INSERT INTO " + t("message_states") + " (state, created, message_id) SELECT x, $4::timestamptz, $1 FROM u, unnest($12::text[]) x)" +
			" SELECT count(*) FROM u",
		purge: "DELETE FROM " + t("messages") + " WHERE message_id IN (SELECT message_id FROM " + t("messages") +
			" WHERE settled AND created < $1 ORDER BY created, message_id LIMIT $2)",
		dueDelivery:      due("awaiting_delivery", false),
		dueDeliveryAfter: due("awaiting_delivery", true),
		dueRead:          due("awaiting_read", false),
		dueReadAfter:     due("awaiting_read", true),

		insertBlock: "INSERT INTO " + t("outbox_blocks") + " (message_id, seq, data) VALUES ($1, $2, $3)",
		selectBlock: "SELECT data FROM " + t("outbox_blocks") + " WHERE message_id = $1 AND seq = $2",
		// The size of an entry and its first block, in one query.
		selectFirstBlock: "SELECT o.size, b.data FROM " + t("outbox") + " o LEFT JOIN " + t("outbox_blocks") + " b ON b.message_id = o.message_id AND b.seq = 0 WHERE o.message_id = $1",
		deleteBlocks:     "DELETE FROM " + t("outbox_blocks") + " WHERE message_id = $1",
		addLock:          "SELECT pg_advisory_xact_lock(hashtext($1))",
		countEntries:     "SELECT count(*) FROM " + t("outbox"),
		exists:           "SELECT EXISTS (SELECT 1 FROM " + t("outbox") + " WHERE message_id = $1)",
		insertEntry:      "INSERT INTO " + t("outbox") + " (message_id, created, next_attempt, due, lease_owner, lease_until, size, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (message_id) DO NOTHING",
		selectEntry:      "SELECT doc, lease_owner, lease_until, size FROM " + t("outbox") + " WHERE message_id = $1",
		claim: "UPDATE " + t("outbox") + " o SET lease_owner = $3, lease_until = $4, due = GREATEST(o.next_attempt, $4) FROM (SELECT message_id, due FROM " + t("outbox") +
			" WHERE due <= $1 ORDER BY due, created, message_id LIMIT $2 FOR UPDATE SKIP LOCKED) c WHERE o.message_id = c.message_id RETURNING o.doc, o.size, c.due, o.created",
		renew: "UPDATE " + t("outbox") + " SET lease_until = $3, due = GREATEST(next_attempt, $3) WHERE message_id = $1 AND lease_owner = $2",
		// One statement: the update, and the wake-up of a release ($8)
		// when it applied.
		updateEntry: "WITH u AS (UPDATE " + t("outbox") + " SET next_attempt = $3, due = $4, lease_owner = $5, lease_until = $6, doc = $7 WHERE message_id = $1 AND lease_owner = $2 RETURNING 1)" +
			", n AS (SELECT pg_notify($9, '') FROM u WHERE $8::boolean)" +
			" SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM n)",
		// One statement: the entry and its blocks.
		deleteEntry: "WITH d AS (DELETE FROM " + t("outbox") + " WHERE message_id = $1 AND lease_owner = $2 RETURNING message_id)," +
			" b AS (DELETE FROM " + t("outbox_blocks") + " WHERE message_id IN (SELECT message_id FROM d))" +
			" SELECT count(*) FROM d",
		summary:         "SELECT count(*), min(due) FROM " + t("outbox"),
		notify:          "SELECT pg_notify($1, '')",
		listOutbox:      "SELECT doc, lease_owner, lease_until, size, created FROM " + t("outbox") + " ORDER BY created, message_id LIMIT $1",
		listOutboxAfter: "SELECT doc, lease_owner, lease_until, size, created FROM " + t("outbox") + " WHERE (created, message_id) > ($2, $3) ORDER BY created, message_id LIMIT $1",
	}
}

// wrap prefixes the errors of PostgreSQL; the sentinels of delivery pass
// through unchanged.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	for _, s := range []error{delivery.ErrUnknownMessage, delivery.ErrLeaseLost, delivery.ErrDuplicateMessage, delivery.ErrOutboxFull, delivery.ErrPageToken} {
		if errors.Is(err, s) {
			return err
		}
	}
	if err == context.Canceled || err == context.DeadlineExceeded {
		return err
	}
	if strings.HasPrefix(err.Error(), "pgstore: ") {
		return err
	}
	return fmt.Errorf("pgstore: %w", err)
}

// nullTime is nil for a zero time, else the time as the store indexes it.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return delivery.IndexTime(t)
}

func statesOf(x delivery.MessageIndex) []string {
	out := make([]string, len(x.States))
	for i, s := range x.States {
		out[i] = string(s)
	}
	return out
}

// CreateMessage implements delivery.Store, in one statement.
func (s *Store) CreateMessage(ctx context.Context, m *delivery.TrackedMessage) (bool, error) {
	if m.MessageID == "" {
		return false, errors.New("pgstore: empty Message-ID")
	}
	doc, err := json.Marshal(m)
	if err != nil {
		return false, err
	}
	x := m.Index()
	var n int
	err = s.pool.QueryRow(ctx, s.q.insertMessage, m.MessageID, x.EnvelopeID, x.Created, x.Settled, nullTime(x.AwaitingDelivery), nullTime(x.AwaitingRead), doc,
		x.Recipients, statesOf(x)).Scan(&n)
	return n == 1, wrap(err)
}

// keyChanges returns the recipient and state rows to delete and to insert
// when a message's index goes from old to x.
func keyChanges(old, x delivery.MessageIndex) (goneR, addR, goneS, addS []string) {
	oldS, newS := statesOf(old), statesOf(x)
	if !old.Created.Equal(x.Created) {
		// The rows carry the creation time: all of them change.
		return old.Recipients, x.Recipients, oldS, newS
	}
	goneR, addR = storekeys.Diff(old.Recipients, x.Recipients)
	goneS, addS = storekeys.Diff(oldS, newS)
	return
}

func decodeMessage(doc []byte) (*delivery.TrackedMessage, error) {
	m := new(delivery.TrackedMessage)
	if err := json.Unmarshal(doc, m); err != nil {
		return nil, fmt.Errorf("pgstore: stored message: %w", err)
	}
	return m, nil
}

func (s *Store) one(ctx context.Context, query string, arg string) (*delivery.TrackedMessage, error) {
	var doc []byte
	err := s.pool.QueryRow(ctx, query, arg).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, delivery.ErrUnknownMessage
	}
	if err != nil {
		return nil, wrap(err)
	}
	return decodeMessage(doc)
}

// Message implements delivery.Store.
func (s *Store) Message(ctx context.Context, messageID string) (*delivery.TrackedMessage, error) {
	return s.one(ctx, s.q.selectMessage, messageID)
}

// MessageByEnvelopeID implements delivery.Store.
func (s *Store) MessageByEnvelopeID(ctx context.Context, envelopeID string) (*delivery.TrackedMessage, error) {
	return s.one(ctx, s.q.selectByEnvelope, envelopeID)
}

// UpdateMessage implements delivery.Store, optimistically: it reads the
// message and its version, runs fn, and writes in one statement if the
// version did not change meanwhile; else (another process updated it) it
// reads again and runs fn again. The row is locked only while that
// statement runs.
func (s *Store) UpdateMessage(ctx context.Context, messageID string, fn func(m *delivery.TrackedMessage) error) error {
	for {
		var doc []byte
		var version int64
		err := s.pool.QueryRow(ctx, s.q.selectVersion, messageID).Scan(&doc, &version)
		if errors.Is(err, pgx.ErrNoRows) {
			return delivery.ErrUnknownMessage
		}
		if err != nil {
			return wrap(err)
		}
		m, err := decodeMessage(doc)
		if err != nil {
			return err
		}
		old := m.Index()
		if err := fn(m); err != nil {
			if errors.Is(err, delivery.ErrNoChange) {
				return nil
			}
			return err
		}
		if m.MessageID != messageID {
			return errors.New("pgstore: UpdateMessage: the function changed the Message-ID")
		}
		if doc, err = json.Marshal(m); err != nil {
			return err
		}
		x := m.Index()
		goneR, addR, goneS, addS := keyChanges(old, x)
		var n int
		err = s.pool.QueryRow(ctx, s.q.updateMessage, messageID, version, x.EnvelopeID, x.Created, x.Settled,
			nullTime(x.AwaitingDelivery), nullTime(x.AwaitingRead), doc, goneR, addR, goneS, addS).Scan(&n)
		if err != nil && !retryable(err) {
			return wrap(err)
		}
		if n == 1 {
			return nil
		}
		// Another process changed the message since it was read.
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// Messages implements delivery.Store. The query starts from the index of
// the recipient, else of the state, else of the unsettled or all
// messages; the other conditions filter in the same statement.
func (s *Store) Messages(ctx context.Context, q delivery.MessageQuery) (delivery.MessagePage, error) {
	t := func(name string) string { return s.q.schema + "." + name }
	var b strings.Builder
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	var from, key string // the driving table, and its alias
	var where []string
	switch {
	case q.Recipient != "":
		from, key = t("message_recipients")+" k JOIN "+t("messages")+" m USING (message_id)", "k"
		where = append(where, "k.recipient = "+arg(delivery.MailboxKey(q.Recipient)))
		if q.State != "" {
			where = append(where, "EXISTS (SELECT 1 FROM "+t("message_states")+" st WHERE st.message_id = m.message_id AND st.state = "+arg(string(q.State))+")")
		}
	case q.State != "":
		from, key = t("message_states")+" k JOIN "+t("messages")+" m USING (message_id)", "k"
		where = append(where, "k.state = "+arg(string(q.State)))
	default:
		from, key = t("messages")+" m", "m"
	}
	if q.Unsettled {
		where = append(where, "NOT m.settled")
	}
	if !q.CreatedBefore.IsZero() {
		where = append(where, key+".created < "+arg(delivery.IndexTime(q.CreatedBefore)))
	}
	if q.After != "" {
		at, id, err := delivery.ParsePageToken(q.After)
		if err != nil {
			return delivery.MessagePage{}, err
		}
		where = append(where, "("+key+".created, "+key+".message_id) > ("+arg(at)+", "+arg(id)+")")
	}
	limit := delivery.PageLimit(q.Limit)
	fmt.Fprintf(&b, "SELECT m.doc, %s.created, %s.message_id FROM %s", key, key, from)
	if len(where) > 0 {
		b.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	fmt.Fprintf(&b, " ORDER BY %s.created, %s.message_id LIMIT %s", key, key, arg(limit))
	return s.page(ctx, limit, b.String(), args...)
}

// DueMessages implements delivery.Store.
func (s *Store) DueMessages(ctx context.Context, q delivery.DueQuery) (delivery.MessagePage, error) {
	limit := delivery.PageLimit(q.Limit)
	plain, after := s.q.dueRead, s.q.dueReadAfter
	if q.Awaiting == delivery.AwaitingDelivery {
		plain, after = s.q.dueDelivery, s.q.dueDeliveryAfter
	}
	before := delivery.IndexTime(q.Before)
	if q.After == "" {
		return s.page(ctx, limit, plain, before, limit)
	}
	at, id, err := delivery.ParsePageToken(q.After)
	if err != nil {
		return delivery.MessagePage{}, err
	}
	return s.page(ctx, limit, after, before, limit, at, id)
}

// page runs a query whose rows are a message, its index time and its
// Message-ID.
func (s *Store) page(ctx context.Context, limit int, query string, args ...any) (delivery.MessagePage, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return delivery.MessagePage{}, wrap(err)
	}
	var p delivery.MessagePage
	var doc []byte
	var at time.Time
	var id string
	_, err = pgx.ForEachRow(rows, []any{&doc, &at, &id}, func() error {
		m, err := decodeMessage(doc)
		if err != nil {
			return err
		}
		p.Messages = append(p.Messages, m)
		return nil
	})
	if err != nil {
		return delivery.MessagePage{}, wrap(err)
	}
	if len(p.Messages) == limit {
		p.Next = delivery.PageToken(at, id)
	}
	return p, nil
}

// PurgeMessages implements delivery.Store; the recipient and state rows go
// with their messages (ON DELETE CASCADE).
func (s *Store) PurgeMessages(ctx context.Context, createdBefore time.Time, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, s.q.purge, delivery.IndexTime(createdBefore), limit)
	if err != nil {
		return 0, wrap(err)
	}
	return int(tag.RowsAffected()), nil
}
