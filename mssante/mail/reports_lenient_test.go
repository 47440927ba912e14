package mail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bounce builds a delivery report in the shape a mail system writes it, in
// pieces the tests change: the shapes of issue 21, seen in a corpus of real
// bounces (Postfix, Exim, Sendmail, Exchange, French ISPs), are built from
// it rather than copied.
type bounce struct {
	subject      string
	textHeader   string // header fields of the human-readable part, after Content-Type
	text         string // human-readable part
	status       string // message/delivery-status body; "-" for no such part
	returnedType string // "text/rfc822-headers" or "message/rfc822"
	returned     string
	end          string // what closes the report; "" for the closing boundary
}

const (
	bounceBoundary = "6A1B21C0F2.1764151323/smtp.operateur.example"
	bouncePatient  = "279035121518989@patient.mssante.fr"
	bounceOrigID   = "aadq4fi4emvdcob7izgviw3cne@medecin.mssante.fr"
	bounceEnvID    = "msgid-aadq4fi4emvdcob7izgviw3cne"
)

// postfixBounce is Postfix's failure report for an unknown patient.
func postfixBounce() bounce {
	return bounce{
		subject: "Undelivered Mail Returned to Sender",
		text: "This is the mail system at host smtp.operateur.example.\r\n\r\n" +
			"I'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients.\r\n\r\n" +
			"                   The mail system\r\n\r\n<" + bouncePatient + ">: host smtps1.ens.example[192.0.2.7] said: 550\r\n" +
			"    5.1.1 <" + bouncePatient + ">: Recipient address rejected: User unknown\r\n    (in reply to RCPT TO command)\r\n",
		status: "Reporting-MTA: dns; smtp.operateur.example\r\nX-Postfix-Queue-ID: 6A1B21C0F2\r\n" +
			"X-Postfix-Sender: rfc822; helene.lefevre@medecin.mssante.fr\r\nOriginal-Envelope-Id: " + bounceEnvID + "\r\n" +
			"Arrival-Date: Thu, 26 Nov 2026 11:02:01 +0100 (CET)\r\n\r\n" +
			"Final-Recipient: rfc822; " + bouncePatient + "\r\nOriginal-Recipient: rfc822;" + bouncePatient + "\r\n" +
			"Action: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; smtps1.ens.example\r\n" +
			"Diagnostic-Code: smtp; 550 5.1.1 <" + bouncePatient + ">: Recipient\r\n    address rejected: User unknown\r\n",
		returnedType: "text/rfc822-headers",
		returned: "Return-Path: <helene.lefevre@medecin.mssante.fr>\r\nDate: Thu, 26 Nov 2026 10:30:00 +0100\r\n" +
			"From: Dr_Helene_LEFEVRE <helene.lefevre@medecin.mssante.fr>\r\nTo: <" + bouncePatient + ">\r\n" +
			"Message-ID: <" + bounceOrigID + ">\r\nSubject: =?utf-8?q?XDM/1.0/DDM+Lettre_de_liaison?=\r\nX-MSS-NIL: DEV935997\r\n",
	}
}

// eximBounce is Exim 4.96's failure report for the same patient over LMTP:
// "Status: 5.0.0" whatever the reason, the real code in the text only.
func eximBounce() bounce {
	return bounce{
		subject: "Mail delivery failed: returning message to sender",
		text: "This message was created automatically by mail delivery software.\n\n" +
			"A message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n" +
			"  " + bouncePatient + "\n    host 127.0.0.1 [127.0.0.1]\n" +
			"    LMTP error after RCPT TO:<" + bouncePatient + ">:\n    550 5.1.1 <" + bouncePatient + ">: Recipient address rejected: User unknown\n\n",
		status: "Reporting-MTA: dns; exim.operateur.example\nOriginal-Envelope-ID: " + bounceEnvID + "\n\n" +
			"Action: failed\nFinal-Recipient: rfc822;" + bouncePatient + "\nStatus: 5.0.0\nRemote-MTA: dns; 127.0.0.1\n",
		returnedType: "message/rfc822",
		returned: "From: helene.lefevre@medecin.mssante.fr\nTo: " + bouncePatient + "\nMessage-ID: <" + bounceOrigID + ">\n" +
			"Subject: Lettre\nMIME-Version: 1.0\nContent-Type: text/plain\n\nBonjour,\nvoici la lettre.\n",
	}
}

