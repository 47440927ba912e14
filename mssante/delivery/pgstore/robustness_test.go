package pgstore_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
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
	text += fmt.Sprintf("\n%s\n", theRun())
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

// theRun describes the run of this test binary, collected once by the
// first test that records figures, before it writes any: a ROBUSTNESS.md
// already rewritten would make the tree look modified.
var theRun = sync.OnceValue(func() runinfo.Info {
	command := runinfo.Command(os.Args)
	if long() {
		command = envLong + "=" + os.Getenv(envLong) + " " + command
	}
	return runinfo.Collect(command)
})

// startRecording notes when the run started, when its figures will be
// recorded.
func startRecording() {
	if *updateRobustness {
		theRun()
	}
}
