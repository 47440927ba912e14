package mssantetest_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// Start an operator, create two mailboxes, send from one to the other with
// a delivery receipt, and read both inboxes.
func Example() {
	op, err := mssantetest.NewServer(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer op.Close()
	op.MustAddMailbox("dr.a@medecin.mssante.fr", mssantetest.MailboxPER, nil)
	op.MustAddMailbox("dr.b@ch-test.mssante.fr", mssantetest.MailboxPER, nil)

	ctx := context.Background()
	a, _ := mssante.NewClient(op.MustConfig("dr.a@medecin.mssante.fr")) // XOAUTH2 with a token the operator issued
	defer a.Close()
	b, _ := mssante.NewClient(op.MustConfig("dr.b@ch-test.mssante.fr"))
	defer b.Close()

	msg := &mail.Message{
		To:                     []mail.Address{mail.MustParseAddress("dr.b@ch-test.mssante.fr")},
		Subject:                "Bonjour",
		Text:                   "Un message de test.\n",
		RequestDeliveryReceipt: true,
	}
	if _, err := a.Send(ctx, msg); err != nil {
		log.Fatal(err)
	}
	for r, err := range b.Sync(ctx, "INBOX", &mssante.Cursor{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("B:", r.Message.Subject)
	}
	for r, err := range a.Sync(ctx, "INBOX", &mssante.Cursor{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("A:", r.Message.Kind(), r.Message.DSN.Recipients[0].Action)
	}
	// Output:
	// B: Bonjour
	// A: dsn delivered
}

// Make the next submission fail with a temporary error, as a busy operator
// would.
func ExampleServer_InjectFault() {
	op, _ := mssantetest.NewServer(nil)
	defer op.Close()
	op.MustAddMailbox("dr.a@medecin.mssante.fr", mssantetest.MailboxPER, nil)
	op.MustAddMailbox("dr.b@ch-test.mssante.fr", mssantetest.MailboxPER, nil)
	op.InjectFault(&mssantetest.Fault{Stage: mssantetest.StageMail, Code: 451, Enhanced: [3]int{4, 3, 0}, Message: "try later"})

	a, _ := mssante.NewClient(op.MustConfig("dr.a@medecin.mssante.fr"))
	defer a.Close()
	msg := &mail.Message{To: []mail.Address{mail.MustParseAddress("dr.b@ch-test.mssante.fr")}, Text: "x"}
	_, err := a.Send(context.Background(), msg)
	var te *mssante.TransactionError
	if errors.As(err, &te) {
		fmt.Println(te.Code, te.Enhanced, te.Message, "temporary:", te.Temporary())
	}
	_, err = a.Send(context.Background(), msg) // the fault fired once
	fmt.Println(err)
	// Output:
	// 451 4.3.0 try later temporary: true
	// <nil>
}
