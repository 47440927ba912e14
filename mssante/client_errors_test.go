package mssante

import (
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// What the servers answer for a folder that is missing or refused, as
// Dovecot 2.3 and Cyrus 3.6 word it (internal/interop checks them live).
func TestFolderError(t *testing.T) {
	no := func(code imap.ResponseCode, text string) error {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: code, Text: text}
	}
	for _, tc := range []struct {
		name                string
		err                 error
		notFound, tryCreate bool
	}{
		{"Dovecot SELECT", no(imap.ResponseCodeNonExistent, "Mailbox doesn't exist: Absent (0.001 + 0.000 secs)."), true, false},
		{"Cyrus SELECT", no("", "Mailbox does not exist"), true, false},
		{"MOVE destination", no(imap.ResponseCodeTryCreate, "Mailbox does not exist"), true, true},
		{"no right", no(imap.ResponseCodeNoPerm, "Permission denied"), false, false},
		{"no code, other text", no("", "Over quota"), false, false},
	} {
		err := folderError("imap.example:143", "SELECT", "Absent", tc.err)
		var fe *FolderError
		if !errors.As(err, &fe) || !errors.Is(err, ErrFolder) || errors.Is(err, ErrFolderNotFound) != tc.notFound ||
			fe.NotFound() != tc.notFound || fe.TryCreate() != tc.tryCreate || fe.Folder != "Absent" || fe.Command != "SELECT" {
			t.Errorf("%s: %#v", tc.name, err)
			continue
		}
		var ie *imap.Error
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), `"Absent"`) {
			t.Errorf("%s: %v does not wrap the IMAP error or name the folder", tc.name, err)
		}
	}
	// BAD and lost connections are not folder errors.
	bad := &imap.Error{Type: imap.StatusResponseTypeBad, Text: "Unrecognized command"}
	if err := folderError("s", "SELECT", "INBOX", bad); err != error(bad) {
		t.Errorf("BAD: %v", err)
	}
	// A long text is cut to at most 100 bytes, valid UTF-8.
	long := strings.Repeat("é", 200)
	err := folderError("s", "SELECT", "INBOX", no("", long))
	var fe *FolderError
	if !errors.As(err, &fe) || len(fe.Text) > 100+len("…") || !strings.HasSuffix(fe.Text, "…") || len(err.Error()) > 300 {
		t.Errorf("long text: %d bytes: %q", len(fe.Text), err)
	}
}
