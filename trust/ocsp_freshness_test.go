package trust

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

// TestOCSPFreshness: an OCSP answer is used only while fresh (a maximum age
// without nextUpdate, never past nextUpdate, thisUpdate not in the future
// beyond a small skew); otherwise the CRL decides. And a CRL that lists the
// certificate wins over an OCSP "good".
func TestOCSPFreshness(t *testing.T) {
	ctx := context.Background()
	opts := &VerifyOptions{Usage: UsageServer, DNSName: "mss.operateur.test"}
	const (
		crlGood    = iota
		crlRevoked // the intermediate's CRL lists the leaf
		crlDown
	)
	tests := []struct {
		name       string
		this, next time.Time // zero: an hour either side of now
		noNext     bool
		crl        int
		wantErr    error  // nil: accepted
		wantSource string // prefix of Revocation[0].Source when accepted, or text in the error
	}{
		// The case of issue 19: a CA-signed "good" two years old, no nextUpdate.
		{"good two years old, no nextUpdate; the CRL lists it", testEpoch.AddDate(-2, 0, 0), time.Time{}, true, crlRevoked, ErrRevoked, "crl "},
		{"good eight days old, no nextUpdate: CRL used", testEpoch.AddDate(0, 0, -8), time.Time{}, true, crlGood, nil, "crl "},
		{"good eight days old, no nextUpdate, no CRL: unknown", testEpoch.AddDate(0, 0, -8), time.Time{}, true, crlDown, ErrRevocationUnknown, "no nextUpdate, older than 168h0m0s"},
		{"good six days old, no nextUpdate: used", testEpoch.AddDate(0, 0, -6), time.Time{}, true, crlDown, nil, "ocsp "},
		{"good past its nextUpdate: CRL used", testEpoch.Add(-3 * time.Hour), testEpoch.Add(-time.Second), false, crlGood, nil, "crl "},
		{"good past its nextUpdate, no CRL: unknown", testEpoch.Add(-3 * time.Hour), testEpoch.Add(-time.Second), false, crlDown, ErrRevocationUnknown, "past its nextUpdate"},
		{"thisUpdate an hour in the future, no CRL: unknown", testEpoch.Add(time.Hour), testEpoch.Add(2 * time.Hour), false, crlDown, ErrRevocationUnknown, "in the future"},
		{"thisUpdate two minutes in the future (clock skew): used", testEpoch.Add(2 * time.Minute), testEpoch.Add(2 * time.Hour), false, crlDown, nil, "ocsp "},
		{"fresh good, the CRL lists it: revoked wins", time.Time{}, time.Time{}, false, crlRevoked, ErrRevoked, "OCSP said good"},
		{"fresh good, CRL down: the OCSP answer stands", time.Time{}, time.Time{}, false, crlDown, nil, "ocsp "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newRevEnv(t)
			e.rs.update(func(s *revServer) {
				s.ocspThis, s.ocspNext, s.ocspNoNext = tt.this, tt.next, tt.noNext
				switch tt.crl {
				case crlRevoked:
					s.crls["/inter.crl"] = makeCRL(t, e.pki.inter, e.pki.interKey, 2, testEpoch.Add(-time.Hour), testEpoch.AddDate(0, 0, 7), big.NewInt(1), e.leaf.SerialNumber)
				case crlDown:
					delete(s.crls, "/inter.crl") // the leaf's CRL; the intermediate's (root.crl) stays
				}
			})
			res, err := e.verifier(RevocationHardFail).Verify(ctx, e.leaf, opts)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantSource) {
					t.Fatalf("err = %v, want %v mentioning %q", err, tt.wantErr, tt.wantSource)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if src := res.Revocation[0].Source; !strings.HasPrefix(src, tt.wantSource) {
				t.Errorf("leaf checked by %q, want %q", src, tt.wantSource)
			}
		})
	}
}

// TestOCSPStaleNotCached: an answer without nextUpdate is cached no longer
// than its maximum age allows.
func TestOCSPStaleNotCached(t *testing.T) {
	e := newRevEnv(t)
	now := testEpoch
	e.rs.update(func(s *revServer) {
		s.ocspThis, s.ocspNoNext = testEpoch.Add(-DefaultOCSPMaxAge+30*time.Minute), true
		s.crls["/inter.crl"] = makeCRL(t, e.pki.inter, e.pki.interKey, 2, testEpoch.Add(-time.Hour), testEpoch.AddDate(0, 0, 7))
	})
	v := &Verifier{Anchors: e.pki.anchors, Clock: clockFunc(func() time.Time { return now })}
	opts := &VerifyOptions{Usage: UsageServer, DNSName: "mss.operateur.test"}
	res, err := v.Verify(context.Background(), e.leaf, opts)
	if err != nil || !strings.HasPrefix(res.Revocation[0].Source, "ocsp ") {
		t.Fatalf("first: %v %+v", err, res)
	}
	// 40 minutes later the answer is past its maximum age: not reused
	// from the cache, asked again, refused, and the CRL decides.
	now = now.Add(40 * time.Minute)
	res, err = v.Verify(context.Background(), e.leaf, opts)
	if err != nil || !strings.HasPrefix(res.Revocation[0].Source, "crl ") || e.rs.ocspHits != 2 {
		t.Fatalf("after the maximum age: %v, source %q, %d OCSP requests", err, res.Revocation[0].Source, e.rs.ocspHits)
	}
}

// TestOCSPMaxAgeSetting: Verifier.OCSPMaxAge replaces the default maximum
// age of an answer without nextUpdate.
func TestOCSPMaxAgeSetting(t *testing.T) {
	for _, tt := range []struct {
		maxAge     time.Duration
		wantSource string
	}{
		{0, "ocsp "},             // 2 h old is fresh under the 7-day default
		{time.Hour, "crl "},      // refused as stale: the CRL decides
		{3 * time.Hour, "ocsp "}, // within the setting
	} {
		e := newRevEnv(t)
		e.rs.update(func(s *revServer) {
			s.ocspThis, s.ocspNoNext = testEpoch.Add(-2*time.Hour), true
			s.crls["/inter.crl"] = makeCRL(t, e.pki.inter, e.pki.interKey, 2, testEpoch.Add(-time.Hour), testEpoch.AddDate(0, 0, 7))
		})
		v := &Verifier{Anchors: e.pki.anchors, Clock: clockFunc(func() time.Time { return testEpoch }), OCSPMaxAge: tt.maxAge}
		res, err := v.Verify(context.Background(), e.leaf, &VerifyOptions{Usage: UsageServer, DNSName: "mss.operateur.test"})
		if err != nil {
			t.Fatalf("OCSPMaxAge %v: %v", tt.maxAge, err)
		}
		if src := res.Revocation[0].Source; !strings.HasPrefix(src, tt.wantSource) {
			t.Errorf("OCSPMaxAge %v: leaf checked by %q, want %q", tt.maxAge, src, tt.wantSource)
		}
	}
}
