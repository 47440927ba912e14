package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

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

// --json prints {"messages": [...]} in the CLI's convention (JSON.md;
// TestEveryJSONOutput checks every key): camelCase keys, bare addresses,
// RFC 3339 times, settled computed.
func TestTrackJSON(t *testing.T) {
	path := trackStore(t)
	out, err := runTrackCLI(t, "--json", "--store", path)
	if err != nil {
		t.Fatal(err)
	}
	var got trackJSON
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(got.Messages) != 2 {
		t.Fatalf("%d messages:\n%s", len(got.Messages), out)
	}
	m1, m2 := got.Messages[0], got.Messages[1]
	r1 := m1.Recipients[0]
	if m1.MessageID != "1@medecin.mssante.fr" || m1.From != "a@medecin.mssante.fr" || !m1.Settled || !m1.DeliveryReceipt || !m1.ReadReceipt ||
		m1.Created != "2026-11-26T09:01:00Z" || m1.Submitted != "2026-11-26T09:02:00Z" ||
		r1.State != "displayed" || r1.Cause != "mdn" || len(r1.History) != 4 || r1.History[2].Status != "2.0.0" || r1.History[0].From != "" {
		t.Errorf("message 1: %+v", m1)
	}
	if m2.Settled || len(m2.Recipients) != 2 || m2.Recipients[1].Address != "279035121518989@patient.mssante.fr" ||
		m2.Recipients[1].Status != "5.2.1" || m2.Recipients[1].State != "failed" {
		t.Errorf("message 2: %+v", m2)
	}
	// Streamed, it reads like writeJSON: an empty list is [], a limit holds.
	if out, err := runTrackCLI(t, "--json", "--store", path, "--state", "deleted"); err != nil || out != "{\n  \"messages\": []\n}\n" {
		t.Errorf("empty: %v %q", err, out)
	}
	if out, err := runTrackCLI(t, "--json", "--store", path, "--limit", "1"); err != nil || json.Unmarshal([]byte(out), &got) != nil || len(got.Messages) != 1 {
		t.Errorf("--limit 1: %v\n%s", err, out)
	}
}

// bareAddress gives the addr-spec of whatever a store holds.
func TestTrackBareAddress(t *testing.T) {
	for in, want := range map[string]string{
		"a@medecin.mssante.fr":             "a@medecin.mssante.fr",
		"<a@medecin.mssante.fr>":           "a@medecin.mssante.fr",
		"Dr A <a@medecin.mssante.fr>":      "a@medecin.mssante.fr",
		"\"Dr, A\" <a@medecin.mssante.fr>": "a@medecin.mssante.fr",
		"<not an address":                  "not an address",
	} {
		if got := bareAddress(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// What --store names decides the answer: no file, a file that is not a
// tracker store (said at once, without waiting), a store another program
// holds (said after --wait, with the way out).
func TestTrackErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	otherBolt := filepath.Join(dir, "other.db")
	db, err := bolt.Open(otherBolt, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("sessions")); return err })
	db.Close()
	damaged, err := os.ReadFile(trackStore(t))
	if err != nil {
		t.Fatal(err)
	}
	pageSize := int(binary.LittleEndian.Uint32(damaged[24:])) // in the first meta page
	for i := 28; i < 64; i++ {                                // the checksums of both meta pages fail
		damaged[i] ^= 0xff
		damaged[pageSize+i] ^= 0xff
	}
	absent := filepath.Join(dir, "absent.db")
	for _, tc := range []struct {
		store, want string
	}{
		{absent, "--store " + absent + ": no tracker store: no such file or directory"},
		{dir, "--store " + dir + ": not a tracker store: a directory"},
		{write("empty.db", nil), ": not a tracker store: the file is empty"},
		{write("notes.txt", []byte("Lettre de liaison, version 2\n")), ": not a tracker store: not a bbolt file"},
		{write("short.db", []byte{1, 2, 3}), ": not a tracker store: not a bbolt file"},
		{otherBolt, ": not a tracker store: a bbolt file without the tracker's buckets"},
		{write("damaged.db", damaged), ": not a readable tracker store: "},
	} {
		start := time.Now()
		code, stdout, stderr := runCLI(t, "track", "--store", tc.store, "--wait", "5s")
		if code != exitFailure || stdout != "" || !oneLineStartingWith(stderr, "mss track: --store "+tc.store) || !strings.Contains(stderr, tc.want) ||
			strings.Contains(stderr, "another program") {
			t.Errorf("%s: exit %d %q %q", tc.store, code, stdout, stderr)
		}
		if d := time.Since(start); d > 4*time.Second { // a secondary guard: it must not wait for a lock
			t.Errorf("%s: answered after %v", tc.store, d)
		}
	}

	// A store held by a running program.
	path := trackStore(t)
	st, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	code, stdout, stderr := runCLI(t, "track", "--store", path, "--wait", "100ms")
	want := "mss track: --store " + path + ": another program holds the store (bbolt allows one process; use PostgreSQL to share it)\n"
	if code != exitFailure || stdout != "" || stderr != want {
		t.Errorf("held: exit %d %q %q", code, stdout, stderr)
	}
}

