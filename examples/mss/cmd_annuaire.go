package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mssante-go/sdk/annuaire"
)

// The annuaire commands query the Annuaire Santé:
//
//	mss annuaire search [--name NOM] [--rpps RPPS] [--finess FINESS] [--mailbox ADDR] [--limit N] [--base URL] [--json]
//	mss annuaire lookup ADDR [--extraction FILE] [--base URL] [--json]
//	mss annuaire parse FILE.json [--json]
//	mss annuaire index FILE [--json]
//
// search and lookup (without --extraction) call the FHIR API with the key in
// $MSSANTE_ANNUAIRE_API_KEY (sent as the ESANTE-API-KEY header), or the
// server given by --base (an annuairetest server, for instance).

// annuaireKeyVar names the variable of the API key.
const annuaireKeyVar = "MSSANTE_ANNUAIRE_API_KEY"

// annuaireClient makes a client for --base or the production API.
func annuaireClient(base string) (*annuaire.Client, error) {
	key := os.Getenv(annuaireKeyVar)
	if base == "" && key == "" {
		msg := "set " + annuaireKeyVar + " (key from portal.api.esante.gouv.fr) or give --base URL"
		if os.Getenv("ESANTE_API_KEY") != "" {
			msg += " (ESANTE_API_KEY is no longer read: rename it " + annuaireKeyVar + ")"
		}
		return nil, usageErrorf("%s", msg)
	}
	return annuaire.NewClient(&annuaire.Options{BaseURL: base, APIKey: key})
}

// annuaireMailboxJSON is one mailbox in JSON output.
type annuaireMailboxJSON struct {
	Address     string `json:"address"`
	Type        string `json:"mailboxType"` // PER, ORG, APP or CAB; "" when the Annuaire gives none
	Owner       string `json:"owner"`
	Description string `json:"description,omitempty"`
	Service     string `json:"service,omitempty"`
}

func annuaireMailboxView(o annuaire.OwnedMailbox) annuaireMailboxJSON {
	return annuaireMailboxJSON{Address: o.Mailbox.Address, Type: string(o.Mailbox.Type), Owner: o.OwnerRef(),
		Description: o.Mailbox.Description, Service: o.Mailbox.Service}
}

// annuaireResultJSON is one resource found by search.
type annuaireResultJSON struct {
	ResourceType string                `json:"resourceType"`
	ID           string                `json:"id"`
	Name         string                `json:"name"`
	Active       bool                  `json:"active"`
	Identifiers  map[string]string     `json:"identifiers,omitempty"`
	Mailboxes    []annuaireMailboxJSON `json:"mailboxes"`
}

func annuaireResultView(r annuaire.Resource) annuaireResultJSON {
	out := annuaireResultJSON{ResourceType: r.ResourceType(), ID: r.ResourceID(), Identifiers: map[string]string{}, Mailboxes: []annuaireMailboxJSON{}}
	set := func(k, v string) {
		if v != "" {
			out.Identifiers[k] = v
		}
	}
	switch v := r.(type) {
	case *annuaire.Practitioner:
		out.Name, out.Active = v.DisplayName(), v.IsActive()
		set("rpps", v.RPPS())
		set("idNatPs", v.IdNatPS())
	case *annuaire.Organization:
		out.Name, out.Active = v.Name, v.IsActive()
		set("finess", v.FINESS())
		set("idNatStruct", v.IdNatStruct())
		set("siret", v.SIRET())
	case *annuaire.PractitionerRole:
		out.Active = v.IsActive()
		set("practitioner", v.Practitioner.ID())
		set("organization", v.Organization.ID())
	}
	owned, _ := annuaire.ResourceMailboxes(r)
	for _, o := range owned {
		out.Mailboxes = append(out.Mailboxes, annuaireMailboxView(o))
	}
	return out
}

