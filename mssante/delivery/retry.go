package delivery

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
)

// temporaryError reports an error worth retrying: a 4xx reply, a lost or
// refused connection, a refused token (the next attempt asks for a new
// one), a store that could not be read or written. Refusals that will not
// change (5xx, trust space, size, invalid message, TLS) are permanent.
func temporaryError(err error) bool {
	var (
		re *mssante.RecipientError
		te *mssante.TransactionError
		ae *mssante.AuthError
		ce *mssante.ConnectError
		tl *mssante.TLSError
		ne net.Error
		st *storeError
	)
	switch {
	case errors.As(err, &st):
		return true
	case errors.As(err, &re):
		return re.Temporary()
	case errors.As(err, &te):
		return te.Temporary()
	case errors.As(err, &ae):
		// A refused token is retried, unless the token source said it
		// will give none again (a Pro Santé Connect session that ended).
		return ae.Temporary()
	case errors.As(err, &tl):
		return false
	case errors.As(err, &ce), errors.As(err, &ne):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	return false
}

// storeError is a failure of the outbox's store: the message stays queued
// and is tried again.
type storeError struct{ err error }

func (e *storeError) Error() string { return "delivery: outbox store: " + e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// limitedWriter fails once more than max bytes were written.
type limitedWriter struct {
	w        io.Writer
	max, len int64
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.len+int64(len(p)) > l.max {
		return 0, &mail.LimitError{Limit: "message size", Max: l.max}
	}
	l.len += int64(len(p))
	return l.w.Write(p)
}

func refusals(res *mssante.SendResult) []OutboxRefusal {
	var out []OutboxRefusal
	for _, rr := range res.Recipients {
		if rr.Accepted {
			continue
		}
		r := OutboxRefusal{Address: rr.Address}
		var re *mssante.RecipientError
		if errors.As(rr.Err, &re) {
			r.Code, r.Enhanced, r.Message = re.Code, re.Enhanced, re.Message
		}
		out = append(out, r)
	}
	return out
}
