package boltstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/boltstore"
)

func openStore(t *testing.T, path string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The same contract for the memory store and the bolt store.
func TestStoreContract(t *testing.T) {
	stores := map[string]func(t *testing.T) delivery.Store{
		"memory": func(t *testing.T) delivery.Store { return delivery.NewMemoryStore() },
		"bolt":   func(t *testing.T) delivery.Store { return openStore(t, filepath.Join(t.TempDir(), "s.db")) },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) { testContract(t, open(t)) })
	}
}

func testContract(t *testing.T, s delivery.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	if _, err := s.LoadMessage(ctx, "a@x"); !errors.Is(err, delivery.ErrUnknownMessage) {
		t.Fatalf("absent: %v", err)
	}
	m := &delivery.TrackedMessage{MessageID: "a@x", Created: t0, Recipients: []delivery.RecipientStatus{{Address: "b@y.fr", State: delivery.StateQueued}}}
	if err := s.SaveMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	m.Recipients[0].State = delivery.StateFailed // the store keeps a copy
	got, err := s.LoadMessage(ctx, "a@x")
	if err != nil || got.Recipients[0].State != delivery.StateQueued || !got.Created.Equal(t0) {
		t.Fatalf("load %+v %v", got, err)
	}
	got.Recipients[0].State = delivery.StateDelivered
	if err := s.SaveMessage(ctx, got); err != nil {
		t.Fatal(err)
	}
	if list, err := s.ListMessages(ctx); err != nil || len(list) != 1 || list[0].Recipients[0].State != delivery.StateDelivered {
		t.Fatalf("list %v %v", list, err)
	}

	e2 := &delivery.OutboxEntry{MessageID: "2@x", Created: t0.Add(time.Second), State: delivery.OutboxPending}
	e1 := &delivery.OutboxEntry{MessageID: "1@x", Created: t0, State: delivery.OutboxPending, Recipients: []string{"b@y.fr"}}
	for _, e := range []*delivery.OutboxEntry{e2, e1} {
		if err := s.AddOutbox(ctx, e, []byte("body of "+e.MessageID)); err != nil {
			t.Fatal(err)
		}
	}
	e1.State = delivery.OutboxInFlight
	if err := s.UpdateOutbox(ctx, e1); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListOutbox(ctx)
	if err != nil || len(list) != 2 || list[0].MessageID != "1@x" || list[0].State != delivery.OutboxInFlight || list[0].Recipients[0] != "b@y.fr" {
		t.Fatalf("outbox %+v %v", list, err)
	}
	if b, err := s.OutboxBody(ctx, "1@x"); err != nil || string(b) != "body of 1@x" {
		t.Fatalf("body %q %v", b, err)
	}
	if err := s.RemoveOutbox(ctx, "1@x"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveOutbox(ctx, "1@x"); err != nil {
		t.Fatalf("second remove: %v", err)
	}
	if _, err := s.OutboxBody(ctx, "1@x"); !errors.Is(err, delivery.ErrUnknownMessage) {
		t.Fatalf("removed body: %v", err)
	}
	if err := s.UpdateOutbox(ctx, e1); !errors.Is(err, delivery.ErrUnknownMessage) {
		t.Fatalf("update removed: %v", err)
	}
	if list, _ := s.ListOutbox(ctx); len(list) != 1 {
		t.Fatalf("outbox after remove: %d", len(list))
	}
}

func TestReopenAndReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.SaveMessage(ctx, &delivery.TrackedMessage{MessageID: "a@x"}); err != nil {
		t.Fatal(err)
	}
	// A second writer waits for the lock, then gives up.
	if _, err := boltstore.Open(path, &boltstore.Options{Timeout: 50 * time.Millisecond}); err == nil {
		t.Fatal("two writers")
	}
	s.Close()
	ro, err := boltstore.Open(path, &boltstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.LoadMessage(ctx, "a@x"); err != nil {
		t.Fatal(err)
	}
	if err := ro.SaveMessage(ctx, &delivery.TrackedMessage{MessageID: "b@x"}); !errors.Is(err, boltstore.ErrReadOnly) {
		t.Fatalf("read-only write: %v", err)
	}
}

// The child of TestCrashDuringWrites: it writes numbered records as fast as
// it can and prints each number once committed.
func TestHelperStoreWriter(t *testing.T) {
	path := os.Getenv("BOLTSTORE_CRASH_FILE")
	if path == "" {
		t.Skip("helper process")
	}
	s, err := boltstore.Open(path, nil)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	ctx := context.Background()
	body := make([]byte, 64<<10)
	for i := 0; ; i++ {
		id := strconv.Itoa(i)
		if err := s.AddOutbox(ctx, &delivery.OutboxEntry{MessageID: id, State: delivery.OutboxPending}, body); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		if err := s.SaveMessage(ctx, &delivery.TrackedMessage{MessageID: id}); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		fmt.Println(i)
	}
}

// A process killed with SIGKILL while writing leaves a file that opens,
// holds every record it reported committed, and no half record.
func TestCrashDuringWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStoreWriter$")
		cmd.Env = append(os.Environ(), "BOLTSTORE_CRASH_FILE="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		last := -1
		for sc.Scan() && last < 20*(round+1) {
			n, err := strconv.Atoi(sc.Text())
			if err != nil {
				t.Fatalf("child: %s", sc.Text())
			}
			last = n
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		s, err := boltstore.Open(path, nil)
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		ctx := context.Background()
		entries, err := s.ListOutbox(ctx)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := s.ListMessages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) < last+1 || len(msgs) < last+1 {
			t.Fatalf("round %d: committed %d, found %d entries %d messages", round, last+1, len(entries), len(msgs))
		}
		for _, e := range entries {
			if b, err := s.OutboxBody(ctx, e.MessageID); err != nil || len(b) != 64<<10 {
				t.Fatalf("entry %s without its body: %v", e.MessageID, err)
			}
		}
		s.Close()
		os.Remove(path) // each round starts a new file, so that "last" counts from 0
	}
}

// The store holds health messages: only its owner may read it.
func TestFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("store file mode %v, want no access for group and others", fi.Mode().Perm())
	}
}