func annuairePrintResult(w io.Writer, r annuaireResultJSON) {
	var ids []string
	for k, v := range r.Identifiers {
		ids = append(ids, k+"="+v)
	}
	sort.Strings(ids)
	state := ""
	if !r.Active {
		state = " (inactive)"
	}
	fmt.Fprintf(w, "%s/%s %q %s%s\n", r.ResourceType, r.ID, r.Name, strings.Join(ids, " "), state)
	for _, m := range r.Mailboxes {
		fmt.Fprintf(w, "  %s\t%s\n", m.Address, annuaireDash(m.Type))
	}
}

func annuaireDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runAnnuaireSearch(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("annuaire search")
	name := fs.String("name", "", "name of a practitioner or organization (starts with)")
	rpps := fs.String("rpps", "", "RPPS number of a practitioner")
	finess := fs.String("finess", "", "FINESS number of an organization")
	mailbox := fs.String("mailbox", "", "MSSanté `address`: who owns it (exact match on the three resources)")
	limit := fs.Int("limit", 20, "stop after N results per resource type (0: all pages)")
	base := fs.String("base", "", "FHIR base `URL` (default the production API, needs $"+annuaireKeyVar+")")
	asJSON := fs.Bool("json", false, "print JSON")
	fs.Require("name", "rpps", "finess", "mailbox")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *mailbox != "" && (*name != "" || *rpps != "" || *finess != "") {
		return fs.usageErrorf("--mailbox cannot be combined with --name, --rpps or --finess")
	}
	c, err := annuaireClient(*base)
	if err != nil {
		return err
	}
	results := []annuaireResultJSON{}
	if *mailbox != "" {
		owned, err := c.LookupAddress(ctx, *mailbox)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, o := range owned {
			if ref := o.OwnerRef(); !seen[ref] {
				seen[ref] = true
				results = append(results, annuaireResultView(o.Owner))
			}
		}
	}
	collect := func(seq func(func(annuaire.Resource, error) bool)) error {
		n := 0
		var ferr error
		seq(func(r annuaire.Resource, err error) bool {
			if err != nil {
				ferr = err
				return false
			}
			results = append(results, annuaireResultView(r))
			n++
			return *limit <= 0 || n < *limit
		})
		return ferr
	}
	count := annuaire.SearchOptions{Count: *limit}
	if *limit <= 0 {
		count.Count = annuaire.MaxCount
	}
	if *rpps != "" || (*name != "" && *finess == "") {
		q := &annuaire.PractitionerQuery{Name: *name, RPPS: *rpps, SearchOptions: count}
		err := collect(func(yield func(annuaire.Resource, error) bool) {
			for p, err := range c.Practitioners(ctx, q) {
				if !yield(p, err) {
					return
				}
			}
		})
		if err != nil {
			return err
		}
	}
	if *finess != "" || (*name != "" && *rpps == "") {
		q := &annuaire.OrganizationQuery{Name: *name, FINESS: *finess, SearchOptions: count}
		err := collect(func(yield func(annuaire.Resource, error) bool) {
			for o, err := range c.Organizations(ctx, q) {
				if !yield(o, err) {
					return
				}
			}
		})
		if err != nil {
			return err
		}
	}
	if *asJSON {
		return writeJSON(e.stdout, map[string]any{"results": results})
	}
	if len(results) == 0 {
		fmt.Fprintln(e.stdout, "no result")
	}
	for _, r := range results {
		annuairePrintResult(e.stdout, r)
	}
	return nil
}

// annuaireRowJSON is an extraction row in JSON output.
type annuaireRowJSON struct {
	Line          int    `json:"line"`
	Type          string `json:"mailboxType"`
	Address       string `json:"address"`
	PPID          string `json:"ppId,omitempty"`
	IdNatPS       string `json:"idNatPs,omitempty"`
	Civility      string `json:"civility,omitempty"`
	LastName      string `json:"lastName,omitempty"`
	FirstName     string `json:"firstName,omitempty"`
	Profession    string `json:"profession,omitempty"`
	StructureID   string `json:"structureId,omitempty"`
	StructureName string `json:"structureName,omitempty"`
	Service       string `json:"service,omitempty"`
	City          string `json:"city,omitempty"`
}

