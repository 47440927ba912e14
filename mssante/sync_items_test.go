package mssante_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
)

// plainMessage is a small valid message.
func plainMessage(i int) string {
	return fmt.Sprintf("From: a@medecin.mssante.fr\r\nTo: %s\r\nMessage-ID: <m%d@x>\r\nSubject: n%d\r\n\r\nbody\r\n", mailboxA, i, i)
}

// A corrupt message in the middle of a mailbox is one item with its own
// error, not the end of Sync (issue 15 §3): the good messages before and
// after it are yielded, the bad one carries Err and no Message, its bytes
// stay reachable with FetchRaw, and the cursor moves past it. Both ways of
// parsing are covered: in memory (under the spool threshold) and from the
// stream (over it).
func TestSyncCorruptMessageInTheMiddle(t *testing.T) {
	s := newTestServer(t, mailboxA)
	noBoundary := "From: a@medecin.mssante.fr\r\nContent-Type: multipart/mixed\r\n\r\nno boundary\r\n"
	hugeHeader := "From: a@b.fr\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n" +
		strings.Repeat("padding line\r\n", 100_000) + "\r\n--b\r\n" + strings.Repeat("x", 900<<10) + "\r\n\r\nbody\r\n--b--\r\n"
	raws := []string{plainMessage(1), noBoundary, plainMessage(3), hugeHeader, plainMessage(5)}
	for _, raw := range raws {
		if _, err := s.Deliver(mailboxA, "INBOX", []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	c := mailboxClient(t, s, mailboxA)
	var cur mssante.Cursor
	var got []string
	for r, err := range c.Sync(testCtx(t), "INBOX", &cur) {
		if err != nil {
			t.Fatalf("fatal error after %v: %v", got, err)
		}
		if cur.LastUID != r.UID {
			t.Errorf("cursor at %d while UID %d is yielded", cur.LastUID, r.UID)
		}
		if r.Err != nil {
			if r.Message != nil || !errors.Is(r.Err, mail.ErrMalformed) {
				t.Errorf("UID %d: Message %v, Err %.200v", r.UID, r.Message, r.Err)
			}
			var raw bytes.Buffer
			if err := c.FetchRaw(testCtx(t), r.Folder, r.UID, &raw); err != nil || raw.String() != raws[r.UID-1] {
				t.Errorf("UID %d: FetchRaw gave %d bytes (want %d), %v", r.UID, raw.Len(), len(raws[r.UID-1]), err)
			}
			got = append(got, "bad")
			continue
		}
		got = append(got, r.Message.Subject)
		r.Message.Close()
	}
	if want := "n1 bad n3 bad n5"; strings.Join(got, " ") != want || cur.LastUID != 5 {
		t.Fatalf("Sync gave %v, cursor %+v; want %s", got, cur, want)
	}

	// Fetch gives the message's own error, and no message.
	if r, err := c.Fetch(testCtx(t), "INBOX", 2); r != nil || !errors.Is(err, mail.ErrMalformed) {
		t.Errorf("Fetch of the bad message: %v, %v", r, err)
	}
	if r, err := c.Fetch(testCtx(t), "INBOX", 3); err != nil || r.Err != nil || r.Message.Subject != "n3" {
		t.Errorf("Fetch of a good message: %v", err)
	} else {
		r.Message.Close()
	}
}

// A connection lost in the middle of Sync is fatal: the messages read
// before are yielded, then the error, with a nil Received, ends the
// sequence; the cursor stays at the last message yielded, and the next
// Sync resumes there.
func TestSyncConnectionLost(t *testing.T) {
	s := newTestServer(t, mailboxA)
	const total = 100 // more than one FETCH batch
	for i := 1; i <= total; i++ {
		if _, err := s.Deliver(mailboxA, "INBOX", []byte(plainMessage(i))); err != nil {
			t.Fatal(err)
		}
	}
	cfg := s.MustConfig(mailboxA)
	p := startProxy(t, cfg.Operator.IMAP)
	cfg.Operator.IMAP = p.Addr
	c := newTestClient(t, cfg)

	var cur mssante.Cursor
	yielded, afterErr := 0, 0
	var fatal error
	for r, err := range c.Sync(testCtx(t), "INBOX", &cur) {
		if fatal != nil {
			afterErr++
		}
		if err != nil {
			if r != nil {
				t.Errorf("fatal error with a Received: %+v", r)
			}
			fatal = err
			continue
		}
		yielded++
		r.Message.Close()
		if yielded == 10 {
			// The first batch is read: the network goes, for the next
			// FETCH and for a new connection.
			p.refuse.Store(true)
			p.cut()
		}
	}
	if !errors.Is(fatal, mssante.ErrConnect) || afterErr != 0 || yielded >= total || cur.LastUID != uint32(yielded) {
		t.Fatalf("yielded %d, then %v and %d more; cursor %+v", yielded, fatal, afterErr, cur)
	}
	p.refuse.Store(false)
	for r, err := range c.Sync(testCtx(t), "INBOX", &cur) {
		if err != nil {
			t.Fatalf("resumed Sync: %v", err)
		}
		yielded++
		r.Message.Close()
	}
	if yielded != total || cur.LastUID != total {
		t.Fatalf("after resuming: %d messages, cursor %+v", yielded, cur)
	}
}
