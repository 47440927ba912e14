package mssante

import (
	"errors"
	"fmt"
	"io"
)

// Default limits of [Parse]. Every read of a message is bounded: a hostile
// or broken message ends in a [*LimitError], never in unbounded memory.
const (
	// DefaultMaxMessageBytes bounds the whole raw message. MSSanté operators
	// set their own limits (often 10 to 25 MB, Mon Espace Santé 25 MB); 64
	// MiB leaves room for base64 overhead above that.
	DefaultMaxMessageBytes = 64 << 20
	// DefaultMaxHeaderBytes bounds the top-level header block.
	DefaultMaxHeaderBytes = 1 << 20
	// DefaultMaxParts bounds the number of MIME parts.
	DefaultMaxParts = 1000
	// DefaultMaxDepth bounds the nesting of multipart entities.
	DefaultMaxDepth = 20
	// maxReportBytes bounds a delivery-status or disposition-notification
	// body, which holds a few fields per recipient.
	maxReportBytes = 1 << 20
)

// ErrLimitExceeded is wrapped by every [*LimitError].
var ErrLimitExceeded = errors.New("mssante: limit exceeded")

// LimitError reports input larger than a configured limit.
type LimitError struct {
	Limit string // which limit: "message size", "header size", "parts", "depth", "report size"
	Max   int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("mssante: %s over the limit of %d", e.Limit, e.Max)
}
func (e *LimitError) Unwrap() error { return ErrLimitExceeded }

// ErrMalformed is wrapped by every [*ParseError].
var ErrMalformed = errors.New("mssante: malformed message")

// ParseError reports input that does not follow the formats the parser
// reads.
type ParseError struct {
	Part   string // where: a header field name or a media type
	Reason string
	Err    error // underlying error, if any
}

func (e *ParseError) Error() string {
	s := "mssante: malformed " + e.Part + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns ErrMalformed and the underlying error.
func (e *ParseError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrMalformed, e.Err}
	}
	return []error{ErrMalformed}
}

// limitReader returns err once more than n bytes were asked for.
type limitReader struct {
	r   io.Reader
	n   int64
	err error
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// One byte more than allowed tells an exact fit from an overflow.
		var b [1]byte
		if _, err := io.ReadFull(l.r, b[:]); err == nil {
			return 0, l.err
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// readAllLimit reads r to the end, or fails with a LimitError past max.
func readAllLimit(r io.Reader, max int64, limit string) ([]byte, error) {
	b, err := io.ReadAll(&limitReader{r: r, n: max, err: &LimitError{Limit: limit, Max: max}})
	return b, err
}
