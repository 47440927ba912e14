package mssante

import (
	"context"
	"math/rand/v2"
	"time"

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
}

// Watch waits for changes of folder with IMAP IDLE on a connection of its
// own and calls f for each, until ctx is done; it then returns ctx.Err().
// IDLE is renewed before the 29-minute limit (RFC 2177); when the
// connection drops, Watch reconnects with exponential backoff and reports
// it with Reconnected, since changes may have been missed. f runs on Watch's
// goroutine: a slow f delays the next events, it never blocks the
// connection. Use Sync from f (or after) to read the new messages.
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
	backoff := o.MinBackoff
	reconnected := false
	for {
		err := c.watchOnce(ctx, folder, reconnected, f)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if c.isClosed() {
			return ErrClosed
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

// watchOnce runs one IDLE connection until it fails or ctx ends.
func (c *Client) watchOnce(ctx context.Context, folder string, reconnected bool, f func(WatchEvent)) error {
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
	if _, err := ic.selectFolder(folder, true); err != nil {
		return err
	}
	c.audit(ctx, "imap.idle", folder, ic.server, nil)
	if reconnected {
		f(WatchEvent{Folder: folder, Reconnected: true})
	}
	idle, err := ic.c.Idle()
	if err != nil {
		return err
	}
	defer idle.Close()
	for {
		select {
		case e := <-events:
			f(e)
		case <-ic.c.Closed():
			return ErrConnect
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
