package trust

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlScanner is a small streaming tokenizer for the liste blanche. It works
// on bufio slices and does not allocate per token. It exists because
// encoding/xml misses the 50 ms budget of a parse (BENCHMARKS.md, pair 6).
// Measured on a generated 6,500-entry list in the ANS layout (3.6 MB; the
// ANS file of 2025-03-13 has 6,554 entries, 3.7 MB), each reading the same
// entries into the same values (the encoding/xml reader without ParseList's
// checks of names and values), on one core of an Intel Xeon shared with
// other jobs, go1.26, median of 6 runs (RawToken: of 3):
//
//	ParseList (this scanner)                15.6 ms   4.9 MB   59,000 allocs
//	encoding/xml Decoder.Token              67.9 ms  16.4 MB  405,000 allocs
//	encoding/xml Decoder.RawToken           59.0 ms  11.9 MB  314,000 allocs
//
// (RawToken checks neither tag matching nor namespaces; it was measured by
// swapping it into the benchmark and is not kept.) The command:
//
//	go test ./trust -run '^$' -bench 'ParseList6500' -benchmem -count 6 -cpu 1
//
// (BenchmarkParseList6500 and BenchmarkParseList6500EncodingXML, whose
// reader TestParseListEncodingXMLAgrees checks against ParseList).
//
// It accepts the XML the ANS file uses and the ordinary variations of it
// (declaration, comments, processing instructions, CDATA, character and
// predefined entity references, attributes in either quote). It rejects a
// document type declaration (no DTD, no custom entities) and anything not
// well-formed that it meets. It is not a general XML parser: it does not track
// namespace declarations below the root element.
type xmlScanner struct {
	r    *bufio.Reader
	off  int64 // bytes consumed
	line int   // 1-based line of the reader position

	tag   []byte // raw content of the last tag, between '<' and '>'
	text  []byte // text returned by the last tokText
	ctext []byte // scratch for CDATA and entity decoding
}

type tokKind int

const (
	tokEOF   tokKind = iota
	tokText          // character data (entities already decoded), in s.text
	tokStart         // start tag; name and attributes in s.tag
	tokEnd           // end tag; name in s.tag
	tokEmpty         // empty-element tag <x/>; name and attributes in s.tag
)

// maxTagBytes bounds one tag (name and attributes): the ANS tags are a few
// dozen bytes.
const maxTagBytes = 64 << 10

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: bufio.NewReaderSize(r, 64<<10), line: 1}
}

// syntaxError is what the scanner returns for malformed input; the parser
// wraps it in a *ParseError with the position.
type syntaxError struct{ msg string }

func (e *syntaxError) Error() string { return e.msg }

func errSyntax(format string, args ...any) error {
	return &syntaxError{msg: fmt.Sprintf(format, args...)}
}

func (s *xmlScanner) consumed(b []byte) {
	s.off += int64(len(b))
	s.line += bytes.Count(b, []byte{'\n'})
}

// next returns the next token. Comments and processing instructions are
// skipped; the XML declaration is checked (UTF-8 only) and skipped.
func (s *xmlScanner) next() (tokKind, error) {
	for {
		c, err := s.r.ReadByte()
		if err == io.EOF {
			return tokEOF, nil
		}
		if err != nil {
			return tokEOF, err
		}
		if c != '<' {
			s.r.UnreadByte()
			if err := s.readText(); err != nil {
				return tokEOF, err
			}
			return tokText, nil
		}
		s.off++
		p, _ := s.r.Peek(1)
		if len(p) == 0 {
			return tokEOF, errSyntax("unexpected end of file after '<'")
		}
		switch p[0] {
		case '?':
			if err := s.skipPI(); err != nil {
				return tokEOF, err
			}
			continue
		case '!':
			p, _ = s.r.Peek(9)
			switch {
			case bytes.HasPrefix(p, []byte("!--")):
				s.r.Discard(3)
				s.off += 3
				if _, err := s.readUntil("-->", s.ctext[:0]); err != nil {
					return tokEOF, err
				}
				continue
			case bytes.HasPrefix(p, []byte("![CDATA[")):
				s.r.Discard(8)
				s.off += 8
				out, err := s.readUntil("]]>", s.ctext[:0])
				if err != nil {
					return tokEOF, err
				}
				s.ctext = out
				s.text = append(s.text[:0], out...)
				return tokText, nil
			case bytes.HasPrefix(p, []byte("!DOCTYPE")):
				return tokEOF, errSyntax("document type declarations are not accepted")
			default:
				return tokEOF, errSyntax("unexpected markup '<%s'", printable(p))
			}
		case '/':
			s.r.Discard(1)
			s.off++
			if err := s.readTag(); err != nil {
				return tokEOF, err
			}
			name, rest := splitName(s.tag)
			if len(name) == 0 || len(bytes.TrimSpace(rest)) != 0 {
				return tokEOF, errSyntax("malformed end tag '</%s>'", printable(s.tag))
			}
			s.tag = name
			return tokEnd, nil
		default:
			if err := s.readTag(); err != nil {
				return tokEOF, err
			}
			kind := tokStart
			if n := len(s.tag); n > 0 && s.tag[n-1] == '/' {
				kind = tokEmpty
				s.tag = s.tag[:n-1]
			}
			name, _ := splitName(s.tag)
			if !validName(name) {
				return tokEOF, errSyntax("malformed start tag '<%s>'", printable(s.tag))
			}
			return kind, nil
		}
	}
}

