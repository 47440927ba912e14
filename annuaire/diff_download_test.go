package annuaire_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/trust"
)

func indexOf(t *testing.T, lines ...string) *annuaire.Index {
	t.Helper()
	er, err := annuaire.NewExtractionReader(strings.NewReader(header31+"\n"+strings.Join(lines, "\n")), nil)
	if err != nil {
		t.Fatal(err)
	}
	x, err := annuaire.BuildIndex(context.Background(), er, nil)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestDiff(t *testing.T) {
	per := func(addr, name string) string {
		return row31(map[annuaire.Column]string{annuaire.ColMailboxType: "PER", annuaire.ColAddress: addr, annuaire.ColLastName: name})
	}
	old := indexOf(t,
		per("kept@x.fr", "A"),
		per("gone@x.fr", "B"),
		per("renamed@x.fr", "C"),
		per("dup@x.fr", "D"), per("DUP@x.fr", "D2"),
	)
	new := indexOf(t,
		per("new@x.fr", "E"),
		per("dup@x.fr", "D2"), per("dup@x.fr", "D"), // same set, other order and case
		per("Kept@X.fr", "A"), // case changes only: changed (the address text differs)
		per("renamed@x.fr", "C+"),
	)
	d := annuaire.Diff(old, new)
	addrs := func(rs []annuaire.Row) string {
		var s []string
		for _, r := range rs {
			s = append(s, r.Address)
		}
		return strings.Join(s, ",")
	}
	if got := addrs(d.Added); got != "new@x.fr" {
		t.Errorf("Added = %s", got)
	}
	if got := addrs(d.Removed); got != "gone@x.fr" {
		t.Errorf("Removed = %s", got)
	}
	var changed []string
	for _, c := range d.Changed {
		changed = append(changed, c.Address)
	}
	// dup@ differs only in the case of one line's address: also a change.
	if got := strings.Join(changed, ","); got != "dup@x.fr,Kept@X.fr,renamed@x.fr" {
		t.Errorf("Changed = %s", got)
	}
	if d := annuaire.Diff(old, old); len(d.Added)+len(d.Removed)+len(d.Changed) != 0 {
		t.Errorf("self diff = %+v", d)
	}
}

func TestDownloadExtraction(t *testing.T) {
	var body bytes.Buffer
	annuairetest.WriteExtraction(&body, &annuairetest.ExtractionOptions{Rows: 50})
	var gets, notModified int
	status := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gets++
		if status != 0 {
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(status)
			fmt.Fprint(w, "Too many requests")
			return
		}
		if r.Header.Get("If-None-Match") == `"v1"` {
			notModified++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Disposition", "attachment; filename=Extraction_Correspondance_MSSante_202608260300.txt")
		w.Write(body.Bytes())
	}))
	defer srv.Close()
	ctx := context.Background()
	cache := filepath.Join(t.TempDir(), "mss.txt")
	opts := &annuaire.DownloadOptions{URL: srv.URL}

	res, err := annuaire.DownloadExtraction(ctx, cache, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Modified || res.FileName != "Extraction_Correspondance_MSSante_202608260300.txt" || res.Size != int64(body.Len()) {
		t.Errorf("first download = %+v", res)
	}
	res, err = annuaire.DownloadExtraction(ctx, cache, opts)
	if err != nil || res.Modified || notModified != 1 || res.FileName == "" {
		t.Errorf("second download = %+v, %v (304s: %d)", res, err, notModified)
	}
	x, err := annuaire.LoadIndex(ctx, cache, nil, nil)
	if err != nil || x.Len() != 50 {
		t.Errorf("cached file: %v", err)
	}

	// A throttled download leaves the cache alone.
	os.Remove(cache + ".meta.json")
	status = http.StatusTooManyRequests
	_, err = annuaire.DownloadExtraction(ctx, cache, opts)
	var apiErr *annuaire.APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, annuaire.ErrRateLimited) || apiErr.RetryAfter.Seconds() != 60 {
		t.Errorf("429: %v", err)
	}
	if b, _ := os.ReadFile(cache); !bytes.Equal(b, body.Bytes()) {
		t.Error("cache damaged by a failed download")
	}

	// Too large.
	status = 0
	_, err = annuaire.DownloadExtraction(ctx, filepath.Join(t.TempDir(), "x.txt"), &annuaire.DownloadOptions{URL: srv.URL, MaxSize: 100})
	if !errors.Is(err, annuaire.ErrTooLarge) {
		t.Errorf("size limit: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(cache))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".part-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// The ANS host presents an IGC-Santé certificate: with Anchors the download
// trusts those roots only, and without them it fails.
func TestDownloadWithIGCSanteAnchors(t *testing.T) {
	pki, err := testpki.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := pki.ServerCertificate("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	annuairetest.WriteExtraction(&body, &annuairetest.ExtractionOptions{Rows: 5})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body.Bytes()) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	anchors, err := trust.NewAnchors([]*x509.Certificate{pki.Root}, []*x509.Certificate{pki.Intermediate})
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(t.TempDir(), "mss.txt")
	if _, err := annuaire.DownloadExtraction(context.Background(), cache, &annuaire.DownloadOptions{URL: srv.URL, Anchors: anchors}); err != nil {
		t.Fatalf("with anchors: %v", err)
	}
	if _, err := annuaire.DownloadExtraction(context.Background(), cache+"2", &annuaire.DownloadOptions{URL: srv.URL}); err == nil {
		t.Fatal("the system roots accepted a certificate of the test hierarchy")
	}
}
