package annuairetest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
)

func TestWriteExtractionReadsBack(t *testing.T) {
	for _, trailing := range []bool{false, true} {
		var a, b bytes.Buffer
		opts := &annuairetest.ExtractionOptions{Rows: 3000, Seed: 9, TrailingSeparator: trailing}
		annuairetest.WriteExtraction(&a, opts)
		annuairetest.WriteExtraction(&b, opts)
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatal("same seed, different files")
		}
		er, err := annuaire.NewExtractionReader(&a, nil)
		if err != nil {
			t.Fatal(err)
		}
		n, per, org := 0, 0, 0
		for {
			r, err := er.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			n++
			switch r.Type {
			case annuaire.MailboxPER:
				per++
				if r.PPID == "" || r.IdNatPS != "8"+r.PPID || r.LastName == "" {
					t.Fatalf("PER row %+v", r)
				}
			case annuaire.MailboxORG:
				org++
				if r.StructureID == "" || r.StructureName == "" {
					t.Fatalf("ORG row %+v", r)
				}
			}
		}
		if n != 3000 || org < 300 || org > 700 {
			t.Errorf("rows %d, PER %d, ORG %d", n, per, org)
		}
	}
}

func TestGeneratedResourcesAreMailboxes(t *testing.T) {
	d := annuairetest.Generate(30, 4, 1)
	for _, p := range d.Practitioners {
		if p.IsActive() && (len(p.Mailboxes()) != 1 || p.RPPS() == "") {
			t.Errorf("practitioner %s: %+v", p.ID, p.Mailboxes())
		}
		if !p.IsActive() && (len(p.Telecom) != 0 || p.RPPS() == "") {
			t.Errorf("inactive practitioner %s keeps more than identifiers", p.ID)
		}
	}
	for _, o := range d.Organizations {
		if mb := o.Mailboxes(); len(mb) != 1 || mb[0].Type != annuaire.MailboxORG || len(o.Telecom) != 3 {
			t.Errorf("organization %s: %+v", o.ID, mb)
		}
	}
}

func TestServerFaultsAndAuth(t *testing.T) {
	srv := annuairetest.NewServer(&annuairetest.Options{APIKey: "k"})
	defer srv.Close()
	c, _ := annuaire.NewClient(&annuaire.Options{BaseURL: srv.BaseURL(), APIKey: "k", RateLimit: -1, MaxRetries: -1})
	srv.FailNext(annuairetest.GatewayError(504))
	_, err := c.ReadOrganization(context.Background(), "org-1")
	if !errors.Is(err, annuaire.ErrUnavailable) {
		t.Errorf("fault not served: %v", err)
	}
	if _, err := c.ReadOrganization(context.Background(), "org-1"); err != nil {
		t.Errorf("after the fault: %v", err)
	}
	if reqs := srv.Requests(); len(reqs) != 2 || reqs[1].APIKey != "k" {
		t.Errorf("requests %+v", reqs)
	}
}
