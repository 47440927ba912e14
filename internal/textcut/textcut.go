// Package textcut shortens input quoted in error messages, so that a
// hostile value of megabytes never becomes an error of megabytes.
package textcut

import (
	"strconv"
	"unicode/utf8"
)

// Max is how many bytes of an input an error quotes.
const Max = 100

// Cut returns s when it is at most n bytes long, else its first n bytes
// (less a character cut in two) followed by "…".
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut > n-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Bytes is Cut of a byte slice, converting only the bytes it keeps.
func Bytes(b []byte, n int) string {
	if len(b) > n+utf8.UTFMax {
		b = b[:n+utf8.UTFMax]
	}
	return Cut(string(b), n)
}

// Quote returns the first Max bytes of s, Go-quoted, with "…" after the
// closing quote when s was longer.
func Quote(s string) string {
	c := Cut(s, Max)
	if len(c) == len(s) {
		return strconv.Quote(s)
	}
	return strconv.Quote(c[:len(c)-len("…")]) + "…"
}
