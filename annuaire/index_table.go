package annuaire

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"strings"
)

// keyTable is an open-addressing hash table from a column value to the
// rows holding it, built for the Index. It stores no strings: a slot holds a
// row number and the key's 32-bit hash, and rows sharing a slot form a
// chain in file order. That keeps the table at 8 bytes per slot (plus 4
// bytes per row for the chains) instead of a map's copy of every key
// header.
//
// The table is built from the hashes computed while the file was read,
// without looking at the text again: rows whose keys hash alike share a
// chain, even in the rare case (a few pairs in a million keys) where the
// keys differ. Lookups therefore compare each row's key with the one asked
// for, which they would read anyway to return the row.
type keyTable struct {
	col   Column
	fold  bool // compare ASCII case-insensitively (addresses)
	seed  maphash.Seed
	slots []slot
	shift uint    // a hash's home slot is its top bits
	next  []int32 // next row of the chain +1, in file order; 0 ends
}

type slot struct {
	row  int32 // first row of the chain +1; 0 is empty
	hash uint32
}

// maxFoldKey bounds the keys lower-cased on the stack; longer keys are
// rare and lower-cased with an allocation.
const maxFoldKey = 256

// keyHash returns the hash under which key k (trimmed, folded if need be)
// is indexed; never 0, which marks an empty key.
func keyHash(seed maphash.Seed, k string) uint32 {
	if h := uint32(maphash.String(seed, k) >> 32); h != 0 {
		return h
	}
	return 1
}

// newKeyTable builds the table of one key kind from the key hashes of each
// block's rows (0 for an empty key); block i holds rows from starts[i].
func newKeyTable(col Column, fold bool, seed maphash.Seed, n int, starts []int32, hashes [][]uint32) *keyTable {
	// Insert in slot order, partition by partition (a partition is a
	// range of slots, so the top bits of the hash), so that the probes of
	// one partition stay in cache instead of hitting random lines of the
	// whole table. The rows of a key all land in one partition; placing
	// each partition's rows backwards lets insert prepend to chains and
	// still keep file order.
	const partBits = 6
	var counts [1<<partBits + 1]int
	for _, hs := range hashes {
		for _, h := range hs {
			if h != 0 {
				counts[h>>(32-partBits)+1]++
			}
		}
	}
	for p := 1; p < len(counts); p++ {
		counts[p] += counts[p-1]
	}
	keyed := counts[len(counts)-1]
	t := &keyTable{col: col, fold: fold, seed: seed, next: make([]int32, n)}
	t.allocSlots(tableSize(keyed))
	items := make([]uint64, keyed) // hash<<32 | row
	for bi := len(hashes) - 1; bi >= 0; bi-- {
		hs := hashes[bi]
		for j := len(hs) - 1; j >= 0; j-- {
			if h := hs[j]; h != 0 {
				p := h >> (32 - partBits)
				items[counts[p]] = uint64(h)<<32 | uint64(starts[bi]+int32(j))
				counts[p]++
			}
		}
	}
	distinct := 0
	for _, it := range items {
		if t.insert(uint32(it>>32), int32(it)) {
			distinct++
		}
	}
	// The table was sized for every keyed row; a column whose rows share
	// keys (a structure has dozens of mailboxes) needs far fewer slots.
	// The chains stay as they are: only their heads move.
	if size := tableSize(distinct); size < len(t.slots) {
		old := t.slots
		t.allocSlots(size)
		for _, sl := range old {
			if sl.row != 0 {
				*t.probe(sl.hash) = sl
			}
		}
	}
	return t
}

// tableSize is the number of slots for keys distinct keys: a power of two,
// at load factor 3/4 at most.
func tableSize(keys int) int {
	return 1 << bits.Len(uint(keys+keys/3)|15)
}

func (t *keyTable) allocSlots(size int) {
	t.slots = make([]slot, size)
	t.shift = uint(32 - bits.TrailingZeros(uint(size)))
}

// probe returns the slot of hash h: the one holding it, else the empty
// slot where it goes.
func (t *keyTable) probe(h uint32) *slot {
	mask := uint32(len(t.slots) - 1)
	for s := h >> t.shift; ; s = (s + 1) & mask {
		if sl := &t.slots[s]; sl.row == 0 || sl.hash == h {
			return sl
		}
	}
}

// insert adds row (whose key hashes to h) to the table: a new slot, or the
// head of the chain of its hash. It reports whether the hash is new.
func (t *keyTable) insert(h uint32, row int32) bool {
	sl := t.probe(h)
	if sl.row == 0 {
		*sl = slot{row: row + 1, hash: h}
		return true
	}
	t.next[row] = sl.row
	sl.row = row + 1
	return false
}

// rows calls fn for each row whose key is k, in file order, with where its
// line is (located once, for the key check and for the row), until fn
// returns false.
func (t *keyTable) rows(st *store, k string, fn func(r int32, b *textBlock, p rowPos) bool) {
	k = trimKey(k)
	if k == "" || t == nil {
		return
	}
	var buf [maxFoldKey]byte
	if t.fold {
		k = foldKey(k, buf[:])
	}
	for r := t.probe(keyHash(t.seed, k)).row; r != 0; r = t.next[r-1] {
		b, p := st.locate(r - 1)
		if t.equal(st, b, p, k) && !fn(r-1, b, p) {
			return
		}
	}
}

// head returns the first row whose key is k, or -1.
func (t *keyTable) head(st *store, k string) int32 {
	first := int32(-1)
	t.rows(st, k, func(r int32, _ *textBlock, _ rowPos) bool {
		first = r
		return false
	})
	return first
}

// foldKey returns k lower-cased, using buf when k is short ASCII. The
// result may alias buf. Most addresses are already lower-case: that is
// checked eight bytes at a time.
func foldKey(k string, buf []byte) string {
	b := []byte(k) // no copy: read only, does not escape (-gcflags=-m)
	var upper uint64
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if w&highBits != 0 {
			return strings.ToLower(k)
		}
		// 0x80 in each byte from 'A' up, minus those from 'Z'+1 up; no
		// carry crosses bytes since all are below 0x80.
		upper |= (w + 0x3f3f3f3f3f3f3f3f) &^ (w + 0x2525252525252525)
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c >= 0x80 {
			return strings.ToLower(k)
		}
		if 'A' <= c && c <= 'Z' {
			upper |= highBits
		}
	}
	if upper&highBits == 0 {
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

// equal compares the key of the row at p with k (already folded).
func (t *keyTable) equal(st *store, b *textBlock, p rowPos, k string) bool {
	v := trimKey(fieldAt(b.line(p), st.layout.fieldOf[t.col]))
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

// trimKey is strings.TrimSpace, quicker for the usual key that starts and
// ends with a printable ASCII byte.
func trimKey(s string) string {
	if n := len(s); n > 0 && s[0] > ' ' && s[0] < 0x80 && s[n-1] > ' ' && s[n-1] < 0x80 {
		return s
	}
	return strings.TrimSpace(s)
}
