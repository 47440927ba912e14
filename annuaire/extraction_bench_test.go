package annuaire_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
)

// benchRows is the size of the 2026 extraction.
const benchRows = 535_000

var (
	benchOnce sync.Once
	benchDir  string
	benchFile string
	benchSize int64
	benchErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchExtraction writes a synthetic 535,000-row extraction once per run.
func benchExtraction(b *testing.B) (string, int64) {
	b.Helper()
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "annuaire-bench")
		if benchErr != nil {
			return
		}
		benchFile = filepath.Join(benchDir, "Extraction_Correspondance_MSSante.txt")
		f, err := os.Create(benchFile)
		if err != nil {
			benchErr = err
			return
		}
		benchSize, benchErr = annuairetest.WriteExtraction(f, &annuairetest.ExtractionOptions{Rows: benchRows, Seed: 1})
		if err := f.Close(); benchErr == nil {
			benchErr = err
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchFile, benchSize
}

// BenchmarkScanLines is the baseline: a bufio.Scanner line scan of the
// same file, without parsing.
func BenchmarkScanLines(b *testing.B) {
	name, size := benchExtraction(b)
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		n := 0
		for sc.Scan() {
			n++
		}
		f.Close()
		if n != benchRows+1 {
			b.Fatalf("%d lines", n)
		}
	}
}

// BenchmarkExtractionRead streams every row through ExtractionReader.Read.
func BenchmarkExtractionRead(b *testing.B) {
	name, size := benchExtraction(b)
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		er, err := annuaire.OpenExtraction(name, nil)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := er.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		er.Close()
		if n != benchRows {
			b.Fatalf("%d rows", n)
		}
	}
}

// BenchmarkBuildIndex loads the whole file into an Index. It reports the
// live heap held by the Index as heap-MB.
func BenchmarkBuildIndex(b *testing.B) {
	b.Run("Eager", func(b *testing.B) { benchmarkBuildIndex(b, false) })
	b.Run("Lazy", func(b *testing.B) { benchmarkBuildIndex(b, true) })
}

func benchmarkBuildIndex(b *testing.B, lazy bool) {
	name, size := benchExtraction(b)
	b.SetBytes(size)
	var x *annuaire.Index
	var before, after runtime.MemStats
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x = nil
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		var err error
		x, err = annuaire.LoadIndex(context.Background(), name, nil, &annuaire.IndexOptions{SizeHint: benchRows, Lazy: lazy})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if x.Len() != benchRows {
		b.Fatalf("%d rows", x.Len())
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
	b.ReportMetric(float64(size)/(1<<20), "file-MB")
	runtime.KeepAlive(x)
}

var (
	benchIndexOnce sync.Once
	benchIndex     *annuaire.Index
)

func loadBenchIndex(b *testing.B) *annuaire.Index {
	name, _ := benchExtraction(b)
	benchIndexOnce.Do(func() {
		var err error
		benchIndex, err = annuaire.LoadIndex(context.Background(), name, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
	})
	if benchIndex == nil {
		b.Fatal("no index")
	}
	return benchIndex
}

func BenchmarkIndexLookup(b *testing.B) {
	x := loadBenchIndex(b)
	var addrs, people []string
	n := 0
	for r := range x.Rows() {
		if n%997 == 0 {
			addrs = append(addrs, r.Address)
			if r.PPID != "" {
				people = append(people, r.PPID)
			}
		}
		n++
	}
	b.Run("Lookup", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, ok := x.Lookup(addrs[i%len(addrs)]); !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("ByAddress", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if len(x.ByAddress(addrs[i%len(addrs)])) == 0 {
				b.Fatal("miss")
			}
		}
	})
	b.Run("ByPerson", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if len(x.ByPerson(people[i%len(people)])) == 0 {
				b.Fatal("miss")
			}
		}
	})
	b.Run("ByNamePrefix10", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if len(x.ByNamePrefix("martin je", 10)) == 0 {
				b.Fatal("miss")
			}
		}
	})
}

// BenchmarkNameIndexFirstUse measures the one-time cost of the name index,
// built by the first ByNamePrefix call.
func BenchmarkNameIndexFirstUse(b *testing.B) {
	name, _ := benchExtraction(b)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		x, err := annuaire.LoadIndex(context.Background(), name, nil, &annuaire.IndexOptions{Lazy: true})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if len(x.ByNamePrefix("martin", 1)) == 0 {
			b.Fatal("miss")
		}
	}
}
