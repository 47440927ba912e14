package mail

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/mssante-go/sdk/internal/textcut"
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
	// DefaultMaxReportFields bounds the fields of one delivery-status or
	// disposition-notification part: a few per recipient, so room for more
	// than a thousand recipients.
	DefaultMaxReportFields = 10000
	// DefaultMaxReportFieldBytes bounds one field of a report part, its
	// continuation lines unfolded. A real Diagnostic-Code is a few hundred
	// bytes.
	DefaultMaxReportFieldBytes = 64 << 10
	// maxReportBytes bounds what is read of a delivery-status or
	// disposition-notification body, and of the header of a returned
	// message; the rest is skipped and reported as a problem.
	maxReportBytes = 1 << 20
	// maxQuote is how much of the input an error quotes.
	maxQuote = 100
	// maxErrorText bounds the text of an error read from a library that
	// quotes its input whole (a malformed header line can be megabytes),
	// and a quote once escaped. A ParseError is then at most about 450
	// bytes long.
	maxErrorText = 120
	// maxPartProblems bounds the problems recorded for one part; the rest
	// are counted in one more problem.
	maxPartProblems = 8
)

// ErrLimitExceeded is wrapped by every [*LimitError].
var ErrLimitExceeded = errors.New("mail: limit exceeded")

// LimitError reports input larger than a configured limit.
type LimitError struct {
	// Limit says which: "message size", "header size" (the top-level
	// header or a part header), "parts", "depth", and inside report parts
	// "report size", "report fields", "report field size".
	Limit string
	Max   int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("mail: %s over the limit of %d", e.Limit, e.Max)
}
func (e *LimitError) Unwrap() error { return ErrLimitExceeded }

// ErrMalformed is wrapped by every [*ParseError].
var ErrMalformed = errors.New("mail: malformed message")

// ParseError reports input that does not follow the formats the parser
// reads. Its text quotes at most about a hundred bytes of the input.
type ParseError struct {
	Part   string // where: a header field name or a media type
	Reason string
	Err    error // underlying error, if any
	// Quote is the start of the offending input (at most 100 bytes, cut
	// marked with "…"), or "".
	Quote string
}

func (e *ParseError) Error() string {
	s := "mail: malformed " + textcut.Cut(e.Part, maxQuote) + ": " + e.Reason
	if e.Err != nil {
		s += ": " + textcut.Cut(e.Err.Error(), maxErrorText)
	}
	if e.Quote != "" {
		// Escaping can make the quote four times longer: cut it again.
		s += " (" + textcut.Cut(strconv.Quote(e.Quote), maxErrorText) + ")"
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

// quote returns the start of b for an error: at most maxQuote bytes, cut
// on a UTF-8 boundary and marked with "…".
func quote(b []byte) string { return textcut.Bytes(b, maxQuote) }

// shortError returns err, or when its text is longer than maxErrorText
// (go-message's header and multipart errors quote the offending line whole,
// which can be megabytes) an error with the text cut. The long original is
// not kept: a hostile message must not pin megabytes in an error.
func shortError(err error) error {
	var (
		pe *ParseError
		le *LimitError
	)
	if err == nil || errors.As(err, &pe) || errors.As(err, &le) || len(err.Error()) <= maxErrorText {
		return err // ours are short already
	}
	return errors.New(textcut.Cut(err.Error(), maxErrorText))
}
