package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/mssante-go/sdk/examples/internal/mssenv"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/trust"
)

// The trust commands check addresses against the MSSanté trust space:
//
//	mss trust check ADDR... [--list FILE|URL] [--anchors FILE] [--sha256 HEX] [--checksum FILE|URL] [--json]
//	mss trust info [--list FILE|URL] [--anchors FILE] [--sha256 HEX] [--checksum FILE|URL] [--json]
//
// The liste blanche comes from --list, else $MSSANTE_TRUST_LIST (the
// variable of mss send and the examples), else (when --anchors is given)
// the ANS URL. There is no default download without anchors: the ANS
// server has an IGC-Santé certificate, which no system trust store holds.
// An https URL is fetched with the roots of --anchors (PEM or .p7b; the
// roots in that file are trusted as given, so it may hold the IGC-Santé
// TEST hierarchy), with a progress bar on a terminal.
//
// --checksum names the ANS checksum file (the SHA-256 of the list; the
// published form, the digest written twice, is accepted); a list that does
// not match is refused.
//
// Entries of the list with unusable values (an e-mail address as <Nom>,
// say) are skipped: their domains are outside the trust space, the rest of
// the list is used. info lists them; check warns about them on stderr.
//
// check prints one line per address, "ADDR in" or "ADDR out REASON", and
// fails (exit 1, a finding) when any address is out.

// trustListFlags are the flags that say where the list comes from.
type trustListFlags struct {
	list, anchors, sha256, checksum *string
}

func addTrustListFlags(e *env, name string) (*trustListFlags, *flagSet) {
	fs := newFlagSet(name)
	lf := &trustListFlags{
		list:     fs.String("list", os.Getenv("MSSANTE_TRUST_LIST"), "liste blanche `FILE or URL` (default $MSSANTE_TRUST_LIST)"),
		anchors:  fs.String("anchors", "", "IGC-Santé anchors `FILE` (PEM or .p7b) for an https list; its roots are trusted as given"),
		sha256:   fs.String("sha256", "", "expected SHA-256 of the list, in `hex`"),
		checksum: fs.String("checksum", "", "checksum `FILE or URL` holding the SHA-256 of the list (as the ANS publishes it)"),
	}
	// Without a list, --anchors downloads the ANS one.
	fs.Require("list", "anchors")
	return lf, fs
}

// loadAnchorsFile reads a PEM or PKCS#7 bundle named on the command line:
// the user chose the file, so its roots are trusted as given.
func loadAnchorsFile(path string) (*trust.Anchors, error) {
	data, err := readFileLimited(path, 16<<20)
	if err != nil {
		return nil, err
	}
	return trust.ParseAnchors(data, &trust.AnchorOptions{TrustBundleRoots: true})
}

// readFileLimited reads a file of at most max bytes.
func readFileLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return data, nil
}

// load returns the list the flags point to, with a progress bar for a
// download unless quiet.
func (f *trustListFlags) load(ctx context.Context, e *env, quiet bool) (*trust.List, error) {
	loc := *f.list
	var anchors *trust.Anchors
	if *f.anchors != "" {
		a, err := loadAnchorsFile(*f.anchors)
		if err != nil {
			return nil, flagFileError("anchors", *f.anchors, err)
		}
		anchors = a
	}
	if loc == "" {
		if anchors == nil {
			return nil, usageErrorf("no liste blanche: give --list FILE|URL or set MSSANTE_TRUST_LIST (downloading the ANS list needs --anchors with the IGC-Santé roots)")
		}
		loc = trust.DefaultListURL
	}
	src := &trust.Source{Location: loc, Anchors: anchors, SHA256: *f.sha256, ChecksumLocation: *f.checksum}
	download := strings.HasPrefix(loc, "https://") || strings.HasPrefix(loc, "http://")
	bar := e.newProgress(quiet || !download || anchors == nil, "liste blanche", -1, unitBytes, "")
	defer bar.Done()
	if anchors != nil {
		src.HTTPClient = mssenv.ProgressClient(anchors.HTTPClient(0), bar.Func())
	}
	if _, err := src.Refresh(ctx); err != nil {
		// trust's error names the location already; a missing file is
		// said the short way.
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Path == loc {
			return nil, flagFileError("list", loc, pe)
		}
		return nil, err
	}
	return src.List(), nil
}

// trustCheckJSON is the --json output of "trust check" (JSON.md).
type trustCheckJSON struct {
	Results []trustResultJSON `json:"results"`
	In      int               `json:"in"`
	Out     int               `json:"out"`
	// SkippedEntries counts the entries of the list left out for unusable
	// values (mss trust info lists them).
	SkippedEntries int `json:"skippedEntries"`
}

