package delivery_test

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/boltstore"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// Environment of the crash child: what it needs to reach the parent's
// operator and where to stop.
const (
	envCrashStep     = "MSSANTE_CRASH_STEP"
	envCrashSMTP     = "MSSANTE_CRASH_SMTP"
	envCrashRoot     = "MSSANTE_CRASH_ROOT"
	envCrashPassword = "MSSANTE_CRASH_PASSWORD"
	envCrashStore    = "MSSANTE_CRASH_STORE"
	envCrashID       = "MSSANTE_CRASH_ID"
)

// TestHelperOutboxCrash is the child process of TestOutboxCrash: an outbox
// on a bolt store sends one message and stops for good at the named step,
// where the parent kills it with SIGKILL.
func TestHelperOutboxCrash(t *testing.T) {
	step := os.Getenv(envCrashStep)
	if step == "" {
		t.Skip("helper process of TestOutboxCrash")
	}
	fail := func(err error) {
		fmt.Println("ERROR", err)
		os.Exit(2)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(os.Getenv(envCrashRoot))) {
		fail(errors.New("no root"))
	}
	c, err := mssante.NewClient(mssante.Config{
		Address:           mail.MustParseAddress(trkA),
		Operator:          mssante.Operator{SMTP: os.Getenv(envCrashSMTP)},
		Auth:              mssante.Password(trkA, os.Getenv(envCrashPassword)),
		RootCAs:           roots,
		AllowAnyRecipient: true,
		ProductRef:        "CRASHTEST",
	})
	if err != nil {
		fail(err)
	}
	st, err := boltstore.Open(os.Getenv(envCrashStore), nil)
	if err != nil {
		fail(err)
	}
	tr := delivery.NewTracker(&delivery.TrackerOptions{Store: st})
	ob, err := delivery.NewOutbox(c, tr, &delivery.OutboxOptions{MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	if err != nil {
		fail(err)
	}
	delivery.SetOutboxHook(ob, func(s string) {
		if s == step {
			fmt.Println("AT", s)
			time.Sleep(time.Hour) // the parent kills the process here
		}
	})
	ctx := context.Background()
	go ob.Run(ctx)
	msg := trkMessage(true, false, trkB)
	msg.MessageID = os.Getenv(envCrashID)
	id, err := ob.Send(ctx, msg)
	if err != nil {
		fail(err)
	}
	ob.Wait(ctx, id)
	fmt.Println("DONE")
	os.Exit(0)
}

// A process sending through the outbox is killed (SIGKILL) at each step of
// a submission, then the outbox restarts on the same store. No message the
// outbox took is lost; a duplicate happens only when the process died after
// the operator's 250 and before the store recorded it, and both copies carry
// the same Message-ID.
func TestOutboxCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	s, err := mssantetest.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mbA := s.MustAddMailbox(trkA, mssantetest.MailboxPER, nil)
	s.MustAddMailbox(trkB, mssantetest.MailboxPER, nil)

	cases := []struct {
		step string
		// copies at B when the child died, and after the restart
		before, after int
		// the message was in the store when the child died
		stored bool
		// counters of the restarted outbox
		resent, recovered uint64
	}{
		// Send had not returned: the caller was never told the message
		// was taken, and nothing was stored or sent.
		{step: "before-persist"},
		{step: "after-persist", after: 1, stored: true},
		{step: "in-flight", after: 1, stored: true, resent: 1},
		{step: "data", after: 1, stored: true, resent: 1},
		// The documented window: accepted by the operator, not yet
		// recorded. The restart sends it again: two copies, one Message-ID.
		{step: "accepted", before: 1, after: 2, stored: true, resent: 1},
		{step: "recorded", before: 1, after: 1, stored: true, recovered: 1},
	}
	for _, tc := range cases {
		t.Run(tc.step, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "outbox.db")
			id := fmt.Sprintf("crash-%s-%d@medecin.mssante.fr", tc.step, time.Now().UnixNano())
			runCrashChild(t, s, mbA.Password, path, id, tc.step)

			if n := copiesOf(t, s, trkB, id); n != tc.before {
				t.Errorf("copies when killed: %d, want %d", n, tc.before)
			}
			ctx := trkCtx(t)
			st, err := boltstore.Open(path, nil)
			if err != nil {
				t.Fatalf("reopen after the crash: %v", err)
			}
			defer st.Close()
			if list, _ := st.ListOutbox(ctx, delivery.OutboxQuery{}); (len(list.Entries) == 1) != tc.stored {
				t.Fatalf("stored %d entries, want stored=%v", len(list.Entries), tc.stored)
			}
			c, err := mssante.NewClient(s.MustConfig(trkA))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			tr := delivery.NewTracker(&delivery.TrackerOptions{Store: st})
			ob, _ := delivery.NewOutbox(c, tr, &delivery.OutboxOptions{MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
			runCtx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { ob.Run(runCtx); close(done) }()
			deadline := time.Now().Add(20 * time.Second)
			for st := ob.Stats(); st.Queued > 0 || st.Running > 0 || (tc.stored && st.Submitted+st.RecoveredAccepted == 0); st = ob.Stats() {
				if time.Now().After(deadline) {
					t.Fatalf("restart did not settle: %+v", st)
				}
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
			<-done

			got := ob.Stats()
			if n := copiesOf(t, s, trkB, id); n != tc.after {
				t.Errorf("copies after restart: %d, want %d", n, tc.after)
			}
			if got.ResentUncertain != tc.resent || got.RecoveredAccepted != tc.recovered {
				t.Errorf("stats %+v", got)
			}
			r, err := tr.Recipient(ctx, id, trkB)
			switch {
			case !tc.stored && !errors.Is(err, delivery.ErrUnknownMessage):
				t.Errorf("never stored, yet tracked: %+v %v", r, err)
			case tc.stored && (err != nil || r.State != delivery.StateSubmitted):
				t.Errorf("tracked %+v %v", r, err)
			}
			if list, _ := st.ListOutbox(ctx, delivery.OutboxQuery{}); len(list.Entries) != 0 {
				t.Errorf("outbox not empty: %+v", list.Entries[0])
			}
			t.Logf("killed at %s: %d copies, after restart %d (resent uncertain %d, recovered accepted %d)",
				tc.step, tc.before, tc.after, got.ResentUncertain, got.RecoveredAccepted)
		})
	}
}

// runCrashChild starts the helper, waits until it reports the step, and
// kills it with SIGKILL.
func runCrashChild(t *testing.T, s *mssantetest.Server, password, store, id, step string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperOutboxCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		envCrashStep+"="+step, envCrashSMTP+"="+s.SMTPAddr, envCrashRoot+"="+string(testpki.PEM(s.RootCertificate())),
		envCrashPassword+"="+password, envCrashStore+"="+store, envCrashID+"="+id)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(30 * time.Second)
	for reached := false; !reached; {
		select {
		case l, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("child ended before %s", step)
			}
			if strings.HasPrefix(l, "ERROR") || l == "DONE" {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("child: %s", l)
			}
			reached = l == "AT "+step
		case <-timeout:
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child never reached %s", step)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	go func() {
		for range lines {
		}
	}()
}
