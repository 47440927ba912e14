package annuairetest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
)

// Point the client at the fake Annuaire Santé, make it answer 429 once, and
// search: the client waits as told by Retry-After and retries.
func Example() {
	srv := annuairetest.NewServer(&annuairetest.Options{Practitioners: 20, Organizations: 3, Seed: 1})
	defer srv.Close()
	srv.FailNext(annuairetest.RateLimited("0"))

	// Short back-off delays keep the example fast; the defaults suit the real API.
	c, err := annuaire.NewClient(&annuaire.Options{BaseURL: srv.BaseURL(), RetryBaseDelay: time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	n := 0
	for p, err := range c.Practitioners(context.Background(), &annuaire.PractitionerQuery{}) {
		if err != nil {
			log.Fatal(err)
		}
		if p.ID != "" {
			n++
		}
	}
	fmt.Println(n, "practitioners after", len(srv.Requests()), "requests")

	// A gateway error without a body is a typed error.
	srv.FailNext(annuairetest.GatewayError(502), annuairetest.GatewayError(502), annuairetest.GatewayError(502),
		annuairetest.GatewayError(502), annuairetest.GatewayError(502))
	_, err = c.ReadPractitioner(context.Background(), "unknown")
	var apiErr *annuaire.APIError
	fmt.Println(errors.As(err, &apiErr), apiErr.StatusCode)
	// Output:
	// 20 practitioners after 2 requests
	// true 502
}
