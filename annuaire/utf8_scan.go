package annuaire

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// invalidUTF8 appends to dst the offset of every byte of s that starts an
// invalid UTF-8 sequence, in order. A line of s is valid UTF-8 exactly when
// none of these offsets falls inside it: line ends are ASCII, so decoding
// the whole text is in step with decoding each line. Unlike utf8.Valid,
// which goes byte by byte after the first non-ASCII byte, it skips ASCII
// 32 bytes at a time all along, which matters for text where most lines
// hold an accent or two.
func invalidUTF8(s string, dst []int32) []int32 {
	b := []byte(s) // no copy: read only, does not escape (-gcflags=-m)
	for i := 0; i < len(b); {
		for i+32 <= len(b) {
			c := b[i : i+32 : i+32]
			if (binary.LittleEndian.Uint64(c)|binary.LittleEndian.Uint64(c[8:])|
				binary.LittleEndian.Uint64(c[16:])|binary.LittleEndian.Uint64(c[24:]))&highBits != 0 {
				break
			}
			i += 32
		}
		if i+8 <= len(b) {
			w := binary.LittleEndian.Uint64(b[i:]) & highBits
			if w == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(w) >> 3 // first non-ASCII byte
		} else if i >= len(b) {
			break
		} else if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		if c := b[i]; c >= 0xc2 && c <= 0xdf && i+1 < len(b) && b[i+1]&0xc0 == 0x80 {
			i += 2 // a valid two-byte sequence: every accented Latin letter
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, int32(i))
		}
		i += size
	}
	return dst
}