func (b bounce) raw() string {
	var s strings.Builder
	s.WriteString("Return-Path: <>\r\nDate: Thu, 26 Nov 2026 11:02:03 +0100\r\nFrom: MAILER-DAEMON@smtp.operateur.example (Mail Delivery System)\r\n")
	s.WriteString("Subject: " + b.subject + "\r\nTo: helene.lefevre@medecin.mssante.fr\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n")
	s.WriteString("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + bounceBoundary + "\"\r\n")
	s.WriteString("Message-Id: <20261126100203.6A1B21C0F2@smtp.operateur.example>\r\n\r\nThis is a MIME-encapsulated message.\r\n\r\n")
	s.WriteString("--" + bounceBoundary + "\r\nContent-Description: Notification\r\nContent-Type: text/plain; charset=us-ascii\r\n" + b.textHeader + "\r\n" + b.text + "\r\n")
	if b.status != "-" {
		s.WriteString("--" + bounceBoundary + "\r\nContent-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n" + b.status + "\r\n")
	}
	s.WriteString("--" + bounceBoundary + "\r\nContent-Type: " + b.returnedType + "\r\n\r\n" + b.returned)
	if b.end == "" {
		s.WriteString("\r\n--" + bounceBoundary + "--\r\n")
	} else {
		s.WriteString(b.end)
	}
	return s.String()
}

