package trust

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
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

// logRecorder is a slog handler keeping the records.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r)
	return nil
}
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

// warnings returns the messages and attributes of the Warn records.
func (h *logRecorder) warnings() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.records {
		if r.Level != slog.LevelWarn {
			continue
		}
		s := r.Message
		r.Attrs(func(a slog.Attr) bool { s += " " + a.String(); return true })
		out = append(out, s)
	}
	return out
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSourceSkippedEntries: a list with an e-mail address as <Nom> loads,
// without that entry; Status counts it and the Logger reports it once per
// refresh that loads the list.
func TestSourceSkippedEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lb.xml")
	body := listWithDate("2025-03-13T14:54:10Z", "a.mssante.fr", "someone@sub.domain.mssante.fr", "b.mssante.fr")
	writeFile(t, path, body)
	logs := &logRecorder{}
	src := &Source{Location: path, Logger: slog.New(logs)}
	ctx := context.Background()
	if changed, err := src.Refresh(ctx); err != nil || !changed {
		t.Fatalf("Refresh = %v, %v", changed, err)
	}
	if !src.Contains("a.mssante.fr") || !src.Contains("b.mssante.fr") || src.Contains("sub.domain.mssante.fr") {
		t.Errorf("domains %q", src.List().Domains())
	}
	if st := src.Status(); st.Skipped != 1 || st.Domains != 2 {
		t.Errorf("Status = %+v", st)
	}
	w := logs.warnings()
	if len(w) != 1 || !strings.Contains(w[0], "skipped=1") || !strings.Contains(w[0], `someone@sub.domain.mssante.fr`) || !strings.Contains(w[0], "an e-mail address") {
		t.Fatalf("warnings = %q", w)
	}
	// Unchanged: nothing more is reported.
	if changed, err := src.Refresh(ctx); err != nil || changed || len(logs.warnings()) != 1 {
		t.Errorf("unchanged refresh: %v, %v, warnings %q", changed, err, logs.warnings())
	}
}

// TestSourceShrink: a refresh may not remove more than MaxShrink of the
// trust space; the current list stays and the reason is reported.
func TestSourceShrink(t *testing.T) {
	names := func(n int) []string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, fmt.Sprintf("d%d.mssante.fr", i))
		}
		return out
	}
	path := filepath.Join(t.TempDir(), "lb.xml")
	ctx := context.Background()
	logs := &logRecorder{}
	src := &Source{Location: path, Logger: slog.New(logs)}
	day := 10
	load := func(n int) (bool, error) {
		day++
		writeFile(t, path, listWithDate(fmt.Sprintf("2025-03-%02dT00:00:00Z", day), names(n)...))
		return src.Refresh(ctx)
	}
	if _, err := load(10); err != nil {
		t.Fatal(err)
	}
	// Exactly half: allowed.
	if changed, err := load(5); err != nil || !changed {
		t.Fatalf("10 -> 5 domains: %v, %v", changed, err)
	}
	// 5 -> 2 loses 60 %.
	good := src.List()
	_, err := load(2)
	var se *ShrinkError
	if !errors.Is(err, ErrListShrunk) || !errors.As(err, &se) || se.Previous != 5 || se.Current != 2 || se.MaxShrink != DefaultMaxShrink {
		t.Fatalf("5 -> 2 domains: err = %v", err)
	}
	if src.List() != good || !errors.Is(src.Status().LastError, ErrListShrunk) {
		t.Error("the last good list was not kept")
	}
	if w := logs.warnings(); len(w) != 1 || !strings.Contains(w[0], "losing 60%") {
		t.Errorf("warnings = %q", w)
	}
	// A stricter share, and no limit.
	src.MaxShrink = 0.1
	if _, err := load(4); !errors.Is(err, ErrListShrunk) {
		t.Errorf("MaxShrink 0.1, 5 -> 4: err = %v", err)
	}
	src.MaxShrink = 1
	if changed, err := load(1); err != nil || !changed || src.List().DomainCount() != 1 {
		t.Errorf("MaxShrink 1: %v, %v", changed, err)
	}
	// Growing is never limited.
	src.MaxShrink = 0
	if _, err := load(100); err != nil {
		t.Errorf("growth: %v", err)
	}
}

