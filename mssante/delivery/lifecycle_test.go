package delivery_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/mail"
)

// A zero Tracker is a tracker with a memory store; a zero Outbox refuses
// every call with ErrNotReady, without a panic.
func TestZeroValues(t *testing.T) {
	ctx := trkCtx(t)
	var tr delivery.Tracker
	msg := &mail.Message{MessageID: "zero@medecin.mssante.fr", To: []mail.Address{mail.MustParseAddress(trkB)}}
	if err := tr.Track(ctx, msg); err != nil {
		t.Fatal(err)
	}
	if r, err := tr.Recipient(ctx, msg.MessageID, trkB); err != nil || r.State != delivery.StateQueued {
		t.Fatalf("%+v %v", r, err)
	}
	if n, err := tr.CheckTimeouts(ctx); n != 0 || err != nil {
		t.Fatalf("timeouts %d %v", n, err)
	}
	if n, err := tr.Purge(ctx); n != 0 || err != nil {
		t.Fatalf("purge %d %v", n, err)
	}
	if ok, err := tr.Observe(ctx, &mail.Message{MDN: &mail.MDN{OriginalMessageID: "other@x"}}); ok || err != nil {
		t.Fatalf("observe %v %v", ok, err)
	}

	var ob delivery.Outbox
	if _, err := ob.Send(ctx, trkMessage(false, false, trkB)); !errors.Is(err, delivery.ErrNotReady) {
		t.Fatalf("Send: %v", err)
	}
	if err := ob.Run(ctx); !errors.Is(err, delivery.ErrNotReady) {
		t.Fatalf("Run: %v", err)
	}
	if err := ob.Wait(ctx, "x"); !errors.Is(err, delivery.ErrNotReady) {
		t.Fatalf("Wait: %v", err)
	}
	for _, err := range ob.Entries(ctx) {
		if !errors.Is(err, delivery.ErrNotReady) {
			t.Fatalf("Entries: %v", err)
		}
	}
	if st := ob.Stats(); st != (delivery.OutboxStats{}) {
		t.Fatalf("Stats %+v", st)
	}
}

// The queue bound and the Message-ID's uniqueness hold against concurrent
// Sends: they are checked in the store, with the insertion.
func TestOutboxSendChecksAtomic(t *testing.T) {
	e := newObxEnv(t, &delivery.OutboxOptions{QueueSize: 3}, false)
	ctx := trkCtx(t)
	var ok, full atomic.Int32
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.ob.Send(ctx, trkMessage(false, false, trkB))
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, delivery.ErrOutboxFull):
				full.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 3 || full.Load() != 9 || e.ob.Stats().Rejected != 9 {
		t.Fatalf("%d sent, %d refused full, stats %+v", ok.Load(), full.Load(), e.ob.Stats())
	}

	e2 := newObxEnv(t, nil, false)
	var dup atomic.Int32
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := trkMessage(false, false, trkB)
			m.MessageID = "same@medecin.mssante.fr"
			_, err := e2.ob.Send(context.Background(), m)
			switch {
			case err == nil:
			case errors.Is(err, delivery.ErrDuplicateMessage):
				dup.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if dup.Load() != 5 {
		t.Fatalf("%d of 6 Sends of one Message-ID refused as duplicates, want 5", dup.Load())
	}
}
