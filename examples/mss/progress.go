package main

import (
	"io"
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
// mssenv.ProgressClient; nil when nothing is drawn. A known total sizes
// the bar: each download (a list, then its checksum file) is drawn on its
// own.
func (p *progress) Func() func(done, total int64) {
	if p.bar == nil {
		return nil
	}
	return func(done, total int64) {
		if total > 0 && total != p.bar.GetMax64() {
			p.bar.ChangeMax64(total)
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

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
