package cda

//go:generate go run ./internal/jdvgen -src ../../shared/testdata-external/ans-TestContenuCDA-3-0/jeuxDeValeurs -o valuesets_gen.go
//
// The XDS tables (JDV_J10, JDV_J03, ASS_A11, ASS_A12) come from the ANS
// terminology repository, at the commits listed in internal/jdvgen/fhir.go:
// put each file, as "git show COMMIT:PATH" writes it, in one folder and
// set MSSANTE_ANS_TERMINOLOGY to that folder (without it, go generate
// leaves xdscodes_gen.go as it is).
//
//go:generate sh -c "test -z \"$MSSANTE_ANS_TERMINOLOGY\" || go run ./internal/jdvgen -fhir \"$MSSANTE_ANS_TERMINOLOGY\" -o xdscodes_gen.go"

// valueSet is a generated CI-SIS value set (JDV).
type valueSet struct {
	ID       string // value set OID
	Name     string
	Concepts []Code
}

func (v *valueSet) lookup(code string) (Code, bool) {
	for _, c := range v.Concepts {
		if c.Code == code {
			return c, true
		}
	}
	return Code{}, false
}

func (v *valueSet) list() []Code { return append([]Code(nil), v.Concepts...) }

// Value set OIDs (prefix 1.2.250.1.213.1.1.5).
const (
	ValueSetAuthorSpecialty = "1.2.250.1.213.1.1.5.461" // JDV_J01
	ValueSetClassCode       = "1.2.250.1.213.1.1.5.462" // JDV_J06
	ValueSetConfidentiality = "1.2.250.1.213.1.1.5.463" // JDV_J08
	ValueSetFacilityType    = "1.2.250.1.213.1.1.5.466" // JDV_J02
	ValueSetPracticeSetting = "1.2.250.1.213.1.1.5.467" // JDV_J04
	ValueSetTypeCode        = "1.2.250.1.213.1.1.5.471" // JDV_J07
	ValueSetContentType     = "1.2.250.1.213.1.1.5.464" // JDV_J03
	ValueSetFormatCode      = "1.2.250.1.213.1.1.5.465" // JDV_J10
)

// LookupTypeCode returns the JDV_J07 concept (document type, XDS typeCode)
// with that code.
func LookupTypeCode(code string) (Code, bool) { return jdvTypeCode.lookup(code) }

// TypeCodes returns the JDV_J07 document types.
func TypeCodes() []Code { return jdvTypeCode.list() }

// LookupFacilityType returns the JDV_J02 concept (healthcareFacilityTypeCode).
func LookupFacilityType(code string) (Code, bool) { return jdvFacilityType.lookup(code) }

// FacilityTypes returns the JDV_J02 healthcare facility types.
func FacilityTypes() []Code { return jdvFacilityType.list() }

// LookupPracticeSetting returns the JDV_J04 concept (practiceSettingCode).
func LookupPracticeSetting(code string) (Code, bool) { return jdvPracticeSetting.lookup(code) }

// PracticeSettings returns the JDV_J04 practice settings.
func PracticeSettings() []Code { return jdvPracticeSetting.list() }

// LookupConfidentiality returns the JDV_J08 concept (confidentialityCode).
func LookupConfidentiality(code string) (Code, bool) { return jdvConfidentiality.lookup(code) }

// Confidentialities returns the JDV_J08 confidentiality codes.
func Confidentialities() []Code { return jdvConfidentiality.list() }

// LookupAuthorSpecialty returns the JDV_J01 concept (authorSpecialty), e.g.
// "G15_10" Médecin, "G15_10/SM26" Médecin - Qualifié en médecine générale.
func LookupAuthorSpecialty(code string) (Code, bool) { return jdvAuthorSpecialty.lookup(code) }

// LookupEncounterType returns the JDV_J142 concept (encounter code).
func LookupEncounterType(code string) (Code, bool) { return jdvEncounterType.lookup(code) }

