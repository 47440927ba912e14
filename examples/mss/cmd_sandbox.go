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
//	mss sandbox [--mailbox ADDR[:PER|ORG|APP]]… [--ca-out ca.pem] [--implicit-tls] [--json]
//
// With --json the settings are one JSON object (JSON.md), printed once the
// operator listens.
func runSandbox(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "sandbox")
	var boxes listFlag
	fs.Var(&boxes, "mailbox", "mailbox `address[:kind]` to create (repeatable; kind PER, ORG or APP; default two doctors and an application)")
	caOut := fs.String("ca-out", "", "write the sandbox's root certificate (PEM) to `file`, for a mail client's trust store")
	implicit := fs.Bool("implicit-tls", false, "serve SMTP and IMAP over implicit TLS instead of STARTTLS")
	asJSON := fs.Bool("json", false, "print the settings as JSON")
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
	out := sandboxJSON{SMTP: s.SMTPAddr, IMAP: s.IMAPAddr, ImplicitTLS: *implicit, Domains: mssantetest.DefaultDomains(), Mailboxes: []sandboxMailboxJSON{}}
	if *caOut != "" {
		if err := os.WriteFile(*caOut, testpki.PEM(s.RootCertificate()), 0o644); err != nil {
			return flagFileError("ca-out", *caOut, err)
		}
		out.RootCertificate = *caOut
	}
	for _, spec := range boxes {
		addr, kind, _ := strings.Cut(spec, ":")
		if kind == "" {
			kind = "PER"
		}
		mb, err := s.AddMailbox(addr, mssantetest.MailboxType(strings.ToUpper(kind)), nil)
		if err != nil {
			return flagError("mailbox", err)
		}
		tok, err := s.Token(mb.Address)
		if err != nil {
			return err
		}
		out.Mailboxes = append(out.Mailboxes, sandboxMailboxJSON{Address: mb.Address, MailboxType: string(mb.Type), Password: mb.Password, Token: tok})
	}
	if *asJSON {
		if err := writeJSON(e.stdout, out); err != nil {
			return err
		}
		fmt.Fprintln(e.stderr, "mss sandbox: running; press Ctrl-C to stop.")
		<-ctx.Done()
		return nil
	}
	w := e.stdout
	fmt.Fprintln(w, "MSSanté sandbox operator (in process, loopback only)")
	mode := "STARTTLS"
	if *implicit {
		mode = "implicit TLS"
	}
	fmt.Fprintf(w, "  SMTP submission  %s (%s)\n  IMAP             %s (%s)\n", s.SMTPAddr, mode, s.IMAPAddr, mode)
	fmt.Fprintf(w, "  domains          %s\n", strings.Join(mssantetest.DefaultDomains(), ", "))
	if out.RootCertificate != "" {
		fmt.Fprintf(w, "  root certificate %s\n", out.RootCertificate)
	}
	fmt.Fprintln(w, "Mailboxes:")
	for _, mb := range out.Mailboxes {
		fmt.Fprintf(w, "  %s (%s)\n    PLAIN password  %s\n    XOAUTH2 token   %s\n", mb.Address, mb.MailboxType, mb.Password, mb.Token)
	}
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
	<-ctx.Done()
	return nil
}

// sandboxJSON is the --json output of "mss sandbox" (JSON.md).
type sandboxJSON struct {
	SMTP            string               `json:"smtp"` // host:port
	IMAP            string               `json:"imap"`
	ImplicitTLS     bool                 `json:"implicitTls"`
	Domains         []string             `json:"domains"`
	RootCertificate string               `json:"rootCertificate,omitempty"` // the --ca-out file
	Mailboxes       []sandboxMailboxJSON `json:"mailboxes"`
}

type sandboxMailboxJSON struct {
	Address     string `json:"address"`
	MailboxType string `json:"mailboxType"` // PER, ORG or APP
	Password    string `json:"password"`
	Token       string `json:"token"` // XOAUTH2 access token
}
