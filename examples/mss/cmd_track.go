package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/pgstore"
	"github.com/mssante-go/sdk/mssante/mail"
)

// defaultTrackStore is the store file when neither --store nor
// $MSSANTE_STORE names one.
const defaultTrackStore = "mssante.db"

// trackStates are the values of --state, in the order of the ladder.
var trackStates = []delivery.State{delivery.StateQueued, delivery.StateSubmitted, delivery.StateDelayed, delivery.StateDelivered,
	delivery.StateRelayed, delivery.StateDisplayed, delivery.StateProcessed, delivery.StateDeleted, delivery.StateFailed}

// runTrack lists the messages a tracker follows (delivery.Tracker with a
// boltstore file or a PostgreSQL store) and where each stands for each
// recipient, or draws the timeline of one (--timeline, --html).
func runTrack(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("track")
	defaultStore := os.Getenv("MSSANTE_STORE")
	if defaultStore == "" {
		defaultStore = defaultTrackStore
	}
	store := fs.String("store", defaultStore, "tracker store: a boltstore `FILE`, or a postgres:// URL (pgstore) (default $MSSANTE_STORE, else "+defaultTrackStore+")")
	fs.Lookup("store").DefValue = storeShown(defaultStore) // -h never shows a password
	schema := fs.String("schema", "", "PostgreSQL `SCHEMA` of the store (default "+pgstore.DefaultSchema+")")
	asJSON := fs.Bool("json", false, "print the messages and their history as JSON")
	wait := fs.Duration("wait", 2*time.Second, "wait at most `DURATION` for a program that holds a boltstore file open")
	pending := fs.Duration("pending", 0, "only messages still waiting for a report, created at least `DURATION` ago (e.g. 24h; 0s: all of them)")
	fs.Lookup("pending").DefValue = "" // not given: every message, settled or not
	recipient := fs.String("recipient", "", "only messages to this `ADDRESS`")
	state := fs.String("state", "", "only messages with a recipient in this `STATE` (queued, submitted, delayed, delivered, relayed, displayed, processed, deleted, failed)")
	limit := fs.Int("limit", 0, "at most `N` messages, oldest first (0: all)")
	timelineID := fs.String("timeline", "", "draw the timeline of the message with this `MESSAGE-ID`, per recipient")
	htmlOut := fs.String("html", "", "with --timeline: write it as a self-contained HTML page to `FILE` (- for standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := checkTrackFlags(fs, *state, *pending, *limit, *timelineID, *htmlOut, *asJSON); err != nil {
		return err
	}
	st, closeStore, err := openTrackStore(ctx, *store, *schema, *wait)
	if err != nil {
		return err
	}
	defer closeStore()
	tr := delivery.NewTracker(&delivery.TrackerOptions{Store: st})
	if *timelineID != "" {
		m, err := tr.Message(ctx, *timelineID)
		if errors.Is(err, delivery.ErrUnknownMessage) {
			return flagError("timeline", fmt.Errorf("no message %s in the store", quoteInput(strings.Trim(*timelineID, "<>"))))
		}
		if err != nil {
			return err
		}
		return writeTimeline(e, m, *store, *htmlOut, *asJSON, time.Now())
	}

	q := delivery.MessageQuery{Recipient: *recipient, State: delivery.State(*state)}
	if fs.IsSet("pending") {
		q.Unsettled = true
		q.CreatedBefore = time.Now().Add(-*pending).Add(time.Microsecond)
	}
	// Each message is printed as it is read: a store of a million messages
	// lists in constant memory, as text or JSON.
	var out trackPrinter = &trackText{tw: tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)}
	if *asJSON {
		out = &trackJSONStream{w: e.stdout}
	}
	n := 0
	for m, err := range tr.Messages(ctx, &q) {
		if err != nil {
			return err
		}
		if err := out.message(m); err != nil {
			return err
		}
		if n++; n == *limit {
			break
		}
	}
	return out.end()
}

