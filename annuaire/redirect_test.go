package annuaire_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
)

// keyRecorder is a server that records the API keys it receives and
// answers a FHIR Practitioner.
type keyRecorder struct {
	mu   sync.Mutex
	keys []string
}

func (k *keyRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	k.keys = append(k.keys, r.Header.Get(annuaire.APIKeyHeader))
	k.mu.Unlock()
	w.Header().Set("Content-Type", "application/fhir+json")
	io.WriteString(w, `{"resourceType":"Practitioner","id":"evil"}`)
}

func (k *keyRecorder) received() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.keys...)
}

// redirector answers 302 to target+path, and counts the requests.
type redirector struct {
	mu     sync.Mutex
	hits   int
	target string
}

func (rd *redirector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rd.mu.Lock()
	rd.hits++
	target := rd.target
	rd.mu.Unlock()
	if strings.HasSuffix(r.URL.Path, "/same") {
		// A same-host redirect: to the local handler below.
		http.Redirect(w, r, "/fhir/v2/Practitioner/local", http.StatusFound)
		return
	}
	if strings.HasSuffix(r.URL.Path, "/local") {
		w.Header().Set("Content-Type", "application/fhir+json")
		io.WriteString(w, `{"resourceType":"Practitioner","id":"local"}`)
		return
	}
	http.Redirect(w, r, target+r.URL.Path, http.StatusFound)
}

// TestAPIKeyNeverFollowsCrossHostRedirect: a 302 to another host is
// refused with ErrRedirect before the other host is asked, so the
// ESANTE-API-KEY header never reaches it; the refusal is not retried.
func TestAPIKeyNeverFollowsCrossHostRedirect(t *testing.T) {
	foreign := &keyRecorder{}
	foreignSrv := httptest.NewServer(foreign)
	defer foreignSrv.Close()
	rd := &redirector{target: foreignSrv.URL}
	api := httptest.NewServer(rd)
	defer api.Close()

	for name, hc := range map[string]*http.Client{"default client": nil, "caller's client": api.Client()} {
		t.Run(name, func(t *testing.T) {
			rd.mu.Lock()
			rd.hits = 0
			rd.mu.Unlock()
			c, err := annuaire.NewClient(&annuaire.Options{BaseURL: api.URL + "/fhir/v2", APIKey: testKey, HTTPClient: hc, RateLimit: -1})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ReadPractitioner(context.Background(), "003-1")
			var re *annuaire.RedirectError
			if !errors.Is(err, annuaire.ErrRedirect) || !errors.As(err, &re) || !re.CrossHost {
				t.Fatalf("err = %v, want ErrRedirect (cross-host)", err)
			}
			if got := foreign.received(); len(got) != 0 {
				t.Fatalf("the foreign host was asked %d times (keys %q)", len(got), got)
			}
			if rd.hits != 1 {
				t.Errorf("%d requests: a refused redirect must not be retried", rd.hits)
			}
			// Searches go the same way.
			for _, err := range c.Practitioners(context.Background(), nil) {
				if !errors.Is(err, annuaire.ErrRedirect) {
					t.Errorf("search: err = %v", err)
				}
			}
			if got := foreign.received(); len(got) != 0 {
				t.Fatalf("search: the foreign host was asked (keys %q)", got)
			}
			// A redirect on the same host is followed, key included.
			p, err := c.ReadPractitioner(context.Background(), "same")
			if err != nil || p.ID != "local" {
				t.Errorf("same-host redirect: %v, %+v", err, p)
			}
		})
	}
	if hc := http.DefaultClient; hc.CheckRedirect != nil {
		t.Error("the package changed http.DefaultClient")
	}
}

// TestDownloadRedirects: the extraction download refuses https to http,
// and follows another host (the data.gouv.fr mirror redirects to its file
// server).
func TestDownloadRedirects(t *testing.T) {
	file := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "Type de BAL|Adresse BAL\n") })
	plain := httptest.NewServer(file)
	defer plain.Close()
	secureFile := httptest.NewTLSServer(file)
	defer secureFile.Close()
	rd := &redirector{}
	secure := httptest.NewTLSServer(rd)
	defer secure.Close()
	dir := t.TempDir()
	ctx := context.Background()

	rd.target = plain.URL
	_, err := annuaire.DownloadExtraction(ctx, filepath.Join(dir, "a.txt"), &annuaire.DownloadOptions{URL: secure.URL + "/x", HTTPClient: secure.Client()})
	var re *annuaire.RedirectError
	if !errors.Is(err, annuaire.ErrRedirect) || !errors.As(err, &re) || !re.Downgrade {
		t.Fatalf("https -> http: err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.txt")); err == nil {
		t.Error("a file was written")
	}
	rd.mu.Lock()
	rd.target = secureFile.URL
	rd.mu.Unlock()
	res, err := annuaire.DownloadExtraction(ctx, filepath.Join(dir, "b.txt"), &annuaire.DownloadOptions{URL: secure.URL + "/x", HTTPClient: secure.Client()})
	if err != nil || !res.Modified {
		t.Fatalf("https -> https on another host: %v", err)
	}
}
