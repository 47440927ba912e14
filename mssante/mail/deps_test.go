package mail_test

import (
	"os/exec"
	"strings"
	"testing"
)

// A program that only composes and parses mail must not link the network
// stack of the client: the message model imports none of it.
func TestNoNetworkDependencies(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the dependencies")
	}
	out, err := exec.Command(goCmd, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/emersion/go-imap", "github.com/emersion/go-smtp", "github.com/emersion/go-sasl", "golang.org/x/oauth2", "github.com/mssante-go/sdk/mssante"} {
			if dep == banned || strings.HasPrefix(dep, banned+"/") && !strings.HasPrefix(dep, "github.com/mssante-go/sdk/mssante/mail") {
				t.Errorf("mssante/mail depends on %s", dep)
			}
		}
	}
}
