package bench

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/pgtest"
	"github.com/mssante-go/sdk/internal/runinfo"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestRun runs every pair at tiny sizes: the runner must work end to end
// and print the table. Timings are never asserted. The PostgreSQL rows run
// against internal/pgtest's server when there is one (else they print as
// skipped, which the test accepts only without MSSANTE_PG).
func TestRun(t *testing.T) {
	var out, errs strings.Builder
	c := Config{Rounds: 1, SendSyncRounds: 3, Messages: 3, MailKB: 5, PDFMB: 1, Rows: 500, Lookups: 1000, TrustEntries: 50, Tracked: 2000, Dir: t.TempDir()}
	if pgAvailable() {
		c.PostgresDSN = pgtest.DSN(t)
	}
	err := Run(context.Background(), c, &out, &errs)
	if err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	table := out.String()
	if c.PostgresDSN != "" && strings.Contains(table, "skipped") {
		t.Errorf("PostgreSQL rows skipped with a server:\n%s", table)
	}
	if !strings.Contains(table, "3 rounds)") {
		t.Errorf("pairs 1 and 2 without their spread:\n%s", table)
	}
	for _, pair := range []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"} {
		if !strings.Contains(table, "\n"+pair+"  ") {
			t.Errorf("no row of pair %s:\n%s", pair, table)
		}
	}
	if !strings.Contains(table, "pair  work") || !strings.Contains(table, "budget") {
		t.Errorf("no table header:\n%s", table)
	}
	t.Log("\n" + table)
}

// Go benchmarks of the pairs, one side per sub-benchmark, for
// go test -bench -benchmem; "mss bench" interleaves them and prints ratios.

func benchConfigFor(b *testing.B) *Config {
	return &Config{Rounds: 1, Messages: 1, MailKB: 100, PDFMB: 10, Dir: b.TempDir()}
}

