package delivery_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/mail"
)

// An application mailbox integrates documents and tells the sender: a
// processed MDN, an error MDN with the CI-SIS code, or the plain mail when
// no read receipt was asked for. A's tracker sees each outcome.
func TestAcknowledgeIntegration(t *testing.T) {
	e := newTrkEnv(t, nil)
	ctx := trkCtx(t)
	app := trkClient(t, e.s, trkApp)
	var appCur mssante.Cursor

	cases := []struct {
		name      string
		mdn       bool
		outcome   error
		state     delivery.State
		code      mail.IntegrationErrorCode
		skipped   error
		plainMail bool
	}{
		{name: "accepted", mdn: true, state: delivery.StateProcessed},
		{name: "unknown patient", mdn: true, outcome: &mail.IntegrationError{Code: mail.IntegrationUnknownPatient}, state: delivery.StateFailed, code: 902},
		{name: "INS mismatch, no receipt asked", outcome: &mail.IntegrationError{Code: mail.IntegrationINSMismatch, Text: "INS ne correspond pas"}, state: delivery.StateSubmitted, skipped: mail.ErrNoReceiptRequested, plainMail: true},
		{name: "accepted, no receipt asked", state: delivery.StateSubmitted, skipped: mail.ErrNoReceiptRequested},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := trkMessage(false, tc.mdn, trkApp)
			if _, err := trackedSend(ctx, e.tr, e.a, msg); err != nil {
				t.Fatal(err)
			}
			var in *mssante.Received
			for r, err := range app.Sync(ctx, "INBOX", &appCur) {
				if err != nil {
					t.Fatal(err)
				}
				in = r
			}
			if in == nil || in.Message.MessageID != msg.MessageID {
				t.Fatal("not received")
			}
			rc, err := app.AcknowledgeIntegration(ctx, in, tc.outcome, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(rc.Skipped, tc.skipped) || (rc.Skipped == nil) != (tc.skipped == nil) {
				t.Fatalf("skipped %v", rc.Skipped)
			}
			reports := syncMessages(t, e.a, &e.aCur)
			for _, m := range reports {
				e.tr.Observe(ctx, m)
			}
			r, _ := e.tr.Recipient(ctx, msg.MessageID, trkApp)
			if r.State != tc.state || r.IntegrationCode != tc.code {
				t.Fatalf("tracked %+v", r)
			}
			switch {
			case tc.plainMail:
				if len(reports) != 1 || reports[0].Kind() != mail.KindPlain ||
					!strings.HasPrefix(reports[0].Subject, "[KO Intégration système !][904]") || len(reports[0].Attachments) != 1 {
					t.Fatalf("plain mail: %d %+v", len(reports), reports)
				}
			case tc.skipped != nil:
				if len(reports) != 0 || rc.Sent != nil {
					t.Fatalf("sent %d", len(reports))
				}
			default:
				if len(reports) != 1 || reports[0].MDN == nil || !reports[0].MDN.Disposition.IsError() != (tc.code == 0) {
					t.Fatalf("report %+v", reports)
				}
				if reports[0].MDN.Disposition.ActionMode != mail.AutomaticAction {
					t.Fatalf("disposition %+v", reports[0].MDN.Disposition)
				}
				if tc.code != 0 && !returnsOriginal(t, e, msg.MessageID) {
					t.Fatal("error MDN without the original message")
				}
			}
		})
	}

	// An error that is not a CI-SIS refusal: nothing is decided or sent.
	msg := trkMessage(false, true, trkApp)
	if _, err := e.a.Send(ctx, msg); err != nil {
		t.Fatal(err)
	}
	var in *mssante.Received
	for r := range app.Sync(ctx, "INBOX", &appCur) {
		in = r
	}
	boom := errors.New("database down")
	if _, err := app.AcknowledgeIntegration(ctx, in, boom, nil); !errors.Is(err, boom) {
		t.Fatalf("undecided: %v", err)
	}
	if got := syncMessages(t, e.a, &e.aCur); len(got) != 0 {
		t.Fatalf("sent %d", len(got))
	}
}

// returnsOriginal reports whether the last message A received carries the
// whole original (message/rfc822), as the CI-SIS asks of error MDNs.
func returnsOriginal(t *testing.T, e *trkEnv, id string) bool {
	raws, err := e.s.Messages(trkA)
	if err != nil || len(raws) == 0 {
		t.Fatal(err)
	}
	raw := string(raws[len(raws)-1])
	i := strings.Index(raw, "message/rfc822")
	return i > 0 && strings.Contains(raw[i:], id) && strings.Contains(raw[i:], "Bonjour")
}

// A personal mailbox proposes the read receipt and sends it only when asked,
// once.
func TestSendReadReceipt(t *testing.T) {
	e := newTrkEnv(t, nil)
	ctx := trkCtx(t)
	msg := trkMessage(false, true, trkB)
	if _, err := trackedSend(ctx, e.tr, e.a, msg); err != nil {
		t.Fatal(err)
	}
	other := trkMessage(false, true, trkB)
	other.ReadReceiptTo = &mail.Address{Addr: "secretariat@medecin.mssante.fr"}
	if _, err := e.a.Send(ctx, other); err != nil {
		t.Fatal(err)
	}
	none := trkMessage(false, false, trkB)
	if _, err := e.a.Send(ctx, none); err != nil {
		t.Fatal(err)
	}
	var bCur mssante.Cursor
	var got []*mssante.Received
	for r, err := range e.b.Sync(ctx, "INBOX", &bCur) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if len(got) != 3 {
		t.Fatalf("B got %d", len(got))
	}
	req, ok := mssante.ReadReceiptRequested(got[0])
	if !ok || req.OtherAddress || req.AlreadySent || req.To.Addr != trkA {
		t.Fatalf("request %+v %v", req, ok)
	}
	if req, ok := mssante.ReadReceiptRequested(got[1]); !ok || !req.OtherAddress {
		t.Fatalf("other address %+v %v", req, ok)
	}
	if _, ok := mssante.ReadReceiptRequested(got[2]); ok {
		t.Fatal("no request proposed")
	}
	if _, err := e.b.SendReadReceipt(ctx, got[2], nil); !errors.Is(err, mail.ErrNoReceiptRequested) {
		t.Fatalf("none: %v", err)
	}
	// Nothing is sent until the user asks.
	if n := len(syncMessages(t, e.a, &e.aCur)); n != 0 {
		t.Fatalf("A got %d before the user chose", n)
	}
	if _, err := e.b.SendReadReceipt(ctx, got[0], nil); err != nil {
		t.Fatal(err)
	}
	e.observeInbox(t)
	if got := e.events.path(msg.MessageID, trkB); got != "queued>submitted>displayed" {
		t.Fatalf("path %s", got)
	}
	// Once only: the flag is on the server too.
	fresh, err := e.b.Fetch(ctx, "INBOX", got[0].UID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.b.SendReadReceipt(ctx, fresh, nil); !errors.Is(err, mssante.ErrReceiptAlreadySent) {
		t.Fatalf("twice: %v (flags %v)", err, fresh.Flags)
	}
	// A report is never answered.
	dsn := &mssante.Received{Message: &mail.Message{RequestReadReceipt: true, ReadReceiptTo: &mail.Address{Addr: trkA}, DSN: &mail.DSN{}}}
	if _, ok := mssante.ReadReceiptRequested(dsn); ok {
		t.Fatal("report proposed")
	}
}
