package trust

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// ShrinkError reports a new liste blanche that would remove more of the
// trust space than Source.MaxShrink allows. errors.Is(err, ErrListShrunk)
// holds.
type ShrinkError struct {
	Previous  int     // domains of the current list
	Current   int     // domains of the list refused
	MaxShrink float64 // the share allowed
}

func (e *ShrinkError) Error() string {
	lost := 1 - float64(e.Current)/float64(e.Previous)
	return fmt.Sprintf("trust: new liste blanche has %d domains against %d: losing %.0f%% of the trust space is more than the %.0f%% allowed (Source.MaxShrink); the current list stays",
		e.Current, e.Previous, 100*lost, 100*e.MaxShrink)
}

// Is makes errors.Is(err, ErrListShrunk) true.
func (e *ShrinkError) Is(target error) bool { return target == ErrListShrunk }

func (s *Source) maxShrink() float64 {
	if s.MaxShrink <= 0 {
		return DefaultMaxShrink
	}
	return s.MaxShrink
}

// checkShrink refuses next when it loses more than MaxShrink of the
// domains of cur.
func (s *Source) checkShrink(cur, next *List) error {
	max := s.maxShrink()
	if cur == nil || max >= 1 {
		return nil
	}
	prev, n := cur.DomainCount(), next.DomainCount()
	if prev > 0 && float64(prev-n) > max*float64(prev) {
		return &ShrinkError{Previous: prev, Current: n, MaxShrink: max}
	}
	return nil
}

// parseChecksum reads a checksum file: the hex SHA-256 of the list as its
// first word, possibly written twice in a row (128 hex digits whose halves
// are equal), as the ANS has published it.
func parseChecksum(data []byte) ([]byte, error) {
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return nil, fmt.Errorf("empty checksum file: %w", ErrChecksum)
	}
	h := fields[0]
	if len(h) == 2*hex.EncodedLen(32) && strings.EqualFold(h[:64], h[64:]) {
		h = h[:64]
	}
	sum, err := hex.DecodeString(h)
	if err != nil || len(sum) != 32 {
		return nil, fmt.Errorf("checksum file does not start with a SHA-256 in hex (%q): %w", printable([]byte(h)), ErrChecksum)
	}
	return sum, nil
}
