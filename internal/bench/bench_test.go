package bench

import (
	"context"
	"strings"
	"testing"
)

// TestRun runs every pair at tiny sizes: the runner must work end to end
// and print the table. Timings are never asserted.
func TestRun(t *testing.T) {
	var out, errs strings.Builder
	err := Run(context.Background(), Config{Rounds: 1, Messages: 3, MailKB: 5, PDFMB: 1, Rows: 500, Lookups: 1000, TrustEntries: 50, Dir: t.TempDir()}, &out, &errs)
	if err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	table := out.String()
	for _, pair := range []string{"1", "2", "3", "4", "5", "6"} {
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
