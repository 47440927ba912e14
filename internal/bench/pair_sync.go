package bench

import (
	"context"
	"fmt"
	"io"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
)

// benchSync synchronises n document mails delivered in a mailbox: Client.Sync
// (fetch, parse, kind detection) against a bare go-imap client fetching
// BODY[] of the same UIDs in one UID FETCH.
func benchSync(ctx context.Context, c *Config) ([]row, error) {
	p, err := newSyncPair(ctx, c)
	if err != nil {
		return nil, err
	}
	defer p.close()
	t, err := interleaveRounds(ctx, c.sendSyncRounds(), side{run: p.sdk}, side{run: p.base})
	if err != nil {
		return nil, err
	}
	return []row{spreadRow("2", fmt.Sprintf("sync %d document mails of %d KB (parse, kind)", c.Messages, p.size/1000),
		float64(c.Messages), "msg/s", t, 0.8)}, nil
}

// newSyncPair starts an operator, delivers c.Messages document mails to a
// mailbox and returns the two sides of pair 2, each reading them all.
func newSyncPair(ctx context.Context, c *Config) (*benchPair, error) {
	_, raw, err := encodedDocumentMail(c, false)
	if err != nil {
		return nil, err
	}
	srv, mb, client, err := benchServer()
	if err != nil {
		return nil, err
	}
	for i := 0; i < c.Messages; i++ {
		if _, err := srv.Deliver(mb.Address, "INBOX", raw.Bytes()); err != nil {
			client.Close()
			srv.Close()
			return nil, err
		}
	}
	n := c.Messages

	sdk := func() error {
		got := 0
		for r, err := range client.Sync(ctx, "INBOX", &mssante.Cursor{}) {
			if err != nil {
				return err
			}
			if r.Err != nil {
				return r.Err
			}
			kind := r.Message.Kind()
			r.Message.Close()
			if kind != mail.KindDocument {
				return fmt.Errorf("message %d is %s", r.UID, kind)
			}
			got++
		}
		if got != n {
			return fmt.Errorf("synchronised %d messages, want %d", got, n)
		}
		return nil
	}
	base := func() error {
		ic, err := imapclient.DialStartTLS(srv.IMAPAddr, &imapclient.Options{TLSConfig: benchTLS(srv)})
		if err != nil {
			return err
		}
		defer ic.Close()
		if err := ic.Login(mb.Address, mb.Password).Wait(); err != nil {
			return err
		}
		if _, err := ic.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
			return err
		}
		var set imap.UIDSet
		set.AddRange(1, 0)
		section := &imap.FetchItemBodySection{Peek: true}
		cmd := ic.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
		got := 0
		for m := cmd.Next(); m != nil; m = cmd.Next() {
			for item := m.Next(); item != nil; item = m.Next() {
				if b, ok := item.(imapclient.FetchItemDataBodySection); ok && b.Literal != nil {
					if _, err := io.Copy(io.Discard, b.Literal); err != nil {
						return err
					}
					got++
				}
			}
		}
		if err := cmd.Close(); err != nil {
			return err
		}
		if got != n {
			return fmt.Errorf("fetched %d messages, want %d", got, n)
		}
		return ic.Logout().Wait()
	}
	return &benchPair{sdk: sdk, base: base, size: raw.Len(), close: func() { client.Close(); srv.Close() }}, nil
}
