// Package storetest checks that an implementation of delivery.Store keeps
// the contract the Tracker and the Outbox rely on, as nettest.TestConn does
// for a net.Conn: atomic updates under concurrency, indexed lookups, pages
// in a stable order, exclusive outbox claims with leases, bounded bodies,
// purges in batches. The memory store, package boltstore and package
// pgstore run it; a vendor's own Store should too:
//
//	func TestStore(t *testing.T) {
//		storetest.TestStore(t, func(t *testing.T) delivery.Store { return openMine(t) }, nil)
//	}
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/mail"
)

// Options tune TestStore. A nil pointer means defaults.
type Options struct {
	// Shared returns another handle on the data of s, as a second
	// process would open it (another connection pool, say): the
	// concurrency cases then run half their work through it. Nil means s
	// itself (a store that one process holds, like bbolt).
	Shared func(t *testing.T, s delivery.Store) delivery.Store
	// Parallel is how many goroutines the concurrency cases run. Zero
	// means 8.
	Parallel int
}

// TestStore runs the contract's cases, each on a new empty store made by
// newStore (which closes it when t ends).
func TestStore(t *testing.T, newStore func(t *testing.T) delivery.Store, opts *Options) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Shared == nil {
		o.Shared = func(_ *testing.T, s delivery.Store) delivery.Store { return s }
	}
	if o.Parallel <= 0 {
		o.Parallel = 8
	}
	cases := []struct {
		name string
		run  func(t *testing.T, s delivery.Store, o *Options)
	}{
		{"CreateAndRead", testCreateAndRead},
		{"EnvelopeID", testEnvelopeID},
		{"Update", testUpdate},
		{"UpdateConcurrent", testUpdateConcurrent},
		{"Queries", testQueries},
		{"QueryPagesWhileUpdating", testPagesWhileUpdating},
		{"Due", testDue},
		{"Purge", testPurge},
		{"OutboxAddAndRead", testOutboxAddAndRead},
		{"OutboxBodies", testOutboxBodies},
		{"OutboxFullAndDuplicateAtomic", testOutboxAtomicAdd},
		{"OutboxLeases", testOutboxLeases},
		{"OutboxClaimsExclusive", testOutboxClaimsExclusive},
		{"OutboxList", testOutboxList},
		{"Canceled", testCanceled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, newStore(t), &o) })
	}
}

// t0 is the suite's epoch.
var t0 = time.Date(2026, 11, 26, 9, 0, 0, 123456789, time.UTC)

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// message returns a tracked message created at t0+d with one queued
// recipient per address.
func message(id string, d time.Duration, rcpts ...string) *delivery.TrackedMessage {
	m := &delivery.TrackedMessage{MessageID: id, EnvelopeID: id, From: "a@medecin.mssante.fr", Created: t0.Add(d)}
	for _, a := range rcpts {
		m.Recipients = append(m.Recipients, delivery.RecipientStatus{Address: a, State: delivery.StateQueued, Since: m.Created,
			History: []delivery.Transition{{Time: m.Created, To: delivery.StateQueued, Cause: delivery.CauseCaller}}})
	}
	return m
}

func mustCreate(t *testing.T, s delivery.Store, m *delivery.TrackedMessage) {
	t.Helper()
	ok, err := s.CreateMessage(ctxFor(t), m)
	if err != nil || !ok {
		t.Fatalf("CreateMessage(%s) = %v, %v; want true, nil", m.MessageID, ok, err)
	}
}

func testCreateAndRead(t *testing.T, s delivery.Store, _ *Options) {
	ctx := ctxFor(t)
	if _, err := s.Message(ctx, "absent@x"); !errors.Is(err, delivery.ErrUnknownMessage) {
		t.Fatalf("absent message: %v, want ErrUnknownMessage", err)
	}
	m := message("a@x", 0, "b@y.fr")
	m.Subject = "Lettre de liaison"
	m.Recipients[0].History[0].Problems = []string{"p"}
	mustCreate(t, s, m)
	// The store keeps a copy.
	m.Recipients[0].State = delivery.StateFailed
	m.Recipients[0].History[0].Problems[0] = "changed"
	got, err := s.Message(ctx, "a@x")
	if err != nil {
		t.Fatal(err)
	}
	if got.Recipients[0].State != delivery.StateQueued || got.Recipients[0].History[0].Problems[0] != "p" || got.Subject != "Lettre de liaison" || !got.Created.Equal(t0) {
		t.Fatalf("stored message changed by the caller or not kept: %+v", got)
	}
	// Returned values are copies too.
	got.Recipients[0].State = delivery.StateDelivered
	again, _ := s.Message(ctx, "a@x")
	if again.Recipients[0].State != delivery.StateQueued {
		t.Fatal("a returned message shares memory with the store")
	}
	// Creating again changes nothing.
	other := message("a@x", time.Hour, "c@y.fr")
	if ok, err := s.CreateMessage(ctx, other); ok || err != nil {
		t.Fatalf("second CreateMessage = %v, %v; want false, nil", ok, err)
	}
	if again, _ := s.Message(ctx, "a@x"); len(again.Recipients) != 1 || again.Recipients[0].Address != "b@y.fr" {
		t.Fatalf("second CreateMessage overwrote: %+v", again)
	}
}

