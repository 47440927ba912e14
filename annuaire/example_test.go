package annuaire_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
)

func ExampleClient_Practitioners() {
	srv := annuairetest.NewServer(&annuairetest.Options{Practitioners: 60, Seed: 1})
	defer srv.Close()
	c, err := annuaire.NewClient(&annuaire.Options{BaseURL: srv.BaseURL(), APIKey: "my-key"})
	if err != nil {
		log.Fatal(err)
	}
	// Pages of 20 are fetched as the loop goes.
	n := 0
	for p, err := range c.Practitioners(context.Background(), &annuaire.PractitionerQuery{
		SearchOptions: annuaire.SearchOptions{Count: 20},
	}) {
		if err != nil {
			log.Fatal(err)
		}
		if p.IsActive() {
			n++
		}
	}
	fmt.Println(n, "active practitioners in", len(srv.Requests()), "requests")
	// Output: 54 active practitioners in 3 requests
}

func ExampleClient_LookupAddress() {
	srv := annuairetest.NewServer(&annuairetest.Options{Seed: 1})
	defer srv.Close()
	c, _ := annuaire.NewClient(&annuaire.Options{BaseURL: srv.BaseURL()})

	addr := srv.Data().Organizations[0].Telecom[0].Value
	owners, err := c.LookupAddress(context.Background(), addr)
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range owners {
		fmt.Println(o.Mailbox.Type, o.OwnerRef())
	}
	// Output: ORG Organization/org-1
}

func ExampleContactPoint_Mailbox() {
	r, err := annuaire.DecodeResource([]byte(`{
	  "resourceType": "Organization", "id": "481677",
	  "telecom": [
	    {"system": "email", "value": "direction@chu-exemple.fr"},
	    {"system": "email", "value": "secretariat@chu-exemple.mssante.fr",
	     "extension": [{
	       "url": "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-mailbox-mss-metadata",
	       "extension": [
	         {"url": "type", "valueCodeableConcept": {"coding": [{"code": "ORG"}]}},
	         {"url": "service", "valueString": "Cardiologie"}]}]}]}`))
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range r.(*annuaire.Organization).Mailboxes() {
		fmt.Println(m.Address, m.Type, m.Service)
	}
	// Output: secretariat@chu-exemple.mssante.fr ORG Cardiologie
}

func ExampleIndex() {
	const file = `Type de BAL|Adresse BAL|Identifiant PP|Identification nationale PP|Nom d'exercice|Prénom d'exercice|Identification Structure|Raison Sociale structure BAL
PER|eric.lefevre@medecin.mssante.fr|10000000001|810000000001|LEFÈVRE|Éric||
PER|eric.lefevre@chu-nancy.mssante.fr|10000000001|810000000001|LEFÈVRE|Éric|1540000001|CHU DE NANCY
ORG|cardiologie@chu-nancy.mssante.fr|||||1540000001|CHU DE NANCY
PER|broken line
`
	er, err := annuaire.NewExtractionReader(strings.NewReader(file), nil)
	if err != nil {
		log.Fatal(err)
	}
	x, err := annuaire.BuildIndex(context.Background(), er, nil)
	if err != nil {
		log.Fatal(err)
	}
	r, _ := x.Lookup("Eric.Lefevre@MEDECIN.mssante.fr")
	fmt.Println("owner:", r.FirstName, r.LastName, r.PPID)
	fmt.Println("by RPPS:", len(x.ByPerson("10000000001")))
	fmt.Println("by structure:", len(x.ByStructure("1540000001")))
	fmt.Println("by name:", x.ByNamePrefix("lefevre e", 1)[0].Address)
	fmt.Println("bad:", x.RowErrors()[0])
	// Output:
	// owner: Éric LEFÈVRE 10000000001
	// by RPPS: 2
	// by structure: 2
	// by name: eric.lefevre@medecin.mssante.fr
	// bad: extraction line 5: annuaire: wrong number of fields
}
