package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The policy, run in a child process so that its skip or failure is what
// the parent observes: absent data skips on a developer's machine, fails
// and names the path under CI.
func TestMissingPolicy(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") == "1" {
		SharedDir(t, "no-such-folder-for-the-test")
		return
	}
	for _, tt := range []struct {
		ci       string
		wantFail bool
	}{{"", false}, {"false", false}, {"1", true}, {"true", true}} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestMissingPolicy$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", "CI="+tt.ci)
		out, err := cmd.CombinedOutput()
		failed := err != nil
		if failed != tt.wantFail {
			t.Errorf("CI=%q: failed=%v, want %v:\n%s", tt.ci, failed, tt.wantFail, out)
		}
		if !strings.Contains(string(out), "no-such-folder-for-the-test") {
			t.Errorf("CI=%q: the missing path is not named:\n%s", tt.ci, out)
		}
		if !tt.wantFail && !strings.Contains(string(out), "--- SKIP") {
			t.Errorf("CI=%q: not skipped:\n%s", tt.ci, out)
		}
	}
}
