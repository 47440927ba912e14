package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/mssante/delivery/boltstore"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// defaultSandboxProductRef is the X-MSS-NIL of the settings block when
// --product-ref is not given: the one mssantetest.Server.Config uses.
const defaultSandboxProductRef = "MSSANTETEST"

// runSandbox starts the in-process test operator and prints how to connect
// a mail client or the SDK to it, until interrupted:
//
//	mss sandbox [--mailbox ADDR[:PER|ORG|APP]]… [--as ADDR] [--dir DIR] [--env-file FILE]
//	    [--product-ref REF] [--ca-out ca.pem] [--implicit-tls] [--json]
//
// It prints (and --env-file writes) a block of "export MSSANTE_…=…" lines
// for one of its mailboxes, with which mss send, mss sync, mss track and the
// examples work against it with no other setting: the servers, a token (a
// certificate and its key for an APP mailbox), the anchors and a liste
// blanche written in --dir, a store for the tracker, a product reference,
// and MSSANTE_TO, another mailbox. The operator publishes its CRLs and OCSP
// answers on loopback, so the default revocation policy (hard) applies;
// MSSANTE_ANCHORS is trusted as given because both servers are on loopback
// (examples/internal/mssenv).
//
// Standard output is the description as shell comments, then the block:
// it can be pasted into a shell as it is. With --json the settings are one
// JSON object (JSON.md) instead. Both are printed once the operator
// listens; --env-file is written before.
func runSandbox(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("sandbox")
	var boxes listFlag
	fs.Var(&boxes, "mailbox", "mailbox `address[:kind]` to create (repeatable; kind PER, ORG or APP; default two doctors and an application)")
	as := fs.String("as", "", "the mailbox `address` of the MSSANTE_* settings (default: the first mailbox)")
	dirFlag := fs.String("dir", "", "write the settings' files (anchors, liste blanche, tracker store...) in `DIR`, kept after the sandbox stops (default: a temporary directory, removed)")
	envFile := fs.String("env-file", "", "also write the MSSANTE_* settings to `FILE`, to source in another shell")
	productRef := fs.String("product-ref", defaultSandboxProductRef, "the X-MSS-NIL product `reference` of the settings (MSSANTE_PRODUCT_REF)")
	caOut := fs.String("ca-out", "", "write the sandbox's root certificate (PEM) to `file`, for a mail client's trust store")
	implicit := fs.Bool("implicit-tls", false, "serve SMTP and IMAP over implicit TLS instead of STARTTLS")
	asJSON := fs.Bool("json", false, "print the settings as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(boxes) == 0 {
		boxes = listFlag{"dr.a@medecin.mssante.fr:PER", "dr.b@ch-test.mssante.fr:PER", "integration@ch-test.mssante.fr:APP"}
	}
	s, err := mssantetest.NewServer(&mssantetest.Options{ImplicitTLS: *implicit, ServeRevocation: true})
	if err != nil {
		return err
	}
	defer s.Close()
	out := sandboxJSON{SMTP: s.SMTPAddr, IMAP: s.IMAPAddr, ImplicitTLS: *implicit, RevocationURL: s.RevocationURL,
		Domains: mssantetest.DefaultDomains(), Mailboxes: []sandboxMailboxJSON{}}
	if *caOut != "" {
		if err := os.WriteFile(*caOut, testpki.PEM(s.RootCertificate()), 0o644); err != nil {
			return flagFileError("ca-out", *caOut, err)
		}
		out.RootCertificate = *caOut
	}
	types := map[string]mssantetest.MailboxType{}
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
		types[mb.Address] = mb.Type
		out.Mailboxes = append(out.Mailboxes, sandboxMailboxJSON{Address: mb.Address, MailboxType: string(mb.Type), Password: mb.Password, Token: tok})
	}
	self := out.Mailboxes[0]
	if *as != "" {
		i := slices.IndexFunc(out.Mailboxes, func(m sandboxMailboxJSON) bool { return strings.EqualFold(m.Address, strings.TrimSpace(*as)) })
		if i < 0 {
			return fs.usageErrorf("--as %s: not one of the sandbox's mailboxes (--mailbox)", *as)
		}
		self = out.Mailboxes[i]
	}

	dir := *dirFlag
	if dir == "" {
		if dir, err = os.MkdirTemp("", "mss-sandbox-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		out.TemporaryDir = true
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return flagFileError("dir", dir, err)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	out.Dir = dir
	vars, err := writeSandboxFiles(s, dir, *implicit, self, types[self.Address], *productRef)
	if err != nil {
		if *dirFlag != "" {
			return flagFileError("dir", *dirFlag, err)
		}
		return err
	}
	for _, m := range out.Mailboxes {
		if m.Address != self.Address {
			vars = append(vars, sandboxVar{"MSSANTE_TO", m.Address}) // the quickstart's recipient
			break
		}
	}
	out.Env = map[string]string{}
	for _, v := range vars {
		out.Env[v.name] = v.value
	}
	block := envBlock(self.Address, vars)
	if *envFile != "" {
		// Written whole or not at all, readable by its owner only (0600:
		// it holds a token).
		if err := writeFileAtomic(*envFile, func(w io.Writer) error { _, err := w.Write(block); return err }); err != nil {
			return flagFileError("env-file", *envFile, err)
		}
		out.EnvFile = *envFile
	}

	if *asJSON {
		if err := writeJSON(e.stdout, out); err != nil {
			return err
		}
	} else {
		printSandbox(e.stdout, &out, block)
	}
	fmt.Fprintln(e.stderr, "mss sandbox: running; press Ctrl-C to stop.")
	<-ctx.Done()
	return nil
}

// sandboxVar is one line of the settings block.
type sandboxVar struct{ name, value string }

// sandboxUnset are the MSSANTE_* variables of the operator configuration
// (mssenv) that the block may not set: it unsets them, so that a shell
// configured for another operator takes the sandbox's settings alone (one
// way to authenticate, the default revocation policy).
var sandboxUnset = []string{"MSSANTE_IMPLICIT_TLS", "MSSANTE_SRV_TARGETS", "MSSANTE_TOKEN", "MSSANTE_CERT", "MSSANTE_KEY",
	"MSSANTE_P12", "MSSANTE_P12_PASSWORD", "MSSANTE_PASSWORD", "MSSANTE_ANCHORS_AS_GIVEN", "MSSANTE_REVOCATION"}

// writeSandboxFiles writes in dir what the settings of mailbox self name,
// and returns the settings in the order of the README's table: the
// anchors (the sandbox's root), the liste blanche of its domains, an empty
// tracker store, and for an APP mailbox its certificate and key.
func writeSandboxFiles(s *mssantetest.Server, dir string, implicit bool, self sandboxMailboxJSON, typ mssantetest.MailboxType, productRef string) ([]sandboxVar, error) {
	vars := []sandboxVar{{"MSSANTE_ADDRESS", self.Address}, {"MSSANTE_SMTP", s.SMTPAddr}, {"MSSANTE_IMAP", s.IMAPAddr}}
	if implicit {
		vars = append(vars, sandboxVar{"MSSANTE_IMPLICIT_TLS", "1"})
	}
	if typ == mssantetest.MailboxAPP {
		cert, err := s.ClientCertificate(self.Address)
		if err != nil {
			return nil, err
		}
		key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
		if err != nil {
			return nil, err
		}
		certPath, keyPath := filepath.Join(dir, "client-cert.pem"), filepath.Join(dir, "client-key.pem")
		if err := os.WriteFile(certPath, testpki.PEM(cert.Leaf, s.IntermediateCertificate()), 0o600); err != nil {
			return nil, err
		}
		if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600); err != nil {
			return nil, err
		}
		vars = append(vars, sandboxVar{"MSSANTE_CERT", certPath}, sandboxVar{"MSSANTE_KEY", keyPath})
	} else {
		vars = append(vars, sandboxVar{"MSSANTE_TOKEN", self.Token})
	}
	anchors := filepath.Join(dir, "anchors.pem")
	if err := os.WriteFile(anchors, testpki.PEM(s.RootCertificate()), 0o644); err != nil {
		return nil, err
	}
	var list bytes.Buffer
	if err := s.WriteTrustList(&list); err != nil {
		return nil, err
	}
	listPath := filepath.Join(dir, "listeblanche.xml")
	if err := os.WriteFile(listPath, list.Bytes(), 0o644); err != nil {
		return nil, err
	}
	store := filepath.Join(dir, "tracker.db")
	st, err := boltstore.Open(store, nil) // created empty: mss track lists nothing rather than failing
	if err != nil {
		return nil, err
	}
	if err := st.Close(); err != nil {
		return nil, err
	}
	return append(vars,
		sandboxVar{"MSSANTE_ANCHORS", anchors},
		sandboxVar{"MSSANTE_TRUST_LIST", listPath},
		sandboxVar{"MSSANTE_PRODUCT_REF", productRef},
		sandboxVar{"MSSANTE_STORE", store},
	), nil
}

