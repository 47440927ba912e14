package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/psc/psctest"
)

// mss psc login by CIBA against a PSC look-alike, with and without
// --show-token, then mss psc whoami with the token it printed.
func TestPSCLoginWhoami(t *testing.T) {
	idp, err := psctest.NewServer(&psctest.Options{CIBAInterval: time.Second, CIBAPendingPolls: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer idp.Close()
	t.Setenv("MSSANTE_PSC_DISCOVERY_URL", idp.Environment().DiscoveryURL)
	t.Setenv("MSSANTE_PSC_CLIENT_ID", idp.ClientID())
	t.Setenv("MSSANTE_PSC_CLIENT_SECRET", idp.ClientSecret())
	who := idp.Professional().NationalID

	code, stdout, stderr := runCLI(t, "psc", "login", "--ciba", who, "--json")
	var v pscIdentityJSON
	if code != 0 || json.Unmarshal([]byte(stdout), &v) != nil {
		t.Fatalf("login: exit %d %s %s", code, stdout, stderr)
	}
	if v.NationalID != who || v.AccessToken != "" || v.Practices == 0 {
		t.Errorf("login without --show-token: %+v", v)
	}
	if n := idp.Stats().Revocations; n != 1 {
		t.Errorf("%d revocations, want the session revoked", n)
	}

	code, stdout, stderr = runCLI(t, "psc", "login", "--ciba", who, "--show-token", "--json")
	if code != 0 || json.Unmarshal([]byte(stdout), &v) != nil || v.AccessToken == "" {
		t.Fatalf("login --show-token: exit %d %s %s", code, stdout, stderr)
	}
	t.Setenv("MSSANTE_TOKEN", v.AccessToken)
	code, stdout, stderr = runCLI(t, "psc", "whoami")
	if code != 0 || !strings.Contains(stdout, "national id "+who) || strings.Contains(stdout, v.AccessToken) {
		t.Fatalf("whoami: exit %d %s %s", code, stdout, stderr)
	}

	t.Setenv("MSSANTE_TOKEN", "not-a-token")
	if code, _, stderr := runCLI(t, "psc", "whoami"); code != 1 || !strings.Contains(stderr, "401") {
		t.Errorf("whoami with a bad token: exit %d %s", code, stderr)
	}
	t.Setenv("MSSANTE_PSC_CLIENT_ID", "")
	if code, _, stderr := runCLI(t, "psc", "login"); code != 1 || !strings.Contains(stderr, "MSSANTE_PSC_CLIENT_ID") {
		t.Errorf("without a client id: exit %d %s", code, stderr)
	}
}