// Flags that do not go together, or a state that does not exist, are
// usage errors, all said at once.
func TestTrackUsageErrors(t *testing.T) {
	path := trackStore(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--state", "read"}, `--state "read": not a state (queued, submitted, delayed, delivered, relayed, displayed, processed, deleted, failed)`},
		{[]string{"--limit", "-1"}, "--limit -1: must be 0 (all) or more"},
		{[]string{"--pending", "-1h"}, "--pending -1h0m0s: must be 0s or more"},
		{[]string{"--html", "x.html"}, "--html needs --timeline MESSAGE-ID"},
		{[]string{"--timeline", "1@medecin.mssante.fr", "--html", "-", "--json"}, "--html - and --json both write to standard output"},
		{[]string{"--timeline", "1@medecin.mssante.fr", "--state", "failed", "--limit", "2"},
			"--timeline shows one message: --state, --limit select among several"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"track", "--store", path}, tc.args...)...)
		if code != exitUsage || stdout != "" || !oneLineStartingWith(stderr, "mss track: "+tc.want) {
			t.Errorf("%q: exit %d %q %q", tc.args, code, stdout, stderr)
		}
	}
}

// $MSSANTE_STORE is the default of --store, shown by -h (a URL without its
// password), and read when --store is not given.
func TestTrackStoreFromEnvironment(t *testing.T) {
	path := trackStore(t)
	t.Setenv("MSSANTE_STORE", path)
	code, stdout, _ := runCLI(t, "track", "-h")
	if code != exitOK || !strings.Contains(stdout, "(default $MSSANTE_STORE, else mssante.db) (default \""+path+"\")") {
		t.Errorf("-h:\n%s", stdout)
	}
	if code, stdout, stderr := runCLI(t, "track"); code != exitOK || !strings.Contains(stdout, "1@medecin.mssante.fr") {
		t.Errorf("exit %d %q %q", code, stdout, stderr)
	}
	t.Setenv("MSSANTE_STORE", "postgres://sender:s3cret@db.example/mss")
	if code, stdout, _ := runCLI(t, "track", "-h"); code != exitOK || strings.Contains(stdout, "s3cret") || !strings.Contains(stdout, "postgres://sender:xxxxx@db.example/mss") {
		t.Errorf("-h with a URL:\n%s", stdout)
	}
	t.Setenv("MSSANTE_STORE", "")
	if code, stdout, _ := runCLI(t, "track", "-h"); code != exitOK || !strings.Contains(stdout, `(default "mssante.db")`) {
		t.Errorf("-h without the variable:\n%s", stdout)
	}
}

// readTimeoutStore writes a store with two messages to b: 3, delivered,
// whose read receipt did not come before the deadline; 4, failed by a
// bounce that named no recipient.
func readTimeoutStore(t *testing.T) string {
	t.Helper()
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
	return path
}

// A read receipt that did not come before the deadline, and a bounce that
// named no recipient: the first stays delivered, marked, and settles its
// message; the second failed, with the report's problem shown.
func TestTrackReadTimeoutAndProblems(t *testing.T) {
	path := readTimeoutStore(t)
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

// $MSSANTE_STORE, which mss send and sync write to, must be a tracker
// store when it exists; a new file becomes one.
func TestEnvTrackerStore(t *testing.T) {
	dir := t.TempDir()
	notStore := filepath.Join(dir, "notes.txt")
	os.WriteFile(notStore, []byte("not a store"), 0o600)
	t.Setenv("MSSANTE_STORE", notStore)
	if _, err := openEnvTracker(); err == nil || !strings.Contains(err.Error(), "not a tracker store") {
		t.Errorf("a text file: %v", err)
	}
	t.Setenv("MSSANTE_STORE", filepath.Join(dir, "new.db"))
	tr, err := openEnvTracker()
	if err != nil {
		t.Fatal(err)
	}
	tr.Close()
	if tr, err = openEnvTracker(); err != nil { // and it opens again
		t.Fatal(err)
	}
	tr.Close()
}
