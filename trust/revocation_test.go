package trust

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// revServer is a local CRL distribution point and OCSP responder.
type revServer struct {
	mu         sync.Mutex
	crls       map[string][]byte // path -> DER
	crlDown    bool
	lastIMS    string
	ocspMode   int // ocsp.Good, ocsp.Revoked, ocsp.Unknown, or -1 for HTTP 503
	ocspIssuer *x509.Certificate
	ocspCert   *x509.Certificate // delegated responder, nil: the issuer signs
	ocspKey    crypto.Signer
	// ocspThis and ocspNext, when set, are the answer's thisUpdate and
	// nextUpdate (ocspNoNext: none) instead of an hour either side of now.
	ocspThis, ocspNext time.Time
	ocspNoNext         bool
	now                time.Time
	crlHits            int
	ocspHits           int
}

func (s *revServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path == "/ocsp" {
		s.ocspHits++
		if s.ocspMode < 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(r.Body)
		req, err := ocsp.ParseRequest(body)
		if err != nil || r.Header.Get("Content-Type") != "application/ocsp-request" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		tmpl := ocsp.Response{
			Status: s.ocspMode, SerialNumber: req.SerialNumber,
			ThisUpdate: s.now.Add(-time.Hour), NextUpdate: s.now.Add(time.Hour),
			RevokedAt: s.now.Add(-2 * time.Hour), Certificate: s.ocspCert,
		}
		if !s.ocspThis.IsZero() {
			tmpl.ThisUpdate = s.ocspThis
		}
		if !s.ocspNext.IsZero() {
			tmpl.NextUpdate = s.ocspNext
		}
		if s.ocspNoNext {
			tmpl.NextUpdate = time.Time{}
		}
		signerCert := s.ocspIssuer
		if s.ocspCert != nil {
			signerCert = s.ocspCert
		}
		der, err := ocsp.CreateResponse(s.ocspIssuer, signerCert, tmpl, s.ocspKey)
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(der)
		return
	}
	s.crlHits++
	s.lastIMS = r.Header.Get("If-Modified-Since")
	der, ok := s.crls[r.URL.Path]
	if s.crlDown || !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("Last-Modified", "Thu, 01 Jan 2026 00:00:00 GMT")
	if s.lastIMS != "" {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(der)
}

func (s *revServer) update(f func(s *revServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

type revEnv struct {
	pki  *testPKI
	rs   *revServer
	url  string
	leaf *x509.Certificate
}

// newRevEnv starts the responders and issues a server certificate that
// names them, with good CRLs for the intermediate and the leaf.
func newRevEnv(t *testing.T) *revEnv {
	t.Helper()
	rs := &revServer{crls: map[string][]byte{}, now: testEpoch, ocspMode: ocsp.Good}
	srv := httptest.NewServer(rs)
	t.Cleanup(srv.Close)
	pki := newTestPKI(t, srv.URL+"/root.crl")
	leaf, _ := pki.issue(t, leafSpec{cn: "mss.operateur.test", dns: []string{"mss.operateur.test"}, eku: serverEKU,
		crl: []string{"ldap://ignored.test/cn=x", srv.URL + "/inter.crl"}, ocsp: []string{srv.URL + "/ocsp"}})
	rs.ocspIssuer, rs.ocspKey = pki.inter, pki.interKey
	rs.crls["/root.crl"] = makeCRL(t, pki.root, pki.rootKey, 1, testEpoch.Add(-time.Hour), testEpoch.AddDate(0, 0, 7))
	rs.crls["/inter.crl"] = makeCRL(t, pki.inter, pki.interKey, 1, testEpoch.Add(-time.Hour), testEpoch.AddDate(0, 0, 7))
	return &revEnv{pki: pki, rs: rs, url: srv.URL, leaf: leaf}
}

func (e *revEnv) verifier(policy RevocationPolicy) *Verifier {
	return &Verifier{Anchors: e.pki.anchors, Revocation: policy, Clock: clockFunc(func() time.Time { return testEpoch })}
}

func TestRevocation(t *testing.T) {
	ctx := context.Background()
	opts := &VerifyOptions{Usage: UsageServer, DNSName: "mss.operateur.test"}

	t.Run("OCSP good, intermediate by CRL", func(t *testing.T) {
		e := newRevEnv(t)
		res, err := e.verifier(RevocationHardFail).Verify(ctx, e.leaf, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Revocation) != 2 || !strings.HasPrefix(res.Revocation[0].Source, "ocsp ") || !strings.HasPrefix(res.Revocation[1].Source, "crl ") {
			t.Errorf("Revocation = %+v", res.Revocation)
		}
	})
	t.Run("OCSP revoked", func(t *testing.T) {
		e := newRevEnv(t)
		e.rs.ocspMode = ocsp.Revoked
		_, err := e.verifier(RevocationSoftFail).Verify(ctx, e.leaf, opts)
		if !errors.Is(err, ErrRevoked) {
			t.Fatalf("err = %v, want ErrRevoked (even in soft-fail)", err)
		}
	})
	t.Run("OCSP down, CRL lists the certificate", func(t *testing.T) {
		e := newRevEnv(t)
		e.rs.ocspMode = -1
		e.rs.crls["/inter.crl"] = makeCRL(t, e.pki.inter, e.pki.interKey, 2, testEpoch.Add(-time.Hour), testEpoch.AddDate(0, 0, 7), big.NewInt(1), e.leaf.SerialNumber)
		_, err := e.verifier(RevocationHardFail).Verify(ctx, e.leaf, opts)
		if !errors.Is(err, ErrRevoked) || !strings.Contains(err.Error(), "crl ") {
			t.Fatalf("err = %v, want ErrRevoked from the CRL", err)
		}
	})
	t.Run("OCSP unknown, CRL good", func(t *testing.T) {
		e := newRevEnv(t)
		e.rs.ocspMode = ocsp.Unknown
		res, err := e.verifier(RevocationHardFail).Verify(ctx, e.leaf, opts)
		if err != nil {
			t.Fatal(err)
		}
		if st := res.Revocation[0]; !strings.HasPrefix(st.Source, "crl ") || len(st.Errors) != 1 {
			t.Errorf("status %+v", st)
		}
	})
	t.Run("nothing answers: hard-fail and soft-fail", func(t *testing.T) {
		e := newRevEnv(t)
		e.rs.ocspMode, e.rs.crlDown = -1, true
		if _, err := e.verifier(RevocationHardFail).Verify(ctx, e.leaf, opts); !errors.Is(err, ErrRevocationUnknown) {
			t.Fatalf("hard-fail: err = %v", err)
		}
		res, err := e.verifier(RevocationSoftFail).Verify(ctx, e.leaf, opts)
		if err != nil || len(res.Warnings) != 2 || !errors.Is(res.Warnings[0], ErrRevocationUnknown) {
			t.Fatalf("soft-fail: %v, warnings %v", err, res)
		}
	})
	t.Run("delegated OCSP responder", func(t *testing.T) {
		e := newRevEnv(t)
		bad, badKey := e.pki.issue(t, leafSpec{cn: "OCSP sans usage", eku: serverEKU})
		e.rs.ocspCert, e.rs.ocspKey = bad, badKey
		e.rs.ocspMode = ocsp.Revoked
		res, err := e.verifier(RevocationHardFail).Verify(ctx, e.leaf, opts)
		if err != nil || !strings.HasPrefix(res.Revocation[0].Source, "crl ") {
			t.Fatalf("a responder without OCSPSigning must be ignored: %v", err)
		}
		good, goodKey := e.pki.issue(t, leafSpec{cn: "OCSP responder", eku: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}})
		e.rs.ocspCert, e.rs.ocspKey = good, goodKey
		if _, err := e.verifier(RevocationHardFail).Verify(ctx, e.leaf, opts); !errors.Is(err, ErrRevoked) {
			t.Fatalf("delegated responder with OCSPSigning: err = %v, want ErrRevoked", err)
		}
	})
	t.Run("CRL signed by another key", func(t *testing.T) {
		e := newRevEnv(t)
		e.rs.ocspMode = -1
		forger := newTestPKI(t, "")
		// Same subject name, different key.
		fake := *forger.inter
		fake.RawSubject = e.pki.inter.RawSubject
		e.rs.crls["/inter.crl"] = makeCRL(t, &fake, forger.interKey, 9, testEpoch.Add(-time.Hour), testEpoch.AddDate(0, 0, 7))
		_, err := e.verifier(RevocationHardFail).Verify(ctx, e.leaf, opts)
		if !errors.Is(err, ErrRevocationUnknown) {
			t.Fatalf("err = %v, want ErrRevocationUnknown", err)
		}
	})
	t.Run("DisableOCSP and RevocationOff", func(t *testing.T) {
		e := newRevEnv(t)
		v := e.verifier(RevocationHardFail)
		v.DisableOCSP = true
		if _, err := v.Verify(ctx, e.leaf, opts); err != nil || e.rs.ocspHits != 0 {
			t.Fatalf("DisableOCSP: %v, %d OCSP requests", err, e.rs.ocspHits)
		}
		e.rs.crlHits = 0
		if _, err := e.verifier(RevocationOff).Verify(ctx, e.leaf, opts); err != nil || e.rs.crlHits != 0 {
			t.Fatalf("RevocationOff: %v, %d CRL requests", err, e.rs.crlHits)
		}
	})
	t.Run("OCSP answers are cached", func(t *testing.T) {
		e := newRevEnv(t)
		v := e.verifier(RevocationHardFail)
		for i := 0; i < 3; i++ {
			if _, err := v.Verify(ctx, e.leaf, opts); err != nil {
				t.Fatal(err)
			}
		}
		// The CRLs: the intermediate's, and the leaf's, asked to confirm
		// the OCSP "good".
		if e.rs.ocspHits != 1 || e.rs.crlHits != 2 {
			t.Errorf("%d OCSP and %d CRL requests for 3 verifications, want 1 and 2", e.rs.ocspHits, e.rs.crlHits)
		}
	})
}

// TestCRLCacheKeepsLastValid checks ECO.1.1.7: when the distribution point
// fails, the last CRL is used until its nextUpdate, and no longer.
func TestCRLCacheKeepsLastValid(t *testing.T) {
	e := newRevEnv(t)
	now := testEpoch
	cache := &CRLCache{Clock: clockFunc(func() time.Time { return now }), RefreshInterval: time.Hour}
	ctx := context.Background()
	url := e.url + "/inter.crl"
	e.rs.crls["/inter.crl"] = makeCRL(t, e.pki.inter, e.pki.interKey, 1, testEpoch.Add(-time.Hour), testEpoch.AddDate(0, 0, 2), e.leaf.SerialNumber)

	revoked, _, err := cache.Revoked(ctx, url, e.leaf, e.pki.inter)
	if err != nil || !revoked {
		t.Fatalf("first look-up: %v, %v", revoked, err)
	}
	// Within RefreshInterval: no download.
	now = now.Add(30 * time.Minute)
	cache.Revoked(ctx, url, e.leaf, e.pki.inter)
	if e.rs.crlHits != 1 {
		t.Fatalf("%d downloads within RefreshInterval", e.rs.crlHits)
	}
	// After it: a conditional download.
	now = now.Add(time.Hour)
	if _, _, err := cache.Revoked(ctx, url, e.leaf, e.pki.inter); err != nil || e.rs.lastIMS == "" || e.rs.crlHits != 2 {
		t.Fatalf("refresh: %v, If-Modified-Since %q, %d downloads", err, e.rs.lastIMS, e.rs.crlHits)
	}
	// Distribution point down: the cached CRL still answers.
	e.rs.update(func(s *revServer) { s.crlDown = true })
	now = testEpoch.AddDate(0, 0, 1)
	if revoked, _, err := cache.Revoked(ctx, url, e.leaf, e.pki.inter); err != nil || !revoked {
		t.Fatalf("down, CRL still valid: %v, %v", revoked, err)
	}
	// Past nextUpdate: nothing valid is left.
	now = testEpoch.AddDate(0, 0, 3)
	if _, _, err := cache.Revoked(ctx, url, e.leaf, e.pki.inter); err == nil {
		t.Fatal("an expired CRL was used")
	}

	// A CRL older than the cached one does not replace it.
	fresh := &CRLCache{Clock: clockFunc(func() time.Time { return testEpoch }), RefreshInterval: time.Nanosecond}
	newer := makeCRL(t, e.pki.inter, e.pki.interKey, 5, testEpoch.Add(-time.Minute), testEpoch.AddDate(0, 0, 2), e.leaf.SerialNumber)
	if err := fresh.Add(url, newer, e.pki.inter); err != nil {
		t.Fatal(err)
	}
	e.rs.update(func(s *revServer) {
		s.crlDown = false
		s.crls["/inter.crl"] = makeCRL(t, e.pki.inter, e.pki.interKey, 4, testEpoch.Add(-2*time.Hour), testEpoch.AddDate(0, 0, 2))
	})
	if revoked, _, err := fresh.Revoked(ctx, url, e.leaf, e.pki.inter); err != nil || !revoked {
		t.Fatalf("older CRL replaced the newer one: revoked %v, %v", revoked, err)
	}
	// Add refuses a CRL from another issuer or an expired one.
	if err := fresh.Add(url, newer, e.pki.root); err == nil {
		t.Error("Add accepted a CRL for the wrong issuer")
	}
	old := makeCRL(t, e.pki.inter, e.pki.interKey, 1, testEpoch.AddDate(0, 0, -10), testEpoch.AddDate(0, 0, -3))
	if err := fresh.Add(url, old, e.pki.inter); err == nil {
		t.Error("Add accepted an expired CRL")
	}
}
