package mssantetest_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/internal/testdocs"
	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/trust"
)

const (
	drA  = "alice.martin@medecin.mssante.fr"
	drB  = "bruno.durand@ch-test.mssante.fr"
	app  = "integration@ch-test.mssante.fr"
	tick = 10 * time.Second
)

func newServer(t *testing.T, opts *mssantetest.Options) *mssantetest.Server {
	t.Helper()
	s := newServerWith(t, opts)
	s.MustAddMailbox(drA, mssantetest.MailboxPER, nil)
	s.MustAddMailbox(drB, mssantetest.MailboxPER, nil)
	s.MustAddMailbox(app, mssantetest.MailboxAPP, nil)
	return s
}

func newClient(t *testing.T, cfg mssante.Config) *mssante.Client {
	t.Helper()
	c, err := mssante.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), tick)
	t.Cleanup(cancel)
	return c
}

// syncAll returns the parsed messages of INBOX newer than cursor.
func syncAll(t *testing.T, c *mssante.Client, cur *mssante.Cursor) []*mssante.Received {
	t.Helper()
	var out []*mssante.Received
	for r, err := range c.Sync(ctx(t), "INBOX", cur) {
		if err != nil {
			t.Fatalf("Sync: %v", err)
		}
		out = append(out, r)
	}
	return out
}

func textMessage(to ...string) *mail.Message {
	m := &mail.Message{Subject: "Adressage", Text: "Bonjour\n", RequestDeliveryReceipt: true, RequestReadReceipt: true}
	for _, a := range to {
		m.To = append(m.To, mail.MustParseAddress(a))
	}
	return m
}

// The whole cycle: send with DSN and MDN requested, receive, DSN back,
// MDN back, each parsed into the SDK's report types.
func TestSendReceiveDSNAndMDN(t *testing.T) {
	s := newServer(t, nil)
	a := newClient(t, s.MustConfig(drA))
	b := newClient(t, s.MustConfig(drB))

	msg := textMessage(drB)
	res, err := a.Send(ctx(t), msg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.DSNRequested || res.DSNUnsupported || len(res.Accepted()) != 1 || res.EnvelopeID != msg.MessageID {
		t.Fatalf("result %+v", res)
	}

	var bCur mssante.Cursor
	got := syncAll(t, b, &bCur)
	if len(got) != 1 {
		t.Fatalf("B got %d messages", len(got))
	}
	in := got[0].Message
	if in.MessageID != msg.MessageID || in.ProductRef != "MSSANTETEST" || in.ReturnPath == nil || in.ReturnPath.Addr != drA || got[0].Seen() {
		t.Fatalf("received %+v", in)
	}

	var aCur mssante.Cursor
	dsns := syncAll(t, a, &aCur)
	if len(dsns) != 1 || dsns[0].Message.Kind() != mail.KindDSN {
		t.Fatalf("A got %d messages, want a DSN", len(dsns))
	}
	d := dsns[0].Message.DSN
	if d.OriginalEnvelopeID != res.EnvelopeID || d.OriginalMessageID != msg.MessageID || d.Recipients[0].Action != mail.ActionDelivered || d.Recipients[0].OriginalRecipient != drB {
		t.Fatalf("DSN %+v", d)
	}

	mdn, err := mail.NewMDN(in, mail.MDNOptions{From: b.Address()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Send(ctx(t), mdn); err != nil {
		t.Fatal(err)
	}
	reports := syncAll(t, a, &aCur)
	if len(reports) != 1 || reports[0].Message.Kind() != mail.KindMDN {
		t.Fatalf("A got %d more messages, want the MDN", len(reports))
	}
	if md := reports[0].Message.MDN; md.OriginalMessageID != msg.MessageID || md.Disposition.Type != mail.Displayed || md.FinalRecipient != drB {
		t.Fatalf("MDN %+v", md)
	}
	// Nothing new on a second sync.
	if more := syncAll(t, a, &aCur); len(more) != 0 {
		t.Fatalf("second sync returned %d", len(more))
	}
}

func TestAuthModes(t *testing.T) {
	s := newServer(t, nil)
	pw := s.MustAddMailbox("plain@medecin.mssante.fr", mssantetest.MailboxPER, nil)
	cases := map[string]func() mssante.Config{
		"XOAUTH2":  func() mssante.Config { return s.MustConfig(drA) },
		"EXTERNAL": func() mssante.Config { return s.MustConfig(app) },
		"PLAIN": func() mssante.Config {
			cfg := s.MustConfig(pw.Address)
			cfg.Auth = mssante.Password(pw.Address, pw.Password)
			return cfg
		},
		"OAUTHBEARER": func() mssante.Config {
			cfg := s.MustConfig(drA)
			cfg.Auth = mssante.OAuthBearer(s.TokenSource(drA))
			return cfg
		},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, cfg())
			if _, err := c.Send(ctx(t), textMessage(drB)); err != nil {
				t.Fatalf("send: %v", err)
			}
			if _, err := c.Folders(ctx(t)); err != nil {
				t.Fatalf("IMAP: %v", err)
			}
		})
	}
}

