package interop_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/mailserver"
	"github.com/mssante-go/sdk/mssante"
)

// The IMAP server's folders, UID sync, flags, search by Message-ID, MOVE
// (or its fallbacks), FETCH and delete, as the SDK uses them; on Cyrus also
// without MOVE, without UIDPLUS and without both.
func TestIMAPOperations(t *testing.T) {
	run(t, append(pairs(), withoutMove, withoutUIDPlus, withoutMoveUIDPlus), nil, testIMAPOperations)
}

func testIMAPOperations(t *testing.T, v variant, s *mailserver.Server) {
	a := user(t, s, drA)
	b := user(t, s, drB)

	folders, err := b.Folders(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string][]string{}
	for _, f := range folders {
		attrs[f.Name] = f.Attributes
	}
	for _, name := range []string{"INBOX", "Sent", "Trash"} {
		if _, ok := attrs[name]; !ok {
			t.Fatalf("folders %+v: no %s", folders, name)
		}
	}
	if !slices.Contains(attrs["Sent"], `\Sent`) || !slices.Contains(attrs["Trash"], `\Trash`) {
		t.Errorf("special-use attributes lost: %+v", folders)
	}

	var ids []string
	for i := 0; i < 3; i++ {
		m := textMessage(drB)
		m.RequestDeliveryReceipt = false
		send(t, a, m)
		ids = append(ids, m.MessageID)
	}
	var cur mssante.Cursor
	got := receive(t, b, "INBOX", &cur, 3)
	if len(got) != 3 || cur.UIDValidity == 0 || cur.Reset {
		t.Fatalf("first sync: %d messages, cursor %+v", len(got), cur)
	}
	// The MTA may deliver the three in any order: map them by Message-ID.
	uid := map[string]uint32{}
	for i, r := range got {
		if i > 0 && r.UID <= got[i-1].UID {
			t.Fatalf("Sync not in UID order: %d after %d", r.UID, got[i-1].UID)
		}
		if r.Seen() {
			t.Errorf("Sync marked %d \\Seen", r.UID)
		}
		// \Recent is the session's, not the message's (RFC 9051 dropped
		// it): Cyrus sets it on new mail, the SDK leaves it out (issue 22,
		// item 4).
		if slices.ContainsFunc(r.Flags, func(f string) bool { return strings.EqualFold(f, `\Recent`) }) {
			t.Errorf("Received.Flags of %d has \\Recent: %v", r.UID, r.Flags)
		}
		uid[r.Message.MessageID] = r.UID
	}
	for _, id := range ids {
		if uid[id] == 0 {
			t.Fatalf("message %s not received", id)
		}
	}
	if cur.LastUID != got[2].UID {
		t.Fatalf("cursor %+v after UIDs up to %d", cur, got[2].UID)
	}

	// UID sync: nothing new, then only the new message.
	for r, err := range b.Sync(ctx(t), "INBOX", &cur) {
		t.Fatalf("second sync returned %v %v", r, err)
	}
	m := textMessage(drB)
	m.RequestDeliveryReceipt = false
	send(t, a, m)
	if more := receive(t, b, "INBOX", &cur, 1); len(more) != 1 || more[0].Message.MessageID != m.MessageID || more[0].UID <= got[2].UID {
		t.Fatalf("incremental sync returned %d messages", len(more))
	}
	last := cur.LastUID

	// Search by Message-ID.
	if uids, err := b.SearchMessageID(ctx(t), "INBOX", ids[1]); err != nil || len(uids) != 1 || uids[0] != uid[ids[1]] {
		t.Fatalf("search %s: %v %v, want [%d]", ids[1], uids, err, uid[ids[1]])
	}
	if uids, err := b.SearchMessageID(ctx(t), "INBOX", "absent@medecin.mssante.fr"); err != nil || len(uids) != 0 {
		t.Fatalf("search of an absent Message-ID: %v %v", uids, err)
	}

	// Flags.
	if err := b.MarkSeen(ctx(t), "INBOX", uid[ids[0]]); err != nil {
		t.Fatal(err)
	}
	if err := b.SetFlags(ctx(t), "INBOX", []uint32{uid[ids[0]]}, true, mssante.FlagFlagged); err != nil {
		t.Fatal(err)
	}
	r, err := b.Fetch(ctx(t), "INBOX", uid[ids[0]])
	if err != nil || !r.Seen() || !slices.Contains(r.Flags, mssante.FlagFlagged) {
		t.Fatalf("flags after MarkSeen and SetFlags: %v %v", r, err)
	}
	if err := b.SetFlags(ctx(t), "INBOX", []uint32{uid[ids[0]]}, false, mssante.FlagFlagged); err != nil {
		t.Fatal(err)
	}
	if r, err := b.Fetch(ctx(t), "INBOX", uid[ids[0]]); err != nil || slices.Contains(r.Flags, mssante.FlagFlagged) {
		t.Fatalf("flag not removed: %v %v", r.Flags, err)
	}

	// MOVE to Trash (or UID COPY, STORE and UID EXPUNGE without MOVE, or
	// only the copy and the flag without UIDPLUS either); another message
	// flagged \Deleted by someone else must survive it (no plain EXPUNGE).
	if err := b.SetFlags(ctx(t), "INBOX", []uint32{uid[ids[2]]}, true, mssante.FlagDeleted); err != nil {
		t.Fatal(err)
	}
	res, err := b.Move(ctx(t), "INBOX", []uint32{uid[ids[1]]}, "Trash")
	if err != nil {
		t.Fatal(err)
	}
	expunges := v.has("MOVE") || v.has("UIDPLUS")
	if res.Expunged != expunges || (expunges && len(res.DestUIDs) != 1) {
		t.Fatalf("Move with MOVE %v, UIDPLUS %v: %+v", v.has("MOVE"), v.has("UIDPLUS"), res)
	}
	if inTrash, err := b.SearchMessageID(ctx(t), "Trash", ids[1]); err != nil || len(inTrash) != 1 || (len(res.DestUIDs) == 1 && inTrash[0] != res.DestUIDs[0]) {
		t.Fatalf("in Trash: %v %v, want %v", inTrash, err, res.DestUIDs)
	}
	var nf *mssante.NotFoundError
	if r, err := b.Fetch(ctx(t), "INBOX", uid[ids[1]]); expunges && !errors.As(err, &nf) {
		t.Fatalf("moved message still in INBOX: %v", err)
	} else if !expunges && (err != nil || !slices.Contains(r.Flags, mssante.FlagDeleted)) {
		t.Fatalf("without MOVE and UIDPLUS the source stays, flagged \\Deleted: %v %v", r, err)
	}
	if _, err := b.Fetch(ctx(t), "INBOX", uid[ids[2]]); err != nil {
		t.Fatalf("collateral expunge of %d: %v", uid[ids[2]], err)
	}

	// Raw fetch.
	var raw bytes.Buffer
	if err := b.FetchRaw(ctx(t), "INBOX", uid[ids[0]], &raw); err != nil || !bytes.Contains(raw.Bytes(), []byte(ids[0])) || !bytes.HasPrefix(raw.Bytes(), []byte("Return-Path: <"+drA+">")) {
		t.Fatalf("raw: %v\n%.300s", err, raw.String())
	}

	// Delete by UID (UID EXPUNGE): only the given message goes. Without
	// UIDPLUS it stays, flagged \Deleted, and Delete says why.
	err = b.Delete(ctx(t), "INBOX", []uint32{last}, "")
	if !v.has("UIDPLUS") {
		var ce *mssante.CapabilityError
		if !errors.As(err, &ce) || !errors.Is(err, mssante.ErrCapability) || ce.Capability != "UIDPLUS" {
			t.Fatalf("Delete without UIDPLUS: %v", err)
		}
		if r, err := b.Fetch(ctx(t), "INBOX", last); err != nil || !slices.Contains(r.Flags, mssante.FlagDeleted) {
			t.Fatalf("Delete without UIDPLUS: %v %v", r, err)
		}
	} else if err != nil {
		t.Fatal(err)
	} else if _, err := b.Fetch(ctx(t), "INBOX", last); !errors.As(err, &nf) {
		t.Fatalf("deleted message still there: %v", err)
	}
	if _, err := b.Fetch(ctx(t), "INBOX", uid[ids[2]]); err != nil {
		t.Fatalf("Delete expunged another message: %v", err)
	}

	// Append a copy to Sent.
	copyMsg := textMessage(drA)
	copyMsg.From = b.Address()
	sentUID, err := b.Append(ctx(t), "Sent", copyMsg)
	if err != nil || sentUID == 0 {
		t.Fatalf("append: UID %d, %v", sentUID, err)
	}
	sent := receive(t, b, "Sent", &mssante.Cursor{}, 1)
	if sent[0].UID != sentUID || sent[0].Message.MessageID != copyMsg.MessageID || !sent[0].Seen() {
		t.Fatalf("Sent: UID %d %s seen %v", sent[0].UID, sent[0].Message.MessageID, sent[0].Seen())
	}
}

