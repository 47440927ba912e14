package mssante_test

import (
	"context"
	"errors"
	"log"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
)

// An application mailbox integrates each document mail and tells the
// sender the outcome the CI-SIS way: a processed MDN, an error MDN with
// the code, or a plain mail when no read receipt was asked for.
func ExampleClient_AcknowledgeIntegration() {
	var app *mssante.Client // the application mailbox (BAL APP)
	integrate := func(m *mail.Message) error {
		// The vendor's integration: find the patient, check the INS...
		return &mail.IntegrationError{Code: mail.IntegrationUnknownPatient}
	}
	ctx := context.Background()
	var cursor mssante.Cursor // persisted between runs
	for r, err := range app.Sync(ctx, "INBOX", &cursor) {
		if err != nil {
			log.Fatal(err)
		}
		if r.Message == nil || r.Message.Kind() != mail.KindDocument {
			continue
		}
		outcome := integrate(r.Message)
		if _, err := app.AcknowledgeIntegration(ctx, r, outcome, nil); err != nil {
			var ie *mail.IntegrationError
			if !errors.As(outcome, &ie) {
				continue // not decided: handle it again later
			}
			log.Print(err)
		}
	}
}

// A personal mailbox proposes the read receipt when the message asks for
// one, and sends it only if the user agrees (ECO.3.1.6).
func ExampleClient_SendReadReceipt() {
	var c *mssante.Client
	var r *mssante.Received // the message the user opened
	askUser := func(question string) bool { return false }
	if req, ok := mssante.ReadReceiptRequested(r); ok && !req.AlreadySent {
		question := "Send a read receipt to " + req.To.Addr + "?"
		if req.OtherAddress {
			question += " (this is not the address the message came from)"
		}
		if askUser(question) {
			if _, err := c.SendReadReceipt(context.Background(), r, nil); err != nil {
				log.Print(err)
			}
		}
	}
}
