package annuaire

import "unsafe"

// Zero-copy views between strings and bytes, used on hot paths of the
// extraction reader and index. Neither view is ever written to or kept.

// unsafeString views b as a string without copying. Callers use the result
// only while b is unchanged and alive (a stack buffer within one lookup).
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// unsafeBytes views s as bytes without copying. The result must not be
// written to.
func unsafeBytes(s string) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
