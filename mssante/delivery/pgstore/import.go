package pgstore

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/mssante-go/sdk/mssante/delivery"
)

// Import stores tracked messages in bulk with COPY, in one transaction: to
// move a tracker's messages from another store (a boltstore file, say), or
// to load a test. The store must hold none of them: a Message-ID it holds
// fails the whole import. The tables are analyzed afterwards.
func (s *Store) Import(ctx context.Context, msgs []*delivery.TrackedMessage) error {
	type row = []any
	var messages, recipients, states []row
	for _, m := range msgs {
		if m.MessageID == "" {
			return errors.New("pgstore: empty Message-ID")
		}
		doc, err := json.Marshal(m)
		if err != nil {
			return err
		}
		x := m.Index()
		messages = append(messages, row{m.MessageID, x.EnvelopeID, x.Created, x.Settled, nullTime(x.AwaitingDelivery), nullTime(x.AwaitingRead), doc})
		for _, r := range x.Recipients { // distinct: Index
			recipients = append(recipients, row{r, x.Created, m.MessageID})
		}
		for _, st := range x.States {
			states = append(states, row{string(st), x.Created, m.MessageID})
		}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, c := range []struct {
			table string
			cols  []string
			rows  []row
		}{
			{"messages", []string{"message_id", "envelope_id", "created", "settled", "awaiting_delivery", "awaiting_read", "doc"}, messages},
			{"message_recipients", []string{"recipient", "created", "message_id"}, recipients},
			{"message_states", []string{"state", "created", "message_id"}, states},
		} {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{s.opts.Schema, c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return wrap(err)
	}
	// Fresh statistics, so that the planner knows the tables grew.
	for _, table := range []string{"messages", "message_recipients", "message_states"} {
		if _, err := s.pool.Exec(ctx, "ANALYZE "+s.schema+"."+table); err != nil {
			return wrap(err)
		}
	}
	return nil
}