func TestAuthFailures(t *testing.T) {
	s := newServer(t, nil)
	cfg := s.MustConfig(drA)
	cfg.Auth = mssante.OAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "not-a-token"}))
	c := newClient(t, cfg)
	_, err := c.Send(ctx(t), textMessage(drB))
	var ae *mssante.AuthError
	if !errors.As(err, &ae) || !errors.Is(err, mssante.ErrAuth) || ae.Status != "401" || ae.Code != 535 {
		t.Fatalf("SMTP: %#v", err)
	}
	if strings.Contains(err.Error(), "not-a-token") {
		t.Fatal("the token appears in the error")
	}
	_, err = c.Folders(ctx(t))
	if !errors.As(err, &ae) || ae.Status != "401" {
		t.Fatalf("IMAP: %#v", err)
	}

	// This operator wants a SASL step after the client certificate.
	certOnly := s.MustConfig(app)
	cert, _ := s.ClientCertificate(app)
	certOnly.Auth = mssante.CertificateOnly(cert)
	if _, err := newClient(t, certOnly).Send(ctx(t), textMessage(drB)); err == nil {
		t.Fatal("certificate without SASL accepted")
	}

	pw := s.MustAddMailbox("plain@medecin.mssante.fr", mssantetest.MailboxPER, nil)
	cfg.Auth = mssante.Password(pw.Address, "wrong")
	c = newClient(t, cfg)
	if _, err := c.Send(ctx(t), textMessage(drB)); !errors.Is(err, mssante.ErrAuth) {
		t.Fatalf("wrong password: %v", err)
	}
}

// A token the server revoked (expired) is refreshed and the login retried once.
func TestTokenRefresh(t *testing.T) {
	s := newServer(t, nil)
	ts := s.TokenSource(drA)
	cfg := s.MustConfig(drA)
	cfg.Auth = mssante.OAuth2(&revokingSource{ts: ts, s: s})
	c := newClient(t, cfg)
	if _, err := c.Send(ctx(t), textMessage(drB)); err != nil {
		t.Fatalf("send after refresh: %v", err)
	}
	if _, err := c.Folders(ctx(t)); err != nil {
		t.Fatalf("IMAP after refresh: %v", err)
	}
}

// revokingSource hands out each token once and revokes it right after, so
// that every login first fails with 401 and succeeds with the next token.
type revokingSource struct {
	ts   oauth2.TokenSource
	s    *mssantetest.Server
	mu   sync.Mutex
	last string
}

