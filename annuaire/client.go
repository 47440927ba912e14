package annuaire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mssante-go/sdk/internal/backoff"
	"github.com/mssante-go/sdk/internal/httpredirect"
	"github.com/mssante-go/sdk/internal/sysclock"
)

// Defaults of the Annuaire Santé FHIR API client.
const (
	DefaultBaseURL = "https://gateway.api.esante.gouv.fr/fhir/v2"
	// APIKeyHeader carries the key obtained on portal.api.esante.gouv.fr.
	APIKeyHeader = "ESANTE-API-KEY"
	// DefaultRateLimit is the ANS quota: 17 calls per second per application.
	DefaultRateLimit = 17.0
	// DefaultMaxResponseSize bounds one response body (a 200-entry page is
	// well under 2 MB).
	DefaultMaxResponseSize = 32 << 20
	DefaultMaxRetries      = 4
	DefaultRetryBaseDelay  = 500 * time.Millisecond
	DefaultMaxRetryDelay   = 30 * time.Second
	DefaultRequestTimeout  = 60 * time.Second
)

// Options configures a [Client]. A nil *Options means defaults, which
// reach the production API without a key (it answers 401).
type Options struct {
	// BaseURL is the FHIR base. "" means DefaultBaseURL. A test server from
	// annuairetest goes here.
	BaseURL string
	// APIKey is sent in the ESANTE-API-KEY header of every request
	// (including next-page links). "" sends no header.
	APIKey string
	// HTTPClient sends the requests. nil means a client of the Client's
	// own (http.DefaultTransport; http.DefaultClient is never used, so that
	// nothing another package sets on it applies). The API gateway uses a
	// publicly trusted certificate. Whatever the client, a redirect to
	// another host (the ESANTE-API-KEY header would follow it) or from
	// https to http is refused with an error matching ErrRedirect, and not
	// retried.
	HTTPClient *http.Client
	// RateLimit is the most requests per second the Client sends, across
	// all goroutines using it. 0 means DefaultRateLimit (17); negative
	// disables the limiter.
	RateLimit float64
	// Burst is how many requests may go at once after a quiet period. 0
	// means 1: requests are spaced evenly, so no one-second window holds
	// more than RateLimit+1 of them.
	Burst int
	// MaxRetries is how many times a request is retried after a 429, 502,
	// 503, 504 or a network error. 0 means DefaultMaxRetries (4); negative
	// means no retry.
	MaxRetries int
	// RetryBaseDelay is the first back-off delay, doubled at each retry
	// with random jitter (between half and all of it). 0 means
	// DefaultRetryBaseDelay (500 ms).
	RetryBaseDelay time.Duration
	// MaxRetryDelay caps one back-off delay. A Retry-After longer than it
	// is not waited for: the error is returned with APIError.RetryAfter set.
	// 0 means DefaultMaxRetryDelay (30 s).
	MaxRetryDelay time.Duration
	// MaxResponseSize bounds one response body in bytes. 0 means
	// DefaultMaxResponseSize (32 MiB).
	MaxResponseSize int64
	// UserAgent is sent as User-Agent. "" means "mssante-go-sdk/annuaire".
	UserAgent string
	// RequestTimeout bounds one attempt (request and body). 0 means
	// DefaultRequestTimeout (60 s; the server gives up after 30 s);
	// negative means no limit other than ctx.
	RequestTimeout time.Duration
	// Clock is the time the rate limit and the retries read and wait on.
	// Nil means the system clock. (RequestTimeout is a context deadline,
	// on the system clock.)
	Clock Clock
}

// apiRedirects is the redirect policy of the FHIR API: the API key goes in
// a header, which net/http would forward to any host.
var apiRedirects = httpredirect.Policy{SameHost: true, Err: ErrRedirect}

// Client is a client of the Annuaire Santé FHIR API (R4, JSON). It is safe
// for concurrent use; its rate limiter is shared by every goroutine.
type Client struct {
	base       *url.URL
	apiKey     string
	hc         *http.Client
	limiter    *limiter
	clock      Clock
	maxRetries int
	retryBase  time.Duration
	retryMax   time.Duration
	maxBody    int64
	userAgent  string
	timeout    time.Duration
}

// NewClient returns a Client. It fails only on an invalid BaseURL.
func NewClient(opts *Options) (*Client, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	clk := o.Clock
	if clk == nil {
		clk = sysclock.Clock{}
	}
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("annuaire: invalid base URL %q", o.BaseURL)
	}
	c := &Client{
		base:       base,
		apiKey:     o.APIKey,
		hc:         o.HTTPClient,
		clock:      clk,
		maxRetries: o.MaxRetries,
		retryBase:  o.RetryBaseDelay,
		retryMax:   o.MaxRetryDelay,
		maxBody:    o.MaxResponseSize,
		userAgent:  o.UserAgent,
		timeout:    o.RequestTimeout,
	}
	c.hc = apiRedirects.Client(c.hc)
	switch {
	case o.RateLimit == 0:
		c.limiter = newLimiter(clk, DefaultRateLimit, o.Burst)
	case o.RateLimit > 0:
		c.limiter = newLimiter(clk, o.RateLimit, o.Burst)
	}
	if c.maxRetries == 0 {
		c.maxRetries = DefaultMaxRetries
	} else if c.maxRetries < 0 {
		c.maxRetries = 0
	}
	if c.retryBase <= 0 {
		c.retryBase = DefaultRetryBaseDelay
	}
	if c.retryMax <= 0 {
		c.retryMax = DefaultMaxRetryDelay
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxResponseSize
	}
	if c.userAgent == "" {
		c.userAgent = "mssante-go-sdk/annuaire"
	}
	if c.timeout == 0 {
		c.timeout = DefaultRequestTimeout
	}
	return c, nil
}

