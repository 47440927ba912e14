package mail

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// ErrAttachmentConsumed is returned by the Open function of an attachment
// made from an [io.Reader] when it is called a second time: a reader can be
// streamed only once. Use [FileAttachment] or [BytesAttachment] when the
// message may be encoded more than once (an outbox that retries, for
// example).
var ErrAttachmentConsumed = errors.New("mail: attachment reader already consumed")

// Attachment is a file attached to a message. Its content is streamed from
// Open when the message is encoded, and never held by the encoder.
type Attachment struct {
	// Filename is the name shown to the recipient. Non-ASCII names are
	// written as an ASCII fallback plus an RFC 2231 UTF-8 filename*.
	Filename string
	// ContentType is the media type, e.g. "application/pdf". Empty means
	// guessed from the file name's extension, then application/octet-stream.
	ContentType string
	// Open returns the content. It is called once per encoding; the
	// encoder closes what it returns. Nil means an empty file.
	Open func() (io.ReadCloser, error)
	// Size is the decoded size in bytes when known (set by the parser and by
	// BytesAttachment and FileAttachment), or -1. For a parsed base64
	// attachment it is computed from the encoded length; -1 when that is not
	// whole base64 quanta.
	Size int64
}

// ReaderAttachment returns an attachment that streams r. It can be
// encoded only once: a second Open returns ErrAttachmentConsumed.
func ReaderAttachment(filename, contentType string, r io.Reader) *Attachment {
	var once sync.Once
	return &Attachment{
		Filename: filename, ContentType: contentType, Size: -1,
		Open: func() (io.ReadCloser, error) {
			var rc io.ReadCloser
			once.Do(func() { rc = io.NopCloser(r) })
			if rc == nil {
				return nil, ErrAttachmentConsumed
			}
			return rc, nil
		},
	}
}

// BytesAttachment returns an attachment holding b (not copied).
func BytesAttachment(filename, contentType string, b []byte) *Attachment {
	return &Attachment{
		Filename: filename, ContentType: contentType, Size: int64(len(b)),
		Open: func() (io.ReadCloser, error) { return bytesReader{bytes.NewReader(b)}, nil },
	}
}

// bytesReader is the content of a BytesAttachment. It keeps ReadAt and
// Size, so that [Message.ReadDocuments] reads an archive in memory where it
// is.
type bytesReader struct{ *bytes.Reader }

func (bytesReader) Close() error { return nil }

// FileAttachment returns an attachment read from the file at path each time
// the message is encoded. Its name is the base name of path.
func FileAttachment(path string) (*Attachment, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &os.PathError{Op: "attach", Path: path, Err: errors.New("not a regular file")}
	}
	return &Attachment{
		Filename: filepath.Base(path), Size: fi.Size(),
		Open: func() (io.ReadCloser, error) { return os.Open(path) },
	}, nil
}

// mediaType returns the attachment's content type, guessed when empty.
func (a *Attachment) mediaType() string {
	if a.ContentType != "" {
		return a.ContentType
	}
	// The types of health documents first, so that they do not depend on
	// the machine's mime.types.
	ext := strings.ToLower(filepath.Ext(a.Filename))
	switch ext {
	case ".zip":
		return "application/zip"
	case ".pdf":
		return "application/pdf"
	case ".xml":
		return "text/xml"
	case ".txt":
		return "text/plain"
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// IsXDM reports whether the attachment is an IHE XDM package: its file name
// is IHE_XDM.ZIP in any case (Ref#2 ECO.2.1.1; real mails use both
// IHE_XDM.ZIP and IHE_XDM.zip).
func (a *Attachment) IsXDM() bool {
	return strings.EqualFold(a.Filename, XDMFilename)
}

// XDMFilename is the name of the IHE XDM attachment of a document mail.
const XDMFilename = "IHE_XDM.ZIP"
