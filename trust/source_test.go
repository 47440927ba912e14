package trust

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// listServer serves a liste blanche over HTTPS with an ETag, answering
// conditional requests, and records what it was asked.
type listServer struct {
	mu       sync.Mutex
	body     []byte
	etag     string
	status   int // when not 0, answer this status instead
	requests int
	lastINM  string // If-None-Match of the last request
	lastIMS  string // If-Modified-Since of the last request
	checksum string
}

func (s *listServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path == "/checksum" {
		fmt.Fprintf(w, "%s  listeblanchemssante.xml\n", s.checksum)
		return
	}
	s.requests++
	s.lastINM, s.lastIMS = r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
	if s.status != 0 {
		w.WriteHeader(s.status)
		return
	}
	w.Header().Set("Last-Modified", "Thu, 13 Mar 2025 14:54:10 GMT")
	w.Header().Set("ETag", s.etag)
	if s.lastINM == s.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(s.body)
}

func (s *listServer) set(body []byte, etag string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.etag, s.status = body, etag, status
}

// listWithDate returns a generated list with the given generation date.
func listWithDate(date string, names ...string) []byte {
	var es []listEntry
	for _, n := range names {
		es = append(es, listEntry{name: n})
	}
	return bytes.Replace(genList(es, false), []byte("2025-03-13T14:54:10Z"), []byte(date), 1)
}

// startListServer starts an HTTPS server whose certificate comes from a test
// IGC-Santé-like hierarchy, and returns it with the anchors that trust it.
func startListServer(t *testing.T, ls *listServer) (*httptest.Server, *Anchors) {
	t.Helper()
	pki := newTestPKI(t, "")
	leaf, key := pki.issue(t, leafSpec{cn: "espacedeconfiance.test", ips: []net.IP{net.IPv4(127, 0, 0, 1)}, eku: serverEKU})
	srv := httptest.NewUnstartedServer(ls)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.tlsCert(leaf, key)}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, pki.anchors
}

func TestSourceConditionalGET(t *testing.T) {
	ls := &listServer{}
	ls.set(listWithDate("2025-03-13T14:54:10Z", "a.mssante.fr", "b.mssante.fr"), `"v1"`, 0)
	srv, anchors := startListServer(t, ls)
	src := &Source{Location: srv.URL + "/listeblanchemssante.xml?token=secret", Anchors: anchors}
	ctx := context.Background()

	if src.Contains("a.mssante.fr") || !errors.Is(src.CheckAddress("x@a.mssante.fr"), ErrNoList) {
		t.Fatal("a Source without a list must refuse everything")
	}
	changed, err := src.Refresh(ctx)
	if err != nil || !changed {
		t.Fatalf("first Refresh = %v, %v", changed, err)
	}
	if !src.Contains("a.mssante.fr") || src.CheckAddress("x@b.mssante.fr") != nil {
		t.Fatal("list not loaded")
	}
	if ls.lastINM != "" {
		t.Errorf("first request was conditional: If-None-Match %q", ls.lastINM)
	}

	changed, err = src.Refresh(ctx)
	if err != nil || changed {
		t.Fatalf("second Refresh = %v, %v; want unchanged", changed, err)
	}
	if ls.lastINM != `"v1"` || ls.lastIMS == "" {
		t.Errorf("second request: If-None-Match %q, If-Modified-Since %q", ls.lastINM, ls.lastIMS)
	}

	// Same content under a new ETag: not a change.
	ls.set(listWithDate("2025-03-13T14:54:10Z", "a.mssante.fr", "b.mssante.fr"), `"v1bis"`, 0)
	if changed, err := src.Refresh(ctx); err != nil || changed {
		t.Fatalf("same content: Refresh = %v, %v", changed, err)
	}

	ls.set(listWithDate("2025-03-14T10:00:00Z", "a.mssante.fr", "c.mssante.fr"), `"v2"`, 0)
	old := src.List()
	if changed, err := src.Refresh(ctx); err != nil || !changed {
		t.Fatalf("new list: Refresh = %v, %v", changed, err)
	}
	if src.Contains("b.mssante.fr") || !src.Contains("c.mssante.fr") || !old.Contains("b.mssante.fr") {
		t.Error("the new list must replace the old one, and the old *List stay intact")
	}
	if ls.requests != 4 {
		t.Errorf("%d requests, want 4", ls.requests)
	}
}

