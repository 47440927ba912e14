package storekeys

import (
	"slices"
	"sort"
)

// Set is an ordered set of keys in memory, the memory store's indexes: a
// sorted list of sorted blocks, so that an insertion or a deletion moves
// at most a block (and, when a block splits or empties, the list of
// blocks), and a seek is two binary searches. The zero value is empty.
// It is not safe for concurrent use.
type Set struct {
	blocks [][]string // non-empty, sorted, each block's keys below the next block's
	n      int
}

// setBlock is the size at which a block splits.
const setBlock = 512

// Len returns the number of keys.
func (s *Set) Len() int { return s.n }

// block returns the index of the block where key belongs.
func (s *Set) block(key string) int {
	// The first block whose last key is >= key.
	i := sort.Search(len(s.blocks), func(i int) bool {
		b := s.blocks[i]
		return b[len(b)-1] >= key
	})
	if i == len(s.blocks) && i > 0 {
		i--
	}
	return i
}

// Insert adds key; adding a key already there does nothing.
func (s *Set) Insert(key string) {
	if len(s.blocks) == 0 {
		s.blocks = [][]string{{key}}
		s.n = 1
		return
	}
	bi := s.block(key)
	b := s.blocks[bi]
	j, found := slices.BinarySearch(b, key)
	if found {
		return
	}
	b = slices.Insert(b, j, key)
	s.n++
	if len(b) < 2*setBlock {
		s.blocks[bi] = b
		return
	}
	lo := slices.Clone(b[:setBlock])
	hi := slices.Clone(b[setBlock:])
	s.blocks[bi] = lo
	s.blocks = slices.Insert(s.blocks, bi+1, hi)
}

// Delete removes key; removing an absent key does nothing.
func (s *Set) Delete(key string) {
	if len(s.blocks) == 0 {
		return
	}
	bi := s.block(key)
	b := s.blocks[bi]
	j, found := slices.BinarySearch(b, key)
	if !found {
		return
	}
	b = slices.Delete(b, j, j+1)
	s.n--
	if len(b) == 0 {
		s.blocks = slices.Delete(s.blocks, bi, bi+1)
		return
	}
	s.blocks[bi] = b
}

// Ascend calls fn with the keys of r in order until fn returns false.
func (s *Set) Ascend(r Range, fn func(key string) bool) {
	if len(s.blocks) == 0 {
		return
	}
	bi := s.block(r.Start)
	j, _ := slices.BinarySearch(s.blocks[bi], r.Start)
	for ; bi < len(s.blocks); bi, j = bi+1, 0 {
		b := s.blocks[bi]
		for ; j < len(b); j++ {
			if !r.Contains(b[j]) || !fn(b[j]) {
				return
			}
		}
	}
}
