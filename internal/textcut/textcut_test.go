package textcut

import (
	"strings"
	"testing"
)

func TestCut(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "abc…"},
		{"aé", 2, "a…"}, // é is 2 bytes: not cut in two
		{"", 0, ""},
		{"x", 0, "…"},
	} {
		if got := Cut(tt.in, tt.n); got != tt.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
		if got := Bytes([]byte(tt.in), tt.n); got != tt.want {
			t.Errorf("Bytes(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestQuote(t *testing.T) {
	if got := Quote("a\nb"); got != `"a\nb"` {
		t.Errorf("Quote short: %s", got)
	}
	long := strings.Repeat("é", 1000)
	got := Quote(long)
	if !strings.HasSuffix(got, `"…`) || len(got) > Max+10 {
		t.Errorf("Quote long: %d bytes %s", len(got), got)
	}
}
