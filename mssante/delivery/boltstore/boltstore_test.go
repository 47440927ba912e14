package boltstore_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/boltstore"
	"github.com/mssante-go/sdk/mssante/delivery/storetest"
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

// The bbolt store keeps the Store contract. One process holds the file:
// the suite's second handle is the store itself.
func TestStoreContract(t *testing.T) {
	storetest.TestStore(t, func(t *testing.T) delivery.Store { return openStore(t, filepath.Join(t.TempDir(), "s.db")) }, nil)
}

func TestReopenAndReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.CreateMessage(ctx, &delivery.TrackedMessage{MessageID: "a@x"}); err != nil {
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
	if _, err := ro.Message(ctx, "a@x"); err != nil {
		t.Fatal(err)
	}
	if _, err := ro.CreateMessage(ctx, &delivery.TrackedMessage{MessageID: "b@x"}); !errors.Is(err, boltstore.ErrReadOnly) {
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
	bigBody := make([]byte, 3<<20)
	for i := 0; ; i++ {
		id := strconv.Itoa(i)
		// Every third body spans several transactions.
		b := body
		if i%3 == 0 {
			b = bigBody
		}
		if err := s.AddOutbox(ctx, &delivery.OutboxEntry{MessageID: id, State: delivery.OutboxPending}, bytes.NewReader(b), delivery.AddOptions{}); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		if _, err := s.CreateMessage(ctx, &delivery.TrackedMessage{MessageID: id}); err != nil {
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
		entries, err := s.ListOutbox(ctx, delivery.OutboxQuery{Limit: delivery.MaxPageLimit})
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := s.Messages(ctx, delivery.MessageQuery{Limit: delivery.MaxPageLimit})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries.Entries) < last+1 || len(msgs.Messages) < last+1 {
			t.Fatalf("round %d: committed %d, found %d entries %d messages", round, last+1, len(entries.Entries), len(msgs.Messages))
		}
		wantBlocks := 0
		for _, e := range entries.Entries {
			wantBlocks += int((e.Size + boltstore.BlockSize - 1) / boltstore.BlockSize)
			n, _ := strconv.Atoi(e.MessageID)
			want := 64 << 10
			if n%3 == 0 {
				want = 3 << 20
			}
			rc, err := s.OutboxBody(ctx, e.MessageID)
			if err != nil {
				t.Fatalf("entry %s without its body: %v", e.MessageID, err)
			}
			b, err := io.ReadAll(rc)
			if err != nil || len(b) != want || e.Size != int64(want) {
				t.Fatalf("entry %s: body of %d bytes (size %d), want %d: %v", e.MessageID, len(b), e.Size, want, err)
			}
		}
		// The blocks of an add the kill cut short are gone.
		if blocks, adding, err := boltstore.Blocks(s); err != nil || blocks != wantBlocks || adding != 0 {
			t.Fatalf("round %d: %d blocks stored, %d adds unfinished, want %d and 0 (%v)", round, blocks, adding, wantBlocks, err)
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

// The tracker's work on the bbolt store does not grow with the messages
// (1,000,000 with MSSANTE_LONG=1).
func TestScale(t *testing.T) {
	n := 20_000
	if os.Getenv("MSSANTE_LONG") != "" {
		n = 1_000_000
	}
	s := openStore(t, filepath.Join(t.TempDir(), "scale.db"))
	f := storetest.TestScale(t, s, &storetest.ScaleOptions{Messages: n, Load: s.Import})
	t.Log("bbolt: ", f)
}
