package cda

import "strings"

// INS is the Identifiant National de Santé of a patient: a 15-character
// matricule and the register it comes from.
type INS struct {
	Matricule string
	Kind      INSKind
}

// OID returns the assigning authority OID of the INS kind.
func (i INS) OID() string { return i.Kind.OID() }

// Check verifies the kind and the matricule's form and key. It returns nil or
// an [*INSError].
func (i INS) Check() error {
	if i.Kind.OID() == "" {
		return &INSError{Matricule: i.Matricule, Err: ErrINSKind}
	}
	return CheckMatricule(i.Matricule)
}

// Patient is recordTarget/patientRole. The CI-SIS names a patient with an
// INS by the traits of the birth certificate: birth name (family
// qualifier BR), all birth first names (given without qualifier), first
// birth first name (given qualifier BR), birth date, sex and birthplace.
type Patient struct {
	// INS is the patient's INS; nil when the document carries none (an
	// identifier whose root is an INS OID).
	INS *INS
	// IDs are the other identifiers, such as the IPP of the producer
	// (root = the establishment's OID).
	IDs []II

	BirthFamily string // family[@qualifier=BR]: nom de naissance
	// BirthGivens is given without qualifier: all birth first names,
	// space separated ("DOMINIQUE MARIE-LOUISE").
	BirthGivens string
	FirstGiven  string // given[@qualifier=BR]: premier prénom de naissance
	UsedFamily  string // family[@qualifier=CL]: nom utilisé, optional
	UsedGiven   string // given[@qualifier=CL]: prénom utilisé, optional
	// Gender is administrativeGenderCode/@code (JDV_J143): F, M or UN.
	Gender    string
	BirthDate TS // birthTime, YYYYMMDD
	// BirthplaceCode is birthplace/place/addr/county: the INSEE COG code
	// of the birth commune (99xxx for a country abroad).
	BirthplaceCode string
	Telecom        []string
}

// GivenName returns the first birth first name, else the first word of the
// birth first names, else the used first name.
func (p *Patient) GivenName() string {
	switch {
	case p.FirstGiven != "":
		return p.FirstGiven
	case strings.TrimSpace(p.BirthGivens) != "":
		return strings.Fields(p.BirthGivens)[0]
	}
	return p.UsedGiven
}

// FamilyName returns the birth name, else the used name.
func (p *Patient) FamilyName() string {
	if p.BirthFamily != "" {
		return p.BirthFamily
	}
	return p.UsedFamily
}

// MissingINSTraits lists the identity traits the CI-SIS requires beside an
// INS that the patient lacks, by CDA element: "family[@qualifier=BR]",
// "given", "given[@qualifier=BR]", "birthTime", "administrativeGenderCode",
// "birthplace". It returns nil when all are present.
func (p *Patient) MissingINSTraits() []string {
	var miss []string
	add := func(ok bool, what string) {
		if !ok {
			miss = append(miss, what)
		}
	}
	add(strings.TrimSpace(p.BirthFamily) != "", "family[@qualifier=BR]")
	add(strings.TrimSpace(p.BirthGivens) != "", "given")
	add(strings.TrimSpace(p.FirstGiven) != "", "given[@qualifier=BR]")
	add(len(p.BirthDate) >= 4, "birthTime")
	add(p.Gender == "F" || p.Gender == "M" || p.Gender == "UN", "administrativeGenderCode")
	add(strings.TrimSpace(p.BirthplaceCode) != "", "birthplace")
	return miss
}

// INSQualified reports whether the patient carries a qualified INS: an INS
// whose kind is known and whose matricule has a valid key, together with
// all the identity traits (see [Patient.MissingINSTraits]). Only such an
// INS may be sent as the patient's identity (X-MSS-INS, XDS patientId).
func (p *Patient) INSQualified() bool {
	return p.INS != nil && p.INS.Check() == nil && len(p.MissingINSTraits()) == 0
}

// QualifiedINS returns the patient's INS when it is qualified (see
// [Patient.INSQualified]): the value of the MSSanté X-MSS-INS header and of
// the XDS patientId.
func (p *Patient) QualifiedINS() (INS, bool) {
	if !p.INSQualified() {
		return INS{}, false
	}
	return *p.INS, true
}
