package pgstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mssante-go/sdk/internal/pgtest"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/pgstore"
	"github.com/mssante-go/sdk/mssante/delivery/storetest"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func open(t *testing.T, dsn string, opts *pgstore.Options) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(ctxFor(t), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// The PostgreSQL store keeps the Store contract; the concurrency cases run
// half their work through a second pool on the same database, as a second
// process would.
func TestStoreContract(t *testing.T) {
	dsns := map[delivery.Store]string{}
	storetest.TestStore(t, func(t *testing.T) delivery.Store {
		dsn := pgtest.DSN(t)
		s := open(t, dsn, nil)
		dsns[s] = dsn
		return s
	}, &storetest.Options{Shared: func(t *testing.T, s delivery.Store) delivery.Store {
		return open(t, dsns[s], nil)
	}})
}

// Two schemas in one database are two stores.
func TestSchemaOption(t *testing.T) {
	ctx := ctxFor(t)
	dsn := pgtest.DSN(t)
	a := open(t, dsn, &pgstore.Options{Schema: "app_one"})
	b := open(t, dsn, &pgstore.Options{Schema: "App Two"}) // quoted as an identifier
	if _, err := a.CreateMessage(ctx, &delivery.TrackedMessage{MessageID: "a@x", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Message(ctx, "a@x"); !errors.Is(err, delivery.ErrUnknownMessage) {
		t.Fatalf("schema App Two sees app_one's message: %v", err)
	}
	var n int
	if err := a.Pool().QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema IN ('app_one', 'App Two') AND table_name = 'messages'`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d messages tables (%v)", n, err)
	}
}

// The migrations, applied by hand (a vendor's tool), then Open with
// SkipMigration; Open without them fails with advice; a newer version is
// refused; Open applying them twice at once is safe.
func TestMigrations(t *testing.T) {
	ctx := ctxFor(t)
	dsn := pgtest.DSN(t)
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pgstore.New(ctx, pool, &pgstore.Options{Schema: "vendor", SkipMigration: true}); err == nil || !strings.Contains(err.Error(), "apply Migrations") {
		t.Fatalf("open without the schema: %v", err)
	}
	ms := pgstore.Migrations("vendor")
	if len(ms) != pgstore.SchemaVersion || ms[0].Version != 1 || !strings.Contains(ms[0].SQL, `"vendor".messages`) {
		t.Fatalf("migrations %+v", ms)
	}
	for _, stmt := range []string{`CREATE SCHEMA vendor`, `CREATE TABLE vendor.schema_version (version integer NOT NULL)`, `INSERT INTO vendor.schema_version VALUES (0)`} {
		if _, err := pool.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range ms {
		if _, err := pool.Exec(ctx, m.SQL); err != nil {
			t.Fatalf("migration %d: %v", m.Version, err)
		}
		if _, err := pool.Exec(ctx, `UPDATE vendor.schema_version SET version = $1`, m.Version); err != nil {
			t.Fatal(err)
		}
	}
	s, err := pgstore.New(ctx, pool, &pgstore.Options{Schema: "vendor", SkipMigration: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateMessage(ctx, &delivery.TrackedMessage{MessageID: "a@x", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// Concurrent opens that migrate a fresh schema.
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := pgstore.Open(ctx, dsn, &pgstore.Options{Schema: "concurrent"})
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent migration: %v", err)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE vendor.schema_version SET version = 99`); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.New(ctx, pool, &pgstore.Options{Schema: "vendor"}); err == nil || !strings.Contains(err.Error(), "99") {
		t.Fatalf("newer schema: %v", err)
	}
}

// With Notify, an add or a release in one process wakes the outbox of
// another; without, WakeOutbox returns nil.
func TestNotify(t *testing.T) {
	ctx := ctxFor(t)
	dsn := pgtest.DSN(t)
	if ch := open(t, dsn, nil).WakeOutbox(ctx); ch != nil {
		t.Fatal("WakeOutbox without Notify")
	}
	a := open(t, dsn, &pgstore.Options{Notify: true})
	b := open(t, dsn, &pgstore.Options{Notify: true})
	lctx, cancel := context.WithCancel(ctx)
	ch := b.WakeOutbox(lctx)
	// The listener's first signal comes when it starts listening... or
	// not at all: drain what comes within a moment, then add.
	time.Sleep(300 * time.Millisecond)
	drain(ch)
	now := time.Now()
	e := &delivery.OutboxEntry{MessageID: "n@x", Created: now, NextAttempt: now}
	if err := a.AddOutbox(ctx, e, strings.NewReader("b"), delivery.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no wake-up after an add in another process")
	}
	c, err := b.ClaimOutbox(ctx, delivery.OutboxClaim{Owner: "B", Now: now, Until: now.Add(time.Minute), Max: 1})
	if err != nil || len(c) != 1 {
		t.Fatalf("claim %v %v", c, err)
	}
	drain(ch)
	c[0].LeaseOwner, c[0].LeaseUntil = "", time.Time{}
	if err := b.UpdateOutbox(ctx, "B", c[0]); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no wake-up after a release")
	}
	cancel()
	for range ch {
	}
}

func drain(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// A restart of the server fails the calls made while it is down; the
// store works again after it, without being reopened, and lost nothing
// committed.
func TestServerRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a PostgreSQL server")
	}
	ctx := ctxFor(t)
	c := pgtest.Start(t, nil)
	s := open(t, c.DSN(t), &pgstore.Options{Notify: true})
	wake := s.WakeOutbox(ctx)
	now := time.Now()
	if _, err := s.CreateMessage(ctx, &delivery.TrackedMessage{MessageID: "before@x", Created: now}); err != nil {
		t.Fatal(err)
	}
	if err := c.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	// Pool connections from before the restart fail once; the pool
	// replaces them.
	var err error
	for try := 0; try < 10; try++ {
		if _, err = s.Message(ctx, "before@x"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("after the restart: %v", err)
	}
	// The listener reconnected: a new add wakes it.
	time.Sleep(time.Second)
	drain(wake)
	if err := s.AddOutbox(ctx, &delivery.OutboxEntry{MessageID: "after@x", Created: now, NextAttempt: now}, strings.NewReader("b"), delivery.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wake:
	case <-time.After(20 * time.Second):
		t.Fatal("the listener did not come back after the restart")
	}
}

// The tracker's work on the PostgreSQL store does not grow with the
// messages (1,000,000 with MSSANTE_LONG=1).
func TestScale(t *testing.T) {
	n := 20_000
	if long() {
		n = 1_000_000
	}
	s := open(t, pgtest.DSN(t), nil)
	f := storetest.TestScale(t, s, &storetest.ScaleOptions{Messages: n, Load: func(ctx context.Context, batch []*delivery.TrackedMessage) error {
		return s.Import(ctx, batch)
	}})
	t.Log("PostgreSQL: ", f)
}

// Issue 23 on PostgreSQL: a 50 MB message goes into the outbox and comes
// back out a block at a time.
func TestOutboxLargeMessageMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 50 MB message")
	}
	srv, err := mssantetest.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.MustAddMailbox(drA, mssantetest.MailboxPER, nil)
	srv.MustAddMailbox(drB, mssantetest.MailboxPER, nil)
	c, err := mssante.NewClient(srv.MustConfig(drA))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st := open(t, pgtest.DSN(t), nil)
	_, send, read := storetest.MeasureLargeMessage(t, c, st, drB)
	if send > 16<<20 || read > 16<<20 { // a third of the message: garbage counts, and pgx allocates per large row
		t.Errorf("not bounded by a buffer")
	}
}
