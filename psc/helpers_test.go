package psc_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/mssante-go/sdk/psc"
	"github.com/mssante-go/sdk/psc/psctest"
)

// rig is a psctest server and a psc client sharing a fake clock.
type rig struct {
	idp   *psctest.Server
	clock *psctest.Clock
	c     *psc.Client
	cfg   psc.Config
}

func newRig(t *testing.T, opts *psctest.Options, tweak func(*psc.Config)) *rig {
	t.Helper()
	clock := psctest.NewClock(timeZero)
	var o psctest.Options
	if opts != nil {
		o = *opts
	}
	o.Clock = clock
	idp, err := psctest.NewServer(&o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	cfg := idp.Config()
	cfg.Clock = clock
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := psc.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &rig{idp: idp, clock: clock, c: c, cfg: cfg}
}

// browse follows the authorization URL as a browser would: psctest
// approves at once and redirects to the loopback callback.
func (r *rig) browse(u string) error {
	resp, err := r.idp.HTTPClient().Get(u)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// login runs the desktop flow.
func (r *rig) login(t *testing.T) *psc.Session {
	t.Helper()
	s, err := r.c.LoginLoopback(context.Background(), r.browse)
	if err != nil {
		t.Fatalf("LoginLoopback: %v", err)
	}
	return s
}

// redirectQuery fetches the authorization URL without following the
// redirect and returns the query PSC sends back.
func (r *rig) redirectQuery(t *testing.T, authURL string) url.Values {
	t.Helper()
	hc := *r.idp.HTTPClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query()
}

// recorder keeps the bodies of every request and response, to find the
// secrets the flows exchanged.
type recorder struct {
	next   http.RoundTripper
	mu     sync.Mutex
	bodies [][]byte
}

func (rec *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(b))
		rec.add(b)
	}
	rec.add([]byte(req.URL.RawQuery))
	rec.add([]byte(req.Header.Get("Authorization")))
	resp, err := rec.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	rec.add(b)
	if loc := resp.Header.Get("Location"); loc != "" {
		rec.add([]byte(loc))
	}
	return resp, nil
}

func (rec *recorder) add(b []byte) {
	rec.mu.Lock()
	rec.bodies = append(rec.bodies, b)
	rec.mu.Unlock()
}