// A folder deleted and created again has a new UIDVALIDITY: Sync sees it,
// sets Reset and starts over.
func TestUIDValidityChange(t *testing.T) {
	run(t, pairs(), nil, testUIDValidityChange)
}

func testUIDValidityChange(t *testing.T, v variant, s *mailserver.Server) {
	b := user(t, s, drB)
	const folder = "Archives"
	s.CreateFolder(t, drB, folder)

	appendOne := func() string {
		m := textMessage(drA)
		m.From = b.Address()
		if _, err := b.Append(ctx(t), folder, m); err != nil {
			t.Fatal(err)
		}
		return m.MessageID
	}
	appendOne()
	var cur mssante.Cursor
	if got := receive(t, b, folder, &cur, 1); len(got) != 1 || cur.Reset {
		t.Fatalf("first sync: %d messages, cursor %+v", len(got), cur)
	}
	old := cur

	// Recreate the folder behind the client's back, as an operator's
	// restore or migration would. The client's session first leaves the
	// folder: Dovecot 2.3 fails (SERVERBUG, "duplicate transaction log
	// sequence") on a folder recreated while a session has it selected.
	for _, err := range b.Sync(ctx(t), "INBOX", &mssante.Cursor{}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	s.DeleteFolder(t, drB, folder)
	s.CreateFolder(t, drB, folder)
	id := appendOne()
	got := receive(t, b, folder, &cur, 1)
	if len(got) != 1 || !cur.Reset || cur.UIDValidity == old.UIDValidity || cur.LastUID != got[0].UID || got[0].Message.MessageID != id {
		t.Fatalf("after the UIDVALIDITY change: %d messages, cursor %+v (was %+v)", len(got), cur, old)
	}
	t.Logf("UIDVALIDITY %d -> %d", old.UIDValidity, cur.UIDValidity)
}

// IDLE wakes the watcher when the MTA delivers a new message.
func TestWatchIdle(t *testing.T) {
	run(t, pairs(), nil, testWatchIdle)
}

func testWatchIdle(t *testing.T, v variant, s *mailserver.Server) {
	a := user(t, s, drA)
	b := user(t, s, drB)
	wctx, cancel := context.WithCancel(ctx(t))
	defer cancel()
	events := make(chan mssante.WatchEvent, 16)
	done := make(chan error, 1)
	go func() { done <- b.Watch(wctx, "INBOX", nil, func(e mssante.WatchEvent) { events <- e }) }()

	// The IDLE connection may not be up yet when the first message lands
	// (it is then counted by its SELECT and gives no event): send until an
	// event comes.
	deadline := time.Now().Add(tick)
	for {
		m := textMessage(drB)
		m.RequestDeliveryReceipt = false
		send(t, a, m)
		select {
		case e := <-events:
			if e.Folder != "INBOX" || e.Messages == 0 || e.Reconnected {
				t.Fatalf("event %+v", e)
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("Watch returned %v", err)
			}
			got := receive(t, b, "INBOX", &mssante.Cursor{}, int(e.Messages))
			if len(got) < int(e.Messages) || !strings.EqualFold(got[0].Message.From.Addr, drA) {
				t.Fatalf("after the event: %d messages", len(got))
			}
			return
		case <-time.After(time.Second):
			if time.Now().After(deadline) {
				t.Fatal("no IDLE event")
			}
		}
	}
}
