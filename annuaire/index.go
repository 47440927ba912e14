package annuaire

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/maphash"
	"iter"
	"slices"
	"sync"
)

// Index is an in-memory index of an MSSanté extraction: mailboxes by
// address, by person identifier (RPPS, ADELI or idNat_PS), by structure
// identifier and by name prefix. An Index is immutable once built and safe
// for concurrent use.
//
// Memory is about the size of the text file plus 8 bytes per row, and
// about 60 more per row once the four exact-key tables are built (118 MB
// for the 78 MiB synthetic 535,000-row file of the benchmarks, 94 MB with
// IndexOptions.Lazy before any lookup). Until a table is built, 4 bytes
// per row hold its key hashes. The name index adds ~50 bytes per name
// once built.
// Rows are materialised on lookup from the file text without copying it.
type Index struct {
	store
	seed maphash.Seed // of the key hashes

	// Exact-key tables, each built once, at load time or on first use
	// (IndexOptions.Lazy).
	tables [numKeys]lazyTable

	// Name index: folded names, sorted, for prefix search. Built on first
	// use, since most programs only look up addresses.
	namesOnce sync.Once
	names     []nameKey
	arena     []byte

	counts    map[MailboxType]int
	badRows   int
	rowErrors []*RowError
}

// Kinds of exact keys.
const (
	keyAddress = iota
	keyPPID
	keyIdNatPS
	keyStructure
	numKeys
)

var keyColumns = [numKeys]struct {
	col  Column
	fold bool
}{
	keyAddress:   {ColAddress, true},
	keyPPID:      {ColPPID, false},
	keyIdNatPS:   {ColIdNatPS, false},
	keyStructure: {ColStructureID, false},
}

type lazyTable struct {
	once   sync.Once
	t      *keyTable
	hashes [][]uint32 // key hash of each row, per block, until t is built
}

// table returns the lookup table of a key kind, building it on first use.
func (x *Index) table(k int) *keyTable {
	lt := &x.tables[k]
	lt.once.Do(func() {
		lt.t = newKeyTable(keyColumns[k].col, keyColumns[k].fold, x.seed, x.n, x.starts, lt.hashes)
		lt.hashes = nil
	})
	return lt.t
}

type nameKey struct {
	pfx uint64 // first 8 bytes, big-endian: most comparisons stop here
	off uint32 // into arena
	n   uint32
	row int32
}

// IndexOptions tunes [BuildIndex]. A nil *IndexOptions means defaults.
type IndexOptions struct {
	// OnRowError, if set, is called for every bad line, which is skipped.
	// Calls come in file order, from the goroutine that called
	// BuildIndex. When nil, the first MaxRowErrors are kept (see
	// [Index.RowErrors]).
	OnRowError func(*RowError)
	// MaxRowErrors bounds the bad lines kept by the Index. Zero means 100.
	MaxRowErrors int
	// SizeHint, if positive, is the expected number of rows (the 2026
	// file has about 535,000); it presizes internal slices. The lookup
	// tables are always sized from the rows actually read.
	SizeHint int
	// Lazy defers building each lookup table (by address, by person, by
	// structure) to its first use, which then takes some milliseconds for
	// a full extraction. When false, BuildIndex builds them all,
	// concurrently, before returning. The name index is always built on
	// first use.
	Lazy bool
}

// BuildIndex reads every row of er and indexes it. Bad lines are skipped and
// reported (see IndexOptions); I/O errors, ErrTooLarge and ctx cancellation
// stop the build. BuildIndex does not close er.
//
// Lines are split and checked on up to GOMAXPROCS goroutines (at most
// maxLoadWorkers) while the file is read, a block of about a megabyte at a
// time; the result does not depend on their number.
func BuildIndex(ctx context.Context, er *ExtractionReader, opts *IndexOptions) (*Index, error) {
	var o IndexOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxRowErrors <= 0 {
		o.MaxRowErrors = 100
	}
	x := &Index{seed: maphash.MakeSeed(), counts: make(map[MailboxType]int, 4)}
	x.layout = newLineLayout(er)
	if err := x.load(ctx, er, &o); err != nil {
		return nil, err
	}
	if !o.Lazy {
		x.build()
	}
	return x, nil
}

// LoadIndex opens an extraction file (ZIP or text, see [OpenExtraction]) and
// builds its Index.
func LoadIndex(ctx context.Context, name string, ropts *ReaderOptions, iopts *IndexOptions) (*Index, error) {
	er, err := OpenExtraction(name, ropts)
	if err != nil {
		return nil, err
	}
	defer er.Close()
	return BuildIndex(ctx, er, iopts)
}

// build fills every exact-key table concurrently.
func (x *Index) build() {
	var wg sync.WaitGroup
	for k := 0; k < numKeys; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x.table(k)
		}()
	}
	wg.Wait()
}

