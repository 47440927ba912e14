package bench

import (
	"fmt"

	"github.com/mssante-go/sdk/internal/runinfo"
)

// header is what the table starts with: the method of the run, then the
// run itself (commit, date, Go, machine and load, command line: package
// runinfo), so that a table pasted into BENCHMARKS.md names its run.
func header(c *Config) string {
	return fmt.Sprintf("mss bench: %d interleaved rounds per side (pairs 1 and 2: %d), medians\n%s\n",
		c.Rounds, c.sendSyncRounds(), runinfo.Collect(""))
}