func (r *revokingSource) Token() (*oauth2.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == "" {
		tok, err := r.ts.Token()
		if err != nil {
			return nil, err
		}
		r.last = tok.AccessToken
		r.s.RevokeToken(tok.AccessToken) // expired by the time it is used
		return &oauth2.Token{AccessToken: tok.AccessToken}, nil
	}
	r.last = ""
	return r.ts.Token()
}

func TestTLSRejectsUntrustedServer(t *testing.T) {
	s := newServer(t, nil)
	other, err := testpki.New(&testpki.Options{Name: "AUTRE"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.MustConfig(drA)
	cfg.RootCAs = other.Pool()
	c := newClient(t, cfg)
	_, err = c.Send(ctx(t), textMessage(drB))
	var te *mssante.TLSError
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &te) || !errors.Is(err, mssante.ErrTLS) || !errors.As(err, &ua) || !strings.Contains(te.Issuer, "IGC-SANTE") {
		t.Fatalf("SMTP: %#v", err)
	}
	if _, err := c.Folders(ctx(t)); !errors.As(err, &te) {
		t.Fatalf("IMAP: %v", err)
	}
	if st := s.Stats(); st.Transactions != 0 {
		t.Fatalf("a transaction started: %+v", st)
	}
}

func TestImplicitTLS(t *testing.T) {
	s := newServer(t, &mssantetest.Options{ImplicitTLS: true})
	c := newClient(t, s.MustConfig(drA))
	if _, err := c.Send(ctx(t), textMessage(drB)); err != nil {
		t.Fatal(err)
	}
	b := newClient(t, s.MustConfig(drB))
	if got := syncAll(t, b, &mssante.Cursor{}); len(got) != 1 {
		t.Fatalf("got %d", len(got))
	}
}

func TestTrustGuard(t *testing.T) {
	s := newServer(t, nil)
	c := newClient(t, s.MustConfig(drA))
	before := s.Stats()
	msg := textMessage(drB, "x@evil-mssante.fr", "y@mssante.fr.evil.com")
	_, err := c.Send(ctx(t), msg)
	var te *mssante.TrustError
	if !errors.As(err, &te) || !errors.Is(err, mssante.ErrOutsideTrustSpace) || len(te.Recipients) != 2 {
		t.Fatalf("err %v", err)
	}
	if after := s.Stats(); after.SMTPConnections != before.SMTPConnections {
		t.Fatal("an SMTP connection was opened for a refused message")
	}
	// A patient address with a wrong key is refused before connecting too.
	msg = &mail.Message{To: []mail.Address{{Addr: "279035121518988@patient.mssante.fr"}}, Text: "x"}
	if _, err := c.Send(ctx(t), msg); !errors.Is(err, cda.ErrINSKey) || !errors.Is(err, mail.ErrInvalidAddress) {
		t.Fatalf("bad INS: %v", err)
	}
	if after := s.Stats(); after.SMTPConnections != before.SMTPConnections {
		t.Fatal("an SMTP connection was opened for a bad patient address")
	}
	// With the guard off, the operator refuses at RCPT with 5.7.1.
	cfg := s.MustConfig(drA)
	cfg.Trust, cfg.AllowAnyRecipient = nil, true
	open := newClient(t, cfg)
	res, err := open.Send(ctx(t), textMessage(drB, "x@evil-mssante.fr"))
	if err != nil {
		t.Fatal(err)
	}
	var re *mssante.RecipientError
	if len(res.Accepted()) != 1 || !errors.As(res.Recipients[1].Err, &re) || re.Code != 550 || re.Enhanced != "5.7.1" {
		t.Fatalf("result %+v", res.Recipients)
	}
}

func TestFailureDSN(t *testing.T) {
	s := newServer(t, &mssantetest.Options{TrustedDomains: []string{"autre-operateur.mssante.fr"}})
	s.MustAddMailbox("279035121518989@patient.mssante.fr", mssantetest.MailboxPER, nil)
	s.CloseMailbox("279035121518989@patient.mssante.fr")
	a := newClient(t, s.MustConfig(drA))
	msg := textMessage("inconnu@ch-test.mssante.fr", "279035121518989@patient.mssante.fr", drB, "x@autre-operateur.mssante.fr")
	if _, err := a.Send(ctx(t), msg); err != nil {
		t.Fatal(err)
	}
	reports := syncAll(t, a, &mssante.Cursor{})
	var failed, ok []mail.DSNRecipient
	for _, r := range reports {
		if r.Message.DSN == nil {
			t.Fatalf("not a DSN: %q", r.Message.Subject)
		}
		for _, rc := range r.Message.DSN.Recipients {
			if rc.Err() != nil {
				failed = append(failed, rc)
			} else {
				ok = append(ok, rc)
			}
		}
	}
	if len(failed) != 2 || len(ok) != 2 {
		t.Fatalf("failed %+v ok %+v", failed, ok)
	}
	if !errors.Is(failed[0].Err(), mail.ErrDeliveryFailed) || failed[0].Status != "5.1.1" {
		t.Errorf("unknown mailbox: %v", failed[0].Err())
	}
	if !errors.Is(failed[1].Err(), mail.ErrPatientMailboxClosed) {
		t.Errorf("closed patient mailbox: %v", failed[1].Err())
	}
	if ok[1].Action != mail.ActionRelayed {
		t.Errorf("trusted remote domain: %+v", ok[1])
	}
}

func TestDSNUnsupported(t *testing.T) {
	s := newServer(t, &mssantetest.Options{DisableDSN: true})
	a := newClient(t, s.MustConfig(drA))
	res, err := a.Send(ctx(t), textMessage(drB))
	if err != nil || !res.DSNUnsupported || res.DSNRequested {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestSizeLimit(t *testing.T) {
	s := newServer(t, &mssantetest.Options{MaxMessageBytes: 10000})
	a := newClient(t, s.MustConfig(drA))
	msg := textMessage(drB)
	msg.Attachments = []*mail.Attachment{mail.BytesAttachment("big.pdf", "", bytes.Repeat([]byte("x"), 20000))}
	if _, err := a.Send(ctx(t), msg); !errors.Is(err, mssante.ErrMessageTooLarge) {
		t.Fatalf("known size: %v", err)
	}
	// Size unknown beforehand: refused at DATA.
	msg = textMessage(drB)
	msg.Attachments = []*mail.Attachment{mail.ReaderAttachment("big.pdf", "", bytes.NewReader(bytes.Repeat([]byte("x"), 20000)))}
	if _, err := a.Send(ctx(t), msg); !errors.Is(err, mssante.ErrMessageTooLarge) {
		t.Fatalf("streamed: %v", err)
	}
}

func TestUIDValidityChange(t *testing.T) {
	s := newServer(t, nil)
	a := newClient(t, s.MustConfig(drA))
	b := newClient(t, s.MustConfig(drB))
	a.Send(ctx(t), textMessage(drB))
	var cur mssante.Cursor
	if got := syncAll(t, b, &cur); len(got) != 1 || cur.Reset {
		t.Fatalf("first sync %d %+v", len(got), cur)
	}
	old := cur
	if err := s.RecreateFolder(drB, "INBOX"); err != nil {
		t.Fatal(err)
	}
	a.Send(ctx(t), textMessage(drB))
	got := syncAll(t, b, &cur)
	if len(got) != 1 || !cur.Reset || cur.UIDValidity == old.UIDValidity || cur.LastUID != got[0].UID {
		t.Fatalf("after UIDVALIDITY change: %d messages, cursor %+v (was %+v)", len(got), cur, old)
	}
}

func TestIMAPOperations(t *testing.T) {
	for _, tc := range []struct {
		name       string
		extensions []string
		// whether the move removes the message from INBOX
		expunged bool
	}{
		{"MOVE", nil, true},
		{"UIDPLUS only", []string{"UIDPLUS"}, true},
		{"neither", []string{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, &mssantetest.Options{IMAPExtensions: tc.extensions})
			a := newClient(t, s.MustConfig(drA))
			b := newClient(t, s.MustConfig(drB))
			var ids []string
			for i := 0; i < 3; i++ {
				m := textMessage(drB)
				if _, err := a.Send(ctx(t), m); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, m.MessageID)
			}
			got := syncAll(t, b, &mssante.Cursor{})
			if len(got) != 3 {
				t.Fatalf("%d messages", len(got))
			}
			uids, err := b.SearchMessageID(ctx(t), "INBOX", ids[1])
			if err != nil || len(uids) != 1 || uids[0] != got[1].UID {
				t.Fatalf("search %v %v", uids, err)
			}
			if err := b.MarkSeen(ctx(t), "INBOX", got[0].UID); err != nil {
				t.Fatal(err)
			}
			if r, err := b.Fetch(ctx(t), "INBOX", got[0].UID); err != nil || !r.Seen() {
				t.Fatalf("seen: %v %v", r, err)
			}
			// Another message flagged \Deleted by someone else must survive
			// the move of got[1].
			if err := b.SetFlags(ctx(t), "INBOX", []uint32{got[2].UID}, true, mssante.FlagDeleted); err != nil {
				t.Fatal(err)
			}
			res, err := b.Move(ctx(t), "INBOX", []uint32{got[1].UID}, "Trash")
			if err != nil {
				t.Fatal(err)
			}
			if res.Expunged != tc.expunged {
				t.Fatalf("expunged %v", res.Expunged)
			}
			if _, err := b.Fetch(ctx(t), "INBOX", got[2].UID); err != nil {
				t.Fatalf("collateral expunge: message %d gone: %v", got[2].UID, err)
			}
			if inTrash, _ := b.SearchMessageID(ctx(t), "Trash", ids[1]); len(inTrash) != 1 {
				t.Fatalf("not in Trash")
			}
			_, err = b.Fetch(ctx(t), "INBOX", got[1].UID)
			var nf *mssante.NotFoundError
			if tc.expunged != errors.As(err, &nf) {
				t.Fatalf("moved message still in INBOX: %v", err)
			}
			var raw bytes.Buffer
			if err := b.FetchRaw(ctx(t), "INBOX", got[0].UID, &raw); err != nil || !bytes.Contains(raw.Bytes(), []byte(ids[0])) {
				t.Fatalf("raw %v", err)
			}
		})
	}
}

func TestFolders(t *testing.T) {
	s := newServer(t, nil)
	c := newClient(t, s.MustConfig(drA))
	f, err := c.Folders(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range f {
		names = append(names, x.Name)
	}
	if strings.Join(names, ",") != "INBOX,Sent,Trash" {
		t.Fatalf("folders %v", names)
	}
}

func TestWatchIdle(t *testing.T) {
	s := newServer(t, nil)
	a := newClient(t, s.MustConfig(drA))
	b := newClient(t, s.MustConfig(drB))
	wctx, cancel := context.WithCancel(ctx(t))
	events := make(chan mssante.WatchEvent, 10)
	done := make(chan error, 1)
	go func() { done <- b.Watch(wctx, "INBOX", nil, func(e mssante.WatchEvent) { events <- e }) }()
	// Wait until the IDLE connection is up: deliveries before it are
	// counted in its SELECT and give no event.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := a.Send(ctx(t), textMessage(drB)); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-events:
			if e.Messages == 0 {
				t.Fatalf("event %+v", e)
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("Watch returned %v", err)
			}
			return
		case <-time.After(200 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("no IDLE event")
			}
		}
	}
}