func testEnvelopeID(t *testing.T, s delivery.Store, _ *Options) {
	ctx := ctxFor(t)
	plain := message("plain@medecin.mssante.fr", 0, "b@y.fr")
	long := message(strings.Repeat("x", 150)+"@medecin.mssante.fr", time.Second, "b@y.fr")
	long.EnvelopeID = "sha256-0123456789abcdef0123456789abcdef"
	for _, m := range []*delivery.TrackedMessage{plain, long} {
		mustCreate(t, s, m)
	}
	for _, m := range []*delivery.TrackedMessage{plain, long} {
		got, err := s.MessageByEnvelopeID(ctx, m.EnvelopeID)
		if err != nil || got.MessageID != m.MessageID {
			t.Fatalf("MessageByEnvelopeID(%s) = %v, %v", m.EnvelopeID, got, err)
		}
	}
	if _, err := s.MessageByEnvelopeID(ctx, "sha256-ffff"); !errors.Is(err, delivery.ErrUnknownMessage) {
		t.Fatalf("unknown ENVID: %v", err)
	}
	// A prefix of an ENVID is not that ENVID.
	if _, err := s.MessageByEnvelopeID(ctx, "plain@medecin"); !errors.Is(err, delivery.ErrUnknownMessage) {
		t.Fatalf("ENVID prefix: %v", err)
	}
}

