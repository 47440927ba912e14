package mssante_test

import (
	"context"
	"testing"
	"time"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

const mailboxA = "alice.martin@medecin.mssante.fr"

// newTestServer starts an operator with the PER mailboxes given, closed at
// the end of the test.
func newTestServer(t *testing.T, mailboxes ...string) *mssantetest.Server {
	t.Helper()
	s, err := mssantetest.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, m := range mailboxes {
		s.MustAddMailbox(m, mssantetest.MailboxPER, nil)
	}
	return s
}

// mailboxClient returns a client of the mailbox addr of s, closed at the
// end of the test.
func mailboxClient(t *testing.T, s *mssantetest.Server, addr string) *mssante.Client {
	t.Helper()
	return newTestClient(t, s.MustConfig(addr))
}

// newTestClient returns a client, closed at the end of the test.
func newTestClient(t *testing.T, cfg mssante.Config) *mssante.Client {
	t.Helper()
	c, err := mssante.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// testCtx bounds a test's calls.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
