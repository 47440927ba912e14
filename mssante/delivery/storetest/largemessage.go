package storetest

import (
	"context"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/mssante-go/sdk/internal/heapmeter"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/mail"
)

// MeasureLargeMessage sends a message of about 50 MB (a 36.5 MB
// attachment read from a generator, so that the test holds none of it) to
// the address to through an Outbox of c on st, which does not run, then
// reads its body back from st as a submission does. It returns the
// stored size and the peak heap of each step (heapmeter.Peak); the caller
// checks them against its store's bounds.
func MeasureLargeMessage(t *testing.T, c *mssante.Client, st delivery.Store, to string) (size int64, send, read uint64) {
	t.Helper()
	ctx := context.Background()
	ob, err := delivery.NewOutbox(c, delivery.NewTracker(&delivery.TrackerOptions{Store: st}), &delivery.OutboxOptions{MaxMessageBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	const raw = 36_500_000
	msg := &mail.Message{To: []mail.Address{mail.MustParseAddress(to)}, Subject: "Imagerie", Text: "Ci-joint.\n",
		Attachments: []*mail.Attachment{{Filename: "imagerie.dcm", ContentType: "application/octet-stream", Size: raw,
			Open: func() (io.ReadCloser, error) {
				return io.NopCloser(io.LimitReader(rand.NewChaCha8([32]byte{7}), raw)), nil
			}}}}
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
	t.Logf("a %.1f MB message: peak heap %.1f MB for Send (encode and store), %.1f MB to read it back for a submission",
		float64(e.Size)/1e6, float64(send)/1e6, float64(read)/1e6)
	return e.Size, send, read
}
