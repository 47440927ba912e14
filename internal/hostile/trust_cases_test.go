package hostile

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/trust"
)

// --- Trust space: liste blanche, revocation, HTTP clients ---

// trustList writes a liste blanche in the ANS layout (no closing root tag)
// with one <Domaine> per name.
func trustList(generated string, names ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListeBlancheMSSante xmlns=\"https://listeblanche.mssante.fr/schema\">\n<DateDeGeneration>%s</DateDeGeneration>\n<ListeDomaines>\n", generated)
	for _, n := range names {
		fmt.Fprintf(&b, "<Domaine><Nom>%s</Nom><Description>x</Description><DNCertificatOperateur>CN=smtp.operateur.test</DNCertificatOperateur><DateMAJ>2025-01-01T00:00:00Z</DateMAJ></Domaine>\n", n)
	}
	b.WriteString("</ListeDomaines>\n")
	return []byte(b.String())
}

func domainNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("etab%d.mssante.fr", i)
	}
	return out
}

// refreshTwice loads first into a file Source, then second (written an
// hour later), with configure called before each refresh. o.err is the
// second refresh's error, o.list the list kept, and the count "last good
// list replaced" says whether it is not the first one.
func refreshTwice(t *testing.T, first, second []byte, configure func(src *trust.Source, dir string) error) func(o *outcome) error {
	return func(o *outcome) error {
		dir := t.TempDir()
		path := filepath.Join(dir, "lb.xml")
		if err := os.WriteFile(path, first, 0o600); err != nil {
			return err
		}
		src := &trust.Source{Location: path}
		if err := configure(src, dir); err != nil {
			return err
		}
		ctx := context.Background()
		if _, err := src.Refresh(ctx); err != nil {
			return fmt.Errorf("first list: %v", err)
		}
		good := src.List()
		if err := os.WriteFile(path, second, 0o600); err != nil {
			return err
		}
		if err := configure(src, dir); err != nil {
			return err
		}
		later := time.Now().Add(time.Hour)
		if err := os.Chtimes(path, later, later); err != nil {
			return err
		}
		_, o.err = src.Refresh(ctx)
		o.list = src.List()
		if o.list != good {
			o.count("last good list replaced", 1)
		}
		return nil
	}
}

