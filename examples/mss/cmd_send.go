package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/mssante-go/sdk/examples/internal/mssenv"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
)

// runSend sends a message through the operator configured by the MSSANTE_*
// variables (see the README):
//
//	mss send --to B[,C] [--cc …] [--bcc …] --subject S --text T [--attach FILE]…
//	    [--cda FILE.xml [--pdf FILE.pdf]]… [--read-receipt] [--delivery-receipt=false] [--json]
//	mss send FILE.eml [--to B[,C]] [--cc …] [--bcc …] [--delivery-receipt=false] [--json]
//
// The second form sends an .eml written by mss compose, as it is, to the
// recipients of its header, or to those of --to, --cc and --bcc when given
// (they replace the header's for the envelope; the header is not changed).
// It goes through the checks of Client.Send first (sendEML).
//
// It prints the Message-ID and what the operator said of each recipient,
// and exits 1 when no recipient was accepted.
func runSend(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("send")
	mf := addMessageFlags(fs, false)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	eml := fs.Arg(0)
	if eml != "" {
		var clash []string
		fs.Visit(func(f *flag.Flag) {
			if !emlFlags[f.Name] {
				clash = append(clash, "--"+f.Name)
			}
		})
		if len(clash) > 0 {
			return fs.usageErrorf("FILE.eml is the message: %s cannot go with it (only --to, --cc, --bcc, --delivery-receipt and --json)", strings.Join(clash, ", "))
		}
		// The file first: a mistyped name says so before the operator
		// configuration is looked at.
		if _, err := os.Stat(eml); err != nil {
			return fileError(eml, err)
		}
	} else if len(mf.to)+len(mf.cc)+len(mf.bcc) == 0 {
		return fs.usageErrorf("missing --to or --cc or --bcc (or FILE.eml)")
	}
	var msg *mail.Message
	if eml == "" {
		// The message's files and addresses first, then the configuration.
		var err error
		if msg, err = mf.message(e); err != nil {
			return err
		}
	}
	c, err := envClient(ctx, e, *asJSON)
	if err != nil {
		return err
	}
	defer c.Close()
	tr, err := openEnvTracker() // $MSSANTE_STORE, for mss track
	if err != nil {
		return err
	}
	defer tr.Close()
	var res *mssante.SendResult
	if eml != "" {
		res, err = sendEML(ctx, c, eml, mf, tr)
	} else {
		res, err = tr.send(ctx, c, msg)
		err = messageError(err)
	}
	if err != nil && res == nil {
		return err
	}
	if *asJSON {
		type rcpt struct {
			Address  string `json:"address"`
			Accepted bool   `json:"accepted"`
			Error    string `json:"error,omitempty"`
		}
		out := struct {
			MessageID      string `json:"messageId"`
			EnvelopeID     string `json:"envelopeId,omitempty"`
			DSNRequested   bool   `json:"dsnRequested"`
			DSNUnsupported bool   `json:"dsnUnsupported"`
			Recipients     []rcpt `json:"recipients"`
		}{res.MessageID, res.EnvelopeID, res.DSNRequested, res.DSNUnsupported, []rcpt{}}
		for _, r := range res.Recipients {
			x := rcpt{Address: r.Address, Accepted: r.Accepted}
			if r.Err != nil {
				x.Error = errorText(r.Err)
			}
			out.Recipients = append(out.Recipients, x)
		}
		if werr := writeJSON(e.stdout, out); werr != nil {
			return werr
		}
		return err
	}
	fmt.Fprintf(e.stdout, "Message-ID: %s\n", res.MessageID)
	if res.DSNUnsupported {
		fmt.Fprintln(e.stdout, "delivery receipts: not supported by the operator")
	}
	for _, r := range res.Recipients {
		if r.Accepted {
			fmt.Fprintf(e.stdout, "%s accepted\n", r.Address)
		} else {
			fmt.Fprintf(e.stdout, "%s refused: %s\n", r.Address, errorText(r.Err))
		}
	}
	return err
}

