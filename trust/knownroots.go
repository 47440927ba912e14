package trust

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
)

// Fingerprint is the SHA-256 digest of a certificate's DER encoding.
type Fingerprint [32]byte

// FingerprintOf returns the SHA-256 fingerprint of cert.
func FingerprintOf(cert *x509.Certificate) Fingerprint { return sha256.Sum256(cert.Raw) }

// String returns the fingerprint in upper-case hex without separators.
func (f Fingerprint) String() string { return strings.ToUpper(hex.EncodeToString(f[:])) }

// ParseFingerprint reads a SHA-256 fingerprint in hex, ignoring case, colons
// and spaces ("2D:9E:22:…" as printed by openssl works).
func ParseFingerprint(s string) (Fingerprint, error) {
	var f Fingerprint
	clean := strings.Map(func(r rune) rune {
		if r == ':' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	b, err := hex.DecodeString(clean)
	if err != nil || len(b) != len(f) {
		return f, fmt.Errorf("trust: %q is not a SHA-256 fingerprint (64 hex digits)", s)
	}
	copy(f[:], b)
	return f, nil
}

// KnownRoot is a production IGC-Santé root certificate the SDK knows by its
// fingerprint. The SDK carries these facts, not the certificates: a bundle
// (the ANS .p7b) brings the certificates, and its roots are checked against
// this table.
type KnownRoot struct {
	Name        string // subject common name
	Fingerprint Fingerprint
}

// knownRoots lists the production roots whose fingerprint was confirmed from
// two independent sources. "AC RACINE IGC-SANTE STANDARD" and "AC RACINE
// IGC-SANTE FORT" exist but their fingerprints were not confirmed: a caller
// who needs them adds them with AnchorOptions.ExtraRoots.
var knownRoots = []KnownRoot{
	{
		// 2013-06-25 to 2033-06-25, RSA 4096.
		Name:        "AC RACINE IGC-SANTE ELEMENTAIRE",
		Fingerprint: mustFingerprint("2D9E22CA19F777C6B745257C723ECB8DF3C35FA6F1F6EC36B83600C97346967F"),
	},
}

// KnownRoots returns the production IGC-Santé roots the SDK knows (a copy).
func KnownRoots() []KnownRoot { return append([]KnownRoot(nil), knownRoots...) }

// IsKnownRoot reports whether cert is one of KnownRoots.
func IsKnownRoot(cert *x509.Certificate) (KnownRoot, bool) {
	fp := FingerprintOf(cert)
	for _, k := range knownRoots {
		if k.Fingerprint == fp {
			return k, true
		}
	}
	return KnownRoot{}, false
}

func mustFingerprint(s string) Fingerprint {
	f, err := ParseFingerprint(s)
	if err != nil {
		panic(err)
	}
	return f
}
