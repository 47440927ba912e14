package annuaire

// Row is one line of Extraction_Correspondance_MSSante: one MSSanté mailbox
// (BAL). Fields hold the text of the file as is, without trimming; a column
// absent from the file reads as "". Row is comparable with ==.
type Row struct {
	// Line is the 1-based line number in the text file (the header is line 1).
	Line int

	Type    MailboxType // Type de BAL: PER or ORG in the files seen, APP and CAB possible
	Address string      // Adresse BAL, as written (case kept)

	PPIDType string // Type Identifiant PP: presumably "8" for RPPS, "0" for ADELI
	PPID     string // Identifiant PP: the RPPS or ADELI number
	IdNatPS  string // Identification nationale PP: "8"+RPPS, "0"+ADELI...

	StructureIDType string // Type identifiant structure (codes undocumented)
	StructureID     string // Identification Structure
	Service         string // Service de rattachement

	Civility  string // Civilité d'exercice
	LastName  string // Nom d'exercice
	FirstName string // Prénom d'exercice

	CategoryCode    string // Catégorie profession (TRE_R09)
	CategoryLabel   string // Libellé de catégorie profession
	ProfessionCode  string // Code Profession (TRE_G15, e.g. 10 médecin, 60 infirmier)
	ProfessionLabel string // Libellé Profession
	SpecialtyCode   string // Code savoir-faire
	SpecialtyLabel  string // Libellé savoir-faire
	Digitization    string // Dématérialisation (raw value; the flag is retired in FHIR)

	StructureName      string // Raison Sociale structure BAL
	StructureTradeName string // Enseigne commerciale structure BAL

	AddressComplement      string // L2COMPLEMENTLOCALISATION
	DistributionComplement string // L3COMPLEMENTDISTRIBUTION
	StreetNumber           string // L4NUMEROVOIE
	StreetNumberSuffix     string // L4COMPLEMENTNUMEROVOIE
	StreetType             string // NL4TYPEVOIE
	StreetName             string // L4LIBELLEVOIE
	Locality               string // L5LIEUDITMENTION
	CityLine               string // L6LIGNEACHEMINEMENT (postcode and city)
	PostalCode             string // Code postal
	Department             string // Département
	Country                string // Pays
}

// Field returns the value of column c.
func (r *Row) Field(c Column) string {
	if p := r.fieldPtr(c); p != nil {
		return *p
	}
	return ""
}

func (r *Row) fieldPtr(c Column) *string {
	switch c {
	case ColMailboxType:
		return (*string)(&r.Type)
	case ColAddress:
		return &r.Address
	case ColPPIDType:
		return &r.PPIDType
	case ColPPID:
		return &r.PPID
	case ColIdNatPS:
		return &r.IdNatPS
	case ColStructureIDType:
		return &r.StructureIDType
	case ColStructureID:
		return &r.StructureID
	case ColService:
		return &r.Service
	case ColCivility:
		return &r.Civility
	case ColLastName:
		return &r.LastName
	case ColFirstName:
		return &r.FirstName
	case ColCategoryCode:
		return &r.CategoryCode
	case ColCategoryLabel:
		return &r.CategoryLabel
	case ColProfessionCode:
		return &r.ProfessionCode
	case ColProfessionLabel:
		return &r.ProfessionLabel
	case ColSpecialtyCode:
		return &r.SpecialtyCode
	case ColSpecialtyLabel:
		return &r.SpecialtyLabel
	case ColDigitization:
		return &r.Digitization
	case ColStructureName:
		return &r.StructureName
	case ColStructureTradeName:
		return &r.StructureTradeName
	case ColAddressComplement:
		return &r.AddressComplement
	case ColDistributionComplement:
		return &r.DistributionComplement
	case ColStreetNumber:
		return &r.StreetNumber
	case ColStreetNumberSuffix:
		return &r.StreetNumberSuffix
	case ColStreetType:
		return &r.StreetType
	case ColStreetName:
		return &r.StreetName
	case ColLocality:
		return &r.Locality
	case ColCityLine:
		return &r.CityLine
	case ColPostalCode:
		return &r.PostalCode
	case ColDepartment:
		return &r.Department
	case ColCountry:
		return &r.Country
	}
	return nil
}

// record is a line split into the byte span of each known column, as read
// by [ExtractionReader.Read].
type record struct {
	lineNo int32
	spans  [NumColumns]span
}

// span is a [start, end) byte range in a line. Lines are capped at
// maxLineLimit bytes, so uint16 is enough. An absent column is {0, 0}.
type span struct{ start, end uint16 }

// makeRow materialises a Row whose fields are substrings of line.
func makeRow(line string, spans *[NumColumns]span, lineNo int32) Row {
	var r Row
	r.Line = int(lineNo)
	for c := Column(0); c < NumColumns; c++ {
		if sp := spans[c]; sp.end > sp.start {
			*r.fieldPtr(c) = line[sp.start:sp.end]
		}
	}
	return r
}
