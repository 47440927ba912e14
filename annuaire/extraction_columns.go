package annuaire

// Column identifies one of the 31 columns of Extraction_Correspondance_MSSante.
// The reader finds each column by its header name, so files whose columns
// come in another order, or carry extra columns, still read correctly.
type Column int

// Columns of Extraction_Correspondance_MSSante, in the order of the published
// layout (annuaire-trust.md §2.2).
const (
	ColMailboxType            Column = iota // Type de BAL (PER, ORG, APP, CAB)
	ColAddress                              // Adresse BAL
	ColPPIDType                             // Type Identifiant PP (8 = RPPS, 0 = ADELI, presumably)
	ColPPID                                 // Identifiant PP (RPPS or ADELI number)
	ColIdNatPS                              // Identification nationale PP (idNat_PS)
	ColStructureIDType                      // Type identifiant structure
	ColStructureID                          // Identification Structure
	ColService                              // Service de rattachement
	ColCivility                             // Civilité d'exercice
	ColLastName                             // Nom d'exercice
	ColFirstName                            // Prénom d'exercice
	ColCategoryCode                         // Catégorie profession
	ColCategoryLabel                        // Libellé de catégorie profession
	ColProfessionCode                       // Code Profession
	ColProfessionLabel                      // Libellé Profession
	ColSpecialtyCode                        // Code savoir-faire
	ColSpecialtyLabel                       // Libellé savoir-faire
	ColDigitization                         // Dématérialisation (retired from the FHIR IG, kept in the file)
	ColStructureName                        // Raison Sociale structure BAL
	ColStructureTradeName                   // Enseigne commerciale structure BAL
	ColAddressComplement                    // L2COMPLEMENTLOCALISATION
	ColDistributionComplement               // L3COMPLEMENTDISTRIBUTION
	ColStreetNumber                         // L4NUMEROVOIE
	ColStreetNumberSuffix                   // L4COMPLEMENTNUMEROVOIE
	ColStreetType                           // NL4TYPEVOIE
	ColStreetName                           // L4LIBELLEVOIE
	ColLocality                             // L5LIEUDITMENTION
	ColCityLine                             // L6LIGNEACHEMINEMENT
	ColPostalCode                           // Code postal
	ColDepartment                           // Département
	ColCountry                              // Pays

	NumColumns = iota // number of known columns
)

// columnNames are the header names of the published layout.
var columnNames = [NumColumns]string{
	"Type de BAL", "Adresse BAL", "Type Identifiant PP", "Identifiant PP",
	"Identification nationale PP", "Type identifiant structure",
	"Identification Structure", "Service de rattachement", "Civilité d'exercice",
	"Nom d'exercice", "Prénom d'exercice", "Catégorie profession",
	"Libellé de catégorie profession", "Code Profession", "Libellé Profession",
	"Code savoir-faire", "Libellé savoir-faire", "Dématérialisation",
	"Raison Sociale structure BAL", "Enseigne commerciale structure BAL",
	"L2COMPLEMENTLOCALISATION", "L3COMPLEMENTDISTRIBUTION", "L4NUMEROVOIE",
	"L4COMPLEMENTNUMEROVOIE", "NL4TYPEVOIE", "L4LIBELLEVOIE", "L5LIEUDITMENTION",
	"L6LIGNEACHEMINEMENT", "Code postal", "Département", "Pays",
}

// String returns the header name of the column in the published layout.
func (c Column) String() string {
	if c < 0 || c >= NumColumns {
		return "Column(?)"
	}
	return columnNames[c]
}

// columnByKey maps the folded form of a header name (see headerKey) to its
// column. Case, accents, spaces and punctuation do not matter, since the exact
// spelling of the ANS header is not verified.
var columnByKey = func() map[string]Column {
	m := make(map[string]Column, NumColumns)
	for c, name := range columnNames {
		m[headerKey(name)] = Column(c)
	}
	return m
}()

// headerKey folds a header name to lower-case ASCII letters and digits only.
func headerKey(name string) string {
	b := foldName(make([]byte, 0, len(name)), name)
	out := b[:0]
	for _, c := range b {
		if c != ' ' {
			out = append(out, c)
		}
	}
	return string(out)
}
