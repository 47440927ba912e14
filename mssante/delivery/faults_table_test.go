package delivery_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

var updateRobustness = flag.Bool("update-robustness", false, "rewrite the fault table in ../../ROBUSTNESS.md")

// faultRow is one injected fault and what the caller and the outbox made
// of it.
type faultRow struct {
	fault, seen, outbox string
}

// TestFaultTable injects each fault of the operator into a real session and
// records what the caller sees and, through the outbox, that no message is
// lost and none duplicated outside the documented window. It regenerates
// the fault table of ROBUSTNESS.md with -update-robustness.
func TestFaultTable(t *testing.T) {
	var rows []faultRow
	smtpFaults := []struct {
		name      string
		fault     *mssantetest.Fault
		copies    int // copies the recipient ends with
		state     delivery.State
		uncertain bool
	}{
		{"drop after greeting", &mssantetest.Fault{Stage: mssantetest.StageGreeting, Drop: true}, 1, delivery.StateSubmitted, false},
		{"drop at AUTH", &mssantetest.Fault{Stage: mssantetest.StageAuth, Drop: true}, 1, delivery.StateSubmitted, false},
		{"drop after MAIL", &mssantetest.Fault{Stage: mssantetest.StageMail, Drop: true}, 1, delivery.StateSubmitted, false},
		{"drop after RCPT", &mssantetest.Fault{Stage: mssantetest.StageRcpt, Drop: true}, 1, delivery.StateSubmitted, false},
		{"drop during DATA (after 354, content not read)", &mssantetest.Fault{Stage: mssantetest.StageData, Drop: true}, 1, delivery.StateSubmitted, true},
		{"drop after DATA, before the reply (not delivered)", &mssantetest.Fault{Stage: mssantetest.StageDataEnd, Drop: true}, 1, delivery.StateSubmitted, true},
		{"drop after DATA was accepted, before the 250 arrives", &mssantetest.Fault{Stage: mssantetest.StageDataAccepted, Drop: true}, 2, delivery.StateSubmitted, true},
		{"421 at MAIL", &mssantetest.Fault{Stage: mssantetest.StageMail, Code: 421, Enhanced: [3]int{4, 7, 0}, Message: "try later"}, 1, delivery.StateSubmitted, false},
		{"451 at DATA", &mssantetest.Fault{Stage: mssantetest.StageData, Code: 451, Enhanced: [3]int{4, 3, 0}, Message: "local error"}, 1, delivery.StateSubmitted, false},
		{"550 at RCPT", &mssantetest.Fault{Stage: mssantetest.StageRcpt, Code: 550, Enhanced: [3]int{5, 1, 1}, Message: "no such user"}, 0, delivery.StateFailed, false},
		{"552 at DATA", &mssantetest.Fault{Stage: mssantetest.StageData, Code: 552, Enhanced: [3]int{5, 3, 4}, Message: "too big"}, 0, delivery.StateFailed, false},
		{"operator unreachable for a minute (greeting dropped 3 times, backoff 20 s on the fake clock)", &mssantetest.Fault{Stage: mssantetest.StageGreeting, Drop: true, Times: 3}, 1, delivery.StateSubmitted, false},
	}
	for _, f := range smtpFaults {
		t.Run(f.name, func(t *testing.T) {
			e := newObxEnv(t, &delivery.OutboxOptions{MinBackoff: 20 * time.Second, MaxBackoff: 20 * time.Second}, true)
			e.s.InjectFault(f.fault)
			ctx := trkCtx(t)
			id, err := e.ob.Send(ctx, trkMessage(false, false, trkB))
			if err != nil {
				t.Fatal(err)
			}
			var seen string
			e.settle(t, 20*time.Second, e.empty)
			st := e.ob.Stats()
			copies := copiesOf(t, e.s, trkB, id)
			r, err := e.tr.Recipient(ctx, id, trkB)
			if err != nil {
				t.Fatal(err)
			}
			if copies != f.copies || r.State != f.state || (st.ResentUncertain > 0) != f.uncertain {
				t.Fatalf("copies %d state %s stats %+v", copies, r.State, st)
			}
			lost := copies == 0 && r.State != delivery.StateFailed
			if lost {
				t.Fatal("message lost")
			}
			switch {
			case r.State == delivery.StateFailed:
				seen = "permanent: recipient failed (" + strings.TrimPrefix(r.Reason, "mssante: ") + ")"
			case st.Retries > 0:
				seen = fmt.Sprintf("temporary: %d retr%s, then accepted", st.Retries, map[bool]string{true: "y", false: "ies"}[st.Retries == 1])
			}
			if f.uncertain {
				seen += "; outcome unknown, so sent again (`ResentUncertain`)"
			}
			dup := "0 duplicated"
			if copies > 1 {
				dup = fmt.Sprintf("%d copies, same Message-ID (the documented window)", copies)
			}
			rows = append(rows, faultRow{f.name, seen, fmt.Sprintf("0 lost, %s", dup)})
		})
	}

	// A token that expires during the session: the next connection asks the
	// token source again.
	t.Run("expired OAuth token", func(t *testing.T) {
		e := newObxEnv(t, nil, true)
		ctx := trkCtx(t)
		tok, _ := e.s.TokenSource(trkA).Token()
		e.s.RevokeToken(tok.AccessToken)
		id, err := e.ob.Send(ctx, trkMessage(false, false, trkB))
		if err != nil {
			t.Fatal(err)
		}
		e.settle(t, time.Minute, e.empty)
		if n := copiesOf(t, e.s, trkB, id); n != 1 {
			t.Fatalf("%d copies", n)
		}
		rows = append(rows, faultRow{"expired OAuth token", "the client asks the token source again and logs in (XOAUTH2 401, one retry)", "0 lost, 0 duplicated"})
	})

	// A server whose certificate does not chain to the anchors.
	t.Run("TLS handshake failure", func(t *testing.T) {
		e := newObxEnv(t, nil, false)
		other, _ := testpki.New(&testpki.Options{Name: "AUTRE"})
		cfg := e.s.MustConfig(trkA)
		cfg.RootCAs = other.Pool()
		c, err := mssante.NewClient(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx := trkCtx(t)
		if _, err := c.Send(ctx, trkMessage(false, false, trkB)); !errors.Is(err, mssante.ErrTLS) {
			t.Fatalf("%v", err)
		}
		ob, err := delivery.NewOutbox(c, e.tr, &delivery.OutboxOptions{Clock: e.clock})
		if err != nil {
			t.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- ob.Run(runCtx) }()
		defer func() { cancel(); <-done }()
		id, err := ob.Send(ctx, trkMessage(false, false, trkB))
		if err != nil {
			t.Fatal(err)
		}
		e.ob = ob
		e.settle(t, 0, e.empty)
		if st := ob.Stats(); st.Failed != 1 || st.Retries != 0 || copiesOf(t, e.s, trkB, id) != 0 {
			t.Fatalf("stats %+v", st)
		}
		if r, _ := e.tr.Recipient(ctx, id, trkB); r.State != delivery.StateFailed {
			t.Fatalf("state %+v", r)
		}
		rows = append(rows, faultRow{"TLS handshake failure (untrusted certificate)", "`mssante.TLSError` naming the certificate; nothing sent", "permanent: the outbox fails the message at once, no retry against an untrusted server; 0 lost (recorded failed)"})
	})

	// IMAP: a drop during FETCH, during IDLE, a renumbered folder.
	t.Run("IMAP drop during FETCH", func(t *testing.T) {
		e := newTrkEnv(t, nil)
		for i := 0; i < 3; i++ {
			e.a.Send(trkCtx(t), trkMessage(false, false, trkB))
		}
		e.s.InjectFault(&mssantetest.Fault{Stage: mssantetest.StageFetch, Drop: true})
		var cur mssante.Cursor
		var got int
		var firstErr error
		for r, err := range e.b.Sync(trkCtx(t), "INBOX", &cur) {
			if r == nil {
				firstErr = err
				break
			}
			got++
		}
		if !errors.Is(firstErr, mssante.ErrConnect) {
			t.Fatalf("first sync: %v", firstErr)
		}
		for r, err := range e.b.Sync(trkCtx(t), "INBOX", &cur) {
			if r == nil {
				t.Fatal(err)
			}
			got++
		}
		if got != 3 {
			t.Fatalf("%d messages", got)
		}
		rows = append(rows, faultRow{"IMAP drop during FETCH", "`Sync` ends with a `ConnectError`; the cursor stays at the last message yielded", "the next `Sync` reconnects and resumes: 0 lost, 0 repeated"})
	})
	t.Run("IMAP drop during IDLE", func(t *testing.T) {
		e := newTrkEnv(t, nil)
		e.s.InjectFault(&mssantetest.Fault{Stage: mssantetest.StageIdle, Drop: true})
		ctx, cancel := context.WithCancel(trkCtx(t))
		events := make(chan mssante.WatchEvent, 4)
		done := make(chan error, 1)
		go func() {
			done <- e.b.Watch(ctx, "INBOX", &mssante.WatchOptions{MinBackoff: 10 * time.Millisecond}, func(ev mssante.WatchEvent) { events <- ev })
		}()
		select {
		case ev := <-events:
			if !ev.Reconnected {
				t.Fatalf("%+v", ev)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no reconnection")
		}
		cancel()
		<-done
		rows = append(rows, faultRow{"IMAP drop during IDLE", "`Watch` reconnects with backoff and reports `Reconnected` (changes may have been missed)", "the caller syncs: 0 lost"})
	})
	t.Run("UIDVALIDITY change", func(t *testing.T) {
		e := newTrkEnv(t, nil)
		e.a.Send(trkCtx(t), trkMessage(false, false, trkB))
		var cur mssante.Cursor
		syncMessages(t, e.b, &cur)
		e.s.RecreateFolder(trkB, "INBOX")
		e.a.Send(trkCtx(t), trkMessage(false, false, trkB))
		if got := syncMessages(t, e.b, &cur); len(got) != 1 || !cur.Reset {
			t.Fatalf("%d, %+v", len(got), cur)
		}
		rows = append(rows, faultRow{"UIDVALIDITY change", "`Cursor.Reset` set; `Sync` starts again from the first message", "0 lost; the caller drops the UIDs it kept"})
	})

	var md strings.Builder
	md.WriteString("| Fault | What the caller sees | With the outbox |\n|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&md, "| %s | %s | %s |\n", r.fault, r.seen, r.outbox)
	}
	syncFaultTable(t, md.String())
}

func syncFaultTable(t *testing.T, table string) {
	const path = "../../ROBUSTNESS.md"
	const begin, end = "<!-- faults:begin -->\n", "<!-- faults:end -->"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no fault table markers", path)
	}
	want := s[:i+len(begin)] + table + s[j:]
	if *updateRobustness {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want != s {
		t.Errorf("%s does not match the fault table (run go test ./mssante/delivery -run TestFaultTable -update-robustness):\n%s", path, table)
	}
}
