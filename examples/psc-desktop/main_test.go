package main

import (
	"context"
	"strings"
	"testing"
)

// The whole chain against the look-alikes: login by the loopback redirect,
// a send, a refresh after the operator refused an expired token (one code
// exchange, one refresh: no retry storm), and the end of the session when
// PSC refuses the next refresh.
func TestSandbox(t *testing.T) {
	var out strings.Builder
	if err := runSandbox(context.Background(), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"Logged in: Marie MARTIN, national id 810000000001, acr eidas1",
		`Sent to bruno.durand@ch-test.mssante.fr: "Bonjour`,
		`Sent to bruno.durand@ch-test.mssante.fr: "Second message, after a refresh."`,
		"PSC token endpoint: 1 code exchange, 1 refresh",
		"the session ended",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRealNeedsRecipient(t *testing.T) {
	env := map[string]string{"MSSANTE_PSC_CLIENT_ID": "x"}
	err := runReal(context.Background(), &strings.Builder{}, func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "MSSANTE_TO") {
		t.Errorf("without MSSANTE_TO: %v", err)
	}
}
