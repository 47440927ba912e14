package cda

// OIDs of the identifier and code systems of the French CDA header.
const (
	OIDIdNatPS     = "1.2.250.1.71.4.2.1" // IdNat_PS: "8"+RPPS, "0"+ADELI
	OIDIdNatStruct = "1.2.250.1.71.4.2.2" // IdNat_Struct: "1"+FINESS, "3"+SIRET...

	OIDLOINC             = "2.16.840.1.113883.6.1"
	OIDTypeDocComp       = "1.2.250.1.213.1.1.4.12" // TRE_A05 TypeDocComplementaire
	OIDConfidentiality   = "2.16.840.1.113883.5.25"
	OIDConfidentialityFR = "1.2.250.1.213.1.1.4.13" // TRE_A07 StatusVisibiliteDocument
	OIDGender            = "2.16.840.1.113883.5.1"
	OIDProfession        = "1.2.250.1.213.1.1.4.5"     // J01 professions and specialties
	OIDNonPSProducer     = "1.2.250.1.213.1.1.4.6"     // TRE_A00 ProducteurDocNonPS
	OIDPracticeSetting   = "1.2.250.1.213.1.1.4.9"     // J04 cadre d'exercice
	OIDSecteurActivite   = "1.2.250.1.71.4.2.4"        // TRE_R02, J02 SA01...
	OIDClassCode         = "1.2.250.1.213.1.1.4.1"     // TRE_A03 ClasseDocument, J06
	OIDIHEFormatCode     = "1.3.6.1.4.1.19376.1.2.3"   // TRE_A11 IheFormatCode
	OIDFormatCodeComp    = "1.2.250.1.213.1.1.4.2.282" // TRE_A06 FormatCodeComplementaire
	OIDHL7CDAType        = "2.16.840.1.113883.1.3"
	OIDEncounterType     = "2.16.840.1.113883.5.4"
	OIDEncounterTypeFR   = "1.2.250.1.213.1.1.4.2.291"
	OIDUUID              = "2.25" // root of UUID-derived OIDs (ITU-T X.667)
)

// Template identifiers.
const (
	TemplateHL7France = "2.16.840.1.113883.2.8.2.1" // HL7 France conformance
	TemplateCISIS     = "1.2.250.1.213.1.1.1.1"     // CI-SIS structuration minimale
	TemplateXDSSD     = "1.3.6.1.4.1.19376.1.2.20"  // IHE XDS-SD: replaces the volet template in an N1 document
)

// N1TemplateIDs are the only three templateIds an N1 document may carry.
var N1TemplateIDs = [3]string{TemplateHL7France, TemplateCISIS, TemplateXDSSD}

// Media types of an N1 body.
const (
	MediaPDF  = "application/pdf"
	MediaText = "text/plain"
)
