package cda

import (
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/testenv"
)

// saxon returns the command prefix that runs Saxon-HE (Debian package
// libsaxonhe-java, or the jar named by $SAXON_JAR), or skips the test.
func saxon(t *testing.T) []string {
	t.Helper()
	if testing.Short() {
		t.Skip("schematron run skipped in -short mode")
	}
	jar := os.Getenv("SAXON_JAR")
	if jar == "" {
		jar = "/usr/share/java/Saxon-HE.jar"
	}
	if _, err := os.Stat(jar); err != nil {
		testenv.Missing(t, "Saxon-HE not installed (%v): apt-get install libsaxonhe-java or set SAXON_JAR", err)
	}
	testenv.LookPath(t, "java", "default-jre-headless")
	return []string{"java", "-cp", jar, "net.sf.saxon.Transform"}
}

// strucMinSchematron compiles the ANS structuration-minimale schematron with
// testdata/schematron.xsl into dir and returns the compiled stylesheet.
func strucMinSchematron(t *testing.T, sx []string, dir string) string {
	t.Helper()
	src := kitPath(t, "schematrons/profils/structurationMinimale")
	sch := filepath.Join(dir, "sch")
	if err := os.CopyFS(sch, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	// The kit copy lacks the J07 vocabulary the schema reads: rebuild it
	// from the JDV file.
	voc := filepath.Join(sch, "include", "voc-1.2.250.1.213.1.1.5.471-DYNAMIC.xml")
	if _, err := os.Stat(voc); err != nil {
		var b strings.Builder
		b.WriteString(`<valueSets><valueSet id="1.2.250.1.213.1.1.5.471"><conceptList>`)
		for _, c := range TypeCodes() {
			fmt.Fprintf(&b, `<concept code="%s" codeSystem="%s"/>`, esc(c.Code), esc(c.CodeSystem))
		}
		b.WriteString(`</conceptList></valueSet></valueSets>`)
		if err := os.WriteFile(voc, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "strucmin.xsl")
	args := append(sx[1:], "-s:"+filepath.Join(sch, "ASIP-STRUCT-MIN-StrucMin.sch"), "-xsl:testdata/schematron.xsl", "-o:"+out)
	if b, err := exec.Command(sx[0], args...).CombinedOutput(); err != nil {
		t.Fatalf("compiling the schematron: %v\n%s", err, b)
	}
	return out
}

type svrl struct {
	Failed []struct {
		Role     string `xml:"role,attr"`
		Location string `xml:"location,attr"`
		Text     string `xml:"text"`
	} `xml:"failed-assert"`
}

// TestN1Schematron checks generated N1 documents against the ANS
// structuration-minimale schematron (zero failed asserts, of any role), and
// that broken ones fail it and Validate alike.
func TestN1Schematron(t *testing.T) {
	sx := saxon(t)
	dir := t.TempDir()
	xsl := strucMinSchematron(t, sx, dir)
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	os.Mkdir(in, 0o755)
	os.Mkdir(out, 0o755)

	good := map[string]*Document{}
	for name, mod := range n1Variants() {
		n := testN1(t, fakePDF())
		mod(&n)
		d, err := NewN1(n)
		if err != nil {
			t.Fatal(name, err)
		}
		good[name] = d
		// Errors only: a warning (an NIA without traits has no INS to
		// send, ECO.2.1.2) is no schematron matter.
		if err := Validate(d).Err(); err != nil {
			t.Errorf("%s: Validate = %v", name, err)
		}
	}
	bad := map[string]func(*Document){
		"bad-no-xdssd":     func(d *Document) { d.TemplateIDs = d.TemplateIDs[:2] },
		"bad-traits":       func(d *Document) { d.Patient.BirthplaceCode = "" },
		"bad-no-performer": func(d *Document) { d.ServiceEvents[0].Performer = nil },
		"bad-language":     func(d *Document) { d.Language = "fr" },
	}
	for name, mod := range bad {
		n := testN1(t, fakePDF())
		d, err := NewN1(n)
		if err != nil {
			t.Fatal(err)
		}
		mod(d)
		good[name] = d
		if p := Validate(d); len(p) == 0 {
			t.Errorf("%s: Validate found nothing", name)
		}
	}
	for name, d := range good {
		if err := os.WriteFile(filepath.Join(in, name+".xml"), encode(t, d), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A parsed document: Validate and the schematron agree on its one
	// problem.
	if err := os.WriteFile(filepath.Join(in, "bad-reimbursement.xml"), []byte(reimbursementHeader), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append(sx[1:], "-s:"+in, "-xsl:"+xsl, "-o:"+out)
	if b, err := exec.Command(sx[0], args...).CombinedOutput(); err != nil {
		t.Fatalf("running the schematron: %v\n%s", err, b)
	}
	names := []string{"bad-reimbursement"}
	for n := range good {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(out, name+".xml"))
		if err != nil {
			t.Fatal(err)
		}
		var r svrl
		if err := xml.Unmarshal(data, &r); err != nil {
			t.Fatal(err)
		}
		if name == "bad-reimbursement" && (len(r.Failed) != 1 || !strings.Contains(r.Failed[0].Text, "INS")) {
			t.Errorf("%s: schematron failures %+v, want the INS traits rule only", name, r.Failed)
		}
		if strings.HasPrefix(name, "bad-") {
			if len(r.Failed) == 0 {
				t.Errorf("%s: the schematron found nothing wrong", name)
			}
			continue
		}
		for _, f := range r.Failed {
			t.Errorf("%s: %s at %s: %s", name, f.Role, f.Location, f.Text)
		}
	}
}
