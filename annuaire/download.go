package annuaire

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/mssante-go/sdk/internal/httpredirect"
	"github.com/mssante-go/sdk/internal/sysclock"
	"github.com/mssante-go/sdk/trust"
)

// ExtractionURL is where the ANS publishes Extraction_Correspondance_MSSante
// (GET, no authentication, a ZIP of about 20 MB, regenerated daily around
// 03:00 UTC). The server's certificate chains to the IGC-Santé root "AC
// RACINE IGC-SANTE ELEMENTAIRE", which is in no public trust store.
const ExtractionURL = "https://service.annuaire.sante.fr/annuaire-sante-webservices/V300/services/extraction/Extraction_Correspondance_MSSante"

// DefaultMaxDownloadSize bounds a downloaded extraction.
const DefaultMaxDownloadSize = 512 << 20

// DownloadOptions configures [DownloadExtraction]. A nil *DownloadOptions
// means defaults.
type DownloadOptions struct {
	// URL is the file to fetch. "" means ExtractionURL. The data.gouv.fr
	// mirror (plain text) works too.
	URL string
	// HTTPClient fetches the file. For ExtractionURL its TLS configuration
	// must trust the IGC-Santé roots: set Anchors instead to get such a
	// client. nil (and no Anchors) means a client with the system roots
	// (http.DefaultTransport), which fails against the ANS host with an
	// unknown-authority error; it suits mirrors with public certificates.
	// Whatever the client, a redirect from https to http is refused
	// (ErrRedirect); one to another host is followed (the data.gouv.fr
	// mirror redirects to its file server), as the download carries no
	// credential.
	HTTPClient *http.Client
	// Anchors, when HTTPClient is nil, gives a client that trusts these
	// IGC-Santé anchors only (package trust). nil means none.
	Anchors *trust.Anchors
	// MaxSize bounds the body in bytes. 0 means DefaultMaxDownloadSize.
	MaxSize int64
	// UserAgent is sent as User-Agent; "" means "mssante-go-sdk/annuaire".
	UserAgent string
	// Clock gives the time recorded in DownloadResult.Fetched and against
	// which an HTTP-date Retry-After is read. Nil means the system clock.
	Clock Clock
}

// downloadRedirects is the redirect policy of DownloadExtraction.
var downloadRedirects = httpredirect.Policy{Err: ErrRedirect}

// DownloadResult describes a download.
type DownloadResult struct {
	Path         string    // the cache file
	Modified     bool      // false when the server answered 304 Not Modified
	FileName     string    // from Content-Disposition, e.g. Extraction_Correspondance_MSSante_202608260300.zip
	ETag         string    // validators kept for the next conditional GET
	LastModified string    //
	Size         int64     // bytes of the cache file
	Fetched      time.Time // when the file was last fetched
}

// cacheMeta is stored next to the cache file as <file>.meta.json.
type cacheMeta struct {
	URL          string    `json:"url"`
	FileName     string    `json:"fileName,omitempty"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"lastModified,omitempty"`
	Fetched      time.Time `json:"fetched"`
}

// DownloadExtraction fetches the extraction into cachePath with a
// conditional GET: when cachePath and its validators (cachePath +
// ".meta.json") exist, the server may answer 304 and nothing is written.
// The body is streamed to a temporary file in the same directory and
// renamed over cachePath only when complete, so a failed download never
// damages the cache. Open the result with [OpenExtraction] or [LoadIndex].
//
// The ANS server answers 429 to downloads made close together; the error
// is then an *APIError matching ErrRateLimited, with RetryAfter set when
// the server gave it. DownloadExtraction does not retry by itself.
func DownloadExtraction(ctx context.Context, cachePath string, opts *DownloadOptions) (*DownloadResult, error) {
	var o DownloadOptions
	if opts != nil {
		o = *opts
	}
	if o.URL == "" {
		o.URL = ExtractionURL
	}
	if o.HTTPClient == nil && o.Anchors != nil {
		o.HTTPClient = o.Anchors.HTTPClient(0)
	}
	o.HTTPClient = downloadRedirects.Client(o.HTTPClient)
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxDownloadSize
	}
	if o.UserAgent == "" {
		o.UserAgent = "mssante-go-sdk/annuaire"
	}
	clk := o.Clock
	if clk == nil {
		clk = sysclock.Clock{}
	}
	metaPath := cachePath + ".meta.json"
	var meta cacheMeta
	st, statErr := os.Stat(cachePath)
	if statErr == nil {
		if b, err := os.ReadFile(metaPath); err == nil && json.Unmarshal(b, &meta) == nil && meta.URL != o.URL {
			meta = cacheMeta{} // validators of another URL
		}
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("annuaire: %w", err)
	}
	req.Header.Set("User-Agent", o.UserAgent)
	if statErr == nil {
		if meta.ETag != "" {
			req.Header.Set("If-None-Match", meta.ETag)
		}
		if meta.LastModified != "" {
			req.Header.Set("If-Modified-Since", meta.LastModified)
		}
	}
	resp, err := o.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("annuaire: downloading extraction: %w", err)
	}
	defer resp.Body.Close()

	if resp.StatusCode == http.StatusNotModified && statErr == nil {
		return &DownloadResult{Path: cachePath, FileName: meta.FileName, ETag: meta.ETag,
			LastModified: meta.LastModified, Size: st.Size(), Fetched: meta.Fetched}, nil
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, &APIError{StatusCode: resp.StatusCode, Status: resp.Status, Method: http.MethodGet, URL: o.URL,
			Body: head(body), RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), clk.Now()), Attempts: 1}
	}

	tmp, err := os.CreateTemp(filepath.Dir(cachePath), filepath.Base(cachePath)+".part-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, o.MaxSize+1))
	if err == nil && n > o.MaxSize {
		err = ErrTooLarge
	}
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("annuaire: download truncated: %d of %d bytes", n, resp.ContentLength)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("annuaire: downloading extraction: %w", err)
	}
	if err := os.Rename(tmp.Name(), cachePath); err != nil {
		return nil, err
	}
	meta = cacheMeta{URL: o.URL, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"), Fetched: clk.Now().UTC()}
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		if fn := params["filename"]; fn != "" {
			meta.FileName = filepath.Base(fn)
		}
	}
	if b, err := json.MarshalIndent(meta, "", "  "); err == nil {
		if err := os.WriteFile(metaPath, b, 0o644); err != nil {
			return nil, err
		}
	}
	return &DownloadResult{Path: cachePath, Modified: true, FileName: meta.FileName, ETag: meta.ETag,
		LastModified: meta.LastModified, Size: n, Fetched: meta.Fetched}, nil
}
