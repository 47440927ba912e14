package pgtest

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mssante-go/sdk/internal/childproc"
)

// connect opens a connection for the test, closed when it ends.
func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// count returns the rows of table item.
func count(t *testing.T, dsn string) int {
	t.Helper()
	var n int
	if err := connect(t, dsn).QueryRow(context.Background(), "SELECT count(*) FROM item").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// insertItems creates table item and inserts n rows, each in a
// transaction of its own.
func insertItems(t *testing.T, dsn string, n int) {
	t.Helper()
	ctx := context.Background()
	conn := connect(t, dsn)
	if _, err := conn.Exec(ctx, "CREATE TABLE item (n int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := conn.Exec(ctx, "INSERT INTO item VALUES ($1)", i); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRestartKeepsData stops and starts a cluster: same port, same data,
// and no server in between.
func TestRestartKeepsData(t *testing.T) {
	c := Start(t, nil)
	ctx := context.Background()
	dsn := c.DSN(t)
	insertItems(t, dsn, 10)
	port := c.Port

	if err := c.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Port != port {
		t.Errorf("port %d after restart, was %d", c.Port, port)
	}
	if n := count(t, dsn); n != 10 {
		t.Errorf("%d rows after restart, want 10", n)
	}
	if log := c.LogTail(); !strings.Contains(log, "received fast shutdown request") || strings.Contains(log, "automatic recovery") {
		t.Errorf("the log shows no clean restart:\n%s", log)
	}

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if pm := c.Postmaster(); pm != 0 {
		t.Errorf("postmaster %d after Stop", pm)
	}
	if _, err := pgx.Connect(ctx, dsn); err == nil {
		t.Fatal("connected to a stopped server")
	}
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err == nil {
		t.Error("Start of a running server succeeded")
	}
	if n := count(t, dsn); n != 10 {
		t.Errorf("%d rows after Stop and Start, want 10", n)
	}
}

// TestKillKeepsCommitted kills the postmaster and its backends with
// SIGKILL right after a run of commits, then starts the server again: it
// runs crash recovery and every acknowledged commit is there.
func TestKillKeepsCommitted(t *testing.T) {
	c := Start(t, nil)
	ctx := context.Background()
	dsn := c.DSN(t)
	const rows = 200
	insertItems(t, dsn, rows)
	procs := c.processes()
	if len(procs) < 3 {
		t.Fatalf("server processes %v: want the postmaster and its children", procs)
	}
	if err := c.Kill(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range procs {
		if childproc.Alive(pid) {
			t.Errorf("process %d of the server (%v) alive after Kill", pid, procs)
		}
	}
	if _, err := pgx.Connect(ctx, dsn); err == nil {
		t.Fatal("connected to a killed server")
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.LogTail(), "automatic recovery in progress") {
		t.Errorf("no crash recovery in the log:\n%s", c.LogTail())
	}
	if n := count(t, dsn); n != rows {
		t.Errorf("%d rows after the crash, want the %d committed", n, rows)
	}
}

// TestKillBackend kills the backend of one connection: that connection
// and the others are cut, the server recovers, and committed data stays.
func TestKillBackend(t *testing.T) {
	c := Start(t, nil)
	ctx := context.Background()
	dsn := c.DSN(t)
	insertItems(t, dsn, 5)
	victim := connect(t, dsn)
	bystander := connect(t, dsn)
	for _, conn := range []*pgx.Conn{victim, bystander} {
		if _, err := conn.Exec(ctx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.KillBackend(ctx, int(victim.PgConn().PID())); err != nil {
		t.Fatal(err)
	}
	for name, conn := range map[string]*pgx.Conn{"victim": victim, "bystander": bystander} {
		if _, err := conn.Exec(ctx, "SELECT 1"); err == nil {
			t.Errorf("the %s's connection survived the backend crash", name)
		}
	}
	if !strings.Contains(c.LogTail(), "terminated by signal 9") {
		t.Errorf("no backend crash in the log:\n%s", c.LogTail())
	}
	if n := count(t, dsn); n != 5 {
		t.Errorf("%d rows after the backend crash, want 5", n)
	}

	for _, tc := range []struct {
		name string
		pid  int
	}{
		{"postmaster", c.Postmaster()},
		{"test binary", os.Getpid()},
		{"no such process", 1 << 30},
	} {
		if err := c.KillBackend(ctx, tc.pid); err == nil {
			t.Errorf("KillBackend(%s) succeeded", tc.name)
		}
	}
	if c.Postmaster() == 0 {
		t.Error("the server stopped")
	}
}

// TestClusterRemovedAfterTest checks that a test's cluster is killed and
// its directory removed when the test ends, even with connections open.
func TestClusterRemovedAfterTest(t *testing.T) {
	var dir string
	var procs []int
	t.Run("cluster", func(t *testing.T) {
		c := Start(t, &Options{Settings: map[string]string{"max_connections": "20"}})
		dir = c.Dir
		conn := connect(t, c.ConnString("postgres"))
		procs = c.processes()
		var max string
		if err := conn.QueryRow(context.Background(), "SHOW max_connections").Scan(&max); err != nil {
			t.Fatal(err)
		}
		if max != "20" {
			t.Errorf("max_connections = %s, Options.Settings said 20", max)
		}
	})
	for _, pid := range procs {
		if childproc.Alive(pid) {
			t.Errorf("process %d of the server (%v) alive after the test", pid, procs)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s after the test: %v", dir, err)
	}
}
