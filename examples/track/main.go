// Command track shows delivery tracking end to end over the in-process
// operator (mssante/mssantetest).
//
// Dr A sends three letters through a durable outbox (delivery.Outbox on a
// boltstore file, or on PostgreSQL), each asking for delivery and read
// receipts:
//
//  1. to Dr B, who reads it and returns a read receipt;
//  2. to a mailbox that does not exist: the operator bounces it;
//  3. to Dr C, who never answers: the message is delivered, and after a
//     week the tracker stops waiting for the read receipt (the example
//     moves its clock a week ahead). That is not a failure: the message
//     stays delivered, marked "no read receipt", and counts as settled.
//
// It then prints the timeline of each message, per recipient.
//
//	go run ./examples/track [-store FILE | -store postgres://...]
//
// The store is kept, and the example ends with the "mss track" command
// lines that look at it again (the list, and one message's timeline as
// text or as an HTML page). Without -store it is a new file in a temporary
// directory (printed; remove it when done). With -store
// postgres://user@host/db, the tracker and the outbox live in that
// database (schema "mssante", created on first use), as several instances
// of a program would share them; "mss track --store postgres://..." lists
// it, even while a sender runs.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/boltstore"
	"github.com/mssante-go/sdk/mssante/delivery/pgstore"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

const (
	drA     = "alice.martin@medecin.mssante.fr"
	drB     = "bruno.durand@ch-test.mssante.fr"
	drC     = "claire.petit@pharmacien.mssante.fr"
	unknown = "personne@ch-test.mssante.fr"
)