func TestContextCancellation(t *testing.T) {
	s := newServer(t, nil)
	a := newClient(t, s.MustConfig(drA))
	c, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Send(c, textMessage(drB)); !errors.Is(err, context.Canceled) {
		t.Fatalf("send: %v", err)
	}
	if _, err := a.Folders(c); !errors.Is(err, context.Canceled) {
		t.Fatalf("folders: %v", err)
	}
	// A slow source: the deadline ends the send in the middle of DATA.
	short, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	stall := &mail.Message{To: []mail.Address{mail.MustParseAddress(drB)}, Attachments: []*mail.Attachment{{
		Filename: "slow.pdf", Open: func() (io.ReadCloser, error) { return slowReader{}, nil }, Size: -1}}}
	if _, err := a.Send(short, stall); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stalled send: %v", err)
	}
	// The client still works afterwards.
	if _, err := a.Send(ctx(t), textMessage(drB)); err != nil {
		t.Fatal(err)
	}
}

// slowReader yields a kilobyte every 10 ms, forever.
type slowReader struct{}

func (slowReader) Read(p []byte) (int, error) {
	time.Sleep(10 * time.Millisecond)
	n := min(len(p), 1024)
	for i := range p[:n] {
		p[i] = 'x'
	}
	return n, nil
}

