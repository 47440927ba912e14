package delivery_test

import (
	"context"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/mssante-go/sdk/internal/heapmeter"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/boltstore"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// largeAttachment is a 36.5 MB file, about 50 MB once base64-encoded in
// a message, read from a generator: the test's own memory does not hold it.
func largeAttachment() *mail.Attachment {
	const raw = 36_500_000
	return &mail.Attachment{Filename: "imagerie.dcm", ContentType: "application/octet-stream", Size: raw,
		Open: func() (io.ReadCloser, error) {
			return io.NopCloser(io.LimitReader(rand.NewChaCha8([32]byte{7}), raw)), nil
		}}
}

// Issue 23: the outbox streams a message into its store and out of it, so
// that memory stays bounded by a buffer, not by the message. A 50 MB
// message on a bbolt store: Send (encode, store in blocks) and the read
// back that a submission does each stay within a few MB of heap.
func TestOutboxLargeMessageMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 50 MB message")
	}
	s, err := mssantetest.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.MustAddMailbox(trkA, mssantetest.MailboxPER, nil)
	s.MustAddMailbox(trkB, mssantetest.MailboxPER, nil)
	c, err := mssante.NewClient(s.MustConfig(trkA))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "large.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	send, read := measureLargeMessage(t, c, st)
	if send > 16<<20 || read > 8<<20 {
		t.Errorf("peak heap of a 50 MB message on bbolt: Send %.1f MB, read back %.1f MB: not bounded by a buffer", mbOf(send), mbOf(read))
	}
}

// measureLargeMessage sends a 50 MB message into the outbox of st and
// reads it back as a submission does, and returns the peak heap of each.
func measureLargeMessage(t *testing.T, c *mssante.Client, st delivery.Store) (send, read uint64) {
	t.Helper()
	ctx := context.Background()
	ob, err := delivery.NewOutbox(c, delivery.NewTracker(&delivery.TrackerOptions{Store: st}), &delivery.OutboxOptions{MaxMessageBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	msg := trkMessage(false, false, trkB)
	msg.Attachments = []*mail.Attachment{largeAttachment()}
	var id string
	send, err = heapmeter.Peak(func() error {
		var err error
		id, err = ob.Send(ctx, msg)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e, err := st.OutboxEntry(ctx, id)
	if err != nil || e.Size < 49_000_000 {
		t.Fatalf("stored %+v %v", e, err)
	}
	var n int64
	read, err = heapmeter.Peak(func() error {
		rc, err := st.OutboxBody(ctx, id)
		if err != nil {
			return err
		}
		defer rc.Close()
		n, err = io.Copy(io.Discard, rc)
		return err
	})
	if err != nil || n != e.Size {
		t.Fatalf("read back %d of %d bytes: %v", n, e.Size, err)
	}
	t.Logf("a %.1f MB message: peak heap %.1f MB for Send (encode and store), %.1f MB to read it back for a submission", mbOf(uint64(e.Size)), mbOf(send), mbOf(read))
	return send, read
}

func mbOf(n uint64) float64 { return float64(n) / 1e6 }
