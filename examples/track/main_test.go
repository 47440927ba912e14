package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/pgtest"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/boltstore"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The example prints the three timelines the issue asks for, and leaves a
// store that "mss track" can read: a file (given, or in a temporary
// directory), or PostgreSQL; it ends with the command lines that read it.
func TestTrackExample(t *testing.T) {
	t.Run("bolt", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "track.db")
		out := testTrackExample(t, path)
		checkKept(t, out, path)
	})
	t.Run("temporary", func(t *testing.T) {
		out := testTrackExample(t, "")
		m := regexp.MustCompile(`(?m)^Store: (\S+) \(kept: remove it when done\)$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("the store is not named:\n%s", out)
		}
		t.Cleanup(func() { os.RemoveAll(filepath.Dir(m[1])) })
		if !strings.HasPrefix(filepath.Base(filepath.Dir(m[1])), "mssante-track-") {
			t.Fatalf("not the example's directory: %s", m[1])
		}
		checkKept(t, out, m[1])
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.DSN(t)
		out := testTrackExample(t, dsn)
		if strings.Contains(dsn, "@") && !strings.Contains(out, "Store: postgres://") {
			t.Errorf("the store is not named:\n%s", out)
		}
	})
}

func testTrackExample(t *testing.T, store string) string {
	var out bytes.Buffer
	if err := run(context.Background(), &out, store); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"Outbox: 3 messages taken, 3 submitted, 0 retries, 0 failed",
		"to bruno.durand@ch-test.mssante.fr: displayed",
		"displayed (mdn)",
		"to personne@ch-test.mssante.fr: failed",
		"(5.1.1)",
		"to claire.petit@pharmacien.mssante.fr: delivered, no read receipt",
		"+192h0m0s  delivered (timeout) delivery: no read receipt before the deadline",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "(settled)") != 3 || strings.Contains(got, "failed    (timeout)") {
		t.Errorf("the three messages settle, none by a timeout failure:\n%s", got)
	}
	if strings.Count(got, "submitted (smtp)") != 3 {
		t.Errorf("three submissions expected:\n%s", got)
	}
	return got
}

// checkKept checks that the store is still there with the three messages,
// and that the example says how to look at it.
func checkKept(t *testing.T, out, path string) {
	t.Helper()
	st, err := boltstore.Open(path, &boltstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("the store is not kept: %v", err)
	}
	defer st.Close()
	n := 0
	for _, err := range delivery.NewTracker(&delivery.TrackerOptions{Store: st}).Messages(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 3 {
		t.Errorf("%d messages in the store kept", n)
	}
	for _, want := range []string{"go run ./examples/mss track --store " + path + "\n", "--timeline ", "--html timeline.html"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
