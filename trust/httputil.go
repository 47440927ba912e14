package trust

import (
	"errors"
	"net/http"
	"net/url"
	"time"
)

// redactURL returns u without user information, query or fragment, for error
// messages: a URL may carry a token.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	u.RawQuery = ""
	u.ForceQuery = false
	u.Fragment = ""
	u.RawFragment = ""
	return u.String()
}

// defaultRevocationClient is used for CRL and OCSP downloads when none is
// configured. IGC-Santé publishes both over plain HTTP; the data is signed.
var defaultRevocationClient = &http.Client{Timeout: 30 * time.Second}

// doRequest is client.Do with the URL in a transport error redacted: net/http
// puts the whole URL, query included, in its *url.Error.
func doRequest(client *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = redactURL(ue.URL)
		}
		return nil, err
	}
	return resp, nil
}