// parseBoth parses raw from a stream and in memory, checks that both give
// the same, and returns the stream's message. Neither may fail.
func parseBoth(t *testing.T, raw string) *Message {
	t.Helper()
	checkSameAsStream(t, []byte(raw), nil)
	m, err := Parse(strings.NewReader(raw), nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	checkErrorLengths(t, m, nil)
	return m
}

// The report shapes of issue 21: each parses, as a report, with every
// field that could be read and its defects listed.
func TestLenientReportShapes(t *testing.T) {
	cutAfter := func(s, marker string) string { return s[:strings.Index(s, marker)+len(marker)] }
	full := postfixBounce()

	t.Run("no closing boundary", func(t *testing.T) {
		b := full
		b.end = "\r\n"
		m := parseBoth(t, b.raw())
		checkPatientBounce(t, m, "5.1.1", false)
		if !hasProblem(m, "no closing boundary") || m.DSN.OriginalMessageID != bounceOrigID {
			t.Fatalf("problems %v, original %q", m.Problems, m.DSN.OriginalMessageID)
		}
	})
	t.Run("returned headers cut mid-header", func(t *testing.T) {
		raw := cutAfter(full.raw(), "\r\nFrom: Dr_Helene_LEF")
		m := parseBoth(t, raw)
		checkPatientBounce(t, m, "5.1.1", false)
		if !hasProblem(m, "returned message cut short") || !hasProblem(m, "no closing boundary") || m.DSN.OriginalMessageID != "" {
			t.Fatalf("problems %v, original %q", m.Problems, m.DSN.OriginalMessageID)
		}
		if m.DSN.OriginalEnvelopeID != bounceEnvID {
			t.Fatalf("ENVID %q", m.DSN.OriginalEnvelopeID)
		}
	})
	t.Run("returned message cut mid-body", func(t *testing.T) {
		raw := cutAfter(eximBounce().raw(), "voici la")
		m := parseBoth(t, raw)
		checkPatientBounce(t, m, "5.1.1", true)
		if !hasProblem(m, "returned message cut short") || m.DSN.OriginalMessageID != bounceOrigID || m.DSN.OriginalSubject != "Lettre" {
			t.Fatalf("problems %v, original %q %q", m.Problems, m.DSN.OriginalMessageID, m.DSN.OriginalSubject)
		}
	})
	t.Run("postfix delivery report unavailable", func(t *testing.T) {
		b := full
		b.text = "This is the mail system at host smtp.operateur.example.\r\n\r\nI'm sorry to have to inform you that your message could not\r\n" +
			"be delivered to one or more recipients.\r\n\r\n                   The mail system\r\n\r\n\t--- Delivery report unavailable ---\r\n"
		b.status = b.status[:strings.Index(b.status, "\r\n\r\n")+2]
		m := parseBoth(t, b.raw())
		d := m.DSN
		if d == nil || len(d.Recipients) != 1 || !hasProblem(m, ReasonNoRecipientStatus) {
			t.Fatalf("DSN %+v, problems %v", d, m.Problems)
		}
		r := d.Recipients[0]
		if !r.Unnamed() || r.Action != ActionFailed || !r.ActionInferred || r.Status != "" {
			t.Fatalf("unnamed entry %+v", r)
		}
		if !errors.Is(r.Err(), ErrDeliveryFailed) || d.OriginalEnvelopeID != bounceEnvID || d.OriginalMessageID != bounceOrigID {
			t.Fatalf("err %v, ids %q %q", r.Err(), d.OriginalEnvelopeID, d.OriginalMessageID)
		}
		if !strings.Contains(d.Text, "Delivery report unavailable") {
			t.Fatalf("human text not kept: %q", d.Text)
		}
	})
	t.Run("empty delivery-status", func(t *testing.T) {
		b := full
		b.status = ""
		m := parseBoth(t, b.raw())
		// The text still says 5.1.1 for the patient.
		if d := m.DSN; d == nil || len(d.Recipients) != 1 || d.Recipients[0].Status != "5.1.1" || d.Recipients[0].Action != ActionFailed ||
			!hasProblem(m, "empty report") || !hasProblem(m, ReasonNoRecipientStatus) {
			t.Fatalf("DSN %+v, problems %v", m.DSN, m.Problems)
		}
	})
	t.Run("lines that are not fields", func(t *testing.T) {
		b := full
		b.status = strings.Replace(b.status, "Arrival-Date:", "DISPLAY_DATE_FORMAT : dd/MM/yyyy HH:mm\r\nArrival-Date:", 1)
		b.status = strings.Replace(b.status, "Action: failed", "Action: failed\r\nthis line is free text\r\n  and its continuation", 1)
		m := parseBoth(t, b.raw())
		checkPatientBounce(t, m, "5.1.1", false)
		if m.DSN.ArrivalDate.IsZero() || !hasProblem(m, `"DISPLAY_DATE_FORMAT : dd/MM/yyyy HH:mm"`) || !hasProblem(m, "this line is free text") {
			t.Fatalf("arrival %v, problems %v", m.DSN.ArrivalDate, m.Problems)
		}
	})
	t.Run("broken base64 human-readable part", func(t *testing.T) {
		b := full
		b.textHeader = "Content-Transfer-Encoding: base64\r\n"
		enc := base64.StdEncoding.EncodeToString([]byte(b.text))
		b.text = enc[:40] + "\r\n!!not base64!!\r\n" + enc[40:]
		m := parseBoth(t, b.raw())
		checkPatientBounce(t, m, "5.1.1", false)
		if !hasProblem(m, "text/plain: read in part") || !strings.HasPrefix(full.text, m.Text) || m.Text == "" {
			t.Fatalf("text %q, problems %v", m.Text, m.Problems)
		}
	})
	t.Run("broken quoted-printable human-readable part", func(t *testing.T) {
		b := full
		b.textHeader = "Content-Transfer-Encoding: quoted-printable\r\n"
		b.text = "Votre message n'a pas pu =C3=AAtre remis.\r\nun octet \x01 interdit\r\n"
		m := parseBoth(t, b.raw())
		checkPatientBounce(t, m, "5.1.1", false)
		if !hasProblem(m, "text/plain: read in part") || !strings.HasPrefix(m.Text, "Votre message n'a pas pu être remis.\nun octet ") {
			t.Fatalf("text %q, problems %v", m.Text, m.Problems)
		}
	})
	t.Run("mbox envelope line", func(t *testing.T) {
		m := parseBoth(t, "From MAILER-DAEMON Thu Nov 26 11:02:03 2026\n"+full.raw())
		checkPatientBounce(t, m, "5.1.1", false)
		if !hasProblem(m, "mbox envelope line skipped") || m.Subject != full.subject {
			t.Fatalf("subject %q, problems %v", m.Subject, m.Problems)
		}
	})
	t.Run("cut before the delivery-status part", func(t *testing.T) {
		m := parseBoth(t, cutAfter(full.raw(), "(in reply to RCPT TO command)"))
		if d := m.DSN; d == nil || len(d.Recipients) != 1 || !d.Recipients[0].Unnamed() || d.Recipients[0].Action != ActionFailed ||
			!hasProblem(m, "no message/delivery-status part") {
			t.Fatalf("DSN %+v, problems %v", m.DSN, m.Problems)
		}
	})
	t.Run("cut inside the delivery-status part", func(t *testing.T) {
		m := parseBoth(t, cutAfter(full.raw(), "Action: failed\r\nStatus: 5.1"))
		r := m.DSN.Recipients[0]
		// "Status: 5.1" is not a status: the status is read from the
		// diagnostic.
		if r.FinalRecipient != bouncePatient || r.Status != "5.1.1" || !r.StatusInferred || !hasProblem(m, "invalid Status") || !hasProblem(m, "cut short") {
			t.Fatalf("recipient %+v, problems %v", r, m.Problems)
		}
	})
	t.Run("per-recipient fields in the first block", func(t *testing.T) {
		b := full
		b.status = strings.Replace(b.status, "(CET)\r\n\r\n", "(CET)\r\n", 1)
		m := parseBoth(t, b.raw())
		checkPatientBounce(t, m, "5.1.1", false)
		if m.DSN.ReportingMTA != "smtp.operateur.example" || len(m.DSN.Recipients) != 1 {
			t.Fatalf("DSN %+v", m.DSN)
		}
	})
	t.Run("recipient block without Final-Recipient", func(t *testing.T) {
		b := full
		b.status = strings.Replace(b.status, "Final-Recipient: rfc822; "+bouncePatient+"\r\nOriginal-Recipient: rfc822;"+bouncePatient+"\r\n", "", 1)
		m := parseBoth(t, b.raw())
		if r := m.DSN.Recipients; len(r) != 1 || !r[0].Unnamed() || r[0].Status != "5.1.1" || r[0].Action != ActionFailed ||
			!hasProblem(m, "without Final-Recipient") {
			t.Fatalf("recipients %+v, problems %v", r, m.Problems)
		}
	})
	t.Run("multipart/report without boundary", func(t *testing.T) {
		raw := strings.Replace(full.raw(), ";\r\n\tboundary=\""+bounceBoundary+"\"", "", 1)
		m := parseBoth(t, raw)
		if m.Kind() != KindDSN || !hasProblem(m, "no boundary parameter") {
			t.Fatalf("kind %s, problems %v", m.Kind(), m.Problems)
		}
	})
}

// checkPatientBounce checks that m is a failure report for the patient
// with the given status, read from the Status field or inferred.
func checkPatientBounce(t *testing.T, m *Message, status string, inferred bool) {
	t.Helper()
	if m.Kind() != KindDSN || len(m.DSN.Recipients) != 1 {
		t.Fatalf("kind %s, DSN %+v, problems %v", m.Kind(), m.DSN, m.Problems)
	}
	r := m.DSN.Recipients[0]
	if r.FinalRecipient != bouncePatient || r.Action != ActionFailed || r.Status != status || r.StatusInferred != inferred {
		t.Fatalf("recipient %+v", r)
	}
	if !errors.Is(r.Err(), ErrPatientUnknown) {
		t.Fatalf("err %v", r.Err())
	}
}

// Exim writes "Status: 5.0.0" (or 4.0.0, 2.0.0) whatever the reason
// (issue 22): the code is refined from Diagnostic-Code, then from the text
// about the recipient, of the same class only, and marked as inferred.
func TestGenericStatusRefined(t *testing.T) {
	t.Run("from the human-readable text", func(t *testing.T) {
		m := parseBoth(t, eximBounce().raw())
		checkPatientBounce(t, m, "5.1.1", true)
		if r := m.DSN.Recipients[0]; r.ReportedStatus != "5.0.0" {
			t.Fatalf("reported status %q", r.ReportedStatus)
		}
	})
	t.Run("from a folded Diagnostic-Code (LMTP)", func(t *testing.T) {
		b := eximBounce()
		b.text = "This message was created automatically by mail delivery software.\n"
		b.status += "Diagnostic-Code: smtp; 550-Mailbox unknown.  Either there is no mailbox\n 550-associated with this name or you do not have authorization\n 550 5.1.1 User unknown\n"
		checkPatientBounce(t, parseBoth(t, b.raw()), "5.1.1", true)
	})
	t.Run("another class is not taken", func(t *testing.T) {
		b := eximBounce()
		b.text = strings.Replace(b.text, "550 5.1.1", "452 4.2.2", 1)
		m := parseBoth(t, b.raw())
		if r := m.DSN.Recipients[0]; r.Status != "5.0.0" || r.StatusInferred {
			t.Fatalf("recipient %+v", r)
		}
	})
	t.Run("a delay", func(t *testing.T) {
		b := eximBounce()
		b.subject = "Warning: message 1abcde-000123-AB delayed 24 hours"
		b.status = strings.Replace(strings.Replace(b.status, "failed", "delayed", 1), "5.0.0", "4.0.0", 1)
		b.text = "  " + bouncePatient + "\n    Delay reason: LMTP error after end of data: 451 4.3.0 temporary failure\n"
		m := parseBoth(t, b.raw())
		if r := m.DSN.Recipients[0]; r.Status != "4.3.0" || !r.StatusInferred || !errors.Is(r.Err(), ErrDeliveryDelayed) {
			t.Fatalf("recipient %+v", r)
		}
	})
	t.Run("each recipient its own paragraph", func(t *testing.T) {
		b := eximBounce()
		other := "dr.absent@ch-test.mssante.fr"
		b.text += "  " + other + "\n    host 127.0.0.1 [127.0.0.1]\n    LMTP error after RCPT TO:<" + other + ">:\n    552 5.2.2 Mailbox full\n\n"
		b.status += "\nAction: failed\nFinal-Recipient: rfc822;" + other + "\nStatus: 5.0.0\n"
		m := parseBoth(t, b.raw())
		rs := m.DSN.Recipients
		if len(rs) != 2 || rs[0].Status != "5.1.1" || rs[1].Status != "5.2.2" {
			t.Fatalf("recipients %+v", rs)
		}
	})
	t.Run("no status at all", func(t *testing.T) {
		b := postfixBounce()
		b.status = strings.Replace(b.status, "Status: 5.1.1\r\n", "", 1)
		checkPatientBounce(t, parseBoth(t, b.raw()), "5.1.1", true)
	})
}

// mdnReport builds an RFC 8098 report of Dr B's reading of the original.
func mdnReport(fields, returned, end string) string {
	const b = "mdn-boundary-42"
	return "From: Dr_Bruno_DURAND <bruno.durand@ch-test.mssante.fr>\r\nTo: helene.lefevre@medecin.mssante.fr\r\n" +
		"Subject: Disposition notification\r\nMessage-ID: <mdn-7@ch-test.mssante.fr>\r\nIn-Reply-To: <" + bounceOrigID + ">\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=disposition-notification; boundary=\"" + b + "\"\r\n\r\n" +
		"--" + b + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nLe message a été affiché.\r\n" +
		"--" + b + "\r\nContent-Type: message/disposition-notification\r\n\r\n" + fields + "\r\n" +
		"--" + b + "\r\nContent-Type: message/rfc822\r\n\r\n" + returned + end
}

const (
	mdnFields = "Reporting-UA: ch-test.mssante.fr; Client 2.0\r\nOriginal-Recipient: rfc822;bruno.durand@ch-test.mssante.fr\r\n" +
		"Final-Recipient: rfc822;bruno.durand@ch-test.mssante.fr\r\nOriginal-Message-ID: <" + bounceOrigID + ">\r\n" +
		"Disposition: manual-action/MDN-sent-manually; displayed\r\n"
	mdnReturned = "From: helene.lefevre@medecin.mssante.fr\r\nMessage-ID: <" + bounceOrigID + ">\r\nSubject: Lettre\r\n\r\nBonjour\r\n"
	mdnEnd      = "\r\n--mdn-boundary-42--\r\n"
)

// The same leniency for MDNs (RFC 8098).
func TestLenientMDN(t *testing.T) {
	for _, tt := range []struct {
		name, raw, problem string
		typ                DispositionType
		origRcpt           string
	}{
		{"original cut short", mdnReport(mdnFields, mdnReturned[:60], ""), "returned message cut short", Displayed, "bruno.durand@ch-test.mssante.fr"},
		{"no Original-Recipient", mdnReport(strings.Replace(mdnFields, "Original-Recipient: rfc822;bruno.durand@ch-test.mssante.fr\r\n", "", 1), mdnReturned, mdnEnd), "", Displayed, ""},
		{"disposition out of syntax", mdnReport(strings.Replace(mdnFields, "manual-action/MDN-sent-manually; displayed", "displayed (lu par le destinataire)", 1), mdnReturned, mdnEnd), "missing ';'", Displayed, "bruno.durand@ch-test.mssante.fr"},
		{"no disposition", mdnReport(strings.Replace(mdnFields, "Disposition: manual-action/MDN-sent-manually; displayed\r\n", "", 1), mdnReturned, mdnEnd), "no Disposition field", "", "bruno.durand@ch-test.mssante.fr"},
		{"no Original-Message-ID, original cut", mdnReport(strings.Replace(mdnFields, "Original-Message-ID: <"+bounceOrigID+">\r\n", "", 1), "From: hel", ""), "cut short", Displayed, "bruno.durand@ch-test.mssante.fr"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := parseBoth(t, tt.raw)
			md := m.MDN
			if m.Kind() != KindMDN || md.OriginalMessageID != bounceOrigID || md.Disposition.Type != tt.typ || md.OriginalRecipient != tt.origRcpt {
				t.Fatalf("MDN %+v", md)
			}
			if tt.problem != "" && !hasProblem(m, tt.problem) {
				t.Fatalf("problems %v", m.Problems)
			}
			if tt.problem == "" && len(m.Problems) != 0 {
				t.Fatalf("problems %v", m.Problems)
			}
		})
	}
}

