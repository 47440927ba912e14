package mssantetest_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/trust"
)

// Check the operator's certificate the IGC-Santé way, revocation included
// (the default hard-fail policy), then revoke it.
func ExampleServer_RevokeServerCertificate() {
	op, err := mssantetest.NewServer(&mssantetest.Options{ServeRevocation: true})
	if err != nil {
		log.Fatal(err)
	}
	defer op.Close()
	op.MustAddMailbox("dr.a@medecin.mssante.fr", mssantetest.MailboxPER, nil)
	op.MustAddMailbox("dr.b@ch-test.mssante.fr", mssantetest.MailboxPER, nil)
	anchors, err := trust.NewAnchors([]*x509.Certificate{op.RootCertificate()}, nil)
	if err != nil {
		log.Fatal(err)
	}
	send := func() error {
		cfg := op.MustConfig("dr.a@medecin.mssante.fr")
		cfg.RootCAs = nil
		cfg.Verifier = &trust.Verifier{Anchors: anchors} // a new one: no cached answer
		c, err := mssante.NewClient(cfg)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Send(context.Background(), &mail.Message{To: []mail.Address{mail.MustParseAddress("dr.b@ch-test.mssante.fr")}, Text: "x"})
		return err
	}
	fmt.Println("before:", send())
	if err := op.RevokeServerCertificate(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("after, revoked:", errors.Is(send(), trust.ErrRevoked))
	// Output:
	// before: <nil>
	// after, revoked: true
}