func runAnnuaireLookup(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("annuaire lookup")
	extraction := fs.String("extraction", "", "search this Extraction_Correspondance_MSSante `file` (ZIP or text) instead of the API")
	base := fs.String("base", "", "FHIR base `URL` (default the production API, needs $"+annuaireKeyVar+")")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	addr := strings.TrimSpace(pos[0])
	if strings.IndexByte(addr, '@') <= 0 {
		return fmt.Errorf("%q is not a mailbox address", addr)
	}
	if *extraction != "" {
		return annuaireLookupExtraction(ctx, e, *extraction, addr, *asJSON)
	}
	c, err := annuaireClient(*base)
	if err != nil {
		return err
	}
	owned, err := c.LookupAddress(ctx, addr)
	if err != nil {
		return err
	}
	out := []annuaireMailboxJSON{}
	for _, o := range owned {
		out = append(out, annuaireMailboxView(o))
	}
	if *asJSON {
		return writeJSON(e.stdout, map[string]any{"address": addr, "source": "api", "found": len(out) > 0, "mailboxes": out})
	}
	if len(out) == 0 {
		fmt.Fprintf(e.stdout, "%s: not in the Annuaire Santé\n", addr)
		return nil
	}
	for _, m := range out {
		fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", m.Address, annuaireDash(m.Type), m.Owner)
	}
	return nil
}

// annuaireLookupExtraction streams the file for the address: no index is needed
// for a single lookup, and memory stays flat.
func annuaireLookupExtraction(ctx context.Context, e *env, file, addr string, asJSON bool) error {
	bar := e.newProgress(asJSON, "reading "+filepath.Base(file), 0, unitBytes, "")
	defer bar.Done()
	er, closeFile, err := openExtraction(file, bar)
	if err != nil {
		return flagFileError("extraction", file, err)
	}
	defer closeFile()
	rows := []annuaireRowJSON{}
	bad := 0
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		r, err := er.Read()
		if err == io.EOF {
			break
		}
		var re *annuaire.RowError
		if errors.As(err, &re) {
			bad++
			continue
		}
		if err != nil {
			return flagFileError("extraction", file, err)
		}
		if strings.EqualFold(strings.TrimSpace(r.Address), addr) {
			rows = append(rows, annuaireRowJSON{Line: r.Line, Type: string(r.Type), Address: r.Address, PPID: r.PPID, IdNatPS: r.IdNatPS,
				Civility: r.Civility, LastName: r.LastName, FirstName: r.FirstName, Profession: r.ProfessionLabel,
				StructureID: r.StructureID, StructureName: r.StructureName, Service: r.Service, City: r.CityLine})
		}
	}
	if asJSON {
		return writeJSON(e.stdout, map[string]any{"address": addr, "source": "extraction", "found": len(rows) > 0, "rows": rows, "badRows": bad})
	}
	if len(rows) == 0 {
		fmt.Fprintf(e.stdout, "%s: not in %s\n", addr, file)
	}
	for _, r := range rows {
		who := strings.TrimSpace(strings.Join([]string{r.Civility, r.FirstName, r.LastName}, " "))
		if who == "" {
			who = r.StructureName
		}
		fmt.Fprintf(e.stdout, "%s\t%s\t%s", r.Address, annuaireDash(r.Type), who)
		if r.PPID != "" {
			fmt.Fprintf(e.stdout, "\tPP=%s", r.PPID)
		}
		if r.StructureID != "" {
			fmt.Fprintf(e.stdout, "\tstructure=%s", r.StructureID)
		}
		fmt.Fprintf(e.stdout, "\t(line %d)\n", r.Line)
	}
	if bad > 0 {
		fmt.Fprintf(e.stderr, "%d bad lines skipped\n", bad)
	}
	return nil
}

// annuaireMaxParseSize bounds the JSON file read by "parse".
const annuaireMaxParseSize = 64 << 20

