package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/trust"
)

// runTrust checks addresses against the MSSanté trust space:
//
//	mss trust check ADDR... [--list FILE|URL] [--anchors FILE] [--sha256 HEX] [--checksum FILE|URL]
//	mss trust info [--list FILE|URL] [--anchors FILE] [--sha256 HEX] [--checksum FILE|URL] [--json]
//
// The liste blanche comes from --list, else $MSS_TRUST_LIST, else (when
// --anchors is given) the ANS URL. There is no default download without
// anchors: the ANS server has an IGC-Santé certificate, which no system
// trust store holds. An https URL is fetched with the roots of --anchors
// (PEM or .p7b; the roots in that file are trusted as given, so it may hold
// the IGC-Santé TEST hierarchy).
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
// fails when any address is out.
func runTrust(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: mss trust check ADDR... | mss trust info  [--list FILE|URL] [--anchors FILE]")
	}
	switch args[0] {
	case "check":
		return runTrustCheck(ctx, e, args[1:])
	case "info":
		return runTrustInfo(ctx, e, args[1:])
	}
	return fmt.Errorf("unknown subcommand %q (check, info)", args[0])
}

// trustListFlags are the flags that say where the list comes from.
type trustListFlags struct {
	list, anchors, sha256, checksum *string
}

func addTrustListFlags(e *env, name string) (*trustListFlags, *flag.FlagSet) {
	fs := newFlagSet(e, name)
	return &trustListFlags{
		list:     fs.String("list", "", "liste blanche `FILE or URL` (default $MSS_TRUST_LIST)"),
		anchors:  fs.String("anchors", "", "IGC-Santé anchors `FILE` (PEM or .p7b) for an https list; its roots are trusted as given"),
		sha256:   fs.String("sha256", "", "expected SHA-256 of the list, in `hex`"),
		checksum: fs.String("checksum", "", "checksum `FILE or URL` holding the SHA-256 of the list (as the ANS publishes it)"),
	}, fs
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

// load returns the list the flags point to.
func (f *trustListFlags) load(ctx context.Context) (*trust.List, error) {
	loc := *f.list
	if loc == "" {
		loc = os.Getenv("MSS_TRUST_LIST")
	}
	var anchors *trust.Anchors
	if *f.anchors != "" {
		a, err := loadAnchorsFile(*f.anchors)
		if err != nil {
			return nil, fmt.Errorf("--anchors: %w", err)
		}
		anchors = a
	}
	if loc == "" {
		if anchors == nil {
			return nil, errors.New("no liste blanche: give --list FILE|URL or set MSS_TRUST_LIST (downloading the ANS list needs --anchors with the IGC-Santé roots)")
		}
		loc = trust.DefaultListURL
	}
	src := &trust.Source{Location: loc, Anchors: anchors, SHA256: *f.sha256, ChecksumLocation: *f.checksum}
	if _, err := src.Refresh(ctx); err != nil {
		return nil, err
	}
	return src.List(), nil
}

func runTrustCheck(ctx context.Context, e *env, args []string) error {
	lf, fs := addTrustListFlags(e, "trust check")
	addrs, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(addrs) == 0 {
		return errors.New("usage: mss trust check ADDR... [--list FILE|URL]")
	}
	l, err := lf.load(ctx)
	if err != nil {
		return err
	}
	if n := l.SkippedCount(); n > 0 {
		fmt.Fprintf(e.stderr, "warning: liste blanche: %d skipped entries with unusable values, their domains are outside the trust space (mss trust info lists them)\n", n)
	}
	out := 0
	for _, a := range addrs {
		if !strings.Contains(a, "@") {
			// A bare domain: is it in the list?
			if l.Contains(a) {
				fmt.Fprintf(e.stdout, "%s in\n", a)
			} else {
				out++
				fmt.Fprintf(e.stdout, "%s out domain not listed\n", a)
			}
			continue
		}
		// The send guard's view: the address itself must be valid, a
		// patient's INS key included, then its domain listed.
		if _, perr := mail.ParseAddress(a); perr != nil {
			out++
			var ae *mail.AddressError
			reason := perr.Error()
			if errors.As(perr, &ae) {
				reason = ae.Reason
			}
			fmt.Fprintf(e.stdout, "%s out %s\n", a, reason)
			continue
		}
		err := l.CheckAddress(a)
		var ae *trust.AddressError
		switch {
		case err == nil:
			fmt.Fprintf(e.stdout, "%s in\n", a)
		case errors.As(err, &ae):
			out++
			fmt.Fprintf(e.stdout, "%s out %s\n", a, ae.Explain())
		default:
			return err
		}
	}
	if out > 0 {
		noun := "addresses are"
		if len(addrs) == 1 {
			noun = "address is"
		}
		return fmt.Errorf("%d of %d %s outside the trust space", out, len(addrs), noun)
	}
	return nil
}

// trustInfoJSON is the --json output of "trust info".
type trustInfoJSON struct {
	Generated    time.Time            `json:"generated"`
	Entries      int                  `json:"entries"` // kept, skipped ones not counted
	Domains      int                  `json:"domains"`
	SkippedCount int                  `json:"skippedCount"`
	Skipped      []trust.SkippedEntry `json:"skipped"` // {line, element, value, reason}; at most trust.MaxSkippedRecorded
}

func runTrustInfo(ctx context.Context, e *env, args []string) error {
	lf, fs := addTrustListFlags(e, "trust info")
	asJSON := fs.Bool("json", false, "print JSON: {generated, entries, domains, skippedCount, skipped: [{line, element, value, reason}]}")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("unexpected argument %q", pos[0])
	}
	l, err := lf.load(ctx)
	if err != nil {
		return err
	}
	info := trustInfoJSON{Generated: l.Generated().UTC(), Entries: l.Len(), Domains: l.DomainCount(),
		SkippedCount: l.SkippedCount(), Skipped: l.Skipped()}
	if info.Skipped == nil {
		info.Skipped = []trust.SkippedEntry{}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	fmt.Fprintf(e.stdout, "generated: %s\n", info.Generated.Format(time.RFC3339))
	fmt.Fprintf(e.stdout, "entries:   %d\n", info.Entries)
	fmt.Fprintf(e.stdout, "domains:   %d\n", info.Domains)
	fmt.Fprintf(e.stdout, "skipped:   %d\n", info.SkippedCount)
	for _, s := range info.Skipped {
		fmt.Fprintf(e.stdout, "  %s\n", s)
	}
	return nil
}