func (x *Index) buildNames() {
	names := make([]nameKey, 0, x.n+x.n/4)
	arena := make([]byte, 0, 24*x.n)
	add := func(row int, parts ...string) {
		start := len(arena)
		for _, p := range parts {
			if p == "" {
				continue
			}
			if len(arena) > start {
				arena = append(arena, ' ')
			}
			arena = foldName(arena, p)
		}
		if len(arena) == start {
			return
		}
		var pfx [8]byte
		copy(pfx[:], arena[start:])
		names = append(names, nameKey{pfx: binary.BigEndian.Uint64(pfx[:]), off: uint32(start), n: uint32(len(arena) - start), row: int32(row)})
	}
	for i, r := range x.all {
		if r.LastName != "" || r.FirstName != "" {
			add(int(i), r.LastName, r.FirstName)
		}
		if r.StructureName != "" {
			add(int(i), r.StructureName)
		}
		if s := r.StructureTradeName; s != "" && s != r.StructureName {
			add(int(i), s)
		}
	}
	slices.SortFunc(names, func(a, b nameKey) int {
		if a.pfx != b.pfx {
			if a.pfx < b.pfx {
				return -1
			}
			return 1
		}
		if c := bytes.Compare(arena[a.off:a.off+a.n], arena[b.off:b.off+b.n]); c != 0 {
			return c
		}
		return int(a.row - b.row)
	})
	x.names, x.arena = names, arena
}

// Len returns the number of rows indexed.
func (x *Index) Len() int { return x.n }

// CountByType returns the number of rows per mailbox type ("PER", "ORG"...).
func (x *Index) CountByType() map[MailboxType]int {
	m := make(map[MailboxType]int, len(x.counts))
	for k, v := range x.counts {
		m[k] = v
	}
	return m
}

// BadRows returns how many lines were skipped as bad.
func (x *Index) BadRows() int { return x.badRows }

// RowErrors returns the first bad lines met while building (see
// IndexOptions.MaxRowErrors), unless IndexOptions.OnRowError took them.
func (x *Index) RowErrors() []*RowError { return x.rowErrors }

// Rows returns every row in file order.
func (x *Index) Rows() iter.Seq[Row] {
	return func(yield func(Row) bool) {
		for _, r := range x.all {
			if !yield(r) {
				return
			}
		}
	}
}

// Lookup returns the first row for the address (compared case-insensitively)
// without allocating.
func (x *Index) Lookup(addr string) (Row, bool) {
	var row Row
	found := false
	x.table(keyAddress).rows(&x.store, addr, func(_ int32, b *textBlock, p rowPos) bool {
		row, found = x.layout.makeRow(b, p), true
		return false
	})
	return row, found
}

// ByAddress returns every row for the address, compared case-insensitively.
// An address listed on several lines gives several rows.
func (x *Index) ByAddress(addr string) []Row {
	return x.collect(x.table(keyAddress), addr)
}

// ByPerson returns the rows of a professional, by RPPS or ADELI number
// ("Identifiant PP") or by idNat_PS ("Identification nationale PP", e.g.
// "8" + RPPS).
func (x *Index) ByPerson(id string) []Row {
	out := x.collect(x.table(keyPPID), id)
	if more := x.collect(x.table(keyIdNatPS), id); len(more) > 0 {
		if len(out) == 0 {
			return more
		}
		for _, r := range more {
			if !slices.ContainsFunc(out, func(o Row) bool { return o.Line == r.Line }) {
				out = append(out, r)
			}
		}
	}
	return out
}

// ByStructure returns the rows attached to a structure ("Identification
// Structure", exact).
func (x *Index) ByStructure(id string) []Row {
	return x.collect(x.table(keyStructure), id)
}

func (x *Index) collect(t *keyTable, key string) []Row {
	var out []Row
	t.rows(&x.store, key, func(_ int32, b *textBlock, p rowPos) bool {
		out = append(out, x.layout.makeRow(b, p))
		return true
	})
	return out
}

// ByNamePrefix returns rows whose name starts with prefix, ignoring case,
// accents and punctuation (see [FoldName]). Names are "Nom d'exercice
// Prénom d'exercice" for people and the raison sociale or enseigne for
// structures. Rows come in name order, each once; limit > 0 caps their
// number. An empty prefix matches nothing.
func (x *Index) ByNamePrefix(prefix string, limit int) []Row {
	var buf [128]byte
	p := foldName(buf[:0], prefix)
	if len(p) == 0 {
		return nil
	}
	x.namesOnce.Do(x.buildNames)
	lo, _ := slices.BinarySearchFunc(x.names, p, func(k nameKey, p []byte) int {
		return bytes.Compare(x.arena[k.off:k.off+k.n], p)
	})
	var out []Row
	var seen map[int32]bool
	for _, k := range x.names[lo:] {
		if !bytes.HasPrefix(x.arena[k.off:k.off+k.n], p) {
			break
		}
		if seen == nil {
			seen = make(map[int32]bool)
		}
		if seen[k.row] {
			continue
		}
		seen[k.row] = true
		out = append(out, x.row(k.row))
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out
}
