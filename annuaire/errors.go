package annuaire

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mssante-go/sdk/internal/httpredirect"
)

// Sentinel errors matched by [*APIError] with errors.Is.
var (
	ErrBadRequest   = errors.New("annuaire: bad request")        // 400, 412, 422
	ErrUnauthorized = errors.New("annuaire: unauthorized")       // 401, 403: missing or wrong ESANTE-API-KEY
	ErrNotFound     = errors.New("annuaire: not found")          // 404, 410
	ErrRateLimited  = errors.New("annuaire: rate limited")       // 429
	ErrUnavailable  = errors.New("annuaire: server unavailable") // 500, 502, 503, 504
)

// Other client errors.
var (
	ErrResponseTooLarge = errors.New("annuaire: response larger than the configured limit")
	ErrForeignNextLink  = errors.New("annuaire: next link points to another server")
	ErrPagingLoop       = errors.New("annuaire: next link repeats a page already read")
	// ErrRedirect: a redirect was refused: from https to http (every
	// request), or to another host (the FHIR API, whose requests carry
	// the ESANTE-API-KEY header). See RedirectError. Not retried.
	ErrRedirect = errors.New("annuaire: redirect refused")
)

// RedirectError is a refused redirect: From and To (URLs without user
// information or query), and whether it was a Downgrade from https to http
// or a CrossHost change. errors.Is(err, ErrRedirect) holds.
type RedirectError = httpredirect.Error

// APIError is a non-2xx answer of the API (or an OperationOutcome with
// error severity in a 2xx answer). The gateway sends 502/504 with an empty
// body and its own 401/403/429 bodies are not FHIR, so Outcome may be nil;
// Body then keeps the start of what came.
type APIError struct {
	StatusCode int
	Status     string            // e.g. "502 Bad Gateway"
	Method     string            // "GET"
	URL        string            // request URL (the API key is a header, never in it)
	Outcome    *OperationOutcome // decoded FHIR error, or nil
	Body       string            // first 512 bytes of a non-FHIR body, or ""
	RetryAfter time.Duration     // from Retry-After, 0 when absent
	Attempts   int               // requests sent, retries included
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "annuaire: %s %s: %s", e.Method, e.URL, e.Status)
	if e.Status == "" {
		fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	}
	switch {
	case e.Outcome != nil && len(e.Outcome.Issue) > 0:
		b.WriteString(": " + e.Outcome.String())
	case e.Body != "":
		b.WriteString(": " + strings.Join(strings.Fields(e.Body), " "))
	default:
		b.WriteString(" (empty body)")
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Is matches the sentinel of the status class.
func (e *APIError) Is(target error) bool {
	switch e.StatusCode {
	case http.StatusBadRequest, http.StatusPreconditionFailed, http.StatusUnprocessableEntity:
		return target == ErrBadRequest
	case http.StatusUnauthorized, http.StatusForbidden:
		return target == ErrUnauthorized
	case http.StatusNotFound, http.StatusGone:
		return target == ErrNotFound
	case http.StatusTooManyRequests:
		return target == ErrRateLimited
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return target == ErrUnavailable
	}
	return false
}

// DecodeError reports a 2xx answer whose body is not the expected FHIR JSON.
type DecodeError struct {
	URL  string
	Body string // first 512 bytes
	Err  error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("annuaire: decoding answer of %s: %v", e.URL, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }
