package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/mssante-go/sdk/mssante/mail"
)

// runCompose writes an RFC 5322 MSSanté message:
//
//	mss compose --from A --to B[,C] [--cc …] [--bcc …] --subject S --text T
//	    [--html H] [--attach FILE]… [--read-receipt] [--return-receipt]
//	    [--end-conversation] [--cda FILE.xml [--pdf FILE.pdf]]… [--product-ref REF]
//	    [-o out.eml]
//
// With --cda the message is a document mail: IHE_XDM.ZIP, one PDF copy per
// document, X-MSS-CODECDA and X-MSS-INS, and the XDM/1.0/DDM+ subject
// (--subject then gives its label). The PDF copy of an N1 document is the
// PDF it embeds; a --pdf after a --cda gives that document's copy, which an
// N3 document (a structured body) needs (Ref#2 ECO.2.1.1).
//
// The product reference defaults to $MSSANTE_PRODUCT_REF.
func runCompose(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "compose")
	mf := addMessageFlags(fs, true)
	out := fs.String("o", "", "write the message to `file` instead of standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	msg, err := mf.message()
	if err != nil {
		return err
	}
	if err := msg.Validate(); err != nil {
		return err
	}
	return writeOutput(e, *out, func(w io.Writer) error { return msg.Encode(w, nil) })
}

// messageFlags are the flags that describe a message, shared by compose and
// send.
type messageFlags struct {
	from                                *string
	to, cc, bcc, attach                 listFlag
	documents                           documentFlags
	subject, text, html, productRef     *string
	readReceipt, returnReceipt, endConv *bool
	deliveryReceipt                     *bool
	fromRequired                        bool
}

// addMessageFlags registers the message flags. With fromRequired, --from
// must be given (compose); otherwise the client's mailbox is the sender.
func addMessageFlags(fs *flag.FlagSet, fromRequired bool) *messageFlags {
	m := &messageFlags{fromRequired: fromRequired}
	m.from = fs.String("from", "", "sender `address`, optionally with a display name: \"Dr_Marie_MARTIN <m@medecin.mssante.fr>\"")
	fs.Var(&m.to, "to", "recipient `address`es (repeatable, comma-separated)")
	fs.Var(&m.cc, "cc", "copy `address`es")
	fs.Var(&m.bcc, "bcc", "blind copy `address`es")
	m.subject = fs.String("subject", "", "subject")
	m.text = fs.String("text", "", "body text (UTF-8)")
	m.html = fs.String("html", "", "optional HTML alternative of the text")
	fs.Var(&m.attach, "attach", "`file` to attach (repeatable)")
	fs.Var(cdaFlag{&m.documents}, "cda", "CDA R2 `file` to send as a document mail (repeatable; one patient)")
	fs.Var(pdfFlag{&m.documents}, "pdf", "PDF `file`: the copy of the document of the --cda before it (required for an N3 document)")
	m.readReceipt = fs.Bool("read-receipt", false, "request a read receipt (Disposition-Notification-To)")
	m.returnReceipt = fs.Bool("return-receipt", false, "also add the legacy Return-Receipt-To header")
	m.deliveryReceipt = fs.Bool("delivery-receipt", !fromRequired, "request delivery receipts (DSN) when sending")
	m.endConv = fs.Bool("end-conversation", false, "add X-MSS-MES: FIN (the patient may not reply)")
	m.productRef = fs.String("product-ref", os.Getenv("MSSANTE_PRODUCT_REF"), "X-MSS-NIL product `reference` (default $MSSANTE_PRODUCT_REF)")
	return m
}

// message builds the message the flags describe.
func (f *messageFlags) message() (*mail.Message, error) {
	if (f.fromRequired && *f.from == "") || len(f.to)+len(f.cc)+len(f.bcc) == 0 {
		if f.fromRequired {
			return nil, errors.New("--from and at least one of --to, --cc, --bcc are required")
		}
		return nil, errors.New("at least one of --to, --cc, --bcc is required")
	}
	msg := &mail.Message{
		Subject: *f.subject, Text: *f.text, HTML: *f.html,
		RequestReadReceipt: *f.readReceipt, ReturnReceiptTo: *f.returnReceipt, EndConversation: *f.endConv,
		RequestDeliveryReceipt: *f.deliveryReceipt,
		ProductRef:             *f.productRef,
	}
	var err error
	if *f.from != "" {
		if msg.From, err = mail.ParseAddress(*f.from); err != nil {
			return nil, err
		}
		// Ref#2 ECO.2.2.7: "Dr_Marie_MARTIN", not "Dr_MARTIN" nor
		// "Jean_Pierre_MARTIN" (which reads NOM "Pierre").
		if err := mail.CheckDisplayName(msg.From.Name); err != nil {
			return nil, fmt.Errorf("--from: %w", err)
		}
	}
	for _, l := range []struct {
		dst  *[]mail.Address
		list listFlag
	}{{&msg.To, f.to}, {&msg.Cc, f.cc}, {&msg.Bcc, f.bcc}} {
		for _, s := range l.list {
			a, err := mail.ParseAddress(s)
			if err != nil {
				return nil, err
			}
			*l.dst = append(*l.dst, a)
		}
	}
	for _, path := range f.attach {
		a, err := mail.FileAttachment(path)
		if err != nil {
			return nil, err
		}
		msg.Attachments = append(msg.Attachments, a)
	}
	if len(f.documents) > 0 {
		sources := make([]mail.CDASource, len(f.documents))
		for i, d := range f.documents {
			sources[i] = mail.CDAFile(d.cda)
			if d.pdf != "" {
				path := d.pdf
				sources[i].PDF = func() (io.ReadCloser, error) { return os.Open(path) }
			}
		}
		if msg.Documents, err = mail.NewDocumentSet(sources, nil); err != nil {
			return nil, err
		}
	}
	return msg, nil
}

// documentFlags are the --cda files in order, each with the --pdf that
// follows it, if any.
type documentFlags []struct{ cda, pdf string }

// cdaFlag adds a document; pdfFlag gives the last one its PDF copy.
type (
	cdaFlag struct{ d *documentFlags }
	pdfFlag struct{ d *documentFlags }
)

func (f cdaFlag) String() string { return "" }
func (f cdaFlag) Set(v string) error {
	*f.d = append(*f.d, struct{ cda, pdf string }{cda: v})
	return nil
}

func (f pdfFlag) String() string { return "" }
func (f pdfFlag) Set(v string) error {
	n := len(*f.d)
	switch {
	case n == 0:
		return errors.New("--pdf must follow the --cda of its document")
	case (*f.d)[n-1].pdf != "":
		return fmt.Errorf("--cda %s has two --pdf", (*f.d)[n-1].cda)
	}
	if err := checkPDF(v); err != nil {
		return err
	}
	(*f.d)[n-1].pdf = v
	return nil
}

// checkPDF refuses a file that does not start like a PDF (%PDF-): a PDF
// copy that is not one would reach the recipient as a broken document.
func checkPDF(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 5)
	if _, err := io.ReadFull(f, head); err != nil || string(head) != "%PDF-" {
		return fmt.Errorf("%s is not a PDF (it does not start with %%PDF-)", path)
	}
	return nil
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
