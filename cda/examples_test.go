package cda

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mssante-go/sdk/internal/testenv"
)

// exampleFiles returns the ANS example documents (testenv.CDAExamples).
func exampleFiles(t *testing.T) []string {
	t.Helper()
	_, files := testenv.CDAExamples(t)
	return files
}

func parseFile(t *testing.T, name string) *Document {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := Parse(f, &ParseOptions{HeaderOnly: true})
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(name), err)
	}
	return d
}

// TestExamplesFormatCode: the ANS tables give a formatCode to every
// example of the ANS kit, one of JDV_J10.
func TestExamplesFormatCode(t *testing.T) {
	for _, name := range exampleFiles(t) {
		d := parseFile(t, name)
		f, err := FormatCode(d)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(name), err)
			continue
		}
		if j, ok := LookupFormatCode(f.Code); !ok || j != f {
			t.Errorf("%s: formatCode %+v is not the JDV_J10 concept %+v", filepath.Base(name), f, j)
		}
	}
}

// TestExamplesValidate: the ANS schematron accepts every example; what
// Validate finds in them is either a wrong INS key (an error the SDK adds)
// or a timezone offset like "+100" (an HL7 warning).
func TestExamplesValidate(t *testing.T) {
	var keys, zones int
	for _, name := range exampleFiles(t) {
		base := filepath.Base(name)
		for _, p := range Validate(parseFile(t, name)) {
			switch {
			case p.Authority == AuthoritySDK && p.Severity == SeverityError && p.Path == "recordTarget/patientRole/id":
				keys++
			case p.Authority == AuthorityHL7 && p.Severity == SeverityWarning && p.Rule == "DTr1_TS":
				zones++
			default:
				t.Errorf("%s: unexpected problem %s", base, p)
			}
		}
	}
	if keys == 0 || zones == 0 {
		t.Errorf("%d INS key errors, %d timezone warnings: the kit has both", keys, zones)
	}
}
