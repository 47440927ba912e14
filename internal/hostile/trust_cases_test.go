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

// keptLastGood loads first into a file Source, then second, and returns
// the second refresh's error after checking the first list was kept.
func keptLastGood(t *testing.T, first, second []byte, configure func(src *trust.Source, dir string, next []byte)) error {
	dir := t.TempDir()
	path := filepath.Join(dir, "lb.xml")
	os.WriteFile(path, first, 0o600)
	src := &trust.Source{Location: path}
	configure(src, dir, first)
	ctx := context.Background()
	if _, err := src.Refresh(ctx); err != nil {
		return fmt.Errorf("first list: %v", err)
	}
	good := src.List()
	os.WriteFile(path, second, 0o600)
	configure(src, dir, second)
	later := time.Now().Add(time.Hour)
	os.Chtimes(path, later, later)
	_, err := src.Refresh(ctx)
	if src.List() != good {
		return fmt.Errorf("the last good list was replaced (refresh error %v)", err)
	}
	return err
}

func trustCases(t *testing.T) []hostileCase {
	return []hostileCase{
		{"Trust", "liste blanche with an e-mail address as `<Nom>` among good entries", "entry skipped and reported (`List.Skipped`), the other domains kept, the address's domain not guessed", func() error {
			l, err := trust.ParseList(strings.NewReader(string(trustList("2025-05-21T00:00:00Z", "a.mssante.fr", "someone@sub.domain.mssante.fr", "b.mssante.fr"))), nil)
			if err != nil {
				return err
			}
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
		}, accepted},
		{"Trust", "liste blanche refresh losing 60% of the domains (truncated download)", "`trust.ErrListShrunk` (`Source.MaxShrink`, default 50%); the last good list kept", func() error {
			return keptLastGood(t, trustList("2025-05-21T00:00:00Z", domainNames(10)...), trustList("2025-05-22T00:00:00Z", domainNames(4)...),
				func(*trust.Source, string, []byte) {})
		}, is(trust.ErrListShrunk)},
		{"Trust", "liste blanche not matching its checksum file", "`trust.ErrChecksum`; the last good list kept", func() error {
			return keptLastGood(t, trustList("2025-05-21T00:00:00Z", "a.mssante.fr"), trustList("2025-05-22T00:00:00Z", "a.mssante.fr", "evil.example"),
				func(src *trust.Source, dir string, next []byte) {
					sum := sha256.Sum256(trustList("2025-05-21T00:00:00Z", "a.mssante.fr")) // always the first list's
					h := hex.EncodeToString(sum[:])
					os.WriteFile(filepath.Join(dir, "checksum"), []byte(h+h), 0o600) // doubled, as published
					src.ChecksumLocation = filepath.Join(dir, "checksum")
				})
		}, is(trust.ErrChecksum)},
		{"Trust", "liste blanche https URL redirected to an http server", "`trust.ErrRedirect`; the http server is never asked", listDowngrade, is(trust.ErrRedirect)},
		{"Trust", "OCSP \"good\" two years old without nextUpdate, the CRL lists the certificate", "`trust.ErrRevoked` (OCSP answers older than 7 days without nextUpdate are refused; a CRL revocation wins over OCSP good)", func() error {
			return staleOCSP(t)
		}, is(trust.ErrRevoked)},
		{"Annuaire", "302 from the FHIR API to another host", "`annuaire.ErrRedirect`, not retried; the other host never receives `ESANTE-API-KEY`", apiKeyRedirect, is(annuaire.ErrRedirect)},
	}
}

// listDowngrade: an https list URL answers 302 to a plain http server.
func listDowngrade() error {
	var asked atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		w.Write(trustList("2025-05-21T00:00:00Z", "evil.example"))
	}))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.RedirectHandler(plain.URL+"/listeblanchemssante.xml", http.StatusFound))
	defer secure.Close()
	src := &trust.Source{Location: secure.URL + "/listeblanchemssante.xml", HTTPClient: secure.Client(), AllowHTTP: true}
	_, err := src.Refresh(context.Background())
	if asked.Load() != 0 || src.List() != nil {
		return fmt.Errorf("the http server was asked (%v)", err)
	}
	return err
}

// apiKeyRedirect: the API answers 302 to another server, which records
// whether the key reached it.
func apiKeyRedirect() error {
	var keys atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(annuaire.APIKeyHeader) != "" {
			keys.Add(1)
		}
		io.WriteString(w, `{"resourceType":"Practitioner","id":"evil"}`)
	}))
	defer foreign.Close()
	var hits atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, foreign.URL+r.URL.Path, http.StatusFound)
	}))
	defer api.Close()
	c, err := annuaire.NewClient(&annuaire.Options{BaseURL: api.URL + "/fhir/v2", APIKey: "SECRET-KEY", RateLimit: -1})
	if err != nil {
		return err
	}
	_, err = c.ReadPractitioner(context.Background(), "003-1")
	if keys.Load() != 0 || hits.Load() != 1 {
		return fmt.Errorf("key sent %d times, %d requests to the API (%v)", keys.Load(), hits.Load(), err)
	}
	return err
}

// staleOCSP: a CA-signed OCSP "good" with thisUpdate two years old and no
// nextUpdate, while the CRL lists the certificate.
func staleOCSP(t *testing.T) error {
	now := time.Now()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rootTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "AC RACINE IGC-SANTE TEST"},
		NotBefore: now.AddDate(-5, 0, 0), NotAfter: now.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, key.Public(), key)
	if err != nil {
		return err
	}
	root, _ := x509.ParseCertificate(rootDER)
	var crlDER []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/crl" {
			w.Write(crlDER)
			return
		}
		body, _ := io.ReadAll(r.Body)
		req, err := ocsp.ParseRequest(body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		der, _ := ocsp.CreateResponse(root, root, ocsp.Response{Status: ocsp.Good, SerialNumber: req.SerialNumber, ThisUpdate: now.AddDate(-2, 0, 0)}, key)
		w.Write(der)
	}))
	defer srv.Close()
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "smtp.operateur.test"}, DNSNames: []string{"smtp.operateur.test"},
		NotBefore: now.AddDate(-3, 0, 0), NotAfter: now.AddDate(1, 0, 0), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		OCSPServer: []string{srv.URL + "/ocsp"}, CRLDistributionPoints: []string{srv.URL + "/crl"}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, root, leafKey.Public(), key)
	if err != nil {
		return err
	}
	leaf, _ := x509.ParseCertificate(leafDER)
	crlDER, err = x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(2), ThisUpdate: now.Add(-time.Hour), NextUpdate: now.AddDate(0, 0, 7),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: leaf.SerialNumber, RevocationTime: now.AddDate(-1, 0, 0)}}}, root, key)
	if err != nil {
		return err
	}
	anchors, err := trust.NewAnchors([]*x509.Certificate{root}, nil)
	if err != nil {
		return err
	}
	_, err = (&trust.Verifier{Anchors: anchors}).Verify(context.Background(), leaf, &trust.VerifyOptions{DNSName: "smtp.operateur.test"})
	return err
}
