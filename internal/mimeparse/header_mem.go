package mimeparse

import (
	"bytes"
	"fmt"

	gotextproto "github.com/emersion/go-message/textproto"
)

// ReadHeaderInPlace is go-message's textproto.ReadHeader for a header held
// in memory: the same fields, raw forms included, and the same errors,
// without a buffered reader and a 256-byte line buffer per field (a quarter
// of the cost of parsing a document mail). It returns the header and how
// many bytes of b it read, the blank line included. keep copies the raw
// fields, for a header that outlives b.
//
// limitErr, when not nil, is what a header that does not end within b
// gives (b is then the first MaxHeaderBytes of the message); when nil, the
// end of b ends the header, as the end of the input does. A last line cut
// by the end of b is read as a whole line first, as bufio gives it.
// FuzzReadHeaderInPlace checks it against textproto.ReadHeader.
func ReadHeaderInPlace(b []byte, keep bool, limitErr error) (gotextproto.Header, int, error) {
	var kvs [][]byte // the fields, in file order
	header := func() gotextproto.Header {
		// AddRaw puts a field first, and ReadHeader lists fields in
		// reverse order: add them from the last.
		var h gotextproto.Header
		for i := len(kvs) - 1; i >= 0; i-- {
			h.AddRaw(kvs[i])
		}
		return h
	}
	pos := 0
	// line returns the next line without its end, as bufio's ReadLine, and
	// whether it ended with CRLF.
	line := func() (l []byte, crlf bool) {
		rest := b[pos:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			pos = len(b)
			return rest, false
		}
		pos += i + 1
		if i > 0 && rest[i-1] == '\r' {
			return rest[:i-1], true
		}
		return rest[:i], false
	}
	if len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		l, _ := line()
		return header(), pos, fmt.Errorf("message: malformed MIME header initial line: %v", string(l))
	}
	for {
		if pos == len(b) {
			return header(), pos, limitErr // the header ends with the input
		}
		start := pos
		first, crlf := line()
		if len(first) == 0 {
			return header(), pos, nil // the blank line
		}
		// A field and its continuation lines, each ending with CRLF in
		// the raw form, whatever the input used.
		canonical, end := crlf, pos
		for pos < len(b) && (b[pos] == ' ' || b[pos] == '\t') {
			_, crlf := line()
			canonical = canonical && crlf
			end = pos
		}
		var kv []byte
		if canonical && !keep {
			kv = b[start:end]
		} else {
			kv = make([]byte, 0, end-start+2)
			for p := start; p < end; {
				rest := b[p:end]
				i := bytes.IndexByte(rest, '\n')
				if i < 0 {
					kv = append(append(kv, rest...), '\r', '\n')
					break
				}
				l := rest[:i]
				if i > 0 && l[i-1] == '\r' {
					l = l[:i-1]
				}
				kv = append(append(kv, l...), '\r', '\n')
				p += i + 1
			}
		}
		colon := bytes.IndexByte(kv, ':')
		if colon < 0 {
			return header(), pos, fmt.Errorf("message: malformed MIME header line: %v", string(kv))
		}
		key := bytes.Trim(kv[:colon], " \t")
		for _, c := range key {
			if c < 33 || c > 126 {
				return header(), pos, fmt.Errorf("message: malformed MIME header key: %v", string(key))
			}
		}
		if len(key) == 0 {
			continue // ReadHeader skips a field whose (canonical) key is empty
		}
		kvs = append(kvs, kv)
	}
}
