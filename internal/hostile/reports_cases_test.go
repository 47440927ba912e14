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
	reportPerMsg   = "Reporting-MTA: dns; smtp.operateur.example\r\nOriginal-Envelope-Id: msgid-42\r\n"
	reportStatus   = reportPerMsg + "\r\nFinal-Recipient: rfc822; " + reportPatient + "\r\nAction: failed\r\nStatus: 5.1.1\r\n"
	reportReturned = "From: a@medecin.mssante.fr\r\nMessage-ID: <42@medecin.mssante.fr>\r\nSubject: Lettre\r\n"
	reportEnd      = "\r\n--b--\r\n"
)

// lenientReport parses raw and checks that it is a DSN whose first entry
// has the given action and status (any when ""), with a problem saying
// problem; it returns what differs, or nil.
func lenientReport(raw, action, status, problem string) func() error {
	return func() error {
		m, err := mail.Parse(strings.NewReader(raw), nil)
		if err != nil {
			return err
		}
		defer m.Close()
		if m.DSN == nil || len(m.DSN.Recipients) == 0 {
			return fmt.Errorf("not read as a DSN (kind %s)", m.Kind())
		}
		r := m.DSN.Recipients[0]
		if string(r.Action) != action || status != "" && r.Status != status {
			return fmt.Errorf("recipient %+v", r)
		}
		for _, p := range m.Problems {
			if strings.Contains(p.Error(), problem) && errors.Is(p, mail.ErrMalformed) {
				return nil
			}
		}
		return fmt.Errorf("no problem %q among %v", problem, m.Problems)
	}
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
	boundedMalformed := func(err error) bool {
		return errors.Is(err, mail.ErrMalformed) && len(err.Error()) <= 500
	}
	broken64 := base64.StdEncoding.EncodeToString([]byte(reportText))
	return []hostileCase{
		{"MIME", "report with one field folded over 100,000 lines (1 MB)",
			"parsed; the field left out as a `mail.ErrLimitExceeded` problem (64 KiB per field), the other fields kept",
			func() error {
				m, err := mail.Parse(strings.NewReader(folded()), nil)
				if err != nil {
					return err
				}
				if r := m.DSN.Recipients[0]; r.Status != "5.1.1" || len(m.Problems) != 1 || !errors.Is(m.Problems[0], mail.ErrLimitExceeded) {
					return fmt.Errorf("recipient %+v, problems %v", r, m.Problems)
				}
				return nil
			}, accepted},
		{"MIME", "report part of 300,000 lines that are not fields",
			"parsed; 8 problems listed and a count of the others (not 300,000 errors)",
			func() error {
				m, err := mail.Parse(strings.NewReader(report(reportText, reportStatus+strings.Repeat("x\r\n", 300_000), reportReturned, reportEnd)), nil)
				if err != nil {
					return err
				}
				if n := len(m.Problems); n != 9 || !strings.Contains(m.Problems[8].Error(), "more problems not listed") {
					return fmt.Errorf("%d problems", n)
				}
				return nil
			}, accepted},
		{"MIME", "a 30 MB part header", "`mail.ErrLimitExceeded` (header size 1 MiB, as the top-level header), read no further", func() error {
			return parseMIME(partHeader(strings.Repeat("X-Filler: "+strings.Repeat("f", 1012)+"\r\n", 30<<10)))
		}, is(mail.ErrLimitExceeded)},
		{"MIME", "a 20 MB part header line without a colon", "`mail.ErrMalformed` in an error of at most 500 bytes (it quoted the 20 MB line), read no further than 1 MiB", func() error {
			return parseMIME(partHeader(strings.Repeat("x", 20<<20)))
		}, boundedMalformed},
		{"Reports", "multipart/report without its closing boundary", "parsed as a DSN, status kept; problem recorded",
			lenientReport(report(reportText, reportStatus, reportReturned, "\r\n"), "failed", "5.1.1", "no closing boundary"), accepted},
		{"Reports", "returned message cut short in its header", "parsed as a DSN, status and ENVID kept; problem recorded",
			lenientReport(report(reportText, reportStatus, reportReturned[:30], ""), "failed", "5.1.1", "returned message cut short"), accepted},
		{"Reports", "Postfix \"Delivery report unavailable\" (no per-recipient block)", "parsed as a DSN with one unnamed failed entry; problem `report without per-recipient status`",
			lenientReport(report("\r\n\t--- Delivery report unavailable ---\r\n", reportPerMsg, reportReturned, reportEnd), "failed", "", mail.ReasonNoRecipientStatus), accepted},
		{"Reports", "empty message/delivery-status part", "parsed as a DSN, status read from the text (5.1.1); problem recorded",
			lenientReport(report(reportText, "", reportReturned, reportEnd), "failed", "5.1.1", "empty report"), accepted},
		{"Reports", "lines that are not fields (`DISPLAY_DATE_FORMAT : …`)", "parsed, every field kept; each line a problem",
			lenientReport(report(reportText, "DISPLAY_DATE_FORMAT : dd/MM/yyyy\r\n"+reportStatus, reportReturned, reportEnd), "failed", "5.1.1", "line is not a field"), accepted},
		{"Reports", "broken base64 human-readable part", "parsed as a DSN, text kept as far as it decodes; problem recorded",
			lenientReport(report("Content-Transfer-Encoding: base64\r\n\r\n"+broken64[:20]+"*!*"+broken64[20:], reportStatus, reportReturned, reportEnd), "failed", "5.1.1", "read in part"), accepted},
		{"Reports", "mbox `From ` line before the message", "parsed as a DSN; the line skipped, a problem says so",
			lenientReport("From MAILER-DAEMON Thu Nov 26 11:02:03 2026\n"+report(reportText, reportStatus, reportReturned, reportEnd), "failed", "5.1.1", "mbox envelope line skipped"), accepted},
		{"Reports", "Exim `Status: 5.0.0` for an unknown patient (code in the text only)", "`mail.ErrPatientUnknown` (5.1.1 inferred from the text, same class)", func() error {
			m, err := mail.Parse(strings.NewReader(report(reportText, strings.Replace(reportStatus, "5.1.1", "5.0.0", 1), reportReturned, reportEnd)), nil)
			if err != nil {
				return err
			}
			return m.DSN.Recipients[0].Err()
		}, is(mail.ErrPatientUnknown)},
	}
}
