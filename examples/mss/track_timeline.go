package main

import (
	"fmt"
	"html/template"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mssante-go/sdk/mssante/delivery"
)

// The timeline of one message (mss track --timeline), per recipient: the
// steps it went through (queued → submitted → delivered → displayed, or
// failed), each with its time, what caused it and the report's codes, then
// the steps it still waits for. The same timeline is drawn as text and as
// a self-contained HTML page (--html) for support teams.

// timeline is what both drawings show.
type timeline struct {
	MessageID  string
	Subject    string
	From       string
	Created    time.Time
	Asked      string // the receipts asked for
	Settled    bool
	Recipients []timelineRecipient
	Store      string    // the store read, as it may be shown
	Drawn      time.Time // when the timeline was drawn
}

type timelineRecipient struct {
	Address string
	Path    []pathStep     // the states, the awaited ones last
	Steps   []timelineStep // the history, then the awaited steps
}

// pathStep is a state in the summary line of a recipient.
type pathStep struct {
	Label string
	Kind  string // stepDone, stepFailed, stepNote or stepAwaited
}

// timelineStep is one transition of a recipient, or a step it waits for
// (zero Time).
type timelineStep struct {
	Time   time.Time
	After  string // since the message was queued: "+1m05s"
	State  string
	Cause  string // caller, outbox, smtp, dsn, mdn, timeout
	Codes  string // the enhanced status code, and the CI-SIS code of an error MDN
	Detail string
	Kind   string
}

// Kinds of steps, also the CSS classes of the page.
const (
	stepDone    = "done"
	stepFailed  = "failed"
	stepNote    = "note" // the read receipt did not come: nothing failed
	stepAwaited = "awaited"
)

// noReadReceipt is how the end of the wait for a read receipt is said.
const noReadReceipt = "no read receipt before the deadline"

// newTimeline builds the timeline of m. Every text in it is the stored
// text (it came from the network), kept on one line.
func newTimeline(m *delivery.TrackedMessage, store string, now time.Time) *timeline {
	t := &timeline{MessageID: oneLine(strings.Trim(m.MessageID, "<>")), Subject: oneLine(m.Subject), From: oneLine(bareAddress(m.From)),
		Created: m.Created.UTC(), Settled: m.Settled(), Store: oneLine(store), Drawn: now.UTC()}
	switch {
	case m.DeliveryReceipt && m.ReadReceipt:
		t.Asked = "delivery receipt (DSN) and read receipt (MDN)"
	case m.DeliveryReceipt:
		t.Asked = "delivery receipt (DSN)"
	case m.ReadReceipt:
		t.Asked = "read receipt (MDN)"
	default:
		t.Asked = "none"
	}
	for _, r := range m.Recipients {
		t.Recipients = append(t.Recipients, recipientTimeline(m, &r))
	}
	return t
}

func recipientTimeline(m *delivery.TrackedMessage, r *delivery.RecipientStatus) timelineRecipient {
	tr := timelineRecipient{Address: oneLine(bareAddress(r.Address))}
	for _, h := range r.History {
		step := timelineStep{Time: h.Time.UTC(), After: sinceQueued(h.Time.Sub(m.Created)), State: string(h.To), Cause: string(h.Cause),
			Codes: h.Status, Detail: withoutPackage(h.Reason), Kind: stepDone}
		if h.IntegrationCode != 0 {
			step.Codes = strings.TrimSpace(fmt.Sprintf("%s CI-SIS %d", h.Status, int(h.IntegrationCode)))
		}
		if len(h.Problems) > 0 {
			step.Detail = strings.TrimSpace(step.Detail + " (report problems: " + reportProblems(h.Problems) + ")")
		}
		step.Detail = oneLine(step.Detail)
		step.Codes = oneLine(step.Codes)
		path := pathStep{Label: step.State, Kind: stepDone}
		switch {
		case h.To == delivery.StateFailed:
			step.Kind, path.Kind = stepFailed, stepFailed
		case h.Cause == delivery.CauseTimeout && h.From == h.To:
			// The read timeout: the state stays, the wait ends.
			step.Kind, path = stepNote, pathStep{Label: "no read receipt", Kind: stepNote}
			if step.Detail == "" {
				step.Detail = noReadReceipt
			}
		}
		tr.Steps = append(tr.Steps, step)
		if n := len(tr.Path); n == 0 || tr.Path[n-1] != path {
			tr.Path = append(tr.Path, path)
		}
	}
	for _, a := range awaitedSteps(m, r) {
		tr.Steps = append(tr.Steps, a)
		tr.Path = append(tr.Path, pathStep{Label: a.State, Kind: stepAwaited})
	}
	return tr
}

