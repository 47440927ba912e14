package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/mssante-go/sdk/internal/backoff"
	"github.com/mssante-go/sdk/mssante"
)

// worker runs the attempts of the entries dispatch claims for it, on one
// SMTP connection kept open while there is work and closed after
// OutboxOptions.IdleTimeout without any (an idle connection would be
// dropped by the operator).
func (o *Outbox) worker(ctx context.Context, jobs <-chan *OutboxEntry) {
	var s *mssante.Submission
	defer func() {
		if s != nil {
			s.Close()
		}
	}()
	for {
		e, ok := o.nextJob(jobs, &s)
		if !ok {
			return
		}
		if ctx.Err() != nil {
			// Run is stopping: give the entry back as it was, due now.
			o.releaseUnchanged(e)
		} else {
			s = o.process(ctx, e, s)
		}
		o.mu.Lock()
		delete(o.busy, e.MessageID)
		o.mu.Unlock()
		o.signal()
	}
}

// nextJob waits for the next entry of jobs. The connection *s, when open,
// waits IdleTimeout for one and is closed after.
func (o *Outbox) nextJob(jobs <-chan *OutboxEntry, s **mssante.Submission) (*OutboxEntry, bool) {
	select {
	case e, ok := <-jobs:
		return e, ok
	default:
	}
	if *s != nil && o.opts.IdleTimeout > 0 {
		idle := o.opts.Clock.After(o.opts.IdleTimeout)
		o.step("idle")
		select {
		case e, ok := <-jobs:
			return e, ok
		case <-idle:
		}
	}
	if *s != nil {
		(*s).Close()
		*s = nil
	}
	e, ok := <-jobs
	return e, ok
}

// closedByOperator reports whether err says that the operator closed the
// connection: it was lost, or the operator announced it (421).
func closedByOperator(err error) bool {
	var ce *mssante.ConnectError
	var te *mssante.TransactionError
	return errors.As(err, &ce) || errors.As(err, &te) && te.Code == 421
}

// process works on one claimed entry, with s (nil: none yet) as its
// connection, and returns the connection to keep.
func (o *Outbox) process(ctx context.Context, e *OutboxEntry, s *mssante.Submission) *mssante.Submission {
	k := o.keepLease(ctx, e)
	defer k.stop()
	sctx := context.WithoutCancel(ctx)
	if e.Attempts == 0 || e.State != OutboxPending {
		// Tracking may have been lost by a crash right after AddOutbox;
		// tracking twice changes nothing.
		if err := o.tracker.track(sctx, e.MessageID, e.From, e.Subject, e.Recipients, e.DeliveryReceipt, e.ReadReceipt, CauseOutbox); err != nil {
			o.log.Warn("delivery: outbox could not track a message", "message_id", e.MessageID, "err", err)
		}
	}
	switch e.State {
	case OutboxAccepted:
		// Its worker recorded the acceptance and died before finishing.
		o.count(&o.stats.RecoveredAccepted)
		o.c.Audit(ctx, "outbox.recover-accepted", e.MessageID, nil)
		if err := o.finishAccepted(sctx, e, k); err != nil {
			o.log.Error("delivery: outbox could not track an accepted message", "message_id", e.MessageID, "err", err)
		}
		return s
	case OutboxInFlight:
		// Its worker died, or lost the store, during an attempt.
		e.State, e.Uncertain = OutboxPending, true
		o.count(&o.stats.ResentUncertain)
		o.c.Audit(ctx, "outbox.resend-uncertain", e.MessageID, nil)
	}
	return o.attempt(ctx, e, s, k)
}

func (o *Outbox) count(c *uint64) {
	o.mu.Lock()
	*c++
	o.mu.Unlock()
}

