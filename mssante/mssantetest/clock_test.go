package mssantetest_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// fixedClock is a Clock stopped at one instant.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

func (c fixedClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	ch <- c.t.Add(d)
	return ch
}

// TestClock: the time the server writes in a delivery (Received) and in its
// delivery report (Date, Arrival-Date) is Options.Clock's.
func TestClock(t *testing.T) {
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	s := newServer(t, &mssantetest.Options{Clock: fixedClock{at}})
	if _, err := newClient(t, s.MustConfig(drA)).Send(ctx(t), textMessage(drB)); err != nil {
		t.Fatal(err)
	}
	raw, err := s.Messages(drB)
	if err != nil || len(raw) != 1 || !bytes.Contains(raw[0], []byte("ESMTPSA; "+at.Format(time.RFC1123Z))) {
		t.Fatalf("delivered %d messages (%v); want a Received field at %s", len(raw), err, at)
	}
	got := syncAll(t, newClient(t, s.MustConfig(drA)), &mssante.Cursor{})
	if len(got) != 1 || got[0].Message.Kind() != mail.KindDSN {
		t.Fatalf("A got %d messages, want the DSN", len(got))
	}
	dsn := got[0].Message.DSN
	if !dsn.ArrivalDate.Equal(at) || !got[0].Message.Date.Equal(at) {
		t.Errorf("DSN Date %s, Arrival-Date %s, want %s", got[0].Message.Date, dsn.ArrivalDate, at)
	}
}
