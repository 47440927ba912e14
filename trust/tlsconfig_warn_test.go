package trust

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"
)

// VerifyConnectionWithWarnings hands the warnings of a soft-fail
// verification to its callback instead of dropping them (issue 19 item 11).
func TestVerifyConnectionWithWarnings(t *testing.T) {
	e := newRevEnv(t)
	// A server certificate that names no CRL nor OCSP responder: its
	// status cannot be established.
	srv, _ := e.pki.issue(t, leafSpec{cn: "mss.operateur.test", dns: []string{"mss.operateur.test"}, eku: serverEKU})
	cs := tls.ConnectionState{ServerName: "mss.operateur.test", PeerCertificates: []*x509.Certificate{srv, e.pki.inter}}
	for _, tt := range []struct {
		policy   RevocationPolicy
		wantErr  error
		warnings int
	}{
		{RevocationSoftFail, nil, 1},
		{RevocationHardFail, ErrRevocationUnknown, 0},
		{RevocationOff, nil, 0},
	} {
		var got []error
		calls := 0
		vc := e.verifier(tt.policy).VerifyConnectionWithWarnings(UsageServer, func(state tls.ConnectionState, w []error) {
			calls++
			if state.ServerName != cs.ServerName {
				t.Errorf("%v: callback got server name %q", tt.policy, state.ServerName)
			}
			got = append(got, w...)
		})
		err := vc(cs)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
			t.Errorf("%v: err = %v, want %v", tt.policy, err, tt.wantErr)
		}
		if len(got) != tt.warnings || (tt.warnings == 0 && calls != 0) {
			t.Errorf("%v: %d calls, warnings %v, want %d", tt.policy, calls, got, tt.warnings)
		}
		for _, w := range got {
			var ce *CertificateError
			if !errors.Is(w, ErrRevocationUnknown) || !errors.As(w, &ce) || ce.Subject != SubjectDN(srv) {
				t.Errorf("%v: warning %v", tt.policy, w)
			}
		}
		// VerifyConnection is the same check without a callback.
		if err2 := e.verifier(tt.policy).VerifyConnection(UsageServer)(cs); (err2 == nil) != (err == nil) {
			t.Errorf("%v: VerifyConnection = %v, VerifyConnectionWithWarnings = %v", tt.policy, err2, err)
		}
	}
}
