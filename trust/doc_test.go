package trust

import (
	"os"
	"strings"
	"testing"
)

// TestDocMinimalList parses the minimal list of the package documentation,
// so that the documented format stays one ParseList accepts.
func TestDocMinimalList(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var xml strings.Builder
	in := false
	for _, line := range strings.Split(string(src), "\n") {
		code, ok := strings.CutPrefix(line, "//\t")
		switch {
		case ok && strings.HasPrefix(code, "<?xml"):
			in = true
		case !ok && in:
			in = false
		}
		if in {
			xml.WriteString(code + "\n")
		}
	}
	if xml.Len() == 0 {
		t.Fatal("no list in doc.go")
	}
	l, err := ParseList(strings.NewReader(xml.String()), nil)
	if err != nil {
		t.Fatalf("the documented list: %v\n%s", err, xml.String())
	}
	d, ok := l.Lookup("medecin.mssante.fr")
	if !ok || l.Len() != 1 || l.SkippedCount() != 0 || d.Entries[0].OperatorDN == "" || d.Entries[0].Updated.IsZero() {
		t.Errorf("the documented list: %d entries, %d skipped, %+v", l.Len(), l.SkippedCount(), d)
	}
}
