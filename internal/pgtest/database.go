package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// databaseTimeout bounds the creation and the drop of a database.
const databaseTimeout = time.Minute

// databases numbers the databases of this test binary.
var databases atomic.Int64

// DSN creates a database for t on the shared server (started on first
// use, or MSSANTE_PG_DSN's) and returns its DSN; the database is dropped
// when t ends. It calls Require, and needs Main.
func DSN(t testing.TB) string {
	t.Helper()
	admin, connString, _ := shared(t)
	name := createDatabase(t, admin)
	t.Cleanup(func() { dropDatabase(t, admin, name) })
	return connString(name)
}

// Pool creates a database for t as DSN does and returns a pool connected
// to it, closed when t ends (before the database is dropped).
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return newPool(t, DSN(t))
}

// DSN creates a database for t on the cluster and returns its DSN. The
// database goes with the cluster when t ends.
func (c *Cluster) DSN(t testing.TB) string {
	t.Helper()
	return c.ConnString(createDatabase(t, c.ConnString("postgres")))
}

func newPool(t testing.TB, dsn string) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), databaseTimeout)
	defer cancel()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: pool: %v", err)
	}
	t.Cleanup(pool.Close)
	// pgxpool connects lazily: fail here, not in the test's first query.
	if err := pool.Ping(ctx); err != nil {
		t.Fatalf("pgtest: pool: %v", err)
	}
	return pool
}

// createDatabase creates a database named after t through the admin DSN,
// from template0: a clean one, whatever was added to template1.
func createDatabase(t testing.TB, admin string) string {
	t.Helper()
	name := databaseName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), databaseTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connecting to create a database: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0"); err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	return name
}

// dropDatabase drops a database of the shared server, disconnecting
// whatever the test left connected.
func dropDatabase(t testing.TB, admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), databaseTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err == nil {
		_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		conn.Close(ctx)
	}
	if err != nil {
		t.Errorf("pgtest: dropping database %s: %v", name, err)
	}
}

// databaseName returns a database name for a test: unique in the test
// binary and, through the process id, among the binaries sharing
// MSSANTE_PG_DSN's server; readable; within PostgreSQL's 63 bytes.
func databaseName(test string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "pgtest_%d_%d_", os.Getpid(), databases.Add(1))
	for _, r := range strings.ToLower(test) {
		if b.Len() >= 63 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// withDatabase returns dsn with its database replaced, in either DSN form
// (URL or keyword/value).
func withDatabase(dsn, database string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			u.Path = "/" + database
			u.RawPath = ""
			return u.String()
		}
	}
	// In the keyword/value form, the last value of a keyword wins.
	return dsn + " dbname='" + database + "'"
}
