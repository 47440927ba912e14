// Command quickstart shows MSSanté end to end with no configuration.
//
// It starts an operator in the process (mssante/mssantetest). Dr A builds an
// N1 discharge letter (CDA R2 around a PDF made on the spot) and sends it to
// Dr B as a document mail asking for delivery and read receipts. Dr B syncs
// the mailbox, opens the IHE_XDM.ZIP, reads the CDA and returns a read
// receipt. Dr A then receives the delivery report (DSN) and the read receipt
// (MDN).
//
//	go run ./examples/quickstart
//
// With MSSANTE_* variables (see examples/internal/mssenv and the README)
// and MSSANTE_TO, it plays Dr A against a real operator: it sends the letter
// to MSSANTE_TO and waits up to MSSANTE_WAIT (default 2m) for the reports.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/examples/internal/mssenv"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	log.SetFlags(0)
	var err error
	if mssenv.Configured(os.Getenv) {
		err = runReal(ctx, os.Stdout, os.Getenv)
	} else {
		err = runSandbox(ctx, os.Stdout)
	}
	if err != nil {
		log.Fatalf("quickstart: %v", err)
	}
}

const (
	drA = "alice.martin@medecin.mssante.fr"
	drB = "bruno.durand@ch-test.mssante.fr"
)

func runSandbox(ctx context.Context, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	op, err := mssantetest.NewServer(nil)
	if err != nil {
		return err
	}
	defer op.Close()
	op.MustAddMailbox(drA, mssantetest.MailboxPER, nil)
	op.MustAddMailbox(drB, mssantetest.MailboxPER, nil)
	fmt.Fprintf(out, "Operator running in the process: SMTP %s, IMAP %s\n\n", op.SMTPAddr, op.IMAPAddr)

	a, err := mssante.NewClient(op.MustConfig(drA))
	if err != nil {
		return err
	}
	defer a.Close()
	b, err := mssante.NewClient(op.MustConfig(drB))
	if err != nil {
		return err
	}
	defer b.Close()

	// 1. Dr A sends the discharge letter.
	sent, err := sendLetter(ctx, out, a, mail.MustParseAddress(drB))
	if err != nil {
		return err
	}

	// 2. Dr B reads it and returns a read receipt.
	var cursor mssante.Cursor
	for r, err := range b.Sync(ctx, "INBOX", &cursor) {
		if err != nil {
			return err // the connection is gone: the cursor says where to resume
		}
		if r.Err != nil { // this one message could not be read: keep going
			fmt.Fprintf(out, "message %d could not be read: %v\n", r.UID, r.Err)
			continue
		}
		if err := readLetter(ctx, out, b, r); err != nil {
			return err
		}
	}

	// 3. Dr A receives the reports.
	fmt.Fprintln(out, "\nDr A checks the mailbox:")
	var aCursor mssante.Cursor
	var delivered, read bool
	for r, err := range a.Sync(ctx, "INBOX", &aCursor) {
		if err != nil {
			return err
		}
		if r.Err != nil {
			fmt.Fprintf(out, "message %d could not be read: %v\n", r.UID, r.Err)
			continue
		}
		d, m := report(out, r.Message, sent)
		r.Message.Close()
		delivered, read = delivered || d, read || m
	}
	if !delivered || !read {
		return fmt.Errorf("missing report: delivered=%v read=%v", delivered, read)
	}
	fmt.Fprintln(out, "\nDone: the letter was delivered and read.")
	return nil
}

// sendLetter builds the N1 letter and sends it as a document mail.
func sendLetter(ctx context.Context, out io.Writer, c *mssante.Client, to mail.Address) (*mail.Message, error) {
	pdf := letterPDF([]string{
		"Lettre de liaison a la sortie",
		"Patiente : Corse FIGATELLIX, nee le 12/10/1988",
		"Sortie le 20/11/2026 apres 3 jours d'hospitalisation.",
		"Dr Alice MARTIN",
	})
	doc, err := cda.NewN1(cda.N1{
		Type: cda.TypeLettreLiaisonSortie,
		Time: time.Now(),
		Patient: cda.Patient{
			INS:         &cda.INS{Matricule: "279035121518989", Kind: cda.INSTest},
			BirthFamily: "FIGATELLIX", BirthGivens: "CORSE", FirstGiven: "CORSE",
			Gender: "F", BirthDate: "19881012", BirthplaceCode: "2A004",
		},
		Authors: []cda.Author{{
			ID:           cda.II{Root: cda.OIDIdNatPS, Extension: "810000000001"},
			Specialty:    cda.Code{Code: "G15_10", CodeSystem: cda.OIDProfession},
			Person:       &cda.Name{Family: "MARTIN", Given: []string{"Alice"}},
			Organization: &cda.Organization{ID: cda.II{Root: cda.OIDIdNatStruct, Extension: "1750803447"}, Name: "Cabinet du Parc"},
		}},
		PracticeSetting: cda.PracticeAmbulatoire,
		Encounter:       cda.Encounter{FacilityType: cda.FacilityCabinetIndividuel},
		Content:         bytes.NewReader(pdf),
	})
	if err != nil {
		return nil, err
	}
	var xml bytes.Buffer
	if err := doc.Encode(&xml); err != nil {
		return nil, err
	}
	set, err := mail.NewDocumentSet([]mail.CDASource{{
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(xml.Bytes())), nil },
	}}, nil)
	if err != nil {
		return nil, err
	}
	msg := &mail.Message{
		To:                     []mail.Address{to},
		Text:                   "Cher confrère,\nvous trouverez ci-joint la lettre de liaison de votre patiente.\nBien confraternellement,\nDr Alice Martin\n",
		Documents:              set,
		RequestReadReceipt:     true,
		RequestDeliveryReceipt: true,
	}
	res, err := c.Send(ctx, msg)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "Dr A sends a %s (%d-byte PDF) to %s\n", cda.TypeLettreLiaisonSortie.DisplayName, len(pdf), strings.Join(res.Accepted(), ", "))
	fmt.Fprintf(out, "  Message-ID %s, delivery receipt requested: %v\n", res.MessageID, res.DSNRequested)
	return msg, nil
}

