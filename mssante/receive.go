package mssante

import (
	"context"
	"fmt"
	"io"
	"iter"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/mssante-go/sdk/internal/mimeparse"
	"github.com/mssante-go/sdk/mssante/mail"
)

// Folder is a mailbox folder on the server.
type Folder struct {
	Name       string
	Delimiter  string
	Attributes []string // e.g. \Sent, \Trash, \Noselect
}

// Folders lists the folders of the mailbox.
func (c *Client) Folders(ctx context.Context) ([]Folder, error) {
	var out []Folder
	err := c.withIMAP(ctx, func(ic *imapConn) error {
		list, err := ic.c.List("", "*", nil).Collect()
		if err != nil {
			return err
		}
		for _, l := range list {
			f := Folder{Name: l.Mailbox}
			if l.Delim != 0 {
				f.Delimiter = string(l.Delim)
			}
			for _, a := range l.Attrs {
				f.Attributes = append(f.Attributes, string(a))
			}
			out = append(out, f)
		}
		return nil
	})
	c.audit(ctx, "imap.list", "*", c.imapServer(), err)
	return out, err
}

// Cursor records how far a folder was synchronised. Persist it between
// runs: Sync continues from it.
type Cursor struct {
	UIDValidity uint32 // of the folder when LastUID was read; 0 before the first sync
	LastUID     uint32 // highest UID already returned
	// Reset is set by Sync when the folder's UIDVALIDITY changed: the
	// server renumbered the folder, UIDs kept by the caller are void, and
	// Sync started again from the first message.
	Reset bool
}

// Received is a message read from a folder.
type Received struct {
	Folder string
	UID    uint32
	// Flags are the message's flags, e.g. \Seen, \Flagged. \Recent is
	// left out: it tells which session first saw the message, not
	// something about the message (RFC 9051 removed it), and a server
	// that sets it (Cyrus) would show it to whichever client selects first.
	Flags []string
	Size  int64 // RFC822.SIZE
	// Message is the parsed message, nil when Err is set. Close it when
	// done: it may hold temporary files and pooled memory.
	Message *mail.Message
	// Err is why this one message could not be read: a *mail.ParseError
	// or a *mail.LimitError (over Config.MaxMessageBytes, say). Nothing is
	// lost: the message stays on the server, and Client.FetchRaw(ctx,
	// r.Folder, r.UID, w) streams its bytes. Nil when Message is set.
	Err error
}

// Seen reports whether the \Seen flag is set.
func (r *Received) Seen() bool {
	for _, f := range r.Flags {
		if strings.EqualFold(f, string(imap.FlagSeen)) {
			return true
		}
	}
	return false
}

// Sync returns the messages of folder newer than cursor, oldest first,
// parsed (documents and reports recognised), and advances cursor as each
// one is yielded: stop at any time and persist cursor to continue later.
// When the folder's UIDVALIDITY changed, cursor.Reset is set and Sync starts
// from the first message. Messages are not marked \Seen.
//
// Errors come in two kinds, as with bufio.Scanner or go-imap's FETCH:
//
//   - A message that cannot be parsed is yielded like the others, with a
//     nil error, its Received.Err set and its Message nil; the cursor
//     moves past it and the sequence goes on. Its bytes stay reachable
//     with FetchRaw.
//   - A fatal error (the connection lost, the folder refused: a
//     *ConnectError, a *FolderError, ErrClosed, the context's error) is
//     yielded with a nil *Received and ends the sequence. The cursor stays
//     at the last message yielded: the next Sync resumes there.
//
// So a loop over Sync reads:
//
//	for r, err := range c.Sync(ctx, "INBOX", &cursor) {
//		if err != nil {
//			return err // fatal: the sequence is over
//		}
//		if r.Err != nil {
//			log.Print(r.UID, r.Err) // this message only: FetchRaw keeps it
//			continue
//		}
//		handle(r.Message)
//		r.Message.Close()
//	}
//
// Large attachments are kept in temporary files (see mail.ParseOptions):
// Close each Message when done with it, which also lets the next messages
// reuse its memory. The messages left unyielded when the loop stops early
// are closed by Sync.
func (c *Client) Sync(ctx context.Context, folder string, cursor *Cursor) iter.Seq2[*Received, error] {
	return func(yield func(*Received, error) bool) {
		if cursor == nil {
			cursor = &Cursor{}
		}
		var uids []imap.UID
		err := c.withIMAP(ctx, func(ic *imapConn) error {
			// One read-write SELECT, fresh for the UIDVALIDITY, which the
			// fetches below reuse (BODY.PEEK sets no \Seen).
			sel, err := ic.reselect(folder, false)
			if err != nil {
				return err
			}
			cursor.Reset = false
			if cursor.UIDValidity != 0 && cursor.UIDValidity != sel.UIDValidity {
				cursor.Reset, cursor.LastUID = true, 0
			}
			cursor.UIDValidity = sel.UIDValidity
			if sel.NumMessages == 0 {
				return nil
			}
			var set imap.UIDSet
			set.AddRange(imap.UID(cursor.LastUID+1), 0)
			data, err := ic.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{set}}, nil).Wait()
			if err != nil {
				return err
			}
			for _, u := range data.AllUIDs() {
				// "n:*" always matches the last message, even below n.
				if uint32(u) > cursor.LastUID {
					uids = append(uids, u)
				}
			}
			return nil
		})
		c.audit(ctx, "imap.sync", folder, c.imapServer(), err)
		if err != nil {
			yield(nil, err)
			return
		}
		for start := 0; start < len(uids); start += syncBatch {
			batch := uids[start:min(start+syncBatch, len(uids))]
			got, err := c.fetchBatch(ctx, folder, batch)
			if err != nil {
				yield(nil, err)
				return
			}
			for i, r := range got {
				cursor.LastUID = r.UID
				if !yield(r, nil) {
					for _, rest := range got[i+1:] {
						if rest.Message != nil {
							rest.Message.Close()
						}
					}
					return
				}
			}
		}
	}
}