func runAnnuaireParse(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("annuaire parse")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	data, err := readFileLimited(pos[0], annuaireMaxParseSize)
	if err != nil {
		return fileError(pos[0], err)
	}
	var owned []annuaire.OwnedMailbox
	if t := strings.TrimSpace(string(data)); strings.HasPrefix(t, "[") {
		// A bare telecom array, as cut from the API documentation.
		var tel []annuaire.ContactPoint
		if err := json.Unmarshal(data, &tel); err != nil {
			return fmt.Errorf("%s: not a FHIR resource nor a telecom array: %v", pos[0], err)
		}
		for _, m := range annuaire.Mailboxes(tel) {
			owned = append(owned, annuaire.OwnedMailbox{Mailbox: m})
		}
	} else {
		r, err := annuaire.DecodeResource(data)
		if err != nil {
			return fmt.Errorf("%s: %w", pos[0], err)
		}
		if oo, ok := r.(*annuaire.OperationOutcome); ok {
			return fmt.Errorf("%s is an OperationOutcome: %s", pos[0], oo)
		}
		if owned, err = annuaire.ResourceMailboxes(r); err != nil {
			return fmt.Errorf("%s: %w", pos[0], err)
		}
	}
	out := []annuaireMailboxJSON{}
	for _, o := range owned {
		out = append(out, annuaireMailboxView(o))
	}
	if *asJSON {
		return writeJSON(e.stdout, map[string]any{"mailboxes": out})
	}
	if len(out) == 0 {
		fmt.Fprintln(e.stdout, "no MSSanté mailbox")
	}
	for _, m := range out {
		fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", m.Address, annuaireDash(m.Type), annuaireDash(m.Owner))
	}
	return nil
}

func runAnnuaireIndex(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("annuaire index")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	start := time.Now()
	bar := e.newProgress(*asJSON, "indexing "+filepath.Base(pos[0]), 0, unitBytes, "")
	er, closeFile, err := openExtraction(pos[0], bar)
	if err != nil {
		bar.Done()
		return fileError(pos[0], err)
	}
	x, err := annuaire.BuildIndex(ctx, er, &annuaire.IndexOptions{Lazy: true})
	closeFile()
	bar.Done()
	if err != nil {
		return fileError(pos[0], err)
	}
	took := time.Since(start)
	byType := map[string]int{}
	for t, n := range x.CountByType() {
		byType[string(t)] = n
	}
	if *asJSON {
		var bad []string
		for _, re := range x.RowErrors() {
			bad = append(bad, re.Error())
		}
		return writeJSON(e.stdout, map[string]any{
			"rows": x.Len(), "badRows": x.BadRows(), "badRowErrors": bad,
			"mailboxesByType": byType, "loadSeconds": took.Seconds(),
		})
	}
	fmt.Fprintf(e.stdout, "rows: %d\n", x.Len())
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		fmt.Fprintf(e.stdout, "  %s: %d\n", annuaireDash(t), byType[t])
	}
	fmt.Fprintf(e.stdout, "bad lines: %d\n", x.BadRows())
	for _, re := range x.RowErrors() {
		fmt.Fprintf(e.stdout, "  %v\n", re)
	}
	fmt.Fprintf(e.stdout, "load time: %v\n", took.Round(time.Microsecond))
	return nil
}

// openExtraction opens an extraction file as annuaire.OpenExtraction does
// (the ZIP the ANS publishes, or the plain text), counting the bytes read
// from the file on bar: the compressed ones for a ZIP.
func openExtraction(path string, bar *progress) (*annuaire.ExtractionReader, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if bar.bar != nil {
		bar.bar.ChangeMax64(st.Size())
	}
	var magic [4]byte
	if n, _ := io.ReadFull(f, magic[:]); n < 4 || string(magic[:]) != "PK\x03\x04" {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return nil, nil, err
		}
		er, err := annuaire.NewExtractionReader(bar.Reader(f), nil)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		return er, f.Close, nil
	}
	er, err := annuaire.NewZipExtractionReader(bar.ReaderAt(f), st.Size(), nil)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return er, func() error { er.Close(); return f.Close() }, nil
}
