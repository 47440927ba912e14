package trust

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	// DefaultMaxShrink: a refresh may remove at most half of the domains.
	DefaultMaxShrink = 0.5
)

// maxChecksumBytes bounds a checksum file.
const maxChecksumBytes = 4096

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

	// HTTPClient downloads the list and the checksum. Zero: a client with a
	// 60 s timeout that trusts Anchors only (the ANS server has an IGC-Santé
	// certificate); Refresh of an https URL then fails with ErrNoAnchors if
	// Anchors is nil. Whatever the client, its redirects are checked as
	// RedirectHosts says.
	HTTPClient *http.Client

	// Anchors are the TLS roots of the default HTTP client. Zero: none.
	Anchors *Anchors

	// SHA256 is the expected SHA-256 of the list, in hex, for a pinned copy.
	// Zero: not checked.
	SHA256 string

	// ChecksumLocation is where the checksum file of the list is, with the
	// same forms as Location: an https:// URL, an http:// URL (only with
	// AllowHTTP), a file:// URL or a file path. The file holds the hex
	// SHA-256 of the list. Surrounding white space, a file name after the
	// digest (sha256sum layout), and the digest written twice in a row
	// with no separator (as the ANS "checksum" file of
	// ansforge/MSS-liste-blanche has been published) are tolerated. It is
	// read at each download of the list; a list that does not match is
	// refused with ErrChecksum and the current list kept. Zero: none.
	ChecksumLocation string

	// RedirectHosts are the hosts, besides the one of the URL asked for,
	// that a redirect of the list or checksum download may lead to: "name"
	// (any port) or "name:port". A redirect from https to http is refused
	// in every case, with an error matching ErrRedirect. Zero: a redirect
	// must stay on the host asked.
	RedirectHosts []string

	// MaxShrink is the largest share of its domains the trust space may
	// lose in one refresh, above 0 and below 1: a new list with fewer
	// domains than (1 - MaxShrink) times the current one is refused with a
	// *ShrinkError (ErrListShrunk), and the current list kept, because a
	// truncated or partial download must not remove half the trust space.
	// The check needs a current list: the first load of a Source (after a
	// restart, say) is not limited. Zero or negative: DefaultMaxShrink
	// (0.5). 1 or more: no limit.
	MaxShrink float64

	// Logger receives, at level Warn, one record per refresh that loads a
	// list with skipped entries (List.Skipped) and one per failed refresh,
	// and at level Info one per list loaded. Zero: nothing is logged.
	Logger *slog.Logger

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

	// Clock gives the time the list's age and Due are measured with, and
	// Run waits on. Nil: the system clock.
	Clock Clock

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
	Skipped   int       // entries of the list left out as unusable (List.Skipped has them)
	Checked   time.Time // last time the list was confirmed current
	Attempted time.Time // last refresh attempt
	LastError error     // error of the last attempt, nil if it succeeded
	SHA256    string    // hex digest of the current list
}

func (s *Source) now() time.Time { return clockOr(s.Clock).Now() }

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
		Generated: l.Generated(), Entries: l.Len(), Domains: l.DomainCount(), Skipped: l.SkippedCount(),
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
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-clockOr(s.Clock).After(wait):
		}
	}
}

// Refresh loads the list if it changed, and reports whether the current list
// was replaced. On error the current list stays (it may be nil before the
// first success). A new list is refused when it cannot be parsed (see
// ParseList: entries with unusable values are skipped, not fatal), when its
// SHA-256 does not match SHA256 or the checksum file (ErrChecksum), when it
// was generated before the current one (ErrListRollback: a replayed old
// list could bring back a removed domain), or when it would shrink the
// trust space by more than MaxShrink (ErrListShrunk). A redirect from https
// to http, or to a host not in RedirectHosts, fails with ErrRedirect.
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
	if err != nil {
		err = fmt.Errorf("trust: refreshing liste blanche from %s: %w", redactLocation(loc), err)
		s.lastErr = err
		s.mu.Unlock()
		s.logf(ctx, slog.LevelWarn, "trust: liste blanche refresh failed; the current list stays", "error", err.Error())
		return false, err
	}
	s.lastErr = nil
	s.checked = s.now()
	s.mu.Unlock()
	if changed {
		s.logLoaded(ctx, loc, s.List())
	}
	return changed, nil
}