// attempt submits one entry once and records the outcome.
func (o *Outbox) attempt(ctx context.Context, e *OutboxEntry, s *mssante.Submission, k *lease) *mssante.Submission {
	o.count(&o.stats.Attempts)
	e.Attempts++
	// The store is written even when Run is stopping: an outcome the
	// operator gave must be recorded.
	sctx := context.WithoutCancel(ctx)
	body, err := o.store.OutboxBody(ctx, e.MessageID)
	if errors.Is(err, ErrUnknownMessage) {
		o.forget(e.MessageID) // removed by someone else
		return s
	}
	if err != nil {
		o.retryOrFail(ctx, e, k, &storeError{err})
		return s
	}
	defer body.Close()
	reused := s != nil
	if s == nil {
		if s, err = o.c.OpenSubmission(ctx); err != nil {
			o.retryOrFail(ctx, e, k, err)
			return nil
		}
	}
	env := mssante.Envelope{MessageID: e.MessageID, From: e.From, Recipients: e.Recipients, DeliveryReceipt: e.DeliveryReceipt}
	inFlight := false
	send := func() (*mssante.SendResult, error) {
		return s.SendRaw(ctx, env, &bodyReader{r: body, size: e.Size, half: func() { o.step("data") }}, e.Size, &mssante.RawOptions{BeforeData: func() error {
			// Durably in flight before the first byte of DATA.
			if k.isLost() {
				return ErrLeaseLost
			}
			e.State, e.LeaseUntil = OutboxInFlight, k.until()
			if err := o.store.UpdateOutbox(sctx, o.opts.Owner, e); err != nil {
				e.State = OutboxPending
				if errors.Is(err, ErrLeaseLost) || errors.Is(err, ErrUnknownMessage) {
					return ErrLeaseLost
				}
				return &storeError{err}
			}
			inFlight = true
			o.step("in-flight")
			return nil
		}})
	}
	res, err := send()
	if reused && res == nil && !inFlight && closedByOperator(err) {
		// The connection was kept open since the last message, and the
		// operator closed it meanwhile (its idle timeout, a limit of
		// messages per connection): no failure of this message, which was
		// not sent. Once, on a new connection.
		s.Close()
		o.log.Debug("delivery: outbox connection closed by the operator, reconnecting", "message_id", e.MessageID, "err", err)
		if s, err = o.c.OpenSubmission(ctx); err != nil {
			o.retryOrFail(ctx, e, k, err)
			return nil
		}
		res, err = send()
	}
	if errors.Is(err, ErrLeaseLost) {
		// Stopped before DATA: another outbox has the entry.
		o.lostLease(e)
		return s
	}
	if err != nil && res == nil {
		s.Close()
		o.retryOrFail(ctx, e, k, err)
		return nil
	}
	if err != nil {
		// Every recipient refused at RCPT: nothing was sent.
		o.tracker.sent(sctx, e.MessageID, res, nil, CauseSMTP)
		o.remaining(ctx, e, k, res, err)
		return s
	}
	o.step("accepted")
	// The acceptance first, durably: from here on nobody sends it again.
	e.State = OutboxAccepted
	e.Accepted, e.Refused = res.Accepted(), refusals(res)
	e.DSNRequested, e.DSNUnsupported = res.DSNRequested, res.DSNUnsupported
	e.LastError = ""
	if err := o.recordAccepted(sctx, e, k); err != nil {
		// The operator has the message; the store does not know it. Go
		// on: removing the entry below is the other way not to resend.
		o.log.Error("delivery: outbox could not record an accepted message", "message_id", e.MessageID, "err", err)
	}
	o.step("recorded")
	o.count(&o.stats.Submitted)
	if err := o.finishAccepted(sctx, e, k); err != nil {
		o.log.Error("delivery: outbox could not track an accepted message", "message_id", e.MessageID, "err", err)
	}
	return s
}

// recordAccepted writes the accepted state, trying again while the store
// is unreachable and the lease holds (nobody else can take the entry
// before it ends): a store restart during a submission does not open the
// duplicate window.
func (o *Outbox) recordAccepted(ctx context.Context, e *OutboxEntry, k *lease) error {
	delay := 20 * time.Millisecond
	for try := 0; ; try++ {
		e.LeaseUntil = k.until()
		err := o.store.UpdateOutbox(ctx, o.opts.Owner, e)
		if err == nil || errors.Is(err, ErrLeaseLost) || errors.Is(err, ErrUnknownMessage) || try == 100 {
			return err
		}
		if !o.opts.Clock.Now().Add(delay + o.opts.Lease/10).Before(k.until()) {
			return err
		}
		o.log.Warn("delivery: outbox could not record an accepted message; trying again", "message_id", e.MessageID, "err", err)
		<-o.opts.Clock.After(delay)
		delay = min(2*delay, time.Second)
	}
}

