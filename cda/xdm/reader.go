package xdm

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/mssante-go/sdk/cda"
)

// ReadOptions bound [Read]. A nil *ReadOptions means the defaults; a zero
// field means its default.
type ReadOptions struct {
	// MaxEntries is the most ZIP entries accepted; default 1000.
	MaxEntries int
	// MaxDocuments is the most DocumentEntries (ExtrinsicObjects) over all
	// the METADATA.XML of the package; default 50. A document mail carries
	// one or a few documents; the bound keeps small the work that a small
	// archive listing many entries can ask for. It also bounds the XML
	// elements of the METADATA.XML files to 1,000 per document allowed,
	// plus 1,000 (a real DocumentEntry has 50 to 150).
	MaxDocuments int
	// MaxTotalSize is the most uncompressed bytes over all entries, as
	// their headers declare them, and the most bytes Read inflates (each
	// METADATA.XML and each document it hashes, every read counted);
	// default 1 GiB.
	MaxTotalSize int64
	// MaxRatio is the highest uncompressed/compressed size ratio of an
	// entry larger than 1 MiB uncompressed; default 200.
	MaxRatio int64
	// MaxMetadataSize is the largest METADATA.XML; default 4 MiB (a
	// DocumentEntry takes 5 to 10 KB). Decoding XML costs up to some 15
	// times its size in memory.
	MaxMetadataSize int64
	// MaxDepth is the deepest XML nesting in METADATA.XML; default 64. An
	// element of METADATA.XML has at most 64 attributes (a real one has up
	// to 6), whatever the options.
	MaxDepth int
	// SkipHashCheck skips reading the documents to verify hash and size
	// (no hash or size problem is then reported).
	SkipHashCheck bool
}

func (o *ReadOptions) orDefault() ReadOptions {
	var v ReadOptions
	if o != nil {
		v = *o
	}
	if v.MaxEntries <= 0 {
		v.MaxEntries = 1000
	}
	if v.MaxDocuments <= 0 {
		v.MaxDocuments = 50
	}
	if v.MaxTotalSize <= 0 {
		v.MaxTotalSize = 1 << 30
	}
	if v.MaxRatio <= 0 {
		v.MaxRatio = 200
	}
	if v.MaxMetadataSize <= 0 {
		v.MaxMetadataSize = 4 << 20
	}
	if v.MaxDepth <= 0 {
		v.MaxDepth = 64
	}
	return v
}

// Errors of [Read] that refuse the whole package. Limit errors come
// wrapped in a [*LimitError], unsafe entry names in a [*PathError].
// ErrNotZIP and ErrMetadata come with the error that caused them, which
// errors.Is and errors.As reach too (archive/zip's zip.ErrFormat, an
// *xml.SyntaxError). The problems of one document are kept in
// [Document.Problems] instead (see [DocumentError]).
var (
	ErrNotZIP     = errors.New("xdm: not a ZIP archive")
	ErrUnsafePath = errors.New("xdm: unsafe path in archive")
	ErrNoMetadata = errors.New("xdm: no SUBSETnn/METADATA.XML in archive")
	ErrMetadata   = errors.New("xdm: malformed METADATA.XML")
	ErrLimit      = errors.New("xdm: limit exceeded")
	// ErrDuplicateEntry: two entries have the same name (compared without
	// case, after normalisation). Which one a reader takes is ambiguous, so
	// the archive is refused: a checked document could hide another.
	ErrDuplicateEntry = errors.New("xdm: duplicate entry in archive")
	// ErrEncrypted: an entry is encrypted (ZIP flag bit 0), which IHE XDM
	// does not allow and this reader cannot read.
	ErrEncrypted = errors.New("xdm: encrypted entry in archive")
)

// LimitError reports which limit of [ReadOptions] an archive exceeds. It
// wraps ErrLimit.
type LimitError struct {
	Limit string // "entries", "documents", "elements", "attributes", "total size", "ratio", "metadata size", "depth"
	Name  string // entry concerned, if any
	Value int64
	Max   int64
}

