package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
	"github.com/mssante-go/sdk/internal/testpki"
)

// runCLITerminal runs a command line as if standard error were a terminal.
func runCLITerminal(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), &env{stdout: &out, stderr: &errOut, tty: true}, args)
	return code, out.String(), errOut.String()
}

// writeExtraction writes an extraction of n rows and returns its path and
// bytes.
func writeExtraction(t *testing.T, n int) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	if _, err := annuairetest.WriteExtraction(&b, &annuairetest.ExtractionOptions{Rows: n, Seed: 11}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "Extraction_Correspondance_MSSante.txt")
	os.WriteFile(path, b.Bytes(), 0o600)
	return path, b.Bytes()
}

// Long runs draw a bar on a terminal, and nothing with --json or when
// standard error is not a terminal.
func TestProgressOnlyOnATerminal(t *testing.T) {
	path, _ := writeExtraction(t, 3000)
	code, stdout, stderr := runCLITerminal(t, "annuaire", "index", path)
	if code != 0 || !strings.Contains(stdout, "rows: 3000") || !strings.Contains(stderr, "indexing Extraction_Correspondance_MSSante.txt") {
		t.Errorf("terminal: %d %q %q", code, stdout, stderr)
	}
	if code, _, stderr := runCLITerminal(t, "annuaire", "index", path, "--json"); code != 0 || stderr != "" {
		t.Errorf("--json: %d %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "annuaire", "index", path); code != 0 || stderr != "" {
		t.Errorf("not a terminal: %d %q", code, stderr)
	}

	// sync counts the messages when its list goes elsewhere.
	s := newOperator(t, "a@medecin.mssante.fr", "b@ch-test.mssante.fr")
	sandboxEnv(t, s, "a@medecin.mssante.fr")
	for i := 0; i < 3; i++ {
		if code, _, stderr := runCLI(t, "send", "--to", "b@ch-test.mssante.fr", "--subject", "s", "--text", "t"); code != 0 {
			t.Fatal(stderr)
		}
	}
	sandboxEnv(t, s, "b@ch-test.mssante.fr")
	if code, stdout, stderr := runCLITerminal(t, "sync"); code != 0 || !strings.Contains(stdout, "3 new message(s)") || !strings.Contains(stderr, "syncing INBOX") {
		t.Errorf("sync: %d %q %q", code, stdout, stderr)
	}
	if code, _, stderr := runCLITerminal(t, "sync", "--json"); code != 0 || stderr != "" {
		t.Errorf("sync --json: %d %q", code, stderr)
	}
}

// A liste blanche downloaded over https shows its bytes.
func TestProgressListDownload(t *testing.T) {
	pki, err := testpki.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := pki.ServerCertificate("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(testList)) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	anchors := writeFile(t, "ca.pem", string(testpki.PEM(pki.Root)))
	code, stdout, stderr := runCLITerminal(t, "trust", "info", "--list", srv.URL+"/liste.xml", "--anchors", anchors)
	if code != 0 || !strings.Contains(stdout, "domains:   2") || !strings.Contains(stderr, "liste blanche") {
		t.Errorf("%d %q %q", code, stdout, stderr)
	}
	if code, _, stderr := runCLITerminal(t, "trust", "info", "--list", srv.URL+"/liste.xml", "--anchors", anchors, "--json"); code != 0 || stderr != "" {
		t.Errorf("--json: %d %q", code, stderr)
	}
}

// mss annuaire opens a ZIP extraction itself, to count its bytes: it must
// read the member annuaire.OpenExtraction reads.
func TestOpenExtractionZIP(t *testing.T) {
	_, small := writeExtraction(t, 20)
	big := func() []byte {
		var b bytes.Buffer
		annuairetest.WriteExtraction(&b, &annuairetest.ExtractionOptions{Rows: 70, Seed: 5})
		return b.Bytes()
	}()
	for _, members := range [][]struct {
		name string
		data []byte
	}{
		{{"notes.txt", small}, {"sub/Extraction_Correspondance_MSSante_2026.txt", big}},
		{{"a/first.txt", big}, {"second.txt", small}},
		{{"readme.md", small}, {"EXTRACTION.TXT", big}},
	} {
		var zb bytes.Buffer
		zw := zip.NewWriter(&zb)
		for _, m := range members {
			w, _ := zw.Create(m.name)
			w.Write(m.data)
		}
		zw.Close()
		path := filepath.Join(t.TempDir(), "extraction.zip")
		os.WriteFile(path, zb.Bytes(), 0o600)
		want, err := annuaire.LoadIndex(context.Background(), path, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runCLI(t, "annuaire", "index", path, "--json")
		var got struct{ Rows int }
		if code != 0 || json.Unmarshal([]byte(stdout), &got) != nil || got.Rows != want.Len() || got.Rows == 0 {
			t.Errorf("%s, %s: %d rows, want %d (%d %s)", members[0].name, members[1].name, got.Rows, want.Len(), code, stderr)
		}
	}
	// No text member.
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("x.csv")
	w.Write(small)
	zw.Close()
	path := filepath.Join(t.TempDir(), "none.zip")
	os.WriteFile(path, zb.Bytes(), 0o600)
	if code, _, stderr := runCLI(t, "annuaire", "index", path); code != 1 || !strings.Contains(stderr, "none.zip: ") {
		t.Errorf("no text member: %d %q", code, stderr)
	}
}
