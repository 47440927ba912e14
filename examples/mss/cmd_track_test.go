package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/pgtest"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/boltstore"
	"github.com/mssante-go/sdk/mssante/delivery/pgstore"
	"github.com/mssante-go/sdk/mssante/mail"
)

// trackStore writes a store with two messages: one delivered and read,
// one failed by a Mon Espace Santé bounce for one recipient.
func trackStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "track.db")
	st, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fillTrackStore(t, st)
	return path
}

// fillTrackStore writes trackStore's messages to st.
func fillTrackStore(t *testing.T, st delivery.Store) {
	t.Helper()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	tr := delivery.NewTracker(&delivery.TrackerOptions{Store: st, Clock: &stepClock{now: now, step: time.Minute}})
	ctx := context.Background()
	send := func(id string, to ...string) {
		m := &mail.Message{MessageID: id, From: mail.MustParseAddress("a@medecin.mssante.fr"), Subject: "Lettre\nde sortie",
			RequestDeliveryReceipt: true, RequestReadReceipt: true}
		res := &mssante.SendResult{MessageID: id, DSNRequested: true}
		for _, a := range to {
			m.To = append(m.To, mail.MustParseAddress(a))
			res.Recipients = append(res.Recipients, mssante.RecipientResult{Address: a, Accepted: true})
		}
		if err := tr.Sent(ctx, m, res, nil); err != nil {
			t.Fatal(err)
		}
	}
	send("1@medecin.mssante.fr", "b@ch-test.mssante.fr")
	send("2@medecin.mssante.fr", "c@ch-test.mssante.fr", "279035121518989@patient.mssante.fr")
	observe := func(m *mail.Message) {
		if ok, err := tr.Observe(ctx, m); !ok || err != nil {
			t.Fatalf("observe: %v %v", ok, err)
		}
	}
	observe(&mail.Message{DSN: &mail.DSN{OriginalEnvelopeID: "1@medecin.mssante.fr", Recipients: []mail.DSNRecipient{{FinalRecipient: "b@ch-test.mssante.fr", Action: mail.ActionDelivered, Status: "2.0.0"}}}})
	observe(&mail.Message{MDN: &mail.MDN{OriginalMessageID: "1@medecin.mssante.fr", FinalRecipient: "b@ch-test.mssante.fr", Disposition: mail.Disposition{Type: mail.Displayed}}})
	observe(&mail.Message{DSN: &mail.DSN{OriginalEnvelopeID: "2@medecin.mssante.fr", Recipients: []mail.DSNRecipient{{FinalRecipient: "279035121518989@patient.mssante.fr", Action: mail.ActionFailed, Status: "5.2.1", DiagnosticCode: "smtp; 550 5.2.1 Mailbox disabled"}}}})
}

// "mss track --store postgres://..." reads a PostgreSQL store that a
// running sender holds open, with the filters of a dashboard.
func TestTrackPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	st, err := pgstore.Open(ctx, dsn, &pgstore.Options{Schema: "senders"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close() // held open while the command reads
	fillTrackStore(t, st)
	out, err := runTrackCLI(t, "--store", dsn, "--schema", "senders")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "1@medecin.mssante.fr") || !strings.Contains(out, "2@medecin.mssante.fr") || !strings.Contains(out, "displayed") {
		t.Fatalf("listing:\n%s", out)
	}
	for _, tc := range []struct {
		args       []string
		has, lacks string
	}{
		{[]string{"--state", "failed"}, "2@medecin", "1@medecin"},
		{[]string{"--recipient", "b@CH-TEST.MSSANTE.FR"}, "1@medecin", "2@medecin"}, // the domain without case
		{[]string{"--pending", "0s"}, "2@medecin", "1@medecin"},
		{[]string{"--limit", "1"}, "1@medecin", "2@medecin"},
	} {
		out, err := runTrackCLI(t, append([]string{"--store", dsn, "--schema", "senders"}, tc.args...)...)
		if err != nil || !strings.Contains(out, tc.has) || strings.Contains(out, tc.lacks) {
			t.Errorf("%v: %v\n%s", tc.args, err, out)
		}
	}
	// A schema the senders never made: advice, not an empty list.
	if _, err := runTrackCLI(t, "--store", dsn, "--schema", "absent"); err == nil || !strings.Contains(err.Error(), "apply Migrations") {
		t.Errorf("absent schema: %v", err)
	}
}

// stepClock is a delivery.Clock whose time moves by step at each reading.
type stepClock struct {
	now  time.Time
	step time.Duration
}

func (c *stepClock) Now() time.Time {
	c.now = c.now.Add(c.step)
	return c.now
}

func (c *stepClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func runTrackCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var buf bytes.Buffer
	err := runTrack(context.Background(), &env{stdout: &buf, stderr: &buf}, args)
	return buf.String(), err
}

