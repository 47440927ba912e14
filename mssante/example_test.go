package mssante_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"slices"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/trust"
)

// A client of a mailbox, here at an operator that runs in the process
// (mssantetest). Against a real operator the same fields come from your
// configuration: the servers (or DNS SRV discovery), the Pro Santé Connect
// session (psc.Session), the IGC-Santé anchors (trust.Verifier), the liste
// blanche (trust.Source), your product reference.
func ExampleNewClient() {
	op, err := mssantetest.NewServer(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer op.Close()
	op.MustAddMailbox("dr.a@medecin.mssante.fr", mssantetest.MailboxPER, nil)

	cfg := mssante.Config{
		Address:    mail.MustParseAddress("dr.a@medecin.mssante.fr"),
		Operator:   mssante.Operator{SMTP: op.SMTPAddr, IMAP: op.IMAPAddr},
		Auth:       mssante.OAuth2(op.TokenSource("dr.a@medecin.mssante.fr")), // XOAUTH2, as with a psc.Session
		RootCAs:    op.RootCAs(),                                              // for IGC-Santé: Verifier: &trust.Verifier{Anchors: anchors}
		Trust:      op.TrustChecker(),                                         // for MSSanté: a *trust.Source (the liste blanche)
		ProductRef: "DEV935997",                                               // the X-MSS-NIL the ANS gave your software
	}
	c, err := mssante.NewClient(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	folders, err := c.Folders(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	var names []string
	for _, f := range folders {
		names = append(names, f.Name)
	}
	slices.Sort(names)
	fmt.Println(names)

	// Without Trust, no client: health data must not leave the trust space.
	cfg.Trust = nil
	_, err = mssante.NewClient(cfg)
	fmt.Println(err)
	// Output:
	// [INBOX Sent Trash]
	// mssante: Config.Trust is required to check recipients (or set AllowAnyRecipient in tests)
}

// Send a message asking for a delivery receipt. A recipient outside the
// trust space fails the whole message before anything is sent, with a
// *TrustError that keeps what the trust list said of each recipient.
func ExampleClient_Send() {
	op, err := mssantetest.NewServer(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer op.Close()
	op.MustAddMailbox("dr.a@medecin.mssante.fr", mssantetest.MailboxPER, nil)
	op.MustAddMailbox("dr.b@ch-test.mssante.fr", mssantetest.MailboxPER, nil)
	c, err := mssante.NewClient(op.MustConfig("dr.a@medecin.mssante.fr"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	msg := &mail.Message{
		To:                     []mail.Address{mail.MustParseAddress("dr.b@ch-test.mssante.fr")},
		Subject:                "Adressage",
		Text:                   "Bonjour,\nje vous adresse Mme X.\n",
		RequestDeliveryReceipt: true,
	}
	res, err := c.Send(ctx, msg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("accepted:", res.Accepted(), "DSN requested:", res.DSNRequested)

	msg = &mail.Message{
		To:   []mail.Address{mail.MustParseAddress("dr.b@ch-test.mssante.fr"), mail.MustParseAddress("someone@gmail.com")},
		Text: "…",
	}
	_, err = c.Send(ctx, msg)
	var te *mssante.TrustError
	if errors.As(err, &te) {
		fmt.Println("refused:", te.Recipients, errors.Is(err, trust.ErrNotInTrustSpace))
	}
	// Output:
	// accepted: [dr.b@ch-test.mssante.fr] DSN requested: true
	// refused: [someone@gmail.com] true
}

// Read a folder with a cursor. A message that cannot be parsed is one item
// with its own Err, and the loop goes on; its bytes stay on the server.
// The error of the sequence is fatal. Each message is closed when done.
func ExampleClient_Sync() {
	op, err := mssantetest.NewServer(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer op.Close()
	op.MustAddMailbox("dr.b@ch-test.mssante.fr", mssantetest.MailboxPER, nil)
	for _, raw := range []string{
		"From: dr.a@medecin.mssante.fr\r\nSubject: Premier\r\n\r\nUn.\r\n",
		"From: dr.a@medecin.mssante.fr\r\nContent-Type: multipart/mixed\r\n\r\nno boundary\r\n", // corrupt
		"From: dr.a@medecin.mssante.fr\r\nSubject: Dernier\r\n\r\nTrois.\r\n",
	} {
		op.Deliver("dr.b@ch-test.mssante.fr", "INBOX", []byte(raw))
	}
	c, err := mssante.NewClient(op.MustConfig("dr.b@ch-test.mssante.fr"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	var cursor mssante.Cursor // persist it between runs
	for r, err := range c.Sync(ctx, "INBOX", &cursor) {
		if err != nil {
			log.Fatal(err) // fatal: the sequence is over, cursor says how far it went
		}
		if r.Err != nil {
			var raw bytes.Buffer
			c.FetchRaw(ctx, r.Folder, r.UID, &raw) // nothing is lost
			fmt.Printf("UID %d: unreadable (%d bytes kept)\n", r.UID, raw.Len())
			continue
		}
		fmt.Printf("UID %d: %s\n", r.UID, r.Message.Subject)
		r.Message.Close()
	}
	fmt.Println("cursor:", cursor.LastUID)
	// Output:
	// UID 1: Premier
	// UID 2: unreadable (77 bytes kept)
	// UID 3: Dernier
	// cursor: 3
}
