package mimeparse

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/emersion/go-message/textproto"
)

// streamMultipart reads the parts of a multipart body from a stream as
// go-message's textproto.MultipartReader does: the same 4096-byte buffer,
// preamble, line-end tolerance, part ends and errors (FuzzStreamMultipart
// compares the two). It differs in one way: a part header is read within
// maxHeader bytes, as the top-level header is, and one that does not end
// there is a *LimitError; go-message reads part headers without bound (a
// 30 MB part header took 90 MiB of memory).
//
// Its part header is the one memMultipart reads from the same bytes: both
// hand the same header bytes, cut at maxHeader, to readHeaderInPlace.
type streamMultipart struct {
	delimiters
	br        *bufio.Reader
	cur       *streamPart
	maxHeader int64
	headerErr error // returned when a part header is longer than maxHeader
}

func NewStreamMultipart(r io.Reader, boundary string, maxHeader int64, headerErr error) *streamMultipart {
	return &streamMultipart{
		delimiters: newDelimiters(boundary),
		br:         bufio.NewReaderSize(&stickyReader{r: r}, multipartLineMax),
		maxHeader:  maxHeader,
		headerErr:  headerErr,
	}
}

// stickyReader never reads again after an error, which the buffered
// Reader would otherwise do.
type stickyReader struct {
	r   io.Reader
	err error
}

func (r *stickyReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	var n int
	n, r.err = r.r.Read(p)
	return n, r.err
}

// Next returns the next part's header and body, or io.EOF after the last
// one. What is left of the previous body is skipped.
func (r *streamMultipart) Next() (textproto.Header, *streamPart, error) {
	if r.cur != nil {
		io.Copy(io.Discard, r.cur)
		r.cur = nil
	}
	if string(r.dashBoundary) == "--" {
		return textproto.Header{}, nil, fmt.Errorf("multipart: boundary is empty")
	}
	expectNewPart := false
	for {
		line, err := r.br.ReadSlice('\n')
		if err == io.EOF && r.isFinalBoundary(line) {
			return textproto.Header{}, nil, io.EOF
		}
		if err != nil {
			return textproto.Header{}, nil, fmt.Errorf("multipart: NextPart: %v", err)
		}
		if r.isBoundaryDelimiterLine(line) {
			r.partsRead++
			h, err := r.readHeader()
			if err != nil {
				return textproto.Header{}, nil, err
			}
			r.cur = &streamPart{mr: r}
			return h, r.cur, nil
		}
		if r.isFinalBoundary(line) {
			return textproto.Header{}, nil, io.EOF
		}
		if expectNewPart {
			return textproto.Header{}, nil, fmt.Errorf("multipart: expecting a new Part; got line %q", string(line))
		}
		if r.partsRead == 0 {
			continue // preamble
		}
		if bytes.Equal(line, r.nl) {
			expectNewPart = true
			continue
		}
		return textproto.Header{}, nil, fmt.Errorf("multipart: unexpected line in Next(): %q", line)
	}
}

// readHeader reads a part header: its lines up to the blank line that ends
// it, but no more than maxHeader bytes, then parses them as memMultipart
// does.
func (r *streamMultipart) readHeader() (textproto.Header, error) {
	var hb []byte
	lineStart := true
	for int64(len(hb)) < r.maxHeader {
		line, err := r.br.ReadSlice('\n')
		hb = append(hb, line...)
		if lineStart && (len(line) == 1 || len(line) == 2 && line[0] == '\r') && line[len(line)-1] == '\n' {
			break // the blank line
		}
		lineStart = err == nil
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			break // the header ends with the input
		}
		if err != nil {
			return textproto.Header{}, err
		}
	}
	var limitErr error
	if int64(len(hb)) >= r.maxHeader {
		hb, limitErr = hb[:r.maxHeader], r.headerErr
	}
	h, _, err := ReadHeaderInPlace(hb, false, limitErr)
	return h, err
}

// streamPart is the body of a part, read up to the next boundary.
type streamPart struct {
	mr      *streamMultipart
	n       int   // body bytes known to be in the buffer
	total   int64 // body bytes read
	err     error // what Read returns once n is spent
	readErr error // the error that followed the buffered bytes
}

func (p *streamPart) Read(d []byte) (int, error) {
	br := p.mr.br
	for p.n == 0 && p.err == nil {
		peek, _ := br.Peek(br.Buffered())
		p.n, p.err = scanUntilBoundary(peek, p.mr.dashBoundary, p.mr.nlDashBoundary, p.total, p.readErr)
		if p.n == 0 && p.err == nil {
			// Make the buffer read more.
			_, p.readErr = br.Peek(len(peek) + 1)
			if p.readErr == io.EOF {
				p.readErr = io.ErrUnexpectedEOF
			}
		}
	}
	if p.n == 0 {
		return 0, p.err
	}
	n, _ := br.Read(d[:min(len(d), p.n)])
	p.total += int64(n)
	p.n -= n
	if p.n == 0 {
		return n, p.err
	}
	return n, nil
}

// scanUntilBoundary returns how many bytes of buf belong to the body for
// sure, and the error to give once they are read (io.EOF at the boundary),
// as go-message's function of that name. total is how much of the body was
// read already: a boundary right at its start has no line end before it.
// readErr is the error that followed buf, if any.
func scanUntilBoundary(buf, dashBoundary, nlDashBoundary []byte, total int64, readErr error) (int, error) {
	if total == 0 {
		if bytes.HasPrefix(buf, dashBoundary) {
			switch matchAfterPrefix(buf, dashBoundary, readErr) {
			case -1:
				return len(dashBoundary), nil
			case 0:
				return 0, nil
			case +1:
				return 0, io.EOF
			}
		}
		if bytes.HasPrefix(dashBoundary, buf) {
			return 0, readErr
		}
	}
	if i := bytes.Index(buf, nlDashBoundary); i >= 0 {
		switch matchAfterPrefix(buf[i:], nlDashBoundary, readErr) {
		case -1:
			return i + len(nlDashBoundary), nil
		case 0:
			return i, nil
		case +1:
			return i, io.EOF
		}
	}
	if bytes.HasPrefix(nlDashBoundary, buf) {
		return 0, readErr
	}
	// Up to the last line end the bytes are body; from it, they are too
	// unless they may start a boundary.
	i := bytes.LastIndexByte(buf, nlDashBoundary[0])
	if i >= 0 && bytes.HasPrefix(nlDashBoundary, buf[i:]) {
		return i, nil
	}
	return len(buf), readErr
}

// matchAfterPrefix tells whether buf, which starts with prefix, is a
// boundary: +1 when the prefix is followed by white space, a dash or the
// end of the input, -1 when by anything else, 0 when more input is needed.
func matchAfterPrefix(buf, prefix []byte, readErr error) int {
	if len(buf) == len(prefix) {
		if readErr != nil {
			return +1
		}
		return 0
	}
	switch buf[len(prefix)] {
	case ' ', '\t', '\r', '\n', '-':
		return +1
	}
	return -1
}
