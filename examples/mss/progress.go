package main

import (
	"io"
	"net/http"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress is a progress bar on standard error for a long run (an
// extraction indexed, a mailbox synchronised, a list downloaded), or
// nothing. Bars are drawn only when standard error is a terminal and the
// command prints no JSON, so that pipes, logs and --json stay clean. The
// SDK's packages know nothing of it: where they report progress, it is
// through plain funcs.
type progress struct {
	bar *progressbar.ProgressBar // nil: nothing is drawn
}

// progressUnit says what a bar counts.
type progressUnit int

const (
	unitBytes progressUnit = iota
	unitItems
)

// newProgress starts a bar for total units (-1: unknown, a spinner with the
// count), unless quiet or standard error is not a terminal. Call Done when
// the run ends, whatever its outcome.
func (e *env) newProgress(quiet bool, description string, total int64, unit progressUnit, items string) *progress {
	if quiet || !e.tty {
		return &progress{}
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription(description),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionClearOnFinish(),
		// Drawn at once, which also starts the spinner's clock before its
		// goroutine reads it.
		progressbar.OptionSetRenderBlankState(true),
	}
	if unit == unitBytes {
		opts = append(opts, progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionSetItsString(items), progressbar.OptionShowIts())
	}
	if total == 0 {
		total = -1
	}
	return &progress{bar: progressbar.NewOptions64(total, opts...)}
}

// Add counts n more units.
func (p *progress) Add(n int64) {
	if p.bar != nil {
		p.bar.Add64(n) // an error only says the count went past the total
	}
}

// Set sets the count.
func (p *progress) Set(n int64) {
	if p.bar != nil {
		p.bar.Set64(n)
	}
}

// Done ends the bar and clears its line.
func (p *progress) Done() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

// Func returns the progress as a func(done, total) for mssenv.Options and
// the like; nil when nothing is drawn. The first total seen sets the bar's.
func (p *progress) Func() func(done, total int64) {
	if p.bar == nil {
		return nil
	}
	sized := false
	return func(done, total int64) {
		if !sized && total > 0 {
			p.bar.ChangeMax64(total)
			sized = true
		}
		p.Set(done)
	}
}

// Reader counts what r reads.
func (p *progress) Reader(r io.Reader) io.Reader {
	if p.bar == nil {
		return r
	}
	return &progressReader{r: r, p: p}
}

type progressReader struct {
	r io.Reader
	p *progress
}

func (r *progressReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.p.Add(int64(n))
	return n, err
}

// ReaderAt counts what r reads (a ZIP read through its central directory).
func (p *progress) ReaderAt(r io.ReaderAt) io.ReaderAt {
	if p.bar == nil {
		return r
	}
	return &progressReaderAt{r: r, p: p}
}

type progressReaderAt struct {
	r io.ReaderAt
	p *progress
}

func (r *progressReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n, err := r.r.ReadAt(b, off)
	r.p.Add(int64(n))
	return n, err
}

// HTTPClient returns c with the bodies of its responses counted, sizing the
// bar from Content-Length; c itself when nothing is drawn.
func (p *progress) HTTPClient(c *http.Client) *http.Client {
	if p.bar == nil {
		return c
	}
	cc := *c
	cc.Transport = &progressTransport{base: c.Transport, p: p}
	return &cc
}

type progressTransport struct {
	base http.RoundTripper
	p    *progress
}

func (t *progressTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > 0 {
		t.p.bar.ChangeMax64(resp.ContentLength)
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{t.p.Reader(resp.Body), resp.Body}
	return resp, nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
