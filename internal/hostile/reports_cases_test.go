package hostile

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/mssante-go/sdk/mssante/mail"
)

// --- Reports (DSN, MDN) and the bounds of parsing (issues 19 and 21) ---

const reportPatient = "279035121518989@patient.mssante.fr"

// report is a Postfix-shaped failure report for an unknown patient; text,
// status and returned are its three parts, end what closes it.
func report(text, status, returned, end string) string {
	return "From: MAILER-DAEMON@smtp.operateur.example\r\nSubject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=us-ascii\r\n" + text + "\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\n" + status + "\r\n" +
		"--b\r\nContent-Type: text/rfc822-headers\r\n\r\n" + returned + end
}

const (
	reportText     = "\r\n<" + reportPatient + ">: host mx said: 550 5.1.1 User unknown\r\n"
	reportMTA      = "smtp.operateur.example"
	reportENVID    = "msgid-42"
	reportPerMsg   = "Reporting-MTA: dns; " + reportMTA + "\r\nOriginal-Envelope-Id: " + reportENVID + "\r\n"
	reportStatus   = reportPerMsg + "\r\nFinal-Recipient: rfc822; " + reportPatient + "\r\nAction: failed\r\nStatus: 5.1.1\r\n"
	reportReturned = "From: a@medecin.mssante.fr\r\nMessage-ID: <42@medecin.mssante.fr>\r\nSubject: Lettre\r\n"
	reportEnd      = "\r\n--b--\r\n"
)

// dsn checks a message parsed as a DSN with at least one entry, the first
// having the given action and status (any when "").
func dsn(action mail.DSNAction, status string, more func(m *mail.Message) error) check {
	return message(func(m *mail.Message) error {
		if m.DSN == nil || len(m.DSN.Recipients) == 0 {
			return fmt.Errorf("not read as a DSN (kind %s)", m.Kind())
		}
		if r := m.DSN.Recipients[0]; r.Action != action || status != "" && r.Status != status {
			return fmt.Errorf("recipient %+v", r)
		}
		if more != nil {
			return more(m)
		}
		return nil
	})
}

// problem: the message has a mail.ErrMalformed problem saying text.
func problem(text string) check {
	return message(func(m *mail.Message) error { return hasProblem(m, mail.ErrMalformed, text) })
}

// allFields: every field of reportStatus was kept.
func allFields(m *mail.Message) error {
	d := m.DSN
	r := d.Recipients[0]
	if d.ReportingMTA != reportMTA || d.OriginalEnvelopeID != reportENVID || len(d.Recipients) != 1 ||
		r.FinalRecipient != reportPatient || r.Action != mail.ActionFailed || r.Status != "5.1.1" || r.StatusInferred {
		return fmt.Errorf("fields lost: %+v", d)
	}
	return nil
}

