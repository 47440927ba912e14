package mssante

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
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
	// MinBackoff and MaxBackoff bound the wait before a reconnection, which
	// doubles after each failure, with jitter. Zero means 1 second and 1
	// minute.
	MinBackoff, MaxBackoff time.Duration
	// PollInterval is how often Watch asks the server for changes (NOOP)
	// when it does not offer IDLE. Zero means DefaultPollInterval.
	PollInterval time.Duration
	// IdleOnly makes Watch return a *CapabilityError (ErrCapability) when
	// the server does not offer IDLE, instead of polling. False means
	// polling.
	IdleOnly bool
}

// DefaultPollInterval is how often Watch polls a server without IDLE: new
// mail shows within a minute, for one NOOP round trip per minute.
const DefaultPollInterval = time.Minute

// Watch waits for changes of folder on a connection of its own and calls f
// for each, until ctx is done; it then returns ctx.Err(). It uses IMAP
// IDLE, renewed before the 29-minute limit (RFC 2177); a server without
// IDLE (RFC 9051 made it mandatory, but Cyrus can be configured without
// it) is polled with NOOP every PollInterval, or refused with a
// *CapabilityError when IdleOnly is set. When the connection drops, Watch
// reconnects with exponential backoff and reports it with Reconnected,
// since changes may have been missed. A folder the server refuses ends
// Watch with its *FolderError: reconnecting would not help. f runs on Watch's goroutine: a
// slow f delays the next events, it never blocks the connection. Use Sync
// from f (or after) to read the new messages.
func (c *Client) Watch(ctx context.Context, folder string, opts *WatchOptions, f func(WatchEvent)) error {
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
	backoff := o.MinBackoff
	reconnected := false
	for {
		err := c.watchOnce(ctx, folder, &o, reconnected, f)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if c.isClosed() {
			return ErrClosed
		}
		if errors.Is(err, ErrCapability) || errors.Is(err, ErrFolder) {
			return err
		}
		c.cfg.Logger.WarnContext(ctx, "mssante: watch connection lost, reconnecting", "folder", folder, "error", err, "backoff", backoff)
		wait := backoff/2 + time.Duration(rand.Int64N(int64(backoff)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		if backoff *= 2; backoff > o.MaxBackoff {
			backoff = o.MaxBackoff
		}
		reconnected = true
	}
}

// watchOnce runs one IDLE (or polling) connection until it fails or ctx
// ends.
func (c *Client) watchOnce(ctx context.Context, folder string, o *WatchOptions, reconnected bool, f func(WatchEvent)) error {
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
		return err
	}
	defer ic.c.Close()
	stop := watchContext(ctx, ic.c)
	defer stop()
	canIdle := ic.c.Caps().Has(imap.CapIdle) || ic.c.Caps().Has(imap.CapIMAP4rev2)
	if !canIdle && o.IdleOnly {
		return &CapabilityError{Server: ic.server, Capability: "IDLE"}
	}
	if _, err := ic.selectFolder(folder, true); err != nil {
		return err
	}
	if canIdle {
		c.audit(ctx, "imap.idle", folder, ic.server, nil)
	} else {
		c.audit(ctx, "imap.poll", folder, ic.server, nil)
	}
	if reconnected {
		f(WatchEvent{Folder: folder, Reconnected: true})
	}
	var poll <-chan time.Time
	if canIdle {
		idle, err := ic.c.Idle()
		if err != nil {
			return err
		}
		defer idle.Close()
	} else {
		// The server reports EXISTS and EXPUNGE in its answer to NOOP,
		// to the handler above.
		t := time.NewTicker(o.PollInterval)
		defer t.Stop()
		poll = t.C
	}
	for {
		select {
		case e := <-events:
			f(e)
		case <-poll:
			if err := ic.c.Noop().Wait(); err != nil {
				return err
			}
		case <-ic.c.Closed():
			return ErrConnect
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
