package cda

// OIDs of the code systems of JDV_J03 (XDS contentTypeCode) besides
// TRE_R02 ([OIDSecteurActivite]) and TRE_A00 ([OIDNonPSProducer]).
const (
	OIDTypeActivite  = "1.2.250.1.213.2.2"       // TRE_R209 TypeActivite
	OIDFormeActivite = "1.2.250.1.213.1.6.1.128" // TRE_R276 FormeActivite
)

// Content types (JDV_J03) a sender most often needs: the kind of activity
// that produced the submission set.
var (
	ContentHospitalisationComplete = Code{Code: "03", CodeSystem: OIDTypeActivite, DisplayName: "Hospitalisation complète (non compris hospitalisation de semaine)"}
	ContentHospitalisationJour     = Code{Code: "04", CodeSystem: OIDTypeActivite, DisplayName: "Hospitalisation de jour"}
	ContentConsultationsExternes   = Code{Code: "07", CodeSystem: OIDTypeActivite, DisplayName: "Consultations soins externes"}
	ContentTraitementAmbulatoire   = Code{Code: "19", CodeSystem: OIDTypeActivite, DisplayName: "Traitement et cure ambulatoire"}
	ContentIndifferencie           = Code{Code: "97", CodeSystem: OIDTypeActivite, DisplayName: "Type d'activité indifférencié"}
	ContentCabinetIndividuel       = Code{Code: "SA07", CodeSystem: OIDSecteurActivite, DisplayName: "Cabinet individuel"}
	ContentCabinetGroupe           = Code{Code: "SA08", CodeSystem: OIDSecteurActivite, DisplayName: "Cabinet de groupe"}
	ContentExpressionPatient       = Code{Code: "EXP_PATIENT", CodeSystem: OIDNonPSProducer, DisplayName: "Expression personnelle du patient"}
)

// LookupContentType returns the JDV_J03 concept (submission set
// contentTypeCode) with that code in that code system. TRE_R209 and
// TRE_R276 both use two-digit codes, which later versions of J03 share, so
// codeSystem "" matches the first concept with the code, in the order of
// JDV_J03 (TRE_A00, TRE_R209, TRE_R02, TRE_R276).
func LookupContentType(code, codeSystem string) (Code, bool) {
	for _, c := range jdvContentType.Concepts {
		if c.Code == code && (codeSystem == "" || c.CodeSystem == codeSystem) {
			return c, true
		}
	}
	return Code{}, false
}

// ContentTypes returns the JDV_J03 content type codes.
func ContentTypes() []Code { return jdvContentType.list() }

// contentOfEncounter maps the encounter type (JDV_J142) to a content type,
// following the HL7 v2 patient class mapping of the CI-SIS volet
// "Transmission de documents CDA en HL7 v2" (inpatient I→03, outpatient O
// and emergency E→07, recurring R→19, not applicable N→97).
var contentOfEncounter = map[string]Code{
	"IMP":     ContentHospitalisationComplete,
	"AMB":     ContentConsultationsExternes,
	"EMER":    ContentConsultationsExternes,
	"EXTERNE": ContentConsultationsExternes,
	"SEANCE":  ContentTraitementAmbulatoire,
}

// ContentTypeFor returns the default submission set contentTypeCode
// (JDV_J03) for a package whose first document is d: from its encounter
// type (componentOf/encompassingEncounter/code, JDV_J142) when it has one —
// IMP gives 03 "Hospitalisation complète", AMB, EMER and EXTERNE give 07
// "Consultations soins externes", SEANCE gives 19 "Traitement et cure
// ambulatoire" — else 97 "Type d'activité indifférencié". A sender that
// knows better (a cabinet: SA07; a patient's own document: EXP_PATIENT)
// sets it.
func ContentTypeFor(d *Document) Code {
	if c, ok := contentOfEncounter[d.Encounter.Code.Code]; ok {
		return c
	}
	return ContentIndifferencie
}
