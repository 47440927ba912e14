package psctest_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/mssante-go/sdk/psc"
	"github.com/mssante-go/sdk/psc/psctest"
)

// An MSSanté operator test double accepts only the access tokens this
// IdP issued, still valid: Verify checks the signature, issuer, audience
// and expiry. ExpireAccessTokens forces the expiry a client must survive
// by refreshing.
func ExampleServer_Verify() {
	clock := psctest.NewClock(time.Time{})
	idp, err := psctest.NewServer(&psctest.Options{Clock: clock, CIBAPendingPolls: -1})
	if err != nil {
		log.Fatal(err)
	}
	defer idp.Close()
	cfg := idp.Config()
	cfg.Clock = clock
	client, err := psc.New(context.Background(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	session, err := client.LoginCIBA(context.Background(), psc.CIBARequest{LoginHint: idp.Professional().NationalID})
	if err != nil {
		log.Fatal(err)
	}
	tok, _ := session.Token()
	info, err := idp.Introspect(tok.AccessToken)
	fmt.Println(info.NationalID, err)
	fmt.Println(idp.Verify("psc-test-forged") != nil)

	idp.ExpireAccessTokens()
	fmt.Println(idp.Verify(tok.AccessToken) != nil)
	session.Invalidate(tok.AccessToken) // the operator said 401
	tok, _ = session.Token()
	fmt.Println(idp.Verify(tok.AccessToken), idp.Stats().Refreshes)
	// Output:
	// 810000000001 <nil>
	// true
	// true
	// <nil> 1
}
