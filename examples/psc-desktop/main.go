// Command psc-desktop shows a desktop EHR opening a personal mailbox with
// Pro Santé Connect: the professional logs in in the browser (authorization
// code with PKCE, the redirect caught on a loopback port, RFC 8252), and
// the session's access tokens open the mailbox over SASL XOAUTH2 (Ref#2
// ECO.1.2.1). The session refreshes its tokens ahead of expiry and keeps
// them in memory only (ECO.1.2.5); when PSC refuses the refresh, sending
// stops with psc.ErrSessionEnded (ECO.1.2.6).
//
//	go run ./examples/psc-desktop
//
// With no configuration it runs against a PSC look-alike and an MSSanté
// operator in the process (psc/psctest, mssante/mssantetest), the browser
// played by an HTTP client, and shows the refresh and the end of the
// session. With the MSSANTE_* variables of the README (the mailbox, its
// operator, anchors and liste blanche; MSSANTE_TO the recipient) and:
//
//	MSSANTE_PSC_ENV            bas (default) or production
//	MSSANTE_PSC_CLIENT_ID      the service's client_id at PSC
//	MSSANTE_PSC_CLIENT_SECRET  its secret (see the psc package doc: PSC wants
//	                           it kept on a server; a desktop product sends
//	                           its token requests through the vendor's)
//	MSSANTE_PSC_REDIRECT       the registered loopback redirect URI,
//	                           e.g. http://127.0.0.1:8765/callback
//
// it prints the URL to open in the browser, then sends one message.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/mssante-go/sdk/examples/internal/mssenv"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/psc"
	"github.com/mssante-go/sdk/psc/psctest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	log.SetFlags(0)
	var err error
	if os.Getenv("MSSANTE_PSC_CLIENT_ID") != "" {
		err = runReal(ctx, os.Stdout, os.Getenv)
	} else {
		err = runSandbox(ctx, os.Stdout)
	}
	if err != nil {
		log.Fatalf("psc-desktop: %v", err)
	}
}

const (
	drA = "alice.martin@medecin.mssante.fr"
	drB = "bruno.durand@ch-test.mssante.fr"
)

// runSandbox logs Dr A in at a PSC look-alike and sends through an operator
// that accepts only that IdP's tokens for her mailbox.
func runSandbox(ctx context.Context, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	idp, err := psctest.NewServer(nil)
	if err != nil {
		return err
	}
	defer idp.Close()
	op, err := mssantetest.NewServer(&mssantetest.Options{VerifyToken: func(token string) (string, error) {
		info, err := idp.Introspect(token)
		return info.NationalID, err
	}})
	if err != nil {
		return err
	}
	defer op.Close()
	op.MustAddMailbox(drA, mssantetest.MailboxPER, &mssantetest.MailboxOptions{NationalIDs: []string{idp.Professional().NationalID}})
	op.MustAddMailbox(drB, mssantetest.MailboxPER, nil)

	// 1. Log in: PSC's login page in the browser, the redirect caught on a
	// loopback port. Here an HTTP client plays the browser.
	client, err := psc.New(ctx, idp.Config())
	if err != nil {
		return err
	}
	session, err := client.LoginLoopback(ctx, browser(out))
	if err != nil {
		return err
	}
	defer session.Close(context.WithoutCancel(ctx))
	who := session.Identity()
	fmt.Fprintf(out, "Logged in: %s %s, national id %s, acr %s\n", who.GivenName, who.FamilyName, who.NationalID, who.ACR)

	// 2. The session is the token source of the mailbox.
	cfg := op.MustConfig(drA)
	cfg.Auth = mssante.OAuth2(session)
	c, err := mssante.NewClient(cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := send(ctx, out, c, drB, "Bonjour, message envoyé avec un jeton Pro Santé Connect."); err != nil {
		return err
	}

	// 3. The access token expires (PSC's live minutes): the operator refuses
	// it, the client asks the session again, which refreshes, and sends.
	idp.ExpireAccessTokens()
	if err := send(ctx, out, c, drB, "Second message, after a refresh."); err != nil {
		return err
	}
	st := idp.Stats()
	fmt.Fprintf(out, "PSC token endpoint: %d code exchange, %d refresh\n", st.CodeExchanges, st.Refreshes)

	// 4. PSC refuses the refresh (the professional logged out, the session
	// was revoked): the mailbox session ends with it.
	idp.RefuseRefresh(true)
	idp.ExpireAccessTokens()
	err = send(ctx, out, c, drB, "Never sent.")
	if !errors.Is(err, psc.ErrSessionEnded) {
		return fmt.Errorf("after a refused refresh: %v, want psc.ErrSessionEnded", err)
	}
	fmt.Fprintln(out, "PSC refused the refresh: the session ended, the professional must log in again.")
	return nil
}

// browser plays the professional's browser: it follows the login page's
// redirects (psctest approves at once) to the loopback callback.
func browser(out io.Writer) func(authURL string) error {
	return func(authURL string) error {
		fmt.Fprintln(out, "Opening the PSC login page in the browser…")
		b := &http.Client{Timeout: 10 * time.Second}
		resp, err := b.Get(authURL)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
}

func send(ctx context.Context, out io.Writer, c *mssante.Client, to, text string) error {
	msg := &mail.Message{To: []mail.Address{mail.MustParseAddress(to)}, Subject: "Pro Santé Connect", Text: text}
	if _, err := c.Send(ctx, msg); err != nil {
		return err
	}
	fmt.Fprintf(out, "Sent to %s: %q\n", to, text)
	return nil
}

// runReal logs in at the real PSC (the BAS by default) and sends one message
// with the mailbox the MSSANTE_* variables describe.
func runReal(ctx context.Context, out io.Writer, getenv func(string) string) error {
	to := getenv("MSSANTE_TO")
	if to == "" {
		return errors.New("MSSANTE_TO (the recipient) is required")
	}
	pscCfg, err := mssenv.PSCConfig(getenv)
	if err != nil {
		return err
	}
	client, err := psc.New(ctx, pscCfg)
	if err != nil {
		return err
	}
	session, err := client.LoginLoopback(ctx, func(authURL string) error {
		fmt.Fprintf(out, "Open this page in your browser and log in with your e-CPS or CPS card:\n\n  %s\n\n", authURL)
		return nil
	})
	if err != nil {
		return err
	}
	defer session.Close(context.WithoutCancel(ctx))
	who := session.Identity()
	fmt.Fprintf(out, "Logged in: %s %s (%s)\n", who.GivenName, who.FamilyName, who.NationalID)

	cfg, err := mssenv.Load(ctx, func(k string) string {
		if k == "MSSANTE_TOKEN" {
			return "unused" // the session gives the tokens
		}
		return getenv(k)
	})
	if err != nil {
		return err
	}
	cfg.Auth = mssante.OAuth2(session)
	c, err := mssante.NewClient(cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	return send(ctx, out, c, to, "Message envoyé avec un jeton Pro Santé Connect.")
}
