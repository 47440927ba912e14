package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The example prints the three timelines the issue asks for, and leaves a
// store that "mss track" can read: a file, or PostgreSQL.
func TestTrackExample(t *testing.T) {
	t.Run("bolt", func(t *testing.T) { testTrackExample(t, filepath.Join(t.TempDir(), "track.db")) })
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
