package pgtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Shape of the queue BenchmarkSkipLockedQueue drains: the outbox of
// issue 16 (10,000 queued messages of about 100 KB, 4 sender workers).
const (
	queueRows    = 10_000
	queuePayload = 100_000
	queueWorkers = 4
)

// BenchmarkSkipLockedQueue is the baseline of the PostgreSQL outbox: 4
// workers drain a table of 10,000 rows with 100 KB bytea payloads, each
// transaction claiming up to batch rows with SELECT ... FOR UPDATE SKIP
// LOCKED, reading their payloads and deleting them, with nothing else (no
// SMTP, no lease). One operation drains the whole table; refilling it is
// not timed. The payloads are random, as encrypted S/MIME bodies are:
// PostgreSQL's compression gains nothing on them. msgs/s is what a bare
// pgx queue drains on this machine, with the harness's settings (fsync
// off, synchronous_commit off: see the package doc).
//
//	go test ./internal/pgtest -run '^$' -bench SkipLockedQueue -benchtime 3x
func BenchmarkSkipLockedQueue(b *testing.B) {
	for _, batch := range []int{1, 10} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			benchmarkQueue(b, batch)
		})
	}
}

func benchmarkQueue(b *testing.B, batch int) {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(DSN(b))
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = queueWorkers + 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, "CREATE TABLE queue (id bigint PRIMARY KEY, payload bytea NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, queuePayload)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(payload)

	b.SetBytes(queueRows * queuePayload)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		fillQueue(b, pool, payload)
		b.StartTimer()

		var drained, bytes atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, queueWorkers)
		for range queueWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					n, size, err := claimAndDelete(ctx, pool, batch)
					if err != nil {
						errs <- err
						return
					}
					if n == 0 {
						return
					}
					drained.Add(int64(n))
					bytes.Add(size)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		if drained.Load() != queueRows || bytes.Load() != queueRows*queuePayload {
			b.Fatalf("drained %d rows, %d bytes; want %d, %d", drained.Load(), bytes.Load(), queueRows, queueRows*queuePayload)
		}
	}
	b.ReportMetric(float64(queueRows)*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// fillQueue empties the queue and loads it again, then analyzes it so that
// the claim uses the primary key. Truncating and loading in one
// transaction skips the WAL (wal_level=minimal).
func fillQueue(b *testing.B, pool *pgxpool.Pool, payload []byte) {
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "TRUNCATE queue"); err != nil {
			return err
		}
		n, err := tx.CopyFrom(ctx, pgx.Identifier{"queue"}, []string{"id", "payload"},
			pgx.CopyFromSlice(queueRows, func(i int) ([]any, error) { return []any{int64(i), payload}, nil }))
		if err == nil && n != queueRows {
			err = fmt.Errorf("copied %d rows, want %d", n, queueRows)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "ANALYZE queue"); err != nil {
		b.Fatal(err)
	}
}

// claimAndDelete claims up to batch rows, reads them and deletes them in
// one transaction. It returns 0 rows when none is left unclaimed.
func claimAndDelete(ctx context.Context, pool *pgxpool.Pool, batch int) (n int, size int64, err error) {
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, "SELECT id, payload FROM queue ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED", batch)
		if err != nil {
			return err
		}
		var ids []int64
		var id int64
		var payload []byte
		_, err = pgx.ForEachRow(rows, []any{&id, &payload}, func() error {
			ids = append(ids, id)
			size += int64(len(payload))
			return nil
		})
		if err != nil || len(ids) == 0 {
			return err
		}
		n = len(ids)
		_, err = tx.Exec(ctx, "DELETE FROM queue WHERE id = ANY($1)", ids)
		return err
	})
	return n, size, err
}
