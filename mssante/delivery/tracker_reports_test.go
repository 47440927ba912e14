package delivery_test

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/mail"
)

// operatorReport returns the raw report the operator wrote to A's mailbox
// whose subject starts with subject (the last one).
func (e *trkEnv) operatorReport(t *testing.T, subject string) []byte {
	t.Helper()
	all, err := e.s.Messages(trkA)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(all) - 1; i >= 0; i-- {
		if bytes.Contains(all[i], []byte("\r\nSubject: "+subject)) {
			return all[i]
		}
	}
	t.Fatalf("no report %q among %d messages", subject, len(all))
	return nil
}

// observeOnly syncs A's INBOX and feeds the tracker only the messages keep
// selects, as if the others had never come.
func (e *trkEnv) observeOnly(t *testing.T, keep func(*mail.Message) bool) int {
	t.Helper()
	n := 0
	for _, m := range syncMessages(t, e.a, &e.aCur) {
		if !keep(m) {
			continue
		}
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

// lastProblems returns the problems of a recipient's last transition.
func lastProblems(r *delivery.RecipientStatus) string {
	return strings.Join(r.History[len(r.History)-1].Problems, "; ")
}

// A bounce cut short in its returned headers, before their Message-ID, and
// without its closing boundary (issue 21): the real bounce of the operator,
// cut, still fails the recipient, matched by the ENVID, with the problems
// recorded.
func TestTrackerTruncatedBounce(t *testing.T) {
	e := newTrkEnv(t, nil)
	ctx := trkCtx(t)
	unknown := "inconnu@ch-test.mssante.fr"
	msg := trkMessage(true, false, unknown)
	if _, err := trackedSend(ctx, e.tr, e.a, msg); err != nil {
		t.Fatal(err)
	}
	raw := e.operatorReport(t, "Undelivered Mail")
	returned := bytes.Index(raw, []byte("Content-Type: text/rfc822-headers"))
	cut := returned + bytes.Index(raw[returned:], []byte("Message-I")) + len("Message-I")
	if returned < 0 || cut < returned+len("Message-I") {
		t.Fatalf("unexpected bounce:\n%s", raw)
	}
	if _, err := e.s.Deliver(trkA, "INBOX", raw[:cut]); err != nil {
		t.Fatal(err)
	}
	if n := e.observeOnly(t, func(m *mail.Message) bool { return len(m.Problems) > 0 }); n != 1 {
		t.Fatalf("%d reports matched", n)
	}
	r, err := e.tr.Recipient(ctx, msg.MessageID, unknown)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != delivery.StateFailed || r.Cause != delivery.CauseDSN || r.Status != "5.1.1" {
		t.Fatalf("recipient %+v", r)
	}
	if p := lastProblems(r); !strings.Contains(p, "returned message cut short") || !strings.Contains(p, "no closing boundary") {
		t.Fatalf("problems %q", p)
	}
}

// Postfix's "Delivery report unavailable": the per-message block only, no
// per-recipient status. The bounce is matched by its ENVID and fails the
// recipient still waiting; the one already delivered stays so.
func TestTrackerReportUnavailableBounce(t *testing.T) {
	e := newTrkEnv(t, nil)
	ctx := trkCtx(t)
	unknown := "inconnu@ch-test.mssante.fr"
	msg := trkMessage(true, false, trkB, unknown)
	if _, err := trackedSend(ctx, e.tr, e.a, msg); err != nil {
		t.Fatal(err)
	}
	raw := string(e.operatorReport(t, "Undelivered Mail"))
	// The per-recipient block goes, and its line in the text becomes
	// Postfix's notice.
	block := regexp.MustCompile(`\r\n\r\nFinal-Recipient: [^\r]*\r\n(?:[A-Za-z-]+: [^\r]*\r\n)+`)
	line := regexp.MustCompile(`<` + regexp.QuoteMeta(unknown) + `>: [^\r]*\r\n`)
	unavailable := line.ReplaceAllString(block.ReplaceAllString(raw, "\r\n"), "\t--- Delivery report unavailable ---\r\n")
	if strings.Contains(unavailable, "Final-Recipient") || !strings.Contains(unavailable, "Delivery report unavailable") {
		t.Fatalf("bounce not rewritten:\n%s", unavailable)
	}
	if _, err := e.s.Deliver(trkA, "INBOX", []byte(unavailable)); err != nil {
		t.Fatal(err)
	}
	// The success report for B, and the rewritten bounce.
	n := e.observeOnly(t, func(m *mail.Message) bool {
		return m.DSN != nil && (m.DSN.Recipients[0].Action == mail.ActionDelivered || len(m.Problems) > 0)
	})
	if n != 2 {
		t.Fatalf("%d reports matched", n)
	}
	m, err := e.tr.Message(ctx, msg.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if r := m.Recipient(trkB); r.State != delivery.StateDelivered {
		t.Fatalf("delivered recipient %+v", r)
	}
	r := m.Recipient(unknown)
	if r.State != delivery.StateFailed || r.Cause != delivery.CauseDSN || !strings.Contains(r.Reason, mail.ReasonNoRecipientStatus) {
		t.Fatalf("recipient %+v", r)
	}
	if p := lastProblems(r); !strings.Contains(p, mail.ReasonNoRecipientStatus) {
		t.Fatalf("problems %q", p)
	}
	var failed *delivery.TrackEvent
	for i, ev := range e.events.ev {
		if ev.Recipient == unknown && ev.To == delivery.StateFailed {
			failed = &e.events.ev[i]
		}
	}
	if failed == nil || failed.Err == nil || !strings.Contains(failed.Err.Error(), unknown) {
		t.Fatalf("failure event %+v", failed)
	}
}

// An Exim bounce of an unknown Mon Espace Santé patient ("Status: 5.0.0",
// the code in the text) is ErrPatientUnknown for the tracker's caller
// (issue 22, item 1).
func TestTrackerEximPatientUnknown(t *testing.T) {
	e := newTrkEnv(t, nil)
	ctx := trkCtx(t)
	patient := trkPatient
	msg := trkMessage(true, false, patient)
	if _, err := trackedSend(ctx, e.tr, e.a, msg); err != nil {
		t.Fatal(err)
	}
	exim := "From: Mail Delivery System <Mailer-Daemon@exim.operateur.example>\r\nTo: " + trkA + "\r\n" +
		"Subject: Mail delivery failed: returning message to sender\r\nMessage-Id: <E1vXyZ-000123-AB@exim.operateur.example>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=1764151323-eximdsn-42\r\n\r\n" +
		"--1764151323-eximdsn-42\r\nContent-type: text/plain; charset=us-ascii\r\n\r\n" +
		"This message was created automatically by mail delivery software.\r\n\r\n" +
		"A message that you sent could not be delivered to one or more of its\r\nrecipients. This is a permanent error. The following address(es) failed:\r\n\r\n" +
		"  " + patient + "\r\n    host ens.example [192.0.2.9]\r\n    SMTP error from remote mail server after RCPT TO:<" + patient + ">:\r\n" +
		"    550 5.1.1 <" + patient + ">: Recipient address rejected: User unknown\r\n\r\n" +
		"--1764151323-eximdsn-42\r\nContent-type: message/delivery-status\r\n\r\nReporting-MTA: dns; exim.operateur.example\r\n" +
		"Original-Envelope-ID: " + mssante.EnvelopeID(msg.MessageID) + "\r\n\r\n" +
		"Action: failed\r\nFinal-Recipient: rfc822;" + patient + "\r\nStatus: 5.0.0\r\nRemote-MTA: dns; ens.example\r\n\r\n" +
		"--1764151323-eximdsn-42\r\nContent-type: text/rfc822-headers\r\n\r\nMessage-ID: <" + msg.MessageID + ">\r\n\r\n" +
		"--1764151323-eximdsn-42--\r\n"
	if _, err := e.s.Deliver(trkA, "INBOX", []byte(exim)); err != nil {
		t.Fatal(err)
	}
	if n := e.observeOnly(t, func(m *mail.Message) bool { return strings.HasPrefix(m.Subject, "Mail delivery failed") }); n != 1 {
		t.Fatalf("%d reports matched", n)
	}
	var ev *delivery.TrackEvent
	for i := range e.events.ev {
		if e.events.ev[i].Recipient == patient && e.events.ev[i].To == delivery.StateFailed {
			ev = &e.events.ev[i]
		}
	}
	if ev == nil || ev.Status != "5.1.1" || !errors.Is(ev.Err, mail.ErrPatientUnknown) {
		t.Fatalf("event %+v", ev)
	}
}