// Fetch reads one message by UID and parses it. It returns the message,
// or an error and no message: a *NotFoundError (ErrNotFound) when the
// folder has no such UID, a fatal error as Sync's, or the message's own
// parse error (a *mail.ParseError or *mail.LimitError; FetchRaw still
// streams its bytes).
func (c *Client) Fetch(ctx context.Context, folder string, uid uint32) (*Received, error) {
	var r *Received
	err := c.withIMAP(ctx, func(ic *imapConn) error {
		if err := c.selectFolder(ic, folder); err != nil {
			return err
		}
		return fetchMany(ic.c, []imap.UID{imap.UID(uid)}, func(rr *Received, body io.Reader) error {
			r = rr
			r.Folder = folder
			raw, err := c.readFetched(body)
			switch {
			case err != nil:
				return err // the connection is gone
			case raw != nil:
				r.Message, r.Err = mail.ParseBytes(raw, c.pooledParseOptions())
			default:
				r.Message, r.Err = mail.Parse(body, c.parseOptions())
			}
			return nil
		})
	})
	if err == nil && r == nil {
		err = &NotFoundError{Folder: folder, UID: uid}
	}
	if err == nil && r.Err != nil {
		err, r = r.Err, nil
	}
	if err != nil && r != nil && r.Message != nil {
		r.Message.Close() // the connection failed after the message was read
	}
	c.audit(ctx, "imap.fetch", folder+" UID "+strconv.Itoa(int(uid)), c.imapServer(), err)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// syncBatch is how many messages Sync fetches per FETCH command: one
// round trip for many messages, parsed as they stream in, without holding
// the connection while the caller handles them.
const syncBatch = 64

// fetchBatch fetches and parses the messages of uids in one FETCH command,
// in UID order, each with its Message or its Err. UIDs expunged meanwhile
// are left out. A message read into memory is parsed on a second goroutine
// while the next one arrives. The error is fatal: then no message is
// returned.
func (c *Client) fetchBatch(ctx context.Context, folder string, uids []imap.UID) ([]*Received, error) {
	var (
		mu  sync.Mutex
		got []*Received
	)
	add := func(r *Received, m *mail.Message, perr error) {
		r.Message, r.Err = m, perr
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
	}
	type job struct {
		r   *Received
		raw []byte
	}
	jobs := make(chan job, 4)
	var parsing sync.WaitGroup
	parsing.Go(func() {
		for j := range jobs {
			m, perr := mail.ParseBytes(j.raw, c.pooledParseOptions())
			add(j.r, m, perr)
		}
	})
	err := c.withIMAP(ctx, func(ic *imapConn) error {
		if err := c.selectFolder(ic, folder); err != nil {
			return err
		}
		return fetchMany(ic.c, uids, func(r *Received, body io.Reader) error {
			r.Folder = folder
			raw, err := c.readFetched(body)
			switch {
			case err != nil:
				return err // the literal is cut: the connection is gone
			case raw != nil:
				jobs <- job{r, raw}
			default:
				m, perr := mail.Parse(body, c.parseOptions())
				add(r, m, perr)
			}
			return nil
		})
	})
	close(jobs)
	parsing.Wait()
	object := fmt.Sprintf("%s UIDs %d:%d", folder, uids[0], uids[len(uids)-1])
	c.audit(ctx, "imap.fetch", object, c.imapServer(), err)
	if err != nil {
		for _, r := range got {
			if r.Message != nil {
				r.Message.Close()
			}
		}
		return nil, err
	}
	sort.Slice(got, func(i, j int) bool { return got[i].UID < got[j].UID })
	return got, nil
}

// readFetched reads a message no larger than the spool threshold (1 MiB
// by default) into a pooled buffer, to be parsed in place by ParseBytes,
// which saves copying its attachments. It returns nil for a larger message,
// to be parsed from the stream.
func (c *Client) readFetched(body io.Reader) ([]byte, error) {
	lit, ok := body.(imap.LiteralReader)
	if !ok || lit.Size() > mail.DefaultSpoolThreshold || lit.Size() > c.cfg.MaxMessageBytes {
		return nil, nil
	}
	raw := mimeparse.GetBuffer(int(lit.Size()))
	if _, err := io.ReadFull(body, raw); err != nil {
		mimeparse.PutBuffer(raw)
		return nil, err // the literal is cut: the connection is gone (withIMAP makes it a *ConnectError)
	}
	return raw, nil
}

// pooledParseOptions are parseOptions for a message read by readFetched:
// its buffer goes back to the pool when the message is done with it.
func (c *Client) pooledParseOptions() *mail.ParseOptions {
	o := c.parseOptions()
	o.Release = mimeparse.PutBuffer
	return o
}

// parseOptions are the bounds of messages read from the server.
func (c *Client) parseOptions() *mail.ParseOptions {
	return &mail.ParseOptions{MaxMessageBytes: c.cfg.MaxMessageBytes}
}

// FetchRaw streams the raw message to w, unparsed: to keep it, to attach
// it to an MDN as the CI-SIS requires, or to look at a message that Sync
// or Fetch could not parse. A UID not in the folder gives a
// *NotFoundError (ErrNotFound).
func (c *Client) FetchRaw(ctx context.Context, folder string, uid uint32, w io.Writer) error {
	found := false
	err := c.withIMAP(ctx, func(ic *imapConn) error {
		if err := c.selectFolder(ic, folder); err != nil {
			return err
		}
		return fetchMany(ic.c, []imap.UID{imap.UID(uid)}, func(_ *Received, body io.Reader) error {
			found = true
			_, err := io.Copy(w, body)
			return err
		})
	})
	if err == nil && !found {
		err = &NotFoundError{Folder: folder, UID: uid}
	}
	c.audit(ctx, "imap.fetch-raw", folder+" UID "+strconv.Itoa(int(uid)), c.imapServer(), err)
	return err
}

// selectFolder selects folder read-write unless it already is.
func (c *Client) selectFolder(ic *imapConn, folder string) error {
	_, err := ic.selectFolder(folder, false)
	return err
}

// fetchMany fetches UID, FLAGS, RFC822.SIZE and BODY.PEEK[] of messages
// and hands each body stream to f while it is read from the network. The
// literal is read before the next item is asked for, as go-imap requires.
// After an error of f the remaining messages are drained, not handed over.
func fetchMany(cl *imapclient.Client, uids []imap.UID, f func(r *Received, body io.Reader) error) error {
	cmd := cl.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{
		UID: true, Flags: true, RFC822Size: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	})
	var ferr error
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		r := &Received{}
		var handled bool
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				r.UID = uint32(it.UID)
			case imapclient.FetchItemDataFlags:
				for _, fl := range it.Flags {
					if !strings.EqualFold(string(fl), `\Recent`) {
						r.Flags = append(r.Flags, string(fl))
					}
				}
			case imapclient.FetchItemDataRFC822Size:
				r.Size = it.Size
			case imapclient.FetchItemDataBodySection:
				if it.Literal != nil && !handled && ferr == nil {
					handled = true
					ferr = f(r, it.Literal)
					io.Copy(io.Discard, it.Literal)
				}
			}
		}
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	return ferr
}

