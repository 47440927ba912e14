package mssante_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
)

// Sync hands back the parse error of a message that cannot be read (in
// Received.Err), and that error quotes little of the message (issue 19,
// item 3): a part header line of 900 kB without a colon, in a message parsed in memory
// (under 1 MiB) and in one parsed from the stream (over it).
func TestSyncErrorTextBounded(t *testing.T) {
	s := newTestServer(t, mailboxA)
	line := strings.Repeat("x", 900<<10)
	small := "From: a@b.fr\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfirst\r\n--b\r\n" + line + "\r\n\r\nbody\r\n--b--\r\n"
	large := strings.Replace(small, "first", strings.Repeat("padding line\r\n", 100_000), 1)
	for _, raw := range []string{small, large} {
		if _, err := s.Deliver(mailboxA, "INBOX", []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	c := mailboxClient(t, s, mailboxA)
	n := 0
	for r, err := range c.Sync(testCtx(t), "INBOX", &mssante.Cursor{}) {
		if err != nil {
			t.Fatalf("Sync: %v", err)
		}
		n++
		if !errors.Is(r.Err, mail.ErrMalformed) || len(r.Err.Error()) > 500 || r.Message != nil {
			t.Fatalf("message %d (%d bytes): error %.200v", r.UID, r.Size, r.Err)
		}
	}
	if n != 2 {
		t.Fatalf("%d messages", n)
	}
}
