package trust

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"strings"
)

// dnNames are the attribute short names used in IGC-Santé DNs. Go's
// pkix.Name.String prints GN, SN and title as hex; these are readable.
var dnNames = map[string]string{
	"2.5.4.3":              "CN",
	"2.5.4.4":              "SN",
	"2.5.4.5":              "SERIALNUMBER",
	"2.5.4.6":              "C",
	"2.5.4.7":              "L",
	"2.5.4.8":              "ST",
	"2.5.4.9":              "STREET",
	"2.5.4.10":             "O",
	"2.5.4.11":             "OU",
	"2.5.4.12":             "title",
	"2.5.4.42":             "GN",
	"1.2.840.113549.1.9.1": "emailAddress",
}

// SubjectDN returns the subject of cert as an RFC 4514 string, most specific
// attribute first ("CN=host,OU=…,O=…,ST=…,C=FR"), the form the liste blanche
// uses in <DNCertificatOperateur>.
func SubjectDN(cert *x509.Certificate) string { return formatDN(cert.RawSubject, cert.Subject) }

// IssuerDN is SubjectDN for the issuer.
func IssuerDN(cert *x509.Certificate) string { return formatDN(cert.RawIssuer, cert.Issuer) }

func formatDN(raw []byte, fallback pkix.Name) string {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &seq); err != nil || len(rest) > 0 {
		return fallback.String()
	}
	var b strings.Builder
	for i := len(seq) - 1; i >= 0; i-- {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		for j, atv := range seq[i] {
			if j > 0 {
				b.WriteByte('+')
			}
			name, ok := dnNames[atv.Type.String()]
			if !ok {
				name = atv.Type.String()
			}
			b.WriteString(name)
			b.WriteByte('=')
			if s, ok := atv.Value.(string); ok {
				b.WriteString(escapeDNValue(s))
			} else {
				b.WriteString(escapeDNValue(fmt.Sprint(atv.Value)))
			}
		}
	}
	return b.String()
}

// escapeDNValue escapes an attribute value as RFC 4514 §2.4 says.
func escapeDNValue(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case strings.ContainsRune(",+\"\\<>;", r),
			i == 0 && (r == ' ' || r == '#'),
			i == len(s)-1 && r == ' ':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