// readLetter shows what Dr B's software sees and returns a read receipt.
func readLetter(ctx context.Context, out io.Writer, c *mssante.Client, r *mssante.Received) error {
	m := r.Message
	defer m.Close() // large attachments live in temporary files
	fmt.Fprintf(out, "\nDr B receives a %s mail from %s\n", m.Kind(), m.From.Addr)
	fmt.Fprintf(out, "  subject   %s\n", m.DisplaySubject())
	fmt.Fprintf(out, "  X-MSS     CODECDA=%s INS=%s NIL=%s\n", strings.Join(m.CDACodes, ","), m.INS, m.ProductRef)
	// One call reads the IHE_XDM.ZIP: each document's metadata, CDA header,
	// patient and PDF copy, with their checks.
	docs, err := m.ReadDocuments(nil)
	if err != nil {
		return err
	}
	defer docs.Close()
	for _, d := range docs.Documents {
		if err := d.Err(); err != nil {
			// A hash mismatch, another patient, no PDF copy...: a person
			// decides, the software does not integrate it on its own.
			fmt.Fprintf(out, "  document  NOT integrated: %v\n", err)
			continue
		}
		p := d.Patient
		fmt.Fprintf(out, "  document  %s (%s), hash checked: %v\n", d.CDA.TypeDisplayName(), d.CDA.Code.Code, d.Entry.HashOK)
		fmt.Fprintf(out, "  patient   %s %s, born %s, INS %s (qualified: %v)\n", p.Family, p.Given, p.BirthDate.Format("02/01/2006"), p.INS, p.QualifiedINS)
		body, err := d.OpenBody()
		if err != nil {
			return err
		}
		n, err := io.Copy(io.Discard, body) // into the patient record
		body.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  content   %s, %d bytes\n", d.CDA.Body.MediaType, n)
		fmt.Fprintf(out, "  PDF copy  %s (same as the document's: %v)\n", d.PDF.Filename, d.PDFMatchesBody)
	}
	mdn, err := mail.NewMDN(m, mail.MDNOptions{From: c.Address(), Type: mail.Displayed})
	if err != nil {
		return err
	}
	if _, err := c.Send(ctx, mdn); err != nil {
		return err
	}
	fmt.Fprintln(out, "Dr B returns a read receipt (MDN displayed)")
	return nil
}

// report prints a DSN or MDN about sent and says which it was.
func report(out io.Writer, m *mail.Message, sent *mail.Message) (delivered, read bool) {
	switch {
	case m == nil:
	case m.DSN != nil && m.DSN.OriginalEnvelopeID == mssante.EnvelopeID(sent.MessageID):
		for _, r := range m.DSN.Recipients {
			fmt.Fprintf(out, "  delivery report: %s %s (%s)\n", r.Recipient(), r.Action, r.Status)
			if err := r.Err(); err != nil {
				fmt.Fprintf(out, "    %v\n", err)
			}
			delivered = delivered || r.Action == mail.ActionDelivered || r.Action == mail.ActionRelayed
		}
	case m.MDN != nil && m.MDN.OriginalMessageID == sent.MessageID:
		fmt.Fprintf(out, "  read receipt: %s by %s (%s)\n", m.MDN.Disposition.Type, m.MDN.FinalRecipient, m.MDN.Disposition)
		if err := m.MDN.Err(); err != nil {
			fmt.Fprintf(out, "    %v\n", err)
		}
		read = m.MDN.Disposition.Type == mail.Displayed || m.MDN.Disposition.Type == mail.Processed
	}
	return delivered, read
}

// runReal plays Dr A against a real operator configured by MSSANTE_*.
func runReal(ctx context.Context, out io.Writer, getenv mssenv.Getenv) error {
	cfg, err := mssenv.Load(ctx, getenv)
	if err != nil {
		return err
	}
	to, err := mail.ParseAddress(getenv("MSSANTE_TO"))
	if err != nil {
		return fmt.Errorf("MSSANTE_TO: %w", err)
	}
	wait := 2 * time.Minute
	if w := getenv("MSSANTE_WAIT"); w != "" {
		if wait, err = time.ParseDuration(w); err != nil {
			return fmt.Errorf("MSSANTE_WAIT: %w", err)
		}
	}
	c, err := mssante.NewClient(cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	// Start from the end of the mailbox: only new reports matter.
	var cursor mssante.Cursor
	for r, err := range c.Sync(ctx, "INBOX", &cursor) {
		if err != nil {
			return err
		}
		if r.Message != nil {
			r.Message.Close()
		}
	}
	sent, err := sendLetter(ctx, out, c, to)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Waiting up to %s for the reports…\n", wait)
	deadline := time.Now().Add(wait)
	var delivered, read bool
	for time.Now().Before(deadline) && !(delivered && read) {
		for r, err := range c.Sync(ctx, "INBOX", &cursor) {
			if err != nil {
				return err
			}
			if r.Err != nil {
				fmt.Fprintf(out, "message %d could not be read: %v\n", r.UID, r.Err)
				continue
			}
			d, m := report(out, r.Message, sent)
			r.Message.Close()
			delivered, read = delivered || d, read || m
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
		}
	}
	fmt.Fprintf(out, "delivered: %v, read: %v\n", delivered, read)
	return nil
}
