package mssante_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// An application mailbox integrates each document mail and tells the
// sender the outcome the CI-SIS way: a processed MDN, an error MDN with
// the code, or a plain mail when no read receipt was asked for. Here the
// patient is unknown (code 902) and the sender asked for a read receipt.
func ExampleClient_AcknowledgeIntegration() {
	op, err := mssantetest.NewServer(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer op.Close()
	op.MustAddMailbox("dr.a@medecin.mssante.fr", mssantetest.MailboxPER, nil)
	op.MustAddMailbox("dpi@ch-test.mssante.fr", mssantetest.MailboxAPP, nil)
	// A document mail as it arrives (its IHE_XDM.ZIP reduced to an empty
	// archive).
	op.Deliver("dpi@ch-test.mssante.fr", "INBOX", []byte("Return-Path: <dr.a@medecin.mssante.fr>\r\n"+
		"From: dr.a@medecin.mssante.fr\r\nTo: dpi@ch-test.mssante.fr\r\nMessage-ID: <cr-42@medecin.mssante.fr>\r\n"+
		"Subject: XDM/1.0/DDM+Compte rendu\r\nDisposition-Notification-To: dr.a@medecin.mssante.fr\r\n"+
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nCR joint.\r\n"+
		"--b\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=IHE_XDM.ZIP\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\nUEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==\r\n--b--\r\n"))

	app, err := mssante.NewClient(op.MustConfig("dpi@ch-test.mssante.fr")) // BAL APP: certificate
	if err != nil {
		log.Fatal(err)
	}
	defer app.Close()
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
		if r.Err != nil {
			log.Print(r.UID, r.Err) // kept on the server, for a human to look at
			continue
		}
		if r.Message.Kind() == mail.KindDocument {
			outcome := integrate(r.Message)
			if _, err := app.AcknowledgeIntegration(ctx, r, outcome, nil); err != nil {
				var ie *mail.IntegrationError
				if errors.As(outcome, &ie) {
					log.Print(err)
				}
				// else not decided: the message is handled again later
			}
		}
		r.Message.Close()
	}

	a, err := mssante.NewClient(op.MustConfig("dr.a@medecin.mssante.fr"))
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	for r, err := range a.Sync(ctx, "INBOX", nil) {
		if err != nil {
			log.Fatal(err)
		}
		if r.Err == nil {
			fmt.Println(r.Message.Kind(), r.Message.MDN.OriginalMessageID, int(r.Message.MDN.ErrorCode))
			r.Message.Close()
		}
	}
	// Output:
	// mdn cr-42@medecin.mssante.fr 902
}

// A personal mailbox proposes the read receipt when the message asks for
// one, and sends it only if the user agrees (ECO.3.1.6).
func ExampleClient_SendReadReceipt() {
	op, err := mssantetest.NewServer(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer op.Close()
	op.MustAddMailbox("dr.a@medecin.mssante.fr", mssantetest.MailboxPER, nil)
	op.MustAddMailbox("dr.b@ch-test.mssante.fr", mssantetest.MailboxPER, nil)
	a, _ := mssante.NewClient(op.MustConfig("dr.a@medecin.mssante.fr"))
	defer a.Close()
	b, _ := mssante.NewClient(op.MustConfig("dr.b@ch-test.mssante.fr"))
	defer b.Close()
	ctx := context.Background()
	a.Send(ctx, &mail.Message{To: []mail.Address{mail.MustParseAddress("dr.b@ch-test.mssante.fr")}, Subject: "RDV", Text: "Jeudi 9h.", RequestReadReceipt: true})

	askUser := func(question string) bool { fmt.Println(question); return true }
	for r, err := range b.Sync(ctx, "INBOX", nil) {
		if err != nil {
			log.Fatal(err)
		}
		if r.Err != nil {
			continue
		}
		if req, ok := mssante.ReadReceiptRequested(r); ok && !req.AlreadySent {
			question := "Send a read receipt to " + req.To.Addr + "?"
			if req.OtherAddress {
				question += " (this is not the address the message came from)"
			}
			if askUser(question) {
				if _, err := b.SendReadReceipt(ctx, r, nil); err != nil {
					log.Print(err)
				}
			}
		}
		r.Message.Close()
	}
	for r, err := range a.Sync(ctx, "INBOX", nil) {
		if err == nil && r.Err == nil {
			fmt.Println(r.Message.Kind(), r.Message.MDN.Disposition.Type)
			r.Message.Close()
		}
	}
	// Output:
	// Send a read receipt to dr.a@medecin.mssante.fr?
	// mdn displayed
}
