package mssante

import (
	"bytes"
	"errors"
	"io"
	"os"
	"runtime"
	"sync"
)

// DefaultSpoolThreshold is the attachment size above which Parse writes the
// decoded content to a temporary file instead of keeping it in memory.
const DefaultSpoolThreshold = 1 << 20

// readAttachment reads a decoded attachment body: in memory up to the spool
// threshold, then into a temporary file, all within the message limit.
func (p *parser) readAttachment(filename, mediaType string, body io.Reader) (*Attachment, error) {
	limit := &limitReader{r: body, n: p.opts.MaxMessageBytes, err: &LimitError{Limit: "message size", Max: p.opts.MaxMessageBytes}}
	if p.opts.SpoolThreshold < 0 {
		b, err := io.ReadAll(limit)
		if err != nil {
			return nil, err
		}
		return BytesAttachment(filename, mediaType, b), nil
	}
	w := &spoolWriter{max: p.opts.SpoolThreshold, dir: p.opts.SpoolDir, prefix: "mssante-attachment-*"}
	size, err := io.Copy(w, limit)
	if err != nil {
		w.close()
		return nil, err
	}
	path, err := w.keep()
	if err != nil {
		w.close()
		return nil, err
	}
	if path == "" {
		return BytesAttachment(filename, mediaType, w.mem.Bytes()), nil
	}
	s := &spooled{path: path}
	p.m.spooled = append(p.m.spooled, s)
	// A safety net for callers that forget Message.Close: the file goes
	// when nothing refers to it any more.
	runtime.SetFinalizer(s, (*spooled).remove)
	return &Attachment{
		Filename: filename, ContentType: mediaType, Size: size,
		Open: s.open,
	}, nil
}

// spooled is a temporary file holding a decoded attachment.
type spooled struct {
	path string
	once sync.Once
	gone bool
	mu   sync.Mutex
}

func (s *spooled) open() (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return nil, errSpoolClosed
	}
	return os.Open(s.path)
}

func (s *spooled) remove() {
	s.once.Do(func() {
		s.mu.Lock()
		s.gone = true
		s.mu.Unlock()
		os.Remove(s.path)
	})
}

var errSpoolClosed = errors.New("mssante: attachment content released by Message.Close")

// Close releases what Parse kept on disk for large attachments, and the
// memory Sync and Fetch read a message into (reused for the next ones). The
// message's attachments cannot be opened afterwards; a reader already open
// stays valid until it is closed. It is safe to call on any message, more
// than once.
func (m *Message) Close() error {
	for _, s := range m.spooled {
		s.remove()
	}
	m.spooled = nil
	if m.raw != nil {
		m.raw.close()
	}
	return nil
}

// spoolWriter keeps what is written in memory up to max bytes, then in a
// temporary file: for content whose size must be known before it is sent,
// or that may be too large to hold.
type spoolWriter struct {
	max    int64
	dir    string // "" means os.TempDir()
	prefix string // temporary file name pattern; "" means "mssante-spool-*"
	mem    bytes.Buffer
	file   *os.File
	n      int64
}

func (w *spoolWriter) Write(p []byte) (int, error) {
	if w.file == nil && int64(w.mem.Len()+len(p)) > w.max {
		prefix := w.prefix
		if prefix == "" {
			prefix = "mssante-spool-*"
		}
		f, err := os.CreateTemp(w.dir, prefix)
		if err != nil {
			return 0, err
		}
		w.file = f
		if _, err := w.mem.WriteTo(f); err != nil {
			return 0, err
		}
	}
	w.n += int64(len(p))
	if w.file != nil {
		return w.file.Write(p)
	}
	return w.mem.Write(p)
}

// reader returns the content written and its size.
func (w *spoolWriter) reader() (io.Reader, int64, error) {
	if w.file == nil {
		return bytes.NewReader(w.mem.Bytes()), w.n, nil
	}
	if _, err := w.file.Seek(0, io.SeekStart); err != nil {
		return nil, 0, err
	}
	return w.file, w.n, nil
}

// keep closes the temporary file and returns its path, which the caller now
// owns; "" when the content stayed in memory.
func (w *spoolWriter) keep() (string, error) {
	if w.file == nil {
		return "", nil
	}
	f := w.file
	w.file = nil
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// close removes the temporary file, if any.
func (w *spoolWriter) close() {
	if w.file != nil {
		w.file.Close()
		os.Remove(w.file.Name())
	}
}
