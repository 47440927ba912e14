package annuaire

import "unsafe"

// A zero-copy view of bytes as a string, used on hot paths of the
// extraction reader and index; it is never kept. The other way, string to
// bytes, needs no unsafe: the compiler does not copy a []byte(s) that is
// only read and does not escape (go build -gcflags=-m says "zero-copy
// string->[]byte conversion" for the three call sites).

// unsafeString views b as a string without copying. Callers use the result
// only while b is unchanged and alive (a stack buffer within one lookup).
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
