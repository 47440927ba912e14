package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/mssante-go/sdk/mssante/mail"
)

// runInspect parses a message and prints what the SDK sees:
//
//	mss inspect FILE.eml [--json]
//
// A file saved from a mail client may start with an mbox "From " line; a
// delivery or read report is shown with what could not be read in it (its
// problems), and the command exits 0 whenever the message could be read.
func runInspect(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "inspect")
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: mss inspect FILE.eml [--json]")
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := mail.Parse(f, nil)
	if err != nil {
		return err
	}
	v := inspectView(m)
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	printInspect(e, v)
	return nil
}

// inspectJSON is the --json shape; its field names are part of the CLI's
// contract.
type inspectJSON struct {
	MessageID      string            `json:"messageId"`
	Date           string            `json:"date,omitempty"`
	From           string            `json:"from"`
	To             []string          `json:"to"`
	Cc             []string          `json:"cc,omitempty"`
	Subject        string            `json:"subject"`
	DisplaySubject string            `json:"displaySubject"`
	XDMSubject     bool              `json:"xdmSubject"`
	Headers        map[string]string `json:"headers"`
	Attachments    []attachmentJSON  `json:"attachments"`
	Kind           mail.Kind         `json:"kind"`
	PatientSender  bool              `json:"patientSender"`
	ReadReceipt    string            `json:"readReceiptTo,omitempty"`
	Report         *reportJSON       `json:"report,omitempty"`
	Problems       []string          `json:"problems,omitempty"`
}

type attachmentJSON struct {
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
}

type reportJSON struct {
	Type               string          `json:"type"` // "dsn" or "mdn"
	Recipients         []recipientJSON `json:"recipients"`
	OriginalMessageID  string          `json:"originalMessageId"`
	OriginalEnvelopeID string          `json:"originalEnvelopeId,omitempty"`
	Reporter           string          `json:"reporter,omitempty"` // Reporting-MTA or Reporting-UA
	Disposition        string          `json:"disposition,omitempty"`
	ErrorCode          int             `json:"errorCode,omitempty"`
	Error              string          `json:"error,omitempty"`
	// Text is the human-readable part, kept for support.
	Text string `json:"text,omitempty"`
}

type recipientJSON struct {
	// Address is empty for a report that names no recipient.
	Address string `json:"address"`
	Action  string `json:"action"`
	Status  string `json:"status,omitempty"`
	// ReportedStatus is the Status field when Status was inferred from
	// the diagnostic or the text.
	ReportedStatus string `json:"reportedStatus,omitempty"`
	StatusInferred bool   `json:"statusInferred,omitempty"`
	ActionInferred bool   `json:"actionInferred,omitempty"`
	Error          string `json:"error,omitempty"`
}

func inspectView(m *mail.Message) inspectJSON {
	v := inspectJSON{
		MessageID: m.MessageID, From: m.From.String(), To: []string{},
		Subject: m.Subject, DisplaySubject: m.DisplaySubject(), XDMSubject: m.IsXDMSubject(),
		Headers: map[string]string{}, Attachments: []attachmentJSON{},
		Kind: m.Kind(), PatientSender: m.FromPatient(),
	}
	if !m.Date.IsZero() {
		v.Date = m.Date.Format("2006-01-02T15:04:05Z07:00")
	}
	for _, a := range m.To {
		v.To = append(v.To, a.String())
	}
	for _, a := range m.Cc {
		v.Cc = append(v.Cc, a.String())
	}
	for _, h := range []string{mail.HeaderNIL, mail.HeaderCodeCDA, mail.HeaderINS, mail.HeaderMES} {
		if m.Header.Has(h) {
			v.Headers[h] = strings.TrimSpace(m.Header.Get(h))
		}
	}
	for _, a := range m.Attachments {
		v.Attachments = append(v.Attachments, attachmentJSON{Name: a.Filename, ContentType: a.ContentType, Size: a.Size})
	}
	if m.ReadReceiptTo != nil {
		v.ReadReceipt = m.ReadReceiptTo.Addr
	}
	switch {
	case m.DSN != nil:
		d := m.DSN
		r := &reportJSON{Type: "dsn", OriginalMessageID: d.OriginalMessageID, OriginalEnvelopeID: d.OriginalEnvelopeID,
			Reporter: d.ReportingMTA, Text: d.Text, Recipients: []recipientJSON{}}
		for _, rc := range d.Recipients {
			rj := recipientJSON{Address: rc.Recipient(), Action: string(rc.Action), Status: rc.Status,
				StatusInferred: rc.StatusInferred, ActionInferred: rc.ActionInferred}
			if rc.StatusInferred {
				rj.ReportedStatus = rc.ReportedStatus
			}
			if err := rc.Err(); err != nil {
				rj.Error = err.Error()
			}
			r.Recipients = append(r.Recipients, rj)
		}
		v.Report = r
	case m.MDN != nil:
		md := m.MDN
		d := md.Disposition
		disp := ""
		if d.Type != "" {
			disp = d.String()
		}
		r := &reportJSON{Type: "mdn", OriginalMessageID: md.OriginalMessageID, Reporter: md.ReportingUA, Disposition: disp,
			ErrorCode: int(md.ErrorCode), Error: md.Error, Text: md.Text,
			Recipients: []recipientJSON{{Address: md.FinalRecipient, Action: string(d.Type)}}}
		if err := md.Err(); err != nil {
			r.Recipients[0].Error = err.Error()
		}
		v.Report = r
	}
	for _, p := range m.Problems {
		v.Problems = append(v.Problems, p.Error())
	}
	return v
}

