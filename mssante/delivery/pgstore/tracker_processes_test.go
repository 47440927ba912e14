package pgstore_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/pgtest"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/pgstore"
	"github.com/mssante-go/sdk/mssante/mail"
)

// Environment of a feeder process.
const (
	envFeeder   = "MSSANTE_PGSTORE_FEEDER" // the feeder's seed
	envMessages = "MSSANTE_PGSTORE_MESSAGES"
)

var feederRecipients = []string{"b@ch-test.mssante.fr", "279035121518989@patient.mssante.fr"}

func feederID(i int) string { return fmt.Sprintf("feed-%05d@medecin.mssante.fr", i) }

// feederReports returns the reports mailboxes return for n messages to
// feederRecipients: per recipient a "delayed" DSN, a "delivered" DSN, and
// a "displayed" MDN; and one DSN for both recipients.
func feederReports(n int) []*mail.Message {
	var out []*mail.Message
	for i := range n {
		id := feederID(i)
		for _, r := range feederRecipients {
			out = append(out,
				&mail.Message{DSN: &mail.DSN{OriginalEnvelopeID: mssante.EnvelopeID(id), Recipients: []mail.DSNRecipient{{FinalRecipient: r, Action: mail.ActionDelayed, Status: "4.4.1"}}}},
				&mail.Message{DSN: &mail.DSN{OriginalEnvelopeID: mssante.EnvelopeID(id), Recipients: []mail.DSNRecipient{{FinalRecipient: r, Action: mail.ActionDelivered, Status: "2.0.0"}}}},
				&mail.Message{From: mail.MustParseAddress(r), MDN: &mail.MDN{OriginalMessageID: id, FinalRecipient: r, Disposition: mail.Disposition{Type: mail.Displayed}}},
			)
		}
		var both []mail.DSNRecipient
		for _, r := range feederRecipients {
			both = append(both, mail.DSNRecipient{FinalRecipient: r, Action: mail.ActionDelivered, Status: "2.0.0"})
		}
		out = append(out, &mail.Message{DSN: &mail.DSN{OriginalEnvelopeID: mssante.EnvelopeID(id), Recipients: both}})
	}
	return out
}

// TestHelperTrackerFeeder is a process of TestTrackerProcesses: it feeds
// every report, in an order of its own, to a Tracker on the shared store,
// and prints each transition it recorded.
func TestHelperTrackerFeeder(t *testing.T) {
	seed := os.Getenv(envFeeder)
	if seed == "" {
		t.Skip("helper process of TestTrackerProcesses")
	}
	n, _ := strconv.Atoi(os.Getenv(envMessages))
	s, _ := strconv.ParseUint(seed, 10, 64)
	ctx := context.Background()
	st, err := pgstore.Open(ctx, os.Getenv(envDSN), &pgstore.Options{SkipMigration: true})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	tr := delivery.NewTracker(&delivery.TrackerOptions{Store: st, OnEvent: func(e delivery.TrackEvent) {
		fmt.Fprintf(out, "EVENT %s %s %s>%s\n", e.MessageID, e.Recipient, e.From, e.To)
	}})
	reports := feederReports(n)
	rng := rand.New(rand.NewPCG(s, s))
	rng.Shuffle(len(reports), func(i, j int) { reports[i], reports[j] = reports[j], reports[i] })
	for _, m := range reports {
		if ok, err := tr.Observe(ctx, m); !ok || err != nil {
			out.Flush()
			fmt.Println("ERROR", ok, err)
			os.Exit(2)
		}
	}
	out.Flush()
	fmt.Println("DONE")
	os.Exit(0)
}