func trustCases(t *testing.T) []hostileCase {
	return []hostileCase{
		{"Trust", "liste blanche with an e-mail address as `<Nom>` among good entries",
			"entry skipped and reported (`List.Skipped`, its line), the other domains kept, the address's domain not guessed",
			sdkList(trustList("2025-05-21T00:00:00Z", "a.mssante.fr", "someone@sub.domain.mssante.fr", "b.mssante.fr")),
			all(accepted, func(o *outcome) error {
				l := o.list
				sk := l.Skipped()
				switch {
				case len(sk) != 1 || sk[0].Value != "someone@sub.domain.mssante.fr" || sk[0].Line != 5:
					return fmt.Errorf("skipped %v", sk)
				case !l.Contains("a.mssante.fr") || !l.Contains("b.mssante.fr"):
					return errors.New("good domains lost")
				case l.Contains("sub.domain.mssante.fr") || l.Contains("domain.mssante.fr"):
					return errors.New("a domain was guessed from the address")
				}
				return nil
			})},
		{"Trust", "liste blanche refresh losing 60% of the domains (truncated download)",
			"`trust.ErrListShrunk` (10 domains to 4: over `Source.MaxShrink`, default 50%); the last good list kept",
			refreshTwice(t, trustList("2025-05-21T00:00:00Z", domainNames(10)...), trustList("2025-05-22T00:00:00Z", domainNames(4)...),
				func(*trust.Source, string) error { return nil }),
			all(is(trust.ErrListShrunk), func(o *outcome) error {
				var se *trust.ShrinkError
				if !errors.As(o.err, &se) || se.Previous != 10 || se.Current != 4 || se.MaxShrink != 0.5 {
					return fmt.Errorf("shrink %+v", se)
				}
				return nil
			}, counted("last good list replaced", 0))},
		{"Trust", "liste blanche not matching its checksum file", "`trust.ErrChecksum`; the last good list kept",
			refreshTwice(t, trustList("2025-05-21T00:00:00Z", "a.mssante.fr"), trustList("2025-05-22T00:00:00Z", "a.mssante.fr", "evil.example"),
				func(src *trust.Source, dir string) error {
					sum := sha256.Sum256(trustList("2025-05-21T00:00:00Z", "a.mssante.fr")) // always the first list's
					h := hex.EncodeToString(sum[:])
					src.ChecksumLocation = filepath.Join(dir, "checksum")
					return os.WriteFile(src.ChecksumLocation, []byte(h+h), 0o600) // doubled, as published
				}),
			all(is(trust.ErrChecksum), counted("last good list replaced", 0))},
		{"Trust", "liste blanche https URL redirected to an http server", "`trust.ErrRedirect`; the http server is never asked, no list loaded",
			listDowngrade, all(is(trust.ErrRedirect), counted("requests to the http server", 0), func(o *outcome) error {
				if o.list != nil {
					return errors.New("a list was loaded")
				}
				return nil
			})},
		{"Trust", "OCSP \"good\" two years old without nextUpdate, the CRL lists the certificate",
			"`trust.ErrRevoked` from the CRL; the OCSP answer was asked and not taken as good (without nextUpdate an answer counts for 7 days: the same 6 days old is taken as good)",
			func(o *outcome) error {
				var sixDays outcome
				sixDays.counts = map[string]int64{}
				if err := revocation(ocsp.Response{Status: ocsp.Good}, -6*24*time.Hour)(&sixDays); err != nil {
					return err
				}
				o.next = sixDays.err
				return revocation(ocsp.Response{Status: ocsp.Good}, -2*365*24*time.Hour)(o)
			}, all(is(trust.ErrRevoked), counted("OCSP requests", 1), counted("CRL requests", 1), revokedBy("crl ", false),
				func(o *outcome) error {
					if err := revokedBy("crl ", true)(&outcome{err: o.next}); err != nil {
						return fmt.Errorf("6 days old: %w", err)
					}
					return nil
				})},
		{"Trust", "fresh OCSP \"good\", the CRL lists the certificate", "`trust.ErrRevoked`: the CRL's revocation wins over OCSP good",
			revocation(ocsp.Response{Status: ocsp.Good, NextUpdate: time.Now().AddDate(0, 0, 1)}, -time.Hour),
			all(is(trust.ErrRevoked), counted("OCSP requests", 1), counted("CRL requests", 1), revokedBy("crl ", true))},
		{"Annuaire", "302 from the FHIR API to another host", "`annuaire.ErrRedirect`, not retried; the other host never receives `ESANTE-API-KEY`",
			apiKeyRedirect, all(is(annuaire.ErrRedirect), counted("requests to the API", 1), counted("keys received by the other host", 0))},
	}
}

// sdkList parses a liste blanche.
func sdkList(b []byte) func(o *outcome) error {
	return func(o *outcome) error {
		o.list, o.err = trust.ParseList(strings.NewReader(string(b)), nil)
		return nil
	}
}

// revokedBy: the revocation came from source, with OCSP having said good
// or not.
func revokedBy(source string, ocspGood bool) check {
	return func(o *outcome) error {
		var ce *trust.CertificateError
		if !errors.As(o.err, &ce) || !strings.Contains(ce.Detail, "("+source) || strings.Contains(ce.Detail, "OCSP said good") != ocspGood {
			return fmt.Errorf("revocation %v, want from %q with OCSP good %v", o.err, source, ocspGood)
		}
		return nil
	}
}

