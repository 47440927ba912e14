package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The quickstart is the README's first command: it must keep working, and
// print the delivery report and the read receipt.
func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	if err := runSandbox(context.Background(), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"delivery report: bruno.durand@ch-test.mssante.fr delivered", "read receipt: displayed by bruno.durand@ch-test.mssante.fr", "INS 279035121518989 (qualified: true)",
		"(11490-0), hash checked: true", "content   application/pdf", "_FIGATELLIX_CORSE.pdf (same as the document's: true)", "Done"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestLetterPDF(t *testing.T) {
	b := letterPDF([]string{"a (b) \\ c"})
	if !bytes.HasPrefix(b, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(b, []byte("%%EOF\n")) || !bytes.Contains(b, []byte(`(a \(b\) \\ c) Tj`)) {
		t.Fatalf("%s", b)
	}
}
