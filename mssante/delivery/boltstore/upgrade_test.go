package boltstore_test

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/boltstore"
)

// A file of schema version 1 (no indexes, bodies in one value) is upgraded
// when opened for writing, and refused read-only until then.
func TestUpgradeFromV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	m := &delivery.TrackedMessage{MessageID: "a@x", EnvelopeID: "a@x", Created: t0,
		Recipients: []delivery.RecipientStatus{{Address: "b@y.fr", State: delivery.StateQueued}}}
	e := &delivery.OutboxEntry{MessageID: "a@x", State: delivery.OutboxPending, Created: t0, NextAttempt: t0}
	body := strings.Repeat("x", 300<<10)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		put := func(bucket, key string, v []byte) {
			b, _ := tx.CreateBucketIfNotExists([]byte(bucket))
			b.Put([]byte(key), v)
		}
		mj, _ := json.Marshal(m)
		ej, _ := json.Marshal(e)
		put("messages", "a@x", mj)
		put("outbox", "a@x", ej)
		put("bodies", "a@x", []byte(body))
		put("meta", "version", []byte("1"))
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := boltstore.Open(path, &boltstore.Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "open it once for writing") {
		t.Fatalf("read-only open of a version 1 file: %v", err)
	}
	s := openStore(t, path)
	ctx := context.Background()
	if got, err := s.MessageByEnvelopeID(ctx, "a@x"); err != nil || got.MessageID != "a@x" {
		t.Fatalf("ENVID after upgrade: %v %v", got, err)
	}
	if p, err := s.Messages(ctx, delivery.MessageQuery{Recipient: "b@y.fr"}); err != nil || len(p.Messages) != 1 {
		t.Fatalf("recipient query after upgrade: %+v %v", p, err)
	}
	got, err := s.OutboxEntry(ctx, "a@x")
	if err != nil || got.Size != int64(len(body)) {
		t.Fatalf("entry after upgrade: %+v %v", got, err)
	}
	rc, err := s.OutboxBody(ctx, "a@x")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(rc); string(b) != body {
		t.Fatalf("body after upgrade: %d bytes", len(b))
	}
	if sum, _ := s.OutboxSummary(ctx); sum.Entries != 1 || !sum.NextDue.Equal(t0) {
		t.Fatalf("summary after upgrade: %+v", sum)
	}
	if c, _ := s.ClaimOutbox(ctx, delivery.OutboxClaim{Owner: "A", Now: t0, Until: t0.Add(time.Minute), Max: 5}); len(c) != 1 {
		t.Fatalf("claim after upgrade: %d", len(c))
	}
}

// Leases found at Open belong to a process that died: they are released.
func TestOpenReleasesLeases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	if err := s.AddOutbox(ctx, &delivery.OutboxEntry{MessageID: "a@x", Created: t0, NextAttempt: t0}, strings.NewReader("b"), delivery.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if c, err := s.ClaimOutbox(ctx, delivery.OutboxClaim{Owner: "dead", Now: t0, Until: t0.Add(time.Hour), Max: 1}); err != nil || len(c) != 1 {
		t.Fatalf("claim %v %v", c, err)
	}
	s.Close()
	s = openStore(t, path)
	c, err := s.ClaimOutbox(ctx, delivery.OutboxClaim{Owner: "new", Now: t0, Until: t0.Add(time.Hour), Max: 1})
	if err != nil || len(c) != 1 {
		t.Fatalf("after reopening, the dead owner's entry is not claimable: %v %v", c, err)
	}
}
