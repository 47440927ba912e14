package psc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/mssante-go/sdk/psc"
	"github.com/mssante-go/sdk/psc/psctest"
)

// A desktop application logs the professional in with the loopback
// redirect, then hands the session to the mail client as its
// oauth2.TokenSource (mssante.OAuth2(session)). Here psctest plays Pro
// Santé Connect and approves at once; against the BAS, use
// psc.BAS() and the client_id and secret the ANS gave you.
func Example() {
	idp, err := psctest.NewServer(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer idp.Close()
	ctx := context.Background()

	cfg := idp.Config() // Environment, ClientID, Auth: psc.ClientSecretBasic(...)
	client, err := psc.New(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	openBrowser := func(authURL string) error {
		// A real application opens authURL in the browser; the
		// professional logs in with the CPS card or the e-CPS app.
		resp, err := idp.HTTPClient().Get(authURL)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return err
	}
	session, err := client.LoginLoopback(ctx, openBrowser)
	if err != nil {
		log.Fatal(err)
	}
	id := session.Identity()
	fmt.Println(id.Name(), "RPPS", id.RPPS(), id.ACR)

	tok, err := session.Token() // what mssante.OAuth2 asks for at each connection
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("operator accepts the token:", idp.Verify(tok.AccessToken) == nil)

	full, _ := session.UserInfo(ctx)
	fmt.Println("profession", full.Practices[0].ProfessionCode, "at", full.Practices[0].Situations[0].StructureName)

	// PSC ends the session: the mail client must stop and ask for a new login.
	idp.RefuseRefresh(true)
	session.Invalidate(tok.AccessToken) // as after an XOAUTH2 401
	_, err = session.Token()
	fmt.Println("session ended:", errors.Is(err, psc.ErrSessionEnded))
	// Output:
	// Marie MARTIN RPPS 10000000001 eidas1
	// operator accepts the token: true
	// profession 10 at CABINET DU DR MARTIN
	// session ended: true
}

// Background sending: the service asks PSC to authenticate the
// professional on the e-CPS app (CIBA), polling until approval. The fake
// clock of psctest makes the waits instant.
func ExampleClient_LoginCIBA() {
	clock := psctest.NewClock(time.Time{})
	idp, err := psctest.NewServer(&psctest.Options{Clock: clock})
	if err != nil {
		log.Fatal(err)
	}
	defer idp.Close()
	ctx := context.Background()
	cfg := idp.Config()
	cfg.Clock = clock
	client, err := psc.New(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	session, err := client.LoginCIBA(ctx, psc.CIBARequest{
		LoginHint:      "810000000001", // the professional's IdNat_PS
		BindingMessage: "42",           // shown on the phone, and by the application
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(session.Identity().Name(), "approved after waits of", clock.Waits())
	// Output:
	// Marie MARTIN approved after waits of [5s 5s 5s]
}
