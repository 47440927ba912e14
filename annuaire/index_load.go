package annuaire

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
)

// maxLoadWorkers bounds the goroutines that read and parse blocks: reading
// is sequential, so more than a few gain nothing.
const maxLoadWorkers = 4

// errStopped ends a load worker once the load has failed or finished.
var errStopped = errors.New("annuaire: load stopped")

// load reads every block of er into x. Workers take turns reading a block
// (under a lock, since reading is sequential) and parse it while the next
// worker reads; this goroutine puts the parsed blocks back in file order,
// numbers their lines, and delivers their row errors.
func (x *Index) load(ctx context.Context, er *ExtractionReader, o *IndexOptions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	keep := -1
	if o.OnRowError == nil {
		keep = o.MaxRowErrors
	}
	p := newBlockParser(&x.layout, er.maxLine, x.seed, keep)
	if o.SizeHint > 0 {
		nb := o.SizeHint/4096 + 1 // blocks of a megabyte hold several thousand rows
		x.blocks = make([]textBlock, 0, nb)
		x.starts = make([]int32, 0, nb)
	}

	line := er.line + 1 // number of the next block's first line; read before the workers touch er
	workers := min(runtime.GOMAXPROCS(0), maxLoadWorkers)
	results := make(chan *parsedBlock, workers)
	var (
		mu      sync.Mutex
		seq     int
		stopped bool
	)
	for range workers {
		go func() {
			rowsHint := 0
			for {
				b := &parsedBlock{}
				mu.Lock()
				b.seq = seq
				seq++
				if stopped {
					b.err = errStopped
				} else {
					b.text, b.err = er.nextBlock()
				}
				mu.Unlock()
				var re *RowError
				switch {
				case b.err == nil:
					if rowsHint == 0 {
						rowsHint = len(b.text)/128 + 16
					}
					p.parse(b, rowsHint)
					rowsHint = len(b.rows) + len(b.rows)/8 + 16
				case errors.As(b.err, &re): // a line longer than the buffer
					re.Line = 1
					b.err, b.lines, b.badRows, b.errs = nil, 1, 1, []*RowError{re}
				}
				results <- b
				if b.err != nil {
					return
				}
			}
		}()
	}

	stop := func() {
		mu.Lock()
		stopped = true
		mu.Unlock()
	}
	var (
		failed  error
		done    bool
		ended   int // workers that sent their last block
		pending = make(map[int]*parsedBlock)
		next    int
	)
	for ended < workers {
		b := <-results
		if b.err != nil {
			ended++
		}
		pending[b.seq] = b
		for !done {
			b, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			err := b.err
			if err == nil {
				err = ctx.Err()
			}
			if err == nil {
				err = x.addBlock(b, line, o)
				line += b.lines
			}
			if err != nil {
				done = true
				if err != io.EOF {
					failed = err
				}
				stop()
			}
		}
	}
	er.line = line - 1
	return failed
}

// addBlock appends a parsed block whose first line is number line.
func (x *Index) addBlock(b *parsedBlock, line int, o *IndexOptions) error {
	for _, re := range b.errs {
		re.Line += line - 1
		if o.OnRowError != nil {
			o.OnRowError(re)
		} else if len(x.rowErrors) < o.MaxRowErrors {
			x.rowErrors = append(x.rowErrors, re)
		}
	}
	x.badRows += b.badRows
	if len(b.rows) == 0 {
		return nil
	}
	if x.n+len(b.rows) >= 1<<31-1 {
		return ErrTooLarge
	}
	for k := range x.tables {
		x.tables[k].hashes = append(x.tables[k].hashes, b.hashes[k])
	}
	x.add(textBlock{text: b.text, firstLine: line, rows: b.rows})
	if b.counts.per > 0 {
		x.counts[MailboxPER] += b.counts.per
	}
	if b.counts.org > 0 {
		x.counts[MailboxORG] += b.counts.org
	}
	for t, n := range b.counts.other {
		x.counts[t] += n
	}
	return nil
}
