package trust

import (
	"crypto/x509"
	"encoding/asn1"
	"strings"
)

// CertKind says what an IGC-Santé certificate identifies.
type CertKind int

// Certificate kinds. The zero value is KindUnknown.
const (
	KindUnknown      CertKind = iota
	KindOrganisation          // "ORGANISATIONS" CAs: servers, BAL APP, organisation seals
	KindPerson                // "PERSONNES" CAs: CPS cards and e-CPS, CN=<idNatPS>/<serial>
)

// String returns "organisation", "person" or "unknown".
func (k CertKind) String() string {
	switch k {
	case KindOrganisation:
		return "organisation"
	case KindPerson:
		return "person"
	}
	return "unknown"
}

// Identity is what an IGC-Santé certificate says about its holder. Fields the
// certificate does not carry are empty.
type Identity struct {
	Kind CertKind

	// Test is true for a certificate issued by the IGC-Santé TEST hierarchy
	// (issuer OU "IGC-SANTE TEST").
	Test bool

	CommonName   string // subject CN: a host name or label (organisation), "<idNatPS>/<serial>" (person)
	Organisation string // subject O: the structure's name

	// StructureID is the national structure identifier (idNat_Struct) from
	// the subject OU: a one-digit prefix then the number, e.g.
	// "318751275100020" (3 + SIRET). StructureIDKind decodes the prefix.
	StructureID string

	// PSID is the national identifier of the health professional (idNat_PS)
	// from a personal certificate's CN "<idNatPS>/<serial>", e.g.
	// "810001234567" (8 + RPPS). CardSerial is the part after the slash.
	PSID       string
	CardSerial string

	GivenName, Surname string // subject GN and SN (personal certificates)
	Title              string // subject title: the profession label

	// UPN is the Microsoft User Principal Name of the subject alternative
	// name, "<idNatPS>/<serial>@carte-cps.fr" on personal certificates.
	UPN string

	DNSNames []string // subject alternative DNS names
}

// RPPS returns the RPPS number when the PSID is "8" + RPPS, and "" otherwise.
func (id Identity) RPPS() string {
	if len(id.PSID) == 12 && id.PSID[0] == '8' {
		return id.PSID[1:]
	}
	return ""
}

// StructureIDKind names the register of StructureID from its prefix: "ADELI"
// (0, cabinet), "FINESS" (1), "SIREN" (2), "SIRET" (3), "RPPS" (4, cabinet
// rank), or "" when unknown.
func (id Identity) StructureIDKind() string {
	if id.StructureID == "" {
		return ""
	}
	switch id.StructureID[0] {
	case '0':
		return "ADELI"
	case '1':
		return "FINESS"
	case '2':
		return "SIREN"
	case '3':
		return "SIRET"
	case '4':
		return "RPPS"
	}
	return ""
}

var (
	oidGivenName = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidSurname   = asn1.ObjectIdentifier{2, 5, 4, 4}
	oidTitle     = asn1.ObjectIdentifier{2, 5, 4, 12}
	oidSAN       = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidUPN       = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 3}
)

// IdentityOf reads the identity of an IGC-Santé certificate. It does not
// verify the certificate: use a Verifier first when the identity matters.
func IdentityOf(cert *x509.Certificate) Identity {
	id := Identity{
		CommonName: cert.Subject.CommonName,
		DNSNames:   append([]string(nil), cert.DNSNames...),
	}
	if len(cert.Subject.Organization) > 0 {
		id.Organisation = cert.Subject.Organization[0]
	}
	for _, ou := range cert.Subject.OrganizationalUnit {
		if isIdentifier(ou) {
			id.StructureID = ou
			break
		}
	}
	for _, atv := range cert.Subject.Names {
		v, ok := atv.Value.(string)
		if !ok {
			continue
		}
		switch {
		case atv.Type.Equal(oidGivenName):
			id.GivenName = v
		case atv.Type.Equal(oidSurname):
			id.Surname = v
		case atv.Type.Equal(oidTitle):
			id.Title = v
		}
	}
	for _, ou := range cert.Issuer.OrganizationalUnit {
		if ou == "IGC-SANTE TEST" {
			id.Test = true
		}
	}
	id.UPN = upnOf(cert)

	issuerCN := strings.ToUpper(cert.Issuer.CommonName)
	ps, serial, isPS := strings.Cut(id.CommonName, "/")
	isPS = isPS && isIdentifier(ps) && isIdentifier(serial)
	switch {
	case strings.Contains(issuerCN, "PERSONNES") || (isPS && !strings.Contains(issuerCN, "ORGANISATIONS")):
		id.Kind = KindPerson
	case strings.Contains(issuerCN, "ORGANISATIONS") || id.StructureID != "":
		id.Kind = KindOrganisation
	}
	if id.Kind == KindPerson && isPS {
		id.PSID, id.CardSerial = ps, serial
	}
	return id
}

// isIdentifier reports whether s looks like a national identifier: ASCII
// letters and digits only (FINESS numbers may hold letters, e.g. 2A, 0B).
func isIdentifier(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// upnOf returns the first UPN otherName of the subject alternative name.
func upnOf(cert *x509.Certificate) string {
	for _, ext := range cert.Extensions {
		if !ext.Id.Equal(oidSAN) {
			continue
		}
		var names []asn1.RawValue
		if rest, err := asn1.Unmarshal(ext.Value, &names); err != nil || len(rest) > 0 {
			return ""
		}
		for _, n := range names {
			// otherName [0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT ANY }
			if n.Class != asn1.ClassContextSpecific || n.Tag != 0 || !n.IsCompound {
				continue
			}
			var oid asn1.ObjectIdentifier
			rest, err := asn1.Unmarshal(n.Bytes, &oid)
			if err != nil || !oid.Equal(oidUPN) {
				continue
			}
			var wrapped asn1.RawValue
			if _, err := asn1.Unmarshal(rest, &wrapped); err != nil || wrapped.Class != asn1.ClassContextSpecific || wrapped.Tag != 0 {
				continue
			}
			var upn string
			if _, err := asn1.UnmarshalWithParams(wrapped.Bytes, &upn, "utf8"); err != nil {
				continue
			}
			return upn
		}
	}
	return ""
}