// Document types most used by vendors (JDV_J07). [LookupTypeCode] knows
// them all.
var (
	TypeLettreLiaisonSortie = Code{Code: "11490-0", CodeSystem: OIDLOINC, DisplayName: "Lettre de liaison à la sortie d'un établissement de soins"}
	TypeCRConsultation      = Code{Code: "11488-4", CodeSystem: OIDLOINC, DisplayName: "CR ou fiche de consultation ou de visite"}
	TypeSyntheseEpisode     = Code{Code: "34133-9", CodeSystem: OIDLOINC, DisplayName: "Synthèse d'épisode de soins"}
	TypeCRHospitalier       = Code{Code: "34112-3", CodeSystem: OIDLOINC, DisplayName: "CR hospitalier (séjour)"}
	TypeCRBiologie          = Code{Code: "11502-2", CodeSystem: OIDLOINC, DisplayName: "CR d'examens biologiques"}
	TypeCRImagerie          = Code{Code: "18748-4", CodeSystem: OIDLOINC, DisplayName: "CR d'imagerie médicale"}
	TypeCRAuxiliaire        = Code{Code: "11506-3", CodeSystem: OIDLOINC, DisplayName: "CR ou fiche de suivi de soins par auxiliaire médical"}
	TypeCRAccouchement      = Code{Code: "15508-5", CodeSystem: OIDLOINC, DisplayName: "CR d'accouchement"}
	TypeCRRCP               = Code{Code: "34794-8", CodeSystem: OIDLOINC, DisplayName: "CR de réunion de concertation pluridisciplinaire"}
	TypePrescription        = Code{Code: "57833-6", CodeSystem: OIDLOINC, DisplayName: "Prescription de produits de santé"}
	TypeSyntheseMedicale    = Code{Code: "60591-5", CodeSystem: OIDLOINC, DisplayName: "Synthèse médicale"}
	TypeCRActePreventif     = Code{Code: "75482-0", CodeSystem: OIDLOINC, DisplayName: "CR d'acte thérapeutique à visée préventive"}
	TypeCRUrgences          = Code{Code: "15507-7", CodeSystem: OIDLOINC, DisplayName: "CR de passage aux urgences"}
	TypeCROperatoire        = Code{Code: "34874-8", CodeSystem: OIDLOINC, DisplayName: "CR opératoire"}
	TypeLettreAdressage     = Code{Code: "96349-6", CodeSystem: OIDLOINC, DisplayName: "Lettre d'adressage"}
	TypeCertificatMedical   = Code{Code: "89601-9", CodeSystem: OIDLOINC, DisplayName: "Certificat médical"}

	// TRE_A05 TypeDocComplementaire (French-only types).
	TypeCertificatDeclaration = Code{Code: "CERT_DECL", CodeSystem: OIDTypeDocComp, DisplayName: "Certificat, déclaration"}
	TypeSynthese              = Code{Code: "SYNTH", CodeSystem: OIDTypeDocComp, DisplayName: "Synthèse"}
	TypeVolontesPatient       = Code{Code: "EXPPAT_1", CodeSystem: OIDTypeDocComp, DisplayName: "Volontés et droits du patient"}
	TypeAutreDocPatient       = Code{Code: "EXPPAT_2", CodeSystem: OIDTypeDocComp, DisplayName: "Autre document du patient"}
	TypeDirectivesAnticipees  = Code{Code: "EXPPAT_3", CodeSystem: OIDTypeDocComp, DisplayName: "Directives anticipées"}
	TypeProtocoleALD          = Code{Code: "PROT_ALD", CodeSystem: OIDTypeDocComp, DisplayName: "Protocole de soins ALD"}
	TypeRemboursement         = Code{Code: "REMB", CodeSystem: OIDTypeDocComp, DisplayName: "Données de remboursement"}
	TypeImagerieKOS           = Code{Code: "IMG-KOS", CodeSystem: OIDTypeDocComp, DisplayName: "Reference d'objets d'un examen d'imagerie"}
	TypePrescriptionBio       = Code{Code: "PRESC-BIO", CodeSystem: OIDTypeDocComp, DisplayName: "Prescription d'actes de biologie médicale"}
	TypePrescriptionKine      = Code{Code: "PRESC-KINE", CodeSystem: OIDTypeDocComp, DisplayName: "Prescription d'actes de kinésithérapie"}
	TypePrescriptionInf       = Code{Code: "PRESC-INF", CodeSystem: OIDTypeDocComp, DisplayName: "Prescription d'actes infirmiers"}
	TypePrescriptionAAT       = Code{Code: "PRESC-AAT", CodeSystem: OIDTypeDocComp, DisplayName: "Prescription arrêt de travail"}
)

// Common practice settings (JDV_J04), healthcare facility types (JDV_J02)
// and confidentiality codes (JDV_J08).
var (
	PracticeAmbulatoire   = Code{Code: "AMBULATOIRE", CodeSystem: OIDPracticeSetting, DisplayName: "Ambulatoire"}
	PracticeEtablissement = Code{Code: "ETABLISSEMENT", CodeSystem: OIDPracticeSetting, DisplayName: "Etablissement de santé"}

	FacilityEtablissementPublic = Code{Code: "SA01", CodeSystem: OIDSecteurActivite, DisplayName: "Etablissement public de santé"}
	FacilityCabinetIndividuel   = Code{Code: "SA07", CodeSystem: OIDSecteurActivite, DisplayName: "Cabinet individuel"}

	ConfidentialityNormal     = Code{Code: "N", CodeSystem: OIDConfidentiality, DisplayName: "Normal"}
	ConfidentialityRestricted = Code{Code: "R", CodeSystem: OIDConfidentiality, DisplayName: "Restreint"}
	ConfidentialityVery       = Code{Code: "V", CodeSystem: OIDConfidentiality, DisplayName: "Très restreint"}
)
