package bench

import (
	"strings"
	"testing"
)

// The table starts with its method and its run: commit, date, Go, machine,
// command line.
func TestHeader(t *testing.T) {
	h := header(&Config{Rounds: 5, SendSyncRounds: 9})
	lines := strings.Split(strings.TrimSuffix(h, "\n"), "\n")
	if len(lines) != 2 || lines[0] != "mss bench: 5 interleaved rounds per side (pairs 1 and 2: 9), medians" {
		t.Fatalf("header %q", h)
	}
	for _, part := range []string{"run: commit ", " UTC, go", " CPU", "GOMAXPROCS ", "; command: "} {
		if !strings.Contains(lines[1], part) {
			t.Errorf("%q lacks %q", lines[1], part)
		}
	}
}
