package pgtest

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestSharedServer connects to a database of the shared server and checks
// that it is the one named in the DSN and, when the harness started the
// server, that it runs tuned for tests and not as root.
func TestSharedServer(t *testing.T) {
	dsn := DSN(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var db string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if db != cfg.Database || !strings.HasPrefix(db, "pgtest_") {
		t.Errorf("current_database() = %q, DSN names %q", db, cfg.Database)
	}
	if os.Getenv(DSNEnvVar) != "" {
		t.Logf("%s set: not checking the settings of the external server", DSNEnvVar)
		return
	}
	for name, want := range map[string]string{"fsync": "off", "full_page_writes": "off", "synchronous_commit": "off", "wal_level": "minimal", "listen_addresses": "127.0.0.1"} {
		var got string
		if err := conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if uid := processUID(t, int(conn.PgConn().PID())); uid == 0 {
		t.Errorf("the backend runs as root")
	}
}

// processUID returns the real uid of a process, from /proc.
func processUID(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" {
			uid, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatal(err)
			}
			return uid
		}
	}
	t.Fatalf("no Uid in /proc/%d/status", pid)
	return -1
}

// TestDatabasesIsolated runs parallel tests that create the same table:
// each sees only its own rows, in a database of its own.
func TestDatabasesIsolated(t *testing.T) {
	names := make(chan string, 4)
	t.Run("group", func(t *testing.T) {
		for i := range 4 {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				pool := Pool(t)
				if _, err := pool.Exec(ctx, "CREATE TABLE item (n int)"); err != nil {
					t.Fatal(err)
				}
				for range i + 1 {
					if _, err := pool.Exec(ctx, "INSERT INTO item VALUES ($1)", i); err != nil {
						t.Fatal(err)
					}
				}
				var count, other int
				if err := pool.QueryRow(ctx, "SELECT count(*), count(*) FILTER (WHERE n <> $1) FROM item", i).Scan(&count, &other); err != nil {
					t.Fatal(err)
				}
				if count != i+1 || other != 0 {
					t.Errorf("test %d sees %d rows, %d of other tests; want %d, 0", i, count, other, i+1)
				}
				var db string
				if err := pool.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
					t.Fatal(err)
				}
				names <- db
			})
		}
	})
	close(names)
	seen := map[string]bool{}
	for n := range names {
		if seen[n] {
			t.Errorf("database %s used by two tests", n)
		}
		seen[n] = true
	}
	if len(seen) != 4 {
		t.Errorf("%d databases, want 4", len(seen))
	}
	// The subtests have ended: their databases are gone.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for n := range seen {
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", n).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists {
			t.Errorf("database %s still exists after its test", n)
		}
	}
}

// TestDatabaseDroppedWithConnections checks that a test's database is
// dropped even when the test leaves a connection open.
func TestDatabaseDroppedWithConnections(t *testing.T) {
	ctx := context.Background()
	var name string
	var leaked *pgx.Conn
	t.Run("leaks", func(t *testing.T) {
		dsn := DSN(t)
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		leaked = c
		if err := c.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
	})
	defer leaked.Close(ctx)
	if _, err := leaked.Exec(ctx, "SELECT 1"); err == nil {
		t.Error("the leaked connection still works after its database was dropped")
	}
	conn, err := pgx.Connect(ctx, DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s still exists after its test", name)
	}
}

func TestDatabaseName(t *testing.T) {
	long := strings.Repeat("TestVeryLong/Sub Test-", 10)
	for _, test := range []string{"TestX", "TestX/sub_case#01", long, "Tést/ünïcode"} {
		n := databaseName(test)
		if len(n) > 63 {
			t.Errorf("databaseName(%q) = %q: %d bytes, PostgreSQL keeps 63", test, n, len(n))
		}
		if strings.Trim(n, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			t.Errorf("databaseName(%q) = %q: characters that need quoting", test, n)
		}
	}
	if a, b := databaseName("T"), databaseName("T"); a == b {
		t.Errorf("two databases named %q", a)
	}
}

func TestWithDatabase(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://u:p@h:5433/orig?sslmode=disable", "postgres://u:p@h:5433/pgtest_1?sslmode=disable"},
		{"postgresql://h/", "postgresql://h/pgtest_1"},
		{"host=h dbname=orig user=u", "host=h dbname=orig user=u dbname='pgtest_1'"},
	} {
		got := withDatabase(tc.dsn, "pgtest_1")
		if got != tc.want {
			t.Errorf("withDatabase(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
		cfg, err := pgx.ParseConfig(got)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Database != "pgtest_1" {
			t.Errorf("%q connects to %q", got, cfg.Database)
		}
	}
}
