package trust

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultListURL is where the ANS publishes the liste blanche. The server
// presents an IGC-Santé certificate.
const DefaultListURL = "https://espacedeconfiance.mssante.fr/listeblanchemssante.xml"

// Defaults of Source when its fields are zero.
const (
	DefaultRefreshInterval = 24 * time.Hour
	DefaultRetryInterval   = 10 * time.Minute
)

var _ Checker = (*Source)(nil)

// Source keeps a liste blanche up to date from a URL or a file. Readers
// (List, Contains, CheckAddress) never block and see either the old or the
// new list, never a mix: the current list is an immutable *List behind an
// atomic pointer. A refresh that fails keeps the last good list.
//
// Refreshing is caller-driven: call Refresh at start, then whenever Due says
// so (or on a timer of your own); or run Run in a goroutine. Set the fields
// before the first Refresh and do not change them afterwards.
//
// Over HTTP, Refresh sends a conditional request (If-None-Match with the last
// ETag, If-Modified-Since with the last Last-Modified) and a 304 answer
// leaves the list as is. From a file, an unchanged size and modification
// time do the same.
type Source struct {
	// Location is an https:// URL, an http:// URL (only with AllowHTTP), a
	// file:// URL or a file path. Zero: DefaultListURL.
	Location string

	// HTTPClient downloads the list. Zero: a client with a 60 s timeout that
	// trusts Anchors only (the ANS server has an IGC-Santé certificate);
	// Refresh of an https URL then fails with ErrNoAnchors if Anchors is nil.
	HTTPClient *http.Client

	// Anchors are the TLS roots of the default HTTP client. Zero: none.
	Anchors *Anchors

	// SHA256 is the expected SHA-256 of the list, in hex, for a pinned copy.
	// Zero: not checked.
	SHA256 string

	// ChecksumURL points to a file whose first word is the hex SHA-256 of
	// the list (as ansforge/MSS-liste-blanche publishes "checksum"), fetched
	// with HTTPClient at each download. Zero: none.
	ChecksumURL string

	// Interval is how often the list should be checked (see Due and Run).
	// Zero: DefaultRefreshInterval.
	Interval time.Duration

	// RetryInterval is how long Run waits after a failed refresh. Zero:
	// DefaultRetryInterval.
	RetryInterval time.Duration

	// MaxBytes bounds the list. Zero: DefaultMaxListBytes.
	MaxBytes int64

	// AllowHTTP permits an http:// Location. The list is not signed: over
	// plain HTTP anyone on the path could add a domain. Zero: refused.
	AllowHTTP bool

	// Now returns the current time. Zero: time.Now.
	Now func() time.Time

	// OnRefresh, when set, is called by Run after each refresh attempt, e.g.
	// to log errors or alert on a stale list. Zero: nothing.
	OnRefresh func(changed bool, err error)

	refreshMu sync.Mutex // one refresh at a time
	list      atomic.Pointer[List]

	mu           sync.Mutex // guards the fields below
	etag         string
	lastModified string
	fileSize     int64
	fileMod      time.Time
	digest       [32]byte
	checked      time.Time // last successful check (200 or 304, or file read)
	attempted    time.Time
	lastErr      error

	clientOnce sync.Once
	client     *http.Client
}

// SourceStatus is a snapshot of a Source, for monitoring.
type SourceStatus struct {
	Generated time.Time     // the list's DateDeGeneration; zero before the first load
	Age       time.Duration // now minus Generated; alert when it grows past a few days
	Entries   int
	Domains   int
	Checked   time.Time // last time the list was confirmed current
	Attempted time.Time // last refresh attempt
	LastError error     // error of the last attempt, nil if it succeeded
	SHA256    string    // hex digest of the current list
}

func (s *Source) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// List returns the current list, or nil before the first successful refresh.
func (s *Source) List() *List { return s.list.Load() }

// Contains is List().Contains.
func (s *Source) Contains(domain string) bool { return s.List().Contains(domain) }

// CheckAddress is List().CheckAddress: before the first successful refresh,
// every address is refused with ReasonNoList.
func (s *Source) CheckAddress(address string) error { return s.List().CheckAddress(address) }

// Age returns the age of the current list from its generation date, 0 when
// there is none.
func (s *Source) Age() time.Duration {
	l := s.List()
	if l == nil {
		return 0
	}
	return l.Age(s.now())
}

// Status returns a snapshot of the source.
func (s *Source) Status() SourceStatus {
	l := s.List()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := SourceStatus{
		Generated: l.Generated(), Entries: l.Len(), Domains: l.DomainCount(),
		Checked: s.checked, Attempted: s.attempted, LastError: s.lastErr,
	}
	if l != nil {
		st.Age = l.Age(s.now())
		st.SHA256 = hex.EncodeToString(s.digest[:])
	}
	return st
}

// Due reports whether a refresh is due: no list yet, or the last successful
// check is older than Interval.
func (s *Source) Due() bool {
	if s.List() == nil {
		return true
	}
	s.mu.Lock()
	checked := s.checked
	s.mu.Unlock()
	return s.now().Sub(checked) >= s.interval()
}

func (s *Source) interval() time.Duration {
	if s.Interval > 0 {
		return s.Interval
	}
	return DefaultRefreshInterval
}

