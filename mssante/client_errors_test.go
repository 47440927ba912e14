package mssante

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"golang.org/x/oauth2"
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

// temporaryOnly has a Temporary method, as psc's errors do.
type temporaryOnly bool

func (t temporaryOnly) Error() string {
	return "token source: temporary=" + strconv.FormatBool(bool(t))
}
func (t temporaryOnly) Temporary() bool { return bool(t) }

// AuthError.Temporary tells a refusal that a later attempt can cure from
// one it cannot, the token source's error first.
func TestAuthErrorTemporary(t *testing.T) {
	for _, tt := range []struct {
		name string
		e    *AuthError
		want bool
	}{
		{"token refused", &AuthError{Status: "401"}, true},
		{"password refused", &AuthError{Code: 535}, false},
		{"4xx", &AuthError{Code: 454}, true},
		{"token source ended", &AuthError{Status: "401", Err: fmt.Errorf("psc: %w", temporaryOnly(false))}, false},
		{"token source down", &AuthError{Status: "401", Err: temporaryOnly(true)}, true},
		{"invalid_grant", &AuthError{Err: &oauth2.RetrieveError{ErrorCode: "invalid_grant"}}, false},
		{"token endpoint 503", &AuthError{Err: &oauth2.RetrieveError{Response: &http.Response{StatusCode: 503}}}, true},
		{"network", &AuthError{Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}, true},
		{"anything else", &AuthError{Err: errors.New("no idea")}, true},
	} {
		if got := tt.e.Temporary(); got != tt.want {
			t.Errorf("%s: Temporary() = %v", tt.name, got)
		}
		if !errors.Is(tt.e, ErrAuth) || (tt.e.Err != nil && !errors.Is(tt.e, tt.e.Err)) {
			t.Errorf("%s: chain %v", tt.name, tt.e.Unwrap())
		}
	}
	long := &AuthError{Server: "s", Mechanism: "XOAUTH2", Err: errors.New(strings.Repeat("x", 10_000))}
	if n := len(long.Error()); n > 400 {
		t.Errorf("error of %d bytes", n)
	}
}