func main() {
	store := flag.String("store", "", "the tracker's store: a `FILE`, or PostgreSQL with a postgres:// URL (default: a new file in a temporary directory, kept)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	log.SetFlags(0)
	if err := run(ctx, os.Stdout, *store); err != nil {
		log.Fatalf("track: %v", err)
	}
}

// clock is the example's time: the real time, plus a skew it adds to show
// the read timeout without waiting a week.
type clock struct {
	mu   sync.Mutex
	skew time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}

func (c *clock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func (c *clock) Skip(d time.Duration) {
	c.mu.Lock()
	c.skew += d
	c.mu.Unlock()
}

func run(ctx context.Context, out io.Writer, storePath string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	op, err := mssantetest.NewServer(nil)
	if err != nil {
		return err
	}
	defer op.Close()
	for _, a := range []string{drA, drB, drC} {
		op.MustAddMailbox(a, mssantetest.MailboxPER, nil)
	}

	temporary := storePath == ""
	if temporary {
		// Kept after the run, so that mss track can look at it.
		dir, err := os.MkdirTemp("", "mssante-track-")
		if err != nil {
			return err
		}
		storePath = filepath.Join(dir, "track.db")
	}
	st, shown, closeStore, err := openStore(ctx, storePath)
	if err != nil {
		return err
	}
	defer closeStore()

	clk := &clock{}
	tracker := delivery.NewTracker(&delivery.TrackerOptions{
		Store:       st,
		Clock:       clk,
		Timeout:     48 * time.Hour,     // no delivery report within two days: failed
		ReadTimeout: 7 * 24 * time.Hour, // no read receipt within a week: stop waiting, still delivered
	})
	a, err := mssante.NewClient(op.MustConfig(drA))
	if err != nil {
		return err
	}
	defer a.Close()
	outbox, err := delivery.NewOutbox(a, tracker, &delivery.OutboxOptions{Clock: clk})
	if err != nil {
		return err
	}
	runCtx, stopOutbox := context.WithCancel(ctx)
	outboxDone := make(chan error, 1)
	go func() { outboxDone <- outbox.Run(runCtx) }()
	defer func() {
		stopOutbox()
		<-outboxDone
	}()

	// 1. Three letters, each stored durably before Send returns.
	var ids []string
	for _, to := range []string{drB, unknown, drC} {
		id, err := outbox.Send(ctx, &mail.Message{
			To:                     []mail.Address{mail.MustParseAddress(to)},
			Subject:                "Lettre de liaison",
			Text:                   "Bonjour,\nvoici la lettre de liaison de votre patient.\n",
			RequestDeliveryReceipt: true,
			RequestReadReceipt:     true,
		})
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if err := outbox.Wait(ctx, id); err != nil {
			return err
		}
	}
	s := outbox.Stats()
	fmt.Fprintf(out, "Outbox: %d messages taken, %d submitted, %d retries, %d failed\n\n", s.Enqueued, s.Submitted, s.Retries, s.Failed)

	// 2. Dr B reads the letter and chooses to send the read receipt;
	// Dr C never opens the mailbox.
	b, err := mssante.NewClient(op.MustConfig(drB))
	if err != nil {
		return err
	}
	defer b.Close()
	for r, err := range b.Sync(ctx, "INBOX", &mssante.Cursor{}) {
		if err != nil {
			return err
		}
		if r.Err != nil { // one message that cannot be read: the next ones still count
			continue
		}
		defer r.Message.Close()
		if req, ok := mssante.ReadReceiptRequested(r); ok && !req.OtherAddress {
			if _, err := b.SendReadReceipt(ctx, r, nil); err != nil {
				return err
			}
		}
	}

	// 3. Dr A's program reads its mailbox and feeds the tracker the
	// delivery reports and the read receipt.
	var cur mssante.Cursor
	for r, err := range a.Sync(ctx, "INBOX", &cur) {
		if err != nil {
			return err
		}
		if r.Err != nil {
			continue
		}
		_, err := tracker.Observe(ctx, r.Message)
		r.Message.Close()
		if err != nil {
			return err
		}
	}

	// 4. A week later, nothing came from Dr C.
	clk.Skip(8 * 24 * time.Hour)
	if _, err := tracker.CheckTimeouts(ctx); err != nil {
		return err
	}

	for _, id := range ids {
		m, err := tracker.Message(ctx, id)
		if err != nil {
			return err
		}
		printTimeline(out, m)
	}
	printLookAgain(out, shown, ids[0], temporary)
	return nil
}

// printLookAgain names the store, kept, and the mss track command lines
// that look at it.
func printLookAgain(out io.Writer, store, id string, temporary bool) {
	if temporary {
		fmt.Fprintln(out, "Store:", store, "(kept: remove it when done)")
	} else {
		fmt.Fprintln(out, "Store:", store)
	}
	if strings.Contains(store, "xxxxx@") {
		fmt.Fprintln(out, "(put the password back in the URL, or leave it out and set PGPASSWORD)")
	}
	mss := "go run ./examples/mss track --store " + shellQuote(store)
	fmt.Fprintf(out, "Look at it again:\n  %s\n  %s --timeline %s\n  %s --timeline %s --html timeline.html\n",
		mss, mss, shellQuote(id), mss, shellQuote(id))
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`&|;<>()*?[]{}~!#") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// openStore opens the store named on the command line: PostgreSQL for a
// postgres:// URL (the schema is created on first use), else a boltstore
// file. It returns the store, how to name it (without a password), and
// how to close it.
func openStore(ctx context.Context, name string) (delivery.Store, string, func(), error) {
	if strings.HasPrefix(name, "postgres://") || strings.HasPrefix(name, "postgresql://") {
		st, err := pgstore.Open(ctx, name, nil)
		if err != nil {
			return nil, "", nil, err
		}
		shown := "PostgreSQL"
		if u, err := url.Parse(name); err == nil {
			shown = u.Redacted()
		}
		return st, shown, st.Close, nil
	}
	st, err := boltstore.Open(name, nil)
	if err != nil {
		return nil, "", nil, err
	}
	return st, name, func() { st.Close() }, nil
}

// printTimeline writes the history of each recipient of m, times relative
// to the moment the message was queued.
func printTimeline(out io.Writer, m *delivery.TrackedMessage) {
	settled := "pending"
	if m.Settled() {
		settled = "settled"
	}
	fmt.Fprintf(out, "Message <%s> %q (%s)\n", m.MessageID, m.Subject, settled)
	for _, r := range m.Recipients {
		state := string(r.State)
		if r.NoReadReceipt {
			state += ", no read receipt"
		}
		fmt.Fprintf(out, "  to %s: %s\n", r.Address, state)
		for _, tr := range r.History {
			line := fmt.Sprintf("    %-10s %-9s (%s)", "+"+tr.Time.Sub(m.Created).Round(time.Second).String(), tr.To, tr.Cause)
			if tr.Reason != "" {
				line += " " + tr.Reason
			}
			fmt.Fprintln(out, line)
		}
		if r.IntegrationCode != 0 {
			fmt.Fprintf(out, "    CI-SIS code %d\n", int(r.IntegrationCode))
		}
	}
	fmt.Fprintln(out)
}