// finishAccepted gives an accepted entry's outcome to the tracker, then
// removes the entry, or keeps the recipients refused temporarily for
// another attempt.
func (o *Outbox) finishAccepted(ctx context.Context, e *OutboxEntry, k *lease) error {
	res := &mssante.SendResult{MessageID: e.MessageID, DSNRequested: e.DSNRequested, DSNUnsupported: e.DSNUnsupported}
	if e.DSNRequested {
		res.EnvelopeID = mssante.EnvelopeID(e.MessageID)
	}
	for _, a := range e.Accepted {
		res.Recipients = append(res.Recipients, mssante.RecipientResult{Address: a, Accepted: true})
	}
	for _, r := range e.Refused {
		res.Recipients = append(res.Recipients, mssante.RecipientResult{Address: r.Address,
			Err: &mssante.RecipientError{Address: r.Address, Code: r.Code, Enhanced: r.Enhanced, Message: r.Message}})
	}
	if err := o.tracker.sent(ctx, e.MessageID, res, nil, CauseSMTP); err != nil {
		return err
	}
	o.remaining(ctx, e, k, res, nil)
	return nil
}

// remaining keeps the recipients refused temporarily for another attempt
// and removes the entry when there are none.
func (o *Outbox) remaining(ctx context.Context, e *OutboxEntry, k *lease, res *mssante.SendResult, err error) {
	var again []string
	var last error
	for _, rr := range res.Recipients {
		if !rr.Accepted && rr.Err != nil && temporaryError(rr.Err) {
			again = append(again, rr.Address)
			last = rr.Err
		}
	}
	if len(again) == 0 {
		if err != nil {
			o.count(&o.stats.Failed)
			o.c.Audit(ctx, "outbox.failed", e.MessageID, err)
		}
		o.remove(ctx, e.MessageID)
		return
	}
	e.Recipients = again
	e.Accepted, e.Refused, e.State = nil, nil, OutboxPending
	o.retryOrFail(ctx, e, k, last)
}

// retryOrFail reschedules an entry after a temporary failure and
// releases its lease, or fails it.
func (o *Outbox) retryOrFail(ctx context.Context, e *OutboxEntry, k *lease, cause error) {
	now := o.opts.Clock.Now()
	var (
		te *mssante.TransactionError
		se *mssante.SizeError
		st *storeError
	)
	if e.State == OutboxInFlight && !errors.As(cause, &te) && !errors.As(cause, &se) && !errors.As(cause, &st) {
		// DATA was under way and no reply came: the operator may have the
		// message. The next attempt is the documented duplicate window.
		// (A failure to read the body drops the connection before the
		// end of DATA: nothing was delivered.)
		e.Uncertain = true
		o.count(&o.stats.ResentUncertain)
		o.c.Audit(ctx, "outbox.resend-uncertain", e.MessageID, cause)
	}
	e.State = OutboxPending
	e.LastError = cause.Error()
	sctx := context.WithoutCancel(ctx)
	if (temporaryError(cause) && ctx.Err() != nil) || errors.Is(cause, mssante.ErrClosed) {
		// Run is stopping: give the entry back, due now, for the next run
		// or another process.
		o.put(sctx, e, "could not release a message")
		return
	}
	if temporaryError(cause) {
		next := now.Add(o.backoff(e.Attempts))
		if !next.After(e.Deadline) {
			e.NextAttempt = next
			o.put(sctx, e, "could not reschedule a message")
			o.c.Audit(ctx, "outbox.retry", e.MessageID, cause)
			o.count(&o.stats.Retries)
			o.signal()
			return
		}
		cause = fmt.Errorf("%w (%d attempts): %w", ErrOutboxDeadline, e.Attempts, cause)
	}
	o.tracker.fail(sctx, e.MessageID, e.Recipients, cause, CauseOutbox)
	o.count(&o.stats.Failed)
	o.c.Audit(ctx, "outbox.failed", e.MessageID, cause)
	o.remove(ctx, e.MessageID)
}

