package bench

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
)

// benchAnnuaire loads a synthetic extraction into an Index and compares it
// with a bufio.Scanner line scan of the same file; then times lookups.
func benchAnnuaire(ctx context.Context, c *Config) ([]row, error) {
	name := filepath.Join(c.Dir, "Extraction_Correspondance_MSSante.txt")
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	size, err := annuairetest.WriteExtraction(f, &annuairetest.ExtractionOptions{Rows: c.Rows, Seed: 1})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	defer os.Remove(name)

	var x *annuaire.Index
	sdk := func() error {
		x = nil
		var err error
		x, err = annuaire.LoadIndex(ctx, name, nil, nil)
		if err == nil && x.Len() != c.Rows {
			err = fmt.Errorf("index holds %d rows, want %d", x.Len(), c.Rows)
		}
		return err
	}
	base := func() error {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		n := 0
		for sc.Scan() {
			n++
		}
		if err := sc.Err(); err != nil {
			return err
		}
		if n != c.Rows+1 {
			return fmt.Errorf("scanned %d lines, want %d", n, c.Rows+1)
		}
		return nil
	}
	ts, tb, err := interleave(ctx, c.Rounds, sdk, base)
	if err != nil {
		return nil, err
	}
	mbs := float64(size) / 1e6
	// Reading the file alone costs most of a line scan on 2 cores: the
	// index cannot come near the scan, hence 0.25.
	rows := []row{throughputRow("5", fmt.Sprintf("load a %d-row extraction (%s) into the Index", c.Rows, mb(uint64(size))), mbs, "MB/s", ts, tb, 0.25)}
	rows[0].sdk = fmt.Sprintf("%s (%s)", rate(mbs, ts, "MB/s"), msRound(ts))
	rows[0].base = fmt.Sprintf("%s (%s)", rate(mbs, tb, "MB/s"), msRound(tb))

	// The lazy index splits every line but builds each lookup table on its
	// first use: the best ratio the package offers, not a full index.
	lazy := func() error {
		x, err := annuaire.LoadIndex(ctx, name, nil, &annuaire.IndexOptions{Lazy: true})
		if err == nil && x.Len() != c.Rows {
			err = fmt.Errorf("index holds %d rows, want %d", x.Len(), c.Rows)
		}
		return err
	}
	tl, tb2, err := interleave(ctx, c.Rounds, lazy, base)
	if err != nil {
		return nil, err
	}
	lr := throughputRow("5", "  same, IndexOptions.Lazy (tables built on first lookup)", mbs, "MB/s", tl, tb2, 0.25)
	lr.sdk = fmt.Sprintf("%s (%s)", rate(mbs, tl, "MB/s"), msRound(tl))
	lr.base = fmt.Sprintf("%s (%s)", rate(mbs, tb2, "MB/s"), msRound(tb2))
	rows = append(rows, lr)

	// The loader a user would write instead: encoding/csv into a map keyed
	// by address.
	csvLoad := func() error {
		n, err := loadCSV(name)
		if err == nil && n != c.Rows {
			err = fmt.Errorf("csv loader kept %d rows, want %d", n, c.Rows)
		}
		return err
	}
	ti, tc, err := interleave(ctx, c.Rounds, sdk, csvLoad)
	if err != nil {
		return nil, err
	}
	cr := throughputRow("5", "  Index load against encoding/csv ('|', LazyQuotes) into a map[string][]row by address", mbs, "MB/s", ti, tc, 3)
	cr.sdk = fmt.Sprintf("%s (%s)", rate(mbs, ti, "MB/s"), msRound(ti))
	cr.base = fmt.Sprintf("%s (%s)", rate(mbs, tc, "MB/s"), msRound(tc))
	cr.ratio = fmt.Sprintf("%.2f x faster", float64(tc)/float64(ti))
	cr.budget = ">= 3 x faster"
	rows = append(rows, cr)

	// The memory the index keeps, against the file's size.
	held, err := retainedHeap(func() (any, error) { return annuaire.LoadIndex(ctx, name, nil, nil) })
	if err != nil {
		return nil, err
	}
	hr := float64(held) / float64(size)
	rows = append(rows, row{pair: "5", work: "  Index memory (heap kept after a GC) / file size", sdk: mb(held), base: mb(uint64(size)),
		ratio: fmt.Sprintf("%.2f x file", hr), budget: "<= 1.5 x file", ok: hr <= 1.5})

	// Lookups of addresses and person identifiers taken all over the file.
	if err := sdk(); err != nil {
		return nil, err
	}
	var addrs, people []string
	i := 0
	for r := range x.Rows() {
		if i%97 == 0 {
			addrs = append(addrs, strings.ToUpper(r.Address[:1])+r.Address[1:])
			if r.PPID != "" {
				people = append(people, r.PPID)
			}
		}
		i++
	}
	if len(addrs) == 0 || len(people) == 0 {
		return nil, errors.New("annuaire: no keys to look up")
	}
	timeLookups := func(f func(j int) bool) (best, med time.Duration, err error) {
		var d []time.Duration
		for r := 0; r <= c.Rounds; r++ {
			start := time.Now()
			for j := 0; j < c.Lookups; j++ {
				if !f(j) {
					return 0, 0, errors.New("annuaire: lookup missed")
				}
			}
			if r > 0 {
				d = append(d, time.Since(start))
			}
		}
		n := time.Duration(c.Lookups)
		return slices.Min(d) / n, median(d) / n, nil
	}
	la, lam, err := timeLookups(func(j int) bool { _, ok := x.Lookup(addrs[j%len(addrs)]); return ok })
	if err != nil {
		return nil, err
	}
	lp, lpm, err := timeLookups(func(j int) bool { return len(x.ByPerson(people[j%len(people)])) > 0 })
	if err != nil {
		return nil, err
	}
	rows = append(rows,
		row{pair: "5", work: "Index.Lookup by address (mixed case)", sdk: fmt.Sprintf("%d ns (median %d)", la.Nanoseconds(), lam.Nanoseconds()), base: "-", ratio: "best", budget: "< 1 µs", ok: la < time.Microsecond},
		row{pair: "5", work: "Index.ByPerson by RPPS/ADELI", sdk: fmt.Sprintf("%d ns (median %d)", lp.Nanoseconds(), lpm.Nanoseconds()), base: "-", ratio: "best", budget: "< 1 µs", ok: lp < time.Microsecond},
	)
	runtime.KeepAlive(x)
	return rows, nil
}

// loadCSV is the extraction loader a user would write with the standard
// library: encoding/csv with '|' and LazyQuotes, every record kept in a
// map keyed by the address in lower case. It returns the rows kept.
func loadCSV(name string) (int, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = '|', true, -1
	header, err := r.Read()
	if err != nil {
		return 0, err
	}
	col := slices.Index(header, "Adresse BAL")
	if col < 0 {
		return 0, errors.New("csv: no Adresse BAL column")
	}
	byAddress := map[string][][]string{}
	n := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		if col < len(rec) {
			k := strings.ToLower(rec[col])
			byAddress[k] = append(byAddress[k], rec)
			n++
		}
	}
	runtime.KeepAlive(byAddress)
	return n, nil
}

// retainedHeap returns the heap that what load returns keeps, after a GC.
func retainedHeap(load func() (any, error)) (uint64, error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v, err := load()
	if err != nil {
		return 0, err
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	if after.HeapAlloc < before.HeapAlloc {
		return 0, nil
	}
	return after.HeapAlloc - before.HeapAlloc, nil
}
