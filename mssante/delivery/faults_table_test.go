package delivery_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

var updateRobustness = flag.Bool("update-robustness", false, "rewrite the fault table in ../../ROBUSTNESS.md")

// faultRow is one injected fault and what the caller and the outbox made
// of it, as the fault table of ROBUSTNESS.md prints it. Each clause of
// seen and outbox is asserted by the subtest that returns the row.
type faultRow struct {
	fault, seen, outbox string
}

// TestFaultTable injects each fault of the operator into a real session and
// asserts what the caller sees and, through the outbox, that no message is
// lost and none duplicated outside the documented window. It regenerates
// the fault table of ROBUSTNESS.md with -update-robustness. Nothing is
// timed: waits are read on a fake clock, and every real-time bound is a
// guard against a hang (obxEnv.settle, trkCtx).
func TestFaultTable(t *testing.T) {
	var rows []faultRow
	subtests := 0
	run := func(name string, f func(t *testing.T) faultRow) {
		subtests++
		t.Run(name, func(t *testing.T) { rows = append(rows, f(t)) })
	}
	for _, c := range smtpFaultCases() {
		run(c.name, c.run)
	}
	run("kept connection dropped", func(t *testing.T) faultRow {
		return keptConnectionRow(t, "dropped at the next MAIL", &mssantetest.Fault{Stage: mssantetest.StageMail, Drop: true})
	})
	run("kept connection, 421", func(t *testing.T) faultRow {
		return keptConnectionRow(t, "421 at the next MAIL", &mssantetest.Fault{Stage: mssantetest.StageMail, Code: 421, Enhanced: [3]int{4, 4, 2}, Message: "idle too long, closing"})
	})
	run("expired OAuth token", expiredTokenRow)
	run("TLS handshake failure", tlsFailureRow)
	run("IMAP drop during FETCH", fetchDropRow)
	run("IMAP drop during IDLE", idleDropRow)
	run("UIDVALIDITY change", uidValidityRow)

	if t.Failed() || len(rows) != subtests {
		// A row failed, or -run chose some: the table would lack rows.
		t.Logf("%d of %d rows: ROBUSTNESS.md neither checked nor written", len(rows), subtests)
		return
	}
	var md strings.Builder
	md.WriteString("| Fault | What the caller sees | With the outbox |\n|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&md, "| %s | %s | %s |\n", r.fault, r.seen, r.outbox)
	}
	syncFaultTable(t, md.String())
}

// smtpFaultCase is a fault of the submission session, met by the outbox.
// Its fields are what the row states; run asserts each.
type smtpFaultCase struct {
	name  string
	fault *mssantetest.Fault
	// minBackoff and maxBackoff are the outbox's; zero means 20 s and
	// 20 s.
	minBackoff, maxBackoff time.Duration
	retries                int    // temporary failures, each rescheduled after its backoff
	uncertain              bool   // one attempt's outcome unknown: sent again, ResentUncertain 1
	copies                 int    // copies B ends with, every one with the message's Message-ID
	refused                string // the reason of the permanent failure; "" when accepted
}

