package mimeparse

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/emersion/go-message/textproto"
)

// memMultipart splits a multipart body held in memory into parts without
// copying them. It reads exactly as go-message's textproto.MultipartReader
// reads a stream (same preamble and line-end tolerance, same errors, the
// same 4096-byte line limit of its buffer), which FuzzParseInMemory checks
// against the streaming parse; what it saves is the copies through buffers
// and the byte-wise search of the line breaks of base64 bodies: it looks
// for the boundary, whose "--" base64 never contains.
//
// Unlike go-message, it bounds part headers as the top-level one is
// bounded: a part header that does not end within maxHeader bytes is a
// *LimitError (streamMultipart does the same for a stream).
type memMultipart struct {
	delimiters
	buf       []byte // what is left of the body
	maxHeader int64
	headerErr error // returned when a part header is longer than maxHeader
}

// multipartLineMax is the size of go-message's buffer: a line between parts
// longer than that is an error there, and here.
const multipartLineMax = 4096

func NewMemMultipart(body []byte, boundary string, maxHeader int64, headerErr error) *memMultipart {
	return &memMultipart{delimiters: newDelimiters(boundary), buf: body, maxHeader: maxHeader, headerErr: headerErr}
}

// delimiters are the boundary lines of a multipart body and how they are
// recognised, as in go-message's textproto.MultipartReader.
type delimiters struct {
	nl               []byte // "\r\n", or "\n" once the first delimiter line ends so
	nlDashBoundary   []byte
	dashBoundary     []byte
	dashBoundaryDash []byte
	partsRead        int
}

func newDelimiters(boundary string) delimiters {
	b := []byte("\r\n--" + boundary + "--")
	return delimiters{
		nl:               b[:2],
		nlDashBoundary:   b[:len(b)-2],
		dashBoundaryDash: b[2:],
		dashBoundary:     b[2 : len(b)-2],
	}
}

// memPart is one part: its header and body. When no boundary ends the body
// (a truncated message), terminated is false and reading the body must end
// with io.ErrUnexpectedEOF, as the stream does.
type memPart struct {
	Header     textproto.Header
	Body       []byte
	Terminated bool
}

