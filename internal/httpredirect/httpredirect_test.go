package httpredirect

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

var errSentinel = errors.New("test: redirect refused")

// target counts the requests it receives.
type target struct {
	hits atomic.Int32
	srv  *httptest.Server
}

func newTarget(t *testing.T, tls bool) *target {
	tg := &target{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.hits.Add(1)
		io.WriteString(w, "reached")
	})
	if tls {
		tg.srv = httptest.NewTLSServer(h)
	} else {
		tg.srv = httptest.NewServer(h)
	}
	t.Cleanup(tg.srv.Close)
	return tg
}

// redirector answers 302 to to+"?token=secret".
func redirector(t *testing.T, tls bool, to func() string) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/local" {
			io.WriteString(w, "local")
			return
		}
		if r.URL.Path == "/self" {
			http.Redirect(w, r, "/local", http.StatusFound)
			return
		}
		http.Redirect(w, r, to()+"/x?token=secret", http.StatusFound)
	})
	var s *httptest.Server
	if tls {
		s = httptest.NewTLSServer(h)
	} else {
		s = httptest.NewServer(h)
	}
	t.Cleanup(s.Close)
	return s
}

func TestPolicy(t *testing.T) {
	plain := newTarget(t, false)
	secure := newTarget(t, true)
	httpsToHTTP := redirector(t, true, func() string { return plain.srv.URL })
	httpsToHTTPS := redirector(t, true, func() string { return secure.srv.URL })
	httpToHTTP := redirector(t, false, func() string { return plain.srv.URL })

	// One transport trusting both TLS test servers (they share a certificate).
	base := httpsToHTTP.Client()
	tests := []struct {
		name      string
		policy    Policy
		url       string
		downgrade bool
		crossHost bool
		reached   *target
	}{
		{"https to http refused", Policy{Err: errSentinel}, httpsToHTTP.URL + "/go", true, false, plain},
		{"https to http refused even when the host is allowed", Policy{SameHost: true, AllowHosts: []string{"127.0.0.1"}, Err: errSentinel}, httpsToHTTP.URL + "/go", true, false, plain},
		{"https to https on another host: allowed by the zero policy", Policy{}, httpsToHTTPS.URL + "/go", false, false, nil},
		{"https to https on another host: refused by SameHost", Policy{SameHost: true, Err: errSentinel}, httpsToHTTPS.URL + "/go", false, true, secure},
		{"another host listed in AllowHosts", Policy{SameHost: true, AllowHosts: []string{strings.TrimPrefix(secure.srv.URL, "https://")}}, httpsToHTTPS.URL + "/go", false, false, nil},
		{"http to http, other host", Policy{}, httpToHTTP.URL + "/go", false, false, nil},
		{"same host redirect under SameHost", Policy{SameHost: true}, httpsToHTTP.URL + "/self", false, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := int32(0)
			if tt.reached != nil {
				before = tt.reached.hits.Load()
			}
			c := tt.policy.Client(base)
			resp, err := c.Get(tt.url)
			if resp != nil {
				resp.Body.Close()
			}
			refused := tt.downgrade || tt.crossHost
			if !refused {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var re *Error
			if !errors.As(err, &re) || re.Downgrade != tt.downgrade || re.CrossHost != tt.crossHost {
				t.Fatalf("err = %v, want a refusal (downgrade %v, cross-host %v)", err, tt.downgrade, tt.crossHost)
			}
			if tt.policy.Err != nil && !errors.Is(err, errSentinel) {
				t.Errorf("err = %v does not unwrap to the sentinel", err)
			}
			if strings.Contains(re.Error(), "secret") {
				t.Errorf("error shows the query: %v", re)
			}
			if n := tt.reached.hits.Load(); n != before {
				t.Errorf("the refused target got %d requests", n-before)
			}
		})
	}
}

func TestClientComposes(t *testing.T) {
	plain := newTarget(t, false)
	r := redirector(t, true, func() string { return plain.srv.URL })
	own := 0
	base := r.Client()
	base.CheckRedirect = func(*http.Request, []*http.Request) error { own++; return nil }
	c := Policy{}.Client(base)
	if _, err := c.Get(r.URL + "/go"); err == nil {
		t.Fatal("the caller's CheckRedirect replaced the policy")
	}
	if own != 0 {
		t.Error("the caller's CheckRedirect ran for a refused redirect")
	}
	if _, err := c.Get(r.URL + "/self"); err != nil || own != 1 {
		t.Errorf("allowed redirect: %v, caller's check ran %d times", err, own)
	}
	if base.CheckRedirect == nil || c.Transport != base.Transport {
		t.Error("Client must copy, not modify, and share the transport")
	}
	if (Policy{}).Client(nil) == nil {
		t.Error("Client(nil) returned nil")
	}
}

func TestMaxRedirects(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, srv.URL+r.URL.Path+"x", http.StatusFound)
	}))
	defer srv.Close()
	_, err := (Policy{SameHost: true}).Client(nil).Get(srv.URL + "/")
	if err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") {
		t.Errorf("err = %v", err)
	}
}

func TestSameHost(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		same bool
	}{
		{"https://a.example/x", "https://A.EXAMPLE/y", true},
		{"http://a.example/", "https://a.example/", true},
		{"https://a.example/", "https://a.example:443/", true},
		{"https://a.example/", "https://a.example:8443/", false},
		{"https://a.example/", "https://b.example/", false},
		{"https://a.example/", "https://a.example.evil/", false},
		{"http://127.0.0.1:1/", "http://127.0.0.1:2/", false},
	} {
		a, _ := url.Parse(tt.a)
		b, _ := url.Parse(tt.b)
		if got := sameHost(a, b); got != tt.same {
			t.Errorf("sameHost(%s, %s) = %v", tt.a, tt.b, got)
		}
	}
}

// The URL of a transport error loses what may carry a secret.
func TestRedactError(t *testing.T) {
	var err error = &url.Error{Op: "Get", URL: "https://u:pw@h.example/p?token=s3cret#frag", Err: errors.New("refused")}
	err = fmt.Errorf("fetching: %w", RedactError(err))
	if got := err.Error(); got != `fetching: Get "https://h.example/p": refused` {
		t.Errorf("%s", got)
	}
	if got := RedactString("http://[::1"); got != "(unparsable URL)" {
		t.Errorf("RedactString of a bad URL: %q", got)
	}
}
