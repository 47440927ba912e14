package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mssante-go/sdk/mssante"
)

// runCompose writes an RFC 5322 MSSanté message:
//
//	mss compose --from A --to B[,C] [--cc …] [--bcc …] --subject S --text T
//	    [--html H] [--attach FILE]… [--read-receipt] [--return-receipt]
//	    [--end-conversation] [--cda FILE.xml]… [--product-ref REF] [-o out.eml]
//
// With --cda the message is a document mail: IHE_XDM.ZIP, one PDF copy per
// document, X-MSS-CODECDA and X-MSS-INS, and the XDM/1.0/DDM+ subject
// (--subject then gives its label).
//
// The product reference defaults to $MSSANTE_PRODUCT_REF.
func runCompose(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "compose")
	var to, cc, bcc, attach, cdas listFlag
	from := fs.String("from", "", "sender `address`, optionally with a display name: \"Dr_Marie_MARTIN <m@medecin.mssante.fr>\"")
	fs.Var(&to, "to", "recipient `address`es (repeatable, comma-separated)")
	fs.Var(&cc, "cc", "copy `address`es")
	fs.Var(&bcc, "bcc", "blind copy `address`es")
	subject := fs.String("subject", "", "subject")
	text := fs.String("text", "", "body text (UTF-8)")
	html := fs.String("html", "", "optional HTML alternative of the text")
	fs.Var(&attach, "attach", "`file` to attach (repeatable)")
	fs.Var(&cdas, "cda", "CDA R2 `file` to send as a document mail (repeatable; one patient)")
	readReceipt := fs.Bool("read-receipt", false, "request a read receipt (Disposition-Notification-To)")
	returnReceipt := fs.Bool("return-receipt", false, "also add the legacy Return-Receipt-To header")
	endConv := fs.Bool("end-conversation", false, "add X-MSS-MES: FIN (the patient may not reply)")
	productRef := fs.String("product-ref", os.Getenv("MSSANTE_PRODUCT_REF"), "X-MSS-NIL product `reference` (default $MSSANTE_PRODUCT_REF)")
	out := fs.String("o", "", "write the message to `file` instead of standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *from == "" || len(to)+len(cc)+len(bcc) == 0 {
		return errors.New("--from and at least one of --to, --cc, --bcc are required")
	}
	msg := &mssante.Message{
		Subject: *subject, Text: *text, HTML: *html,
		RequestReadReceipt: *readReceipt, ReturnReceiptTo: *returnReceipt, EndConversation: *endConv,
		ProductRef: *productRef,
	}
	var err error
	if msg.From, err = mssante.ParseAddress(*from); err != nil {
		return err
	}
	for _, l := range []struct {
		dst  *[]mssante.Address
		list listFlag
	}{{&msg.To, to}, {&msg.Cc, cc}, {&msg.Bcc, bcc}} {
		for _, s := range l.list {
			a, err := mssante.ParseAddress(s)
			if err != nil {
				return err
			}
			*l.dst = append(*l.dst, a)
		}
	}
	for _, path := range attach {
		a, err := mssante.FileAttachment(path)
		if err != nil {
			return err
		}
		msg.Attachments = append(msg.Attachments, a)
	}
	if len(cdas) > 0 {
		sources := make([]mssante.CDASource, len(cdas))
		for i, path := range cdas {
			sources[i] = mssante.CDAFile(path)
		}
		if msg.Documents, err = mssante.NewDocumentSet(sources, nil); err != nil {
			return err
		}
	}
	if err := msg.Validate(); err != nil {
		return err
	}
	return writeOutput(e, *out, func(w io.Writer) error { return msg.Encode(w, nil) })
}

// writeOutput runs write to the named file, or to standard output when name
// is empty. A file is removed again when write fails, so that no truncated
// output is left behind.
func writeOutput(e *env, name string, write func(io.Writer) error) error {
	if name == "" {
		return write(e.stdout)
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(name)
		return err
	}
	return f.Close()
}