func smtpFaultCases() []smtpFaultCase {
	drop := func(stage mssantetest.Stage) *mssantetest.Fault {
		return &mssantetest.Fault{Stage: stage, Drop: true}
	}
	reply := func(stage mssantetest.Stage, code int, enhanced [3]int, text string) *mssantetest.Fault {
		return &mssantetest.Fault{Stage: stage, Code: code, Enhanced: enhanced, Message: text}
	}
	return []smtpFaultCase{
		{name: "drop after greeting", fault: drop(mssantetest.StageGreeting), retries: 1, copies: 1},
		{name: "drop at AUTH", fault: drop(mssantetest.StageAuth), retries: 1, copies: 1},
		{name: "drop after MAIL", fault: drop(mssantetest.StageMail), retries: 1, copies: 1},
		{name: "drop after RCPT", fault: drop(mssantetest.StageRcpt), retries: 1, copies: 1},
		{name: "drop during DATA (after 354, content not read)", fault: drop(mssantetest.StageData), retries: 1, uncertain: true, copies: 1},
		{name: "drop after DATA, before the reply (not delivered)", fault: drop(mssantetest.StageDataEnd), retries: 1, uncertain: true, copies: 1},
		{name: "drop after DATA was accepted, before the 250 arrives", fault: drop(mssantetest.StageDataAccepted), retries: 1, uncertain: true, copies: 2},
		{name: "421 at MAIL", fault: reply(mssantetest.StageMail, 421, [3]int{4, 7, 0}, "try later"), retries: 1, copies: 1},
		{name: "451 at DATA", fault: reply(mssantetest.StageData, 451, [3]int{4, 3, 0}, "local error"), retries: 1, copies: 1},
		{name: "550 at RCPT", fault: reply(mssantetest.StageRcpt, 550, [3]int{5, 1, 1}, "no such user"),
			refused: "recipient bruno.durand@ch-test.mssante.fr rejected: 550 5.1.1 no such user"},
		{name: "552 at DATA", fault: reply(mssantetest.StageData, 552, [3]int{5, 3, 4}, "too big"),
			refused: "message refused by the operator as too large"},
		{name: "operator unreachable (greeting dropped 3 times in a row; MinBackoff 10 s, MaxBackoff 1 min)",
			fault:      &mssantetest.Fault{Stage: mssantetest.StageGreeting, Drop: true, Times: 3},
			minBackoff: 10 * time.Second, maxBackoff: time.Minute, retries: 3, copies: 1},
	}
}

func (c smtpFaultCase) backoffs() (min, max time.Duration) {
	if c.minBackoff == 0 {
		return 20 * time.Second, 20 * time.Second
	}
	return c.minBackoff, c.maxBackoff
}

// nominalBackoff is the documented wait before retry n (OutboxOptions):
// MinBackoff doubled after each failure, capped at MaxBackoff. The jitter
// draws the wait between half of it and all of it.
func nominalBackoff(min, max time.Duration, n int) time.Duration {
	d := min
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return d
}

func (c smtpFaultCase) row() faultRow {
	r := faultRow{fault: c.name}
	switch {
	case c.refused != "":
		r.seen = "permanent at the first attempt, no retry: recipient failed (" + c.refused + ")"
	default:
		min, max := c.backoffs()
		var waits []string
		for n := 1; n <= c.retries; n++ {
			d := nominalBackoff(min, max, n)
			waits = append(waits, fmt.Sprintf("%g–%g s", (d/2).Seconds(), d.Seconds()))
		}
		if c.retries == 1 {
			r.seen = "temporary: 1 retry after " + waits[0]
		} else {
			r.seen = fmt.Sprintf("temporary: %d retries after %s and %s (the backoff doubles)", c.retries, strings.Join(waits[:len(waits)-1], ", "), waits[len(waits)-1])
		}
		r.seen += ", then accepted"
		if c.uncertain {
			r.seen += "; outcome unknown, so sent again (`ResentUncertain` 1)"
		}
	}
	switch c.copies {
	case 0:
		r.outbox = "0 lost (recorded failed), nothing delivered"
	case 1:
		r.outbox = "0 lost, 0 duplicated"
	default:
		r.outbox = fmt.Sprintf("0 lost, %d copies, same Message-ID (the documented window)", c.copies)
	}
	return r
}

