package main

import (
	"context"

	"github.com/mssante-go/sdk/internal/bench"
)

// runBench runs the performance pairs of BENCHMARKS.md (package
// internal/bench) and prints their table.
func runBench(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "bench")
	c := bench.Defaults()
	fs.IntVar(&c.Rounds, "rounds", c.Rounds, "timed rounds of each side of a pair (interleaved; medians are reported)")
	fs.IntVar(&c.SendSyncRounds, "send-sync-rounds", c.SendSyncRounds, "rounds of pairs 1 and 2, judged on the median of their per-round ratios")
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
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	return bench.Run(ctx, c, e.stdout, e.stderr)
}
