package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// benchSend sends n document mails on one connection: Submission.Send against
// a bare go-smtp client sending the same message encoded once.
func benchSend(ctx context.Context, c *Config) ([]row, error) {
	p, err := newSendPair(ctx, c)
	if err != nil {
		return nil, err
	}
	defer p.close()
	t, err := interleaveRounds(ctx, c.sendSyncRounds(), side{run: p.sdk}, side{run: p.base})
	if err != nil {
		return nil, err
	}
	what := "IHE_XDM.ZIP built once + PDF, MIME encoded at each Send"
	if c.SendDocuments {
		what = "Documents: XDM rebuilt at each Send"
	}
	return []row{spreadRow("1", fmt.Sprintf("send %d document mails of %d KB on one connection (%s)", c.Messages, p.size/1000, what),
		float64(c.Messages), "msg/s", t, 0.9)}, nil
}

// newSendPair starts an operator and returns the two sides of pair 1, each
// sending c.Messages messages (read at each call) on one connection.
func newSendPair(ctx context.Context, c *Config) (*benchPair, error) {
	msg, raw, err := encodedDocumentMail(c, c.SendDocuments)
	if err != nil {
		return nil, err
	}
	srv, mb, client, err := benchServer()
	if err != nil {
		return nil, err
	}

	sdk := func() error {
		s, err := client.OpenSubmission(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		for i := 0; i < c.Messages; i++ {
			msg.MessageID, msg.Date = "", time.Time{} // a new message each time
			if _, err := s.Send(ctx, msg); err != nil {
				return err
			}
		}
		return nil
	}
	base := func() error {
		sc, err := smtp.DialStartTLS(srv.SMTPAddr, benchTLS(srv))
		if err != nil {
			return err
		}
		defer sc.Close()
		if err := sc.Auth(sasl.NewPlainClient("", mb.Address, mb.Password)); err != nil {
			return err
		}
		for i := 0; i < c.Messages; i++ {
			if err := sc.Mail(mb.Address, nil); err != nil {
				return err
			}
			if err := sc.Rcpt(benchTo.Addr, nil); err != nil {
				return err
			}
			w, err := sc.Data()
			if err != nil {
				return err
			}
			if _, err := w.Write(raw.Bytes()); err != nil {
				return err
			}
			if err := w.Close(); err != nil {
				return err
			}
		}
		return sc.Quit()
	}
	return &benchPair{sdk: sdk, base: base, size: raw.Len(), close: func() { client.Close(); srv.Close() }}, nil
}