func (c smtpFaultCase) run(t *testing.T) faultRow {
	min, max := c.backoffs()
	sc := newFaultScene(t, sceneOptions{outbox: delivery.OutboxOptions{MinBackoff: min, MaxBackoff: max}})
	sc.s.InjectFault(c.fault)
	ctx := trkCtx(t)
	id, err := sc.ob.Send(ctx, trkMessage(false, false, trkB))
	if err != nil {
		t.Fatal(err)
	}
	sc.settle(t, min/2, sc.empty)

	// The fault fired as often as it was armed for.
	if want := max1(c.fault.Times); c.fault.Fired() != want {
		t.Errorf("the fault fired %d times, want %d", c.fault.Fired(), want)
	}
	// Temporary or permanent, how many attempts and retries.
	accepted := c.refused == ""
	st := sc.ob.Stats()
	want := delivery.OutboxStats{Enqueued: 1, Attempts: uint64(c.retries + 1), Retries: uint64(c.retries)}
	if accepted {
		want.Submitted = 1
	} else {
		want.Failed = 1
	}
	if c.uncertain {
		want.ResentUncertain = 1
	}
	st.Queued, st.Running = 0, 0 // gauges, 0 once settled
	if st != want {
		t.Errorf("outbox stats %+v, want %+v", st, want)
	}
	if got := sc.audit.objects("outbox.retry"); len(got) != c.retries {
		t.Errorf("%d outbox.retry audit events, want %d", len(got), c.retries)
	}
	if got, want := len(sc.audit.objects("outbox.resend-uncertain")), map[bool]int{true: 1}[c.uncertain]; got != want {
		t.Errorf("%d outbox.resend-uncertain audit events, want %d", got, want)
	}
	// Each retry waited its backoff.
	waits, err := sc.audit.retryWaits()
	if err != nil {
		t.Fatal(err)
	}
	if len(waits) != c.retries {
		t.Errorf("%d retry waits read, want %d", len(waits), c.retries)
	}
	for i, w := range waits {
		d := nominalBackoff(min, max, i+1)
		// The stores keep times to the microsecond.
		if w < d/2-time.Microsecond || w > d {
			t.Errorf("retry %d after %v, want %v to %v", i+1, w, d/2, d)
		}
	}
	// Delivered (how many copies, all of this message) or recorded failed.
	if err := copiesCheck(deliveredIDs(t, sc.s, trkB), id, c.copies); err != nil {
		t.Error(err)
	}
	r, err := sc.tr.Recipient(ctx, id, trkB)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case accepted && r.State != delivery.StateSubmitted:
		t.Errorf("recipient %s, want submitted", r.State)
	case !accepted && (r.State != delivery.StateFailed || strings.TrimPrefix(r.Reason, "mssante: ") != c.refused):
		t.Errorf("recipient %s (%s), want failed (%s)", r.State, r.Reason, c.refused)
	}
	return c.row()
}

func max1(n int) int {
	if n == 0 {
		return 1
	}
	return n
}

// keptConnectionRow: the connection a worker kept open since its last
// message was closed by the operator meanwhile (its idle timeout, a limit
// of messages per connection). The fake clock never moves here, so a
// backoff would never end.
func keptConnectionRow(t *testing.T, how string, fault *mssantetest.Fault) faultRow {
	e := newObxEnv(t, &delivery.OutboxOptions{Workers: 1, IdleTimeout: 7 * time.Minute}, false)
	waitIdle := idleWaiter(e.ob)
	runOutbox(t, e.ob)
	ctx := trkCtx(t)
	var ids []string
	for i := range 2 {
		if i == 1 {
			waitIdle(t)
			e.s.InjectFault(fault)
		}
		id, err := e.ob.Send(ctx, trkMessage(false, false, trkB))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.ob.Wait(ctx, id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if fault.Fired() != 1 {
		t.Errorf("the fault fired %d times, want 1", fault.Fired())
	}
	if st := e.ob.Stats(); st.Attempts != 2 || st.Retries != 0 || st.Submitted != 2 || st.ResentUncertain != 0 || st.Failed != 0 {
		t.Errorf("outbox stats %+v, want 2 attempts, no retry, 2 submitted", st)
	}
	if st := e.s.Stats(); st.SMTPConnections != 2 || st.Messages != 2 {
		t.Errorf("operator stats %+v, want 2 messages on 2 connections", st)
	}
	// Each message delivered once, and nothing else.
	if got := deliveredIDs(t, e.s, trkB); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(ids))) {
		t.Errorf("delivered %q, want %q once each", got, ids)
	}
	return faultRow{"a connection kept open between messages (`IdleTimeout`), closed by the operator meanwhile: " + how,
		"nothing: the worker reconnects at once, once, since nothing was sent (no retry, no backoff; 2 connections for the 2 messages)",
		"0 lost, 0 duplicated"}
}