// SearchMessageID returns the UIDs of the messages of folder whose
// Message-ID header is id (with or without angle brackets).
func (c *Client) SearchMessageID(ctx context.Context, folder, id string) ([]uint32, error) {
	var out []uint32
	id = strings.Trim(id, "<>")
	if err := mail.CheckMessageID(id); err != nil {
		return nil, err
	}
	id = "<" + id + ">"
	err := c.withIMAP(ctx, func(ic *imapConn) error {
		if err := c.selectFolder(ic, folder); err != nil {
			return err
		}
		data, err := ic.c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}}}, nil).Wait()
		if err != nil {
			return err
		}
		for _, u := range data.AllUIDs() {
			out = append(out, uint32(u))
		}
		return nil
	})
	c.audit(ctx, "imap.search", folder+" "+id, c.imapServer(), err)
	return out, err
}

// Standard flags.
const (
	FlagSeen     = `\Seen`
	FlagFlagged  = `\Flagged`
	FlagAnswered = `\Answered`
	FlagDeleted  = `\Deleted`
)

// SetFlags adds (add true) or removes flags on messages of folder.
func (c *Client) SetFlags(ctx context.Context, folder string, uids []uint32, add bool, flags ...string) error {
	op := imap.StoreFlagsAdd
	if !add {
		op = imap.StoreFlagsDel
	}
	fl := make([]imap.Flag, len(flags))
	for i, f := range flags {
		fl[i] = imap.Flag(f)
	}
	err := c.withIMAP(ctx, func(ic *imapConn) error {
		if err := c.selectFolder(ic, folder); err != nil {
			return err
		}
		return ic.c.Store(uidSet(uids), &imap.StoreFlags{Op: op, Silent: true, Flags: fl}, nil).Close()
	})
	c.audit(ctx, "imap.store", fmt.Sprintf("%s UIDs %v %v %v", folder, uids, add, flags), c.imapServer(), err)
	return err
}

