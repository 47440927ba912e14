package annuaire

import (
	"slices"
	"strings"
)

// ExtractionDiff is what changed between two extractions, by mailbox
// address (compared case-insensitively). The files carry no date and no
// technical id, so the address is the only key; an address listed on
// several lines is compared as the set of its lines.
type ExtractionDiff struct {
	Added   []Row    // rows of addresses only in the new extraction
	Removed []Row    // rows of addresses only in the old extraction
	Changed []Change // addresses in both whose lines differ
}

// Change is one address whose rows differ between two extractions. Line
// numbers are not compared.
type Change struct {
	Address  string // as written in the new extraction
	Old, New []Row
}

// Diff compares two indexed extractions. Rows come in the order of the
// file they are from (Removed: old; Added and Changed: new).
func Diff(old, new *Index) *ExtractionDiff {
	d := &ExtractionDiff{}
	firsts := func(x *Index, fn func(i int32)) {
		for i := range x.n {
			if x.table(keyAddress).head(&x.store, x.field(int32(i), ColAddress)) == int32(i) {
				fn(int32(i))
			}
		}
	}
	firsts(old, func(i int32) {
		if new.table(keyAddress).head(&new.store, old.field(i, ColAddress)) < 0 {
			d.Removed = append(d.Removed, old.ByAddress(old.field(i, ColAddress))...)
		}
	})
	firsts(new, func(i int32) {
		addr := new.field(i, ColAddress)
		j := old.table(keyAddress).head(&old.store, addr)
		if j < 0 {
			d.Added = append(d.Added, new.ByAddress(addr)...)
			return
		}
		o, n := old.ByAddress(addr), new.ByAddress(addr)
		if !sameRows(o, n) {
			d.Changed = append(d.Changed, Change{Address: addr, Old: o, New: n})
		}
	})
	return d
}

// sameRows compares two sets of rows, ignoring line numbers and order.
func sameRows(a, b []Row) bool {
	if len(a) != len(b) {
		return false
	}
	norm := func(rs []Row) []Row {
		out := make([]Row, len(rs))
		for i, r := range rs {
			r.Line = 0
			out[i] = r
		}
		slices.SortFunc(out, compareRows)
		return out
	}
	return slices.Equal(norm(a), norm(b))
}

func compareRows(a, b Row) int {
	for c := Column(0); c < NumColumns; c++ {
		if d := strings.Compare(a.Field(c), b.Field(c)); d != 0 {
			return d
		}
	}
	return 0
}
