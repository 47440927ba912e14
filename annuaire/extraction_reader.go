package annuaire

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"strings"
	"unicode/utf8"
)

// Limits applied when no [ReaderOptions] say otherwise.
const (
	// DefaultMaxLineLength bounds one line of an extraction file. Real lines
	// are about 170 bytes.
	DefaultMaxLineLength = 16 << 10
	// DefaultMaxExtractionSize bounds the uncompressed text read from one
	// extraction (the 2026 file is about 89 MB).
	DefaultMaxExtractionSize = 1 << 30

	maxLineLimit = 1<<16 - 1 // spans are uint16
	chunkSize    = 1 << 20   // read buffer; larger than any allowed line
)

// Errors of the extraction reader. Row-level problems come wrapped in a
// [*RowError]; reading can go on after them.
var (
	ErrNoHeader        = errors.New("annuaire: extraction has no header line")
	ErrNoAddressColumn = errors.New("annuaire: extraction header has no \"Adresse BAL\" column")
	ErrFieldCount      = errors.New("annuaire: wrong number of fields")
	ErrLineTooLong     = errors.New("annuaire: line too long")
	ErrInvalidUTF8     = errors.New("annuaire: line is not valid UTF-8")
	ErrNoAddress       = errors.New("annuaire: row has no mailbox address")
	ErrBadAddress      = errors.New("annuaire: mailbox address has no '@'")
	ErrTooLarge        = errors.New("annuaire: extraction larger than the configured limit")
	ErrNoTextInZip     = errors.New("annuaire: ZIP archive holds no .txt extraction")
)

// RowError reports one bad line. The reader skips the line and goes on.
type RowError struct {
	Line int    // 1-based line number
	Text string // the line, cut to 200 bytes, for the report
	Err  error  // ErrFieldCount, ErrLineTooLong, ErrInvalidUTF8, ErrNoAddress, ErrBadAddress
}

