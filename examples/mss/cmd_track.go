package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/boltstore"
	"github.com/mssante-go/sdk/mssante/delivery/pgstore"
)

// defaultTrackStore is the store file when neither --store nor
// $MSSANTE_STORE names one.
const defaultTrackStore = "mssante.db"

// runTrack lists the messages a tracker follows (delivery.Tracker with a
// boltstore file or a PostgreSQL store) and where each stands for each
// recipient.
func runTrack(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "track")
	store := fs.String("store", "", "tracker store: a boltstore `FILE`, or a postgres:// URL (pgstore) (default $MSSANTE_STORE, else "+defaultTrackStore+")")
	schema := fs.String("schema", "", "PostgreSQL schema of the store (default "+pgstore.DefaultSchema+")")
	asJSON := fs.Bool("json", false, "print the messages and their history as JSON")
	wait := fs.Duration("wait", 2*time.Second, "how long to wait for a program that holds a boltstore file open")
	pending := fs.Duration("pending", -1, "only messages still waiting for a report, created at least `DURATION` ago (e.g. 24h)")
	recipient := fs.String("recipient", "", "only messages to this `ADDRESS`")
	state := fs.String("state", "", "only messages with a recipient in this `STATE` (queued, submitted, delayed, delivered, relayed, displayed, processed, deleted, failed)")
	limit := fs.Int("limit", 0, "at most `N` messages, oldest first (0: all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	path := *store
	if path == "" {
		path = os.Getenv("MSSANTE_STORE")
	}
	if path == "" {
		path = defaultTrackStore
	}
	st, closeStore, err := openTrackStore(ctx, path, *schema, *wait)
	if err != nil {
		return err
	}
	defer closeStore()
	q := delivery.MessageQuery{Recipient: *recipient, State: delivery.State(*state)}
	tr := delivery.NewTracker(&delivery.TrackerOptions{Store: st})
	if *pending >= 0 {
		q.Unsettled = true
		q.CreatedBefore = time.Now().Add(-*pending).Add(time.Microsecond)
	}
	// Pages are read as they are printed: a store of a million messages
	// lists in constant memory (JSON excepted, which is one array).
	list := []*delivery.TrackedMessage{}
	for m, err := range tr.Messages(ctx, &q) {
		if err != nil {
			return err
		}
		list = append(list, m)
		if *limit > 0 && len(list) == *limit {
			break
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	if len(list) == 0 {
		fmt.Fprintln(e.stdout, "no tracked messages")
		return nil
	}
	return printTracked(e, list)
}

// openTrackStore opens a store for reading: a PostgreSQL one for a
// postgres:// URL (shared with running senders), else a boltstore file
// opened read-only (which waits for a program that holds it for writing:
// bbolt has one writer).
func openTrackStore(ctx context.Context, path, schema string, wait time.Duration) (delivery.Store, func(), error) {
	if strings.HasPrefix(path, "postgres://") || strings.HasPrefix(path, "postgresql://") {
		// The schema is the senders' business: a reader does not migrate.
		st, err := pgstore.Open(ctx, path, &pgstore.Options{Schema: schema, SkipMigration: true})
		if err != nil {
			return nil, nil, err
		}
		return st, st.Close, nil
	}
	if _, err := os.Stat(path); err != nil {
		return nil, nil, fmt.Errorf("no tracker store: %w", err)
	}
	st, err := boltstore.Open(path, &boltstore.Options{ReadOnly: true, Timeout: wait})
	if err != nil {
		return nil, nil, fmt.Errorf("%w (is a program using it? a boltstore file opens for one writer at a time: a PostgreSQL store can be read while senders run)", err)
	}
	return st, func() { st.Close() }, nil
}

// printTracked writes one block per message: its id, date and subject,
// then a line per recipient, and under it the problems of the report that
// made its last transition. A recipient whose read receipt did not come
// before the tracker's ReadTimeout keeps its state, marked "no read
// receipt": it counts as settled, it did not fail.
func printTracked(e *env, list []*delivery.TrackedMessage) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for i, m := range list {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		var receipts []string
		if m.DeliveryReceipt {
			receipts = append(receipts, "DSN")
		}
		if m.ReadReceipt {
			receipts = append(receipts, "MDN")
		}
		state := "pending"
		if m.Settled() {
			state = "settled"
		}
		if len(receipts) > 0 {
			state += ", " + strings.Join(receipts, "+") + " asked"
		}
		// No tab: the header line is outside the recipients' columns.
		fmt.Fprintf(tw, "%s %s (%s) %s\n", m.Created.UTC().Format(time.RFC3339), oneLine(m.MessageID), state, oneLine(m.Subject))
		for _, r := range m.Recipients {
			detail := withoutPackage(r.Reason)
			if r.IntegrationCode != 0 {
				detail = fmt.Sprintf("[%d] %s", int(r.IntegrationCode), detail)
			}
			if r.Status != "" && !strings.Contains(detail, r.Status) {
				detail = strings.TrimSpace(r.Status + " " + detail)
			}
			state := string(r.State)
			if r.NoReadReceipt {
				state += " (no read receipt)"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", oneLine(r.Address), state, r.Since.UTC().Format(time.RFC3339), r.Cause, oneLine(detail))
			if n := len(r.History); n > 0 && len(r.History[n-1].Problems) > 0 {
				problems := make([]string, len(r.History[n-1].Problems))
				for i, p := range r.History[n-1].Problems {
					problems[i] = withoutPackage(p)
				}
				fmt.Fprintf(tw, "    report problems: %s\n", oneLine(strings.Join(problems, "; ")))
			}
		}
	}
	return tw.Flush()
}

// withoutPackage drops the "mail: " or "delivery: " an error text starts
// with: the table says what the text is about.
func withoutPackage(s string) string {
	for _, p := range []string{"mail: ", "delivery: ", "mssante: "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

// oneLine keeps stored text (subjects, server replies) on its line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, s)
}
