package trust

import (
	"net/http"
	"time"

	"github.com/mssante-go/sdk/internal/httpredirect"
)

// RedirectError is a refused redirect: From and To (URLs without user
// information or query), and whether it was a Downgrade from https to http
// or a CrossHost change. errors.Is(err, ErrRedirect) holds.
type RedirectError = httpredirect.Error

// noDowngrade is the redirect policy of CRL and OCSP downloads: any host
// (CDNs), never from https to http.
var noDowngrade = httpredirect.Policy{Err: ErrRedirect}

// sameHostRedirects is the redirect policy of the liste blanche, its
// checksum and the CA bundle: the host asked, or one of hosts, and never
// from https to http.
func sameHostRedirects(hosts []string) httpredirect.Policy {
	return httpredirect.Policy{SameHost: true, AllowHosts: hosts, Err: ErrRedirect}
}

// revocationClient returns c (a default client when nil) with the
// no-downgrade redirect policy.
func revocationClient(c *http.Client) *http.Client {
	if c == nil {
		c = defaultRevocationClient
	}
	return noDowngrade.Client(c)
}

// redactURL returns raw without user information, query or fragment, for
// error messages: a URL may carry a token.
func redactURL(raw string) string { return httpredirect.RedactString(raw) }

// defaultRevocationClient is used for CRL and OCSP downloads when none is
// configured. IGC-Santé publishes both over plain HTTP; the data is signed.
var defaultRevocationClient = &http.Client{Timeout: 30 * time.Second}

// doRequest is client.Do with the URL in a transport error redacted: net/http
// puts the whole URL, query included, in its *url.Error.
func doRequest(client *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, httpredirect.RedactError(err)
	}
	return resp, nil
}