// runSync prints the messages of a folder that are new since the cursor
// kept in a state file:
//
//	mss sync [--folder INBOX] [--state FILE] [--json]
//
// Without --state every message is listed. A message that cannot be read is
// listed as such and the others follow. On a terminal, a progress bar counts
// the messages while the list goes to a file or a pipe.
func runSync(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("sync")
	folder := fs.String("folder", "INBOX", "the `folder` to read")
	state := fs.String("state", "", "JSON `file` keeping the sync cursor between runs")
	asJSON := fs.Bool("json", false, "print one JSON object per message (JSON Lines)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var cur mssante.Cursor
	if *state != "" {
		if b, err := os.ReadFile(*state); err == nil {
			if err := json.Unmarshal(b, &cur); err != nil {
				return flagFileError("state", *state, fmt.Errorf("not a sync cursor: %v", err))
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return flagFileError("state", *state, err)
		}
	}
	c, err := envClient(ctx, e, *asJSON)
	if err != nil {
		return err
	}
	defer c.Close()
	tr, err := openEnvTracker() // the reports go to $MSSANTE_STORE, for mss track
	if err != nil {
		return err
	}
	defer tr.Close()
	// The listed lines are a progress of their own on a terminal.
	bar := e.newProgress(*asJSON || isTerminal(e.stdout), "syncing "+*folder, -1, unitItems, "messages")
	defer bar.Done()
	n := 0
	var syncErr error
	for r, err := range c.Sync(ctx, *folder, &cur) {
		if err != nil {
			syncErr = err
			break
		}
		n++
		bar.Add(1)
		if r.Err != nil { // this message could not be read: list it and go on
			if *asJSON {
				if werr := writeJSONLine(e.stdout, syncErrorJSON{UID: r.UID, Error: errorText(r.Err)}); werr != nil {
					return werr
				}
				continue
			}
			fmt.Fprintf(e.stdout, "UID %d  unreadable: %s\n", r.UID, errorText(r.Err))
			continue
		}
		v := inspectView(r.Message)
		terr := tr.observe(ctx, r.Message)
		r.Message.Close()
		if terr != nil {
			return terr // the next sync reads the message again: a report counts once
		}
		if *asJSON {
			if err := writeJSONLine(e.stdout, struct {
				UID uint32 `json:"uid"`
				inspectJSON
			}{r.UID, v}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(e.stdout, "UID %d  %-8s %s  %s\n", r.UID, v.Kind, v.From, v.DisplaySubject)
	}
	bar.Done()
	if cur.Reset {
		fmt.Fprintln(e.stderr, "mss sync: the folder was renumbered (UIDVALIDITY changed): listed from the start")
	}
	if *state != "" {
		b, _ := json.Marshal(cur)
		if err := os.WriteFile(*state, b, 0o600); err != nil {
			return flagFileError("state", *state, err)
		}
	}
	if syncErr != nil {
		return syncErr
	}
	if !*asJSON {
		fmt.Fprintf(e.stdout, "%d new message(s)\n", n)
	}
	return nil
}

// syncErrorJSON is the line of mss sync --json for a message that could not
// be read.
type syncErrorJSON struct {
	UID   uint32 `json:"uid"`
	Error string `json:"error"`
}

// emlFlags are the flags that go with mss send FILE.eml.
var emlFlags = map[string]bool{"to": true, "cc": true, "bcc": true, "delivery-receipt": true, "json": true}

// envClient makes a client from the MSSANTE_* variables, with a progress
// bar when the liste blanche is downloaded.
func envClient(ctx context.Context, e *env, quiet bool) (*mssante.Client, error) {
	if !mssenv.Configured(os.Getenv) && os.Getenv("MSSANTE_SMTP") == "" && os.Getenv("MSSANTE_IMAP") == "" {
		return nil, errors.New("no operator configured: set MSSANTE_ADDRESS and the other MSSANTE_* variables (see the README), or try mss sandbox")
	}
	list := os.Getenv("MSSANTE_TRUST_LIST")
	download := strings.HasPrefix(list, "https://") || strings.HasPrefix(list, "http://")
	bar := e.newProgress(quiet || !download, "liste blanche", -1, unitBytes, "")
	cfg, err := mssenv.LoadWith(ctx, os.Getenv, &mssenv.Options{Progress: bar.Func()})
	bar.Done()
	if err != nil {
		return nil, err
	}
	return mssante.NewClient(cfg)
}
