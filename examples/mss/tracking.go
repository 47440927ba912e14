package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/boltstore"
	"github.com/mssante-go/sdk/mssante/mail"
	bolterrors "go.etcd.io/bbolt/errors"
)

// envTracker is the delivery tracker of $MSSANTE_STORE: mss send records
// in it what it sends and mss sync the reports (DSN, MDN) it reads, so that
// mss track lists where each message stands. A nil *envTracker (the
// variable is not set) records nothing.
type envTracker struct {
	store *boltstore.Store
	tr    *delivery.Tracker
}

// openEnvTracker opens the store $MSSANTE_STORE names (creating it), or
// returns nil when the variable is not set.
func openEnvTracker() (*envTracker, error) {
	path := os.Getenv("MSSANTE_STORE")
	if path == "" {
		return nil, nil
	}
	const wait = 2 * time.Second // as mss track --wait
	if info, err := os.Stat(path); err == nil && info.Size() > 0 {
		// An existing file must be a tracker store; a new one is made.
		if err := checkTrackerFile(path, wait); err != nil {
			return nil, fmt.Errorf("MSSANTE_STORE %s: %w", path, err)
		}
	}
	st, err := boltstore.Open(path, &boltstore.Options{Timeout: wait})
	if errors.Is(err, bolterrors.ErrTimeout) {
		err = errStoreHeld
	}
	if err != nil {
		return nil, fmt.Errorf("MSSANTE_STORE %s: %w", path, err)
	}
	return &envTracker{store: st, tr: delivery.NewTracker(&delivery.TrackerOptions{Store: st})}, nil
}

// Close closes the store.
func (t *envTracker) Close() error {
	if t == nil {
		return nil
	}
	return t.store.Close()
}

// send is Client.Send, tracked: the message is prepared and recorded
// (queued) before it goes, and its outcome after.
func (t *envTracker) send(ctx context.Context, c *mssante.Client, msg *mail.Message) (*mssante.SendResult, error) {
	if t == nil {
		return c.Send(ctx, msg)
	}
	if err := c.Prepare(ctx, msg); err != nil {
		return nil, err
	}
	if err := t.tr.Track(ctx, msg); err != nil {
		return nil, fmt.Errorf("MSSANTE_STORE: %w", err)
	}
	res, err := c.Send(ctx, msg)
	return res, t.sent(ctx, msg, res, err)
}

// track records a prepared message before it is sent (mss send FILE.eml).
func (t *envTracker) track(ctx context.Context, msg *mail.Message) error {
	if t == nil {
		return nil
	}
	if err := t.tr.Track(ctx, msg); err != nil {
		return fmt.Errorf("MSSANTE_STORE: %w", err)
	}
	return nil
}

// sent records the outcome of a submission and returns sendErr, or the
// store's error when the submission succeeded and the store failed.
func (t *envTracker) sent(ctx context.Context, msg *mail.Message, res *mssante.SendResult, sendErr error) error {
	if t == nil {
		return sendErr
	}
	if err := t.tr.Sent(ctx, msg, res, sendErr); err != nil && sendErr == nil {
		return fmt.Errorf("MSSANTE_STORE: %w", err)
	}
	return sendErr
}

// observe hands a received message to the tracker, which keeps the
// reports about the messages it tracks and ignores the rest.
func (t *envTracker) observe(ctx context.Context, msg *mail.Message) error {
	if t == nil {
		return nil
	}
	if _, err := t.tr.Observe(ctx, msg); err != nil {
		return fmt.Errorf("MSSANTE_STORE: %w", err)
	}
	return nil
}