func testUpdate(t *testing.T, s delivery.Store, _ *Options) {
	ctx := ctxFor(t)
	mustCreate(t, s, message("u@x", 0, "b@y.fr"))
	var kept *delivery.TrackedMessage
	err := s.UpdateMessage(ctx, "u@x", func(m *delivery.TrackedMessage) error {
		m.Recipients[0].State = delivery.StateSubmitted
		m.Submitted = t0.Add(time.Minute)
		kept = m
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	kept.Recipients[0].State = delivery.StateFailed // after the update: must not leak in
	got, _ := s.Message(ctx, "u@x")
	if got.Recipients[0].State != delivery.StateSubmitted || !got.Submitted.Equal(t0.Add(time.Minute)) {
		t.Fatalf("update not stored, or the function's message shared: %+v", got.Recipients[0])
	}
	if err := s.UpdateMessage(ctx, "u@x", func(m *delivery.TrackedMessage) error {
		m.Recipients[0].State = delivery.StateFailed
		return delivery.ErrNoChange
	}); err != nil {
		t.Fatalf("ErrNoChange: %v, want nil", err)
	}
	boom := errors.New("boom")
	if err := s.UpdateMessage(ctx, "u@x", func(m *delivery.TrackedMessage) error {
		m.Recipients[0].State = delivery.StateFailed
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("function error: %v, want it returned", err)
	}
	if got, _ := s.Message(ctx, "u@x"); got.Recipients[0].State != delivery.StateSubmitted {
		t.Fatalf("a refused update was stored: %s", got.Recipients[0].State)
	}
	if err := s.UpdateMessage(ctx, "absent@x", func(*delivery.TrackedMessage) error { return nil }); !errors.Is(err, delivery.ErrUnknownMessage) {
		t.Fatalf("update of an absent message: %v", err)
	}
	if err := s.UpdateMessage(ctx, "u@x", func(m *delivery.TrackedMessage) error { m.MessageID = "v@x"; return nil }); err == nil {
		t.Fatal("an update changed the Message-ID")
	}
	if _, err := s.Message(ctx, "v@x"); !errors.Is(err, delivery.ErrUnknownMessage) {
		t.Fatalf("renamed message stored: %v", err)
	}
}

// Concurrent read-modify-writes of one message, through two handles, lose
// nothing: each appends a transition.
func testUpdateConcurrent(t *testing.T, s delivery.Store, o *Options) {
	ctx := ctxFor(t)
	other := o.Shared(t, s)
	mustCreate(t, s, message("c@x", 0, "b@y.fr"))
	const each = 15
	var wg sync.WaitGroup
	errs := make(chan error, o.Parallel)
	for g := range o.Parallel {
		st := s
		if g%2 == 1 {
			st = other
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := st.UpdateMessage(ctx, "c@x", func(m *delivery.TrackedMessage) error {
					r := &m.Recipients[0]
					r.History = append(r.History, delivery.Transition{Time: t0, To: delivery.StateQueued, Cause: delivery.CauseCaller, Reason: fmt.Sprintf("%d/%d", g, i)})
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, _ := s.Message(ctx, "c@x")
	seen := map[string]bool{}
	for _, h := range got.Recipients[0].History[1:] {
		if seen[h.Reason] {
			t.Fatalf("transition %s recorded twice", h.Reason)
		}
		seen[h.Reason] = true
	}
	if want := o.Parallel * each; len(seen) != want {
		t.Fatalf("%d transitions recorded, want %d: updates were lost", len(seen), want)
	}
}

// corpus stores a varied set of messages and returns them.
func corpus(t *testing.T, s delivery.Store) []*delivery.TrackedMessage {
	var all []*delivery.TrackedMessage
	states := []delivery.State{delivery.StateQueued, delivery.StateSubmitted, delivery.StateDelivered, delivery.StateDisplayed, delivery.StateFailed}
	for i := range 40 {
		rcpts := []string{fmt.Sprintf("dr%d@ch-test.mssante.fr", i%4)}
		if i%3 == 0 {
			rcpts = append(rcpts, "Patient@Patient.MSSante.fr")
		}
		// Some share a creation time, so that the Message-ID orders them.
		m := message(fmt.Sprintf("m%02d-%d@x", 39-i, i), time.Duration(i/2)*time.Minute, rcpts...)
		m.DeliveryReceipt, m.ReadReceipt = i%2 == 0, i%5 == 0
		for j := range m.Recipients {
			m.Recipients[j].State = states[(i+j)%len(states)]
		}
		if m.Recipients[0].State != delivery.StateQueued {
			m.Submitted = m.Created.Add(time.Second)
		}
		mustCreate(t, s, m)
		all = append(all, m)
	}
	return all
}

// collect pages through a query with a limit.
func collect(t *testing.T, s delivery.Store, q delivery.MessageQuery) []string {
	t.Helper()
	var ids []string
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("pages never end")
		}
		p, err := s.Messages(ctxFor(t), q)
		if err != nil {
			t.Fatalf("Messages(%+v): %v", q, err)
		}
		if len(p.Messages) > delivery.PageLimit(q.Limit) {
			t.Fatalf("page of %d messages, limit %d", len(p.Messages), q.Limit)
		}
		for _, m := range p.Messages {
			ids = append(ids, m.MessageID)
		}
		if p.Next == "" {
			return ids
		}
		q.After = p.Next
	}
}

// expected filters and orders the corpus as the contract says.
func expected(all []*delivery.TrackedMessage, q delivery.MessageQuery) []string {
	var sel []*delivery.TrackedMessage
	for _, m := range all {
		if q.Match(m) {
			sel = append(sel, m)
		}
	}
	sort.Slice(sel, func(i, j int) bool {
		a, b := delivery.IndexTime(sel[i].Created), delivery.IndexTime(sel[j].Created)
		if !a.Equal(b) {
			return a.Before(b)
		}
		return sel[i].MessageID < sel[j].MessageID
	})
	ids := make([]string, len(sel))
	for i, m := range sel {
		ids[i] = m.MessageID
	}
	return ids
}

func testQueries(t *testing.T, s delivery.Store, _ *Options) {
	all := corpus(t, s)
	queries := []delivery.MessageQuery{
		{},
		{Recipient: "dr1@ch-test.mssante.fr"},
		{Recipient: "patient@patient.mssante.fr"}, // the domain compared without case, not the local part
		{Recipient: "Patient@PATIENT.mssante.fr"},
		{State: delivery.StateFailed},
		{State: delivery.StateDelivered, Recipient: "dr2@ch-test.mssante.fr"},
		{Unsettled: true},
		{Unsettled: true, CreatedBefore: t0.Add(7 * time.Minute)},
		{CreatedBefore: t0.Add(3 * time.Minute)},
		{State: delivery.StateQueued, Unsettled: true, CreatedBefore: t0.Add(15 * time.Minute)},
		{Recipient: "nobody@x"},
	}
	for _, q := range queries {
		want := expected(all, q)
		for _, limit := range []int{0, 1, 7} {
			q.Limit = limit
			if got := collect(t, s, q); !slices.Equal(got, want) {
				t.Errorf("query %+v:\n got %v\nwant %v", q, got, want)
			}
		}
	}
	if _, err := s.Messages(ctxFor(t), delivery.MessageQuery{After: "not a token!"}); !errors.Is(err, delivery.ErrPageToken) {
		t.Errorf("bad page token: %v, want ErrPageToken", err)
	}
	if p, _ := s.Messages(ctxFor(t), delivery.MessageQuery{Limit: 5000}); len(p.Messages) != len(all) {
		t.Errorf("limit above the maximum: %d messages", len(p.Messages))
	}
}

// Messages that change while a query pages through them are neither lost
// nor repeated when the change leaves them in the selection.
func testPagesWhileUpdating(t *testing.T, s delivery.Store, _ *Options) {
	ctx := ctxFor(t)
	all := corpus(t, s)
	want := expected(all, delivery.MessageQuery{})
	var got []string
	q := delivery.MessageQuery{Limit: 3}
	for {
		p, err := s.Messages(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range p.Messages {
			got = append(got, m.MessageID)
		}
		// Touch every message between two pages.
		for _, m := range all {
			if err := s.UpdateMessage(ctx, m.MessageID, func(m *delivery.TrackedMessage) error { m.Subject += "."; return nil }); err != nil {
				t.Fatal(err)
			}
		}
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages while updating:\n got %v\nwant %v", got, want)
	}
}

func testDue(t *testing.T, s delivery.Store, _ *Options) {
	ctx := ctxFor(t)
	all := corpus(t, s)
	check := func(awaiting delivery.Awaiting, before time.Time) {
		t.Helper()
		var want []*delivery.TrackedMessage
		for _, m := range all {
			x := m.Index()
			since := x.AwaitingDelivery
			if awaiting == delivery.AwaitingRead {
				since = x.AwaitingRead
			}
			if !since.IsZero() && !since.After(delivery.IndexTime(before)) {
				want = append(want, m)
			}
		}
		sort.Slice(want, func(i, j int) bool {
			a, b := delivery.IndexTime(want[i].Submitted), delivery.IndexTime(want[j].Submitted)
			if !a.Equal(b) {
				return a.Before(b)
			}
			return want[i].MessageID < want[j].MessageID
		})
		var wantIDs, got []string
		for _, m := range want {
			wantIDs = append(wantIDs, m.MessageID)
		}
		q := delivery.DueQuery{Awaiting: awaiting, Before: before, Limit: 4}
		for {
			p, err := s.DueMessages(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range p.Messages {
				got = append(got, m.MessageID)
			}
			if p.Next == "" {
				break
			}
			q.After = p.Next
		}
		if !slices.Equal(got, wantIDs) {
			t.Errorf("due %d before %v:\n got %v\nwant %v", awaiting, before.Sub(t0), got, wantIDs)
		}
	}
	for _, d := range []time.Duration{0, 5*time.Minute + time.Second, time.Hour} {
		check(delivery.AwaitingDelivery, t0.Add(d))
		check(delivery.AwaitingRead, t0.Add(d))
	}
	if len(all[0].Recipients) == 0 {
		t.Fatal("corpus without recipients")
	}
	// A message that stops waiting leaves the index.
	for _, m := range all {
		if m.Index().AwaitingDelivery.IsZero() {
			continue
		}
		if err := s.UpdateMessage(ctx, m.MessageID, func(m *delivery.TrackedMessage) error {
			for i := range m.Recipients {
				m.Recipients[i].State = delivery.StateFailed
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		p, err := s.DueMessages(ctx, delivery.DueQuery{Awaiting: delivery.AwaitingDelivery, Before: t0.Add(time.Hour), Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range p.Messages {
			if d.MessageID == m.MessageID {
				t.Fatalf("%s failed yet still due", m.MessageID)
			}
		}
		break
	}
}

func testPurge(t *testing.T, s delivery.Store, _ *Options) {
	ctx := ctxFor(t)
	all := corpus(t, s)
	before := t0.Add(12 * time.Minute)
	var want int
	for _, m := range all {
		if m.Settled() && delivery.IndexTime(m.Created).Before(delivery.IndexTime(before)) {
			want++
		}
	}
	if want < 4 {
		t.Fatalf("corpus has %d messages to purge", want)
	}
	total := 0
	for batches := 0; ; batches++ {
		n, err := s.PurgeMessages(ctx, before, 3)
		if err != nil {
			t.Fatal(err)
		}
		if n > 3 {
			t.Fatalf("purged %d in a batch of 3", n)
		}
		total += n
		if n == 0 {
			break
		}
	}
	if total != want {
		t.Fatalf("purged %d, want %d", total, want)
	}
	for _, m := range all {
		_, err := s.Message(ctx, m.MessageID)
		purged := errors.Is(err, delivery.ErrUnknownMessage)
		if purged != (m.Settled() && m.Created.Before(before)) {
			t.Fatalf("%s (settled %v, created %v): purged %v (%v)", m.MessageID, m.Settled(), m.Created.Sub(t0), purged, err)
		}
	}
	// The indexes forgot them.
	var kept []*delivery.TrackedMessage
	for _, m := range all {
		if !(m.Settled() && m.Created.Before(before)) {
			kept = append(kept, m)
		}
	}
	for _, q := range []delivery.MessageQuery{{}, {State: delivery.StateFailed}, {Recipient: "dr1@ch-test.mssante.fr"}} {
		if got, want := collect(t, s, q), expected(kept, q); !slices.Equal(got, want) {
			t.Fatalf("query %+v after the purge:\n got %v\nwant %v", q, got, want)
		}
	}
}

func entry(id string, d time.Duration) *delivery.OutboxEntry {
	return &delivery.OutboxEntry{MessageID: id, From: "a@medecin.mssante.fr", Recipients: []string{"b@y.fr"},
		State: delivery.OutboxPending, Created: t0.Add(d), NextAttempt: t0.Add(d), Deadline: t0.Add(24 * time.Hour)}
}

func add(t *testing.T, s delivery.Store, e *delivery.OutboxEntry, body []byte) {
	t.Helper()
	if err := s.AddOutbox(ctxFor(t), e, bytes.NewReader(body), delivery.AddOptions{}); err != nil {
		t.Fatalf("AddOutbox(%s): %v", e.MessageID, err)
	}
}

func readBody(t *testing.T, s delivery.Store, id string) []byte {
	t.Helper()
	rc, err := s.OutboxBody(ctxFor(t), id)
	if err != nil {
		t.Fatalf("OutboxBody(%s): %v", id, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading the body of %s: %v", id, err)
	}
	return b
}

func testOutboxAddAndRead(t *testing.T, s delivery.Store, _ *Options) {
	ctx := ctxFor(t)
	e := entry("1@x", 0)
	add(t, s, e, []byte("body of 1"))
	if e.Size != 9 {
		t.Fatalf("Size %d, want 9", e.Size)
	}
	e.Recipients[0] = "changed@y.fr" // the store kept a copy
	got, err := s.OutboxEntry(ctx, "1@x")
	if err != nil || got.Recipients[0] != "b@y.fr" || got.Size != 9 || !got.Created.Equal(t0) || got.State != delivery.OutboxPending {
		t.Fatalf("OutboxEntry = %+v, %v", got, err)
	}
	if err := s.AddOutbox(ctx, entry("1@x", time.Second), strings.NewReader("another"), delivery.AddOptions{}); !errors.Is(err, delivery.ErrDuplicateMessage) {
		t.Fatalf("duplicate add: %v", err)
	}
	if b := readBody(t, s, "1@x"); string(b) != "body of 1" {
		t.Fatalf("body %q", b)
	}
	if _, err := s.OutboxEntry(ctx, "absent@x"); !errors.Is(err, delivery.ErrUnknownMessage) {
		t.Fatalf("absent entry: %v", err)
	}
	if _, err := s.OutboxBody(ctx, "absent@x"); !errors.Is(err, delivery.ErrUnknownMessage) {
		t.Fatalf("absent body: %v", err)
	}
	// Update by the holder of the (empty) lease keeps the body and the size.
	got.Attempts, got.LastError, got.Size = 2, "busy", 0
	if err := s.UpdateOutbox(ctx, "", got); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.OutboxEntry(ctx, "1@x"); again.Attempts != 2 || again.LastError != "busy" || again.Size != 9 {
		t.Fatalf("after update %+v", again)
	}
	if err := s.RemoveOutbox(ctx, "", "1@x"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveOutbox(ctx, "", "1@x"); err != nil {
		t.Fatalf("second remove: %v", err)
	}
	if _, err := s.OutboxBody(ctx, "1@x"); !errors.Is(err, delivery.ErrUnknownMessage) {
		t.Fatalf("removed body: %v", err)
	}
	if err := s.UpdateOutbox(ctx, "", got); !errors.Is(err, delivery.ErrUnknownMessage) {
		t.Fatalf("update of a removed entry: %v", err)
	}
	// The Message-ID can be used again once removed.
	add(t, s, entry("1@x", 0), []byte("again"))
	if sum, err := s.OutboxSummary(ctx); err != nil || sum.Entries != 1 {
		t.Fatalf("summary %+v %v", sum, err)
	}
}

type failingReader struct{ n int }

var errReader = errors.New("storetest: reader failed")

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errReader
	}
	k := min(len(p), r.n)
	r.n -= k
	return k, nil
}

func testOutboxBodies(t *testing.T, s delivery.Store, _ *Options) {
	ctx := ctxFor(t)
	big := make([]byte, 3<<20+12345) // several blocks of any store
	rand.Read(big)
	for _, tc := range []struct {
		id   string
		body []byte
	}{{"empty@x", nil}, {"one@x", []byte("x")}, {"big@x", big}} {
		e := entry(tc.id, 0)
		add(t, s, e, tc.body)
		if e.Size != int64(len(tc.body)) {
			t.Fatalf("%s: Size %d, want %d", tc.id, e.Size, len(tc.body))
		}
		if got := readBody(t, s, tc.id); !bytes.Equal(got, tc.body) {
			t.Fatalf("%s: body of %d bytes read back as %d bytes, different", tc.id, len(tc.body), len(got))
		}
	}
	// Too long: a LimitError, nothing stored.
	err := s.AddOutbox(ctx, entry("long@x", 0), bytes.NewReader(big), delivery.AddOptions{MaxBytes: 2 << 20})
	var le *mail.LimitError
	if !errors.As(err, &le) {
		t.Fatalf("body over MaxBytes: %v, want a *mail.LimitError", err)
	}
	// The reader fails: its error, nothing stored.
	if err := s.AddOutbox(ctx, entry("fail@x", 0), &failingReader{n: 2 << 20}, delivery.AddOptions{}); !errors.Is(err, errReader) {
		t.Fatalf("failing reader: %v", err)
	}
	if err := s.AddOutbox(ctx, entry("failfast@x", 0), &failingReader{}, delivery.AddOptions{}); !errors.Is(err, errReader) {
		t.Fatalf("failing reader: %v", err)
	}
	for _, id := range []string{"long@x", "fail@x", "failfast@x"} {
		if _, err := s.OutboxEntry(ctx, id); !errors.Is(err, delivery.ErrUnknownMessage) {
			t.Fatalf("%s stored after a failed add: %v", id, err)
		}
		// And the Message-ID is free.
		add(t, s, entry(id, 0), []byte("ok"))
	}
	if sum, _ := s.OutboxSummary(ctx); sum.Entries != 6 {
		t.Fatalf("summary counts %d entries, want 6", sum.Entries)
	}
}

// Concurrent adds, through two handles, respect the bound and the
// uniqueness exactly.
func testOutboxAtomicAdd(t *testing.T, s delivery.Store, o *Options) {
	ctx := ctxFor(t)
	other := o.Shared(t, s)
	const max = 5
	n := max * 4
	var ok, full, dup atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, n*2)
	for i := range n {
		st := s
		if i%2 == 1 {
			st = other
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			err := st.AddOutbox(ctx, entry(fmt.Sprintf("bound-%d@x", i), 0), strings.NewReader("b"), delivery.AddOptions{MaxEntries: max})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, delivery.ErrOutboxFull):
				full.Add(1)
			default:
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			err := st.AddOutbox(ctx, entry("same@x", 0), strings.NewReader("b"), delivery.AddOptions{})
			switch {
			case err == nil:
				dup.Add(1)
			case errors.Is(err, delivery.ErrDuplicateMessage):
			default:
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// "same@x" took one place, unbounded; the bounded adds saw it or not.
	if got := int(ok.Load()); got != max && got != max-1 {
		t.Fatalf("%d adds within a bound of %d succeeded (%d refused full)", got, max, full.Load())
	}
	if int(ok.Load()+full.Load()) != n {
		t.Fatalf("ok %d + full %d != %d", ok.Load(), full.Load(), n)
	}
	if dup.Load() != 1 {
		t.Fatalf("%d concurrent adds of one Message-ID succeeded", dup.Load())
	}
}

func testOutboxLeases(t *testing.T, s delivery.Store, o *Options) {
	ctx := ctxFor(t)
	other := o.Shared(t, s)
	add(t, s, entry("due1@x", 0), []byte("1"))
	add(t, s, entry("due2@x", time.Second), []byte("2"))
	later := entry("later@x", 2*time.Second)
	later.NextAttempt = t0.Add(time.Hour)
	add(t, s, later, []byte("3"))
	if sum, err := s.OutboxSummary(ctx); err != nil || sum.Entries != 3 || !sum.NextDue.Equal(delivery.IndexTime(t0)) {
		t.Fatalf("summary %+v %v", sum, err)
	}
	now := t0.Add(time.Minute)
	until := now.Add(30 * time.Second)
	got, err := s.ClaimOutbox(ctx, delivery.OutboxClaim{Owner: "A", Now: now, Until: until, Max: 10})
	if err != nil {
		t.Fatal(err)
	}
	if ids := entryIDs(got); !slices.Equal(ids, []string{"due1@x", "due2@x"}) {
		t.Fatalf("claimed %v, want the two due, earliest first", ids)
	}
	for _, e := range got {
		if e.LeaseOwner != "A" || !e.LeaseUntil.Equal(until) {
			t.Fatalf("claimed entry without the lease: %+v", e)
		}
	}
	// Leased: nobody else gets them, even with time gone by within the lease.
	if again, _ := other.ClaimOutbox(ctx, delivery.OutboxClaim{Owner: "B", Now: now.Add(10 * time.Second), Until: now.Add(time.Minute), Max: 10}); len(again) != 0 {
		t.Fatalf("leased entries claimed again: %v", entryIDs(again))
	}
	if sum, _ := s.OutboxSummary(ctx); !sum.NextDue.Equal(delivery.IndexTime(until)) {
		t.Fatalf("next due %v, want the end of the leases %v", sum.NextDue, until)
	}
	// Renewal by the holder only.
	if err := other.RenewOutbox(ctx, "B", "due1@x", until.Add(time.Minute)); !errors.Is(err, delivery.ErrLeaseLost) {
		t.Fatalf("renewal by another owner: %v", err)
	}
	if err := s.RenewOutbox(ctx, "A", "due1@x", until.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.RenewOutbox(ctx, "A", "absent@x", until); !errors.Is(err, delivery.ErrUnknownMessage) {
		t.Fatalf("renewal of an absent entry: %v", err)
	}
	// After the lease of due2 (not renewed), B takes it over; due1 was renewed.
	after := until.Add(time.Second)
	taken, err := other.ClaimOutbox(ctx, delivery.OutboxClaim{Owner: "B", Now: after, Until: after.Add(30 * time.Second), Max: 10})
	if err != nil {
		t.Fatal(err)
	}
	if ids := entryIDs(taken); !slices.Equal(ids, []string{"due2@x"}) {
		t.Fatalf("after the lease, claimed %v, want due2 only", ids)
	}
	// A, whose lease expired, can no longer write or remove it.
	stale := got[1]
	stale.State = delivery.OutboxInFlight
	if err := s.UpdateOutbox(ctx, "A", stale); !errors.Is(err, delivery.ErrLeaseLost) {
		t.Fatalf("update by the expired owner: %v", err)
	}
	if err := s.RemoveOutbox(ctx, "A", "due2@x"); !errors.Is(err, delivery.ErrLeaseLost) {
		t.Fatalf("remove by the expired owner: %v", err)
	}
	if e, _ := s.OutboxEntry(ctx, "due2@x"); e.State != delivery.OutboxPending || e.LeaseOwner != "B" {
		t.Fatalf("entry after the refused writes: %+v", e)
	}
	// B releases it with a new attempt time: due then, for anyone.
	rel := taken[0]
	rel.LeaseOwner, rel.LeaseUntil = "", time.Time{}
	rel.NextAttempt, rel.Attempts = after.Add(10*time.Minute), 1
	if err := other.UpdateOutbox(ctx, "B", rel); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.ClaimOutbox(ctx, delivery.OutboxClaim{Owner: "C", Now: after.Add(9 * time.Minute), Until: after.Add(time.Hour), Max: 10}); slices.Contains(entryIDs(c), "due2@x") {
		t.Fatal("released entry claimed before its next attempt")
	}
	c, _ := s.ClaimOutbox(ctx, delivery.OutboxClaim{Owner: "C", Now: after.Add(10 * time.Minute), Until: after.Add(time.Hour), Max: 10})
	if !slices.Contains(entryIDs(c), "due2@x") {
		t.Fatalf("released entry not claimed at its next attempt: %v", entryIDs(c))
	}
	// Completion by the holder.
	if err := s.RemoveOutbox(ctx, "C", "due2@x"); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.ClaimOutbox(ctx, delivery.OutboxClaim{Owner: "D", Now: t0.Add(24 * time.Hour), Until: t0.Add(25 * time.Hour), Max: 0}); len(c) != 0 {
		t.Fatalf("Max 0 claimed %d", len(c))
	}
}

func entryIDs(list []*delivery.OutboxEntry) []string {
	var ids []string
	for _, e := range list {
		ids = append(ids, e.MessageID)
	}
	return ids
}

// Workers on two handles claim and complete a queue: each entry is
// claimed once.
func testOutboxClaimsExclusive(t *testing.T, s delivery.Store, o *Options) {
	ctx := ctxFor(t)
	other := o.Shared(t, s)
	const n = 120
	for i := range n {
		add(t, s, entry(fmt.Sprintf("q%03d@x", i), time.Duration(i)*time.Millisecond), []byte("b"))
	}
	var mu sync.Mutex
	claims := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, o.Parallel)
	for g := range o.Parallel {
		st := s
		if g%2 == 1 {
			st = other
		}
		owner := fmt.Sprintf("w%d", g)
		wg.Add(1)
		go func() {
			defer wg.Done()
			now := t0.Add(time.Minute)
			for {
				got, err := st.ClaimOutbox(ctx, delivery.OutboxClaim{Owner: owner, Now: now, Until: now.Add(time.Hour), Max: 3})
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				for _, e := range got {
					mu.Lock()
					claims[e.MessageID]++
					mu.Unlock()
					if err := st.RemoveOutbox(ctx, owner, e.MessageID); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(claims) != n {
		t.Fatalf("%d entries claimed, want %d", len(claims), n)
	}
	for id, k := range claims {
		if k != 1 {
			t.Fatalf("%s claimed %d times", id, k)
		}
	}
	if sum, _ := s.OutboxSummary(ctx); sum.Entries != 0 || !sum.NextDue.IsZero() {
		t.Fatalf("summary after draining: %+v", sum)
	}
}

func testOutboxList(t *testing.T, s delivery.Store, _ *Options) {
	ctx := ctxFor(t)
	var want []string
	for i := range 25 {
		id := fmt.Sprintf("l%02d@x", 24-i)
		add(t, s, entry(id, time.Duration(i/3)*time.Second), nil)
	}
	// Oldest first, then by Message-ID.
	for i := range 25 {
		want = append(want, fmt.Sprintf("l%02d@x", 24-i))
	}
	sort.SliceStable(want, func(i, j int) bool {
		ti, tj := (24-idNum(want[i]))/3, (24-idNum(want[j]))/3
		if ti != tj {
			return ti < tj
		}
		return want[i] < want[j]
	})
	var got []string
	q := delivery.OutboxQuery{Limit: 4}
	for {
		p, err := s.ListOutbox(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, entryIDs(p.Entries)...)
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("outbox pages:\n got %v\nwant %v", got, want)
	}
}

func idNum(id string) int {
	var n int
	fmt.Sscanf(id, "l%02d@x", &n)
	return n
}

func testCanceled(t *testing.T, s delivery.Store, _ *Options) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.CreateMessage(ctx, message("x@x", 0, "b@y.fr")); err == nil {
		t.Error("CreateMessage with a canceled context succeeded")
	}
	if err := s.AddOutbox(ctx, entry("x@x", 0), strings.NewReader("b"), delivery.AddOptions{}); err == nil {
		t.Error("AddOutbox with a canceled context succeeded")
	}
	if _, err := s.Message(context.Background(), "x@x"); !errors.Is(err, delivery.ErrUnknownMessage) {
		t.Errorf("message stored with a canceled context: %v", err)
	}
}