// put writes an entry and releases its lease. If the store cannot be
// written, the lease expires and the entry is due again as it was.
func (o *Outbox) put(ctx context.Context, e *OutboxEntry, what string) {
	e.LeaseOwner, e.LeaseUntil = "", time.Time{}
	err := o.store.UpdateOutbox(ctx, o.opts.Owner, e)
	switch {
	case errors.Is(err, ErrLeaseLost):
		o.lostLease(e)
	case errors.Is(err, ErrUnknownMessage):
		o.forget(e.MessageID)
	case err != nil:
		o.log.Error("delivery: outbox "+what, "message_id", e.MessageID, "err", err)
	}
}

// releaseUnchanged gives back an entry this outbox claimed and did not
// work on.
func (o *Outbox) releaseUnchanged(e *OutboxEntry) {
	e.LeaseOwner, e.LeaseUntil = "", time.Time{}
	if err := o.store.UpdateOutbox(context.Background(), o.opts.Owner, e); err != nil && !errors.Is(err, ErrLeaseLost) && !errors.Is(err, ErrUnknownMessage) {
		o.log.Warn("delivery: outbox could not release a message; its lease will expire", "message_id", e.MessageID, "err", err)
	}
}

// lostLease notes that another outbox took an entry over.
func (o *Outbox) lostLease(e *OutboxEntry) {
	o.count(&o.stats.LeasesLost)
	o.log.Warn("delivery: outbox lease lost: another outbox has the message", "message_id", e.MessageID)
}

// backoff returns the wait before attempt n+1: MinBackoff·2^(n-1), capped,
// with jitter between half and all of it.
func (o *Outbox) backoff(n int) time.Duration {
	return backoff.Policy{Min: o.opts.MinBackoff, Max: o.opts.MaxBackoff, Rand: o.opts.Rand}.Delay(n)
}

// remove deletes a finished entry. If the store cannot be written, the
// lease expires and another attempt finds the entry as the store has it
// (accepted: not sent again).
func (o *Outbox) remove(ctx context.Context, id string) {
	err := o.store.RemoveOutbox(context.WithoutCancel(ctx), o.opts.Owner, id)
	if err != nil && !errors.Is(err, ErrLeaseLost) {
		o.log.Error("delivery: outbox could not remove a message", "message_id", id, "err", err)
		return
	}
	o.forget(id)
}

// forget notes that an entry left the outbox.
func (o *Outbox) forget(id string) {
	o.mu.Lock()
	if o.stats.Queued > 0 {
		o.stats.Queued--
	}
	o.mu.Unlock()
	o.release(id)
}

// lease keeps an entry's lease while an attempt runs: it renews it every
// third of OutboxOptions.Lease, and notes when it was lost.
type lease struct {
	mu   sync.Mutex
	end  time.Time
	lost bool
	stop func()
}

func (k *lease) until() time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.end
}

func (k *lease) isLost() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lost
}

func (o *Outbox) keepLease(ctx context.Context, e *OutboxEntry) *lease {
	k := &lease{end: e.LeaseUntil}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-o.opts.Clock.After(o.opts.Lease / 3):
			}
			end := o.opts.Clock.Now().Add(o.opts.Lease)
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.opts.Lease/3)
			err := o.store.RenewOutbox(rctx, o.opts.Owner, e.MessageID, end)
			cancel()
			k.mu.Lock()
			switch {
			case err == nil:
				k.end = end
			case errors.Is(err, ErrLeaseLost), errors.Is(err, ErrUnknownMessage):
				k.lost = true
			}
			k.mu.Unlock()
			if k.isLost() {
				return
			}
			if err != nil {
				o.log.Warn("delivery: outbox could not renew a lease; trying again", "message_id", e.MessageID, "err", err)
			}
		}
	}()
	k.stop = func() {
		close(done)
		wg.Wait()
	}
	return k
}

// bodyReader reads a stored body for SendRaw: its errors are the store's
// (the message stays queued), and it calls half once the first half was
// read and written (the tests stop an outbox there, in the middle of
// DATA).
type bodyReader struct {
	r      io.Reader
	size   int64
	off    int64
	half   func()
	called bool
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if !b.called && b.off >= b.size/2 && b.off > 0 {
		b.called = true
		b.half()
	}
	if rest := b.size/2 - b.off; !b.called && rest > 0 && int64(len(p)) > rest {
		p = p[:rest] // stop at the half, so that half runs between two writes
	}
	n, err := b.r.Read(p)
	b.off += int64(n)
	if err != nil && err != io.EOF {
		err = &storeError{err}
	}
	return n, err
}
