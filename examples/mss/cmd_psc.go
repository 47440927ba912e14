package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/mssante-go/sdk/examples/internal/mssenv"
	"github.com/mssante-go/sdk/psc"
)

// runPSCLogin logs in at Pro Santé Connect and prints who logged in:
//
//	mss psc login [--ciba IDNAT [--binding-message TEXT]] [--show-token] [--json]
//
// Without --ciba it runs the authorization code flow of a desktop
// application: it prints the login page's URL (open it in a browser) and
// waits for the redirect on the loopback address of MSSANTE_PSC_REDIRECT.
// With --ciba the professional named by IDNAT approves on the e-CPS app
// (CIBA poll mode). The access token is printed only with --show-token
// (then the session is left to expire, so that the token stays usable as
// MSSANTE_TOKEN for a few minutes); otherwise the session is revoked.
func runPSCLogin(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("psc login")
	ciba := fs.String("ciba", "", "log in the professional of this national `IDNAT` (8 and the RPPS) by CIBA, on the e-CPS app")
	binding := fs.String("binding-message", "", "with --ciba: a short `code` shown on the professional's device")
	showToken := fs.Bool("show-token", false, "print the access token (a secret: it opens the mailbox for minutes)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	client, err := pscClient(ctx)
	if err != nil {
		return err
	}
	var session *psc.Session
	if *ciba != "" {
		fmt.Fprintf(e.stderr, "Waiting for %s to approve on the e-CPS app…\n", *ciba)
		session, err = client.LoginCIBA(ctx, psc.CIBARequest{LoginHint: *ciba, BindingMessage: *binding})
	} else {
		session, err = client.LoginLoopback(ctx, func(authURL string) error {
			fmt.Fprintf(e.stderr, "Open this page in a browser and log in with the e-CPS app or a CPS card:\n\n  %s\n\n", authURL)
			return nil
		})
	}
	if err != nil {
		return err
	}
	id := session.Identity()
	if full, err := session.UserInfo(ctx); err == nil {
		id = full
	} else {
		fmt.Fprintf(e.stderr, "warning: userinfo: %s (identity from the ID token only)\n", errorText(err))
	}
	out := pscIdentityView(id)
	if *showToken {
		tok, err := session.TokenContext(ctx)
		if err != nil {
			return err
		}
		out.AccessToken, out.Expiry = tok.AccessToken, tok.Expiry.UTC().Format("2006-01-02T15:04:05Z07:00")
	} else if err := session.Close(ctx); err != nil {
		fmt.Fprintf(e.stderr, "warning: revoking the session: %s\n", errorText(err))
	}
	return printPSCIdentity(e, out, *asJSON)
}

// runPSCWhoami prints whom an access token stands for:
//
//	mss psc whoami [--json]
//
// The token comes from MSSANTE_TOKEN; it is sent to the environment's
// userinfo endpoint only.
func runPSCWhoami(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("psc whoami")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	token := os.Getenv("MSSANTE_TOKEN")
	if token == "" {
		return errors.New("MSSANTE_TOKEN is not set: give the access token to look up (mss psc login --show-token prints one)")
	}
	client, err := pscClient(ctx)
	if err != nil {
		return err
	}
	id, err := client.UserInfo(ctx, token)
	if err != nil {
		return err
	}
	return printPSCIdentity(e, pscIdentityView(id), *asJSON)
}

// pscClient is the PSC client the MSSANTE_PSC_* variables describe.
func pscClient(ctx context.Context) (*psc.Client, error) {
	cfg, err := mssenv.PSCConfig(os.Getenv)
	if err != nil {
		return nil, err
	}
	return psc.New(ctx, cfg)
}

// pscIdentityJSON is the --json shape of mss psc login and whoami.
type pscIdentityJSON struct {
	NationalID string   `json:"nationalId"`
	RPPS       string   `json:"rpps,omitempty"`
	ADELI      string   `json:"adeli,omitempty"`
	GivenName  string   `json:"givenName,omitempty"`
	FamilyName string   `json:"familyName,omitempty"`
	ACR        string   `json:"acr,omitempty"`
	Practices  int      `json:"practices"`
	Roles      []string `json:"roles"`
	// AccessToken and Expiry only with --show-token.
	AccessToken string `json:"accessToken,omitempty"`
	Expiry      string `json:"expiry,omitempty"`
}

func pscIdentityView(id psc.Identity) pscIdentityJSON {
	roles := id.Roles
	if roles == nil {
		roles = []string{}
	}
	return pscIdentityJSON{NationalID: id.NationalID, RPPS: id.RPPS(), ADELI: id.ADELI(), GivenName: id.GivenName,
		FamilyName: id.FamilyName, ACR: id.ACR, Practices: len(id.Practices), Roles: roles}
}

func printPSCIdentity(e *env, v pscIdentityJSON, asJSON bool) error {
	if asJSON {
		return writeJSON(e.stdout, v)
	}
	fmt.Fprintf(e.stdout, "%s %s\n  national id %s", v.GivenName, v.FamilyName, v.NationalID)
	if v.RPPS != "" {
		fmt.Fprintf(e.stdout, " (RPPS %s)", v.RPPS)
	}
	fmt.Fprintf(e.stdout, "\n  authentication level %s, %d practice(s)\n", v.ACR, v.Practices)
	if v.AccessToken != "" {
		fmt.Fprintf(e.stdout, "  access token (until %s):\n%s\n", v.Expiry, v.AccessToken)
	}
	return nil
}
