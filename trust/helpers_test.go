package trust

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/testenv"
)

// sharedDir returns a folder of ../shared/testdata-external/annuaire (the
// repository root's parent holds shared/); without it the test skips, or
// fails under CI (internal/testenv).
func sharedDir(t testing.TB, sub string) string {
	t.Helper()
	return testenv.SharedDir(t, "annuaire", sub)
}

// readShared reads a file of ../shared/testdata-external/annuaire/sub, or
// skips the test when the folder is absent.
func readShared(t testing.TB, sub, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sharedDir(t, sub), name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// listEntry is one <Domaine> for genList.
type listEntry struct {
	name, dn string
}

const listHead = `<?xml version="1.0" encoding="UTF-8"?><ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">
    <DateDeGeneration>2025-03-13T14:54:10Z</DateDeGeneration>
    <ListeDomaines>
`

// genList writes a liste blanche in the ANS layout. closeRoot adds the
// closing root tag the real file lacks.
func genList(entries []listEntry, closeRoot bool) []byte {
	var b bytes.Buffer
	b.WriteString(listHead)
	for i, e := range entries {
		dn := e.dn
		if dn == "" {
			dn = "CN=smtpmssv2.sante-ra.fr,OU=1630013605,O=GCS SARA,ST=Puy-de-Dôme (63),C=FR"
		}
		fmt.Fprintf(&b, `        <Domaine>
            <Nom>%s</Nom>
            <Description>Domaine de messagerie MSSanté n° %d de l'établissement</Description>
            <DNCertificatOperateur>%s</DNCertificatOperateur>
            <ResponsableContact>08 10  61 50 50, medimail.diffusion@mipih.fr</ResponsableContact>
            <SupportContact>08 10  61 50 50, medimail.technique@mipih.fr</SupportContact>
            <DateMAJ>2024-06-12T15:41:16Z</DateMAJ>
        </Domaine>
`, e.name, i, dn)
	}
	b.WriteString("    </ListeDomaines>\n")
	if closeRoot {
		b.WriteString("</ListeBlancheMSSante>\n")
	}
	return b.Bytes()
}

// bigList generates n entries over about 0.77 n distinct domains, the
// proportions of the ANS file (6,554 entries, 5,002 names).
func bigList(n int) ([]byte, []string) {
	entries := make([]listEntry, 0, n)
	var names []string
	for i := 0; len(entries) < n; i++ {
		name := fmt.Sprintf("etab%05d.aura.mssante.fr", i)
		names = append(names, name)
		entries = append(entries, listEntry{name: name, dn: "CN=smtpmssv2.sante-ra.fr,OU=1630013605,O=GCS SARA,ST=Puy-de-Dôme (63),C=FR"})
		if i%10 < 3 && len(entries) < n {
			entries = append(entries, listEntry{name: name, dn: "CN=smtpmss.sante-ra.fr,OU=1630013605,O=GCS SARA,ST=Puy-de-Dôme (63),C=FR"})
		}
	}
	return genList(entries, false), names
}

// clockFunc is a Clock that reads the time from a function; After fires at
// once, as if the wait had passed.
type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

func (f clockFunc) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	ch <- f().Add(d)
	return ch
}