func TestSourceRefreshFailureKeepsList(t *testing.T) {
	ls := &listServer{}
	ls.set(listWithDate("2025-03-13T14:54:10Z", "a.mssante.fr"), `"v1"`, 0)
	srv, anchors := startListServer(t, ls)
	src := &Source{Location: srv.URL + "/l.xml?token=secret", Anchors: anchors}
	ctx := context.Background()
	if _, err := src.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	good := src.List()
	failures := []struct {
		name string
		body []byte
		code int
		want error
	}{
		{"server error", nil, http.StatusInternalServerError, nil},
		{"truncated list", listWithDate("2025-03-15T00:00:00Z", "a.mssante.fr")[:300], 0, ErrMalformedList},
		{"older list (rollback)", listWithDate("2025-01-01T00:00:00Z", "a.mssante.fr", "evil.mssante.fr"), 0, ErrListRollback},
	}
	for i, f := range failures {
		ls.set(f.body, fmt.Sprintf(`"bad%d"`, i), f.code)
		changed, err := src.Refresh(ctx)
		if err == nil || changed {
			t.Fatalf("%s: Refresh = %v, %v; want an error", f.name, changed, err)
		}
		if f.want != nil && !errors.Is(err, f.want) {
			t.Errorf("%s: err = %v, want %v", f.name, err, f.want)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error leaks the URL query: %v", f.name, err)
		}
		if src.List() != good || !src.Contains("a.mssante.fr") {
			t.Fatalf("%s: the last good list was not kept", f.name)
		}
		if st := src.Status(); st.LastError == nil || st.Entries != 1 {
			t.Errorf("%s: Status = %+v", f.name, st)
		}
	}
	ls.set(listWithDate("2025-03-16T00:00:00Z", "a.mssante.fr", "d.mssante.fr"), `"v3"`, 0)
	if changed, err := src.Refresh(ctx); err != nil || !changed || src.Status().LastError != nil {
		t.Fatalf("recovery: %v, %v", changed, err)
	}
}

func TestSourceChecksum(t *testing.T) {
	body := listWithDate("2025-03-13T14:54:10Z", "a.mssante.fr")
	sum := sha256.Sum256(body)
	ls := &listServer{checksum: hex.EncodeToString(sum[:])}
	ls.set(body, `"v1"`, 0)
	srv, anchors := startListServer(t, ls)
	ctx := context.Background()

	bad := &Source{Location: srv.URL + "/l.xml", Anchors: anchors, SHA256: strings.Repeat("00", 32)}
	if _, err := bad.Refresh(ctx); !errors.Is(err, ErrChecksum) || bad.List() != nil {
		t.Errorf("wrong SHA256: err = %v", err)
	}
	pinned := &Source{Location: srv.URL + "/l.xml", Anchors: anchors, SHA256: strings.ToUpper(ls.checksum)}
	if _, err := pinned.Refresh(ctx); err != nil || !pinned.Contains("a.mssante.fr") {
		t.Errorf("right SHA256: %v", err)
	}
	if st := pinned.Status(); st.SHA256 != ls.checksum {
		t.Errorf("Status.SHA256 = %s", st.SHA256)
	}
	viaURL := &Source{Location: srv.URL + "/l.xml", Anchors: anchors, ChecksumLocation: srv.URL + "/checksum"}
	if _, err := viaURL.Refresh(ctx); err != nil || !viaURL.Contains("a.mssante.fr") {
		t.Errorf("ChecksumLocation: %v", err)
	}
	ls.set(listWithDate("2025-03-14T00:00:00Z", "a.mssante.fr", "evil.mssante.fr"), `"v2"`, 0)
	if _, err := viaURL.Refresh(ctx); !errors.Is(err, ErrChecksum) || viaURL.Contains("evil.mssante.fr") {
		t.Errorf("ChecksumLocation mismatch: err = %v", err)
	}
}

