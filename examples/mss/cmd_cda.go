package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mssante-go/sdk/cda"
)

// The cda commands build, inspect and validate CDA R2 documents:
//
//	mss cda new --pdf FILE --ins MATRICULE --ins-kind nir|nia|test|demo --family NOM --given PRENOM
//	    --gender F|M|U --birth YYYYMMDD --birthplace COG --author-rpps RPPS --author-family NOM
//	    --author-given PRENOM --org-finess FINESS --org-name NOM --type LOINC [--title TITRE] [-o doc.xml]
//	mss cda inspect FILE.xml [--json]
//	mss cda validate FILE.xml [--strict] [--json]

// runCDANew builds an N1 document. The --pdf file must be a whole PDF
// (checkPDF); one not declared PDF/A-1 gets a warning.
func runCDANew(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("cda new")
	pdf := fs.String("pdf", "", "PDF/A-1 `file` to embed")
	text := fs.String("text", "", "plain text `file` to embed instead of a PDF")
	ins := fs.String("ins", "", "INS `matricule` of the patient (15 characters)")
	insKind := fs.String("ins-kind", "nir", "INS `register`: nir, nia, test or demo")
	family := fs.String("family", "", "patient's birth `name`")
	given := fs.String("given", "", "patient's birth first `names`, space separated (the first is the first birth first name)")
	gender := fs.String("gender", "", "patient's `sex`: F, M or U")
	birth := fs.String("birth", "", "patient's birth date `YYYYMMDD`")
	birthplace := fs.String("birthplace", "", "INSEE COG `code` of the birthplace (99xxx abroad)")
	rpps := fs.String("author-rpps", "", "author's `RPPS` number (11 digits)")
	authorFamily := fs.String("author-family", "", "author's family `name`")
	authorGiven := fs.String("author-given", "", "author's first `name`")
	specialty := fs.String("author-specialty", "", "author's profession/specialty `code` (JDV_J01, e.g. G15_10)")
	finess := fs.String("org-finess", "", "`FINESS` of the author's organisation")
	orgName := fs.String("org-name", "", "`name` of the author's organisation")
	typ := fs.String("type", "", "document type `code` (JDV_J07, e.g. 11488-4)")
	title := fs.String("title", "", "document `title` (default: the type's display name)")
	practice := fs.String("practice-setting", "AMBULATOIRE", "practice setting `code` (JDV_J04)")
	facility := fs.String("facility", "SA07", "healthcare facility type `code` (JDV_J02)")
	out := fs.String("o", "", "output `file` (default standard output)")
	fs.Require("pdf", "text")
	for _, name := range []string{"ins", "family", "given", "gender", "birth", "birthplace", "author-rpps", "author-family", "org-finess", "org-name", "type"} {
		fs.Require(name)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pdf != "" && *text != "" {
		return fs.usageErrorf("--pdf and --text exclude each other")
	}
	kinds := map[string]cda.INSKind{"nir": cda.INSNIR, "nia": cda.INSNIA, "test": cda.INSTest, "demo": cda.INSDemo}
	kind, ok := kinds[strings.ToLower(*insKind)]
	if !ok {
		return fmt.Errorf("--ins-kind %q: want nir, nia, test or demo", *insKind)
	}
	if err := cda.CheckMatricule(*ins); err != nil {
		return flagError("ins", err)
	}
	sex := strings.ToUpper(*gender)
	switch sex {
	case "F", "M":
	case "U", "UN":
		sex = "UN"
	default:
		return fmt.Errorf("--gender %q: want F, M or U", *gender)
	}
	if _, err := cda.TS(*birth).Time(nil); err != nil || len(*birth) != 8 {
		return fmt.Errorf("--birth %q: want YYYYMMDD", *birth)
	}
	typeCode, ok := cda.LookupTypeCode(*typ)
	if !ok {
		return fmt.Errorf("--type %q is not a JDV_J07 document type", *typ)
	}
	ps, ok := cda.LookupPracticeSetting(*practice)
	if !ok {
		return fmt.Errorf("--practice-setting %q is not in JDV_J04", *practice)
	}
	fac, ok := cda.LookupFacilityType(*facility)
	if !ok {
		return fmt.Errorf("--facility %q is not in JDV_J02", *facility)
	}
	var spec cda.Code
	if *specialty != "" {
		if spec, ok = cda.LookupAuthorSpecialty(*specialty); !ok {
			return fmt.Errorf("--author-specialty %q is not in JDV_J01", *specialty)
		}
	}
	media, file, flagName := cda.MediaPDF, *pdf, "pdf"
	if *text != "" {
		media, file, flagName = cda.MediaText, *text, "text"
	} else {
		info, err := checkPDF(*pdf)
		if err != nil {
			return flagFileError("pdf", *pdf, err)
		}
		if w := pdfWarning("pdf", *pdf, info); w != "" {
			fmt.Fprintln(e.stderr, w)
		}
	}
	content, err := os.Open(file)
	if err != nil {
		return flagFileError(flagName, file, err)
	}
	defer content.Close()

	var authorGivens []string
	if *authorGiven != "" {
		authorGivens = []string{*authorGiven}
	}
	givens := strings.Fields(*given)
	doc, err := cda.NewN1(cda.N1{
		Type:  typeCode,
		Title: *title,
		Time:  time.Now(),
		Patient: cda.Patient{
			INS:         &cda.INS{Matricule: *ins, Kind: kind},
			BirthFamily: *family, BirthGivens: strings.Join(givens, " "), FirstGiven: givens[0],
			Gender: sex, BirthDate: cda.TS(*birth), BirthplaceCode: *birthplace,
		},
		Authors: []cda.Author{{
			ID:           cda.II{Root: cda.OIDIdNatPS, Extension: "8" + *rpps},
			Specialty:    spec,
			Person:       &cda.Name{Family: *authorFamily, Given: authorGivens},
			Organization: &cda.Organization{ID: cda.II{Root: cda.OIDIdNatStruct, Extension: "1" + *finess}, Name: *orgName},
		}},
		PracticeSetting: ps,
		Encounter:       cda.Encounter{FacilityType: fac},
		MediaType:       media,
		Content:         content,
	})
	if err != nil {
		return err
	}
	if err := cda.Validate(doc).Err(); err != nil {
		return fmt.Errorf("the document would be invalid: %w", err)
	}
	return writeOutput(e, *out, doc.Encode)
}

// writeFileAtomic writes name through a temporary file in the same folder,
// so that a failure leaves no half-written output.
func writeFileAtomic(name string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".mss-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}

func parseCDAFile(name string, opts *cda.ParseOptions) (*cda.Document, func() error, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, fileError(name, err)
	}
	d, err := cda.Parse(f, opts)
	if err != nil {
		f.Close()
		return nil, nil, fileError(name, err)
	}
	return d, f.Close, nil
}

// cdaJSON is the --json shape of "mss cda inspect"; its field names are
// part of the CLI's contract.
type cdaJSON struct {
	ID              string          `json:"id"`
	SetID           string          `json:"setId,omitempty"`
	VersionNumber   int             `json:"versionNumber,omitempty"`
	Code            string          `json:"code"`
	CodeSystem      string          `json:"codeSystem"`
	TypeDisplayName string          `json:"typeDisplayName"`
	Title           string          `json:"title"`
	EffectiveTime   string          `json:"effectiveTime"`
	ActTime         string          `json:"actTime,omitempty"`
	Confidentiality string          `json:"confidentiality,omitempty"`
	Replaces        string          `json:"replaces,omitempty"`
	TemplateIDs     []string        `json:"templateIds"`
	Patient         cdaPatientJSON  `json:"patient"`
	Authors         []cdaAuthorJSON `json:"authors"`
	Body            cdaBodyJSON     `json:"body"`
}

type cdaPatientJSON struct {
	INS       string   `json:"ins"`
	INSOID    string   `json:"insOid"`
	Qualified bool     `json:"qualified"`
	Missing   []string `json:"missingTraits,omitempty"`
	Family    string   `json:"family"`
	Given     string   `json:"given"`
	BirthDate string   `json:"birthDate"`
	Gender    string   `json:"gender"`
	IDs       []string `json:"ids,omitempty"`
}

type cdaAuthorJSON struct {
	ID     string `json:"id"`
	IDRoot string `json:"idRoot"`
	Family string `json:"family"`
	Given  string `json:"given"`
	Device string `json:"device,omitempty"`
}

type cdaBodyJSON struct {
	Kind      string `json:"kind"`
	MediaType string `json:"mediaType,omitempty"`
}

func cdaView(d *cda.Document) cdaJSON {
	v := cdaJSON{
		ID: d.ID.String(), SetID: d.SetID.String(), VersionNumber: d.VersionNumber,
		Code: d.Code.Code, CodeSystem: d.Code.CodeSystem, TypeDisplayName: d.TypeDisplayName(),
		Title: d.Title, EffectiveTime: string(d.EffectiveTime), ActTime: string(d.ActTime()),
		Confidentiality: d.Confidentiality.Code, Replaces: d.ReplacedDocument.String(),
		TemplateIDs: []string{}, Authors: []cdaAuthorJSON{},
		Body: cdaBodyJSON{Kind: d.Body.Kind.String(), MediaType: d.Body.MediaType},
	}
	for _, t := range d.TemplateIDs {
		v.TemplateIDs = append(v.TemplateIDs, t.String())
	}
	p := &d.Patient
	v.Patient = cdaPatientJSON{Qualified: p.INSQualified(), Family: p.FamilyName(), Given: p.GivenName(), BirthDate: string(p.BirthDate), Gender: p.Gender}
	if p.INS != nil {
		v.Patient.INS, v.Patient.INSOID = p.INS.Matricule, p.INS.OID()
		v.Patient.Missing = p.MissingINSTraits()
	}
	for _, id := range p.IDs {
		v.Patient.IDs = append(v.Patient.IDs, id.String())
	}
	for _, a := range d.Authors {
		j := cdaAuthorJSON{ID: a.ID.Extension, IDRoot: a.ID.Root}
		if a.Person != nil {
			j.Family = a.Person.Family
			j.Given = strings.Join(a.Person.Given, " ")
		}
		if a.Device != nil {
			j.Device = strings.TrimSpace(a.Device.Manufacturer + " " + a.Device.Software)
		}
		v.Authors = append(v.Authors, j)
	}
	return v
}

func runCDAInspect(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("cda inspect")
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	d, closeFile, err := parseCDAFile(pos[0], &cda.ParseOptions{HeaderOnly: true})
	if err != nil {
		return err
	}
	defer closeFile()
	v := cdaView(d)
	if *asJSON {
		return writeJSON(e.stdout, v)
	}
	w := e.stdout
	fmt.Fprintf(w, "id:            %s (version %d, set %s)\n", v.ID, v.VersionNumber, v.SetID)
	fmt.Fprintf(w, "type:          %s (%s) %s\n", v.Code, v.CodeSystem, v.TypeDisplayName)
	fmt.Fprintf(w, "title:         %s\n", v.Title)
	fmt.Fprintf(w, "effectiveTime: %s (act %s)\n", v.EffectiveTime, v.ActTime)
	if v.Replaces != "" {
		fmt.Fprintf(w, "replaces:      %s\n", v.Replaces)
	}
	fmt.Fprintf(w, "patient:       %s %s, born %s, sex %s\n", v.Patient.Family, v.Patient.Given, v.Patient.BirthDate, v.Patient.Gender)
	if v.Patient.INS != "" {
		fmt.Fprintf(w, "INS:           %s (%s) qualified=%v", v.Patient.INS, v.Patient.INSOID, v.Patient.Qualified)
		if len(v.Patient.Missing) > 0 {
			fmt.Fprintf(w, " missing: %s", strings.Join(v.Patient.Missing, ", "))
		}
		fmt.Fprintln(w)
	}
	for _, a := range v.Authors {
		fmt.Fprintf(w, "author:        %s %s %s (%s)\n", a.Family, a.Given, a.Device, a.ID)
	}
	fmt.Fprintf(w, "body:          %s %s\n", v.Body.Kind, v.Body.MediaType)
	return nil
}

// cdaValidateJSON is the --json output of "mss cda validate" (JSON.md).
type cdaValidateJSON struct {
	Valid    bool             `json:"valid"` // no error (and, with --strict, no warning)
	Errors   int              `json:"errors"`
	Warnings int              `json:"warnings"`
	Problems []cdaProblemJSON `json:"problems"`
}

// cdaProblemJSON is one problem in "mss cda validate --json".
type cdaProblemJSON struct {
	Severity  string `json:"severity"`  // error or warning
	Authority string `json:"authority"` // CI-SIS, HL7, Ref#2 or SDK
	Rule      string `json:"rule"`
	Path      string `json:"path"`
	Message   string `json:"message"`
}

// runCDAValidate prints every problem Validate finds, with whose rule it is
// and its severity. It fails (exit 1) on errors; warnings are printed and
// fail only with --strict.
func runCDAValidate(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("cda validate")
	strict := fs.Bool("strict", false, "fail on warnings too")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	d, closeFile, err := parseCDAFile(pos[0], &cda.ParseOptions{HeaderOnly: true})
	if err != nil {
		return err
	}
	defer closeFile()
	probs := cda.Validate(d)
	nerr, nwarn := len(probs.Errors()), len(probs.Warnings())
	var finding error
	switch {
	case nerr > 0:
		finding = fmt.Errorf("%s: %d error(s), %d warning(s)", pos[0], nerr, nwarn)
	case nwarn > 0 && *strict:
		finding = fmt.Errorf("%s: %d warning(s) (--strict)", pos[0], nwarn)
	}
	if *asJSON {
		out := cdaValidateJSON{Valid: finding == nil, Errors: nerr, Warnings: nwarn, Problems: []cdaProblemJSON{}}
		for _, p := range probs {
			out.Problems = append(out.Problems, cdaProblemJSON{Severity: p.Severity.String(), Authority: p.Authority.String(), Rule: p.Rule, Path: p.Path, Message: p.Message})
		}
		if err := writeJSON(e.stdout, out); err != nil {
			return err
		}
		return finding
	}
	for _, p := range probs {
		fmt.Fprintln(e.stdout, p)
	}
	if finding == nil {
		fmt.Fprintf(e.stdout, "ok: no error with the CI-SIS header rules (%d warning(s))\n", nwarn)
	}
	return finding
}
