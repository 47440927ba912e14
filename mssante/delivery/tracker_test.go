package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

const (
	trkA       = "alice.martin@medecin.mssante.fr"
	trkB       = "bruno.durand@ch-test.mssante.fr"
	trkApp     = "integration@ch-test.mssante.fr"
	trkPatient = "279035121518989@patient.mssante.fr"
	trkRemote  = "x@autre-operateur.mssante.fr"
)

// trkEnv is an operator with three mailboxes and a tracker for A.
type trkEnv struct {
	s      *mssantetest.Server
	a, b   *mssante.Client
	tr     *delivery.Tracker
	clock  *fakeClock
	events *eventLog
	aCur   mssante.Cursor
}

func newTrkEnv(t *testing.T, opts *delivery.TrackerOptions) *trkEnv {
	t.Helper()
	s, err := mssantetest.NewServer(&mssantetest.Options{TrustedDomains: []string{"autre-operateur.mssante.fr"}, DelayedDomains: []string{trkSlowDomain}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.MustAddMailbox(trkA, mssantetest.MailboxPER, nil)
	s.MustAddMailbox(trkB, mssantetest.MailboxPER, nil)
	s.MustAddMailbox(trkApp, mssantetest.MailboxAPP, nil)
	s.MustAddMailbox(trkPatient, mssantetest.MailboxPER, nil)
	e := &trkEnv{s: s, clock: newFakeClock(), events: &eventLog{}}
	e.a = trkClient(t, s, trkA)
	e.b = trkClient(t, s, trkB)
	var o delivery.TrackerOptions
	if opts != nil {
		o = *opts
	}
	o.Clock = e.clock
	o.OnEvent = e.events.add
	e.tr = delivery.NewTracker(&o)
	return e
}

// trackedSend sends msg with c and tracks it as a caller of Client.Send
// does: Prepare, Track, Send, Sent.
func trackedSend(ctx context.Context, tr *delivery.Tracker, c *mssante.Client, msg *mail.Message) (*mssante.SendResult, error) {
	if err := c.Prepare(ctx, msg); err != nil {
		return nil, err
	}
	if err := tr.Track(ctx, msg); err != nil {
		return nil, err
	}
	res, err := c.Send(ctx, msg)
	if terr := tr.Sent(ctx, msg, res, err); terr != nil && err == nil {
		err = terr
	}
	return res, err
}

func trkClient(t *testing.T, s *mssantetest.Server, addr string) *mssante.Client {
	t.Helper()
	c, err := mssante.NewClient(s.MustConfig(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func trkCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func trkMessage(dsn, mdn bool, to ...string) *mail.Message {
	m := &mail.Message{Subject: "Lettre de liaison", Text: "Bonjour\n", RequestDeliveryReceipt: dsn, RequestReadReceipt: mdn}
	for _, a := range to {
		m.To = append(m.To, mail.MustParseAddress(a))
	}
	return m
}

// syncMessages returns the new messages of a mailbox's INBOX.
func syncMessages(t *testing.T, c *mssante.Client, cur *mssante.Cursor) []*mail.Message {
	t.Helper()
	var out []*mail.Message
	for r, err := range c.Sync(trkCtx(t), "INBOX", cur) {
		if err != nil {
			t.Fatalf("Sync: %v", err)
		}
		if r.Err != nil {
			t.Fatalf("Sync: UID %d: %v", r.UID, r.Err)
		}
		out = append(out, r.Message)
	}
	return out
}

// observeInbox feeds the tracker every new message of A's INBOX and
// returns how many concerned tracked messages.
func (e *trkEnv) observeInbox(t *testing.T) int {
	t.Helper()
	n := 0
	for _, m := range syncMessages(t, e.a, &e.aCur) {
		ok, err := e.tr.Observe(trkCtx(t), m)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			n++
		}
	}
	return n
}

type eventLog struct {
	mu sync.Mutex
	ev []delivery.TrackEvent
}

func (l *eventLog) add(e delivery.TrackEvent) {
	l.mu.Lock()
	l.ev = append(l.ev, e)
	l.mu.Unlock()
}

// path returns the states a recipient went through, as events told.
func (l *eventLog) path(id, rcpt string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var s []string
	for _, e := range l.ev {
		if e.MessageID == id && strings.EqualFold(e.Recipient, rcpt) {
			s = append(s, string(e.To))
		}
	}
	return strings.Join(s, ">")
}

func (l *eventLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ev)
}

func (l *eventLog) last() delivery.TrackEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ev[len(l.ev)-1]
}

// pending returns the messages the tracker has pending now.
func pending(t *testing.T, tr *delivery.Tracker) []*delivery.TrackedMessage {
	t.Helper()
	var out []*delivery.TrackedMessage
	for m, err := range tr.Pending(trkCtx(t), 0) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// fakeClock is a settable clock with timers, for the tracker and outbox.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	return ch
}

// Advance moves the clock and fires the timers that fall due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.ch <- c.now
		} else {
			kept = append(kept, t)
		}
	}
	c.timers = kept
}

