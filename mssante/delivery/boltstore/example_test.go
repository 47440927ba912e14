package boltstore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/boltstore"
	"github.com/mssante-go/sdk/mssante/mail"
)

// The durable store of a tracker and its outbox: one file, opened by one
// process at a time.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "boltstore-example")
	defer os.RemoveAll(dir)

	st, err := boltstore.Open(filepath.Join(dir, "mssante.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	tracker := delivery.NewTracker(&delivery.TrackerOptions{Store: st})
	// outbox, err := mssante.NewOutbox(client, tracker, nil)

	msg := &mail.Message{MessageID: "lettre-1@medecin.mssante.fr", To: []mail.Address{mail.MustParseAddress("bruno.durand@ch-test.mssante.fr")}}
	if err := tracker.Track(context.Background(), msg); err != nil {
		log.Fatal(err)
	}
	r, _ := tracker.Recipient(context.Background(), msg.MessageID, "bruno.durand@ch-test.mssante.fr")
	fmt.Println(r.State)
	// Output: queued
}