// listDowngrade: an https list URL answers 302 to a plain http server.
func listDowngrade(o *outcome) error {
	var errs serverErrors
	var asked atomic.Int64
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		errs.write(w, trustList("2025-05-21T00:00:00Z", "evil.example"))
	}))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.RedirectHandler(plain.URL+"/listeblanchemssante.xml", http.StatusFound))
	defer secure.Close()
	src := &trust.Source{Location: secure.URL + "/listeblanchemssante.xml", HTTPClient: secure.Client(), AllowHTTP: true}
	_, o.err = src.Refresh(context.Background())
	o.list = src.List()
	o.count("requests to the http server", asked.Load())
	return errs.err()
}

// apiKeyRedirect: the API answers 302 to another server, which counts the
// keys that reach it.
func apiKeyRedirect(o *outcome) error {
	var errs serverErrors
	var keys, hits atomic.Int64
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(annuaire.APIKeyHeader) != "" {
			keys.Add(1)
		}
		errs.write(w, []byte(`{"resourceType":"Practitioner","id":"evil"}`))
	}))
	defer foreign.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, foreign.URL+r.URL.Path, http.StatusFound)
	}))
	defer api.Close()
	c, err := annuaire.NewClient(&annuaire.Options{BaseURL: api.URL + "/fhir/v2", APIKey: "SECRET-KEY", RateLimit: -1})
	if err != nil {
		return err
	}
	_, o.err = c.ReadPractitioner(context.Background(), "003-1")
	o.count("requests to the API", hits.Load())
	o.count("keys received by the other host", keys.Load())
	return errs.err()
}

// revocation verifies a certificate the CRL lists while OCSP gives answer,
// whose thisUpdate is age from now. It counts the requests of each kind.
func revocation(answer ocsp.Response, age time.Duration) func(o *outcome) error {
	return func(o *outcome) error {
		now := time.Now()
		answer.ThisUpdate = now.Add(age)
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		rootTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "AC RACINE IGC-SANTE TEST"},
			NotBefore: now.AddDate(-5, 0, 0), NotAfter: now.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
		rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, key.Public(), key)
		if err != nil {
			return err
		}
		root, err := x509.ParseCertificate(rootDER)
		if err != nil {
			return err
		}
		var errs serverErrors
		var ocspAsked, crlAsked atomic.Int64
		var crlDER atomic.Pointer[[]byte]
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/crl" {
				crlAsked.Add(1)
				errs.write(w, *crlDER.Load())
				return
			}
			ocspAsked.Add(1)
			body, err := io.ReadAll(r.Body)
			if err != nil {
				errs.add(err)
				return
			}
			req, err := ocsp.ParseRequest(body)
			if err != nil {
				errs.add(err)
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			a := answer
			a.SerialNumber = req.SerialNumber
			der, err := ocsp.CreateResponse(root, root, a, key)
			if err != nil {
				errs.add(err)
				return
			}
			errs.write(w, der)
		}))
		defer srv.Close()
		leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "smtp.operateur.test"}, DNSNames: []string{"smtp.operateur.test"},
			NotBefore: now.AddDate(-3, 0, 0), NotAfter: now.AddDate(1, 0, 0), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			OCSPServer: []string{srv.URL + "/ocsp"}, CRLDistributionPoints: []string{srv.URL + "/crl"}}
		leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, root, leafKey.Public(), key)
		if err != nil {
			return err
		}
		leaf, err := x509.ParseCertificate(leafDER)
		if err != nil {
			return err
		}
		crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(2), ThisUpdate: now.Add(-time.Hour), NextUpdate: now.AddDate(0, 0, 7),
			RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: leaf.SerialNumber, RevocationTime: now.AddDate(-1, 0, 0)}}}, root, key)
		if err != nil {
			return err
		}
		crlDER.Store(&crl)
		anchors, err := trust.NewAnchors([]*x509.Certificate{root}, nil)
		if err != nil {
			return err
		}
		_, o.err = (&trust.Verifier{Anchors: anchors}).Verify(context.Background(), leaf, &trust.VerifyOptions{DNSName: "smtp.operateur.test"})
		o.count("OCSP requests", ocspAsked.Load())
		o.count("CRL requests", crlAsked.Load())
		return errs.err()
	}
}
