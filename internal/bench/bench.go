// Package bench runs the performance pairs of BENCHMARKS.md: each pair puts
// the SDK beside the bare library doing the same work, in one process, and
// prints a table of figures, ratios and budgets. Pairs 1, 2 and 8 run
// against an in-process mssantetest operator over loopback; pairs 7 to 9
// need a PostgreSQL server for their PostgreSQL rows (Config.PostgresDSN).
// `mss bench` is its command line; the Go benchmarks of this package time
// one side of a pair at a time.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"
)

// Config sizes the performance pairs. [Defaults] gives the sizes of the
// budgets; tests use tiny ones. Every size must be positive.
type Config struct {
	Rounds         int    // timed rounds of each side of a pair, interleaved
	SendSyncRounds int    // rounds of pairs 1 and 2, judged on the median of their per-round ratios; zero means Rounds
	Pairs          string // comma-separated pair numbers; "" runs all
	Messages       int    // messages of pairs 1 (sent), 2 (synchronised), 7 and 8 (through the outbox)
	MailKB         int    // target size of those messages, in KB
	SendDocuments  bool   // pair 1: Documents rebuilt at each Send instead of the prebuilt archive
	PDFMB          int    // size of the PDF of pairs 3 and 4, in MB
	Rows           int    // extraction rows of pair 5
	Lookups        int    // lookups timed in pairs 5 and 6
	TrustEntries   int    // entries of the trust list of pair 6
	Tracked        int    // tracked messages of pair 9
	PostgresDSN    string // database of the PostgreSQL rows of pairs 7 to 9 (schemas mss_bench_*, dropped after); "" skips them
	Dir            string // scratch directory; "" for a temporary one, removed at the end
	CPUProfile     string // file of a CPU profile of the run; "" for none
}

func (c *Config) sendSyncRounds() int {
	if c.SendSyncRounds > 0 {
		return c.SendSyncRounds
	}
	return c.Rounds
}

// Defaults returns the sizes the budgets of BENCHMARKS.md are stated for.
func Defaults() Config {
	return Config{Rounds: 5, SendSyncRounds: 9, Messages: 1000, MailKB: 100, PDFMB: 10, Rows: 535_000, Lookups: 1_000_000, TrustEntries: 6500,
		Tracked: 1_000_000, PostgresDSN: os.Getenv("MSSANTE_PG_DSN")}
}

// row is one line of the budget table. Pairs compare medians of
// interleaved rounds; budgets on an absolute time (no baseline) are checked
// against the best round, the one the scheduler did not interrupt on a
// shared machine, with the median shown beside it ("best" in the ratio
// column).
type row struct {
	pair   string
	work   string
	sdk    string // SDK figure, formatted with its unit
	base   string // baseline figure, or "-"
	ratio  string // SDK/baseline, or the measure compared with the budget
	budget string
	ok     bool
}

// Run runs the pairs c selects and writes the table to stdout and progress
// to stderr. A missed budget is a finding printed in the table, not an
// error: Run fails only when a pair cannot run.
func Run(ctx context.Context, c Config, stdout, stderr io.Writer) error {
	if c.Rounds < 1 || c.Messages < 1 || c.MailKB < 1 || c.PDFMB < 1 || c.Rows < 1 || c.Lookups < 1 || c.TrustEntries < 1 || c.Tracked < 1 {
		return errors.New("sizes and rounds must be positive")
	}
	want := map[string]bool{}
	for _, p := range strings.Split(c.Pairs, ",") {
		if p = strings.TrimSpace(p); p != "" {
			if len(p) != 1 || p < "1" || p > "9" {
				return fmt.Errorf("unknown pair %q (1 to 9)", p)
			}
			want[p] = true
		}
	}
	if c.Dir == "" {
		d, err := os.MkdirTemp("", "mss-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		c.Dir = d
	}

	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Fprint(stdout, header(&c))
	pairs := []struct {
		id  string
		run func(context.Context, *Config) ([]row, error)
	}{
		{"6", benchTrust},
		{"5", benchAnnuaire},
		{"3", benchCompose},
		{"4", benchParse},
		{"1", benchSend},
		{"2", benchSync},
		{"7", benchOutboxStore},
		{"8", benchOutboxEndToEnd},
		{"9", benchTracker},
	}
	var rows []row
	var failed []string
	for _, p := range pairs {
		if len(want) > 0 && !want[p.id] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "pair %s...\n", p.id)
		r, err := p.run(ctx, &c)
		if err != nil {
			return fmt.Errorf("pair %s: %w", p.id, err)
		}
		rows = append(rows, r...)
		runtime.GC() // leave nothing of one pair to the next
	}
	slices.SortStableFunc(rows, func(a, b row) int { return strings.Compare(a.pair, b.pair) })
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "pair\twork\tSDK\tbaseline\tratio\tbudget\tmet")
	for _, r := range rows {
		met := "yes"
		if !r.ok {
			met = "NO"
			failed = append(failed, r.pair+" "+r.work)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.pair, r.work, r.sdk, r.base, r.ratio, r.budget, met)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(failed) > 0 {
		fmt.Fprintf(stdout, "%d budget(s) missed: %s\n", len(failed), strings.Join(failed, "; "))
	} else {
		fmt.Fprintln(stdout, "every budget met")
	}
	// Missing a budget is a finding, not a failure of the command.
	return nil
}
