package mssantetest

import (
	"bytes"
	"fmt"
	"mime"
	"time"

	"github.com/emersion/go-smtp"
)

// outcome is what happened to one recipient of a transaction.
type outcome struct {
	rcpt       recipient
	action     string // delivered, relayed, failed
	status     string
	diagnostic string
}

// deliverTransaction delivers a submitted message to each recipient and
// sends the DSNs the envelope asked for (RFC 3461): success and relay
// reports when NOTIFY has SUCCESS, failure reports when it has FAILURE or
// when NOTIFY was not given.
func (s *Server) deliverTransaction(tx *transaction, data []byte) {
	now := s.opts.Clock.Now()
	var outcomes []outcome
	for _, r := range tx.recipients {
		o := outcome{rcpt: r}
		domain := domainOf(r.addr)
		mb := s.mailbox(r.addr)
		switch {
		case s.delayed[domain]:
			o.action, o.status, o.diagnostic = "delayed", "4.4.1", "451 4.4.1 connection to the operator of "+domain+" timed out; will retry"
		case !s.isLocal(domain):
			o.action, o.status, o.diagnostic = "relayed", "2.0.0", "250 2.0.0 relayed to the operator of "+domain
		case mb == nil:
			o.action, o.status, o.diagnostic = "failed", "5.1.1", "550 5.1.1 <"+r.addr+">: Recipient address rejected: User unknown"
		case mb.isClosed(s):
			o.action, o.status, o.diagnostic = "failed", "5.2.1", "550 5.2.1 <"+r.addr+">: Boite aux lettres fermee"
		default:
			if err := s.appendDelivery(mb, tx.from, r.addr, data, now); err != nil {
				o.action, o.status, o.diagnostic = "failed", "4.3.0", "451 4.3.0 "+err.Error()
			} else {
				o.action, o.status, o.diagnostic = "delivered", "2.0.0", "250 2.0.0 <"+r.addr+"> Saved"
			}
		}
		outcomes = append(outcomes, o)
	}
	var success, failure, delay []outcome
	for _, o := range outcomes {
		switch {
		case o.action == "failed" && notifies(o.rcpt.opts, smtp.DSNNotifyFailure, true):
			failure = append(failure, o)
		case o.action == "delayed" && notifies(o.rcpt.opts, smtp.DSNNotifyDelayed, false):
			delay = append(delay, o)
		case o.action != "failed" && o.action != "delayed" && notifies(o.rcpt.opts, smtp.DSNNotifySuccess, false):
			success = append(success, o)
		}
	}
	for _, set := range [][]outcome{failure, delay, success} {
		if len(set) == 0 {
			continue
		}
		report := s.buildDSN(tx, set, data, now)
		if mb := s.mailbox(tx.from); mb != nil {
			s.appendDelivery(mb, "", tx.from, report, now)
		}
	}
}

func (mb *Mailbox) isClosed(s *Server) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return mb.closed
}

// notifies reports whether the recipient's NOTIFY asks for n; def is the
// answer when NOTIFY was not given (RFC 3461 §4.1: failures only).
func notifies(opts smtp.RcptOptions, n smtp.DSNNotify, def bool) bool {
	if len(opts.Notify) == 0 {
		return def
	}
	for _, v := range opts.Notify {
		if v == smtp.DSNNotifyNever {
			return false
		}
		if v == n {
			return true
		}
	}
	return false
}

// appendDelivery stores a message in the INBOX of mb with the trace
// fields of a final delivery. from is the envelope sender, "" for a DSN.
func (s *Server) appendDelivery(mb *Mailbox, from, to string, data []byte, now time.Time) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Return-Path: <%s>\r\n", from)
	fmt.Fprintf(&b, "Delivered-To: %s\r\n", to)
	fmt.Fprintf(&b, "Received: from submission by %s with ESMTPSA; %s\r\n", s.Hostname, now.Format(time.RFC1123Z))
	b.Write(data)
	_, err := s.Deliver(mb.Address, "INBOX", b.Bytes())
	return err
}

