package delivery_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// A tracker follows a letter from submission to the delivery report: it is
// fed the outcome of the submission, then each message the mailbox receives.
func ExampleTracker() {
	op, _ := mssantetest.NewServer(nil)
	defer op.Close()
	op.MustAddMailbox("alice.martin@medecin.mssante.fr", mssantetest.MailboxPER, nil)
	op.MustAddMailbox("bruno.durand@ch-test.mssante.fr", mssantetest.MailboxPER, nil)
	c, err := mssante.NewClient(op.MustConfig("alice.martin@medecin.mssante.fr"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	tracker := delivery.NewTracker(&delivery.TrackerOptions{
		// Store: a *boltstore.Store in production.
		OnEvent: func(e delivery.TrackEvent) { fmt.Printf("%s: %s (%s)\n", e.Recipient, e.To, e.Cause) },
	})
	msg := &mail.Message{
		To:                     []mail.Address{mail.MustParseAddress("bruno.durand@ch-test.mssante.fr")},
		Subject:                "Lettre de liaison",
		Text:                   "Bonjour,\n",
		RequestDeliveryReceipt: true,
	}
	// Prepare sets the Message-ID; tracking starts before the submission,
	// so that a crash during it leaves a trace. (An Outbox does all this,
	// durably.)
	if err := c.Prepare(ctx, msg); err != nil {
		log.Fatal(err)
	}
	if err := tracker.Track(ctx, msg); err != nil {
		log.Fatal(err)
	}
	res, err := c.Send(ctx, msg)
	if err := tracker.Sent(ctx, msg, res, err); err != nil {
		log.Fatal(err)
	}
	// Later, as the mailbox is synchronised: the operator's DSN.
	var cursor mssante.Cursor
	for r, err := range c.Sync(ctx, "INBOX", &cursor) {
		if err != nil {
			log.Fatal(err)
		}
		tracker.Observe(ctx, r.Message)
	}
	m, _ := tracker.Message(ctx, msg.MessageID)
	fmt.Println("settled:", m.Settled())
	// Output:
	// bruno.durand@ch-test.mssante.fr: queued (caller)
	// bruno.durand@ch-test.mssante.fr: submitted (smtp)
	// bruno.durand@ch-test.mssante.fr: delivered (dsn)
	// settled: true
}

// An outbox stores each message before it returns and submits it in the
// background, retrying temporary failures.
func ExampleOutbox() {
	op, _ := mssantetest.NewServer(nil)
	defer op.Close()
	op.MustAddMailbox("alice.martin@medecin.mssante.fr", mssantetest.MailboxPER, nil)
	op.MustAddMailbox("bruno.durand@ch-test.mssante.fr", mssantetest.MailboxPER, nil)
	c, err := mssante.NewClient(op.MustConfig("alice.martin@medecin.mssante.fr"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// The operator refuses the first attempt for now.
	op.InjectFault(&mssantetest.Fault{Stage: mssantetest.StageData, Code: 451, Message: "try again"})

	tracker := delivery.NewTracker(nil) // boltstore in production
	outbox, err := delivery.NewOutbox(c, tracker, &delivery.OutboxOptions{MinBackoff: 10 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go outbox.Run(ctx)

	id, err := outbox.Send(ctx, &mail.Message{
		To:      []mail.Address{mail.MustParseAddress("bruno.durand@ch-test.mssante.fr")},
		Subject: "Lettre de liaison",
		Text:    "Bonjour,\n",
	})
	if err != nil {
		log.Fatal(err)
	}
	outbox.Wait(ctx, id)
	r, _ := tracker.Recipient(ctx, id, "bruno.durand@ch-test.mssante.fr")
	s := outbox.Stats()
	fmt.Println(r.State, "after", s.Attempts, "attempts")
	// Output:
	// submitted after 2 attempts
}