// MarkSeen sets \Seen on messages.
func (c *Client) MarkSeen(ctx context.Context, folder string, uids ...uint32) error {
	return c.SetFlags(ctx, folder, uids, true, FlagSeen)
}

// MoveResult tells what a move did.
type MoveResult struct {
	// DestUIDs are the UIDs of the messages in the destination, in the
	// order of the source UIDs, when the server reports them (UIDPLUS).
	DestUIDs []uint32
	// Expunged reports that the messages left the source folder. False
	// when the server offers neither MOVE nor UIDPLUS: the messages were
	// copied and flagged \Deleted, but not expunged, because a plain
	// EXPUNGE would also remove other messages flagged \Deleted.
	Expunged bool

	sourceUIDs []uint32 // of the COPYUID response
	uidPlus    bool     // the server sends COPYUID (none: nothing moved)
}

// Move moves messages to another folder: MOVE when the server has it, else
// UID COPY, STORE \Deleted and UID EXPUNGE of exactly these UIDs (UIDPLUS).
// It never runs a plain EXPUNGE: without MOVE and UIDPLUS the messages are
// only copied and flagged (see MoveResult.Expunged).
func (c *Client) Move(ctx context.Context, folder string, uids []uint32, dest string) (*MoveResult, error) {
	res := &MoveResult{}
	err := c.withIMAP(ctx, func(ic *imapConn) error {
		if err := c.selectFolder(ic, folder); err != nil {
			return err
		}
		set := uidSet(uids)
		caps := ic.c.Caps()
		res.uidPlus = caps.Has(imap.CapUIDPlus) || caps.Has(imap.CapIMAP4rev2)
		switch {
		case caps.Has(imap.CapMove) || caps.Has(imap.CapIMAP4rev2):
			data, err := ic.c.Move(set, dest).Wait()
			if err != nil {
				return folderError(ic.server, "MOVE", dest, err)
			}
			res.Expunged = true
			res.DestUIDs = numSetUIDs(data.DestUIDs)
			res.sourceUIDs = numSetUIDs(data.SourceUIDs)
		default:
			data, err := ic.c.Copy(set, dest).Wait()
			if err != nil {
				return folderError(ic.server, "COPY", dest, err)
			}
			res.DestUIDs = numSetUIDs(data.DestUIDs)
			res.sourceUIDs = numSetUIDs(data.SourceUIDs)
			if err := ic.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
				return err
			}
			if caps.Has(imap.CapUIDPlus) {
				if err := ic.c.UIDExpunge(set).Close(); err != nil {
					return err
				}
				res.Expunged = true
			}
		}
		return nil
	})
	c.audit(ctx, "imap.move", fmt.Sprintf("%s UIDs %v to %s", folder, uids, dest), c.imapServer(), err)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Delete removes messages: moved to trash when trash is not empty (and
// different from folder), else flagged \Deleted and expunged by UID
// (UIDPLUS; without it they stay flagged and ErrCapability is returned).
//
// A UID that is not in the folder (already deleted, moved by another
// client) gives a *NotFoundError for the first such UID; the others are
// deleted all the same. When moving to trash, the server tells which
// messages it moved only with UIDPLUS (COPYUID): without it, missing UIDs
// go unnoticed.
func (c *Client) Delete(ctx context.Context, folder string, uids []uint32, trash string) error {
	if trash != "" && trash != folder {
		res, err := c.Move(ctx, folder, uids, trash)
		if err == nil && !res.Expunged {
			err = &CapabilityError{Server: c.imapServer(), Capability: "MOVE or UIDPLUS"}
		}
		if err == nil && res.uidPlus {
			err = missingUID(folder, uids, res.sourceUIDs)
		}
		return err
	}
	err := c.withIMAP(ctx, func(ic *imapConn) error {
		if err := c.selectFolder(ic, folder); err != nil {
			return err
		}
		set := uidSet(uids)
		// Not silent: the server answers with the FETCH FLAGS of each
		// message it flagged, which tells the UIDs that exist.
		msgs, err := ic.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Collect()
		if err != nil {
			return err
		}
		var found []uint32
		for _, m := range msgs {
			found = append(found, uint32(m.UID))
		}
		if !ic.c.Caps().Has(imap.CapUIDPlus) && !ic.c.Caps().Has(imap.CapIMAP4rev2) {
			return &CapabilityError{Server: ic.server, Capability: "UIDPLUS"}
		}
		if err := ic.c.UIDExpunge(set).Close(); err != nil {
			return err
		}
		return missingUID(folder, uids, found)
	})
	c.audit(ctx, "imap.delete", fmt.Sprintf("%s UIDs %v", folder, uids), c.imapServer(), err)
	return err
}

// missingUID returns a *NotFoundError for the first of uids not in found.
func missingUID(folder string, uids, found []uint32) error {
	for _, u := range uids {
		if !slices.Contains(found, u) {
			return &NotFoundError{Folder: folder, UID: u}
		}
	}
	return nil
}

// Append stores a message in a folder (e.g. a copy in Sent) and returns its
// UID when the server reports it.
func (c *Client) Append(ctx context.Context, folder string, msg *mail.Message) (uint32, error) {
	// IMAP needs the size before the content: encode first, into memory up
	// to DefaultSpoolThreshold and into a temporary file beyond.
	sp := &mimeparse.SpoolWriter{Max: mail.DefaultSpoolThreshold}
	defer sp.Close()
	if err := msg.Encode(sp, nil); err != nil {
		return 0, err
	}
	body, size, err := sp.Reader()
	if err != nil {
		return 0, err
	}
	var uid uint32
	err = c.withIMAP(ctx, func(ic *imapConn) error {
		cmd := ic.c.Append(folder, size, &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}})
		if _, err := io.Copy(cmd, body); err != nil {
			cmd.Close()
			return err
		}
		if err := cmd.Close(); err != nil {
			return folderError(ic.server, "APPEND", folder, err)
		}
		data, err := cmd.Wait()
		if err != nil {
			return folderError(ic.server, "APPEND", folder, err)
		}
		uid = uint32(data.UID)
		return nil
	})
	c.audit(ctx, "imap.append", folder+" "+msg.MessageID, c.imapServer(), err)
	return uid, err
}

func uidSet(uids []uint32) imap.UIDSet {
	var s imap.UIDSet
	for _, u := range uids {
		s.AddNum(imap.UID(u))
	}
	return s
}

func numSetUIDs(ns imap.NumSet) []uint32 {
	us, ok := ns.(imap.UIDSet)
	if !ok {
		return nil
	}
	nums, ok := us.Nums()
	if !ok {
		return nil
	}
	out := make([]uint32, len(nums))
	for i, n := range nums {
		out[i] = uint32(n)
	}
	return out
}

// imapServer names the IMAP server for audit events: the configured one,
// or the one DNS SRV discovery led to, "" before the first connection.
func (c *Client) imapServer() string {
	if c.cfg.Operator.IMAP != "" {
		return c.cfg.Operator.IMAP
	}
	if p := c.imapAddr.Load(); p != nil {
		return *p
	}
	return ""
}