// Run refreshes the list until ctx is done: at once, then every Interval
// after a success and every RetryInterval after a failure, calling OnRefresh
// after each attempt. It returns ctx.Err().
func (s *Source) Run(ctx context.Context) error {
	for {
		changed, err := s.Refresh(ctx)
		if s.OnRefresh != nil {
			s.OnRefresh(changed, err)
		}
		wait := s.interval()
		if err != nil {
			wait = s.RetryInterval
			if wait <= 0 {
				wait = DefaultRetryInterval
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Refresh loads the list if it changed, and reports whether the current list
// was replaced. On error the current list stays (it may be nil before the
// first success). A new list is refused when its SHA-256 does not match
// (ErrChecksum) or when it was generated before the current one
// (ErrListRollback: a replayed old list could bring back a removed domain).
func (s *Source) Refresh(ctx context.Context) (changed bool, err error) {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	loc := s.Location
	if loc == "" {
		loc = DefaultListURL
	}
	s.mu.Lock()
	s.attempted = s.now()
	s.mu.Unlock()
	if strings.HasPrefix(loc, "https://") || strings.HasPrefix(loc, "http://") {
		changed, err = s.refreshHTTP(ctx, loc)
	} else {
		changed, err = s.refreshFile(ctx, loc)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		err = fmt.Errorf("trust: refreshing liste blanche from %s: %w", redactLocation(loc), err)
		s.lastErr = err
		return false, err
	}
	s.lastErr = nil
	s.checked = s.now()
	return changed, nil
}

func redactLocation(loc string) string {
	if strings.Contains(loc, "://") {
		return redactURL(loc)
	}
	return loc
}

func (s *Source) httpClient() (*http.Client, error) {
	if s.HTTPClient != nil {
		return s.HTTPClient, nil
	}
	if s.Anchors == nil {
		return nil, ErrNoAnchors
	}
	s.clientOnce.Do(func() { s.client = s.Anchors.HTTPClient(0) })
	return s.client, nil
}

func (s *Source) refreshHTTP(ctx context.Context, loc string) (bool, error) {
	if strings.HasPrefix(loc, "http://") && !s.AllowHTTP {
		return false, errors.New("plain http:// refused: the list is unsigned (set AllowHTTP to override)")
	}
	client, err := s.httpClient()
	if err != nil {
		return false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	if s.list.Load() != nil {
		if s.etag != "" {
			req.Header.Set("If-None-Match", s.etag)
		}
		if s.lastModified != "" {
			req.Header.Set("If-Modified-Since", s.lastModified)
		}
	}
	s.mu.Unlock()
	resp, err := doRequest(client, req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && s.list.Load() != nil:
		return false, nil
	case resp.StatusCode != http.StatusOK:
		return false, fmt.Errorf("HTTP %s", resp.Status)
	}
	want, err := s.expectedDigest(ctx, client)
	if err != nil {
		return false, err
	}
	changed, err := s.load(resp.Body, want)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	s.etag, s.lastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	s.mu.Unlock()
	return changed, nil
}

func (s *Source) refreshFile(ctx context.Context, loc string) (bool, error) {
	path := loc
	if strings.HasPrefix(loc, "file://") {
		u, err := url.Parse(loc)
		if err != nil {
			return false, err
		}
		path = u.Path
	}
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	same := s.list.Load() != nil && fi.Size() == s.fileSize && fi.ModTime().Equal(s.fileMod)
	s.mu.Unlock()
	if same {
		return false, nil
	}
	want, err := s.expectedDigest(ctx, nil)
	if err != nil {
		return false, err
	}
	changed, err := s.load(f, want)
	if err != nil {
		return false, err
	}
	s.mu.Lock()
	s.fileSize, s.fileMod = fi.Size(), fi.ModTime()
	s.mu.Unlock()
	return changed, nil
}

// expectedDigest returns the SHA-256 the list must have, nil when unchecked.
func (s *Source) expectedDigest(ctx context.Context, client *http.Client) ([]byte, error) {
	var want []byte
	if s.SHA256 != "" {
		f, err := ParseFingerprint(s.SHA256)
		if err != nil {
			return nil, fmt.Errorf("Source.SHA256: %w", err)
		}
		want = f[:]
	}
	if s.ChecksumURL != "" {
		if client == nil {
			c, err := s.httpClient()
			if err != nil {
				return nil, err
			}
			client = c
		}
		body, err := httpGet(ctx, client, s.ChecksumURL, 4096)
		if err != nil {
			return nil, fmt.Errorf("checksum: %w", err)
		}
		fields := strings.Fields(string(body))
		if len(fields) == 0 {
			return nil, errors.New("checksum: empty file")
		}
		f, err := ParseFingerprint(fields[0])
		if err != nil {
			return nil, fmt.Errorf("checksum: %w", err)
		}
		if want != nil && string(want) != string(f[:]) {
			return nil, fmt.Errorf("checksum file and Source.SHA256 disagree: %w", ErrChecksum)
		}
		want = f[:]
	}
	return want, nil
}

// load parses r while hashing it, checks the digest and the generation date,
// and installs the list if its content differs from the current one.
func (s *Source) load(r io.Reader, want []byte) (bool, error) {
	h := sha256.New()
	l, err := ParseList(io.TeeReader(r, h), &ParseOptions{MaxBytes: s.MaxBytes})
	if err != nil {
		return false, err
	}
	// ParseList reads to the end on success, so the digest covers the whole body.
	var sum [32]byte
	h.Sum(sum[:0])
	if want != nil && string(want) != string(sum[:]) {
		return false, fmt.Errorf("got %x, want %x: %w", sum, want, ErrChecksum)
	}
	cur := s.list.Load()
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur != nil && sum == s.digest {
		return false, nil
	}
	if cur != nil && l.Generated().Before(cur.Generated()) {
		return false, fmt.Errorf("generated %s, current list %s: %w",
			l.Generated().UTC().Format(time.RFC3339), cur.Generated().UTC().Format(time.RFC3339), ErrListRollback)
	}
	s.digest = sum
	s.list.Store(l)
	return true, nil
}