func reportCases() []hostileCase {
	folded := func() string {
		var b strings.Builder
		b.WriteString(reportStatus + "Diagnostic-Code: smtp; 550\r\n")
		for b.Len() < 1_000_000 {
			b.WriteString(" 5.1.1 x\r\n")
		}
		return report(reportText, b.String(), reportReturned, reportEnd)
	}
	partHeader := func(line string) string {
		return "From: a@b.fr\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" + line + "\r\n\r\nbody\r\n--b--\r\n"
	}
	encoded := base64.StdEncoding.EncodeToString([]byte(reportText))
	// Its first 20 characters decode to the first 15 bytes of the text.
	broken64 := encoded[:20] + "*!*" + encoded[20:]
	return []hostileCase{
		{"MIME", "report with one field folded over 100,000 lines (1 MB)",
			"parsed; the field left out as a `mail.ErrLimitExceeded` problem (64 KiB per field), the other fields kept",
			parse(folded(), nil, nil), all(accepted, dsn(mail.ActionFailed, "5.1.1", func(m *mail.Message) error {
				var le *mail.LimitError
				switch {
				case m.DSN.Recipients[0].DiagnosticCode != "":
					return fmt.Errorf("Diagnostic-Code kept (%d bytes)", len(m.DSN.Recipients[0].DiagnosticCode))
				case len(m.Problems) != 1 || !errors.As(m.Problems[0], &le) || le.Limit != "report field size" || le.Max != 64<<10:
					return fmt.Errorf("problems %v", m.Problems)
				}
				return allFields(m)
			}))},
		{"MIME", "report part of 300,000 lines that are not fields",
			"parsed; 8 problems listed, then one counting the other 299,992 (not 300,000 errors)",
			parse(report(reportText, reportStatus+strings.Repeat("x\r\n", 300_000), reportReturned, reportEnd), nil, nil),
			all(accepted, message(func(m *mail.Message) error {
				if n := len(m.Problems); n != 9 || !strings.Contains(m.Problems[8].Error(), "299992 more problems not listed") {
					return fmt.Errorf("%d problems, the last %v", n, m.Problems[n-1])
				}
				for _, p := range m.Problems[:8] {
					if !strings.Contains(p.Error(), "line is not a field") {
						return fmt.Errorf("problem %v", p)
					}
				}
				return nil
			}))},
		{"MIME", "a 30 MB part header", "`mail.ErrLimitExceeded` (header size 1 MiB, as the top-level header), at most 1.1 MB of the 30 MB read",
			parse(partHeader(strings.Repeat("X-Filler: "+strings.Repeat("f", 1012)+"\r\n", 30<<10)), nil, nil),
			all(mailLimit("header size", 1<<20), readAtMost(1_100_000))},
		{"MIME", "a 20 MB part header line without a colon", "`mail.ErrMalformed` in an error of at most 500 bytes, at most 1.1 MB of the 20 MB read",
			parse(partHeader(strings.Repeat("x", 20<<20)), nil, nil),
			all(is(mail.ErrMalformed), readAtMost(1_100_000), func(o *outcome) error {
				if n := len(o.err.Error()); n > 500 {
					return fmt.Errorf("an error of %d bytes", n)
				}
				return nil
			})},
		{"Reports", "multipart/report without its closing boundary", "parsed as a DSN, status kept; problem recorded",
			parse(report(reportText, reportStatus, reportReturned, "\r\n"), nil, nil),
			all(accepted, dsn(mail.ActionFailed, "5.1.1", nil), problem("no closing boundary"))},
		{"Reports", "returned message cut short in its header", "parsed as a DSN, status and ENVID kept; problem recorded",
			parse(report(reportText, reportStatus, reportReturned[:30], ""), nil, nil),
			all(accepted, dsn(mail.ActionFailed, "5.1.1", func(m *mail.Message) error {
				if m.DSN.OriginalEnvelopeID != reportENVID {
					return fmt.Errorf("ENVID %q", m.DSN.OriginalEnvelopeID)
				}
				return nil
			}), problem("returned message cut short"))},
		{"Reports", "Postfix \"Delivery report unavailable\" (no per-recipient block)", "parsed as a DSN with one unnamed failed entry; problem `report without per-recipient status`",
			parse(report("\r\n\t--- Delivery report unavailable ---\r\n", reportPerMsg, reportReturned, reportEnd), nil, nil),
			all(accepted, dsn(mail.ActionFailed, "", func(m *mail.Message) error {
				if len(m.DSN.Recipients) != 1 || !m.DSN.Recipients[0].Unnamed() {
					return fmt.Errorf("entries %+v", m.DSN.Recipients)
				}
				return nil
			}), problem(mail.ReasonNoRecipientStatus))},
		{"Reports", "empty message/delivery-status part", "parsed as a DSN, status read from the text (5.1.1); problem recorded",
			parse(report(reportText, "", reportReturned, reportEnd), nil, nil),
			all(accepted, dsn(mail.ActionFailed, "5.1.1", func(m *mail.Message) error {
				if r := m.DSN.Recipients[0]; !r.StatusInferred || r.ReportedStatus != "" {
					return fmt.Errorf("status not inferred: %+v", r)
				}
				return nil
			}), problem("empty report"))},
		{"Reports", "lines that are not fields (`DISPLAY_DATE_FORMAT : …`, twice)", "parsed, every field kept; each line a problem",
			parse(report(reportText, "DISPLAY_DATE_FORMAT : dd/MM/yyyy\r\n"+reportPerMsg+"DISPLAY_TIME : HH:mm\r\n"+strings.TrimPrefix(reportStatus, reportPerMsg), reportReturned, reportEnd), nil, nil),
			all(accepted, dsn(mail.ActionFailed, "5.1.1", allFields), message(func(m *mail.Message) error {
				n := 0
				for _, p := range m.Problems {
					if strings.Contains(p.Error(), "line is not a field") && strings.Contains(p.Error(), "DISPLAY_") {
						n++
					}
				}
				if n != 2 {
					return fmt.Errorf("%d problems for the 2 lines: %v", n, m.Problems)
				}
				return nil
			}))},
		{"Reports", "broken base64 human-readable part", "parsed as a DSN, text kept as far as it decodes; problem recorded",
			parse(report("Content-Transfer-Encoding: base64\r\n\r\n"+broken64, reportStatus, reportReturned, reportEnd), nil, nil),
			all(accepted, dsn(mail.ActionFailed, "5.1.1", func(m *mail.Message) error {
				if want := strings.ReplaceAll(reportText[:15], "\r\n", "\n"); m.DSN.Text != want {
					return fmt.Errorf("text %q, want %q", m.DSN.Text, want)
				}
				return nil
			}), problem("read in part"))},
		{"Reports", "mbox `From ` line before the message", "parsed as a DSN from the line after it; a problem says the line was skipped",
			parse("From MAILER-DAEMON Thu Nov 26 11:02:03 2026\n"+report(reportText, reportStatus, reportReturned, reportEnd), nil, nil),
			all(accepted, dsn(mail.ActionFailed, "5.1.1", func(m *mail.Message) error {
				if m.From.Addr != "MAILER-DAEMON@smtp.operateur.example" {
					return fmt.Errorf("From %q", m.From.Addr)
				}
				return nil
			}), problem("mbox envelope line skipped"))},
		{"Reports", "Exim `Status: 5.0.0` for an unknown patient (code in the text only)",
			"parsed; the entry's `Err` is `mail.ErrPatientUnknown`: status 5.1.1 inferred from the text (same class as the reported 5.0.0)",
			parse(report(reportText, strings.Replace(reportStatus, "5.1.1", "5.0.0", 1), reportReturned, reportEnd), nil, func(o *outcome, m *mail.Message) {
				if m.DSN != nil && len(m.DSN.Recipients) > 0 {
					o.next = m.DSN.Recipients[0].Err()
				}
			}), all(accepted, nextIs(mail.ErrPatientUnknown), dsn(mail.ActionFailed, "5.1.1", func(m *mail.Message) error {
				if r := m.DSN.Recipients[0]; !r.StatusInferred || r.ReportedStatus != "5.0.0" {
					return fmt.Errorf("entry %+v", r)
				}
				return nil
			}))},
	}
}