// TestSourceChecksumFile: the checksum file is read from a path too, and
// its published form (the digest written twice, white space around) is
// accepted; a mismatch keeps the last good list.
func TestSourceChecksumFile(t *testing.T) {
	dir := t.TempDir()
	list, sumFile := filepath.Join(dir, "lb.xml"), filepath.Join(dir, "checksum")
	body := listWithDate("2025-03-13T14:54:10Z", "a.mssante.fr")
	sum := sha256.Sum256(body)
	hexSum := hex.EncodeToString(sum[:])
	writeFile(t, list, body)
	ctx := context.Background()
	for name, content := range map[string]string{
		"single":                      hexSum,
		"doubled, as the ANS has it":  hexSum + hexSum,
		"doubled, upper case, spaces": "\n  " + strings.ToUpper(hexSum+hexSum) + " \r\n",
		"sha256sum layout":            hexSum + "  listeblanchemssante.xml\n",
	} {
		writeFile(t, sumFile, []byte(content))
		src := &Source{Location: list, ChecksumLocation: sumFile}
		if _, err := src.Refresh(ctx); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, content := range map[string]string{
		"empty":                 " \n",
		"halves differ":         hexSum + strings.Repeat("0", 64),
		"too short":             hexSum[:60],
		"not hex":               strings.Repeat("zz", 32),
		"tripled":               hexSum + hexSum + hexSum,
		"another list's digest": strings.Repeat("ab", 64),
	} {
		writeFile(t, sumFile, []byte(content))
		src := &Source{Location: list, ChecksumLocation: "file://" + filepath.ToSlash(sumFile)}
		if _, err := src.Refresh(ctx); !errors.Is(err, ErrChecksum) || src.List() != nil {
			t.Errorf("%s: err = %v", name, err)
		}
	}

	// A mismatch on refresh keeps the last good list.
	writeFile(t, sumFile, []byte(hexSum+hexSum))
	src := &Source{Location: list, ChecksumLocation: sumFile}
	if _, err := src.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	good := src.List()
	writeFile(t, list, listWithDate("2025-03-14T00:00:00Z", "a.mssante.fr", "evil.mssante.fr"))
	if _, err := src.Refresh(ctx); !errors.Is(err, ErrChecksum) || src.List() != good || src.Contains("evil.mssante.fr") {
		t.Errorf("mismatch: err = %v", err)
	}
	if _, err := (&Source{Location: list, ChecksumLocation: filepath.Join(dir, "none")}).Refresh(ctx); err == nil {
		t.Error("a missing checksum file was ignored")
	}
	if _, err := (&Source{Location: list, ChecksumLocation: "http://127.0.0.1:1/checksum"}).Refresh(ctx); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("checksum over plain http without AllowHTTP: err = %v", err)
	}
}

// TestSourceVerbatimChecksum checks the list the ANS published on
// 2025-05-21 against the checksum file published beside it.
func TestSourceVerbatimChecksum(t *testing.T) {
	dir := sharedDir(t, "listeblanche")
	src := &Source{
		Location:         filepath.Join(dir, "listeblanchemssante-2025-05-21.xml"),
		ChecksumLocation: filepath.Join(dir, "checksum-2025-05-21"),
	}
	if _, err := src.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := src.Status(); st.Entries != 619 || st.Domains != 516 || st.Skipped != 0 {
		t.Errorf("Status = %+v", st)
	}
	data := readShared(t, "listeblanche", "checksum-2025-05-21")
	if sum, err := parseChecksum(data); err != nil || hex.EncodeToString(sum) != src.Status().SHA256 {
		t.Errorf("checksum file %q: %x, %v", data, sum, err)
	}
}

// tlsServers starts HTTPS servers with certificates of one test hierarchy
// and returns them with the anchors that trust them.
func tlsServers(t *testing.T, handlers ...http.Handler) ([]*httptest.Server, *Anchors) {
	t.Helper()
	pki := newTestPKI(t, "")
	leaf, key := pki.issue(t, leafSpec{cn: "espacedeconfiance.test", ips: []net.IP{net.IPv4(127, 0, 0, 1)}, eku: serverEKU})
	var out []*httptest.Server
	for _, h := range handlers {
		srv := httptest.NewUnstartedServer(h)
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.tlsCert(leaf, key)}}
		srv.StartTLS()
		t.Cleanup(srv.Close)
		out = append(out, srv)
	}
	return out, pki.anchors
}

// redirectTo answers every request with a 302 to *target + the path.
func redirectTo(target *string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, *target+r.URL.Path, http.StatusFound)
	})
}

// countingList serves body and counts requests.
type countingList struct {
	mu   sync.Mutex
	hits int
	body []byte
}

func (c *countingList) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.hits++
	c.mu.Unlock()
	if strings.HasSuffix(r.URL.Path, "/checksum") {
		sum := sha256.Sum256(c.body)
		w.Write([]byte(hex.EncodeToString(sum[:])))
		return
	}
	w.Write(c.body)
}

