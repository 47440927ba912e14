package cda

import (
	"errors"
	"fmt"
)

// INS OIDs (CI-SIS, FR-Core): the assigning authority of an INS matricule in
// a CDA id/@root or an XDS CX identifier.
const (
	OIDINSNIR  = "1.2.250.1.213.1.4.8"  // INS-NIR, production
	OIDINSNIA  = "1.2.250.1.213.1.4.9"  // INS-NIA (identifiant d'attente)
	OIDINSTest = "1.2.250.1.213.1.4.10" // INS-NIR test (ANS examples)
	OIDINSDemo = "1.2.250.1.213.1.4.11" // INS-NIR demonstration
)

// INSKind says which register an INS matricule comes from.
type INSKind int

// INS kinds. The zero value is not a kind: an INS whose kind is unknown.
const (
	INSNIR  INSKind = iota + 1 // NIR (numéro d'inscription au répertoire), production
	INSNIA                     // NIA, a temporary number from the SNGI
	INSTest                    // NIR of the ANS test register
	INSDemo                    // NIR of the ANS demonstration register
)

// OID returns the assigning-authority OID of the kind, or "" for an unknown kind.
func (k INSKind) OID() string {
	switch k {
	case INSNIR:
		return OIDINSNIR
	case INSNIA:
		return OIDINSNIA
	case INSTest:
		return OIDINSTest
	case INSDemo:
		return OIDINSDemo
	}
	return ""
}

// String returns "NIR", "NIA", "test", "demo" or "unknown".
func (k INSKind) String() string {
	switch k {
	case INSNIR:
		return "NIR"
	case INSNIA:
		return "NIA"
	case INSTest:
		return "test"
	case INSDemo:
		return "demo"
	}
	return "unknown"
}

// INSKindFromOID returns the kind whose OID is oid, and false when oid is not
// one of the four INS OIDs.
func INSKindFromOID(oid string) (INSKind, bool) {
	for k := INSNIR; k <= INSDemo; k++ {
		if k.OID() == oid {
			return k, true
		}
	}
	return 0, false
}

// Errors wrapped by [*INSError].
var (
	// ErrINSFormat: the matricule is not 13 digits (positions 6-7 may be
	// 2A or 2B for Corsica) followed by a 2-digit key.
	ErrINSFormat = errors.New("cda: INS matricule must be 15 characters: 13 digits (2A/2B allowed for Corsica) and a 2-digit key")
	// ErrINSKey: the key does not match the first 13 characters.
	ErrINSKey = errors.New("cda: INS matricule key does not match")
	// ErrINSKind: the INS kind is unknown (its OID is not one of the four INS OIDs).
	ErrINSKind = errors.New("cda: unknown INS kind")
)

// INSError reports an invalid INS. It wraps ErrINSFormat, ErrINSKey or ErrINSKind.
type INSError struct {
	Matricule string
	Err       error
}

func (e *INSError) Error() string { return fmt.Sprintf("%v: %q", e.Err, e.Matricule) }
func (e *INSError) Unwrap() error { return e.Err }

// CheckMatricule verifies the form and the key of a 15-character INS
// matricule (NIR or NIA). The key is 97 - (N mod 97), N being the first 13
// characters read as a number, with the Corsican departments 2A and 2B
// counted as 19 and 18. It returns nil or an [*INSError].
func CheckMatricule(m string) error {
	key, err := MatriculeKey(m[:min(len(m), 13)])
	if err != nil || len(m) != 15 {
		return &INSError{Matricule: m, Err: ErrINSFormat}
	}
	got := 0
	for _, c := range []byte(m[13:]) {
		if c < '0' || c > '9' {
			return &INSError{Matricule: m, Err: ErrINSFormat}
		}
		got = got*10 + int(c-'0')
	}
	if got != key {
		return &INSError{Matricule: m, Err: ErrINSKey}
	}
	return nil
}

// MatriculeKey computes the 2-digit key (1 to 97) of the first 13 characters of
// an INS matricule. It returns an [*INSError] wrapping ErrINSFormat when body is
// not 13 digits (2A or 2B allowed at positions 6-7).
func MatriculeKey(body string) (int, error) {
	if len(body) != 13 {
		return 0, &INSError{Matricule: body, Err: ErrINSFormat}
	}
	var n uint64
	for i := 0; i < 13; i++ {
		c := body[i]
		switch {
		case c >= '0' && c <= '9':
			n = n*10 + uint64(c-'0')
		case i == 6 && body[5] == '2' && (c == 'A' || c == 'B' || c == 'a' || c == 'b'):
			// 2A counts as 19 and 2B as 18: replace the "2" already added
			// by 1 and this digit by 9 (2A) or 8 (2B).
			n = (n-2+1)*10 + 9
			if c == 'B' || c == 'b' {
				n--
			}
		default:
			return 0, &INSError{Matricule: body, Err: ErrINSFormat}
		}
	}
	return int(97 - n%97), nil
}
