package bench

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/mssante-go/sdk/internal/runinfo"
)

// Table is the outcome of a run: where it ran, and a row per figure.
type Table struct {
	Rounds         int // timed rounds of each side of a pair
	SendSyncRounds int // rounds of pairs 1 and 2
	// Run is the run the figures come from: commit, date, Go, machine
	// (OS, architecture, CPUs, GOMAXPROCS) and load, command line, so that
	// a table quoted in BENCHMARKS.md names it.
	Run  runinfo.Info
	Rows []Row
}

// Row is one figure of the table, compared with its budget. The figures
// are formatted with their units ("12.3 MB/s", "850 ns (median 900)"):
// they are read by people and compared across runs in BENCHMARKS.md.
type Row struct {
	Pair     int    // 1 to 9
	Work     string // what was measured
	Detail   bool   // a further figure of the row before it (indented in the text)
	SDK      string // the SDK's figure
	Baseline string // the bare library's figure; "" when the row has none
	Ratio    string // SDK over baseline, or the measure the budget is checked on ("best"); "" when none
	Budget   string // "" when the row has none
	Met      bool   // the budget is met (a skipped row counts as met)
	Skipped  bool   // the pair could not run here (no PostgreSQL): nothing was measured
}

// Missed returns the rows whose budget is not met.
func (t *Table) Missed() []Row {
	var out []Row
	for _, r := range t.Rows {
		if !r.Met {
			out = append(out, r)
		}
	}
	return out
}

// WriteText writes the table as mss bench prints it.
func (t *Table) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "mss bench: %s/%s, %d CPU, GOMAXPROCS %d, %s; %d interleaved rounds per side (pairs 1 and 2: %d), medians\n",
		t.Run.OS, t.Run.Arch, t.Run.CPUs, t.Run.MaxProcs, t.Run.GoVersion, t.Rounds, t.SendSyncRounds)
	fmt.Fprintln(w, t.Run)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "pair\twork\tSDK\tbaseline\tratio\tbudget\tmet")
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	var failed []string
	for _, r := range t.Rows {
		met := "yes"
		if !r.Met {
			met = "NO"
			failed = append(failed, fmt.Sprintf("%d %s", r.Pair, r.Work))
		}
		work := r.Work
		if r.Detail {
			work = "  " + work
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Pair, work, dash(r.SDK), dash(r.Baseline), dash(r.Ratio), dash(r.Budget), met)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var err error
	if len(failed) > 0 {
		_, err = fmt.Fprintf(w, "%d budget(s) missed: %s\n", len(failed), strings.Join(failed, "; "))
	} else {
		_, err = fmt.Fprintln(w, "every budget met")
	}
	return err
}

// export is the row as the package's callers see it.
func (r row) export() Row {
	undash := func(s string) string {
		if s == "-" {
			return ""
		}
		return s
	}
	n, _ := strconv.Atoi(r.pair) // the pairs' numbers are digits
	return Row{Pair: n, Work: strings.TrimLeft(r.work, " "), Detail: strings.HasPrefix(r.work, " "), SDK: undash(r.sdk),
		Baseline: undash(r.base), Ratio: undash(r.ratio), Budget: undash(r.budget), Met: r.ok, Skipped: r.skipped}
}
