package trust

import "testing"

// TestKnownRoots: KnownRoots lists the production ELEMENTAIRE root, and
// returns a copy, so that a caller cannot widen what IsKnownRoot accepts.
func TestKnownRoots(t *testing.T) {
	k := KnownRoots()
	if len(k) == 0 || k[0].Name != "AC RACINE IGC-SANTE ELEMENTAIRE" || k[0].Fingerprint == (Fingerprint{}) {
		t.Fatalf("KnownRoots() = %+v", k)
	}
	k[0].Name, k[0].Fingerprint = "changed", Fingerprint{}
	if again := KnownRoots(); again[0].Name != "AC RACINE IGC-SANTE ELEMENTAIRE" || again[0].Fingerprint == (Fingerprint{}) {
		t.Errorf("KnownRoots shares its slice: %+v", again)
	}
}