// Reader returns the body as go-message's part would deliver it.
func (p *memPart) Reader() io.Reader {
	if p.Terminated {
		return bytes.NewReader(p.Body)
	}
	return io.MultiReader(bytes.NewReader(p.Body), errReader{io.ErrUnexpectedEOF})
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Next returns the next part, or io.EOF after the last one.
func (r *memMultipart) Next() (*memPart, error) {
	if string(r.dashBoundary) == "--" {
		return nil, fmt.Errorf("multipart: boundary is empty")
	}
	expectNewPart := false
	for {
		line, err := r.readLine()
		if err == io.EOF && r.isFinalBoundary(line) {
			return nil, io.EOF
		}
		if err != nil {
			return nil, fmt.Errorf("multipart: NextPart: %v", err)
		}
		if r.isBoundaryDelimiterLine(line) {
			r.partsRead++
			return r.part()
		}
		if r.isFinalBoundary(line) {
			return nil, io.EOF
		}
		if expectNewPart {
			return nil, fmt.Errorf("multipart: expecting a new Part; got line %q", string(line))
		}
		if r.partsRead == 0 {
			continue // preamble
		}
		if bytes.Equal(line, r.nl) {
			expectNewPart = true
			continue
		}
		return nil, fmt.Errorf("multipart: unexpected line in Next(): %q", line)
	}
}

// readLine is bufio.Reader.ReadSlice('\n') over a buffer of
// multipartLineMax bytes.
func (r *memMultipart) readLine() ([]byte, error) {
	i := bytes.IndexByte(r.buf, '\n')
	switch {
	case i >= 0 && i < multipartLineMax:
		line := r.buf[:i+1]
		r.buf = r.buf[i+1:]
		return line, nil
	case len(r.buf) >= multipartLineMax:
		line := r.buf[:multipartLineMax]
		r.buf = r.buf[multipartLineMax:]
		return line, bufio.ErrBufferFull
	default:
		line := r.buf
		r.buf = nil
		return line, io.EOF
	}
}

// part reads a part's header, as go-message reads it from the rest of the
// body but within maxHeader bytes, and finds where the part's body ends.
// The header's raw fields point into the body: part headers do not outlive
// the parse.
func (r *memMultipart) part() (*memPart, error) {
	hb, limitErr := r.buf, error(nil)
	if int64(len(hb)) >= r.maxHeader {
		hb, limitErr = hb[:r.maxHeader], r.headerErr
	}
	h, n, err := ReadHeaderInPlace(hb, false, limitErr)
	if err != nil {
		return nil, err
	}
	r.buf = r.buf[n:]
	n, ok := r.bodyEnd()
	p := &memPart{Header: h, Body: r.buf[:n], Terminated: ok}
	r.buf = r.buf[n:]
	return p, nil
}

// bodyEnd returns the length of the body at the start of r.buf, and false
// when no boundary ends it. It is go-message's scanUntilBoundary applied to
// the whole remaining body at once.
func (r *memMultipart) bodyEnd() (int, bool) {
	buf, nl := r.buf, len(r.nl)
	from := 0
	if bytes.HasPrefix(buf, r.dashBoundary) {
		// A boundary right after the header: an empty body.
		if r.matchAfter(buf, r.dashBoundary) {
			return 0, true
		}
		from = len(r.dashBoundary)
	} else if bytes.HasPrefix(r.dashBoundary, buf) {
		return 0, false // the start of a boundary, cut short
	}
	for {
		// An occurrence of nl+"--boundary" at s has "--boundary" at s+nl.
		if from+nl > len(buf) {
			break
		}
		j := bytes.Index(buf[from+nl:], r.dashBoundary)
		if j < 0 {
			break
		}
		s := from + j
		switch {
		case !bytes.Equal(buf[s:s+nl], r.nl):
			from = s + 1
		case r.matchAfter(buf[s:], r.nlDashBoundary):
			return s, true
		default:
			// "--boundaryX" is body text; the stream resumes after it.
			from = s + len(r.nlDashBoundary)
		}
	}
	// Cut short: the stream holds back a final start of a boundary.
	if i := bytes.LastIndexByte(buf, r.nl[0]); i >= from && bytes.HasPrefix(r.nlDashBoundary, buf[i:]) {
		return i, false
	}
	return len(buf), false
}

// matchAfter is go-message's matchAfterPrefix once all the input is read:
// the boundary is followed by white space, a dash or the end of the body.
func (r *memMultipart) matchAfter(buf, prefix []byte) bool {
	if len(buf) == len(prefix) {
		return true
	}
	switch buf[len(prefix)] {
	case ' ', '\t', '\r', '\n', '-':
		return true
	}
	return false
}

func (r *delimiters) isFinalBoundary(line []byte) bool {
	if !bytes.HasPrefix(line, r.dashBoundaryDash) {
		return false
	}
	rest := bytes.TrimLeft(line[len(r.dashBoundaryDash):], " \t")
	return len(rest) == 0 || bytes.Equal(rest, r.nl)
}

func (r *delimiters) isBoundaryDelimiterLine(line []byte) bool {
	if !bytes.HasPrefix(line, r.dashBoundary) {
		return false
	}
	rest := bytes.TrimLeft(line[len(r.dashBoundary):], " \t")
	// Bare LF line ends on the first delimiter line switch the reader to
	// them, as go-message does for mail seen in practice.
	if r.partsRead == 0 && len(rest) == 1 && rest[0] == '\n' {
		r.nl = r.nl[1:]
		r.nlDashBoundary = r.nlDashBoundary[1:]
	}
	return bytes.Equal(rest, r.nl)
}
