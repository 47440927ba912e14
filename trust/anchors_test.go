package trust

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"
)

// sharedCert reads one certificate (PEM or DER) from the shared certs folder.
func sharedCert(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sharedDir(t, "certs"), name))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := pem.Decode(data); b != nil {
		data = b.Bytes
	}
	c, err := x509.ParseCertificate(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

func sharedFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sharedDir(t, "certs"), name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

const (
	prodRootFile = "igc-sante-prod-ACR-ELEMENTAIRE.pem"
	testRootFile = "igc-sante-TEST-ACR-ELEMENTAIRE.pem"
	testACIFile  = "igc-sante-TEST-ACI-ELEMENTAIRE-ORGANISATIONS.pem"
)

func TestKnownRootMatchesSharedFile(t *testing.T) {
	root := sharedCert(t, prodRootFile)
	k, ok := IsKnownRoot(root)
	if !ok || k.Name != root.Subject.CommonName {
		t.Fatalf("IsKnownRoot(prod ELEMENTAIRE) = %+v, %v", k, ok)
	}
	if got := FingerprintOf(root).String(); got != "2D9E22CA19F777C6B745257C723ECB8DF3C35FA6F1F6EC36B83600C97346967F" {
		t.Errorf("fingerprint %s", got)
	}
	if _, ok := IsKnownRoot(sharedCert(t, testRootFile)); ok {
		t.Error("the TEST root must not be a known production root")
	}
}

func TestParseAnchorsShared(t *testing.T) {
	prod, testRoot, testACI := sharedFile(t, prodRootFile), sharedFile(t, testRootFile), sharedFile(t, testACIFile)
	testBundle := append(append([]byte(nil), testRoot...), testACI...)
	testFP := FingerprintOf(sharedCert(t, testRootFile)).String()

	a, err := ParseAnchors(prod, nil)
	if err != nil || len(a.Roots()) != 1 || len(a.Intermediates()) != 0 {
		t.Fatalf("prod root: %v", err)
	}

	_, err = ParseAnchors(testBundle, nil)
	var ure *UnknownRootError
	if !errors.As(err, &ure) || !errors.Is(err, ErrUnknownRoot) || ure.Fingerprint.String() != testFP {
		t.Fatalf("TEST bundle without options: err = %v, want *UnknownRootError for %s", err, testFP)
	}

	for name, opts := range map[string]*AnchorOptions{
		"TrustBundleRoots": {TrustBundleRoots: true},
		"ExtraRoots":       {ExtraRoots: []string{"01:32:5a:eb:19:38:71:ee:c9:0f:a8:95:56:80:4e:41:85:cb:36:2e:0c:a8:7a:3d:79:93:9c:71:18:6d:a8:05"}},
	} {
		a, err := ParseAnchors(testBundle, opts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(a.Roots()) != 1 || len(a.Intermediates()) != 1 {
			t.Errorf("%s: %d roots, %d intermediates", name, len(a.Roots()), len(a.Intermediates()))
		}
	}

	// Intermediate first: order in the bundle does not matter.
	mixed := append(append(append([]byte(nil), testACI...), prod...), testRoot...)
	a, err = ParseAnchors(mixed, &AnchorOptions{SkipUnknownRoots: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Roots()) != 1 || a.Roots()[0].Subject.CommonName != "AC RACINE IGC-SANTE ELEMENTAIRE" || len(a.Skipped()) != 2 || len(a.Intermediates()) != 0 {
		t.Errorf("SkipUnknownRoots: roots %d, intermediates %d, skipped %d", len(a.Roots()), len(a.Intermediates()), len(a.Skipped()))
	}

	// An intermediate without its root.
	if _, err := ParseAnchors(append(append([]byte(nil), prod...), testACI...), nil); !errors.Is(err, ErrBadBundle) {
		t.Errorf("orphan intermediate: err = %v, want ErrBadBundle", err)
	}
	// An end-entity certificate is not an anchor.
	ee := sharedFile(t, "igc-sante-TEST-ee-ORG-SIGN-testsign.test.asipsante.fr.pem")
	if _, err := ParseAnchors(append(append([]byte(nil), testBundle...), ee...), &AnchorOptions{TrustBundleRoots: true}); !errors.Is(err, ErrBadBundle) {
		t.Errorf("end-entity in bundle: err = %v, want ErrBadBundle", err)
	}
}

// TestParseAnchorsP7B builds .p7b bundles with the library, as the ANS
// publishes them (certs-only SignedData), in DER and PEM.
func TestParseAnchorsP7B(t *testing.T) {
	prod, testRoot, testACI := sharedCert(t, prodRootFile), sharedCert(t, testRootFile), sharedCert(t, testACIFile)
	der, err := pkcs7.DegenerateCertificate(append(append(append([]byte(nil), testACI.Raw...), prod.Raw...), testRoot.Raw...))
	if err != nil {
		t.Fatal(err)
	}
	pemP7 := pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: der})
	for name, data := range map[string][]byte{"DER": der, "PEM": pemP7} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseAnchors(data, nil); !errors.Is(err, ErrUnknownRoot) {
				t.Errorf("default options: err = %v, want ErrUnknownRoot (TEST root in the bundle)", err)
			}
			a, err := ParseAnchors(data, &AnchorOptions{ExtraRoots: []string{FingerprintOf(testRoot).String()}})
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Roots()) != 2 || len(a.Intermediates()) != 1 {
				t.Errorf("%d roots, %d intermediates; want 2 and 1", len(a.Roots()), len(a.Intermediates()))
			}
		})
	}
	for name, data := range map[string][]byte{
		"garbage":       []byte("not a bundle"),
		"empty":         nil,
		"truncated p7b": der[:len(der)/2],
		"private key":   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("secret-material")}),
	} {
		_, err := ParseAnchors(data, nil)
		if !errors.Is(err, ErrBadBundle) {
			t.Errorf("%s: err = %v, want ErrBadBundle", name, err)
		}
		if err != nil && bytes.Contains([]byte(err.Error()), []byte("secret")) {
			t.Errorf("%s: error leaks the block content: %v", name, err)
		}
	}
}

