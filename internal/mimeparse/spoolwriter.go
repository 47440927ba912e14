package mimeparse

import (
	"bytes"
	"io"
	"os"
)

// SpoolWriter keeps what is written in memory up to max bytes, then in a
// temporary file: for content whose size must be known before it is sent,
// or that may be too large to hold.
type SpoolWriter struct {
	Max    int64  // bytes kept in memory
	Dir    string // of the temporary file; "" means os.TempDir()
	Prefix string // temporary file name pattern; "" means "mssante-spool-*"
	mem    bytes.Buffer
	file   *os.File
	n      int64
}

func (w *SpoolWriter) Write(p []byte) (int, error) {
	if w.file == nil && int64(w.mem.Len()+len(p)) > w.Max {
		prefix := w.Prefix
		if prefix == "" {
			prefix = "mssante-spool-*"
		}
		f, err := os.CreateTemp(w.Dir, prefix)
		if err != nil {
			return 0, err
		}
		w.file = f
		if _, err := w.mem.WriteTo(f); err != nil {
			return 0, err
		}
	}
	w.n += int64(len(p))
	if w.file != nil {
		return w.file.Write(p)
	}
	return w.mem.Write(p)
}

// Reader returns the content written and its size.
func (w *SpoolWriter) Reader() (io.Reader, int64, error) {
	if w.file == nil {
		return bytes.NewReader(w.mem.Bytes()), w.n, nil
	}
	if _, err := w.file.Seek(0, io.SeekStart); err != nil {
		return nil, 0, err
	}
	return w.file, w.n, nil
}

// Keep closes the temporary file and returns its path, which the caller now
// owns; "" when the content stayed in memory.
func (w *SpoolWriter) Keep() (string, error) {
	if w.file == nil {
		return "", nil
	}
	f := w.file
	w.file = nil
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// Close removes the temporary file, if any.
func (w *SpoolWriter) Close() {
	if w.file != nil {
		w.file.Close()
		os.Remove(w.file.Name())
	}
}

// Bytes returns the content when it stayed in memory (Keep returns ""),
// nil otherwise.
func (w *SpoolWriter) Bytes() []byte {
	if w.file != nil {
		return nil
	}
	return w.mem.Bytes()
}