// envBlock is the settings as shell lines: a comment, the unset line, one
// export per variable.
func envBlock(address string, vars []sandboxVar) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# mss sandbox: the MSSANTE_* settings of %s (default revocation policy: hard)\n", address)
	set := map[string]bool{}
	for _, v := range vars {
		set[v.name] = true
	}
	var unset []string
	for _, n := range sandboxUnset {
		if !set[n] {
			unset = append(unset, n)
		}
	}
	fmt.Fprintf(&b, "unset %s\n", strings.Join(unset, " "))
	for _, v := range vars {
		fmt.Fprintf(&b, "export %s=%s\n", v.name, shellQuote(v.value))
	}
	return b.Bytes()
}

// shellSafe are the values a POSIX shell reads as they are.
var shellSafe = regexp.MustCompile(`^[A-Za-z0-9@%+=:,./_-]+$`)

// shellQuote quotes a value for a POSIX shell, only when it needs it.
func shellQuote(v string) string {
	if shellSafe.MatchString(v) {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// printSandbox writes the description as shell comments, then the block.
func printSandbox(w io.Writer, out *sandboxJSON, block []byte) {
	mode := "STARTTLS"
	if out.ImplicitTLS {
		mode = "implicit TLS"
	}
	fmt.Fprintln(w, "# MSSanté sandbox operator (in process, loopback only)")
	fmt.Fprintf(w, "#   SMTP submission  %s (%s)\n#   IMAP             %s (%s)\n", out.SMTP, mode, out.IMAP, mode)
	fmt.Fprintf(w, "#   revocation       %s (CRLs and OCSP of its PKI)\n", out.RevocationURL)
	fmt.Fprintf(w, "#   domains          %s\n", strings.Join(out.Domains, ", "))
	if out.RootCertificate != "" {
		fmt.Fprintf(w, "#   root certificate %s\n", out.RootCertificate)
	}
	kept := "kept"
	if out.TemporaryDir {
		kept = "removed when the sandbox stops"
	}
	fmt.Fprintf(w, "#   files            %s (%s)\n", out.Dir, kept)
	fmt.Fprintln(w, "# Mailboxes:")
	for _, mb := range out.Mailboxes {
		fmt.Fprintf(w, "#   %s (%s)\n#     PLAIN password  %s\n#     XOAUTH2 token   %s\n", mb.Address, mb.MailboxType, mb.Password, mb.Token)
	}
	if out.EnvFile != "" {
		fmt.Fprintf(w, "# The settings below are in %s: . %s\n", out.EnvFile, shellQuote(out.EnvFile))
	}
	w.Write(block)
}

// sandboxJSON is the --json output of "mss sandbox" (JSON.md).
type sandboxJSON struct {
	SMTP            string               `json:"smtp"` // host:port
	IMAP            string               `json:"imap"`
	ImplicitTLS     bool                 `json:"implicitTls"`
	RevocationURL   string               `json:"revocationUrl"` // base URL of the CRLs and OCSP
	Domains         []string             `json:"domains"`
	RootCertificate string               `json:"rootCertificate,omitempty"` // the --ca-out file
	Dir             string               `json:"dir"`                       // the files of the settings
	TemporaryDir    bool                 `json:"temporaryDir"`              // removed when the sandbox stops
	EnvFile         string               `json:"envFile,omitempty"`         // the --env-file file
	Env             map[string]string    `json:"env"`                       // the MSSANTE_* settings
	Mailboxes       []sandboxMailboxJSON `json:"mailboxes"`
}

type sandboxMailboxJSON struct {
	Address     string `json:"address"`
	MailboxType string `json:"mailboxType"` // PER, ORG or APP
	Password    string `json:"password"`
	Token       string `json:"token"` // XOAUTH2 access token
}