func TestSourceTLSAndConfig(t *testing.T) {
	ls := &listServer{}
	ls.set(listWithDate("2025-03-13T14:54:10Z", "a.mssante.fr"), `"v1"`, 0)
	srv, _ := startListServer(t, ls)
	ctx := context.Background()

	// Anchors of another hierarchy: the TLS handshake fails.
	other := newTestPKI(t, "")
	if _, err := (&Source{Location: srv.URL, Anchors: other.anchors}).Refresh(ctx); err == nil {
		t.Error("a server outside the anchors was accepted")
	}
	if _, err := (&Source{Location: srv.URL + "/l.xml?token=secret", Anchors: other.anchors}).Refresh(ctx); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("transport error must not show the URL query: %v", err)
	}
	if _, err := (&Source{Location: srv.URL}).Refresh(ctx); !errors.Is(err, ErrNoAnchors) {
		t.Errorf("no anchors: err = %v", err)
	}
	plain := httptest.NewServer(ls)
	defer plain.Close()
	if _, err := (&Source{Location: plain.URL, HTTPClient: plain.Client()}).Refresh(ctx); err == nil || !strings.Contains(err.Error(), "http://") {
		t.Errorf("plain http: err = %v", err)
	}
	src := &Source{Location: plain.URL, HTTPClient: plain.Client(), AllowHTTP: true}
	if _, err := src.Refresh(ctx); err != nil {
		t.Errorf("AllowHTTP: %v", err)
	}
}

func TestSourceFileAndClock(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lb.xml")
	if err := os.WriteFile(path, listWithDate("2025-03-13T14:54:10Z", "a.mssante.fr"), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 3, 14, 14, 54, 10, 0, time.UTC)
	src := &Source{Location: path, Clock: clockFunc(func() time.Time { return now }), Interval: 6 * time.Hour}
	ctx := context.Background()
	if !src.Due() {
		t.Error("Due before the first load")
	}
	if changed, err := src.Refresh(ctx); err != nil || !changed {
		t.Fatal(changed, err)
	}
	if src.Age() != 24*time.Hour || src.Status().Age != 24*time.Hour {
		t.Errorf("Age = %v", src.Age())
	}
	if src.Due() {
		t.Error("Due right after a refresh")
	}
	if changed, err := src.Refresh(ctx); err != nil || changed {
		t.Errorf("unchanged file: %v, %v", changed, err)
	}
	now = now.Add(7 * time.Hour)
	if !src.Due() {
		t.Error("not Due after Interval")
	}
	if err := os.WriteFile(path, listWithDate("2025-03-15T00:00:00Z", "b.mssante.fr"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(path, now, now)
	if changed, err := (src).Refresh(ctx); err != nil || !changed || !src.Contains("b.mssante.fr") {
		t.Errorf("changed file: %v, %v", changed, err)
	}
	os.Remove(path)
	if _, err := src.Refresh(ctx); err == nil || !src.Contains("b.mssante.fr") {
		t.Errorf("missing file: err = %v; the list must stay", err)
	}
	fileURL := &Source{Location: "file://" + filepath.ToSlash(dir) + "/none.xml"}
	if _, err := fileURL.Refresh(ctx); err == nil {
		t.Error("missing file:// list accepted")
	}
}

// TestSourceConcurrentReaders runs readers during refreshes (run with -race).
func TestSourceConcurrentReaders(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lb.xml")
	os.WriteFile(path, listWithDate("2025-03-13T00:00:00Z", "a.mssante.fr"), 0o600)
	src := &Source{Location: path}
	ctx := context.Background()
	if _, err := src.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if !src.Contains("a.mssante.fr") {
					t.Error("a.mssante.fr vanished during a refresh")
					return
				}
				_ = src.Status()
			}
		}()
	}
	for i := 0; i < 20; i++ {
		date := time.Date(2025, 3, 14, 0, i, 0, 0, time.UTC).Format(time.RFC3339)
		os.WriteFile(path, listWithDate(date, "a.mssante.fr", fmt.Sprintf("n%d.mssante.fr", i)), 0o600)
		mod := time.Now().Add(time.Duration(i) * time.Second)
		os.Chtimes(path, mod, mod)
		if _, err := src.Refresh(ctx); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
}

func TestSourceRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lb.xml")
	os.WriteFile(path, listWithDate("2025-03-13T00:00:00Z", "a.mssante.fr"), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	src := &Source{Location: path, OnRefresh: func(changed bool, err error) {
		if err != nil || !changed {
			t.Errorf("OnRefresh(%v, %v)", changed, err)
		}
		cancel()
	}}
	go func() { done <- src.Run(ctx) }()
	if err := <-done; !errors.Is(err, context.Canceled) || !src.Contains("a.mssante.fr") {
		t.Errorf("Run = %v", err)
	}
}
