package mssante

import (
	"context"
	"io"
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
	return s.transact(ctx, transaction{
		messageID: e.MessageID, from: e.From, recipients: e.Recipients,
		deliveryReceipt: e.DeliveryReceipt, size: int64(len(body)),
		beforeData: beforeData,
		writeBody: func(w io.Writer) error {
			half := len(body) / 2
			if _, err := w.Write(body[:half]); err != nil {
				return &ConnectError{Server: s.server, Err: err}
			}
			midData()
			if _, err := w.Write(body[half:]); err != nil {
				return &ConnectError{Server: s.server, Err: err}
			}
			return nil
		},
	})
}