// buildDSN writes an RFC 3464 report on the outcomes, in the shape Postfix
// uses, returning the headers (RET=HDRS, the default) or the whole message
// (RET=FULL).
func (s *Server) buildDSN(tx *transaction, set []outcome, data []byte, now time.Time) []byte {
	action := set[0].action
	boundary := "dsn-" + randomHex(8)
	var b bytes.Buffer
	subject := map[string]string{
		"failed":  "Undelivered Mail Returned to Sender",
		"delayed": "Delayed Mail (still being retried)",
	}[action]
	if subject == "" {
		subject = "Successful Mail Delivery Report"
	}
	fmt.Fprintf(&b, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n", s.Hostname)
	fmt.Fprintf(&b, "To: %s\r\n", tx.from)
	fmt.Fprintf(&b, "Subject: %s\r\n", subject)
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", randomHex(12), s.Hostname)
	b.WriteString("Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n")
	fmt.Fprintf(&b, "Content-Type: %s\r\n\r\n", mime.FormatMediaType("multipart/report", map[string]string{"report-type": "delivery-status", "boundary": boundary}))

	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n", boundary)
	fmt.Fprintf(&b, "This is the mail system at host %s.\r\n\r\n", s.Hostname)
	switch action {
	case "failed":
		b.WriteString("Your message could not be delivered to one or more recipients.\r\n\r\n")
	case "delayed":
		b.WriteString("Your message could not be delivered yet; the mail system will keep trying.\r\n\r\n")
	default:
		b.WriteString("Your message was successfully delivered to the destination(s) listed below.\r\n\r\n")
	}
	for _, o := range set {
		fmt.Fprintf(&b, "<%s>: %s\r\n", o.rcpt.addr, o.diagnostic)
	}

	fmt.Fprintf(&b, "\r\n--%s\r\nContent-Type: message/delivery-status\r\n\r\n", boundary)
	fmt.Fprintf(&b, "Reporting-MTA: dns; %s\r\n", s.Hostname)
	if tx.opts.EnvelopeID != "" {
		fmt.Fprintf(&b, "Original-Envelope-Id: %s\r\n", tx.opts.EnvelopeID)
	}
	fmt.Fprintf(&b, "Arrival-Date: %s\r\n", now.Format(time.RFC1123Z))
	for _, o := range set {
		fmt.Fprintf(&b, "\r\nFinal-Recipient: rfc822; %s\r\n", o.rcpt.addr)
		if o.rcpt.opts.OriginalRecipient != "" {
			fmt.Fprintf(&b, "Original-Recipient: rfc822;%s\r\n", o.rcpt.opts.OriginalRecipient)
		}
		fmt.Fprintf(&b, "Action: %s\r\nStatus: %s\r\n", o.action, o.status)
		if o.action == "delayed" {
			fmt.Fprintf(&b, "Will-Retry-Until: %s\r\n", now.Add(5*24*time.Hour).Format(time.RFC1123Z))
		}
		fmt.Fprintf(&b, "Remote-MTA: dns; %s\r\nDiagnostic-Code: smtp; %s\r\n", s.Hostname, o.diagnostic)
	}

	if tx.opts.Return == smtp.DSNReturnFull {
		fmt.Fprintf(&b, "\r\n--%s\r\nContent-Type: message/rfc822\r\n\r\n", boundary)
		b.Write(data)
		if !bytes.HasSuffix(data, []byte("\r\n")) {
			b.WriteString("\r\n")
		}
	} else {
		fmt.Fprintf(&b, "\r\n--%s\r\nContent-Type: text/rfc822-headers\r\n\r\n", boundary)
		b.Write(headerBlock(data))
	}
	fmt.Fprintf(&b, "\r\n--%s--\r\n", boundary)
	return b.Bytes()
}

// headerBlock returns the header of a raw message, up to the blank line.
func headerBlock(data []byte) []byte {
	if i := bytes.Index(data, []byte("\r\n\r\n")); i >= 0 {
		return data[:i+2]
	}
	return data
}
