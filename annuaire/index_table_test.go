package annuaire

import (
	"hash/maphash"
	"slices"
	"testing"
)

// A table whose rows share few keys is sized for its distinct keys, not
// for its rows, and keeps each key's rows in file order.
func TestKeyTableSizedForDistinctKeys(t *testing.T) {
	seed := maphash.MakeSeed()
	const rows, keys = 10_000, 100
	// Two blocks of rows, every row keyed, key i%keys.
	hashes := [][]uint32{make([]uint32, rows/2), make([]uint32, rows/2)}
	for i := range rows {
		hashes[i/(rows/2)][i%(rows/2)] = keyHash(seed, string(rune('a'+i%keys)))
	}
	tab := newKeyTable(ColStructureID, false, seed, rows, []int32{0, rows / 2}, hashes)
	if len(tab.slots) != tableSize(keys) || tableSize(keys) >= tableSize(rows) {
		t.Fatalf("%d slots for %d keys of %d rows, want %d", len(tab.slots), keys, rows, tableSize(keys))
	}
	for k := range keys {
		var got []int32
		for r := tab.probe(keyHash(seed, string(rune('a'+k)))).row; r != 0; r = tab.next[r-1] {
			got = append(got, r-1)
		}
		var want []int32
		for i := k; i < rows; i += keys {
			want = append(want, int32(i))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("key %d: rows %v, want %v", k, got[:min(5, len(got))], want[:5])
		}
	}
}