// reportSamples are valid reports: the test fixtures, the Exim bounce and
// the MDN above, and where each report part ends.
func reportSamples(t *testing.T) map[string][]byte {
	out := map[string][]byte{
		"exim":    []byte(eximBounce().raw()),
		"postfix": []byte(postfixBounce().raw()),
		"mdn":     []byte(mdnReport(mdnFields, mdnReturned, mdnEnd)),
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "[dm][sd]n-*.eml"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(name)] = b
	}
	return out
}

// reportPartEnd returns the offset after the body of the delivery-status
// or disposition-notification part of raw.
func reportPartEnd(t *testing.T, raw []byte) int {
	t.Helper()
	i := bytes.Index(raw, []byte("Content-Type: message/delivery-status"))
	if i < 0 {
		i = bytes.Index(raw, []byte("Content-Type: message/disposition-notification"))
	}
	j := bytes.Index(raw[i:], []byte("\n--"))
	if i < 0 || j < 0 {
		t.Fatal("no report part")
	}
	return i + j
}

// The acceptance property of issue 21: a valid DSN or MDN cut at any byte
// after its report part still parses, from a stream and in memory, to the
// same recipients and statuses. Cut anywhere else, it never panics, and
// only the message limits could fail it.
func TestReportCutAtEveryOffset(t *testing.T) {
	for name, raw := range reportSamples(t) {
		t.Run(name, func(t *testing.T) {
			whole, err := Parse(bytes.NewReader(raw), nil)
			if err != nil {
				t.Fatal(err)
			}
			want := describeReport(whole)
			if !strings.Contains(want, "@") {
				t.Fatalf("sample without recipients: %s", want)
			}
			end := reportPartEnd(t, raw)
			for off := 0; off < len(raw); off++ {
				for _, inMemory := range []bool{false, true} {
					var m *Message
					var err error
					if inMemory {
						m, err = ParseBytes(raw[:off], nil)
					} else {
						m, err = Parse(bytes.NewReader(raw[:off]), nil)
					}
					checkErrorLengths(t, m, err)
					if off < end {
						if err != nil && !errors.Is(err, ErrMalformed) {
							t.Fatalf("cut at %d: %v", off, err)
						}
						continue
					}
					if err != nil {
						t.Fatalf("cut at %d (report part ends at %d): %v", off, end, err)
					}
					if got := describeReport(m); got != want {
						t.Fatalf("cut at %d:\n got %s\nwant %s", off, got, want)
					}
				}
			}
		})
	}
}

// describeReport prints what the tracker uses of a report.
func describeReport(m *Message) string {
	var b strings.Builder
	b.WriteString(string(m.Kind()))
	if d := m.DSN; d != nil {
		b.WriteString(" " + d.OriginalEnvelopeID)
		for _, r := range d.Recipients {
			b.WriteString(" " + r.Recipient() + " " + string(r.Action) + " " + r.Status)
		}
	}
	if md := m.MDN; md != nil {
		b.WriteString(" " + md.OriginalMessageID + " " + md.FinalRecipient + " " + md.Disposition.String() + " " + md.Error)
	}
	return b.String()
}
