package mail

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// quote keeps at most maxQuote bytes, cut on a rune boundary; FuzzReport
// found it slicing past the end of inputs of 101 to 103 bytes.
func TestQuote(t *testing.T) {
	for n := 0; n < 300; n++ {
		for _, s := range []string{strings.Repeat("a", n), strings.Repeat("é", n/2), strings.Repeat("\xff", n)} {
			q := quote([]byte(s))
			body := strings.TrimSuffix(q, "…")
			if len(s) <= maxQuote && q != s || len(body) > maxQuote || !strings.HasPrefix(s, body) ||
				utf8.ValidString(s) && !utf8.ValidString(q) {
				t.Fatalf("quote(%d bytes %q…) = %q", len(s), s[:min(len(s), 8)], q)
			}
		}
	}
}
