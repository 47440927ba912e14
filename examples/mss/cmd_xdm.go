package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mssante-go/sdk/cda/xdm"
)

// The xdm commands build and inspect IHE_XDM.ZIP packages:
//
//	mss xdm build --cda FILE.xml... [--to ADDR...] -o IHE_XDM.ZIP [--json]
//	mss xdm inspect FILE.zip [--json]

// xdmBuildJSON is the --json output of "xdm build" (JSON.md).
type xdmBuildJSON struct {
	Output    string            `json:"output"`
	Documents []xdmBuiltDocJSON `json:"documents"`
}

type xdmBuiltDocJSON struct {
	File     string `json:"file"` // the CDA file given
	URI      string `json:"uri"`  // its path in the archive
	TypeCode string `json:"typeCode"`
	Size     int64  `json:"size"`
}

func runXDMBuild(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("xdm build")
	var docs, to listFlag
	fs.Var(&docs, "cda", "CDA `file` to package (repeatable, comma-separated; files may also be given as arguments)")
	fs.Var(&to, "to", "recipient mail `address` (repeatable, comma-separated)")
	out := fs.String("o", "", "output `file`, e.g. IHE_XDM.ZIP")
	sourceID := fs.String("source-id", "", "OID of the sending system (default: the submission set id)")
	asJSON := fs.Bool("json", false, "print what was packaged as JSON")
	fs.Require("o")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	docs = append(docs, pos...)
	if len(docs) == 0 {
		return fs.usageErrorf("missing --cda (or FILE.xml arguments)")
	}
	res := xdmBuildJSON{Output: *out, Documents: []xdmBuiltDocJSON{}}
	err = writeFileAtomic(*out, func(w io.Writer) error {
		x := xdm.NewWriter(w, &xdm.Options{Recipients: to, SourceID: *sourceID})
		for _, name := range docs {
			f, err := os.Open(name)
			if err != nil {
				return flagFileError("cda", name, err)
			}
			entry, err := x.Add(f, nil)
			f.Close()
			if err != nil {
				return flagFileError("cda", name, err)
			}
			res.Documents = append(res.Documents, xdmBuiltDocJSON{File: name, URI: entry.URI, TypeCode: entry.TypeCode.Code, Size: entry.Size})
		}
		return x.Close()
	})
	if err != nil {
		var ie *inputError
		if errors.As(err, &ie) {
			return err
		}
		return flagFileError("o", *out, err)
	}
	if *asJSON {
		return writeJSON(e.stdout, res)
	}
	for _, d := range res.Documents {
		fmt.Fprintf(e.stdout, "%s <- %s (%s, %d bytes)\n", d.URI, d.File, d.TypeCode, d.Size)
	}
	return nil
}

// xdmJSON is the --json shape of "mss xdm inspect"; its field names are
// part of the CLI's contract.
type xdmJSON struct {
	SubmissionSets []xdmSetJSON `json:"submissionSets"`
	Documents      []xdmDocJSON `json:"documents"`
	PatientINS     string       `json:"patientIns,omitempty"`
	PatientINSOID  string       `json:"patientInsOid,omitempty"`
}

type xdmSetJSON struct {
	ID                 string   `json:"id"`
	UniqueID           string   `json:"uniqueId"`
	SourceID           string   `json:"sourceId"`
	PatientID          string   `json:"patientId"`
	SubmissionTime     string   `json:"submissionTime"`
	ContentTypeCode    string   `json:"contentTypeCode,omitempty"`
	IntendedRecipients []string `json:"intendedRecipients,omitempty"`
}

type xdmDocJSON struct {
	EntryID            string           `json:"entryId"`
	URI                string           `json:"uri"`
	Path               string           `json:"path,omitempty"`
	UniqueID           string           `json:"uniqueId"`
	Title              string           `json:"title,omitempty"`
	TypeCode           string           `json:"typeCode"`
	FormatCode         string           `json:"formatCode"`
	ClassCode          string           `json:"classCode"`
	HealthcareFacility string           `json:"healthcareFacilityTypeCode,omitempty"`
	PracticeSetting    string           `json:"practiceSettingCode,omitempty"`
	CreationTime       string           `json:"creationTime,omitempty"`
	PatientID          string           `json:"patientId"`
	Hash               string           `json:"hash"`
	Size               int64            `json:"size"` // from the metadata, -1 when absent
	ActualSize         int64            `json:"actualSize"`
	HashOK             bool             `json:"hashOk"`
	Readable           bool             `json:"readable"`
	Problems           []xdmProblemJSON `json:"problems"`
	Replaces           string           `json:"replaces,omitempty"`
}

// xdmProblemJSON is one problem of a document; kind is one of the
// xdmProblemKinds.
type xdmProblemJSON struct {
	Kind    string `json:"kind"`
	Note    bool   `json:"note"` // nothing wrong found, something not checked
	Message string `json:"message"`
	Want    string `json:"want,omitempty"` // for a mismatch: the metadata's value
	Got     string `json:"got,omitempty"`  // and the file's
}

