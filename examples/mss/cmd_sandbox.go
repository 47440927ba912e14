package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// runSandbox starts the in-process test operator and prints how to connect
// a mail client or the SDK to it, until interrupted:
//
//	mss sandbox [--mailbox ADDR[:PER|ORG|APP]]… [--ca-out ca.pem] [--implicit-tls]
func runSandbox(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "sandbox")
	var boxes listFlag
	fs.Var(&boxes, "mailbox", "mailbox `address[:kind]` to create (repeatable; kind PER, ORG or APP; default two doctors and an application)")
	caOut := fs.String("ca-out", "", "write the sandbox's root certificate (PEM) to `file`, for a mail client's trust store")
	implicit := fs.Bool("implicit-tls", false, "serve SMTP and IMAP over implicit TLS instead of STARTTLS")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(boxes) == 0 {
		boxes = listFlag{"dr.a@medecin.mssante.fr:PER", "dr.b@ch-test.mssante.fr:PER", "integration@ch-test.mssante.fr:APP"}
	}
	s, err := mssantetest.NewServer(&mssantetest.Options{ImplicitTLS: *implicit})
	if err != nil {
		return err
	}
	defer s.Close()
	w := e.stdout
	fmt.Fprintln(w, "MSSanté sandbox operator (in process, loopback only)")
	mode := "STARTTLS"
	if *implicit {
		mode = "implicit TLS"
	}
	fmt.Fprintf(w, "  SMTP submission  %s (%s)\n  IMAP             %s (%s)\n", s.SMTPAddr, mode, s.IMAPAddr, mode)
	fmt.Fprintf(w, "  domains          %s\n", strings.Join(mssantetest.DefaultDomains(), ", "))
	if *caOut != "" {
		if err := os.WriteFile(*caOut, testpki.PEM(s.RootCertificate()), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(w, "  root certificate %s\n", *caOut)
	}
	fmt.Fprintln(w, "Mailboxes:")
	for _, spec := range boxes {
		addr, kind, _ := strings.Cut(spec, ":")
		if kind == "" {
			kind = "PER"
		}
		mb, err := s.AddMailbox(addr, mssantetest.MailboxType(strings.ToUpper(kind)), nil)
		if err != nil {
			return err
		}
		tok, err := s.Token(mb.Address)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %s (%s)\n    PLAIN password  %s\n    XOAUTH2 token   %s\n", mb.Address, mb.Type, mb.Password, tok)
	}
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
	<-ctx.Done()
	return nil
}
