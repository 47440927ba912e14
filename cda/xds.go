package cda

// Class codes (JDV_J06, system TRE_A03 ClasseDocument): the XDS classCode,
// a coarse grouping of document types.
var (
	ClassCompteRendu   = Code{Code: "10", CodeSystem: OIDClassCode, DisplayName: "Compte rendu"}
	ClassSynthese      = Code{Code: "11", CodeSystem: OIDClassCode, DisplayName: "Synthèse"}
	ClassImagerie      = Code{Code: "31", CodeSystem: OIDClassCode, DisplayName: "Imagerie médicale"}
	ClassPrescription  = Code{Code: "42", CodeSystem: OIDClassCode, DisplayName: "Prescription"}
	ClassDispensation  = Code{Code: "43", CodeSystem: OIDClassCode, DisplayName: "Dispensation"}
	ClassPlanSoins     = Code{Code: "44", CodeSystem: OIDClassCode, DisplayName: "Plan de soins"}
	ClassTraitement    = Code{Code: "45", CodeSystem: OIDClassCode, DisplayName: "Traitement administré"}
	ClassCertificat    = Code{Code: "52", CodeSystem: OIDClassCode, DisplayName: "Certificat, déclaration"}
	ClassRemboursement = Code{Code: "60", CodeSystem: OIDClassCode, DisplayName: "Données de remboursement"}
	ClassPatient       = Code{Code: "90", CodeSystem: OIDClassCode, DisplayName: "Autres documents déposés par le patient"}
	ClassGestion       = Code{Code: "95", CodeSystem: OIDClassCode, DisplayName: "Document de gestion"}
	ClassTechnique     = Code{Code: "99", CodeSystem: OIDClassCode, DisplayName: "Document technique"}
)

// classOfType holds the types whose class is not "10 Compte rendu".
var classOfType = map[string]Code{}

func init() {
	for class, types := range map[*Code][]string{
		&ClassSynthese: {"SYNTH", "34133-9", "60591-5", "68599-0", "57055-6", "57057-2", "57075-4", "89235-6", "78489-2",
			"DOCPAT01", "DOCPAT08", "11490-0", "18761-7", "83981-1", "88348-8", "96349-6", "74207-2"},
		&ClassImagerie: {"IMG-KOS", "52040-3", "DOCPAT04"},
		&ClassPrescription: {"PRESC-AAT", "PRESC-BIO", "PRESC-KINE", "PRESC-INF", "PRESC-PEDI", "PRESC-ORTHOPHO", "PRESC-ORTHOPTIE",
			"57828-6", "57832-8", "57833-6", "75468-9", "55115-0", "75496-0"},
		&ClassDispensation: {"60593-1", "DISP_AUT"},
		&ClassPlanSoins:    {"18776-5", "77604-7", "83869-8", "80788-3", "80771-9", "PROT_ALD"},
		&ClassTraitement:   {"80565-5", "11369-6", "87273-9", "96874-3"},
		&ClassCertificat: {"CERT_DECL", "ATTEST-ASS-COMPL", "ATTEST-RESID", "ATTEST-HEBGT", "ATTEST-DROITS-AM", "AUTORIS-SOINS",
			"89601-9", "59284-0", "86531-1", "DOCPAT07"},
		&ClassRemboursement: {"REMB"},
		&ClassPatient:       {"EXPPAT_1", "EXPPAT_2", "EXPPAT_3", "EXP_PATIENT", "DOCPAT02", "DOCPAT03", "DOCPAT05", "DOCPAT06", "DOCPAT09", "PIECE-IDENTITE"},
		&ClassGestion:       {"51851-4", "56446-8", "FICHE-CONTACTS", "EXPORT_DUI"},
		&ClassTechnique:     {"FEUILLE-DE-STYLE", "E1762"},
	} {
		for _, t := range types {
			classOfType[t] = *class
		}
	}
}

// ClassCodeForType returns the XDS classCode (JDV_J06) of a document type
// code (JDV_J07), and false when the type is not in JDV_J07.
//
// The ANS correspondence table ASS_X04 was not available to the SDK
// authors: this mapping is the SDK's own reading of the two value sets.
// Reports ("CR …" and the other clinical documents) are 10; syntheses and
// liaison letters 11; prescriptions and requests 42; dispensations 43;
// care plans 44; administered treatments and vaccinations 45;
// certificates and attestations 52; reimbursement data 60; documents of
// the patient 90; administrative documents 95; style sheets 99. Override
// it in the XDM metadata when a recipient expects otherwise.
func ClassCodeForType(typeCode string) (Code, bool) {
	if _, ok := LookupTypeCode(typeCode); !ok {
		return Code{}, false
	}
	if c, ok := classOfType[typeCode]; ok {
		return c, true
	}
	return ClassCompteRendu, true
}