// TestSourceRedirects: the list never comes over http after https, nor from
// another host unless RedirectHosts names it.
func TestSourceRedirects(t *testing.T) {
	ctx := context.Background()
	evil := &countingList{body: listWithDate("2025-03-13T14:54:10Z", "a.mssante.fr", "evil.mssante.fr")}
	plain := httptest.NewServer(evil)
	defer plain.Close()
	var target string
	srvs, anchors := tlsServers(t, redirectTo(&target), evil)
	redirector, other := srvs[0], srvs[1]

	// https -> http, even with AllowHTTP (which is about Location).
	target = plain.URL
	for _, allowHTTP := range []bool{false, true} {
		src := &Source{Location: redirector.URL + "/l.xml", Anchors: anchors, AllowHTTP: allowHTTP, RedirectHosts: []string{"127.0.0.1"}}
		_, err := src.Refresh(ctx)
		var re *RedirectError
		if !errors.Is(err, ErrRedirect) || !errors.As(err, &re) || !re.Downgrade || src.List() != nil {
			t.Errorf("AllowHTTP %v: https -> http: err = %v", allowHTTP, err)
		}
	}
	if evil.hits != 0 {
		t.Errorf("the http server was asked %d times", evil.hits)
	}

	// https -> https on another host (port).
	target = other.URL
	src := &Source{Location: redirector.URL + "/l.xml", Anchors: anchors}
	_, err := src.Refresh(ctx)
	var re *RedirectError
	if !errors.Is(err, ErrRedirect) || !errors.As(err, &re) || !re.CrossHost || src.List() != nil {
		t.Errorf("cross-host: err = %v", err)
	}
	// The checksum download follows the same rule.
	src = &Source{Location: other.URL + "/l.xml", ChecksumLocation: redirector.URL + "/checksum", Anchors: anchors}
	if _, err := src.Refresh(ctx); !errors.Is(err, ErrRedirect) {
		t.Errorf("cross-host checksum: err = %v", err)
	}
	// Allowed when configured, also with a caller's HTTPClient.
	host := strings.TrimPrefix(other.URL, "https://")
	src = &Source{Location: redirector.URL + "/l.xml", ChecksumLocation: redirector.URL + "/checksum", Anchors: anchors, RedirectHosts: []string{host}}
	if _, err := src.Refresh(ctx); err != nil || !src.Contains("a.mssante.fr") {
		t.Errorf("RedirectHosts: %v", err)
	}
	src = &Source{Location: redirector.URL + "/l.xml", HTTPClient: anchors.HTTPClient(0)}
	if _, err := src.Refresh(ctx); !errors.Is(err, ErrRedirect) {
		t.Errorf("caller's HTTPClient: err = %v", err)
	}
}

// TestFetchAnchorsRedirects: the CA bundle follows the same rules.
func TestFetchAnchorsRedirects(t *testing.T) {
	pki := newTestPKI(t, "")
	bundle := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pki.root.Raw})
	serve := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(bundle) })
	plain := httptest.NewServer(serve)
	defer plain.Close()
	var target string
	srvs, anchors := tlsServers(t, redirectTo(&target), serve)
	client := anchors.HTTPClient(0)
	ctx := context.Background()
	opts := &AnchorOptions{TrustBundleRoots: true}

	target = plain.URL
	if _, err := FetchAnchors(ctx, client, srvs[0].URL+"/b.p7b", &AnchorOptions{TrustBundleRoots: true, RedirectHosts: []string{"127.0.0.1"}}); !errors.Is(err, ErrRedirect) {
		t.Errorf("https -> http: err = %v", err)
	}
	target = srvs[1].URL
	if _, err := FetchAnchors(ctx, client, srvs[0].URL+"/b.p7b", opts); !errors.Is(err, ErrRedirect) {
		t.Errorf("cross-host: err = %v", err)
	}
	a, err := FetchAnchors(ctx, client, srvs[0].URL+"/b.p7b", &AnchorOptions{TrustBundleRoots: true, RedirectHosts: []string{strings.TrimPrefix(srvs[1].URL, "https://")}})
	if err != nil || len(a.Roots()) != 1 {
		t.Errorf("RedirectHosts: %v", err)
	}
	// A plain http bundle URL (DefaultBundleURL is one) still works.
	if _, err := FetchAnchors(ctx, nil, plain.URL+"/b.p7b", opts); err != nil {
		t.Errorf("http bundle: %v", err)
	}
}

// TestCRLRedirects: a CRL asked over https is not taken from http; an
// http one may move to another host.
func TestCRLRedirects(t *testing.T) {
	e := newRevEnv(t) // e.url is a plain http server with the CRLs
	var target string
	srvs, anchors := tlsServers(t, redirectTo(&target))
	cache := &CRLCache{HTTPClient: anchors.HTTPClient(0), Clock: clockFunc(func() time.Time { return testEpoch })}
	ctx := context.Background()
	target = e.url
	if _, _, err := cache.Revoked(ctx, srvs[0].URL+"/inter.crl", e.leaf, e.pki.inter); !errors.Is(err, ErrRedirect) {
		t.Errorf("https -> http: err = %v", err)
	}
	// http -> http, another host: followed.
	hop := httptest.NewServer(redirectTo(&target))
	defer hop.Close()
	if _, _, err := cache.Revoked(ctx, hop.URL+"/inter.crl", e.leaf, e.pki.inter); err != nil {
		t.Errorf("http -> http: %v", err)
	}
}
