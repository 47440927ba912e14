package annuaire

// Identifier systems of the Annuaire Santé (annuaire-trust.md §1.6). The API
// v2 uses the first form of each; v1 resources and old caches carry the
// "V1" forms, which the accessors accept too.
const (
	SystemIdNatPS      = "urn:oid:1.2.250.1.71.4.2.1" // idNat_PS ("8"+RPPS, "0"+ADELI...)
	SystemIdNatStruct  = "urn:oid:1.2.250.1.71.4.2.2" // idNat_Struct ("1"+FINESS, "3"+SIRET...)
	SystemRPPS         = "https://rpps.esante.gouv.fr"
	SystemRPPSV1       = "http://rpps.fr"
	SystemFINESS       = "https://finess.esante.gouv.fr"
	SystemFINESSV1     = "http://finess.sante.gouv.fr"
	SystemSIRENE       = "https://sirene.fr" // SIREN (9 digits) and SIRET (14 digits)
	SystemRPPSRang     = "https://rppsrang.esante.gouv.fr"
	SystemSituationExe = "https://annuaire.sante.fr" // idSituationExercice in restricted data
)

// Identifier type codes (fr-core-cs-v2-0203 in v2, interopsante v2-0203 in v1).
const (
	TypeIDNPS  = "IDNPS"
	TypeRPPS   = "RPPS"
	TypeIDNST  = "IDNST"
	TypeFINEJ  = "FINEJ"
	TypeFINEG  = "FINEG"
	TypeSIREN  = "SIREN"
	TypeSIRET  = "SIRET"
	TypeRPPSRG = "RPPSRG"
)

// Code systems used in Annuaire Santé resources.
const (
	CodeSystemProfession   = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"
	CodeSystemCategory     = "https://mos.esante.gouv.fr/NOS/TRE_R09-CategorieProfessionnelle/FHIR/TRE-R09-CategorieProfessionnelle"
	CodeSystemSpecialty    = "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"
	CodeSystemMessaging    = "https://mos.esante.gouv.fr/NOS/TRE_R256-TypeMessagerie/FHIR/TRE-R256-TypeMessagerie"
	CodeSystemMailboxType  = "https://mos.esante.gouv.fr/NOS/TRE_R257-TypeBAL/FHIR/TRE-R257-TypeBAL"
	CodeSystemIdentifierV2 = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
)

// findIdentifier returns the value of the first identifier in one of the
// systems, or whose type code is typeCode (when not ""), and a filter on the
// value length when n > 0.
func findIdentifier(ids []Identifier, typeCode string, n int, systems ...string) string {
	for _, id := range ids {
		if id.Value == "" || (n > 0 && len(id.Value) != n) {
			continue
		}
		for _, s := range systems {
			if id.System == s {
				return id.Value
			}
		}
		if typeCode != "" && id.TypeCode() == typeCode {
			return id.Value
		}
	}
	return ""
}
