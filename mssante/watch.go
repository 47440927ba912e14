package mssante

import (
	"context"
	"errors"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mssante-go/sdk/internal/backoff"
	"github.com/mssante-go/sdk/internal/sysclock"
)

// WatchEvent tells that a watched folder changed.
type WatchEvent struct {
	Folder string
	// Messages is the number of messages in the folder, when the server
	// reported it (0 otherwise).
	Messages uint32
	// Expunged reports that messages were removed.
	Expunged bool
	// Reconnected reports that the watch connection was re-established:
	// changes may have been missed, so the caller should Sync.
	Reconnected bool
}

// WatchOptions tune [Client.Watch]. A nil *WatchOptions means defaults.
type WatchOptions struct {
	// MinBackoff and MaxBackoff bound the wait before a reconnection:
	// MinBackoff after the first failure, doubled after each further one,
	// capped at MaxBackoff, with jitter (a random wait between half of it
	// and all of it). A session that lasted at least as long as the wait
	// had grown to starts the next reconnection from MinBackoff again.
	// Zero means 1 second and 1 minute.
	MinBackoff, MaxBackoff time.Duration
	// PollInterval is how often Watch asks the server for changes (NOOP)
	// when it does not offer IDLE. Zero means DefaultPollInterval.
	PollInterval time.Duration
	// IdleOnly makes Watch return a *CapabilityError (ErrCapability) when
	// the server does not offer IDLE, instead of polling. False means
	// polling.
	IdleOnly bool
	// Clock gives the time and the timers of the backoff and of polling.
	// Nil means the system clock.
	Clock Clock
}

// DefaultPollInterval is how often Watch polls a server without IDLE: new
// mail shows within a minute, for one NOOP round trip per minute.
const DefaultPollInterval = time.Minute

// Watch waits for changes of folder on a connection of its own and calls f
// for each, until ctx is done (it then returns ctx.Err()) or the client is
// closed (it then returns ErrClosed). It uses IMAP IDLE, renewed before
// the 29-minute limit (RFC 2177); a server without IDLE (RFC 9051 made it
// mandatory, but Cyrus can be configured without it) is polled with NOOP
// every PollInterval, or refused with a *CapabilityError when IdleOnly is
// set.
//
// When the connection drops, Watch reconnects with exponential backoff
// (see WatchOptions) and reports it with Reconnected, since changes may
// have been missed. It stops, returning the error, when reconnecting would
// not help: a folder the server refuses (*FolderError), a missing
// capability, or an authentication that cannot succeed later (an
// *AuthError whose Temporary is false: with a psc.Session as token source,
// a Pro Santé Connect session that ended, Ref#2 ECO.1.2.6).
//
// f runs on Watch's goroutine: a slow f delays the next events, it never
// blocks the connection. Use Sync from f (or after) to read the new
// messages.
func (c *Client) Watch(ctx context.Context, folder string, opts *WatchOptions, f func(WatchEvent)) error {
	if c.isClosed() {
		return ErrClosed
	}
	var o WatchOptions
	if opts != nil {
		o = *opts
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Minute
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.Clock == nil {
		o.Clock = sysclock.Clock{}
	}
	ctx, stop := c.opContext(ctx)
	defer stop()
	policy := backoff.Policy{Min: o.MinBackoff, Max: o.MaxBackoff}
	failures := 0
	reconnected := false
	for {
		start := o.Clock.Now()
		established, err := c.watchOnce(ctx, folder, &o, reconnected, f)
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if stopsWatch(err) {
			return err
		}
		if established && failures > 0 && o.Clock.Now().Sub(start) >= policy.Nominal(failures) {
			failures = 0 // a healthy session: start the backoff again
		}
		failures++
		wait := policy.Delay(failures)
		c.cfg.Logger.WarnContext(ctx, "mssante: watch connection lost, reconnecting", "folder", folder, "error", err, "backoff", wait)
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-o.Clock.After(wait):
		}
		reconnected = true
	}
}

// stopsWatch tells the errors that reconnecting would not cure.
func stopsWatch(err error) bool {
	var ae *AuthError
	return errors.Is(err, ErrCapability) || errors.Is(err, ErrFolder) || (errors.As(err, &ae) && !ae.Temporary())
}

// watchOnce runs one IDLE (or polling) connection until it fails or ctx
// ends. established reports that it got as far as waiting for changes.
func (c *Client) watchOnce(ctx context.Context, folder string, o *WatchOptions, reconnected bool, f func(WatchEvent)) (established bool, err error) {
	events := make(chan WatchEvent, 64)
	push := func(e WatchEvent) {
		select {
		case events <- e:
		default: // the caller is behind; the next event or Sync catches up
		}
	}
	handler := &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				push(WatchEvent{Folder: folder, Messages: *d.NumMessages})
			}
		},
		Expunge: func(uint32) { push(WatchEvent{Folder: folder, Expunged: true}) },
	}
	ic, err := c.dialIMAP(ctx, handler)
	if err != nil {
		return false, err
	}
	release, ok := c.track(ic.c)
	if !ok {
		return false, ErrClosed
	}
	defer release()
	defer ic.c.Close()
	stop := context.AfterFunc(ctx, func() { ic.c.Close() })
	defer stop()
	canIdle := ic.c.Caps().Has(imap.CapIdle) || ic.c.Caps().Has(imap.CapIMAP4rev2)
	if !canIdle && o.IdleOnly {
		return false, &CapabilityError{Server: ic.server, Capability: "IDLE"}
	}
	if _, err := ic.selectFolder(folder, true); err != nil {
		return false, err
	}
	var poll <-chan time.Time
	if canIdle {
		idle, err := ic.c.Idle()
		if err != nil {
			return false, err
		}
		defer idle.Close()
		c.audit(ctx, "imap.idle", folder, ic.server, nil)
	} else {
		// The server reports EXISTS and EXPUNGE in its answer to NOOP,
		// to the handler above.
		poll = o.Clock.After(o.PollInterval)
		c.audit(ctx, "imap.poll", folder, ic.server, nil)
	}
	if reconnected {
		f(WatchEvent{Folder: folder, Reconnected: true})
	}
	for {
		select {
		case e := <-events:
			f(e)
		case <-poll:
			if err := ic.c.Noop().Wait(); err != nil {
				return true, err
			}
			poll = o.Clock.After(o.PollInterval)
		case <-ic.c.Closed():
			return true, &ConnectError{Server: ic.server, Err: errors.New("connection closed")}
		case <-ctx.Done():
			return true, context.Cause(ctx)
		}
	}
}