func printInspect(e *env, v inspectJSON) {
	w := e.stdout
	fmt.Fprintf(w, "Message-ID: %s\n", v.MessageID)
	fmt.Fprintf(w, "Kind:       %s\n", v.Kind)
	sender := v.From
	if v.PatientSender {
		sender += "  (patient, Mon Espace Santé)"
	}
	fmt.Fprintf(w, "From:       %s\n", sender)
	fmt.Fprintf(w, "To:         %s\n", strings.Join(v.To, ", "))
	if len(v.Cc) > 0 {
		fmt.Fprintf(w, "Cc:         %s\n", strings.Join(v.Cc, ", "))
	}
	if v.XDMSubject {
		fmt.Fprintf(w, "Subject:    %s  (document mail: XDM/1.0/DDM+)\n", v.DisplaySubject)
	} else {
		fmt.Fprintf(w, "Subject:    %s\n", v.Subject)
	}
	for _, h := range []string{mail.HeaderNIL, mail.HeaderCodeCDA, mail.HeaderINS, mail.HeaderMES} {
		if val, ok := v.Headers[h]; ok {
			fmt.Fprintf(w, "%-13s %s\n", h+":", val)
		}
	}
	if v.ReadReceipt != "" {
		fmt.Fprintf(w, "Read receipt requested, to %s\n", v.ReadReceipt)
	}
	for _, a := range v.Attachments {
		fmt.Fprintf(w, "Attachment: %s (%s, %d bytes)\n", a.Name, a.ContentType, a.Size)
	}
	if r := v.Report; r != nil {
		about := r.OriginalMessageID
		if about == "" {
			about = "(original Message-ID not returned)"
		}
		fmt.Fprintf(w, "Report:     %s on %s\n", strings.ToUpper(r.Type), about)
		if r.OriginalEnvelopeID != "" {
			fmt.Fprintf(w, "  envelope id %s\n", r.OriginalEnvelopeID)
		}
		if r.Reporter != "" {
			fmt.Fprintf(w, "  reported by %s\n", r.Reporter)
		}
		if r.Disposition != "" {
			fmt.Fprintf(w, "  disposition %s\n", r.Disposition)
		}
		if r.Error != "" {
			fmt.Fprintf(w, "  error %s\n", r.Error)
		}
		for _, rc := range r.Recipients {
			addr := rc.Address
			if addr == "" {
				addr = "(recipients not named)"
			}
			var notes []string
			if rc.ActionInferred {
				notes = append(notes, "action inferred")
			}
			if rc.StatusInferred {
				reported := rc.ReportedStatus
				if reported == "" {
					reported = "none"
				}
				notes = append(notes, "status inferred, reported "+reported)
			}
			line := strings.TrimSpace(rc.Action + " " + rc.Status)
			if len(notes) > 0 {
				line += " (" + strings.Join(notes, "; ") + ")"
			}
			fmt.Fprintf(w, "  %s: %s\n", addr, line)
			if rc.Error != "" {
				fmt.Fprintf(w, "    %s\n", rc.Error)
			}
		}
		if text := firstLines(r.Text, 12); text != "" {
			fmt.Fprintf(w, "  text:\n%s", text)
		}
	}
	for _, p := range v.Problems {
		fmt.Fprintf(w, "Problem:    %s\n", p)
	}
}

// firstLines returns up to n non-empty lines of a report's human-readable
// text, indented, for support; "…" says there was more.
func firstLines(text string, n int) string {
	var b strings.Builder
	lines := 0
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimRight(l, " \t\r"); l == "" {
			continue
		}
		if lines == n {
			b.WriteString("    …\n")
			break
		}
		if r := []rune(l); len(r) > 200 {
			l = string(r[:200]) + "…"
		}
		b.WriteString("    " + printable(l) + "\n")
		lines++
	}
	return b.String()
}

// printable replaces the control characters of text from a message (a
// hostile report could hold terminal escapes) by U+FFFD.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return '\uFFFD'
		}
		return r
	}, s)
}