func (slowReader) Close() error { return nil }

// The send guard fed by a real liste blanche (package trust).
func TestTrustGuardWithListeBlanche(t *testing.T) {
	s := newServer(t, nil)
	list, err := trust.ParseList(strings.NewReader(testdocs.ListeBlanche("ch-test.mssante.fr")), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.MustConfig(drA)
	cfg.Trust = list
	c := newClient(t, cfg)
	if _, err := c.Send(ctx(t), textMessage(drB)); err != nil {
		t.Fatalf("listed domain: %v", err)
	}
	_, err = c.Send(ctx(t), textMessage(drB, "x@pharmacien.mssante.fr"))
	var te *mssante.TrustError
	if !errors.As(err, &te) || len(te.Recipients) != 1 || te.Recipients[0] != "x@pharmacien.mssante.fr" {
		t.Fatalf("unlisted domain: %v", err)
	}
}

// Close right after NewServer, before the servers' goroutines run, returns.
func TestCloseAtOnce(t *testing.T) {
	for i := 0; i < 20; i++ {
		s, err := mssantetest.NewServer(nil)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Close hangs")
		}
	}
}

// The IGC-Santé way: anchors and certificate checks from package trust.
func TestVerifierFromTrust(t *testing.T) {
	s := newServer(t, nil)
	anchors, err := trust.NewAnchors([]*x509.Certificate{s.RootCertificate()}, []*x509.Certificate{s.IntermediateCertificate()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.MustConfig(drA)
	cfg.RootCAs = nil
	cfg.Verifier = &trust.Verifier{Anchors: anchors, Revocation: trust.RevocationOff}
	if _, err := newClient(t, cfg).Send(ctx(t), textMessage(drB)); err != nil {
		t.Fatal(err)
	}
	raw, err := s.Messages(drB)
	if err != nil || len(raw) != 1 || !bytes.Contains(raw[0], []byte("Subject: Adressage")) {
		t.Fatalf("delivered %d messages: %v", len(raw), err)
	}
	// Hard-fail revocation: the sandbox certificates name no CRL nor OCSP
	// responder, so the status is unknown and the connection refused.
	cfg.Verifier = &trust.Verifier{Anchors: anchors}
	if _, err := newClient(t, cfg).Send(ctx(t), textMessage(drB)); !errors.Is(err, mssante.ErrTLS) || !errors.Is(err, trust.ErrRevocationUnknown) {
		t.Fatalf("hard-fail without revocation information: %v", err)
	}
}

// A dropped IDLE connection is re-established and reported.
func TestWatchReconnects(t *testing.T) {
	s := newServer(t, nil)
	a := newClient(t, s.MustConfig(drA))
	b := newClient(t, s.MustConfig(drB))
	s.InjectFault(&mssantetest.Fault{Stage: mssantetest.StageIdle, Drop: true})
	wctx, cancel := context.WithCancel(ctx(t))
	defer cancel()
	events := make(chan mssante.WatchEvent, 10)
	done := make(chan error, 1)
	opts := &mssante.WatchOptions{MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
	go func() { done <- b.Watch(wctx, "INBOX", opts, func(e mssante.WatchEvent) { events <- e }) }()
	select {
	case e := <-events:
		if !e.Reconnected {
			t.Fatalf("first event %+v, want Reconnected", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reconnection")
	}
	// The new connection still reports deliveries.
	deadline := time.Now().Add(5 * time.Second)
	for got := false; !got; {
		a.Send(ctx(t), textMessage(drB))
		select {
		case e := <-events:
			got = e.Messages > 0
		case <-time.After(200 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("no event after reconnection")
			}
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch returned %v", err)
	}
}

// Every mailbox operation leaves an audit event, and no secret.
func TestAuditEvents(t *testing.T) {
	s := newServer(t, nil)
	var logBuf bytes.Buffer
	var mu sync.Mutex
	cfg := s.MustConfig(drA)
	cfg.Audit = mssante.SlogAuditor(slog.New(slog.NewJSONHandler(lockedWriter{&logBuf, &mu}, nil)))
	var actions []string
	cfg.Audit = multiAuditor{cfg.Audit, mssante.AuditorFunc(func(_ context.Context, e mssante.AuditEvent) {
		mu.Lock()
		actions = append(actions, e.Action)
		mu.Unlock()
	})}
	c := newClient(t, cfg)
	c.Send(ctx(t), textMessage(drB))
	c.Send(ctx(t), textMessage("x@outside.example.org"))
	syncAll(t, c, &mssante.Cursor{})
	c.Folders(ctx(t))
	mu.Lock()
	defer mu.Unlock()
	got := strings.Join(actions, " ")
	for _, want := range []string{"smtp.connect", "smtp.send", "imap.login", "imap.sync", "imap.fetch", "imap.list"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %s audit event in %s", want, got)
		}
	}
	if !strings.Contains(logBuf.String(), `"actor":"alice.martin@medecin.mssante.fr"`) || !strings.Contains(logBuf.String(), "not in the trust list") {
		t.Errorf("slog audit:\n%s", logBuf.String())
	}
	if strings.Contains(logBuf.String(), "psc-test-") {
		t.Error("a token appears in the audit log")
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type multiAuditor []mssante.Auditor

func (m multiAuditor) Audit(ctx context.Context, e mssante.AuditEvent) {
	for _, a := range m {
		a.Audit(ctx, e)
	}
}

// Sync fetches in batches; stopping midway and syncing again continues
// where the caller stopped, without gaps or repeats, and a message that
// cannot be parsed is reported without ending the sync.
func TestSyncBatchesAndResume(t *testing.T) {
	s := newServer(t, nil)
	b := newClient(t, s.MustConfig(drB))
	for i := 0; i < 150; i++ {
		raw := fmt.Sprintf("From: a@medecin.mssante.fr\r\nTo: %s\r\nMessage-ID: <m%d@x>\r\nSubject: n%d\r\n\r\nbody\r\n", drB, i, i)
		if i == 100 {
			raw = "From: a@medecin.mssante.fr\r\nContent-Type: multipart/mixed\r\n\r\nno boundary\r\n"
		}
		if _, err := s.Deliver(drB, "INBOX", []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	var cur mssante.Cursor
	seen := 0
	for r, err := range b.Sync(ctx(t), "INBOX", &cur) {
		if r == nil {
			t.Fatal(err)
		}
		seen++
		if seen == 70 {
			break
		}
	}
	if cur.LastUID != 70 {
		t.Fatalf("cursor after 70: %+v", cur)
	}
	var subjects []string
	var parseErrs int
	for r, err := range b.Sync(ctx(t), "INBOX", &cur) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Err != nil {
			parseErrs++
			continue
		}
		subjects = append(subjects, r.Message.Subject)
		r.Message.Close()
	}
	if len(subjects) != 79 || subjects[0] != "n70" || subjects[78] != "n149" || parseErrs != 1 || cur.LastUID != 150 {
		t.Fatalf("resumed sync: %d messages (%v … %v), %d unparsable, cursor %+v", len(subjects), subjects[0], subjects[len(subjects)-1], parseErrs, cur)
	}
}

// An operator that does not answer: the sender gets a real "delayed" DSN.
func TestDelayedDSN(t *testing.T) {
	s := newServer(t, &mssantetest.Options{DelayedDomains: []string{"lent.mssante.fr"}})
	a := newClient(t, s.MustConfig(drA))
	if _, err := a.Send(ctx(t), textMessage("x@lent.mssante.fr")); err != nil {
		t.Fatal(err)
	}
	got := syncAll(t, a, &mssante.Cursor{})
	if len(got) != 1 || got[0].Message.DSN == nil {
		t.Fatalf("%d messages", len(got))
	}
	r := got[0].Message.DSN.Recipients[0]
	if r.Action != mail.ActionDelayed || r.Status != "4.4.1" || r.WillRetryUntil.IsZero() || !errors.Is(r.Err(), mail.ErrDeliveryDelayed) {
		t.Fatalf("delayed DSN %+v", r)
	}
}

// Append of a message larger than the spool threshold goes through a
// temporary file, and the message reads back whole.
func TestAppendLarge(t *testing.T) {
	s := newServer(t, nil)
	c := newClient(t, s.MustConfig(drA))
	content := bytes.Repeat([]byte("0123456789"), 300_000) // 3 MB
	msg := textMessage(drB)
	msg.From = mail.MustParseAddress(drA)
	msg.ProductRef = "DEV935997"
	msg.Attachments = []*mail.Attachment{mail.BytesAttachment("big.pdf", "", content)}
	uid, err := c.Append(ctx(t), "Sent", msg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Fetch(ctx(t), "Sent", uid)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Message.Close()
	rc, err := r.Message.Attachments[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, content) || !r.Seen() {
		t.Fatalf("appended message: %d bytes, seen %v", len(got), r.Seen())
	}
}

// Sync reads a message up to the spool threshold into memory and parses it
// there (attachments decoded when opened), and a larger one from the
// stream; both read back whole, in UID order.
func TestSyncSmallAndLargeMessages(t *testing.T) {
	s := newServer(t, nil)
	b := newClient(t, s.MustConfig(drB))
	small := bytes.Repeat([]byte("%PDF-1.4 small "), 1000)
	large := bytes.Repeat([]byte("%PDF-1.4 large "), 200_000) // 3 MB: streamed
	for i, content := range [][]byte{small, large, small} {
		msg := textMessage(drB)
		msg.From = mail.MustParseAddress(drA)
		msg.Subject = fmt.Sprint("m", i)
		msg.Attachments = []*mail.Attachment{mail.BytesAttachment("cr.pdf", "application/pdf", content)}
		var raw bytes.Buffer
		if err := msg.Encode(&raw, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Deliver(drB, "INBOX", raw.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	got := syncAll(t, b, &mssante.Cursor{})
	if len(got) != 3 {
		t.Fatalf("%d messages", len(got))
	}
	for i, want := range [][]byte{small, large, small} {
		m := got[i].Message
		if m.Subject != fmt.Sprint("m", i) || len(m.Attachments) != 1 || m.Attachments[0].Size != int64(len(want)) {
			t.Fatalf("message %d: %q, %d attachments", i, m.Subject, len(m.Attachments))
		}
		rc, err := m.Attachments[0].Open()
		if err != nil {
			t.Fatal(err)
		}
		content, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(content, want) {
			t.Fatalf("message %d: attachment of %d bytes, %v", i, len(content), err)
		}
		m.Close()
	}
}
