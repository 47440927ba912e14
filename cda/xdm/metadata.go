package xdm

import (
	"strings"

	"github.com/mssante-go/sdk/cda"
)

// ebRIM 3.0 and XDS-b identifiers (IHE ITI TF-3 §4.2).
const (
	nsLCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
	nsRIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"

	typeDocumentEntry = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
	nodeSubmissionSet = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
	statusApproved    = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"

	schemeDEAuthor          = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
	schemeDEClassCode       = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
	schemeDEConfidentiality = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
	schemeDEEventCode       = "urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4"
	schemeDEFormatCode      = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
	schemeDEFacilityType    = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
	schemeDEPracticeSetting = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
	schemeDETypeCode        = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
	schemeDEPatientID       = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
	schemeDEUniqueID        = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"

	schemeSSAuthor      = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
	schemeSSContentType = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
	schemeSSUniqueID    = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
	schemeSSSourceID    = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
	schemeSSPatientID   = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"

	// AssocHasMember links a submission set to its documents.
	AssocHasMember = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"
	// AssocReplace (RPLC) links a new document to the one it replaces.
	AssocReplace = "urn:ihe:iti:2007:AssociationType:RPLC"
)

// DocumentEntry is the XDS-b metadata of one document (an ebRIM
// ExtrinsicObject). Person, organisation and identifier values keep their
// HL7 v2 encodings (CX, XCN, XON, CWE): see [CX], [XCN], [XON].
type DocumentEntry struct {
	EntryID      string // symbolic id inside METADATA.XML, e.g. "Document01"
	UniqueID     string // CDA id: root, or root^extension
	URI          string // file name inside the submission set folder, e.g. "DOC0001.XML"
	MimeType     string // text/xml; application/xslt+xml for a self-presenting CDA
	Hash         string // SHA-1 of the file, lower-case hex
	Size         int64  // bytes of the file; -1 when absent
	Title        string
	CreationTime string // UTC, YYYYMMDDhhmmss
	LanguageCode string
	// ServiceStartTime and ServiceStopTime are UTC DTMs; "" when absent.
	ServiceStartTime string
	ServiceStopTime  string
	PatientID        string // CX, e.g. 279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH
	SourcePatientID  string // CX
	// SourcePatientInfo holds PID-3, PID-5, PID-7, PID-8 lines ("PID-5|NOM^Prénom").
	SourcePatientInfo  []string
	LegalAuthenticator string // XCN
	Authors            []Author

	ClassCode          cda.Code
	TypeCode           cda.Code
	FormatCode         cda.Code
	HealthcareFacility cda.Code
	PracticeSetting    cda.Code
	Confidentiality    []cda.Code
	EventCodes         []cda.Code
	// Replaces is the uniqueId of the document this one replaces (RPLC).
	Replaces string
}

// Author is an XDS author: a person (XCN) with institutions (XON),
// specialties and roles (CWE).
type Author struct {
	Person       string   // XCN
	Institutions []string // XON
	Roles        []string
	Specialties  []string // CWE: code^display^codeSystem
	Telecoms     []string // XTN
}

// SubmissionSet is the XDS-b submission set (an ebRIM RegistryPackage).
type SubmissionSet struct {
	EntryID        string
	UniqueID       string
	SourceID       string
	PatientID      string // CX
	SubmissionTime string // UTC
	Title          string
	ContentType    cda.Code // JDV_J03
	Authors        []Author
	// IntendedRecipients are XON|XCN|XTN values; a mail address is
	// written "|^^Internet^addr".
	IntendedRecipients []string
}

// hl7Escaper escapes the HL7 v2 delimiters inside a component.
var hl7Escaper = strings.NewReplacer(`\`, `\E\`, "^", `\S\`, "&", `\T\`, "~", `\R\`, "|", `\F\`)

func hl7(s string) string { return hl7Escaper.Replace(s) }

// CX returns the HL7 v2 CX form of an identifier assigned by the OID root:
// "id^^^&root&ISO^type". The type is NH for an INS, PI otherwise.
func CX(id cda.II) string {
	typ := "PI"
	if _, ok := cda.INSKindFromOID(id.Root); ok {
		typ = "NH"
	}
	return hl7(id.Extension) + "^^^&" + id.Root + "&ISO^" + typ
}

// INSCX returns the CX of an INS: "matricule^^^&OID&ISO^NH".
func INSCX(ins cda.INS) string { return CX(cda.II{Root: ins.OID(), Extension: ins.Matricule}) }

// ParseCX splits a CX into its identifier and assigning-authority OID. It
// returns ok false when the value is not a CX with an ISO authority.
func ParseCX(cx string) (id cda.II, ok bool) {
	parts := strings.Split(cx, "^")
	if len(parts) < 4 {
		return cda.II{}, false
	}
	auth := strings.Split(parts[3], "&")
	if len(auth) < 2 || auth[1] == "" {
		return cda.II{}, false
	}
	return cda.II{Root: auth[1], Extension: parts[0]}, true
}

// ParseINSCX is INSCX read back: the INS of a CX whose authority is one
// of the INS OIDs (NIR or NIA). ok is false for another CX.
func ParseINSCX(cx string) (ins cda.INS, ok bool) {
	id, ok := ParseCX(cx)
	if !ok {
		return cda.INS{}, false
	}
	k, ok := cda.INSKindFromOID(id.Root)
	if !ok {
		return cda.INS{}, false
	}
	return cda.INS{Matricule: id.Extension, Kind: k}, true
}

// XCN returns the HL7 v2 XCN of a person identified by id:
// "id^FAMILY^Given^^^^^^&root&ISO^D^^^IDNPS" (IDNPS for an IdNat_PS, RI
// for another root, no authority for an id without root).
func XCN(id cda.II, n *cda.Name) string {
	var family, given string
	if n != nil {
		family = n.Family
		if len(n.Given) > 0 {
			given = n.Given[0]
		}
	}
	s := hl7(id.Extension) + "^" + hl7(family) + "^" + hl7(given) + "^^^^^^"
	if id.Root == "" {
		return s
	}
	typ := "RI"
	if id.Root == cda.OIDIdNatPS {
		typ = "IDNPS"
	}
	return s + "&" + id.Root + "&ISO^D^^^" + typ
}

// XON returns the HL7 v2 XON of an organisation:
// "Name^^^^^&root&ISO^IDNST^^^id" (IDNST for an IdNat_Struct).
func XON(o *cda.Organization) string {
	s := hl7(o.Name)
	if o.ID.Root == "" || o.ID.Extension == "" {
		return s
	}
	typ := "IDNST"
	if o.ID.Root != cda.OIDIdNatStruct {
		typ = "RI"
	}
	return s + "^^^^^&" + o.ID.Root + "&ISO^" + typ + "^^^" + hl7(o.ID.Extension)
}

// CWE returns "code^display^codeSystem".
func CWE(c cda.Code) string { return hl7(c.Code) + "^" + hl7(c.DisplayName) + "^" + c.CodeSystem }

// MailRecipient returns the intendedRecipient value of a mail address: the
// XTN-only form "|^^Internet^addr".
func MailRecipient(addr string) string { return "|^^Internet^" + hl7(addr) }
