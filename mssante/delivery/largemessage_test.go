package delivery_test

import (
	"path/filepath"
	"testing"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery/boltstore"
	"github.com/mssante-go/sdk/mssante/delivery/storetest"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

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
	_, send, read := storetest.MeasureLargeMessage(t, c, st, trkB)
	if send > 16<<20 || read > 8<<20 {
		t.Errorf("peak heap of a 50 MB message on bbolt: Send %.1f MB, read back %.1f MB: not bounded by a buffer", float64(send)/1e6, float64(read)/1e6)
	}
}
