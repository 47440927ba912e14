package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/boltstore"
	"github.com/mssante-go/sdk/mssante/delivery/pgstore"
	"github.com/mssante-go/sdk/mssante/mail"
)

// benchOutboxEndToEnd drains c.Messages queued messages of c.MailKB KB
// through the Outbox to the in-process operator (claim, SMTP submission,
// completion): four Outboxes of one worker each on PostgreSQL, as four
// sender processes would run, against the single-process bbolt Outbox with
// four workers. The messages are queued before each timed round.
func benchOutboxEndToEnd(ctx context.Context, c *Config) ([]row, error) {
	work := fmt.Sprintf("drain %d queued messages of %d KB to the operator, 4 Outboxes of 1 worker on PostgreSQL vs 1 Outbox of 4 workers on bbolt", c.Messages, c.MailKB)
	if c.PostgresDSN == "" {
		return []row{skipped("8", work)}, nil
	}
	srv, _, client, err := benchServer()
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	defer client.Close()
	content := make([]byte, c.MailKB*1000*3/4) // base64 brings it to MailKB
	rand.NewChaCha8([32]byte{8}).Read(content)
	msg := func() *mail.Message {
		return &mail.Message{To: []mail.Address{benchTo}, Subject: "Compte rendu", Text: "Ci-joint.\n",
			Attachments: []*mail.Attachment{mail.BytesAttachment("cr.pdf", "application/pdf", content)}}
	}

	const schema = "mss_bench_8"
	pg, err := pgstore.Open(ctx, withParam(c.PostgresDSN, "pool_max_conns=12"), &pgstore.Options{Schema: schema})
	if err != nil {
		return nil, err
	}
	defer pg.Close()
	defer pg.Pool().Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	var pgOutboxes []*delivery.Outbox
	tracker := delivery.NewTracker(&delivery.TrackerOptions{Store: pg})
	for i := range outboxWorkers {
		ob, err := delivery.NewOutbox(client, tracker, &delivery.OutboxOptions{Workers: 1, QueueSize: c.Messages, Owner: fmt.Sprintf("bench-%d", i), PollInterval: 50 * time.Millisecond})
		if err != nil {
			return nil, err
		}
		pgOutboxes = append(pgOutboxes, ob)
	}
	pgSide := side{
		prepare: func() error { return queueMessages(ctx, pgOutboxes[0], c.Messages, msg) },
		run:     func() error { return runUntilEmpty(ctx, pg, pgOutboxes) },
	}

	var bolt *boltstore.Store
	var boltOutbox *delivery.Outbox
	defer func() {
		if bolt != nil {
			bolt.Close()
		}
	}()
	boltSide := side{
		prepare: func() error {
			if bolt != nil {
				bolt.Close()
			}
			path := filepath.Join(c.Dir, "outbox.db")
			os.Remove(path)
			var err error
			if bolt, err = boltstore.Open(path, nil); err != nil {
				return err
			}
			boltOutbox, err = delivery.NewOutbox(client, delivery.NewTracker(&delivery.TrackerOptions{Store: bolt}), &delivery.OutboxOptions{Workers: outboxWorkers, QueueSize: c.Messages})
			if err != nil {
				return err
			}
			return queueMessages(ctx, boltOutbox, c.Messages, msg)
		},
		run: func() error { return runUntilEmpty(ctx, bolt, []*delivery.Outbox{boltOutbox}) },
	}
	t, err := interleaveRounds(ctx, c.Rounds, pgSide, boltSide)
	if err != nil {
		return nil, err
	}
	r := throughputRow("8", work, float64(c.Messages), "msg/s", median(t.sdk), median(t.base), 2)
	r.ratio += " x bbolt"
	return []row{r}, nil
}

// withParam adds a key=value parameter to a DSN, in URL or key/value form.
func withParam(dsn, kv string) string {
	switch {
	case !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://"):
		return dsn + " " + kv
	case strings.Contains(dsn, "?"):
		return dsn + "&" + kv
	}
	return dsn + "?" + kv
}

// queueMessages Sends n messages into an outbox that is not running.
func queueMessages(ctx context.Context, ob *delivery.Outbox, n int, msg func() *mail.Message) error {
	return parallel(n, func(int) error {
		_, err := ob.Send(ctx, msg())
		return err
	})
}

// runUntilEmpty runs the outboxes until the store's outbox is empty.
func runUntilEmpty(ctx context.Context, st delivery.Store, obs []*delivery.Outbox) error {
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, ob := range obs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ob.Run(runCtx)
		}()
	}
	defer func() {
		stop()
		wg.Wait()
	}()
	for {
		sum, err := st.OutboxSummary(ctx)
		if err != nil {
			return err
		}
		if sum.Entries == 0 {
			for _, ob := range obs {
				if s := ob.Stats(); s.Failed > 0 {
					return fmt.Errorf("%d messages failed", s.Failed)
				}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}
