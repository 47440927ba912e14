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
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"

	"github.com/mssante-go/sdk/internal/runinfo"
)

// Config sizes the performance pairs. [Defaults] gives the sizes of the
// budgets; tests use tiny ones. Every size and Rounds must be positive
// ([Config.Validate]).
type Config struct {
	Rounds         int    // timed rounds of each side of a pair, interleaved
	SendSyncRounds int    // rounds of pairs 1 and 2, judged on the median of their per-round ratios; zero means Rounds
	Pairs          string // comma-separated pair numbers (1 to 9); "" runs all
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
	Command        string // the command line Table.Run names (runinfo.Command); "" means the process's own
	// Progress, when not nil, is called before each pair runs, with the
	// pair's number, how many of the selected pairs are done and how many
	// there are, and once at the end with done == total and pair "". It is
	// called on the goroutine of Measure. Nil means no report (Run then
	// writes a line per pair to its stderr).
	Progress func(pair string, done, total int)
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

// ConfigError is a value of Config that Measure refuses: a size or a
// number of rounds that is not positive, a pair that does not exist.
type ConfigError struct {
	Field  string // the Config field: "Rounds", "Pairs"...
	Value  string // its value, as given
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("bench: %s %s: %s", e.Field, e.Value, e.Reason)
}

// Validate reports the first value of c that Measure refuses, as a
// *ConfigError.
func (c *Config) Validate() error {
	for _, f := range []struct {
		name string
		v    int
		min  int
	}{
		{"Rounds", c.Rounds, 1}, {"SendSyncRounds", c.SendSyncRounds, 0}, {"Messages", c.Messages, 1}, {"MailKB", c.MailKB, 1},
		{"PDFMB", c.PDFMB, 1}, {"Rows", c.Rows, 1}, {"Lookups", c.Lookups, 1}, {"TrustEntries", c.TrustEntries, 1}, {"Tracked", c.Tracked, 1},
	} {
		if f.v < f.min {
			return &ConfigError{Field: f.name, Value: fmt.Sprint(f.v), Reason: fmt.Sprintf("must be at least %d", f.min)}
		}
	}
	_, err := c.selected()
	return err
}

// pairOrder is the order the pairs run in: the cheap ones first.
var pairOrder = []struct {
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

// selected returns the pairs c.Pairs names, all when empty.
func (c *Config) selected() (map[string]bool, error) {
	want := map[string]bool{}
	for _, p := range strings.Split(c.Pairs, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		known := false
		for _, q := range pairOrder {
			known = known || q.id == p
		}
		if !known {
			if len(p) > 20 {
				p = p[:20] + "..."
			}
			return nil, &ConfigError{Field: "Pairs", Value: c.Pairs, Reason: fmt.Sprintf("unknown pair %q (1 to 9)", p)}
		}
		want[p] = true
	}
	if len(want) == 0 {
		for _, q := range pairOrder {
			want[q.id] = true
		}
	}
	return want, nil
}

// row is one line of the budget table. Pairs compare medians of
// interleaved rounds; budgets on an absolute time (no baseline) are checked
// against the best round, the one the scheduler did not interrupt on a
// shared machine, with the median shown beside it ("best" in the ratio
// column).
type row struct {
	pair    string
	work    string
	sdk     string // SDK figure, formatted with its unit
	base    string // baseline figure, or "-"
	ratio   string // SDK/baseline, or the measure compared with the budget
	budget  string
	ok      bool
	skipped bool // the pair could not run here (no PostgreSQL): nothing measured
}

// Run runs the pairs c selects and writes the table to stdout, and a line
// per pair to stderr unless c.Progress is set. A missed budget is a
// finding printed in the table, not an error: Run fails only when a pair
// cannot run.
func Run(ctx context.Context, c Config, stdout, stderr io.Writer) error {
	if c.Progress == nil && stderr != nil {
		c.Progress = func(pair string, _, _ int) {
			if pair != "" {
				fmt.Fprintf(stderr, "pair %s...\n", pair)
			}
		}
	}
	t, err := Measure(ctx, c)
	if err != nil {
		return err
	}
	return t.WriteText(stdout)
}

// Measure runs the pairs c selects and returns their table. A missed
// budget is a finding in the table (Row.Met), not an error: Measure fails
// only when c is not valid (a *ConfigError) or a pair cannot run.
func Measure(ctx context.Context, c Config) (*Table, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	want, _ := c.selected()
	if c.Dir == "" {
		d, err := os.MkdirTemp("", "mss-bench")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		c.Dir = d
	}

	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	progress := c.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	t := &Table{Rounds: c.Rounds, SendSyncRounds: c.sendSyncRounds(), Run: runinfo.Collect(c.Command)}
	var rows []row
	done := 0
	for _, p := range pairOrder {
		if !want[p.id] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		progress(p.id, done, len(want))
		r, err := p.run(ctx, &c)
		if err != nil {
			return nil, fmt.Errorf("pair %s: %w", p.id, err)
		}
		rows = append(rows, r...)
		done++
		runtime.GC() // leave nothing of one pair to the next
	}
	progress("", done, len(want))
	slices.SortStableFunc(rows, func(a, b row) int { return strings.Compare(a.pair, b.pair) })
	for _, r := range rows {
		t.Rows = append(t.Rows, r.export())
	}
	return t, nil
}