func (e *RowError) Error() string {
	return fmt.Sprintf("extraction line %d: %v", e.Line, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// ReaderOptions tunes an [ExtractionReader]. A nil *ReaderOptions means defaults.
type ReaderOptions struct {
	// MaxLineLength bounds one line, in bytes. Longer lines are reported
	// as ErrLineTooLong and skipped. Zero means DefaultMaxLineLength; values
	// above 65535 are lowered to 65535.
	MaxLineLength int
	// MaxSize bounds the uncompressed bytes read. Reading more fails with
	// ErrTooLarge. Zero means DefaultMaxExtractionSize.
	MaxSize int64
}

// ExtractionReader reads Extraction_Correspondance_MSSante row by row, in
// the manner of encoding/csv: the file is streamed, never held in memory.
type ExtractionReader struct {
	r       io.Reader
	buf     []byte // buffer of skipLongLine, made on first use
	chunk   string // text of the current chunk; lines are substrings of it
	pos     int    // first unread byte of chunk
	lineOff int    // offset in chunk of the line last returned by nextLine
	seq     int    // incremented whenever chunk changes
	eof     bool   // r is exhausted (or failed)
	total   int64  // bytes read from r
	closer  io.Closer
	maxLine int
	maxSize int64

	header  []string // raw header names
	colOf   []int8   // file column -> Column, or -1 for an unknown column
	nFields int      // fields in the header, trailing empty one excluded
	line    int      // number of the last line read
	err     error    // sticky fatal error
}

// NewExtractionReader returns a reader of the plain-text (UTF-8, '|'
// separated) extraction in r. It reads the header line at once and fails
// with ErrNoHeader or ErrNoAddressColumn if the header is unusable. Use
// [OpenExtraction] for a ZIP file.
func NewExtractionReader(r io.Reader, opts *ReaderOptions) (*ExtractionReader, error) {
	er := &ExtractionReader{maxLine: DefaultMaxLineLength, maxSize: DefaultMaxExtractionSize}
	if opts != nil {
		if opts.MaxLineLength > 0 {
			er.maxLine = opts.MaxLineLength
		}
		if opts.MaxSize > 0 {
			er.maxSize = opts.MaxSize
		}
	}
	if er.maxLine > maxLineLimit {
		er.maxLine = maxLineLimit
	}
	er.r = r
	if err := er.readHeader(); err != nil {
		return nil, err
	}
	return er, nil
}

// OpenExtraction opens an extraction file, either the ZIP published by the
// ANS (the first .txt member is read, preferably one whose name starts with
// "Extraction_Correspondance_MSSante") or the plain text file mirrored on
// data.gouv.fr. The kind is recognised from the first bytes. Close the
// reader when done.
func OpenExtraction(name string, opts *ReaderOptions) (*ExtractionReader, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	var magic [4]byte
	n, _ := io.ReadFull(f, magic[:])
	if n == 4 && string(magic[:]) == "PK\x03\x04" {
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		er, err := newZipExtractionReader(f, st.Size(), opts)
		if err != nil {
			f.Close()
			return nil, err
		}
		er.closer = multiCloser{er.closer, f}
		return er, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	er, err := NewExtractionReader(f, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	er.closer = f
	return er, nil
}

// NewZipExtractionReader reads the extraction inside a ZIP archive held in
// ra (size bytes). See [OpenExtraction] for the member chosen.
func NewZipExtractionReader(ra io.ReaderAt, size int64, opts *ReaderOptions) (*ExtractionReader, error) {
	return newZipExtractionReader(ra, size, opts)
}

func newZipExtractionReader(ra io.ReaderAt, size int64, opts *ReaderOptions) (*ExtractionReader, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, fmt.Errorf("annuaire: reading ZIP: %w", err)
	}
	var member *zip.File
	for _, f := range zr.File {
		base := f.Name[strings.LastIndexByte(f.Name, '/')+1:]
		if f.FileInfo().IsDir() || !strings.HasSuffix(strings.ToLower(base), ".txt") {
			continue
		}
		if member == nil || (strings.HasPrefix(base, "Extraction_Correspondance_MSSante") &&
			!strings.HasPrefix(member.Name[strings.LastIndexByte(member.Name, '/')+1:], "Extraction_Correspondance_MSSante")) {
			member = f
		}
	}
	if member == nil {
		return nil, ErrNoTextInZip
	}
	rc, err := member.Open()
	if err != nil {
		return nil, fmt.Errorf("annuaire: opening %s in ZIP: %w", member.Name, err)
	}
	er, err := NewExtractionReader(rc, opts)
	if err != nil {
		rc.Close()
		return nil, err
	}
	er.closer = rc
	return er, nil
}

type multiCloser []io.Closer

func (m multiCloser) Close() error {
	var first error
	for _, c := range m {
		if c == nil {
			continue
		}
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Close releases the file opened by OpenExtraction. It does nothing for a
// reader made by NewExtractionReader.
func (er *ExtractionReader) Close() error {
	if er.closer == nil {
		return nil
	}
	c := er.closer
	er.closer = nil
	return c.Close()
}

// Header returns the column names of the header line, as written.
func (er *ExtractionReader) Header() []string { return er.header }

// Line returns the number of the last line read (the header is line 1).
func (er *ExtractionReader) Line() int { return er.line }

func (er *ExtractionReader) readHeader() error {
	for {
		line, err := er.nextLine()
		if err == io.EOF {
			return ErrNoHeader
		}
		if err != nil {
			var re *RowError
			if errors.As(err, &re) {
				return fmt.Errorf("%w: %v", ErrNoHeader, err)
			}
			return err
		}
		if er.line == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		fields := strings.Split(strings.Clone(line), "|")
		if len(fields) > 1 && strings.TrimSpace(fields[len(fields)-1]) == "" {
			fields = fields[:len(fields)-1] // trailing '|'
		}
		er.header = fields
		er.nFields = len(fields)
		er.colOf = make([]int8, len(fields))
		seen := [NumColumns]bool{}
		for i, name := range fields {
			er.colOf[i] = -1
			if c, ok := columnByKey[headerKey(name)]; ok && !seen[c] {
				er.colOf[i] = int8(c)
				seen[c] = true
			}
		}
		if !seen[ColAddress] {
			return ErrNoAddressColumn
		}
		return nil
	}
}

// nextLine returns the next line without its end-of-line. The line is a
// substring of the current chunk: callers that keep it past the next call
// while dropping the rest must clone it. It returns a *RowError for a line
// too long (the rest of the line is skipped), io.EOF at the end,
// ErrTooLarge past the size limit.
func (er *ExtractionReader) nextLine() (string, error) {
	for {
		if i := strings.IndexByte(er.chunk[er.pos:], '\n'); i >= 0 {
			line := er.chunk[er.pos : er.pos+i]
			er.lineOff = er.pos
			er.pos += i + 1
			return er.finishLine(line)
		}
		if er.eof {
			if er.pos < len(er.chunk) {
				line := er.chunk[er.pos:]
				er.lineOff = er.pos
				er.pos = len(er.chunk)
				return er.finishLine(line)
			}
			if er.err == nil {
				er.err = io.EOF
			}
			return "", er.err
		}
		if err := er.refill(); err != nil {
			return "", err
		}
	}
}

// refill is fill for the line readers: a line too long for the buffer is
// returned as it is, any other error ends the input.
func (er *ExtractionReader) refill() error {
	err := er.fill()
	if err == nil {
		return nil
	}
	var re *RowError
	if errors.As(err, &re) {
		return err
	}
	er.err, er.eof = err, true
	er.chunk, er.pos = "", 0
	return err
}

// fill moves the unread tail of the chunk to the front of a new buffer,
// reads until the buffer is full or the input ends, and makes the result the
// new chunk: one allocation per chunk, not per line. The buffer is never
// written again once it is the chunk, so the chunk views it as a string
// without copying it (lines kept by an Index point into it).
func (er *ExtractionReader) fill() error {
	tail := len(er.chunk) - er.pos
	if tail >= chunkSize {
		return er.skipLongLine()
	}
	buf := make([]byte, chunkSize)
	n := copy(buf, er.chunk[er.pos:])
	read, err := er.readFull(buf[n:])
	n += read
	er.chunk, er.pos = unsafeString(buf[:n]), 0
	er.seq++
	return err
}

// readFull reads into b until it is full or the input ends, counting bytes
// against MaxSize.
func (er *ExtractionReader) readFull(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := er.r.Read(b[n:])
		n += m
		er.total += int64(m)
		if er.total > er.maxSize {
			return n, ErrTooLarge
		}
		if err == io.EOF {
			er.eof = true
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// skipLongLine drops a line that fills the whole buffer, up to its newline.
func (er *ExtractionReader) skipLongLine() error {
	head := clip(er.chunk[er.pos:])
	if er.buf == nil {
		er.buf = make([]byte, chunkSize)
	}
	er.line++
	lineNo := er.line
	er.chunk, er.pos = "", 0
	for !er.eof {
		n, err := er.readFull(er.buf)
		if err != nil {
			return err
		}
		if i := bytes.IndexByte(er.buf[:n], '\n'); i >= 0 {
			er.chunk = string(er.buf[i+1 : n])
			er.seq++
			break
		}
	}
	return &RowError{Line: lineNo, Text: head, Err: ErrLineTooLong}
}

func (er *ExtractionReader) finishLine(line string) (string, error) {
	er.line++
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > er.maxLine {
		return "", &RowError{Line: er.line, Text: clip(line), Err: ErrLineTooLong}
	}
	return line, nil
}

func clip(s string) string {
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// readRecord reads the next data line, splits it into rec (which must be
// zero) and returns it. Blank lines are skipped. The line is a substring of
// er.chunk at er.lineOff.
func (er *ExtractionReader) readRecord(rec *record) (string, error) {
	for {
		line, err := er.nextLine()
		if err != nil {
			return "", err
		}
		if len(line) == 0 || (line[0] == ' ' && strings.TrimSpace(line) == "") {
			continue
		}
		return line, er.split(line, rec)
	}
}

// split cuts line into rec and checks it: field count, UTF-8, address.
func (er *ExtractionReader) split(line string, rec *record) error {
	rec.lineNo = int32(er.line)
	fields, ascii := splitLine(line, er.colOf, &rec.spans)
	if !fieldCountOK(fields, er.nFields, line) {
		return er.rowError(line, ErrFieldCount)
	}
	if !ascii && !utf8.ValidString(line) {
		return er.rowError(line, ErrInvalidUTF8)
	}
	sp := rec.spans[ColAddress]
	if err := checkAddress(line[sp.start:sp.end]); err != nil {
		return er.rowError(line, err)
	}
	return nil
}

// fieldCountOK reports whether a line of the given number of fields matches
// a header of nFields: a trailing '|' after the last column is allowed, and
// so is a missing one when the header had it.
func fieldCountOK(fields, nFields int, line string) bool {
	return fields == nFields || (fields == nFields+1 && line[len(line)-1] == '|')
}

// checkAddress returns ErrNoAddress or ErrBadAddress for an unusable
// "Adresse BAL" field, as written in the line.
func checkAddress(addr string) error {
	if strings.TrimSpace(addr) == "" {
		return ErrNoAddress
	}
	if strings.IndexByte(addr, '@') <= 0 {
		return ErrBadAddress
	}
	return nil
}

// splitLine cuts line at '|' into the span of each known column (colOf maps
// a field of the file to its Column, or -1) without allocating. It returns
// the number of fields and whether the line is all ASCII.
func splitLine(line string, colOf []int8, spans *[NumColumns]span) (fields int, ascii bool) {
	field, start := 0, 0
	// Eight bytes at a time: a word without '|' and without non-ASCII
	// bytes (the common case) costs a few instructions.
	var high uint64
	b := []byte(line) // no copy: read only, does not escape (-gcflags=-m)
	p := 0
	for ; p+8 <= len(b); p += 8 {
		w := binary.LittleEndian.Uint64(b[p:])
		high |= w
		for m := zeroBytes(w ^ pipes); m != 0; m &= m - 1 {
			q := p + bits.TrailingZeros64(m)>>3
			if field < len(colOf) {
				if k := colOf[field]; k >= 0 {
					spans[k] = span{uint16(start), uint16(q)}
				}
			}
			field++
			start = q + 1
		}
	}
	for ; p < len(b); p++ {
		high |= uint64(b[p])
		if b[p] == '|' {
			if field < len(colOf) {
				if k := colOf[field]; k >= 0 {
					spans[k] = span{uint16(start), uint16(p)}
				}
			}
			field++
			start = p + 1
		}
	}
	if field < len(colOf) {
		if k := colOf[field]; k >= 0 {
			spans[k] = span{uint16(start), uint16(len(line))}
		}
	}
	return field + 1, high&highBits == 0
}

const (
	pipes    = 0x7c7c7c7c7c7c7c7c // '|' in every byte
	lowBits  = 0x7f7f7f7f7f7f7f7f
	highBits = 0x8080808080808080
)

// zeroBytes returns a mask with 0x80 set in each zero byte of w, exactly
// (no false positives, unlike the shorter borrow-based trick).
func zeroBytes(w uint64) uint64 {
	t := (w & lowBits) + lowBits
	return ^(t | w | lowBits)
}

func (er *ExtractionReader) rowError(line string, err error) error {
	return &RowError{Line: er.line, Text: clip(line), Err: err}
}

// Read returns the next row. A bad line gives a *RowError (use errors.As);
// reading may go on after it. The end of the file gives io.EOF. Any other
// error (I/O, ErrTooLarge) is final.
func (er *ExtractionReader) Read() (Row, error) {
	var rec record
	line, err := er.readRecord(&rec)
	if err != nil {
		return Row{}, err
	}
	// Detach the row from the chunk so that keeping a few rows does not
	// keep the whole chunk alive.
	return makeRow(strings.Clone(line), &rec.spans, rec.lineNo), nil
}
