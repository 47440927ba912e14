package mssante

import (
	"bytes"
	"context"
	"errors"

	"github.com/emersion/go-smtp"
)

// submitRaw submits an outbox entry's stored bytes on the session: the same
// envelope as Sender.Send (DSN request with the ENVID of the Message-ID,
// ORCPT per recipient), without encoding again, so that every attempt sends
// the same bytes. beforeData runs once a recipient was accepted and before
// DATA: the outbox records there that the attempt is in flight. midData
// runs when half the message was written (a test hook).
func (s *Sender) submitRaw(ctx context.Context, e *OutboxEntry, body []byte, beforeData func() error, midData func()) (*SendResult, error) {
	res, err := s.submitRawTx(ctx, e, body, beforeData, midData)
	s.c.audit(ctx, "smtp.send", e.MessageID, s.server, err)
	return res, err
}

func (s *Sender) submitRawTx(ctx context.Context, e *OutboxEntry, body []byte, beforeData func() error, midData func()) (*SendResult, error) {
	sc := s.smtp
	stop := watchContext(ctx, sc)
	defer stop()
	res := &SendResult{MessageID: e.MessageID}
	size := int64(len(body))
	if max, ok := sc.MaxMessageSize(); ok && max > 0 && size > int64(max) {
		return nil, &SizeError{Size: size, Max: int64(max)}
	}
	mailOpts := &smtp.MailOptions{Size: size}
	var rcptOpts *smtp.RcptOptions
	if e.DeliveryReceipt {
		if dsn, _ := sc.Extension("DSN"); dsn {
			res.DSNRequested = true
			res.EnvelopeID = EnvelopeID(e.MessageID)
			mailOpts.Return = smtp.DSNReturnHeaders
			mailOpts.EnvelopeID = res.EnvelopeID
			rcptOpts = &smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifySuccess, smtp.DSNNotifyFailure, smtp.DSNNotifyDelayed}}
		} else {
			res.DSNUnsupported = true
		}
	}
	if err := sc.Mail(e.From, mailOpts); err != nil {
		return nil, ctxErr(ctx, smtpErr(err, s.server))
	}
	accepted := 0
	for _, rcpt := range e.Recipients {
		opts := rcptOpts
		if opts != nil {
			o := *opts
			o.OriginalRecipientType, o.OriginalRecipient = smtp.DSNAddressTypeRFC822, rcpt
			opts = &o
		}
		rr := RecipientResult{Address: rcpt, Accepted: true}
		if err := sc.Rcpt(rcpt, opts); err != nil {
			var se *smtp.SMTPError
			if !errors.As(err, &se) {
				return nil, ctxErr(ctx, &ConnectError{Server: s.server, Err: err})
			}
			rr.Accepted = false
			rr.Err = &RecipientError{Address: rcpt, Code: se.Code, Enhanced: enhanced(se), Message: se.Message}
		} else {
			accepted++
		}
		res.Recipients = append(res.Recipients, rr)
	}
	if accepted == 0 {
		sc.Reset()
		return res, firstRecipientError(res)
	}
	if err := beforeData(); err != nil {
		sc.Reset()
		return nil, err
	}
	w, err := sc.Data()
	if err != nil {
		return nil, ctxErr(ctx, smtpErr(err, s.server))
	}
	half := len(body) / 2
	if _, err := w.Write(body[:half]); err != nil {
		sc.Close()
		return nil, ctxErr(ctx, &ConnectError{Server: s.server, Err: err})
	}
	midData()
	if _, err := bytes.NewReader(body[half:]).WriteTo(w); err != nil {
		sc.Close()
		return nil, ctxErr(ctx, &ConnectError{Server: s.server, Err: err})
	}
	if err := w.Close(); err != nil {
		return nil, ctxErr(ctx, smtpErr(err, s.server))
	}
	return res, nil
}