// TestTrackerProcesses: two processes feed the same DSNs and MDNs, in
// different orders, to trackers on one PostgreSQL store. Every transition
// is recorded once, in the store and in the events of exactly one process;
// every recipient ends displayed, its history going up the ladder.
func TestTrackerProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	startRecording()
	n := 150
	if long() {
		n = 2000
	}
	ctx := ctxFor(t)
	dsn := pgtest.DSN(t)
	st := open(t, dsn, nil)
	tr := delivery.NewTracker(&delivery.TrackerOptions{Store: st})
	for i := range n {
		m := &mail.Message{MessageID: feederID(i), From: mail.MustParseAddress(drA), Subject: "Lettre",
			RequestDeliveryReceipt: true, RequestReadReceipt: true}
		res := &mssante.SendResult{MessageID: m.MessageID, DSNRequested: true}
		for _, r := range feederRecipients {
			m.To = append(m.To, mail.MustParseAddress(r))
			res.Recipients = append(res.Recipients, mssante.RecipientResult{Address: r, Accepted: true})
		}
		if err := tr.Sent(ctx, m, res, nil); err != nil {
			t.Fatal(err)
		}
	}

	events := map[string]int{} // "id rcpt from>to" -> times reported
	// When each feeder's first transition and its end reached this
	// process: the feeds ran at once if these overlap.
	var firstEvent, finished [2]time.Time
	var mu sync.Mutex
	var wg sync.WaitGroup
	begin := time.Now()
	for i, seed := range []string{"1", "2"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperTrackerFeeder$", "-test.count=1")
		cmd.Env = append(os.Environ(), envFeeder+"="+seed, envMessages+"="+strconv.Itoa(n), envDSN+"="+dsn)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(out)
			done := false
			for sc.Scan() {
				l := sc.Text()
				switch {
				case strings.HasPrefix(l, "EVENT "):
					mu.Lock()
					events[strings.TrimPrefix(l, "EVENT ")]++
					if firstEvent[i].IsZero() {
						firstEvent[i] = time.Now()
					}
					mu.Unlock()
				case l == "DONE":
					done = true
					finished[i] = time.Now()
				default:
					t.Errorf("feeder %s: %s", seed, l)
				}
			}
			if err := cmd.Wait(); err != nil || !done {
				t.Errorf("feeder %s: %v (done %v)", seed, err, done)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	if t.Failed() {
		t.FailNow()
	}
	stored := 0
	for i := range n {
		m, err := st.Message(ctx, feederID(i))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range m.Recipients {
			if r.State != delivery.StateDisplayed {
				t.Errorf("%s %s: %s, want displayed", m.MessageID, r.Address, r.State)
			}
			// queued>submitted, then each report's transition at most once.
			for j, h := range r.History[2:] {
				prev := r.History[j+1]
				if h.From != prev.To {
					t.Errorf("%s %s: history breaks at %s>%s after %s", m.MessageID, r.Address, h.From, h.To, prev.To)
				}
				key := fmt.Sprintf("%s %s %s>%s", m.MessageID, r.Address, h.From, h.To)
				if events[key] != 1 {
					t.Errorf("%s: reported %d times by the processes, want 1", key, events[key])
				}
				stored++
			}
		}
	}
	reported := 0
	for k, c := range events {
		if !strings.Contains(k, "queued>") {
			reported += c
		}
	}
	if reported != stored {
		t.Errorf("%d transitions reported by the processes, %d stored", reported, stored)
	}
	t.Logf("%d messages × %d recipients, %d reports fed twice by two processes in %v: %d transitions recorded, each once",
		n, len(feederRecipients), len(feederReports(n)), elapsed.Round(time.Millisecond), stored)
	// The feeders buffer their output: a transition reaches this process
	// at the latest when its feeder ends, so the overlap is a lower bound.
	recordFigures(t, "pgstore-tracker", fmt.Sprintf("| Load | Concurrency | Outcome |\n|---|---|---|\n| %d tracked messages × %d recipients; two processes feed the same %d DSNs and MDNs, each in its own order | "+
		"%s | %d transitions recorded, each once in the store and in the events of one process; every recipient displayed (%v) |\n",
		n, len(feederRecipients), len(feederReports(n)), concurrency(firstEvent, finished), stored, elapsed.Round(time.Millisecond)))
}

// concurrency says whether the two feeds ran at once: from the later of
// their first transitions to the earlier of their ends, as seen by the
// parent.
func concurrency(firstEvent, finished [2]time.Time) string {
	start, end := firstEvent[0], finished[0]
	if firstEvent[1].After(start) {
		start = firstEvent[1]
	}
	if finished[1].Before(end) {
		end = finished[1]
	}
	if !end.After(start) {
		return "the two feeds did not overlap in this run"
	}
	return fmt.Sprintf("both trackers update the same rows at once: their feeds overlapped for %v", end.Sub(start).Round(time.Millisecond))
}
