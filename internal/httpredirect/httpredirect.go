// Package httpredirect is the redirect policy shared by the SDK's HTTP
// clients: the liste blanche, its checksum, the IGC-Santé bundle, CRLs and
// OCSP (package trust), the Annuaire Santé API and extraction download
// (package annuaire).
//
// net/http follows up to ten redirects wherever they lead, https to http
// included, and forwards every header but Authorization, Cookie and
// WWW-Authenticate to another host. For the SDK that means a list fetched
// over https could come from a plain http server (anyone on the path could
// then add a domain to the trust space), and the ESANTE-API-KEY header
// could reach a foreign host. A Policy refuses both.
package httpredirect

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// DefaultMaxRedirects is how many redirects a Policy follows, as net/http
// does when a client has no CheckRedirect of its own.
const DefaultMaxRedirects = 10

// Policy says which redirects a client may follow. The zero value refuses
// a downgrade from https to http and nothing else.
type Policy struct {
	// SameHost refuses a redirect to another host than the first
	// request's: another host name or another port (an upgrade from http
	// to https on the default ports is the same host). Zero: any host.
	SameHost bool

	// AllowHosts are hosts a SameHost policy still accepts: "name" (any
	// port) or "name:port", compared without case. Zero: none.
	AllowHosts []string

	// Err is what every refusal unwraps to, so that the package applying
	// the policy gives its callers a sentinel of its own (trust.ErrRedirect,
	// annuaire.ErrRedirect). Zero: none.
	Err error
}

// Error is a refused redirect. net/http returns it wrapped in a *url.Error.
type Error struct {
	From      string // the URL redirected from, without user info, query or fragment
	To        string // the URL redirected to, likewise
	Downgrade bool   // from https (at any earlier hop) to http
	CrossHost bool   // to a host the policy does not allow
	Err       error  // the sentinel of the package that refused, or nil
}

func (e *Error) Error() string {
	why := "host change"
	if e.Downgrade {
		why = "downgrade from https to http"
	}
	return fmt.Sprintf("redirect from %s to %s refused: %s", e.From, e.To, why)
}

// Unwrap returns the sentinel of the package that refused.
func (e *Error) Unwrap() error { return e.Err }

// CheckRedirect is an http.Client.CheckRedirect applying the policy; it
// also stops after DefaultMaxRedirects.
func (p Policy) CheckRedirect(req *http.Request, via []*http.Request) error {
	if err := p.refuse(req, via); err != nil {
		return err
	}
	if len(via) >= DefaultMaxRedirects {
		return fmt.Errorf("stopped after %d redirects", DefaultMaxRedirects)
	}
	return nil
}

// Client returns a copy of c (a new client when c is nil) whose redirects
// follow the policy, then c's own CheckRedirect when it has one (which
// then counts redirects its own way). The copy shares c's Transport, Jar
// and Timeout.
func (p Policy) Client(c *http.Client) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	own := out.CheckRedirect
	if own == nil {
		out.CheckRedirect = p.CheckRedirect
		return &out
	}
	out.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := p.refuse(req, via); err != nil {
			return err
		}
		return own(req, via)
	}
	return &out
}

// refuse returns the *Error for a redirect the policy does not allow.
func (p Policy) refuse(req *http.Request, via []*http.Request) error {
	if len(via) == 0 {
		return nil
	}
	first, prev := via[0].URL, via[len(via)-1].URL
	if req.URL.Scheme != "https" {
		for _, v := range via {
			if v.URL.Scheme == "https" {
				return &Error{From: Redact(prev), To: Redact(req.URL), Downgrade: true, Err: p.Err}
			}
		}
	}
	if p.SameHost && !sameHost(first, req.URL) && !p.allowed(req.URL) {
		return &Error{From: Redact(prev), To: Redact(req.URL), CrossHost: true, Err: p.Err}
	}
	return nil
}

func (p Policy) allowed(u *url.URL) bool {
	host, port := strings.ToLower(u.Hostname()), effectivePort(u)
	for _, a := range p.AllowHosts {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == host || a == net.JoinHostPort(host, port) {
			return true
		}
	}
	return false
}

// sameHost compares host names without case, and ports with the scheme's
// default filled in; http://h to https://h (ports 80 and 443) is the same
// host.
func sameHost(a, b *url.URL) bool {
	if !strings.EqualFold(a.Hostname(), b.Hostname()) {
		return false
	}
	pa, pb := effectivePort(a), effectivePort(b)
	if pa == pb {
		return true
	}
	return a.Port() == "" && b.Port() == ""
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "http" {
		return "80"
	}
	return "443"
}

// RedactString is Redact of a URL given as text; "(unparsable URL)" when
// it does not parse.
func RedactString(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return Redact(u)
}

// RedactError redacts the URL of the *url.Error that http.Client.Do
// returned (net/http fills it with the whole URL, query included), and
// returns err. Call it before wrapping err: a wrapper made earlier keeps
// the text it was made with.
func RedactError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = RedactString(ue.URL)
	}
	return err
}

// Redact returns u without user information, query or fragment, for error
// messages: a URL may carry a token.
func Redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.ForceQuery = false
	c.Fragment = ""
	c.RawFragment = ""
	return c.String()
}
