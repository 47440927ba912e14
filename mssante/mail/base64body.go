package mail

import (
	"bytes"
	"errors"
	"io"

	"github.com/mssante-go/sdk/internal/mimeparse"
)

// base64Body is a base64 attachment that Parse kept encoded, as read, in
// chunks. Each Open decodes it anew. Parsing a document mail is then a copy
// of its bytes, not a decoding: what only routes or classifies messages
// (Sync, Kind, report matching) never pays for base64.
type base64Body struct {
	chunks [][]byte
	n      int64      // base64 characters (not white space) in all chunks
	owner  *rawBuffer // the message buffer the chunks are in, or nil
}

// Chunk sizes: small attachments waste little, large ones are read in
// blocks that amortise the allocations. A chunk with less room than
// minBase64Read left is closed, so that reads stay large.
const (
	minBase64Chunk = 4 << 10
	maxBase64Chunk = 32 << 10
	minBase64Read  = 512
)

// decodedSize is the size of the decoded content, or -1 when the encoding
// is not whole quanta (reading it will fail).
func (b *base64Body) decodedSize() int64 {
	if b.n%4 != 0 {
		return -1
	}
	size := b.n / 4 * 3
	if size == 0 {
		return 0
	}
	// The padding is among the last characters: trailing white space is
	// skipped, across chunks.
	pad := 0
	for i := len(b.chunks) - 1; i >= 0 && pad < 2; i-- {
		c := b.chunks[i]
		for j := len(c) - 1; j >= 0; j-- {
			switch c[j] {
			case '\r', '\n', ' ', '\t':
				continue
			case '=':
				if pad++; pad < 2 {
					continue
				}
			}
			return size - int64(pad)
		}
	}
	return size - int64(pad)
}

// reader returns the encoded characters.
func (b *base64Body) reader() io.Reader {
	rs := make([]io.Reader, len(b.chunks))
	for i, c := range b.chunks {
		rs[i] = bytes.NewReader(c)
	}
	return io.MultiReader(rs...)
}

// open decodes the body. A body that is not base64 fails on Read with a
// *ParseError (ErrMalformed). Once the message is closed, open fails.
func (b *base64Body) open(mediaType string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		if b.owner != nil {
			if err := b.owner.open(); err != nil {
				return nil, err
			}
		}
		return &attachmentReader{r: mimeparse.NewBase64Reader(b.reader()), part: mediaType, owner: b.owner}, nil
	}
}

// attachmentReader reads a lazily decoded body: it types the decoding
// errors, and lets the message buffer go once closed.
type attachmentReader struct {
	r     io.Reader // nil once closed
	part  string
	owner *rawBuffer
}

var errReadAfterClose = errors.New("mail: attachment read after Close")

func (a *attachmentReader) Read(p []byte) (int, error) {
	if a.r == nil {
		return 0, errReadAfterClose
	}
	n, err := a.r.Read(p)
	if err != nil && err != io.EOF {
		err = &ParseError{Part: a.part, Reason: "attachment is not base64", Err: err}
	}
	return n, err
}

func (a *attachmentReader) Close() error {
	if a.r != nil {
		a.r = nil
		if a.owner != nil {
			a.owner.done()
		}
	}
	return nil
}

// readBase64Attachment reads a base64 attachment part. Up to the spool
// threshold (in decoded bytes) it keeps the encoded characters and decodes
// on Open; beyond, it decodes the whole body into a spool file as
// readAttachment does, so that large documents can be read in place.
func (p *parser) readBase64Attachment(filename, mediaType string, part io.Reader) (*Attachment, error) {
	maxChars := p.maxBase64Chars()
	body := &base64Body{}
	var cur []byte
	for {
		if cap(cur)-len(cur) < minBase64Read {
			if len(cur) > 0 {
				body.chunks = append(body.chunks, cur)
			}
			cur = make([]byte, 0, min(max(body.n, minBase64Chunk), maxBase64Chunk))
		}
		n, err := part.Read(cur[len(cur):cap(cur)])
		body.n += base64Chars(cur[len(cur) : len(cur)+n])
		cur = cur[:len(cur)+n]
		if maxChars >= 0 && body.n > maxChars {
			body.chunks = append(body.chunks, cur)
			// Too large to keep: decode it all into a spool file.
			rest := io.MultiReader(body.reader(), part)
			return p.readAttachment(filename, mediaType, mimeparse.NewBase64Reader(rest))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(cur) > 0 {
		body.chunks = append(body.chunks, cur)
	}
	return &Attachment{
		Filename: filename, ContentType: mediaType, Size: body.decodedSize(),
		Open: body.open(mediaType),
	}, nil
}

// base64AttachmentInPlace is readBase64Attachment for a body in memory:
// the attachment keeps raw.
func (p *parser) base64AttachmentInPlace(filename, mediaType string, raw []byte) (*Attachment, error) {
	body := &base64Body{chunks: [][]byte{raw}, n: base64Chars(raw), owner: p.raw}
	if maxChars := p.maxBase64Chars(); maxChars >= 0 && body.n > maxChars {
		return p.readAttachment(filename, mediaType, mimeparse.NewBase64Reader(bytes.NewReader(raw)))
	}
	return &Attachment{
		Filename: filename, ContentType: mediaType, Size: body.decodedSize(),
		Open: body.open(mediaType),
	}, nil
}

// maxBase64Chars is the encoded size of the spool threshold, or -1.
func (p *parser) maxBase64Chars() int64 {
	if t := p.opts.SpoolThreshold; t >= 0 {
		return (t + 2) / 3 * 4
	}
	return -1
}

// base64Chars counts what is not white space in b, the characters
// base64Reader decodes, by counting the white space it skips (vectorised,
// unlike a loop over the bytes).
func base64Chars(b []byte) int64 {
	ws := bytes.Count(b, []byte{'\n'}) + bytes.Count(b, []byte{'\r'})
	if bytes.IndexByte(b, ' ') >= 0 || bytes.IndexByte(b, '\t') >= 0 {
		ws += bytes.Count(b, []byte{' '}) + bytes.Count(b, []byte{'\t'})
	}
	return int64(len(b) - ws)
}
