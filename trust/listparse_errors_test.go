package trust

import (
	"bytes"
	"strings"
	"testing"
)

// The errors of malformed <ListeDomaines> and <Domaine> content name the
// element and what was wrong with it; a list whose only entry is unusable
// names that entry.
func TestListContentErrors(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"<Domaine><Nom>a.fr</Nom></Domaine>", ""},
		{"stray<Domaine><Nom>a.fr</Nom></Domaine>", `text "stray" inside <ListeDomaines>`},
		{"<Domaine><Nom>a.fr</Nom></Domaine></Oops>", "end tag </Oops> does not match <ListeDomaines>"},
		{"<Domaine><Nom>a.fr</Nom>", "end tag </ListeDomaines> does not match <Domaine>"},
		{"<Domaine><Nom>a.fr</Nom></Domaine>", ""},
		// The only entry is unusable: no usable <Domaine> is left.
		{"<Domaine/>", "empty <Domaine>, no <Nom>"},
		{"<Domaine>x<Nom>a.fr</Nom></Domaine>", `text "x" inside <Domaine>`},
		{"<Domaine><Nom>a.fr</Nom></Nom></Domaine>", "end tag </Nom> does not match <Domaine>"},
		{"<Domaine><Description>d</Description></Domaine>", "no usable <Domaine>: 1 skipped, the first: line 3: <Domaine>: no <Nom>"},
		{"<Domaine><Nom>a.fr</Nom><Nom>b.fr</Nom></Domaine>", `<Nom> "b.fr": more than one <Nom>`},
		{"<Domaine><Nom>a.fr</Nom><DateMAJ>hier</DateMAJ></Domaine>", `<DateMAJ> "hier": not an RFC 3339 date`},
		{"<Domaine><Nom>a.fr</Nom><Autre><x/></Autre></Domaine><Autre/>", ""},
	} {
		head := strings.TrimSuffix(listHead, "\n")
		raw := head + tc.body + "</ListeDomaines></ListeBlancheMSSante>"
		_, err := ParseList(bytes.NewReader([]byte(raw)), nil)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.body, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want %q", tc.body, err, tc.want)
		}
	}
}
