package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/mssante-go/sdk/examples/internal/mssenv"
	"github.com/mssante-go/sdk/mssante"
)

// runSend sends a message through the operator configured by the MSSANTE_*
// variables (see the README):
//
//	mss send --to B[,C] [--cc …] --subject S --text T [--attach FILE]…
//	    [--cda FILE.xml]… [--read-receipt] [--delivery-receipt=false] [--json]
//
// It prints the Message-ID and what the operator said of each recipient,
// and exits 1 when no recipient was accepted.
func runSend(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "send")
	mf := addMessageFlags(fs, false)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	msg, err := mf.message()
	if err != nil {
		return err
	}
	c, err := envClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.Send(ctx, msg)
	if err != nil {
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
			DSNRequested   bool   `json:"dsnRequested"`
			DSNUnsupported bool   `json:"dsnUnsupported"`
			Recipients     []rcpt `json:"recipients"`
		}{res.MessageID, res.DSNRequested, res.DSNUnsupported, nil}
		for _, r := range res.Recipients {
			x := rcpt{Address: r.Address, Accepted: r.Accepted}
			if r.Err != nil {
				x.Error = r.Err.Error()
			}
			out.Recipients = append(out.Recipients, x)
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(e.stdout, "Message-ID: %s\n", res.MessageID)
	if res.DSNUnsupported {
		fmt.Fprintln(e.stdout, "delivery receipts: not supported by the operator")
	}
	for _, r := range res.Recipients {
		if r.Accepted {
			fmt.Fprintf(e.stdout, "%s accepted\n", r.Address)
		} else {
			fmt.Fprintf(e.stdout, "%s refused: %v\n", r.Address, r.Err)
		}
	}
	return nil
}

// runSync prints the messages of a folder that are new since the cursor
// kept in a state file:
//
//	mss sync [--folder INBOX] [--state FILE] [--json]
//
// Without --state every message is listed.
func runSync(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "sync")
	folder := fs.String("folder", "INBOX", "the `folder` to read")
	state := fs.String("state", "", "JSON `file` keeping the sync cursor between runs")
	asJSON := fs.Bool("json", false, "print one JSON object per message")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var cur mssante.Cursor
	if *state != "" {
		if b, err := os.ReadFile(*state); err == nil {
			if err := json.Unmarshal(b, &cur); err != nil {
				return fmt.Errorf("%s: %w", *state, err)
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	c, err := envClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	n := 0
	var syncErr error
	for r, err := range c.Sync(ctx, *folder, &cur) {
		if err != nil {
			syncErr = err
			break
		}
		n++
		if r.Err != nil {
			fmt.Fprintf(e.stdout, "UID %d: unreadable: %v\n", r.UID, r.Err)
			continue
		}
		v := inspectView(r.Message)
		if *asJSON {
			if err := json.NewEncoder(e.stdout).Encode(struct {
				UID uint32 `json:"uid"`
				inspectJSON
			}{r.UID, v}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(e.stdout, "UID %d  %-8s %s  %s\n", r.UID, v.Kind, v.From, v.DisplaySubject)
	}
	if cur.Reset {
		fmt.Fprintln(e.stderr, "mss sync: the folder was renumbered (UIDVALIDITY changed): listed from the start")
	}
	if *state != "" {
		b, _ := json.Marshal(cur)
		if err := os.WriteFile(*state, b, 0o600); err != nil {
			return err
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

// envClient makes a client from the MSSANTE_* variables.
func envClient(ctx context.Context) (*mssante.Client, error) {
	if !mssenv.Configured(os.Getenv) {
		return nil, errors.New("no operator configured: set MSSANTE_ADDRESS and the other MSSANTE_* variables (see the README), or try mss sandbox")
	}
	cfg, err := mssenv.Load(ctx, os.Getenv)
	if err != nil {
		return nil, err
	}
	return mssante.NewClient(cfg)
}
