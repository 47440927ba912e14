package mail

import (
	"bytes"
	"io"
	"io/fs"

	"github.com/mssante-go/sdk/internal/mimeparse"
)

// archiveSource is an attachment opened for random access, as package
// cda/xdm reads a ZIP archive (io.ReaderAt and a size).
type archiveSource struct {
	r     io.ReaderAt
	size  int64
	close func() error
}

// openArchive opens an attachment for random access where it is: the
// temporary file Parse spooled it to (or the file of a FileAttachment), the
// bytes of a BytesAttachment. Otherwise (a small base64 attachment Parse
// kept encoded, an Open made by hand) it decodes it once, into memory up to
// the spool threshold and into a temporary file beyond.
func openArchive(a *Attachment, o *ReadDocumentsOptions) (*archiveSource, error) {
	if a.Open == nil {
		return &archiveSource{r: bytes.NewReader(nil), close: func() error { return nil }}, nil
	}
	rc, err := a.Open()
	if err != nil {
		return nil, err
	}
	switch v := rc.(type) {
	case interface {
		io.ReaderAt
		Stat() (fs.FileInfo, error)
	}:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			return &archiveSource{r: v, size: fi.Size(), close: rc.Close}, nil
		}
	case interface {
		io.ReaderAt
		Size() int64
	}:
		return &archiveSource{r: v, size: v.Size(), close: rc.Close}, nil
	}
	defer rc.Close()
	max := o.SpoolThreshold
	if max < 0 {
		max = 1<<63 - 1
	}
	w := &mimeparse.SpoolWriter{Max: max, Dir: o.SpoolDir, Prefix: "mssante-xdm-*"}
	if _, err := io.Copy(w, rc); err != nil {
		w.Close()
		return nil, err
	}
	r, size, err := w.Reader()
	if err != nil {
		w.Close()
		return nil, err
	}
	// r is a *bytes.Reader or the *os.File of the spool: both read at.
	return &archiveSource{r: r.(io.ReaderAt), size: size, close: func() error { w.Close(); return nil }}, nil
}