// expiredTokenRow: the client's token source still holds a token the
// operator refuses.
func expiredTokenRow(t *testing.T) faultRow {
	const nationalID = "810000000001"
	tokens := newExpiringTokens(nationalID)
	sc := newFaultScene(t, sceneOptions{
		server:    &mssantetest.Options{VerifyToken: tokens.verify},
		mailboxA:  &mssantetest.MailboxOptions{NationalIDs: []string{nationalID}},
		configure: func(_ *mssantetest.Server, c *mssante.Config) { c.Auth = mssante.OAuth2(tokens) },
		outbox:    delivery.OutboxOptions{MinBackoff: 20 * time.Second, MaxBackoff: 20 * time.Second},
	})
	ctx := trkCtx(t)

	// What the operator answers to that token: a client whose source has
	// no other gets the XOAUTH2 status 401.
	cfg := sc.s.MustConfig(trkA)
	cfg.Auth = mssante.OAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: expiredToken}))
	probe, err := mssante.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = probe.Send(ctx, trkMessage(false, false, trkB))
	var ae *mssante.AuthError
	if !errors.As(err, &ae) || ae.Mechanism != "XOAUTH2" || ae.Status != "401" {
		t.Fatalf("the expired token alone: %v, want XOAUTH2 status 401", err)
	}
	if err := probe.Close(); err != nil {
		t.Fatal(err)
	}

	id, err := sc.ob.Send(ctx, trkMessage(false, false, trkB))
	if err != nil {
		t.Fatal(err)
	}
	sc.settle(t, 10*time.Second, sc.empty)
	asked, invalidated, presented := tokens.counts()
	if asked != 2 || !slices.Equal(invalidated, []string{expiredToken}) {
		t.Errorf("%d tokens asked, %q reported refused; want 2, the expired one", asked, invalidated)
	}
	// The probe's AUTH, then the outbox's two.
	if want := []string{expiredToken, expiredToken, "psc-fresh-1"}; !slices.Equal(presented, want) {
		t.Errorf("tokens presented to the operator %q, want %q", presented, want)
	}
	st := sc.ob.Stats()
	if st.Attempts != 1 || st.Retries != 0 || st.Submitted != 1 || st.Failed != 0 {
		t.Errorf("outbox stats %+v, want 1 attempt, submitted", st)
	}
	if err := copiesCheck(deliveredIDs(t, sc.s, trkB), id, 1); err != nil {
		t.Error(err)
	}
	if r, err := sc.tr.Recipient(ctx, id, trkB); err != nil || r.State != delivery.StateSubmitted {
		t.Errorf("recipient %+v (%v), want submitted", r, err)
	}
	return faultRow{"expired OAuth token (the session still holds a token the operator refuses)",
		"the operator answers XOAUTH2 status 401; the client reports the token refused to its source (`Invalidate`), asks it again and logs in again within the same attempt: 2 token requests, 2 AUTH attempts",
		"0 lost, 0 duplicated; the outbox sees no failure (1 attempt, 0 retries)"}
}