func (e *LimitError) Error() string {
	s := fmt.Sprintf("%v: %s %d > %d", ErrLimit, e.Limit, e.Value, e.Max)
	if e.Name != "" {
		s += " (" + quote(e.Name) + ")"
	}
	return s
}
func (e *LimitError) Unwrap() error { return ErrLimit }

// PathError reports an entry with an unsafe name (absolute, with "..", a
// drive letter). It wraps ErrUnsafePath.
type PathError struct{ Name string }

func (e *PathError) Error() string { return fmt.Sprintf("%v: %s", ErrUnsafePath, quote(e.Name)) }
func (e *PathError) Unwrap() error { return ErrUnsafePath }

// Package is a read XDM package.
type Package struct {
	SubmissionSets []SubmissionSet
	// Documents are the DocumentEntries of every METADATA.XML, in order,
	// whether their file could be read or not: see [Document.Problems].
	Documents []*Document
	opts      ReadOptions
}

// Document is one document of a package with its metadata.
type Document struct {
	DocumentEntry
	// SubmissionSet is the EntryID of the submission set holding it ("" when
	// no association names one and the package has several).
	SubmissionSet string
	// Path is the name in the archive of the file that is this document;
	// "" when none was found (see Problems).
	Path string
	// ActualHash and ActualSize are computed from the file (unless
	// ReadOptions.SkipHashCheck, or the document has no readable file).
	ActualHash string
	ActualSize int64
	// HashOK is true when the hash was checked against the metadata and
	// matches, and so does the size when the metadata give one; false when
	// they differ, the metadata carry no hash, or nothing was read.
	HashOK bool
	// Problems lists what is wrong with this document or could not be
	// checked, each a [*DocumentError] (use errors.Is with ErrMissingFile,
	// ErrSharedFile, ErrHashMismatch, ErrSizeMismatch, ErrUnreadableFile,
	// ErrUnsafePath, and the notes ErrNoHash, ErrNoSize, ErrNoURI; errors.As
	// gives the values): first how its file was found, then its hash and
	// size. Empty when the file was found by its URI and its hash and size
	// match. [Document.Err] keeps those that are not notes.
	Problems []error

	file    *zip.File
	rawSize string // the size slot as written
	dir     string // the key of its submission set folder
}

// Readable reports whether the document has a file [Package.Open] can
// read (it may still carry problems: a hash mismatch leaves it readable).
func (d *Document) Readable() bool { return d.file != nil }

// Err returns the document's problems that are not notes, joined, or nil
// when it has none.
func (d *Document) Err() error { return errors.Join(d.faults()...) }

// faults returns the document's problems that are not notes.
func (d *Document) faults() []error {
	var errs []error
	for _, e := range d.Problems {
		if de, ok := e.(*DocumentError); !ok || !de.Note() {
			errs = append(errs, e)
		}
	}
	return errs
}

func (d *Document) problem(err error, want, got, detail string) {
	d.Problems = append(d.Problems, &DocumentError{Entry: d.EntryID, URI: d.URI, Path: d.Path, Err: err, Want: want, Got: got, Detail: detail})
}

// Open returns the document's bytes, bounded by the size its ZIP entry
// declares. A document without a readable file gives its first problem.
func (p *Package) Open(d *Document) (io.ReadCloser, error) {
	if d.file == nil {
		if err := firstFault(d); err != nil {
			return nil, err
		}
		return nil, &DocumentError{Entry: d.EntryID, URI: d.URI, Err: ErrMissingFile}
	}
	rc, err := d.file.Open()
	if err != nil {
		return nil, &DocumentError{Entry: d.EntryID, URI: d.URI, Path: d.Path, Err: ErrUnreadableFile, Detail: err.Error()}
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(rc, int64(d.file.UncompressedSize64)), rc}, nil
}

// ParseCDA opens a document of the package and parses it as CDA. The
// body's Content reads from the archive: read it, then close the returned
// closer.
func (p *Package) ParseCDA(d *Document, opts *cda.ParseOptions) (*cda.Document, io.Closer, error) {
	rc, err := p.Open(d)
	if err != nil {
		return nil, nil, err
	}
	doc, err := cda.Parse(rc, opts)
	if err != nil {
		rc.Close()
		return nil, nil, err
	}
	return doc, rc, nil
}

