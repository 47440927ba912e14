package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mssante-go/sdk/mssante/mail"
)

// runCompose writes an RFC 5322 MSSanté message:
//
//	mss compose --from A --to B[,C] [--cc …] [--bcc …] --subject S --text T
//	    [--html H] [--attach FILE]… [--read-receipt] [--return-receipt]
//	    [--end-conversation] [--cda FILE.xml [--pdf FILE.pdf]]…
//	    [--product-ref REF | --no-product-ref] [-o out.eml]
//
// With --cda the message is a document mail: IHE_XDM.ZIP, one PDF copy per
// document, X-MSS-CODECDA and X-MSS-INS, and the XDM/1.0/DDM+ subject
// (--subject then gives its label). The PDF copy of an N1 document is the
// PDF it embeds; a --pdf after a --cda gives that document's copy, which an
// N3 document (a structured body) needs (Ref#2 ECO.2.1.1).
//
// The product reference (X-MSS-NIL, on every message: Ref#2 ECO.2.4.1)
// defaults to $MSSANTE_PRODUCT_REF; without one, --no-product-ref says the
// message is a draft, which mss send refuses. Bcc recipients are not
// written in a message: give them to mss send.
func runCompose(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("compose")
	mf := addMessageFlags(fs, true)
	out := fs.String("o", "", "write the message to `file` instead of standard output")
	fs.Require("from")
	fs.Require("to", "cc", "bcc")
	fs.Require("product-ref", "no-product-ref")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *mf.productRef != "" && *mf.noProductRef && fs.IsSet("product-ref") {
		return fs.usageErrorf("--product-ref and --no-product-ref exclude each other")
	}
	if *mf.noProductRef {
		*mf.productRef = ""
	}
	msg, err := mf.message(e)
	if err != nil {
		return err
	}
	if err := msg.Validate(); err != nil {
		return messageError(err)
	}
	if len(msg.Bcc) > 0 {
		fmt.Fprintln(e.stderr, "warning: Bcc recipients are never written in a message: give them to mss send with --bcc")
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
	deliveryReceipt, noProductRef       *bool
}

// addMessageFlags registers the message flags. compose writes a message
// (--from, --no-product-ref); send takes its sender from MSSANTE_ADDRESS and
// its product reference from MSSANTE_PRODUCT_REF too.
func addMessageFlags(fs *flagSet, compose bool) *messageFlags {
	m := &messageFlags{}
	if compose {
		m.from = fs.String("from", "", "sender `address`, optionally with a display name: \"Dr_Marie_MARTIN <m@medecin.mssante.fr>\"")
	} else {
		m.from = new(string)
	}
	toUsage := "recipient `address`es (repeatable, comma-separated)"
	if !compose {
		toUsage += "; with FILE.eml, --to, --cc and --bcc replace its recipients. One of them is required without FILE.eml"
	}
	fs.Var(&m.to, "to", toUsage)
	fs.Var(&m.cc, "cc", "copy `address`es")
	fs.Var(&m.bcc, "bcc", "blind copy `address`es")
	m.subject = fs.String("subject", "", "the `subject` (of a document mail: its label after XDM/1.0/DDM+)")
	m.text = fs.String("text", "", "body `text` (UTF-8)")
	m.html = fs.String("html", "", "optional `HTML` alternative of the text")
	fs.Var(&m.attach, "attach", "`file` to attach (repeatable)")
	fs.Var(cdaFlag{&m.documents}, "cda", "CDA R2 `file` to send as a document mail (repeatable; one patient)")
	fs.Var(pdfFlag{&m.documents}, "pdf", "PDF/A-1 `file`: the copy of the document of the --cda before it (required for an N3 document)")
	m.readReceipt = fs.Bool("read-receipt", false, "request a read receipt (Disposition-Notification-To)")
	m.returnReceipt = fs.Bool("return-receipt", false, "also add the legacy Return-Receipt-To header")
	m.deliveryReceipt = fs.Bool("delivery-receipt", !compose, "request delivery receipts (DSN) when sending")
	m.endConv = fs.Bool("end-conversation", false, "add X-MSS-MES: FIN (the patient may not reply)")
	m.productRef = fs.String("product-ref", os.Getenv("MSSANTE_PRODUCT_REF"), "X-MSS-NIL product `reference` (default $MSSANTE_PRODUCT_REF)")
	if compose {
		m.noProductRef = fs.Bool("no-product-ref", false, "write a draft without X-MSS-NIL (mss send refuses it)")
	} else {
		m.noProductRef = new(bool)
	}
	return m
}

// message builds the message the flags describe. Errors name the flag at
// fault.
func (f *messageFlags) message(e *env) (*mail.Message, error) {
	msg := &mail.Message{
		Subject: *f.subject, Text: *f.text, HTML: *f.html,
		RequestReadReceipt: *f.readReceipt, ReturnReceiptTo: *f.returnReceipt, EndConversation: *f.endConv,
		RequestDeliveryReceipt: *f.deliveryReceipt,
		ProductRef:             *f.productRef,
	}
	var err error
	if *f.from != "" {
		if msg.From, err = mail.ParseAddress(*f.from); err != nil {
			return nil, flagError("from", err)
		}
		// Ref#2 ECO.2.2.7: "Dr_Marie_MARTIN", not "Dr_MARTIN" nor
		// "Jean_Pierre_MARTIN" (which reads NOM "Pierre").
		if err := mail.CheckDisplayName(msg.From.Name); err != nil {
			return nil, flagError("from", err)
		}
	}
	if msg.To, msg.Cc, msg.Bcc, err = parseRecipients(f.to, f.cc, f.bcc); err != nil {
		return nil, err
	}
	for _, path := range f.attach {
		a, err := mail.FileAttachment(path)
		if err != nil {
			return nil, flagFileError("attach", path, err)
		}
		msg.Attachments = append(msg.Attachments, a)
	}
	if len(f.documents) > 0 {
		sources := make([]mail.CDASource, len(f.documents))
		for i, d := range f.documents {
			if _, err := os.Stat(d.cda); err != nil {
				return nil, flagFileError("cda", d.cda, err)
			}
			sources[i] = mail.CDAFile(d.cda)
			if d.pdf != "" {
				info, err := checkPDF(d.pdf)
				if err != nil {
					return nil, flagFileError("pdf", d.pdf, err)
				}
				if w := pdfWarning("pdf", d.pdf, info); w != "" {
					fmt.Fprintln(e.stderr, w)
				}
				path := d.pdf
				sources[i].PDF = func() (io.ReadCloser, error) { return os.Open(path) }
			}
		}
		if msg.Documents, err = mail.NewDocumentSet(sources, nil); err != nil {
			var de *mail.DocumentError
			if errors.As(err, &de) && de.Index >= 0 && de.Index < len(f.documents) {
				return nil, flagFileError("cda", f.documents[de.Index].cda, de.Err)
			}
			return nil, flagError("cda", err)
		}
	}
	return msg, nil
}

// parseRecipients reads the --to, --cc and --bcc lists.
func parseRecipients(to, cc, bcc listFlag) (_, _, _ []mail.Address, err error) {
	var out [3][]mail.Address
	for i, l := range []struct {
		flag string
		list listFlag
	}{{"to", to}, {"cc", cc}, {"bcc", bcc}} {
		for _, s := range l.list {
			a, err := mail.ParseAddress(s)
			if err != nil {
				return nil, nil, nil, flagError(l.flag, err)
			}
			out[i] = append(out[i], a)
		}
	}
	return out[0], out[1], out[2], nil
}

// messageError names the flag behind an error of Message.Validate.
func messageError(err error) error {
	var he *mail.HeaderError
	if errors.As(err, &he) {
		switch strings.ToLower(he.Field) {
		case "subject":
			return flagError("subject", he.Err)
		case "filename", "attachment content type":
			return flagError("attach", err)
		case strings.ToLower(mail.HeaderNIL):
			return flagError("product-ref", he.Err)
		}
	}
	return err
}

// documentFlags are the --cda files in order, each with the --pdf that
// follows it, if any.
type documentFlags []struct{ cda, pdf string }

// cdaFlag adds a document; pdfFlag gives the last one its PDF copy.
type (
	cdaFlag struct{ d *documentFlags }
	pdfFlag struct{ d *documentFlags }
)

func (f cdaFlag) String() string {
	if f.d == nil || len(*f.d) == 0 {
		return ""
	}
	return (*f.d)[0].cda
}

func (f cdaFlag) Set(v string) error {
	*f.d = append(*f.d, struct{ cda, pdf string }{cda: v})
	return nil
}

func (f pdfFlag) String() string { return "" }
func (f pdfFlag) Set(v string) error {
	n := len(*f.d)
	switch {
	case n == 0:
		return errors.New("must follow the --cda of its document")
	case (*f.d)[n-1].pdf != "":
		return fmt.Errorf("a second --pdf for --cda %s", (*f.d)[n-1].cda)
	}
	(*f.d)[n-1].pdf = v
	return nil
}

// writeOutput runs write to the named file (--o), or to standard output
// when name is empty. The file is written through a temporary one
// (writeFileAtomic): a failure leaves no truncated output behind. write's
// own error is returned as it is; the file's are said about --o.
func writeOutput(e *env, name string, write func(io.Writer) error) error {
	if name == "" {
		return write(e.stdout)
	}
	var werr error
	err := writeFileAtomic(name, func(w io.Writer) error {
		werr = write(w)
		return werr
	})
	if err != nil && err != werr {
		return flagFileError("o", name, err)
	}
	return err
}
