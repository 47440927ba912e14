// Command quickstart shows the MSSanté message cycle with no configuration:
// Dr A writes to Dr B asking for a read receipt, Dr B reads the message and
// returns a read receipt (MDN), and Dr A reads that receipt.
//
// Everything happens in memory for now: the messages are encoded to RFC 5322
// and parsed back exactly as they would travel through an operator. The
// in-process operator (mssante/mssantetest) and the client will replace the
// hand-over in the middle.
//
//	go run ./examples/quickstart
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"

	"github.com/mssante-go/sdk/mssante"
)

func main() {
	if err := run(); err != nil {
		log.SetFlags(0)
		log.Fatalf("quickstart: %v", err)
	}
}

func run() error {
	drA := mssante.Address{
		Name: mssante.DisplayName{Title: "Dr", Given: "Alice", Family: "Martin", Entity: "Cabinet du Parc"}.String(),
		Addr: "alice.martin@medecin.mssante.fr",
	}
	drB := mssante.Address{
		Name: mssante.DisplayName{Title: "Dr", Given: "Bruno", Family: "Durand", Entity: "CH Nord - Cardiologie"}.String(),
		Addr: "bruno.durand@ch-nord.mssante.fr",
	}

	// 1. Dr A composes a message and asks for a read receipt.
	msg := &mssante.Message{
		From:               drA,
		To:                 []mssante.Address{drB},
		Subject:            "Adressage de Mme Dupont",
		Text:               "Cher confrère,\nje vous adresse Mme Dupont pour un avis cardiologique.\nBien confraternellement,\nDr Martin\n",
		ProductRef:         "DEV935997", // the X-MSS-NIL the ANS gives your product
		RequestReadReceipt: true,
	}
	var wire bytes.Buffer
	if err := msg.Encode(&wire, nil); err != nil {
		return err
	}
	fmt.Printf("Dr A sends %q to %s (%d bytes, Message-ID %s)\n", msg.Subject, drB.Addr, wire.Len(), msg.MessageID)

	// 2. Dr B receives and reads it.
	received, err := mssante.Parse(bytes.NewReader(wire.Bytes()), nil)
	if err != nil {
		return err
	}
	fmt.Printf("Dr B receives a %s message from %s: %q\n", received.Kind(), received.From.Addr, received.DisplaySubject())
	fmt.Printf("  X-MSS-NIL %s, read receipt requested to %s\n", received.ProductRef, received.ReadReceiptTo.Addr)

	// 3. Dr B displays it and chooses to return the read receipt (ECO.3.1.6:
	// propose it, never force it).
	mdn, err := mssante.NewMDN(received, mssante.MDNOptions{From: drB, ProductRef: "DEV935997"})
	if err != nil {
		return err
	}
	var mdnWire bytes.Buffer
	if err := mdn.Encode(&mdnWire, nil); err != nil {
		return err
	}
	fmt.Printf("Dr B returns an MDN (%d bytes)\n", mdnWire.Len())

	// 4. Dr A receives the MDN and matches it with the sent message.
	report, err := mssante.Parse(bytes.NewReader(mdnWire.Bytes()), nil)
	if err != nil {
		return err
	}
	if report.Kind() != mssante.KindMDN || report.MDN.OriginalMessageID != msg.MessageID {
		return fmt.Errorf("expected the MDN of %s, got a %s", msg.MessageID, report.Kind())
	}
	fmt.Printf("Dr A: message %s was %s by %s (%s)\n", msg.MessageID, report.MDN.Disposition.Type, report.MDN.FinalRecipient, report.MDN.Disposition)
	fmt.Fprintln(os.Stdout, "Done.")
	return nil
}