// PatientINS returns the INS of the package's patient, from the patientId
// of its submission set or documents, when it is an INS CX.
func (p *Package) PatientINS() (cda.INS, bool) {
	var ids []string
	for _, s := range p.SubmissionSets {
		ids = append(ids, s.PatientID)
	}
	for _, d := range p.Documents {
		ids = append(ids, d.PatientID)
	}
	for _, cx := range ids {
		if ins, ok := ParseINSCX(cx); ok {
			return ins, true
		}
	}
	return cda.INS{}, false
}

// Verify returns the first problem, other than a note, of the package's
// documents (a [*DocumentError] wrapping ErrMissingFile, ErrHashMismatch…),
// or nil when every document was found and matches its metadata.
func (p *Package) Verify() error {
	for _, d := range p.Documents {
		if err := firstFault(d); err != nil {
			return err
		}
	}
	return nil
}

// firstFault returns the document's first problem that is not a note.
func firstFault(d *Document) error {
	if f := d.faults(); len(f) > 0 {
		return f[0]
	}
	return nil
}

// claimedEntries reads the entry count of the end of central directory
// record (ZIP64 included). It returns false when it cannot find one; the
// ZIP reader will then report the archive as malformed.
func claimedEntries(r io.ReaderAt, size int64) (uint64, bool) {
	const eocdLen, maxComment = 22, 65535
	start := max(size-eocdLen-maxComment, 0)
	buf := make([]byte, size-start)
	if _, err := r.ReadAt(buf, start); err != nil && err != io.EOF {
		return 0, false
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return 0, false
	}
	n := uint64(binary.LittleEndian.Uint16(buf[i+10:]))
	if n != 0xFFFF {
		return n, true
	}
	// ZIP64: the locator precedes the record and points at the ZIP64 end
	// of central directory, whose entry count is at offset 32.
	if i < 20 || string(buf[i-20:i-16]) != "PK\x06\x07" {
		return n, true
	}
	off := int64(binary.LittleEndian.Uint64(buf[i-12:]))
	var rec [40]byte
	if off < 0 || off > size-40 {
		return 0, false
	}
	if _, err := r.ReadAt(rec[:], off); err != nil || string(rec[:4]) != "PK\x06\x06" {
		return 0, false
	}
	return binary.LittleEndian.Uint64(rec[32:]), true
}

// Read reads an XDM package from r (size bytes).
//
// It is lenient with what real senders produce: names with back-slashes,
// any case, the submission set folders SUBSETnn at the root, under
// IHE_XDM/ or one folder deeper, no README.TXT or INDEX.HTM, short
// "HasMember" association types, several submission sets, DocumentEntries
// without URI, size or hash. What is wrong with one document is reported
// in its [Document.Problems] and the others stay readable; a document file
// is found as [Document.Path] says.
//
// It is strict with hostile archives, which it refuses whole: unsafe names
// ([PathError]), duplicate names, encrypted entries, and the limits of
// [ReadOptions] ([LimitError]). Unless SkipHashCheck, every document file
// is read once, and only once, to check its hash and size; a file named by
// several entries is read by none ([ErrSharedFile]).
func Read(r io.ReaderAt, size int64, opts *ReadOptions) (*Package, error) {
	o := opts.orDefault()
	// Check the entry count the archive claims before archive/zip
	// allocates its directory.
	if n, ok := claimedEntries(r, size); ok && n > uint64(o.MaxEntries) {
		return nil, &LimitError{Limit: "entries", Value: int64(min(n, 1<<62)), Max: int64(o.MaxEntries)}
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotZIP, err)
	}
	if len(zr.File) > o.MaxEntries {
		return nil, &LimitError{Limit: "entries", Value: int64(len(zr.File)), Max: int64(o.MaxEntries)}
	}
	a, err := indexArchive(zr, &o)
	if err != nil {
		return nil, err
	}
	metas := a.metadataFiles()
	if len(metas) == 0 {
		return nil, ErrNoMetadata
	}
	p := &Package{opts: o}
	lim := newMetaLimits(&o)
	b := &budget{left: o.MaxTotalSize, max: o.MaxTotalSize}
	for _, m := range metas {
		if err := p.readSubset(a, m, lim, b); err != nil {
			return nil, err
		}
	}
	a.resolve(p.Documents)
	if !o.SkipHashCheck {
		for _, d := range p.Documents {
			if d.file != nil {
				if err := check(d, b); err != nil {
					return nil, err
				}
			}
		}
	}
	return p, nil
}