// trustResultJSON is one address or domain checked.
type trustResultJSON struct {
	Address string `json:"address"` // as given: an address or a bare domain
	In      bool   `json:"in"`
	Reason  string `json:"reason,omitempty"` // why it is out
}

func runTrustCheck(ctx context.Context, e *env, args []string) error {
	lf, fs := addTrustListFlags(e, "trust check")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	addrs, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	l, err := lf.load(ctx, e, *asJSON)
	if err != nil {
		return err
	}
	res := trustCheckJSON{Results: []trustResultJSON{}, SkippedEntries: l.SkippedCount()}
	if n := res.SkippedEntries; n > 0 && !*asJSON {
		fmt.Fprintf(e.stderr, "warning: liste blanche: %d skipped entries with unusable values, their domains are outside the trust space (mss trust info lists them)\n", n)
	}
	for _, a := range addrs {
		r := trustResultJSON{Address: a, In: true}
		if !strings.Contains(a, "@") {
			// A bare domain: is it in the list?
			if !l.Contains(a) {
				r.In, r.Reason = false, "domain not listed"
			}
		} else if _, perr := mail.ParseAddress(a); perr != nil {
			// The send guard's view: the address itself must be valid, a
			// patient's INS key included, then its domain listed.
			var ae *mail.AddressError
			r.In, r.Reason = false, errorText(perr)
			if errors.As(perr, &ae) {
				r.Reason = ae.Reason
			}
		} else if err := l.CheckAddress(a); err != nil {
			var ae *trust.AddressError
			if !errors.As(err, &ae) {
				return err
			}
			r.In, r.Reason = false, ae.Explain()
		}
		if r.In {
			res.In++
		} else {
			res.Out++
		}
		res.Results = append(res.Results, r)
	}
	var finding error
	if res.Out > 0 {
		noun := "addresses are"
		if len(addrs) == 1 {
			noun = "address is"
		}
		finding = fmt.Errorf("%d of %d %s outside the trust space", res.Out, len(addrs), noun)
	}
	if *asJSON {
		if err := writeJSON(e.stdout, res); err != nil {
			return err
		}
		return finding
	}
	for _, r := range res.Results {
		if r.In {
			fmt.Fprintf(e.stdout, "%s in\n", r.Address)
		} else {
			fmt.Fprintf(e.stdout, "%s out %s\n", r.Address, r.Reason)
		}
	}
	return finding
}

// trustInfoJSON is the --json output of "trust info" (JSON.md).
type trustInfoJSON struct {
	Generated    time.Time          `json:"generated"`
	Entries      int                `json:"entries"` // kept, skipped ones not counted
	Domains      int                `json:"domains"`
	SkippedCount int                `json:"skippedCount"`
	Skipped      []trustSkippedJSON `json:"skipped"` // at most trust.MaxSkippedRecorded
}

// trustSkippedJSON is one entry of the list left out.
type trustSkippedJSON struct {
	Line    int    `json:"line"`
	Element string `json:"element"`
	Value   string `json:"value"`
	Reason  string `json:"reason"`
}

func runTrustInfo(ctx context.Context, e *env, args []string) error {
	lf, fs := addTrustListFlags(e, "trust info")
	asJSON := fs.Bool("json", false, "print the description as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	l, err := lf.load(ctx, e, *asJSON)
	if err != nil {
		return err
	}
	info := trustInfoJSON{Generated: l.Generated().UTC(), Entries: l.Len(), Domains: l.DomainCount(),
		SkippedCount: l.SkippedCount(), Skipped: []trustSkippedJSON{}}
	skipped := l.Skipped()
	for _, s := range skipped {
		info.Skipped = append(info.Skipped, trustSkippedJSON{Line: s.Line, Element: s.Element, Value: s.Value, Reason: s.Reason})
	}
	if *asJSON {
		return writeJSON(e.stdout, info)
	}
	fmt.Fprintf(e.stdout, "generated: %s\n", info.Generated.Format(time.RFC3339))
	fmt.Fprintf(e.stdout, "entries:   %d\n", info.Entries)
	fmt.Fprintf(e.stdout, "domains:   %d\n", info.Domains)
	fmt.Fprintf(e.stdout, "skipped:   %d\n", info.SkippedCount)
	for _, s := range skipped {
		fmt.Fprintf(e.stdout, "  %s\n", s)
	}
	return nil
}
