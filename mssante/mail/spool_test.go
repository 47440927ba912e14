package mail

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func bigMessage(t *testing.T, size int) ([]byte, []byte) {
	t.Helper()
	content := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	m := &Message{From: MustParseAddress("a@medecin.mssante.fr"), To: []Address{MustParseAddress("b@medecin.mssante.fr")},
		Attachments: []*Attachment{BytesAttachment("big.pdf", "application/pdf", content)}}
	return []byte(encodeString(t, m)), content
}

func TestSpoolLargeAttachments(t *testing.T) {
	raw, content := bigMessage(t, 3<<20)
	dir := t.TempDir()
	m, err := Parse(bytes.NewReader(raw), &ParseOptions{SpoolDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "mssante-attachment-*"))
	if len(files) != 1 {
		t.Fatalf("%d spool files", len(files))
	}
	a := m.Attachments[0]
	got, err := readAttachment(a)
	if err != nil || !bytes.Equal(got, content) || a.Size != int64(len(content)) {
		t.Fatalf("spooled content: %d bytes, size %d, %v", len(got), a.Size, err)
	}
	// Opened twice, same content.
	if again, _ := readAttachment(a); !bytes.Equal(again, content) {
		t.Fatal("second open differs")
	}
	m.Close()
	if _, err := os.Stat(files[0]); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("spool file left after Close: %v", err)
	}
	if _, err := a.Open(); err == nil {
		t.Fatal("attachment opened after Close")
	}
	m.Close() // twice is fine

	// Kept in memory on request, and below the threshold.
	m, err = Parse(bytes.NewReader(raw), &ParseOptions{SpoolDir: dir, SpoolThreshold: -1})
	if err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
		t.Fatal("spooled despite SpoolThreshold -1")
	}
	if got, _ := readAttachment(m.Attachments[0]); !bytes.Equal(got, content) {
		t.Fatal("in-memory content differs")
	}
}

// A message that fails after an attachment was spooled leaves no file.
func TestSpoolCleanupOnError(t *testing.T) {
	raw, _ := bigMessage(t, 2<<20)
	dir := t.TempDir()
	if _, err := Parse(bytes.NewReader(raw), &ParseOptions{SpoolDir: dir, MaxMessageBytes: int64(len(raw) - 10)}); !errors.Is(err, ErrLimitExceeded) {
		t.Fatalf("limit: %v", err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
		t.Fatalf("spool files left after failed parses: %v", files)
	}
}
