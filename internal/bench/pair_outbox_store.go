package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/pgstore"
)

// outboxWorkers is how many workers drain the outbox in pairs 7 and 8.
const outboxWorkers = 4

// skipped is the row of a pair that needs PostgreSQL when there is none.
func skipped(pair, work string) row {
	return row{pair: pair, work: work + ": skipped, no PostgreSQL (--pg-dsn or MSSANTE_PG_DSN)", sdk: "-", base: "-", ratio: "-", budget: "-", ok: true, skipped: true}
}

// benchOutboxStore drains c.Messages queued messages of c.MailKB KB from a
// PostgreSQL outbox with 4 workers doing what the Outbox does with its
// store for each message, without SMTP: claim with a lease, read the body,
// record in flight, record accepted, remove. The baseline is 4 workers of
// a bare pgx queue: SELECT ... FOR UPDATE SKIP LOCKED of one row, read its
// payload, DELETE it, in one transaction; same payloads.
func benchOutboxStore(ctx context.Context, c *Config) ([]row, error) {
	work := fmt.Sprintf("drain %d queued messages of %d KB, 4 workers, PostgreSQL outbox store vs bare SKIP LOCKED queue", c.Messages, c.MailKB)
	if c.PostgresDSN == "" {
		return []row{skipped("7", work)}, nil
	}
	cfg, err := pgxpool.ParseConfig(c.PostgresDSN)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = outboxWorkers + 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	const schema = "mss_bench_7"
	defer pool.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	st, err := pgstore.New(ctx, pool, &pgstore.Options{Schema: schema})
	if err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, "CREATE TABLE "+schema+".bench_queue (id bigint PRIMARY KEY, payload bytea NOT NULL)"); err != nil {
		return nil, err
	}
	// Random payloads, as encrypted or compressed bodies are: PostgreSQL's
	// compression gains nothing on them, on either side.
	payload := make([]byte, c.MailKB*1000)
	rand.NewChaCha8([32]byte{7}).Read(payload)

	sdk := side{
		prepare: func() error { return fillOutbox(ctx, st, c.Messages, payload) },
		run: func() error {
			n, err := drain(outboxWorkers, func(w int) (bool, error) { return outboxStep(ctx, st, fmt.Sprintf("w%d", w)) })
			if err == nil && n != c.Messages {
				err = fmt.Errorf("drained %d, want %d", n, c.Messages)
			}
			return err
		},
	}
	base := side{
		prepare: func() error { return fillQueue(ctx, pool, schema, c.Messages, payload) },
		run: func() error {
			n, err := drain(outboxWorkers, func(int) (bool, error) { return queueStep(ctx, pool, schema) })
			if err == nil && n != c.Messages {
				err = fmt.Errorf("drained %d, want %d", n, c.Messages)
			}
			return err
		},
	}
	t, err := interleaveRounds(ctx, c.Rounds, sdk, base)
	if err != nil {
		return nil, err
	}
	return []row{throughputRow("7", work, float64(c.Messages), "msg/s", median(t.sdk), median(t.base), 0.8)}, nil
}

// drain runs workers calling step until each finds nothing left, and
// returns how many steps did something.
func drain(workers int, step func(w int) (bool, error)) (int, error) {
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ok, err := step(w)
				if err != nil {
					errs <- err
					return
				}
				if !ok {
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	return int(done.Load()), <-errs
}

// fillOutbox queues n entries with the payload as body.
func fillOutbox(ctx context.Context, st delivery.Store, n int, payload []byte) error {
	now := time.Now()
	return parallel(n, func(i int) error {
		e := &delivery.OutboxEntry{MessageID: fmt.Sprintf("bench-%d-%d@medecin.mssante.fr", now.UnixNano(), i), From: benchFrom.Addr,
			Recipients: []string{benchTo.Addr}, State: delivery.OutboxPending, Created: now, NextAttempt: now, Deadline: now.Add(time.Hour)}
		return st.AddOutbox(ctx, e, bytes.NewReader(payload), delivery.AddOptions{})
	})
}

// parallel calls do for 0 to n-1 on outboxWorkers goroutines, each taking
// every outboxWorkers-th i; a goroutine stops at its first error, which
// parallel returns.
func parallel(n int, do func(i int) error) error {
	var wg sync.WaitGroup
	errs := make(chan error, outboxWorkers)
	for w := range outboxWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += outboxWorkers {
				if err := do(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// outboxStep does, for one entry, what the Outbox does with its store.
func outboxStep(ctx context.Context, st delivery.Store, owner string) (bool, error) {
	now := time.Now()
	claimed, err := st.ClaimOutbox(ctx, delivery.OutboxClaim{Owner: owner, Now: now, Until: now.Add(time.Minute), Max: 1})
	if err != nil || len(claimed) == 0 {
		return false, err
	}
	e := claimed[0]
	body, err := st.OutboxBody(ctx, e.MessageID)
	if err != nil {
		return false, err
	}
	_, err = io.Copy(io.Discard, body)
	body.Close()
	if err != nil {
		return false, err
	}
	for _, state := range []delivery.OutboxState{delivery.OutboxInFlight, delivery.OutboxAccepted} {
		e.State = state
		if err := st.UpdateOutbox(ctx, owner, e); err != nil {
			return false, err
		}
	}
	return true, st.RemoveOutbox(ctx, owner, e.MessageID)
}

// fillQueue loads the baseline's queue with COPY and analyzes it.
func fillQueue(ctx context.Context, pool *pgxpool.Pool, schema string, n int, payload []byte) error {
	table := pgx.Identifier{schema, "bench_queue"}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "TRUNCATE "+table.Sanitize()); err != nil {
			return err
		}
		k, err := tx.CopyFrom(ctx, table, []string{"id", "payload"},
			pgx.CopyFromSlice(n, func(i int) ([]any, error) { return []any{int64(i), payload}, nil }))
		if err == nil && k != int64(n) {
			err = errors.New("short copy")
		}
		return err
	})
	if err != nil {
		return err
	}
	_, err = pool.Exec(ctx, "ANALYZE "+table.Sanitize())
	return err
}

// queueStep claims one row of the bare queue, reads it and deletes it, in
// one transaction.
func queueStep(ctx context.Context, pool *pgxpool.Pool, schema string) (bool, error) {
	table := pgx.Identifier{schema, "bench_queue"}.Sanitize()
	found := false
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var id int64
		var payload []byte
		err := tx.QueryRow(ctx, "SELECT id, payload FROM "+table+" ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED").Scan(&id, &payload)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		_, err = tx.Exec(ctx, "DELETE FROM "+table+" WHERE id = $1", id)
		return err
	})
	return found, err
}