// checkTrackFlags reports the flags that do not go together, or a state
// that does not exist, as usage errors.
func checkTrackFlags(fs *flagSet, state string, pending time.Duration, limit int, timeline, html string, asJSON bool) error {
	var problems []string
	if state != "" && !knownState(state) {
		names := make([]string, len(trackStates))
		for i, s := range trackStates {
			names[i] = string(s)
		}
		problems = append(problems, fmt.Sprintf("--state %s: not a state (%s)", quoteInput(state), strings.Join(names, ", ")))
	}
	if pending < 0 {
		problems = append(problems, fmt.Sprintf("--pending %v: must be 0s or more", pending))
	}
	if limit < 0 {
		problems = append(problems, fmt.Sprintf("--limit %d: must be 0 (all) or more", limit))
	}
	if html != "" && timeline == "" {
		problems = append(problems, "--html needs --timeline MESSAGE-ID")
	}
	if html == "-" && asJSON {
		problems = append(problems, "--html - and --json both write to standard output")
	}
	if timeline != "" {
		var filters []string
		for _, f := range []string{"pending", "recipient", "state", "limit"} {
			if fs.IsSet(f) {
				filters = append(filters, "--"+f)
			}
		}
		if len(filters) > 0 {
			problems = append(problems, "--timeline shows one message: "+strings.Join(filters, ", ")+" select among several")
		}
	}
	if len(problems) > 0 {
		return fs.usageErrorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

func knownState(s string) bool {
	for _, k := range trackStates {
		if string(k) == s {
			return true
		}
	}
	return false
}

// quoteInput quotes a value given on the command line, at most 100 bytes
// of it.
func quoteInput(s string) string {
	if len(s) > 100 {
		s = strings.ToValidUTF8(s[:100], "") + "..."
	}
	return fmt.Sprintf("%q", s)
}

// trackPrinter writes the listing, one message at a time.
type trackPrinter interface {
	message(m *delivery.TrackedMessage) error
	end() error
}

// trackJSON is the --json output of "mss track" (JSON.md); the list is
// written as it is read (trackJSONStream), in this shape.
type trackJSON struct {
	Messages []trackedMessageJSON `json:"messages"`
}

type trackedMessageJSON struct {
	MessageID       string                 `json:"messageId"`
	EnvelopeID      string                 `json:"envelopeId"`
	From            string                 `json:"from"`
	Subject         string                 `json:"subject,omitempty"`
	Created         string                 `json:"created"`
	Submitted       string                 `json:"submitted,omitempty"`
	DeliveryReceipt bool                   `json:"deliveryReceipt"`
	ReadReceipt     bool                   `json:"readReceipt"`
	Settled         bool                   `json:"settled"`
	Recipients      []trackedRecipientJSON `json:"recipients"`
}

type trackedRecipientJSON struct {
	Address         string           `json:"address"`
	State           string           `json:"state"`
	Since           string           `json:"since"`
	Cause           string           `json:"cause"`
	Status          string           `json:"status,omitempty"`
	Reason          string           `json:"reason,omitempty"`
	IntegrationCode int              `json:"integrationCode,omitempty"`
	NoReadReceipt   bool             `json:"noReadReceipt,omitempty"`
	History         []transitionJSON `json:"history"`
}

type transitionJSON struct {
	Time            string   `json:"time"`
	From            string   `json:"from,omitempty"`
	To              string   `json:"to"`
	Cause           string   `json:"cause"`
	Status          string   `json:"status,omitempty"`
	Reason          string   `json:"reason,omitempty"`
	IntegrationCode int      `json:"integrationCode,omitempty"`
	Problems        []string `json:"problems,omitempty"`
}

// trackedJSON is the JSON view of a tracked message.
func trackedJSON(m *delivery.TrackedMessage) trackedMessageJSON {
	out := trackedMessageJSON{MessageID: strings.Trim(m.MessageID, "<>"), EnvelopeID: m.EnvelopeID, From: bareAddress(m.From),
		Subject: m.Subject, Created: jsonTime(m.Created), Submitted: jsonTime(m.Submitted), DeliveryReceipt: m.DeliveryReceipt,
		ReadReceipt: m.ReadReceipt, Settled: m.Settled(), Recipients: []trackedRecipientJSON{}}
	for _, r := range m.Recipients {
		rj := trackedRecipientJSON{Address: bareAddress(r.Address), State: string(r.State), Since: jsonTime(r.Since), Cause: string(r.Cause),
			Status: r.Status, Reason: r.Reason, IntegrationCode: int(r.IntegrationCode), NoReadReceipt: r.NoReadReceipt, History: []transitionJSON{}}
		for _, t := range r.History {
			rj.History = append(rj.History, transitionJSON{Time: jsonTime(t.Time), From: string(t.From), To: string(t.To), Cause: string(t.Cause),
				Status: t.Status, Reason: t.Reason, IntegrationCode: int(t.IntegrationCode), Problems: t.Problems})
		}
		out.Recipients = append(out.Recipients, rj)
	}
	return out
}

// jsonTime is a time in JSON: RFC 3339 in UTC, "" for the zero time.
func jsonTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// bareAddress is a stored address as JSON writes addresses: the
// addr-spec alone. The tracker stores them so; a store written by other
// code may not have.
func bareAddress(s string) string {
	if strings.ContainsAny(s, "<> \"") {
		if a, err := mail.ParseAddress(s); err == nil {
			return a.Addr
		}
		return strings.Trim(s, "<> ")
	}
	return s
}

// trackJSONStream writes trackJSON one message at a time, indented as
// writeJSON would.
type trackJSONStream struct {
	w io.Writer
	n int
}

func (s *trackJSONStream) message(m *delivery.TrackedMessage) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("    ", "  ")
	if err := enc.Encode(trackedJSON(m)); err != nil {
		return err
	}
	sep := ",\n    "
	if s.n == 0 {
		sep = "{\n  \"messages\": [\n    "
	}
	s.n++
	_, err := io.WriteString(s.w, sep+strings.TrimSuffix(b.String(), "\n"))
	return err
}

func (s *trackJSONStream) end() error {
	if s.n == 0 {
		return writeJSON(s.w, trackJSON{Messages: []trackedMessageJSON{}})
	}
	_, err := io.WriteString(s.w, "\n  ]\n}\n")
	return err
}

// trackText writes one block per message: its id, date and subject, then
// a line per recipient, and under it the problems of the report that made
// its last transition. A recipient whose read receipt did not come before
// the tracker's ReadTimeout keeps its state, marked "no read receipt": it
// counts as settled, it did not fail.
type trackText struct {
	tw *tabwriter.Writer
	n  int
}

func (p *trackText) message(m *delivery.TrackedMessage) error {
	tw := p.tw
	if p.n > 0 {
		fmt.Fprintln(tw)
	}
	p.n++
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
	// No tab: the header line is outside the recipients' columns (and
	// lets the tabwriter write out the block before it).
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
			fmt.Fprintf(tw, "    report problems: %s\n", oneLine(reportProblems(r.History[n-1].Problems)))
		}
	}
	return nil
}

func (p *trackText) end() error {
	if p.n == 0 {
		fmt.Fprintln(p.tw, "no tracked messages")
	}
	return p.tw.Flush()
}

// reportProblems joins the problems of a report, without their package
// names.
func reportProblems(list []string) string {
	out := make([]string, len(list))
	for i, p := range list {
		out[i] = withoutPackage(p)
	}
	return strings.Join(out, "; ")
}

// oneLine keeps stored text (subjects, server replies: they come from the
// network) on its line and harmless to a terminal: control characters
// (line breaks, tabs, escape sequences) become spaces and invalid UTF-8
// the replacement character.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
