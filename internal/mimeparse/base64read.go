package mimeparse

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
)

// base64Reader decodes a base64 body (RFC 2045) in blocks: line breaks and
// other white space are removed a segment at a time and whole quanta are
// decoded at once, which is several times faster than the byte-wise line
// filters of encoding/base64's stream decoder and go-message's reader.
type base64Reader struct {
	r    io.Reader
	in   []byte // raw input
	enc  []byte // clean characters not yet decoded
	out  []byte // decoded, not yet returned (a window of buf)
	buf  []byte // decoding buffer, reused
	err  error  // sticky
	done bool
}

func NewBase64Reader(r io.Reader) *base64Reader {
	return &base64Reader{r: r, in: make([]byte, 32<<10)}
}

// ErrBadBase64 reports a body that is not base64.
var ErrBadBase64 = errors.New("illegal base64 data")

func (b *base64Reader) Read(p []byte) (int, error) {
	for len(b.out) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		if b.done {
			return 0, io.EOF
		}
		b.fill()
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}

// fill reads a chunk, cleans it and decodes the complete quanta.
func (b *base64Reader) fill() {
	n, err := b.r.Read(b.in)
	b.enc = appendClean(b.enc, b.in[:n])
	if err == io.EOF {
		b.done = true
	} else if err != nil {
		b.err = err
		return
	}
	k := len(b.enc) / 4 * 4
	if b.done {
		if len(b.enc)%4 != 0 {
			b.err = ErrBadBase64
			return
		}
		k = len(b.enc)
	}
	if k == 0 {
		return
	}
	if need := base64.StdEncoding.DecodedLen(k); cap(b.buf) < need {
		b.buf = make([]byte, need)
	}
	m, derr := base64.StdEncoding.Decode(b.buf[:cap(b.buf)], b.enc[:k])
	if derr != nil {
		b.err = ErrBadBase64
		return
	}
	b.out = b.buf[:m]
	b.enc = append(b.enc[:0], b.enc[k:]...)
}

// appendClean appends src without CR, LF, space and tab. Lines are cut at
// LF with IndexByte (vectorised); a line holding other white space than
// its final CR, which real encoders never write, is filtered byte by byte.
func appendClean(dst, src []byte) []byte {
	for len(src) > 0 {
		line := src
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = nil
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if bytes.IndexByte(line, ' ') < 0 && bytes.IndexByte(line, '\t') < 0 && bytes.IndexByte(line, '\r') < 0 {
			dst = append(dst, line...)
			continue
		}
		for _, c := range line {
			if c != ' ' && c != '\t' && c != '\r' {
				dst = append(dst, c)
			}
		}
	}
	return dst
}