// tlsFailureRow: a server whose certificate does not chain to the
// anchors.
func tlsFailureRow(t *testing.T) faultRow {
	other, err := testpki.New(&testpki.Options{Name: "AUTRE"})
	if err != nil {
		t.Fatal(err)
	}
	var tokens *countingTokens
	sc := newFaultScene(t, sceneOptions{configure: func(s *mssantetest.Server, c *mssante.Config) {
		c.RootCAs = other.Pool()
		tokens = &countingTokens{ts: s.TokenSource(trkA)}
		c.Auth = mssante.OAuth2(tokens)
	}})
	ctx := trkCtx(t)

	// The certificate the server presents, seen by a client that trusts it.
	var presented *x509.Certificate
	cfg := sc.s.MustConfig(trkA)
	cfg.TLS.VerifyConnection = func(cs tls.ConnectionState) error {
		presented = cs.PeerCertificates[0]
		return nil
	}
	good, err := mssante.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := good.OpenSubmission(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if err := good.Close(); err != nil {
		t.Fatal(err)
	}
	if presented == nil {
		t.Fatal("no certificate seen")
	}
	subject, issuer := presented.Subject.String(), presented.Issuer.String()

	_, err = sc.a.Send(ctx, trkMessage(false, false, trkB))
	var te *mssante.TLSError
	if !errors.As(err, &te) || !errors.Is(err, mssante.ErrTLS) {
		t.Fatalf("%v, want a TLSError", err)
	}
	if te.Subject != subject || te.Issuer != issuer || !strings.Contains(err.Error(), "certificate "+subject+", issued by "+issuer) {
		t.Errorf("%q (subject %q, issuer %q) does not name the certificate %q issued by %q", err, te.Subject, te.Issuer, subject, issuer)
	}

	id, err := sc.ob.Send(ctx, trkMessage(false, false, trkB))
	if err != nil {
		t.Fatal(err)
	}
	sc.settle(t, 0, sc.empty) // the clock never moves: no retry is waited for
	if st := sc.ob.Stats(); st.Attempts != 1 || st.Retries != 0 || st.Failed != 1 || st.Submitted != 0 {
		t.Errorf("outbox stats %+v, want 1 attempt, failed", st)
	}
	r, err := sc.tr.Recipient(ctx, id, trkB)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != delivery.StateFailed || !strings.Contains(r.Reason, subject) {
		t.Errorf("recipient %s (%s), want failed naming %s", r.State, r.Reason, subject)
	}
	// Nothing sent: no transaction, no message, no token even asked for.
	if st := sc.s.Stats(); st.Transactions != 0 || st.Messages != 0 {
		t.Errorf("operator stats %+v, want no transaction", st)
	}
	if err := copiesCheck(deliveredIDs(t, sc.s, trkB), id, 0); err != nil {
		t.Error(err)
	}
	if n := tokens.asked.Load(); n != 0 {
		t.Errorf("%d tokens asked before the server was trusted", n)
	}
	return faultRow{"TLS handshake failure (a certificate that does not chain to the anchors)",
		"`mssante.TLSError` (`ErrTLS`) naming the certificate the server presented, its subject and issuer, in its fields and its text; nothing sent, no token even asked for",
		"permanent: failed at the first attempt, no retry against an untrusted server; 0 lost (recorded failed, the reason naming the certificate)"}
}

// deliverNumbered delivers n small messages to B's INBOX directly and
// returns their Message-IDs.
func deliverNumbered(t *testing.T, s *mssantetest.Server, prefix string, n int) (ids []string, uids []uint32) {
	t.Helper()
	for i := range n {
		id := fmt.Sprintf("%s-%d@medecin.mssante.fr", prefix, i)
		raw := fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nSubject: %s %d\r\nDate: Thu, 26 Nov 2026 09:00:00 +0000\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour\r\n",
			trkA, trkB, prefix, i, id)
		uid, err := s.Deliver(trkB, "INBOX", []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		ids, uids = append(ids, id), append(uids, uid)
	}
	return ids, uids
}

// readOnce fails the test unless got holds every id of want exactly once
// and nothing else.
func readOnce(t *testing.T, got map[string]int, want []string) {
	t.Helper()
	for _, id := range want {
		if got[id] != 1 {
			t.Errorf("%s read %d times, want once", id, got[id])
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d distinct messages read, want %d", len(got), len(want))
	}
}

// fetchDropRow: the connection drops in the middle of a Sync, between two
// FETCH commands.
func fetchDropRow(t *testing.T) faultRow {
	e := newTrkEnv(t, nil)
	const n = 150 // more than one FETCH batch of Sync
	ids, _ := deliverNumbered(t, e.s, "fetch", n)
	fault := &mssantetest.Fault{Stage: mssantetest.StageFetch, Drop: true}
	read := map[string]int{}
	var cur mssante.Cursor
	var lastUID uint32
	var fatal error
	yielded := 0
	for r, err := range e.b.Sync(trkCtx(t), "INBOX", &cur) {
		if err != nil {
			fatal = err
			break
		}
		if r.Err != nil {
			t.Fatalf("UID %d: %v", r.UID, r.Err)
		}
		read[r.Message.MessageID]++
		lastUID = r.UID
		if err := r.Message.Close(); err != nil {
			t.Fatal(err)
		}
		if yielded++; yielded == 1 {
			e.s.InjectFault(fault) // the next FETCH drops
		}
	}
	var ce *mssante.ConnectError
	if !errors.As(fatal, &ce) || fault.Fired() != 1 {
		t.Fatalf("first Sync ended with %v after %d messages (fault fired %d times), want a ConnectError", fatal, yielded, fault.Fired())
	}
	if yielded >= n || cur.LastUID != lastUID {
		t.Fatalf("first Sync: %d messages yielded, cursor at UID %d, last yielded %d", yielded, cur.LastUID, lastUID)
	}
	for r, err := range e.b.Sync(trkCtx(t), "INBOX", &cur) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Err != nil {
			t.Fatalf("UID %d: %v", r.UID, r.Err)
		}
		read[r.Message.MessageID]++
		if err := r.Message.Close(); err != nil {
			t.Fatal(err)
		}
	}
	readOnce(t, read, ids)
	return faultRow{"IMAP drop during FETCH (between two batches of a `Sync`)",
		"`Sync` ends with a `ConnectError`; the cursor stays at the last message yielded",
		"the next `Sync` reconnects and resumes: 0 lost, 0 repeated (every Message-ID read once)"}
}

// watchStep is one thing Watch did, in the order it did them (both run on
// Watch's goroutine): a wait asked of the clock, or an event reported.
type watchStep struct {
	wait  time.Duration
	event *mssante.WatchEvent
}

// recordingClock is the fake clock, telling each wait asked of it.
type recordingClock struct {
	*fakeClock
	steps chan<- watchStep
}

func (c recordingClock) After(d time.Duration) <-chan time.Time {
	ch := c.fakeClock.After(d)
	c.steps <- watchStep{wait: d}
	return ch
}

// idleDropRow: the IDLE connection drops three times in a row; a message
// arrives while it is down.
func idleDropRow(t *testing.T) faultRow {
	e := newTrkEnv(t, nil)
	ctx, cancel := context.WithCancel(trkCtx(t))
	defer cancel()
	var cur mssante.Cursor
	if got := syncMessages(t, e.b, &cur); len(got) != 0 {
		t.Fatalf("%d messages before the watch", len(got))
	}
	fault := &mssantetest.Fault{Stage: mssantetest.StageIdle, Drop: true, Times: 3}
	e.s.InjectFault(fault)
	steps := make(chan watchStep, 64)
	clock := recordingClock{fakeClock: e.clock, steps: steps}
	done := make(chan error, 1)
	go func() {
		done <- e.b.Watch(ctx, "INBOX", &mssante.WatchOptions{MinBackoff: 10 * time.Second, MaxBackoff: time.Minute, Clock: clock},
			func(ev mssante.WatchEvent) { steps <- watchStep{event: &ev} })
	}()
	var waits []time.Duration
	var outage []string
	var after []mssante.WatchEvent // the events after the last wait
	for len(after) == 0 {
		var st watchStep
		select {
		case st = <-steps:
		case <-time.After(20 * time.Second): // a guard against a hang, not a timing
			t.Fatalf("Watch stuck after waits %v", waits)
		}
		switch {
		case st.event != nil && len(waits) == fault.Times:
			after = append(after, *st.event)
		case st.event == nil:
			waits = append(waits, st.wait)
			if len(waits) > fault.Times {
				t.Fatalf("waits %v: more than the %d drops", waits, fault.Times)
			}
			if len(waits) == 1 {
				// The connection is down: a message arrives.
				outage, _ = deliverNumbered(t, e.s, "outage", 1)
			}
			e.clock.Advance(st.wait)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Watch: %v", err)
	}
	if fault.Fired() != fault.Times {
		t.Errorf("IDLE dropped %d times, want %d", fault.Fired(), fault.Times)
	}
	for i, w := range waits {
		d := nominalBackoff(10*time.Second, time.Minute, i+1)
		if w < d/2 || w > d {
			t.Errorf("wait %d: %v, want %v to %v", i+1, w, d/2, d)
		}
	}
	if !after[0].Reconnected {
		t.Errorf("first event after the reconnection %+v, want Reconnected", after[0])
	}
	read := map[string]int{}
	for _, m := range syncMessages(t, e.b, &cur) {
		read[m.MessageID]++
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
	readOnce(t, read, outage)
	return faultRow{"IMAP drop during IDLE (3 times in a row)",
		"`Watch` reconnects after waits that double (5–10 s, 10–20 s, 20–40 s on its clock, `MinBackoff` 10 s) and reports `Reconnected` (changes may have been missed)",
		"the caller syncs: the message that arrived while the connection was down is read, 0 lost"}
}

// uidValidityRow: the folder is deleted and created again, renumbered.
func uidValidityRow(t *testing.T) faultRow {
	e := newTrkEnv(t, nil)
	var cur mssante.Cursor
	before, _ := deliverNumbered(t, e.s, "before", 3)
	read := map[string]int{}
	for _, m := range syncMessages(t, e.b, &cur) {
		read[m.MessageID]++
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
	readOnce(t, read, before)
	old := cur
	if err := e.s.RecreateFolder(trkB, "INBOX"); err != nil {
		t.Fatal(err)
	}
	after, uids := deliverNumbered(t, e.s, "after", 2)
	for _, u := range uids {
		if u > old.LastUID {
			t.Fatalf("new UIDs %v: not renumbered below %d, the case would not show", uids, old.LastUID)
		}
	}
	read = map[string]int{}
	for _, m := range syncMessages(t, e.b, &cur) {
		read[m.MessageID]++
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if !cur.Reset || cur.UIDValidity == old.UIDValidity || cur.LastUID != slices.Max(uids) {
		t.Errorf("cursor %+v after %+v, want Reset, a new UIDVALIDITY, last UID %d", cur, old, slices.Max(uids))
	}
	readOnce(t, read, after)
	return faultRow{"UIDVALIDITY change (the folder deleted and created again)",
		"`Cursor.Reset` set, the new UIDVALIDITY kept; `Sync` starts again from the first message",
		fmt.Sprintf("0 lost: the %d messages delivered since are read, though their UIDs (%s) are not above the cursor's old last UID (%d)",
			len(after), joinUIDs(uids), old.LastUID)}
}

func joinUIDs(uids []uint32) string {
	s := make([]string, len(uids))
	for i, u := range uids {
		s[i] = fmt.Sprint(u)
	}
	return strings.Join(s, ", ")
}

func syncFaultTable(t *testing.T, table string) {
	const path = "../../ROBUSTNESS.md"
	const begin, end = "<!-- faults:begin -->\n", "<!-- faults:end -->"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no fault table markers", path)
	}
	want := s[:i+len(begin)] + table + s[j:]
	if *updateRobustness {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want != s {
		t.Errorf("%s does not match the fault table (run go test ./mssante/delivery -run TestFaultTable -update-robustness):\n%s", path, table)
	}
}