// awaitedSteps are the steps a recipient may still reach: the submission,
// then the reports asked for, unless it failed or the wait for them ended.
func awaitedSteps(m *delivery.TrackedMessage, r *delivery.RecipientStatus) []timelineStep {
	var out []timelineStep
	add := func(state, detail string) {
		out = append(out, timelineStep{State: state, Detail: detail, Kind: stepAwaited})
	}
	switch r.State {
	case delivery.StateFailed, delivery.StateDisplayed, delivery.StateProcessed, delivery.StateDeleted:
		return nil
	case delivery.StateQueued:
		add(string(delivery.StateSubmitted), "waiting for the operator to accept it")
	}
	if m.DeliveryReceipt && (r.State == delivery.StateQueued || r.State == delivery.StateSubmitted || r.State == delivery.StateDelayed) {
		add(string(delivery.StateDelivered), "waiting for the delivery report (DSN)")
	}
	if m.ReadReceipt && !r.NoReadReceipt {
		add(string(delivery.StateDisplayed), "waiting for the read receipt (MDN)")
	}
	return out
}

// sinceQueued is a duration since the message was queued, short.
func sinceQueued(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < 0:
		return "-" + sinceQueued(-d)[1:]
	case d < time.Minute:
		return fmt.Sprintf("+%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("+%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("+%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("+%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

// writeText draws the timeline for a terminal.
func (t *timeline) writeText(w io.Writer) error {
	status := "pending"
	if t.Settled {
		status = "settled"
	}
	fmt.Fprintf(w, "Message %s (%s)\n", t.MessageID, status)
	fmt.Fprintf(w, "  subject: %s\n  from:    %s\n  queued:  %s\n  asked:   %s\n", t.Subject, t.From, t.Created.Format(time.RFC3339), t.Asked)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range t.Recipients {
		labels := make([]string, len(r.Path))
		for i, p := range r.Path {
			labels[i] = p.Label
			if p.Kind == stepAwaited {
				labels[i] = "(" + p.Label + ")"
			}
		}
		// No tab: the recipient's line is outside the steps' columns.
		fmt.Fprintf(tw, "\n  %s: %s\n", r.Address, strings.Join(labels, " → "))
		for _, s := range r.Steps {
			when, cause := "waiting", "-"
			if !s.Time.IsZero() {
				when, cause = s.Time.Format(time.RFC3339), s.Cause
			}
			line := fmt.Sprintf("    %s\t%s\t%s\t%s\t%s\t%s", when, s.After, s.State, cause, s.Codes, s.Detail)
			fmt.Fprintln(tw, strings.TrimRight(line, "\t"))
		}
	}
	return tw.Flush()
}

// writeHTML draws the timeline as one HTML page, with its style inline and
// nothing fetched from elsewhere. html/template escapes every text (the
// subject and the reasons come from the network); the markup is also
// well-formed XML (XHTML), so that any XML tool can read it.
func (t *timeline) writeHTML(w io.Writer) error {
	return timelinePage.Execute(w, t)
}

var timelinePage = template.Must(template.New("timeline").Funcs(template.FuncMap{
	"rfc3339": func(t time.Time) string { return t.Format(time.RFC3339) },
	"arrow":   func(i int) bool { return i > 0 },
}).Parse(`<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>Timeline of {{.MessageID}}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.3em; margin-bottom: .3em; }
h2 { font-size: 1.05em; margin: 1.6em 0 .4em; }
dl { display: grid; grid-template-columns: max-content auto; gap: .15em 1em; margin: 0; }
dt { color: #666; }
dd { margin: 0; }
code { font-size: .95em; }
.pending { color: #8a6d00; }
.settled { color: #2e6b2e; }
ol.path { list-style: none; padding: 0; margin: .3em 0 .6em; display: flex; flex-wrap: wrap; gap: .3em; align-items: center; }
ol.path li { padding: .1em .7em; border-radius: 1em; background: #dcefdc; }
ol.path li.failed { background: #f6d0d0; }
ol.path li.note { background: #fff0c2; }
ol.path li.awaited { background: none; border: 1px dashed #999; color: #777; }
ol.path li.arrow { background: none; padding: 0; color: #999; }
table { border-collapse: collapse; }
th, td { padding: .2em .7em; border-bottom: 1px solid #e2e2e2; text-align: left; vertical-align: top; }
th { color: #666; font-weight: normal; }
tr.failed td { color: #a40000; }
tr.note td { color: #8a6d00; }
tr.awaited td { color: #888; font-style: italic; }
footer { margin-top: 2em; color: #888; font-size: .9em; }
</style>
</head>
<body>
<h1>{{if .Subject}}{{.Subject}}{{else}}(no subject){{end}}</h1>
<dl>
<dt>Message-ID</dt><dd><code>{{.MessageID}}</code></dd>
<dt>From</dt><dd>{{.From}}</dd>
<dt>Queued</dt><dd><time datetime="{{rfc3339 .Created}}">{{rfc3339 .Created}}</time></dd>
<dt>Receipts asked</dt><dd>{{.Asked}}</dd>
<dt>Status</dt><dd>{{if .Settled}}<span class="settled">settled: nothing more is expected</span>{{else}}<span class="pending">pending: reports are awaited</span>{{end}}</dd>
</dl>
{{range .Recipients}}<section>
<h2>{{.Address}}</h2>
<ol class="path">{{range $i, $p := .Path}}{{if arrow $i}}<li class="arrow" aria-hidden="true">→</li>{{end}}<li class="{{$p.Kind}}">{{$p.Label}}</li>{{end}}</ol>
<table>
<thead><tr><th>Time</th><th>Since queued</th><th>State</th><th>Cause</th><th>Codes</th><th>Detail</th></tr></thead>
<tbody>
{{range .Steps}}<tr class="{{.Kind}}">{{if .Time.IsZero}}<td>waiting</td><td></td>{{else}}<td><time datetime="{{rfc3339 .Time}}">{{rfc3339 .Time}}</time></td><td>{{.After}}</td>{{end}}<td>{{.State}}</td><td>{{.Cause}}</td><td>{{.Codes}}</td><td>{{.Detail}}</td></tr>
{{end}}</tbody>
</table>
</section>
{{end}}<footer>Drawn by mss track from {{.Store}} at <time datetime="{{rfc3339 .Drawn}}">{{rfc3339 .Drawn}}</time>.</footer>
</body>
</html>
`))

// writeTimeline prints the timeline of m: as text, or as JSON (the object
// of mss track --json with this one message), and as an HTML page to the
// file html names ("-": standard output).
func writeTimeline(e *env, m *delivery.TrackedMessage, store, html string, asJSON bool, now time.Time) error {
	t := newTimeline(m, storeShown(store), now)
	if html != "" {
		write := t.writeHTML
		if html == "-" {
			return write(e.stdout)
		}
		if err := writeFileAtomic(html, write); err != nil {
			return flagFileError("html", html, err)
		}
	}
	if asJSON {
		return writeJSON(e.stdout, trackJSON{Messages: []trackedMessageJSON{trackedJSON(m)}})
	}
	if html != "" {
		return nil
	}
	return t.writeText(e.stdout)
}