func runSides(b *testing.B, p *benchPair, perOp int) {
	defer p.close()
	sides := []struct {
		name string
		f    func() error
	}{{"SDK", p.sdk}, {"Baseline", p.base}}
	for _, s := range sides {
		if s.f == nil {
			continue
		}
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(p.size * perOp))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := s.f(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPairSend: one op is 20 document mails of 100 KB on one
// connection (the connection is part of the op).
func BenchmarkPairSend(b *testing.B) {
	c := benchConfigFor(b)
	c.Messages = 20
	p, err := newSendPair(context.Background(), c)
	if err != nil {
		b.Fatal(err)
	}
	runSides(b, p, c.Messages)
}

// BenchmarkPairSync: one op synchronises a mailbox of 50 document mails.
func BenchmarkPairSync(b *testing.B) {
	c := benchConfigFor(b)
	c.Messages = 50
	p, err := newSyncPair(context.Background(), c)
	if err != nil {
		b.Fatal(err)
	}
	runSides(b, p, c.Messages)
}

// BenchmarkPairCompose: a document mail from a 10 MB PDF file, against
// deflate and base64 of the PDF.
func BenchmarkPairCompose(b *testing.B) {
	p, err := newComposePair(benchConfigFor(b))
	if err != nil {
		b.Fatal(err)
	}
	runSides(b, p, 1)
}

// BenchmarkPairParse: parse the 10 MB document mail and extract its PDF.
func BenchmarkPairParse(b *testing.B) {
	p, err := newParsePair(benchConfigFor(b))
	if err != nil {
		b.Fatal(err)
	}
	runSides(b, p, 1)
}

// pgAvailable reports whether internal/pgtest can start or reach a
// PostgreSQL server.
func pgAvailable() bool {
	if os.Getenv(pgtest.DSNEnvVar) != "" || os.Getenv(pgtest.EnvVar) != "" {
		return true
	}
	_, err := os.Stat("/usr/lib/postgresql")
	return err == nil
}

// TestTable runs the pairs at the sizes of the budgets, with internal/pgtest's
// PostgreSQL for pairs 7 to 9, and prints the table: the figures of
// BENCHMARKS.md. It takes minutes, so it runs only with MSSANTE_BENCH=1
// (MSSANTE_BENCH_PAIRS selects pairs, as --pairs does, and
// MSSANTE_BENCH_CPUPROFILE names a CPU profile, as --cpuprofile does):
//
//	MSSANTE_BENCH=1 go test ./internal/bench -run TestTable -v -timeout 60m
func TestTable(t *testing.T) {
	if os.Getenv("MSSANTE_BENCH") == "" {
		t.Skip("the full benchmark table: MSSANTE_BENCH=1")
	}
	c := Defaults()
	c.Pairs = os.Getenv("MSSANTE_BENCH_PAIRS")
	c.CPUProfile = os.Getenv("MSSANTE_BENCH_CPUPROFILE")
	c.Dir = t.TempDir()
	// The table names the command that makes it again, not the test binary's.
	env := []string{}
	if c.Pairs != "" {
		env = append(env, runinfo.Env("MSSANTE_BENCH_PAIRS", c.Pairs))
	}
	if c.CPUProfile != "" {
		env = append(env, runinfo.Env("MSSANTE_BENCH_CPUPROFILE", c.CPUProfile)) // profiling slows the pairs
	}
	if c.PostgresDSN == "" {
		c.PostgresDSN = pgtest.DSN(t)
	} else {
		env = append(env, runinfo.Env("MSSANTE_PG_DSN", c.PostgresDSN))
	}
	c.Command = strings.Join(append(env, "MSSANTE_BENCH=1 go test ./internal/bench -run TestTable -v"), " ")
	var out strings.Builder
	if err := Run(context.Background(), c, &out, os.Stderr); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
}

// Measure reports progress before each pair and at the end, and returns
// the rows as values; the text is written from them.
func TestMeasureProgress(t *testing.T) {
	type call struct {
		pair        string
		done, total int
	}
	var calls []call
	c := Config{Rounds: 1, Messages: 1, MailKB: 1, PDFMB: 1, Rows: 1, Lookups: 100, TrustEntries: 20, Tracked: 1, Pairs: "6, 7", Dir: t.TempDir(),
		Progress: func(pair string, done, total int) { calls = append(calls, call{pair, done, total}) }}
	tab, err := Measure(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	want := []call{{"6", 0, 2}, {"7", 1, 2}, {"", 2, 2}}
	if !slices.Equal(calls, want) {
		t.Errorf("progress calls %v, want %v", calls, want)
	}
	pairs := map[int]bool{}
	for _, r := range tab.Rows {
		pairs[r.Pair] = true
		if r.Work == "" || strings.HasPrefix(r.Work, " ") || (r.Skipped && (r.Pair != 7 || !r.Met || r.SDK != "" || r.Baseline != "")) {
			t.Errorf("row %+v", r)
		}
	}
	if len(pairs) != 2 || !pairs[6] || !pairs[7] || tab.Rounds != 1 || tab.Run.CPUs < 1 {
		t.Errorf("table %+v", tab)
	}
	var text strings.Builder
	if err := tab.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "\n6  ") || !strings.Contains(text.String(), "\n7  ") || !strings.HasPrefix(text.String(), "mss bench: ") {
		t.Errorf("text:\n%s", text.String())
	}
}

// Validate names the field at fault; Measure refuses what it refuses,
// before running anything.
func TestValidate(t *testing.T) {
	good := Config{Rounds: 1, Messages: 1, MailKB: 1, PDFMB: 1, Rows: 1, Lookups: 1, TrustEntries: 1, Tracked: 1}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		change func(*Config)
		field  string
	}{
		{func(c *Config) { c.Rounds = 0 }, "Rounds"},
		{func(c *Config) { c.SendSyncRounds = -1 }, "SendSyncRounds"},
		{func(c *Config) { c.Tracked = -5 }, "Tracked"},
		{func(c *Config) { c.Pairs = "10" }, "Pairs"},
		{func(c *Config) { c.Pairs = "1,0" }, "Pairs"},
		{func(c *Config) { c.Pairs = "x" }, "Pairs"},
	} {
		c := good
		tc.change(&c)
		var ce *ConfigError
		if err := c.Validate(); !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%+v: %v, want a ConfigError on %s", c, err, tc.field)
		}
		c.Progress = func(string, int, int) { t.Error("a pair ran") }
		if _, err := Measure(context.Background(), c); !errors.As(err, &ce) {
			t.Errorf("Measure: %v", err)
		}
	}
}