// Sent tracks a message it does not know yet, then records the outcome; on
// a tracked one it records the outcome alone.
func TestTrackerSentTracksFirst(t *testing.T) {
	e := newTrkEnv(t, nil)
	ctx := trkCtx(t)
	msg := trkMessage(true, false, trkB)
	if err := e.a.Prepare(ctx, msg); err != nil {
		t.Fatal(err)
	}
	res, err := e.a.Send(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.tr.Sent(ctx, msg, res, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.tr.Sent(ctx, msg, res, nil); err != nil { // again: nothing changes
		t.Fatal(err)
	}
	if got := e.events.path(msg.MessageID, trkB); got != "queued>submitted" {
		t.Fatalf("events %s, want queued>submitted", got)
	}
	r, err := e.tr.Recipient(ctx, msg.MessageID, trkB)
	if err != nil || r.State != delivery.StateSubmitted {
		t.Fatalf("recipient %+v (%v), want submitted", r, err)
	}
}

// Sent, delivered (DSN from the operator), displayed (MDN from B); the
// same reports again change nothing, and neither does a late "delayed".
func TestTrackerDeliveredAndRead(t *testing.T) {
	e := newTrkEnv(t, nil)
	ctx := trkCtx(t)
	msg := trkMessage(true, true, trkB)
	if _, err := trackedSend(ctx, e.tr, e.a, msg); err != nil {
		t.Fatal(err)
	}
	id := msg.MessageID
	if got := e.events.path(id, trkB); got != "queued>submitted" {
		t.Fatalf("after send: %s", got)
	}
	if p := pending(t, e.tr); len(p) != 1 || p[0].MessageID != id {
		t.Fatalf("pending %v", p)
	}
	// The DSN, matched by ENVID.
	if n := e.observeInbox(t); n != 1 {
		t.Fatalf("%d reports matched", n)
	}
	in := syncMessages(t, e.b, &mssante.Cursor{})
	if len(in) != 1 || in[0].MessageID != id {
		t.Fatalf("B got %d", len(in))
	}
	mdn, err := mail.NewMDN(in[0], mail.MDNOptions{From: e.b.Address()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.b.Send(ctx, mdn); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	if n := e.observeInbox(t); n != 1 {
		t.Fatalf("%d MDNs matched", n)
	}
	if got := e.events.path(id, trkB); got != "queued>submitted>delivered>displayed" {
		t.Fatalf("path %s", got)
	}
	r, err := e.tr.Recipient(ctx, "<"+id+">", "bruno.durand@CH-TEST.mssante.fr")
	if err != nil || r.State != delivery.StateDisplayed || len(r.History) != 4 || r.History[3].Cause != delivery.CauseMDN {
		t.Fatalf("recipient %+v %v", r, err)
	}
	if p := pending(t, e.tr); len(p) != 0 {
		t.Fatalf("still pending: %v", p)
	}

	// Duplicates and a late delay: the whole inbox again, then a delayed DSN.
	n := e.events.len()
	for _, m := range syncMessages(t, e.a, &mssante.Cursor{}) {
		if _, err := e.tr.Observe(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := deliverDelayedDSN(e.s, trkA, id, trkB); err != nil {
		t.Fatal(err)
	}
	if got := e.observeInbox(t); got != 1 {
		t.Fatalf("delayed DSN not matched: %d", got)
	}
	if e.events.len() != n {
		t.Fatalf("duplicates or late reports made events: %+v", e.events.last())
	}
	if m, _ := e.tr.Message(ctx, id); m.Recipients[0].State != delivery.StateDisplayed {
		t.Fatalf("state %s", m.Recipients[0].State)
	}
}

// deliverDelayedDSN puts an RFC 3464 "delayed" report in a mailbox: the test
// operator delivers at once and never writes one.
func deliverDelayedDSN(s *mssantetest.Server, to, messageID, rcpt string) error {
	raw := fmt.Sprintf("From: MAILER-DAEMON@relay.mssante.fr\r\nTo: %s\r\nSubject: Delivery delayed\r\n"+
		"Message-ID: <delay-%d@relay.mssante.fr>\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n"+
		"--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nStill trying.\r\n"+
		"--b1\r\nContent-Type: message/delivery-status\r\n\r\n"+
		"Reporting-MTA: dns; relay.mssante.fr\r\nOriginal-Envelope-Id: %s\r\n\r\n"+
		"Final-Recipient: rfc822; %s\r\nOriginal-Recipient: rfc822; %s\r\nAction: delayed\r\nStatus: 4.4.1\r\n"+
		"Diagnostic-Code: smtp; 421 4.4.1 try again later\r\nWill-Retry-Until: Sat, 28 Nov 2026 10:00:00 +0000\r\n\r\n"+
		"--b1--\r\n", to, time.Now().UnixNano(), mssante.EnvelopeID(messageID), rcpt, rcpt)
	_, err := s.Deliver(to, "INBOX", []byte(raw))
	return err
}

// trkSlowDomain's operator never answers: the test operator reports
// "delayed" for it.
const trkSlowDomain = "lent.mssante.fr"

// The operator's own "delayed" DSN moves the recipient to delayed.
func TestTrackerDelayedFromOperator(t *testing.T) {
	e := newTrkEnv(t, nil)
	ctx := trkCtx(t)
	rcpt := "dr.lent@" + trkSlowDomain
	msg := trkMessage(true, false, rcpt)
	if _, err := trackedSend(ctx, e.tr, e.a, msg); err != nil {
		t.Fatal(err)
	}
	if n := e.observeInbox(t); n != 1 {
		t.Fatalf("%d reports matched", n)
	}
	if got := e.events.path(msg.MessageID, rcpt); got != "queued>submitted>delayed" {
		t.Fatalf("path %s", got)
	}
}

// A delayed report moves the recipient to delayed; the final DSN then
// wins, whatever came first.
func TestTrackerDelayedThenDelivered(t *testing.T) {
	e := newTrkEnv(t, nil)
	ctx := trkCtx(t)
	msg := trkMessage(true, false, trkB)
	if _, err := trackedSend(ctx, e.tr, e.a, msg); err != nil {
		t.Fatal(err)
	}
	// The operator's DSN is already in the inbox; the delayed one is fed
	// first, as if it had arrived first.
	reports := syncMessages(t, e.a, &e.aCur)
	if err := deliverDelayedDSN(e.s, trkA, msg.MessageID, trkB); err != nil {
		t.Fatal(err)
	}
	delayed := syncMessages(t, e.a, &e.aCur)
	for _, m := range append(delayed, reports...) {
		if ok, err := e.tr.Observe(ctx, m); !ok || err != nil {
			t.Fatalf("not matched: %v", err)
		}
	}
	if got := e.events.path(msg.MessageID, trkB); got != "queued>submitted>delayed>delivered" {
		t.Fatalf("path %s", got)
	}
	if ev := e.events.ev[2]; ev.Status != "4.4.1" || !errors.Is(ev.Err, mail.ErrDeliveryDelayed) {
		t.Fatalf("delayed event %+v", ev)
	}
	m, _ := e.tr.Message(ctx, msg.MessageID)
	if !m.Settled() {
		t.Fatal("a delivered message without read receipt request is settled")
	}
}

// Each failure path, from real reports of the operator: refused at RCPT,
// unknown mailbox (failure DSN), closed Mon Espace Santé space (5.2.1
// bounce), and relay to another operator.
func TestTrackerFailures(t *testing.T) {
	e := newTrkEnv(t, nil)
	ctx := trkCtx(t)
	if err := e.s.CloseMailbox(trkPatient); err != nil {
		t.Fatal(err)
	}
	unknown := "inconnu@ch-test.mssante.fr"
	msg := trkMessage(true, true, unknown, trkPatient, trkRemote)
	if _, err := trackedSend(ctx, e.tr, e.a, msg); err != nil {
		t.Fatal(err)
	}
	e.observeInbox(t)
	m, err := e.tr.Message(ctx, msg.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if r := m.Recipient(unknown); r.State != delivery.StateFailed || r.Status != "5.1.1" || r.Cause != delivery.CauseDSN {
		t.Errorf("unknown mailbox %+v", r)
	}
	if r := m.Recipient(trkPatient); r.State != delivery.StateFailed || r.Status != "5.2.1" {
		t.Errorf("closed patient mailbox %+v", r)
	}
	if r := m.Recipient(trkRemote); r.State != delivery.StateRelayed {
		t.Errorf("relayed %+v", r)
	}
	var closedErr error
	for _, ev := range e.events.ev {
		if ev.Recipient == trkPatient && ev.To == delivery.StateFailed {
			closedErr = ev.Err
		}
	}
	if !errors.Is(closedErr, mail.ErrPatientMailboxClosed) {
		t.Errorf("closed mailbox event error %v", closedErr)
	}

	// Refused at RCPT (permanent), then a temporary refusal of the whole
	// message (stays queued).
	e.s.InjectFault(&mssantetest.Fault{Stage: mssantetest.StageRcpt, Code: 550, Enhanced: [3]int{5, 1, 1}, Message: "no such user"})
	m2 := trkMessage(true, false, trkB)
	if _, err := trackedSend(ctx, e.tr, e.a, m2); err == nil {
		t.Fatal("refused recipient: no error")
	}
	if r, _ := e.tr.Recipient(ctx, m2.MessageID, trkB); r.State != delivery.StateFailed || r.Cause != delivery.CauseSMTP || r.Status != "5.1.1" {
		t.Fatalf("RCPT 550: %+v", r)
	}
	e.s.InjectFault(&mssantetest.Fault{Stage: mssantetest.StageData, Code: 451, Enhanced: [3]int{4, 3, 0}, Message: "try later"})
	m3 := trkMessage(true, false, trkB)
	if _, err := trackedSend(ctx, e.tr, e.a, m3); err == nil {
		t.Fatal("DATA 451: no error")
	}
	if r, _ := e.tr.Recipient(ctx, m3.MessageID, trkB); r.State != delivery.StateQueued {
		t.Fatalf("DATA 451: %+v", r)
	}
}

// An error MDN with its CI-SIS code fails the recipient; a later
// "processed" MDN does not undo it.
func TestTrackerErrorMDN(t *testing.T) {
	e := newTrkEnv(t, nil)
	ctx := trkCtx(t)
	msg := trkMessage(false, true, trkB)
	if _, err := trackedSend(ctx, e.tr, e.a, msg); err != nil {
		t.Fatal(err)
	}
	in := syncMessages(t, e.b, &mssante.Cursor{})
	for _, code := range []mail.IntegrationErrorCode{mail.IntegrationUnknownPatient, 0} {
		mdn, err := mail.NewMDN(in[0], mail.MDNOptions{From: e.b.Address(), Automatic: true, ErrorCode: code, Type: mail.Processed})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.b.Send(ctx, mdn); err != nil {
			t.Fatal(err)
		}
	}
	e.observeInbox(t)
	if got := e.events.path(msg.MessageID, trkB); got != "queued>submitted>failed" {
		t.Fatalf("path %s", got)
	}
	ev := e.events.last()
	var ie *mail.IntegrationError
	if ev.IntegrationCode != 902 || !errors.As(ev.Err, &ie) || ie.Code != 902 || ev.Cause != delivery.CauseMDN {
		t.Fatalf("event %+v", ev)
	}
	if r, _ := e.tr.Recipient(ctx, msg.MessageID, trkB); r.IntegrationCode != 902 {
		t.Fatalf("recipient %+v", r)
	}
}

// A delivery receipt was asked for and no DSN came: the delivery timeout
// fails the recipient (the only deadline that may), and a late DSN still
// counts.
func TestTrackerDeliveryTimeout(t *testing.T) {
	e := newTrkEnv(t, &delivery.TrackerOptions{Timeout: 48 * time.Hour, ReadTimeout: 7 * 24 * time.Hour})
	ctx := trkCtx(t)
	msg := trkMessage(true, true, trkB)
	if _, err := trackedSend(ctx, e.tr, e.a, msg); err != nil {
		t.Fatal(err)
	}
	reports := syncMessages(t, e.a, &e.aCur) // the DSN, held back
	e.clock.Advance(47 * time.Hour)
	if n, err := e.tr.CheckTimeouts(ctx); n != 0 || err != nil {
		t.Fatalf("early: %d %v", n, err)
	}
	e.clock.Advance(time.Hour)
	if n, err := e.tr.CheckTimeouts(ctx); n != 1 || err != nil {
		t.Fatalf("delivery timeout: %d %v", n, err)
	}
	ev := e.events.last()
	if ev.To != delivery.StateFailed || ev.Cause != delivery.CauseTimeout || !errors.Is(ev.Err, delivery.ErrReportTimeout) {
		t.Fatalf("event %+v", ev)
	}
	if n, _ := e.tr.CheckTimeouts(ctx); n != 0 {
		t.Fatalf("timeouts fire once: %d", n)
	}
	for _, m := range reports {
		if _, err := e.tr.Observe(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.events.path(msg.MessageID, trkB); got != "queued>submitted>failed>delivered" {
		t.Fatalf("path %s", got)
	}
}

// Delivered, and the read receipt never comes: the read timeout ends the
// wait without claiming a failure (issue 14 §6). The recipient stays
// delivered, marked, and counts as settled; a late read receipt still
// counts.
func TestTrackerReadTimeoutDelivered(t *testing.T) {
	e := newTrkEnv(t, &delivery.TrackerOptions{Timeout: 48 * time.Hour, ReadTimeout: 7 * 24 * time.Hour})
	ctx := trkCtx(t)
	msg := trkMessage(true, true, trkB)
	if _, err := trackedSend(ctx, e.tr, e.a, msg); err != nil {
		t.Fatal(err)
	}
	e.observeInbox(t) // delivered
	e.clock.Advance(3 * 24 * time.Hour)
	if n, _ := e.tr.CheckTimeouts(ctx); n != 0 {
		t.Fatalf("a delivered recipient is past the delivery timeout: %d", n)
	}
	if p := pending(t, e.tr); len(p) != 1 {
		t.Fatalf("pending %d", len(p))
	}
	e.clock.Advance(4 * 24 * time.Hour)
	if n, err := e.tr.CheckTimeouts(ctx); n != 1 || err != nil {
		t.Fatalf("read timeout: %d %v", n, err)
	}
	ev := e.events.last()
	if ev.From != delivery.StateDelivered || ev.To != delivery.StateDelivered || ev.Cause != delivery.CauseTimeout ||
		!errors.Is(ev.Err, delivery.ErrReadTimeout) || errors.Is(ev.Err, mail.ErrDeliveryFailed) {
		t.Fatalf("event %+v", ev)
	}
	m, _ := e.tr.Message(ctx, msg.MessageID)
	r := m.Recipient(trkB)
	if r.State != delivery.StateDelivered || !r.NoReadReceipt || r.Reason != "delivery: no read receipt before the deadline" || r.Status != "2.0.0" || !m.Settled() {
		t.Fatalf("recipient %+v, settled %v", r, m.Settled())
	}
	if p := pending(t, e.tr); len(p) != 0 {
		t.Fatalf("still pending: %d", len(p))
	}
	if n, _ := e.tr.CheckTimeouts(ctx); n != 0 {
		t.Fatalf("the mark is made once: %d", n)
	}
	// The read receipt comes after all.
	in := syncMessages(t, e.b, &mssante.Cursor{})
	mdn, err := mail.NewMDN(in[0], mail.MDNOptions{From: e.b.Address()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.b.Send(ctx, mdn); err != nil {
		t.Fatal(err)
	}
	e.observeInbox(t)
	if got := e.events.path(msg.MessageID, trkB); got != "queued>submitted>delivered>delivered>displayed" {
		t.Fatalf("path %s", got)
	}
	if r, _ := e.tr.Recipient(ctx, msg.MessageID, trkB); r.NoReadReceipt || r.State != delivery.StateDisplayed {
		t.Fatalf("recipient %+v", r)
	}
}

// Only a read receipt was asked for (no DSN can come): the delivery
// timeout does not apply, and the read timeout marks the submitted
// recipient without failing it.
func TestTrackerReadTimeoutWithoutDSN(t *testing.T) {
	e := newTrkEnv(t, &delivery.TrackerOptions{Timeout: 48 * time.Hour, ReadTimeout: 7 * 24 * time.Hour})
	ctx := trkCtx(t)
	msg := trkMessage(false, true, trkB)
	if _, err := trackedSend(ctx, e.tr, e.a, msg); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(49 * time.Hour)
	if n, _ := e.tr.CheckTimeouts(ctx); n != 0 {
		t.Fatalf("delivery timeout without a delivery receipt asked: %d", n)
	}
	e.clock.Advance(6 * 24 * time.Hour)
	if n, _ := e.tr.CheckTimeouts(ctx); n != 1 {
		t.Fatalf("read timeout: %d", n)
	}
	m, _ := e.tr.Message(ctx, msg.MessageID)
	if r := m.Recipient(trkB); r.State != delivery.StateSubmitted || !r.NoReadReceipt || !m.Settled() {
		t.Fatalf("recipient %+v", r)
	}
	if got := e.events.path(msg.MessageID, trkB); got != "queued>submitted>submitted" {
		t.Fatalf("path %s", got)
	}
}

// Matching: a hashed ENVID, a DSN for an unknown message, a message that
// is not a report.
func TestTrackerMatching(t *testing.T) {
	e := newTrkEnv(t, nil)
	ctx := trkCtx(t)
	msg := trkMessage(true, false, trkB)
	msg.MessageID = strings.Repeat("x", 120) + "@medecin.mssante.fr"
	if _, err := trackedSend(ctx, e.tr, e.a, msg); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mssante.EnvelopeID(msg.MessageID), "sha256-") {
		t.Fatal("expected a hashed ENVID")
	}
	other := &mail.Message{DSN: &mail.DSN{OriginalEnvelopeID: "unknown@x", Recipients: []mail.DSNRecipient{{FinalRecipient: trkB, Action: mail.ActionDelivered}}}}
	if ok, err := e.tr.Observe(ctx, other); ok || err != nil {
		t.Fatalf("unknown DSN: %v %v", ok, err)
	}
	if ok, _ := e.tr.Observe(ctx, trkMessage(false, false, trkA)); ok {
		t.Fatal("plain mail matched")
	}
	// Only the ENVID: drop the returned headers' Message-ID.
	for _, m := range syncMessages(t, e.a, &e.aCur) {
		m.DSN.OriginalMessageID = ""
		if ok, err := e.tr.Observe(ctx, m); !ok || err != nil {
			t.Fatalf("hashed ENVID not matched: %v", err)
		}
	}
	if r, _ := e.tr.Recipient(ctx, msg.MessageID, trkB); r.State != delivery.StateDelivered {
		t.Fatalf("state %s", r.State)
	}
	if _, err := e.tr.Message(ctx, "nope@x"); !errors.Is(err, delivery.ErrUnknownMessage) {
		t.Fatalf("unknown: %v", err)
	}
}
