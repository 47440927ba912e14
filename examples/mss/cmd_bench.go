package main

import (
	"context"
	"errors"

	"github.com/mssante-go/sdk/internal/bench"
	"github.com/mssante-go/sdk/internal/runinfo"
)

// benchFlags maps the fields of bench.Config to the flags that set them,
// so that a value the runner refuses is a usage error naming the flag.
var benchFlags = map[string]string{
	"Rounds": "rounds", "SendSyncRounds": "send-sync-rounds", "Pairs": "pairs", "Messages": "messages", "MailKB": "mail-kb",
	"PDFMB": "pdf-mb", "Rows": "rows", "Lookups": "lookups", "TrustEntries": "trust-entries", "Tracked": "tracked",
}

// runBench runs the performance pairs of BENCHMARKS.md (package
// internal/bench) and prints their table.
func runBench(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("bench")
	c := bench.Defaults()
	fs.IntVar(&c.Rounds, "rounds", c.Rounds, "timed rounds of each side of a pair (interleaved; medians are reported)")
	fs.IntVar(&c.SendSyncRounds, "send-sync-rounds", c.SendSyncRounds, "rounds of pairs 1 and 2, judged on the median of their per-round ratios (0: --rounds)")
	fs.StringVar(&c.Pairs, "pairs", "", "comma-separated pairs to run (1-9); empty runs all")
	fs.IntVar(&c.Messages, "messages", c.Messages, "messages sent (pair 1), synchronised (pair 2), drained from the outbox (pairs 7 and 8)")
	fs.IntVar(&c.MailKB, "mail-kb", c.MailKB, "size of the document mails of pairs 1 and 2, in KB")
	fs.BoolVar(&c.SendDocuments, "send-documents", false, "pair 1: the SDK message carries Documents (XDM rebuilt at each Send) instead of the prebuilt archive")
	fs.IntVar(&c.PDFMB, "pdf-mb", c.PDFMB, "size of the PDF of pairs 3 and 4, in MB")
	fs.IntVar(&c.Rows, "rows", c.Rows, "rows of the synthetic extraction of pair 5")
	fs.IntVar(&c.Lookups, "lookups", c.Lookups, "lookups timed in pairs 5 and 6")
	fs.IntVar(&c.TrustEntries, "trust-entries", c.TrustEntries, "entries of the trust list of pair 6")
	fs.IntVar(&c.Tracked, "tracked", c.Tracked, "tracked messages of pair 9")
	fs.StringVar(&c.PostgresDSN, "pg-dsn", c.PostgresDSN, "PostgreSQL database of pairs 7 to 9, postgres://... (default $MSSANTE_PG_DSN; empty skips those rows). The pairs create and drop schemas mss_bench_*")
	fs.StringVar(&c.Dir, "dir", "", "scratch directory for the generated files (default: a temporary one, removed)")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile of the pairs run to `file` (go tool pprof)")
	asJSON := fs.Bool("json", false, "print the table as JSON")
	if f := fs.Lookup("pg-dsn"); f.DefValue != "" {
		f.DefValue = redactedURL(f.DefValue) // -h never shows a password
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	var ce *bench.ConfigError
	if err := c.Validate(); errors.As(err, &ce) {
		return fs.usageErrorf("--%s %s: %s", benchFlags[ce.Field], ce.Value, ce.Reason)
	} else if err != nil {
		return err
	}

	// A bar of the pairs done, the running pair in its description; on a
	// terminal only, never with --json.
	bar := e.newProgress(*asJSON, "mss bench", 0, unitItems, "pairs")
	c.Progress = func(pair string, done, total int) {
		if bar.bar == nil {
			return
		}
		bar.bar.ChangeMax(total)
		if pair != "" {
			bar.bar.Describe("mss bench: pair " + pair)
		}
		bar.Set(int64(done))
	}
	c.Command = runinfo.Command(append([]string{"mss", "bench"}, args...))
	if c.PostgresDSN != "" && !fs.IsSet("pg-dsn") {
		// The database came from the environment: the run line says so.
		c.Command = runinfo.Env("MSSANTE_PG_DSN", c.PostgresDSN) + " " + c.Command
	}
	t, err := bench.Measure(ctx, c)
	bar.Done()
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, benchTableJSON(t))
	}
	return t.WriteText(e.stdout)
}

// benchJSON is the --json output of "mss bench" (JSON.md).
type benchJSON struct {
	GOOS           string         `json:"goos"`
	GOARCH         string         `json:"goarch"`
	CPUs           int            `json:"cpus"`
	GOMAXPROCS     int            `json:"gomaxprocs"`
	GoVersion      string         `json:"goVersion"`
	Rounds         int            `json:"rounds"`
	SendSyncRounds int            `json:"sendSyncRounds"`
	Run            runinfo.Info   `json:"run"`
	Rows           []benchRowJSON `json:"rows"`
	Missed         int            `json:"missed"`
}

type benchRowJSON struct {
	Pair     int    `json:"pair"`
	Work     string `json:"work"`
	Detail   bool   `json:"detail,omitempty"`
	SDK      string `json:"sdk,omitempty"`
	Baseline string `json:"baseline,omitempty"`
	Ratio    string `json:"ratio,omitempty"`
	Budget   string `json:"budget,omitempty"`
	Met      bool   `json:"met"`
	Skipped  bool   `json:"skipped,omitempty"`
}

func benchTableJSON(t *bench.Table) benchJSON {
	out := benchJSON{GOOS: t.Run.OS, GOARCH: t.Run.Arch, CPUs: t.Run.CPUs, GOMAXPROCS: t.Run.MaxProcs, GoVersion: t.Run.GoVersion,
		Rounds: t.Rounds, SendSyncRounds: t.SendSyncRounds, Run: t.Run, Rows: []benchRowJSON{}, Missed: len(t.Missed())}
	for _, r := range t.Rows {
		out.Rows = append(out.Rows, benchRowJSON(r))
	}
	return out
}
