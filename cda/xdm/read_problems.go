package xdm

import (
	"errors"
	"strings"

	"github.com/mssante-go/sdk/internal/textcut"
)

// Problems of one document of a package, found by [Read] and kept in
// [Document.Problems] inside a [*DocumentError]. They concern that document
// only: the package and its other documents stay readable.
var (
	// ErrMissingFile: no file of the archive is the document (its URI names
	// none, or it has no URI and no file could be told to be it).
	ErrMissingFile = errors.New("xdm: document file missing")
	// ErrSharedFile: the document's URI names a file that another
	// DocumentEntry of the package also names. A file is one document and
	// the metadata say whose document it is (patient, type): which entry
	// describes it is ambiguous, so none of them gets the file, and the
	// file is not read at all.
	ErrSharedFile = errors.New("xdm: document file named by several entries")
	// ErrHashMismatch: the SHA-1 of the file is not the metadata's hash
	// (or that hash is not a SHA-1). The document stays readable.
	ErrHashMismatch = errors.New("xdm: document hash does not match its metadata")
	// ErrSizeMismatch: the size of the file is not the metadata's size (or
	// that size is not a number). The document stays readable.
	ErrSizeMismatch = errors.New("xdm: document size does not match its metadata")
	// ErrUnreadableFile: the file's compressed data are corrupt (a CRC or
	// deflate error, or more data than its header declares).
	ErrUnreadableFile = errors.New("xdm: document file unreadable")

	// Notes: nothing wrong was found, something could not be checked.

	// ErrNoHash: the metadata carry no hash, so the content was not
	// checked.
	ErrNoHash = errors.New("xdm: no hash in the metadata, content not checked")
	// ErrNoSize: the metadata carry no size, so the size was not checked.
	ErrNoSize = errors.New("xdm: no size in the metadata, size not checked")
	// ErrNoURI: the metadata carry no URI; [DocumentError.Detail] says how
	// the file was found. (When none was, the problem is ErrMissingFile.)
	ErrNoURI = errors.New("xdm: no URI in the metadata")
)

// DocumentError is one problem of one document ([Document.Problems]). It
// wraps Err, one of ErrMissingFile, ErrSharedFile, ErrHashMismatch,
// ErrSizeMismatch, ErrUnreadableFile, ErrUnsafePath (a URI that leaves its
// folder) or, for the notes, ErrNoHash, ErrNoSize, ErrNoURI.
type DocumentError struct {
	Entry string // the DocumentEntry's id in METADATA.XML
	URI   string // its URI slot, "" when absent
	Path  string // the file concerned, when there is one
	Err   error
	// Want and Got are, for a mismatch, the metadata's value and the
	// file's.
	Want, Got string
	// Detail says more: how a file without URI was found, why none was,
	// the read error.
	Detail string
}

func (e *DocumentError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	b.WriteString(": entry ")
	b.WriteString(quote(e.Entry))
	if e.URI != "" {
		b.WriteString(", URI ")
		b.WriteString(quote(e.URI))
	}
	if e.Path != "" {
		b.WriteString(", file ")
		b.WriteString(quote(e.Path))
	}
	if e.Want != "" || e.Got != "" {
		b.WriteString(": metadata ")
		b.WriteString(quote(e.Want))
		b.WriteString(", actual ")
		b.WriteString(quote(e.Got))
	}
	if e.Detail != "" {
		b.WriteString(" (")
		b.WriteString(e.Detail)
		b.WriteString(")")
	}
	return b.String()
}

func (e *DocumentError) Unwrap() error { return e.Err }

// Note reports whether the problem is a note (ErrNoHash, ErrNoSize,
// ErrNoURI): nothing wrong was found, but something could not be checked.
func (e *DocumentError) Note() bool {
	return e.Err == ErrNoHash || e.Err == ErrNoSize || e.Err == ErrNoURI
}

// quote returns s quoted, cut to textcut.Max bytes.
func quote(s string) string { return textcut.Quote(s) }
