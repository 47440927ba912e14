package annuaire

import (
	"hash/maphash"
	"math/bits"
	"strings"
)

// keyTable is an open-addressing hash table from a column value to the
// rows holding it, built for the Index. It stores no strings: a slot holds a
// row number and a hash fingerprint, and keys are compared against the
// row's own field. That keeps the table at 8 bytes per slot (plus 4 bytes per
// row for the chain of rows sharing a key) instead of a map's copy of every
// key header, and makes building it a single pass without allocation.
type keyTable struct {
	col   Column
	fold  bool // compare ASCII case-insensitively (addresses)
	seed  maphash.Seed
	slots []slot
	mask  uint64
	next  []int32 // next row with the same key, in file order; -1 ends
}

type slot struct {
	row  int32 // row+1; 0 is empty
	hash uint32
}

// maxFoldKey bounds the keys lower-cased on the stack; longer keys are
// rare and lower-cased with an allocation.
const maxFoldKey = 256

func newKeyTable(col Column, fold bool, st *store) *keyTable {
	size := 1 << bits.Len(uint(st.n+st.n/3)|15) // load factor <= 3/4
	t := &keyTable{
		col:   col,
		fold:  fold,
		seed:  maphash.MakeSeed(),
		slots: make([]slot, size),
		mask:  uint64(size - 1),
		next:  make([]int32, st.n),
	}
	// Pass 1: hash every key, walking backwards so that prepending to a
	// chain keeps file order.
	var buf [maxFoldKey]byte
	items := make([]hashedRow, 0, st.n)
	for i := st.n - 1; i >= 0; i-- {
		t.next[i] = -1
		k := trimKey(st.field(int32(i), col))
		if k == "" {
			continue
		}
		items = append(items, hashedRow{maphash.String(t.seed, t.normalize(k, buf[:])), int32(i)})
	}
	// Pass 2: insert in slot order, partition by partition, so that the
	// probes of one partition stay in cache (a few hundred kilobytes of
	// slots) instead of hitting random lines of the whole table. A stable
	// counting sort keeps the backwards order within a partition, where
	// all rows of a key land.
	const partBits = 6
	if shift := bits.Len(uint(size)) - 1 - partBits; shift > 0 {
		var counts [1<<partBits + 1]int
		for _, it := range items {
			counts[(it.h&t.mask)>>shift+1]++
		}
		for p := 1; p < len(counts); p++ {
			counts[p] += counts[p-1]
		}
		sorted := make([]hashedRow, len(items))
		for _, it := range items {
			p := (it.h & t.mask) >> shift
			sorted[counts[p]] = it
			counts[p]++
		}
		items = sorted
	}
	for _, it := range items {
		t.insert(st, it.h, it.row)
	}
	return t
}

type hashedRow struct {
	h   uint64
	row int32
}

// insert adds row (whose key hashes to h) to the table: a new slot, or the
// head of the chain of its key.
func (t *keyTable) insert(st *store, h uint64, row int32) {
	var buf [maxFoldKey]byte
	k := ""
	for s := h & t.mask; ; s = (s + 1) & t.mask {
		sl := &t.slots[s]
		if sl.row == 0 {
			*sl = slot{row: row + 1, hash: uint32(h >> 32)}
			return
		}
		if sl.hash == uint32(h>>32) {
			if k == "" { // fetched only on a fingerprint match
				k = t.normalize(trimKey(st.field(row, t.col)), buf[:])
			}
			if t.equal(st, sl.row-1, k) {
				t.next[row] = sl.row - 1
				sl.row = row + 1
				return
			}
		}
	}
}

// normalize returns k lower-cased when the table folds case, using buf
// when k is short ASCII. The result may alias buf.
func (t *keyTable) normalize(k string, buf []byte) string {
	if !t.fold {
		return k
	}
	upper := false
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 0x80 {
			return strings.ToLower(k)
		}
		if 'A' <= c && c <= 'Z' {
			upper = true
		}
	}
	if !upper {
		return k
	}
	if len(k) > len(buf) {
		return strings.ToLower(k)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return unsafeString(buf[:len(k)])
}

// equal compares row r's key with k (already normalized).
func (t *keyTable) equal(st *store, r int32, k string) bool {
	v := trimKey(st.field(r, t.col))
	if !t.fold {
		return v == k
	}
	if len(v) != len(k) {
		return strings.ToLower(v) == k // non-ASCII case mappings may change length
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x80 {
			return strings.ToLower(v) == k
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != k[i] {
			return false
		}
	}
	return true
}

// head returns the first row whose key is k, or -1.
func (t *keyTable) head(st *store, k string) int32 {
	k = trimKey(k)
	if k == "" || t == nil {
		return -1
	}
	var buf [maxFoldKey]byte
	k = t.normalize(k, buf[:])
	h := maphash.String(t.seed, k)
	for s := h & t.mask; ; s = (s + 1) & t.mask {
		sl := t.slots[s]
		if sl.row == 0 {
			return -1
		}
		if sl.hash == uint32(h>>32) && t.equal(st, sl.row-1, k) {
			return sl.row - 1
		}
	}
}

// trimKey is strings.TrimSpace, quicker for the usual key that starts and
// ends with a printable ASCII byte.
func trimKey(s string) string {
	if n := len(s); n > 0 && s[0] > ' ' && s[0] < 0x80 && s[n-1] > ' ' && s[n-1] < 0x80 {
		return s
	}
	return strings.TrimSpace(s)
}
