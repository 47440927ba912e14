package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
	"github.com/mssante-go/sdk/internal/testenv"
)

func firstMailbox(t *testing.T, d *annuairetest.Dataset) string {
	var owners []annuaire.Resource
	for _, r := range d.PractitionerRoles {
		owners = append(owners, r)
	}
	for _, o := range d.Organizations {
		owners = append(owners, o)
	}
	for _, p := range d.Practitioners {
		owners = append(owners, p)
	}
	for _, o := range owners {
		boxes, err := annuaire.ResourceMailboxes(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range boxes {
			return m.Mailbox.Address
		}
	}
	t.Fatal("no mailbox in the generated dataset")
	return ""
}

func TestAnnuaireSearchLookup(t *testing.T) {
	srv := annuairetest.NewServer(nil)
	defer srv.Close()
	addr := firstMailbox(t, srv.Data())
	code, stdout, stderr := runCLI(t, "annuaire", "lookup", addr, "--base", srv.BaseURL(), "--json")
	if code != 0 || !strings.Contains(stdout, addr) {
		t.Fatalf("lookup: %d %s %s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "annuaire", "search", "--mailbox", addr, "--base", srv.BaseURL(), "--json")
	if code != 0 || !strings.Contains(stdout, addr) {
		t.Fatalf("search: %d %s %s", code, stdout, stderr)
	}
}

func TestAnnuaireIndexAndLookupOffline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Extraction_Correspondance_MSSante.txt")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := annuairetest.WriteExtraction(f, &annuairetest.ExtractionOptions{Rows: 500, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	code, stdout, stderr := runCLI(t, "annuaire", "index", path, "--json")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &v) != nil {
		t.Fatalf("index: %d %s %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "500") {
		t.Errorf("row count missing: %s", stdout)
	}
	// Look up the address of the first data row.
	data, _ := os.ReadFile(path)
	row := strings.Split(strings.Split(string(data), "\n")[1], "|")
	var addr string
	for _, fld := range row {
		if strings.Contains(fld, "@") {
			addr = fld
			break
		}
	}
	code, stdout, stderr = runCLI(t, "annuaire", "lookup", strings.ToUpper(addr), "--extraction", path)
	if code != 0 || !strings.Contains(strings.ToLower(stdout), strings.ToLower(addr)) {
		t.Fatalf("offline lookup of %s: %d %s %s", addr, code, stdout, stderr)
	}
}

func TestAnnuaireParse(t *testing.T) {
	file := testenv.SharedDir(t, "annuaire", "fhir", "api-docs", "Organization.telecom-uc-bal-mss-v2.json")
	code, stdout, stderr := runCLI(t, "annuaire", "parse", file, "--json")
	var v struct {
		Mailboxes []struct{ Address, Type string } `json:"mailboxes"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &v) != nil || len(v.Mailboxes) == 0 || !strings.Contains(v.Mailboxes[0].Address, "@") {
		t.Fatalf("parse: %d %s %s", code, stdout, stderr)
	}
}
