package pgstore_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/runinfo"
)

var updateRobustness = flag.Bool("update-robustness", false, "write the figures of the process tests into ../../../ROBUSTNESS.md (run with MSSANTE_LONG=1)")

// recordFigures replaces the text between <!-- name:begin --> and
// <!-- name:end --> in ROBUSTNESS.md with -update-robustness: text, then
// the run it comes from (package runinfo). The figures vary from run to
// run: without the flag nothing is checked.
func recordFigures(t *testing.T, name, text string) {
	t.Helper()
	if !*updateRobustness {
		return
	}
	command := runinfo.Command(os.Args)
	if long() {
		command = envLong + "=" + os.Getenv(envLong) + " " + command
	}
	text += fmt.Sprintf("\n%s\n", runinfo.Collect(command))
	const path = "../../../ROBUSTNESS.md"
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %s markers", path, name)
	}
	if err := os.WriteFile(path, []byte(s[:i+len(begin)]+text+s[j:]), 0o644); err != nil {
		t.Fatal(err)
	}
}