func (p *Package) readSubset(a *archive, meta string, lim *metaLimits, b *budget) error {
	f := a.files[meta]
	if int64(f.UncompressedSize64) > p.opts.MaxMetadataSize {
		return &LimitError{Limit: "metadata size", Name: f.Name, Value: int64(f.UncompressedSize64), Max: p.opts.MaxMetadataSize}
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMetadata, err)
	}
	defer rc.Close()
	req, err := decodeMetadata(b.reader(io.LimitReader(rc, p.opts.MaxMetadataSize), f.Name), lim)
	if err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			if le.Name == "" {
				le.Name = f.Name
			}
			return le
		}
		return fmt.Errorf("%w: %s: %w", ErrMetadata, quote(f.Name), err)
	}
	sets, docs := req.convert()
	p.SubmissionSets = append(p.SubmissionSets, sets...)
	for _, d := range docs {
		if len(sets) == 1 && d.SubmissionSet == "" {
			d.SubmissionSet = sets[0].EntryID
		}
		d.dir = path.Dir(meta)
		p.Documents = append(p.Documents, d)
	}
	return nil
}

// check reads a document file once, through the budget, and records its
// hash and size and how they compare with the metadata.
func check(d *Document, b *budget) error {
	rc, err := d.file.Open()
	if err != nil {
		d.problem(ErrUnreadableFile, "", "", err.Error())
		d.file = nil
		return nil
	}
	defer rc.Close()
	h := sha1.New()
	n, err := io.Copy(h, b.reader(rc, d.file.Name))
	if err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			return le
		}
		d.problem(ErrUnreadableFile, "", "", err.Error())
		d.file = nil
		return nil
	}
	d.ActualHash = hex.EncodeToString(h.Sum(nil))
	d.ActualSize = n
	hashOK := false
	switch {
	case d.Hash == "":
		d.problem(ErrNoHash, "", "", "")
	case strings.EqualFold(d.Hash, d.ActualHash):
		hashOK = true
	case !isSHA1(d.Hash):
		d.problem(ErrHashMismatch, d.Hash, d.ActualHash, "the metadata's hash is not a hexadecimal SHA-1")
	default:
		d.problem(ErrHashMismatch, d.Hash, d.ActualHash, "")
	}
	sizeOK := true
	switch {
	case d.rawSize == "":
		d.problem(ErrNoSize, "", "", "")
	case d.Size < 0:
		sizeOK = false
		d.problem(ErrSizeMismatch, d.rawSize, strconv.FormatInt(n, 10), "the metadata's size is not a number")
	case d.Size != n:
		sizeOK = false
		d.problem(ErrSizeMismatch, strconv.FormatInt(d.Size, 10), strconv.FormatInt(n, 10), "")
	}
	d.HashOK = hashOK && sizeOK
	return nil
}

func isSHA1(s string) bool {
	if len(s) != 40 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// budget counts every byte Read inflates (metadata and documents) against
// MaxTotalSize, however often a file would be read.
type budget struct{ left, max int64 }

func (b *budget) reader(r io.Reader, name string) io.Reader {
	return &budgetReader{r: r, b: b, name: name}
}

type budgetReader struct {
	r    io.Reader
	b    *budget
	name string
}

func (r *budgetReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.b.left -= int64(n)
	if r.b.left < 0 {
		return n, &LimitError{Limit: "total size", Name: r.name, Value: r.b.max - r.b.left, Max: r.b.max}
	}
	return n, err
}