func TestTrackText(t *testing.T) {
	path := trackStore(t)
	out, err := runTrackCLI(t, "--store", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	for i, want := range [][]string{
		{"1@medecin.mssante.fr", "settled", "DSN+MDN", "Lettre de sortie"},
		{"b@ch-test.mssante.fr", "displayed", "mdn"},
		{},
		{"2@medecin.mssante.fr", "pending"},
		{"c@ch-test.mssante.fr", "submitted", "smtp"},
		{"279035121518989@patient.mssante.fr", "failed", "dsn", "5.2.1", "closed"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d %q lacks %q", i, lines[i], w)
			}
		}
	}
	out, err = runTrackCLI(t, "--store", path, "--pending", "0s")
	if err != nil || strings.Contains(out, "1@medecin") || !strings.Contains(out, "2@medecin") {
		t.Fatalf("pending: %v\n%s", err, out)
	}
}

func TestTrackJSON(t *testing.T) {
	out, err := runTrackCLI(t, "--json", "--store", trackStore(t))
	if err != nil {
		t.Fatal(err)
	}
	var list []delivery.TrackedMessage
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(list) != 2 || list[0].Recipients[0].State != delivery.StateDisplayed || len(list[0].Recipients[0].History) != 4 ||
		list[1].Recipient("279035121518989@patient.mssante.fr").Status != "5.2.1" {
		t.Fatalf("%+v", list)
	}
}

func TestTrackErrors(t *testing.T) {
	if _, err := runTrackCLI(t, "--store", filepath.Join(t.TempDir(), "absent.db")); err == nil || !strings.Contains(err.Error(), "no tracker store") {
		t.Fatalf("absent: %v", err)
	}
	if _, err := runTrackCLI(t, "--store", trackStore(t), "extra"); err == nil {
		t.Fatal("extra argument accepted")
	}
	// A store held by a running program.
	path := trackStore(t)
	st, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	done := make(chan error, 1)
	go func() { _, err := runTrackCLI(t, "--store", path, "--wait", "100ms"); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "one writer") {
			t.Fatalf("locked: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no timeout on a locked store")
	}
}

// A read receipt that did not come before the deadline, and a bounce that
// named no recipient: the first stays delivered, marked, and settles its
// message; the second failed, with the report's problem shown.
func TestTrackReadTimeoutAndProblems(t *testing.T) {
	path := filepath.Join(t.TempDir(), "track.db")
	st, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	clk := &stepClock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	tr := delivery.NewTracker(&delivery.TrackerOptions{Store: st, Clock: clk, ReadTimeout: 7 * 24 * time.Hour})
	ctx := context.Background()
	for _, id := range []string{"3@medecin.mssante.fr", "4@medecin.mssante.fr"} {
		m := &mail.Message{MessageID: id, From: mail.MustParseAddress("a@medecin.mssante.fr"), Subject: "Lettre",
			To: []mail.Address{mail.MustParseAddress("b@ch-test.mssante.fr")}, RequestDeliveryReceipt: true, RequestReadReceipt: true}
		res := &mssante.SendResult{MessageID: id, DSNRequested: true, Recipients: []mssante.RecipientResult{{Address: "b@ch-test.mssante.fr", Accepted: true}}}
		if err := tr.Sent(ctx, m, res, nil); err != nil {
			t.Fatal(err)
		}
	}
	delivered := &mail.Message{DSN: &mail.DSN{OriginalEnvelopeID: "3@medecin.mssante.fr",
		Recipients: []mail.DSNRecipient{{FinalRecipient: "b@ch-test.mssante.fr", Action: mail.ActionDelivered, Status: "2.0.0"}}}}
	unnamed := &mail.Message{DSN: &mail.DSN{OriginalEnvelopeID: "4@medecin.mssante.fr",
		Recipients: []mail.DSNRecipient{{Action: mail.ActionFailed, ActionInferred: true}}},
		Problems: []error{&mail.ParseError{Part: "message/delivery-status", Reason: mail.ReasonNoRecipientStatus}}}
	for _, m := range []*mail.Message{delivered, unnamed} {
		if ok, err := tr.Observe(ctx, m); !ok || err != nil {
			t.Fatalf("observe: %v %v", ok, err)
		}
	}
	clk.now = clk.now.Add(8 * 24 * time.Hour)
	if n, err := tr.CheckTimeouts(ctx); n != 1 || err != nil {
		t.Fatalf("timeouts: %d %v", n, err)
	}
	st.Close()
	out, err := runTrackCLI(t, "--store", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i, want := range [][]string{
		{"3@medecin.mssante.fr", "(settled, DSN+MDN asked)"},
		{"b@ch-test.mssante.fr", "delivered (no read receipt)", "timeout", "2.0.0 no read receipt before the deadline"},
		{},
		{"4@medecin.mssante.fr", "(settled"},
		{"b@ch-test.mssante.fr", "failed", "dsn", "delivery to b@ch-test.mssante.fr failed: report without per-recipient status"},
		{"report problems: malformed message/delivery-status: report without per-recipient status"},
	} {
		if i >= len(lines) {
			t.Fatalf("%d lines:\n%s", len(lines), out)
		}
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d %q lacks %q", i, lines[i], w)
			}
		}
	}
}