// Read fetches one resource by type and id ("Practitioner", "003-...").
// A missing resource gives an *APIError matching ErrNotFound.
func (c *Client) Read(ctx context.Context, resourceType, id string) (Resource, error) {
	if resourceType == "" || id == "" || strings.ContainsAny(resourceType+id, "/?#") {
		return nil, fmt.Errorf("annuaire: invalid resource reference %q/%q", resourceType, id)
	}
	return c.get(ctx, c.base.String()+"/"+resourceType+"/"+url.PathEscape(id))
}

// ReadPractitioner fetches a Practitioner by id.
func (c *Client) ReadPractitioner(ctx context.Context, id string) (*Practitioner, error) {
	return readAs[*Practitioner](ctx, c, "Practitioner", id)
}

// ReadPractitionerRole fetches a PractitionerRole by id.
func (c *Client) ReadPractitionerRole(ctx context.Context, id string) (*PractitionerRole, error) {
	return readAs[*PractitionerRole](ctx, c, "PractitionerRole", id)
}

// ReadOrganization fetches an Organization by id.
func (c *Client) ReadOrganization(ctx context.Context, id string) (*Organization, error) {
	return readAs[*Organization](ctx, c, "Organization", id)
}

func readAs[T Resource](ctx context.Context, c *Client, typ, id string) (T, error) {
	var zero T
	r, err := c.Read(ctx, typ, id)
	if err != nil {
		return zero, err
	}
	t, ok := r.(T)
	if !ok {
		return zero, &DecodeError{URL: typ + "/" + id, Err: fmt.Errorf("got a %s", r.ResourceType())}
	}
	return t, nil
}

// get sends GET u with the rate limit and retries, and decodes the answer.
func (c *Client) get(ctx context.Context, u string) (Resource, error) {
	for attempt := 1; ; attempt++ {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, err
		}
		res, retry, wait, err := c.once(ctx, u)
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var apiErr *APIError
		isAPI := errors.As(err, &apiErr)
		if isAPI {
			apiErr.Attempts = attempt
		}
		if !retry || attempt > c.maxRetries {
			return nil, err
		}
		if wait == 0 {
			wait = backoff.Policy{Min: min(c.retryBase, c.retryMax), Max: c.retryMax}.Delay(attempt)
		} else if wait > c.retryMax {
			return nil, err // Retry-After beyond what we are willing to wait
		}
		if err := sysclock.Sleep(ctx, c.clock, wait); err != nil {
			return nil, err
		}
	}
}

// once sends one request. It says whether the failure is worth a retry
// and how long the server asked to wait (0 if it did not say).
func (c *Client) once(ctx context.Context, u string) (res Resource, retry bool, wait time.Duration, err error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, 0, fmt.Errorf("annuaire: %w", err)
	}
	req.Header.Set("Accept", "application/fhir+json, application/json;q=0.9")
	req.Header.Set("User-Agent", c.userAgent)
	if c.apiKey != "" {
		req.Header.Set(APIKeyHeader, c.apiKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		// A refused redirect would be refused again.
		return nil, !errors.Is(err, ErrRedirect), 0, fmt.Errorf("annuaire: GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, true, 0, fmt.Errorf("annuaire: GET %s: reading body: %w", u, err)
	}
	if int64(len(body)) > c.maxBody {
		return nil, false, 0, fmt.Errorf("%w (GET %s)", ErrResponseTooLarge, u)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		r, err := DecodeResource(body)
		if err != nil {
			return nil, false, 0, &DecodeError{URL: u, Body: head(body), Err: err}
		}
		if oo, ok := r.(*OperationOutcome); ok && oo.isError() {
			return nil, false, 0, &APIError{StatusCode: resp.StatusCode, Status: resp.Status, Method: http.MethodGet, URL: u, Outcome: oo}
		}
		return r, false, 0, nil
	}
	e := &APIError{StatusCode: resp.StatusCode, Status: resp.Status, Method: http.MethodGet, URL: u}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), c.clock.Now())
	if len(strings.TrimSpace(string(body))) > 0 {
		if r, err := DecodeResource(body); err == nil {
			if oo, ok := r.(*OperationOutcome); ok {
				e.Outcome = oo
			}
		}
		if e.Outcome == nil {
			e.Body = head(body)
		}
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return nil, true, e.RetryAfter, e
	}
	return nil, false, 0, e
}

func (o *OperationOutcome) isError() bool {
	for _, is := range o.Issue {
		if is.Severity == "error" || is.Severity == "fatal" {
			return true
		}
	}
	return false
}

func head(b []byte) string {
	if len(b) > 512 {
		b = b[:512]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// parseRetryAfter reads delay-seconds or an HTTP date; 0 when absent or bad.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		if s > 86400 {
			s = 86400
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
