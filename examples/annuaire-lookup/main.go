// Command annuaire-lookup shows the annuaire package end to end without
// network access or API key: it starts the fake FHIR server of package
// annuairetest, searches practitioners page by page, finds who owns a
// mailbox, survives a throttled answer, and then does the same lookups
// offline on a synthetic extraction file.
//
// Usage:
//
//	go run ./examples/annuaire-lookup          # run the tour
//	go run ./examples/annuaire-lookup -serve   # only serve, for "mss annuaire search --base URL"
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
)

func main() {
	serve := flag.Bool("serve", false, "only run the fake server until interrupted")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	srv := annuairetest.NewServer(&annuairetest.Options{Practitioners: 300, Organizations: 20, Seed: 7})
	defer srv.Close()
	if *serve {
		fmt.Println("fake Annuaire Santé FHIR API at", srv.BaseURL())
		fmt.Println("try: mss annuaire search --base", srv.BaseURL(), "--name martin")
		<-ctx.Done()
		return
	}
	if err := tour(ctx, srv); err != nil {
		log.Fatal(err)
	}
}

func tour(ctx context.Context, srv *annuairetest.Server) error {
	c, err := annuaire.NewClient(&annuaire.Options{BaseURL: srv.BaseURL(), RetryBaseDelay: 50 * time.Millisecond})
	if err != nil {
		return err
	}

	// 1. Search: practitioners whose name starts with "martin", 20 per page;
	// the iterator follows link[next] until the last page.
	fmt.Println("== Practitioners named Martin")
	n := 0
	for p, err := range c.Practitioners(ctx, &annuaire.PractitionerQuery{Name: "martin", SearchOptions: annuaire.SearchOptions{Count: 20}}) {
		if err != nil {
			return err
		}
		if n < 5 {
			fmt.Printf("  %-28s RPPS %s  %v\n", p.DisplayName(), p.RPPS(), addresses(p.Mailboxes()))
		}
		n++
	}
	fmt.Printf("  ... %d in all\n", n)

	// 2. Who owns this address? The gateway first answers 429 (throttled);
	// the client waits as told by Retry-After and retries.
	addr := srv.Data().PractitionerRoles[0].Telecom[0].Value
	srv.FailNext(annuairetest.RateLimited("1"))
	fmt.Println("== Owner of", addr)
	owners, err := c.LookupAddress(ctx, addr)
	if err != nil {
		return err
	}
	for _, o := range owners {
		fmt.Printf("  %s mailbox, published by %s\n", o.Mailbox.Type, o.OwnerRef())
	}

	// 3. Offline: the daily extraction, here a synthetic one.
	dir, err := os.MkdirTemp("", "annuaire-lookup")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "Extraction_Correspondance_MSSante.txt")
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := annuairetest.WriteExtraction(f, &annuairetest.ExtractionOptions{Rows: 20000, Seed: 7}); err != nil {
		return err
	}
	f.Close()
	start := time.Now()
	x, err := annuaire.LoadIndex(ctx, file, nil, nil)
	if err != nil {
		return err
	}
	fmt.Printf("== Extraction: %d rows indexed in %v, %v\n", x.Len(), time.Since(start).Round(time.Millisecond), x.CountByType())
	var sample annuaire.Row
	for r := range x.Rows() {
		if r.Type == annuaire.MailboxPER {
			sample = r
			break
		}
	}
	if r, ok := x.Lookup(sample.Address); ok {
		fmt.Printf("  %s -> %s %s, RPPS %s, %s\n", sample.Address, r.FirstName, r.LastName, r.PPID, r.ProfessionLabel)
	}
	fmt.Printf("  mailboxes of RPPS %s: %d\n", sample.PPID, len(x.ByPerson(sample.PPID)))
	for _, r := range x.ByNamePrefix(annuaire.FoldName(sample.LastName), 3) {
		fmt.Printf("  name %q: %s\n", sample.LastName, r.Address)
	}
	return nil
}

func addresses(ms []annuaire.Mailbox) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Address)
	}
	return out
}
