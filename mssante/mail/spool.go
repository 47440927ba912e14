package mail

import (
	"errors"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/mssante-go/sdk/internal/mimeparse"
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
	w := &mimeparse.SpoolWriter{Max: p.opts.SpoolThreshold, Dir: p.opts.SpoolDir, Prefix: "mssante-attachment-*"}
	size, err := io.Copy(w, limit)
	if err != nil {
		w.Close()
		return nil, err
	}
	path, err := w.Keep()
	if err != nil {
		w.Close()
		return nil, err
	}
	if path == "" {
		return BytesAttachment(filename, mediaType, w.Bytes()), nil
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
		return nil, ErrClosed
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

// ErrClosed is returned when content is asked for after the Close that
// released it: opening an attachment of a closed [Message], or a document
// of closed [ReceivedDocuments].
var ErrClosed = errors.New("mail: content released by Close")

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