// readText reads character data up to the next '<' or the end of input, and
// decodes entity references into s.text.
func (s *xmlScanner) readText() error {
	s.text = s.text[:0]
	for {
		chunk, err := s.r.ReadSlice('<')
		if len(chunk) > 0 && chunk[len(chunk)-1] == '<' && err == nil {
			chunk = chunk[:len(chunk)-1]
			s.consumed(chunk)
			s.text = append(s.text, chunk...)
			s.r.UnreadByte()
			break
		}
		s.consumed(chunk)
		s.text = append(s.text, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if bytes.IndexByte(s.text, '&') >= 0 {
		out, err := decodeEntities(s.ctext[:0], s.text)
		if err != nil {
			return err
		}
		s.ctext = out
		s.text = append(s.text[:0], out...)
	}
	return nil
}

// readTag reads a tag up to its closing '>' (outside quoted attribute values)
// into s.tag, without the brackets.
func (s *xmlScanner) readTag() error {
	s.tag = s.tag[:0]
	var quote byte
	for {
		chunk, err := s.r.ReadSlice('>')
		s.consumed(chunk)
		s.tag = append(s.tag, chunk...)
		if len(s.tag) > maxTagBytes {
			return errSyntax("tag longer than %d bytes", maxTagBytes)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			return errSyntax("unexpected end of file inside a tag")
		}
		if err != nil {
			return err
		}
		// Track quotes over the new chunk: a '>' inside a quoted attribute
		// value does not end the tag.
		for _, c := range chunk[:len(chunk)-1] {
			switch {
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
			case quote == c:
				quote = 0
			case quote == 0 && c == '<':
				return errSyntax("'<' inside a tag")
			}
		}
		if quote == 0 {
			s.tag = s.tag[:len(s.tag)-1]
			return nil
		}
		// The final '>' was quoted: keep it and read on.
	}
}

// maxSectionBytes bounds a comment, CDATA section or processing instruction.
const maxSectionBytes = 1 << 20

// readUntil reads up to and including term, appends what precedes it to dst
// and returns dst.
func (s *xmlScanner) readUntil(term string, dst []byte) ([]byte, error) {
	last := term[len(term)-1]
	start := len(dst)
	for {
		chunk, err := s.r.ReadSlice(last)
		s.consumed(chunk)
		dst = append(dst, chunk...)
		if len(dst)-start > maxSectionBytes {
			return nil, errSyntax("comment, CDATA section or processing instruction longer than %d bytes", maxSectionBytes)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			return nil, errSyntax("unexpected end of file, looking for %q", term)
		}
		if err != nil {
			return nil, err
		}
		if bytes.HasSuffix(dst[start:], []byte(term)) {
			return dst[:len(dst)-len(term)], nil
		}
	}
}

// skipPI skips a processing instruction; for the XML declaration it checks
// that the encoding, if given, is UTF-8.
func (s *xmlScanner) skipPI() error {
	s.r.Discard(1)
	s.off++
	body, err := s.readUntil("?>", make([]byte, 0, 64))
	if err != nil {
		return err
	}
	target, rest := splitName(body)
	if !bytes.EqualFold(target, []byte("xml")) {
		return nil
	}
	if !bytes.Equal(target, []byte("xml")) || s.off > int64(len(body))+4+3 {
		// "<?xml" only at the very start (after an optional BOM).
		return errSyntax("misplaced or miscased XML declaration")
	}
	attrs, err := parseAttrs(rest)
	if err != nil {
		return err
	}
	for _, a := range attrs {
		if a.name == "encoding" && !equalFoldAny(a.value, "utf-8", "utf8") {
			return errSyntax("unsupported encoding %q (the liste blanche is UTF-8)", a.value)
		}
	}
	return nil
}

// skipBOM drops a UTF-8 byte order mark at the start of input.
func (s *xmlScanner) skipBOM() {
	if p, _ := s.r.Peek(3); bytes.Equal(p, []byte{0xEF, 0xBB, 0xBF}) {
		s.r.Discard(3)
		s.off += 3
	}
}

func equalFoldAny(v string, opts ...string) bool {
	for _, o := range opts {
		if len(v) == len(o) && bytes.EqualFold([]byte(v), []byte(o)) {
			return true
		}
	}
	return false
}

// splitName splits a tag's content into its name and the rest.
func splitName(tag []byte) (name, rest []byte) {
	for i, c := range tag {
		if isSpace(c) || c == '/' {
			return tag[:i], tag[i:]
		}
	}
	return tag, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// validName is a loose check of an XML name: no spaces or markup characters,
// not starting with a digit, '-' or '.'.
func validName(n []byte) bool {
	if len(n) == 0 {
		return false
	}
	if c := n[0]; c == '-' || c == '.' || (c >= '0' && c <= '9') {
		return false
	}
	for _, c := range n {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '-', c == '_', c == '.', c == ':', c >= 0x80:
		default:
			return false
		}
	}
	return true
}

// localName returns the part of a qualified name after its prefix, and the prefix.
func localName(n []byte) (prefix, local []byte) {
	if i := bytes.IndexByte(n, ':'); i >= 0 {
		return n[:i], n[i+1:]
	}
	return nil, n
}

type xmlAttr struct{ name, value string }

// parseAttrs parses `name="value"` pairs; values have entities decoded.
func parseAttrs(b []byte) ([]xmlAttr, error) {
	var attrs []xmlAttr
	for {
		b = bytes.TrimLeft(b, " \t\r\n")
		if len(b) == 0 {
			return attrs, nil
		}
		eq := bytes.IndexByte(b, '=')
		if eq <= 0 {
			return nil, errSyntax("malformed attribute %q", printable(b))
		}
		name := bytes.TrimRight(b[:eq], " \t\r\n")
		if !validName(name) {
			return nil, errSyntax("malformed attribute name %q", printable(name))
		}
		b = bytes.TrimLeft(b[eq+1:], " \t\r\n")
		if len(b) == 0 || (b[0] != '"' && b[0] != '\'') {
			return nil, errSyntax("unquoted value for attribute %q", name)
		}
		q := b[0]
		end := bytes.IndexByte(b[1:], q)
		if end < 0 {
			return nil, errSyntax("unterminated value for attribute %q", name)
		}
		raw := b[1 : 1+end]
		if bytes.IndexByte(raw, '<') >= 0 {
			return nil, errSyntax("'<' in the value of attribute %q", name)
		}
		val, err := decodeEntities(nil, raw)
		if err != nil {
			return nil, err
		}
		for _, a := range attrs {
			if a.name == string(name) {
				return nil, errSyntax("duplicate attribute %q", name)
			}
		}
		attrs = append(attrs, xmlAttr{name: string(name), value: string(val)})
		b = b[2+end:]
		if len(b) > 0 && !isSpace(b[0]) {
			return nil, errSyntax("missing space after attribute %q", name)
		}
	}
}

// decodeEntities appends src to dst with the five predefined entities and
// character references decoded.
func decodeEntities(dst, src []byte) ([]byte, error) {
	for {
		i := bytes.IndexByte(src, '&')
		if i < 0 {
			return append(dst, src...), nil
		}
		dst = append(dst, src[:i]...)
		src = src[i+1:]
		semi := bytes.IndexByte(src, ';')
		if semi <= 0 || semi > 12 {
			return nil, errSyntax("malformed entity reference")
		}
		ref := src[:semi]
		src = src[semi+1:]
		switch string(ref) {
		case "amp":
			dst = append(dst, '&')
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "quot":
			dst = append(dst, '"')
		case "apos":
			dst = append(dst, '\'')
		default:
			if ref[0] != '#' {
				return nil, errSyntax("undefined entity &%s;", printable(ref))
			}
			var n uint64
			var err error
			if len(ref) > 1 && ref[1] == 'x' {
				n, err = strconv.ParseUint(string(ref[2:]), 16, 32)
			} else {
				n, err = strconv.ParseUint(string(ref[1:]), 10, 32)
			}
			r := rune(n)
			if err != nil || !utf8.ValidRune(r) || r == 0 {
				return nil, errSyntax("invalid character reference &%s;", printable(ref))
			}
			dst = utf8.AppendRune(dst, r)
		}
	}
}

// printable shortens and quotes-safe a byte slice for an error message.
func printable(b []byte) string {
	if len(b) > 40 {
		b = b[:40]
	}
	return string(bytes.ToValidUTF8(b, []byte("?")))
}