var xdmProblemKinds = []struct {
	err  error
	kind string
}{
	{xdm.ErrMissingFile, "missing-file"},
	{xdm.ErrSharedFile, "shared-file"},
	{xdm.ErrUnreadableFile, "unreadable-file"},
	{xdm.ErrUnsafePath, "unsafe-uri"},
	{xdm.ErrHashMismatch, "hash-mismatch"},
	{xdm.ErrSizeMismatch, "size-mismatch"},
	{xdm.ErrNoHash, "no-hash"},
	{xdm.ErrNoSize, "no-size"},
	{xdm.ErrNoURI, "no-uri"},
}

func problemJSON(err error) xdmProblemJSON {
	v := xdmProblemJSON{Kind: "other", Message: err.Error()}
	for _, k := range xdmProblemKinds {
		if errors.Is(err, k.err) {
			v.Kind = k.kind
			break
		}
	}
	var de *xdm.DocumentError
	if errors.As(err, &de) {
		v.Note, v.Want, v.Got = de.Note(), de.Want, de.Got
	}
	return v
}

// runXDMInspect prints the package and each document's problems. It exits
// 1 when the archive is refused or none of its documents can be read; a
// document with problems (a hash mismatch, a missing file beside others)
// is reported, not fatal.
func runXDMInspect(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("xdm inspect")
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return fileError(pos[0], err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fileError(pos[0], err)
	}
	p, err := xdm.Read(f, st.Size(), nil)
	if err != nil {
		return fileError(pos[0], err)
	}
	v := xdmJSON{SubmissionSets: []xdmSetJSON{}, Documents: []xdmDocJSON{}}
	for _, s := range p.SubmissionSets {
		v.SubmissionSets = append(v.SubmissionSets, xdmSetJSON{ID: s.EntryID, UniqueID: s.UniqueID, SourceID: s.SourceID, PatientID: s.PatientID,
			SubmissionTime: s.SubmissionTime, ContentTypeCode: s.ContentType.Code, IntendedRecipients: s.IntendedRecipients})
	}
	readable := 0
	for _, d := range p.Documents {
		j := xdmDocJSON{EntryID: d.EntryID, URI: d.URI, Path: d.Path, UniqueID: d.UniqueID, Title: d.Title,
			TypeCode: d.TypeCode.Code, FormatCode: d.FormatCode.Code, ClassCode: d.ClassCode.Code,
			HealthcareFacility: d.HealthcareFacility.Code, PracticeSetting: d.PracticeSetting.Code, CreationTime: d.CreationTime,
			PatientID: d.PatientID, Hash: d.Hash, Size: d.Size, ActualSize: d.ActualSize, HashOK: d.HashOK,
			Readable: d.Readable(), Problems: []xdmProblemJSON{}, Replaces: d.Replaces}
		for _, pr := range d.Problems {
			j.Problems = append(j.Problems, problemJSON(pr))
		}
		if d.Readable() {
			readable++
		}
		v.Documents = append(v.Documents, j)
	}
	if ins, ok := p.PatientINS(); ok {
		v.PatientINS, v.PatientINSOID = ins.Matricule, ins.OID()
	}
	var none error
	if readable == 0 {
		none = fmt.Errorf("%s: none of the %d documents of the archive can be read", pos[0], len(p.Documents))
	}
	if *asJSON {
		if err := writeJSON(e.stdout, v); err != nil {
			return err
		}
		return none
	}
	w := e.stdout
	for _, s := range v.SubmissionSets {
		fmt.Fprintf(w, "submission set %s: uniqueId %s, source %s, patient %s, submitted %s\n", s.ID, s.UniqueID, s.SourceID, s.PatientID, s.SubmissionTime)
		for _, r := range s.IntendedRecipients {
			fmt.Fprintf(w, "  recipient %s\n", r)
		}
	}
	for _, d := range v.Documents {
		size := d.Size
		if d.Readable {
			size = d.ActualSize
		}
		fmt.Fprintf(w, "document %s (%s): type %s, class %s, format %s, patient %s, %d bytes, hash ok %v\n",
			d.EntryID, d.UniqueID, d.TypeCode, d.ClassCode, d.FormatCode, d.PatientID, size, d.HashOK)
		if d.Path != "" {
			fmt.Fprintf(w, "  file %s\n", d.Path)
		} else {
			fmt.Fprintf(w, "  no file (URI %q)\n", d.URI)
		}
		for _, pr := range d.Problems {
			label := "problem"
			if pr.Note {
				label = "note"
			}
			fmt.Fprintf(w, "  %s: %s\n", label, pr.Message)
		}
	}
	if v.PatientINS != "" {
		fmt.Fprintf(w, "patient INS: %s (%s)\n", v.PatientINS, v.PatientINSOID)
	}
	return none
}
