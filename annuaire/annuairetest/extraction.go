package annuairetest

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/mssante-go/sdk/annuaire"
)

// ExtractionOptions describes a synthetic Extraction_Correspondance_MSSante.
// The zero value gives 1,000 rows with seed 0.
type ExtractionOptions struct {
	Rows int    // data rows; 0 means 1,000
	Seed uint64 // seed of the generator; the same seed gives the same file
	// TrailingSeparator ends the header and every row with '|', since
	// whether the ANS file does so is unknown.
	TrailingSeparator bool
	// ORGShare is the share of ORG mailboxes in percent; 0 means 16 (the
	// 2026 file has about 455 k PER and 80 k ORG).
	ORGShare int
}

// WriteExtraction writes a synthetic extraction in the published layout
// (31 '|'-separated UTF-8 columns, one header line) to w. About one person in
// ten has two mailboxes, and PER rows of hospital staff carry their
// structure, as in the real file. It returns the number of bytes written.
func WriteExtraction(w io.Writer, opts *ExtractionOptions) (int64, error) {
	var o ExtractionOptions
	if opts != nil {
		o = *opts
	}
	if o.Rows <= 0 {
		o.Rows = 1000
	}
	if o.ORGShare <= 0 {
		o.ORGShare = 16
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x6d7373616e7465))
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 64<<10)
	end := "\n"
	if o.TrailingSeparator {
		end = "|\n"
	}
	cols := make([]string, annuaire.NumColumns)
	for c := range cols {
		cols[c] = annuaire.Column(c).String()
	}
	bw.WriteString(strings.Join(cols, "|") + end)

	nStruct := o.Rows/50 + 1
	var p person
	pIndex, pLeft := 0, 0
	for i := 0; i < o.Rows; i++ {
		for c := range cols {
			cols[c] = ""
		}
		st := genStructure(rand.New(rand.NewPCG(uint64(i%nStruct), o.Seed)), i%nStruct)
		if rng.IntN(100) < o.ORGShare {
			svc := services[rng.IntN(len(services))]
			cols[annuaire.ColMailboxType] = "ORG"
			cols[annuaire.ColAddress] = fmt.Sprintf("%s.%d@%s", asciiLocal(svc), i, st.domain)
			cols[annuaire.ColStructureIDType] = "1"
			cols[annuaire.ColStructureID] = "1" + st.finess
			cols[annuaire.ColService] = svc
			cols[annuaire.ColStructureName] = st.name
			fillPlace(cols, st)
		} else {
			if pLeft == 0 {
				p = genPerson(rng, pIndex)
				pIndex++
				pLeft = 1
				if rng.IntN(10) == 0 {
					pLeft = 2
				}
			}
			pLeft--
			pr := professions[p.prof]
			cols[annuaire.ColMailboxType] = "PER"
			domain := pr.domain
			if pLeft == 1 || rng.IntN(8) == 0 {
				domain = st.domain
				cols[annuaire.ColStructureIDType] = "1"
				cols[annuaire.ColStructureID] = "1" + st.finess
				cols[annuaire.ColStructureName] = st.name
				fillPlace(cols, st)
			}
			cols[annuaire.ColAddress] = fmt.Sprintf("%s.%s.%d@%s", asciiLocal(p.given), asciiLocal(p.family), pIndex, domain)
			cols[annuaire.ColPPIDType] = "8"
			cols[annuaire.ColPPID] = p.rpps
			cols[annuaire.ColIdNatPS] = "8" + p.rpps
			cols[annuaire.ColCivility] = p.civility
			cols[annuaire.ColLastName] = p.family
			cols[annuaire.ColFirstName] = p.given
			cols[annuaire.ColCategoryCode] = pr.category
			cols[annuaire.ColCategoryLabel] = "Civil"
			cols[annuaire.ColProfessionCode] = pr.code
			cols[annuaire.ColProfessionLabel] = pr.label
		}
		bw.WriteString(strings.Join(cols, "|") + end)
	}
	err := bw.Flush()
	return cw.n, err
}

func fillPlace(cols []string, st structure) {
	c := cities[st.city]
	cols[annuaire.ColStreetNumber] = "12"
	cols[annuaire.ColStreetType] = "R"
	cols[annuaire.ColStreetName] = "DES LILAS"
	cols[annuaire.ColCityLine] = c.postcode + " " + c.city
	cols[annuaire.ColPostalCode] = c.postcode
	cols[annuaire.ColDepartment] = c.dept
	cols[annuaire.ColCountry] = "FRANCE"
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
