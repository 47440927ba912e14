package psc

import (
	"encoding/json"
	"testing"
)

// FuzzIdentityClaims: any JSON object of claims decodes without a panic,
// and never into strings longer than maxClaimBytes or lists longer than
// maxListItems.
func FuzzIdentityClaims(f *testing.F) {
	f.Add([]byte(`{"sub":"s","SubjectNameID":"810000000001","SubjectRefPro":{"codeCivilite":"M","exercices":[{"codeProfession":"10","activities":[{"codeModeExercice":"L","numeroFinessSite":1.5}]}]},"otherIds":[{"identifiant":"x","qualite":"1"}],"SubjectRole":"10^x"}`))
	f.Add([]byte(`{"SubjectRefPro":[],"otherIds":{},"SubjectRole":[1,true,null,{}],"given_name":7}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var claims map[string]any
		if json.Unmarshal(data, &claims) != nil {
			return
		}
		id := identityFrom(Identity{}, claims)
		_, _, _ = id.RPPS(), id.ADELI(), id.Name()
		if len(id.Practices) > maxListItems || len(id.OtherIDs) > maxListItems || len(id.Roles) > maxListItems {
			t.Fatal("unbounded list")
		}
		if len(id.Subject) > maxClaimBytes || len(id.NationalID) > maxClaimBytes {
			t.Fatal("unbounded string")
		}
		_ = headerAlg(string(data))
	})
}