func TestFetchAnchors(t *testing.T) {
	prod := sharedCert(t, prodRootFile)
	der, err := pkcs7.DegenerateCertificate(prod.Raw)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-pkcs7-certificates")
		w.Write(der)
	}))
	defer srv.Close()
	a, err := FetchAnchors(context.Background(), srv.Client(), srv.URL+"/AC/Chaine.p7b", nil)
	if err != nil || len(a.Roots()) != 1 {
		t.Fatalf("FetchAnchors: %v", err)
	}
	if _, err := FetchAnchors(context.Background(), srv.Client(), srv.URL, &AnchorOptions{MaxBytes: 100}); err == nil {
		t.Error("MaxBytes not enforced")
	}
}

func TestVerifySharedTESTCertificates(t *testing.T) {
	anchors, err := NewAnchors([]*x509.Certificate{sharedCert(t, testRootFile)}, []*x509.Certificate{sharedCert(t, testACIFile)})
	if err != nil {
		t.Fatal(err)
	}
	v := &Verifier{Anchors: anchors, Revocation: RevocationOff}
	ctx := context.Background()
	date := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }

	testsign := sharedCert(t, "igc-sante-TEST-ee-ORG-SIGN-testsign.test.asipsante.fr.pem")
	henix := sharedCert(t, "igc-sante-TEST-ee-ORG-SIGN-rpps.tra.henix-expired.pem")
	person := sharedCert(t, "igc-sante-TEST-ee-PERSONNES-STANDARD-AUTH-2600301752.pem")
	legacy := sharedCert(t, "legacy-GIP-CPS-TEST-classe4-cpxservices.pem")

	tests := []struct {
		name string
		cert *x509.Certificate
		opts VerifyOptions
		want error // nil: valid
	}{
		{"ORG SIGN for e-mail, while valid", testsign, VerifyOptions{Usage: UsageEmail, CurrentTime: date("2023-06-01")}, nil},
		{"ORG SIGN for e-mail, today", testsign, VerifyOptions{Usage: UsageEmail}, ErrExpired},
		{"ORG SIGN as a server", testsign, VerifyOptions{Usage: UsageServer, CurrentTime: date("2023-06-01")}, ErrWrongUsage},
		{"ORG SIGN as a client", testsign, VerifyOptions{Usage: UsageClient, CurrentTime: date("2023-06-01")}, ErrWrongUsage},
		{"expired ORG cert, in 2018", henix, VerifyOptions{Usage: UsageEmail, CurrentTime: date("2018-01-01")}, nil},
		{"expired ORG cert, today", henix, VerifyOptions{Usage: UsageEmail}, ErrExpired},
		{"personal cert, issuer not in the anchors", person, VerifyOptions{Usage: UsageClient, CurrentTime: date("2019-01-01")}, ErrUntrusted},
		{"legacy GIP-CPS cert, while valid", legacy, VerifyOptions{Usage: UsageServer, CurrentTime: date("2016-01-01")}, ErrUntrusted},
		{"legacy GIP-CPS cert, today (expired too)", legacy, VerifyOptions{Usage: UsageServer}, ErrUntrusted},
		{"legacy GIP-CPS cert with its name", legacy, VerifyOptions{DNSName: "cpxservices.tra.asipsante.fr", CurrentTime: date("2016-01-01")}, ErrUntrusted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			res, err := v.Verify(ctx, tt.cert, &opts)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Chain) != 3 || res.Chain[2].Subject.CommonName != "TEST AC RACINE IGC-SANTE ELEMENTAIRE" {
					t.Errorf("chain of %d certificates", len(res.Chain))
				}
				if res.Identity.Kind != KindOrganisation || !res.Identity.Test {
					t.Errorf("identity %+v", res.Identity)
				}
				return
			}
			var ce *CertificateError
			if !errors.Is(err, tt.want) || !errors.As(err, &ce) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}

	// The production anchors do not accept TEST certificates.
	prodAnchors, err := ParseAnchors(sharedFile(t, prodRootFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	pv := &Verifier{Anchors: prodAnchors, Revocation: RevocationOff}
	if _, err := pv.Verify(ctx, testsign, &VerifyOptions{Usage: UsageEmail, CurrentTime: date("2023-06-01")}); !errors.Is(err, ErrUntrusted) {
		t.Errorf("TEST cert against production anchors: err = %v, want ErrUntrusted", err)
	}
	if _, err := (&Verifier{}).Verify(ctx, testsign, nil); !errors.Is(err, ErrNoAnchors) {
		t.Errorf("no anchors: err = %v", err)
	}
}

func TestIdentityShared(t *testing.T) {
	tests := []struct {
		file string
		want Identity
	}{
		{"igc-sante-TEST-ee-PERSONNES-STANDARD-AUTH-2600301752.der", Identity{
			Kind: KindPerson, Test: true, CommonName: "30B0057881/CPET0002", Organisation: "HOPITAL DES 3 DAMES",
			StructureID: "10B0057881", PSID: "30B0057881", CardSerial: "CPET0002",
			GivenName: "CHARLES", Surname: "ADMINISTRATIF-CH057880002", Title: "Personnel santé ou social",
			UPN: "30B0057881/CPET0002@carte-cps.fr",
		}},
		{"igc-sante-TEST-ee-ORG-SIGN-testsign.test.asipsante.fr.pem", Identity{
			Kind: KindOrganisation, Test: true, CommonName: "testsign.test.asipsante.fr", Organisation: "MINISTERE DE TEST7708",
			StructureID: "300000000077081",
		}},
		{"igc-sante-TEST-ee-ORG-SIGN-rpps.tra.henix-expired.pem", Identity{
			Kind: KindOrganisation, Test: true, CommonName: "rpps.tra.henix;asipsante.fr", Organisation: "ASIP-SANTE",
			StructureID: "318751275100020",
		}},
		{"legacy-GIP-CPS-TEST-classe4-cpxservices.pem", Identity{
			Kind: KindOrganisation, CommonName: "cpxservices.tra.asipsante.fr", Organisation: "TEST",
			StructureID: "318751275100020", DNSNames: []string{"cpxservices.tra.asipsante.fr"},
		}},
	}
	for _, tt := range tests {
		got := IdentityOf(sharedCert(t, tt.file))
		if !identityEqual(got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.file, got, tt.want)
		}
	}
	dns := map[string]string{
		"igc-sante-TEST-ee-ORG-SIGN-testsign.test.asipsante.fr.pem": "CN=testsign.test.asipsante.fr,OU=300000000077081,O=MINISTERE DE TEST7708,ST=Côte-d'Or (21),C=FR",
		"igc-sante-TEST-ee-ORG-SIGN-rpps.tra.henix-expired.pem":     `CN=rpps.tra.henix\;asipsante.fr,OU=318751275100020,O=ASIP-SANTE,ST=Paris (75),C=FR`,
		"igc-sante-TEST-ee-PERSONNES-STANDARD-AUTH-2600301752.pem":  "GN=CHARLES+CN=30B0057881/CPET0002+SN=ADMINISTRATIF-CH057880002,title=Personnel santé ou social,OU=10B0057881,O=HOPITAL DES 3 DAMES,ST=Paris (75),C=FR",
		"igc-sante-TEST-ACI-ELEMENTAIRE-ORGANISATIONS.pem":          "CN=TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS,OU=IGC-SANTE TEST,OU=0002 187512751,O=ASIP-SANTE,C=FR",
	}
	for file, want := range dns {
		if got := SubjectDN(sharedCert(t, file)); got != want {
			t.Errorf("SubjectDN(%s) = %q, want %q", file, got, want)
		}
	}
	if got, want := IssuerDN(sharedCert(t, testACIFile)), "CN=TEST AC RACINE IGC-SANTE ELEMENTAIRE,OU=IGC-SANTE TEST,OU=0002 187512751,O=ASIP-SANTE,C=FR"; got != want {
		t.Errorf("IssuerDN = %q", got)
	}
	id := IdentityOf(sharedCert(t, "igc-sante-TEST-ee-ORG-SIGN-testsign.test.asipsante.fr.pem"))
	if id.StructureIDKind() != "SIRET" || id.RPPS() != "" {
		t.Errorf("StructureIDKind %q RPPS %q", id.StructureIDKind(), id.RPPS())
	}
}

func identityEqual(a, b Identity) bool {
	if len(a.DNSNames) == 0 && len(b.DNSNames) == 0 {
		a.DNSNames, b.DNSNames = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

// TestZeroAnchors checks that a zero Anchors trusts nothing (and does not
// fall back to the system pool) instead of panicking.
func TestZeroAnchors(t *testing.T) {
	pki := newTestPKI(t, "")
	leaf, _ := pki.issue(t, leafSpec{cn: "x.test", dns: []string{"x.test"}, eku: serverEKU})
	v := &Verifier{Anchors: &Anchors{}, Revocation: RevocationOff}
	if _, err := v.Verify(context.Background(), leaf, &VerifyOptions{Intermediates: []*x509.Certificate{pki.inter}}); !errors.Is(err, ErrUntrusted) {
		t.Errorf("zero Anchors: err = %v, want ErrUntrusted", err)
	}
	var nilAnchors *Anchors
	if nilAnchors.RootPool() == nil || nilAnchors.Roots() != nil {
		t.Error("nil *Anchors accessors")
	}
}