// logLoaded reports a list just loaded, and its skipped entries once.
func (s *Source) logLoaded(ctx context.Context, loc string, l *List) {
	s.logf(ctx, slog.LevelInfo, "trust: liste blanche loaded", "location", redactLocation(loc),
		"generated", l.Generated().UTC().Format(time.RFC3339), "entries", l.Len(), "domains", l.DomainCount())
	if n := l.SkippedCount(); n > 0 {
		sk := l.Skipped()
		const shown = 20
		if len(sk) > shown {
			sk = sk[:shown]
		}
		lines := make([]string, len(sk))
		for i, e := range sk {
			lines[i] = e.String()
		}
		s.logf(ctx, slog.LevelWarn, "trust: liste blanche entries skipped (unusable values; their domains are outside the trust space)",
			"location", redactLocation(loc), "skipped", n, "entries", lines)
	}
}

func (s *Source) logf(ctx context.Context, level slog.Level, msg string, args ...any) {
	if s.Logger != nil {
		s.Logger.Log(ctx, level, msg, args...)
	}
}

func redactLocation(loc string) string {
	if strings.Contains(loc, "://") {
		return redactURL(loc)
	}
	return loc
}

// httpClient returns HTTPClient, or one trusting Anchors, with the
// redirect policy of the source.
func (s *Source) httpClient() (*http.Client, error) {
	s.clientOnce.Do(func() {
		base := s.HTTPClient
		if base == nil {
			if s.Anchors == nil {
				return
			}
			base = s.Anchors.HTTPClient(0)
		}
		s.client = sameHostRedirects(s.RedirectHosts).Client(base)
	})
	if s.client == nil {
		return nil, ErrNoAnchors
	}
	return s.client, nil
}

func (s *Source) refreshHTTP(ctx context.Context, loc string) (bool, error) {
	if err := s.checkScheme(loc); err != nil {
		return false, err
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
	want, err := s.expectedDigest(ctx)
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
	path, err := filePath(loc)
	if err != nil {
		return false, err
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
	want, err := s.expectedDigest(ctx)
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

// checkScheme refuses an http:// location unless AllowHTTP.
func (s *Source) checkScheme(loc string) error {
	if strings.HasPrefix(loc, "http://") && !s.AllowHTTP {
		return errors.New("plain http:// refused: the list is unsigned (set AllowHTTP to override)")
	}
	return nil
}

// expectedDigest returns the SHA-256 the list must have, nil when unchecked.
func (s *Source) expectedDigest(ctx context.Context) ([]byte, error) {
	var want []byte
	if s.SHA256 != "" {
		f, err := ParseFingerprint(s.SHA256)
		if err != nil {
			return nil, fmt.Errorf("Source.SHA256: %w", err)
		}
		want = f[:]
	}
	if s.ChecksumLocation != "" {
		data, err := s.readChecksum(ctx, s.ChecksumLocation)
		if err != nil {
			return nil, fmt.Errorf("checksum %s: %w", redactLocation(s.ChecksumLocation), err)
		}
		f, err := parseChecksum(data)
		if err != nil {
			return nil, fmt.Errorf("checksum %s: %w", redactLocation(s.ChecksumLocation), err)
		}
		if want != nil && string(want) != string(f) {
			return nil, fmt.Errorf("checksum file and Source.SHA256 disagree: %w", ErrChecksum)
		}
		want = f
	}
	return want, nil
}

// readChecksum reads the checksum file at loc (URL or path).
func (s *Source) readChecksum(ctx context.Context, loc string) ([]byte, error) {
	if strings.HasPrefix(loc, "https://") || strings.HasPrefix(loc, "http://") {
		if err := s.checkScheme(loc); err != nil {
			return nil, err
		}
		client, err := s.httpClient()
		if err != nil {
			return nil, err
		}
		return httpGet(ctx, client, loc, maxChecksumBytes)
	}
	path, err := filePath(loc)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxChecksumBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxChecksumBytes {
		return nil, fmt.Errorf("larger than %d bytes: %w", maxChecksumBytes, ErrChecksum)
	}
	return data, nil
}

// filePath returns the path of a file:// URL or a plain path.
func filePath(loc string) (string, error) {
	if !strings.HasPrefix(loc, "file://") {
		return loc, nil
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "", err
	}
	return u.Path, nil
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
	if err := s.checkShrink(cur, l); err != nil {
		return false, err
	}
	s.digest = sum
	s.list.Store(l)
	return true, nil
}
