// Package pgstore is the [delivery.Store] on PostgreSQL, for several
// processes or machines that share one tracker and one outbox: instances of
// a hosted EHR behind a load balancer, an active/standby pair, senders for
// hundreds of BAL APP mailboxes.
//
// It keeps the contract of delivery.Store (checked by package storetest)
// across processes:
//
//   - Store.UpdateMessage is optimistic: it reads the message and its
//     version, runs the function, and writes the message, its recipient
//     and state rows in one statement that applies only if the version is
//     still the one read; otherwise another process updated the message
//     in between, and it reads it again and runs the function again. Two
//     processes observing reports for one message never lose each other's
//     transition, and no row stays locked between two statements. The
//     same happens after a serialization failure or a deadlock (SQLSTATE
//     40001, 40P01).
//   - Outbox claims are one UPDATE over a SELECT ... FOR UPDATE SKIP
//     LOCKED of the due entries, earliest first: concurrent workers never
//     claim the same entry and never wait for each other's rows.
//   - Outbox.Send's bound (QueueSize) and duplicate checks are made in the
//     transaction that inserts the entry, under a transaction-level
//     advisory lock taken by adders only, so that they are exact.
//   - Every query uses an index (see migrations/001_init.sql); pages are
//     ordered by time then Message-ID, byte-wise (COLLATE "C").
//   - Encoded messages are stored in bytea blocks of 256 KiB, written and
//     read one at a time: memory stays bounded by a block, whatever the
//     message's size. Options.MaxMessageBytes bounds them.
//
// The schema (tables in Options.Schema, "mssante" by default) comes from
// embedded, versioned migrations, applied by Open under an advisory lock (so
// that processes starting at once apply them once), or by the vendor's own
// migration tool from [Migrations] with Options.SkipMigration set.
//
// With Options.Notify, an add or a release of an outbox entry sends a
// NOTIFY, and each Outbox keeps one connection LISTENing, so that idle
// workers of other processes pick the entry at once; polling with jitter
// (OutboxOptions.PollInterval) stays the fallback when a notification is
// lost (a connection reset, a restart).
//
// Times of leases are the callers' (see delivery.Store): the clocks of the
// processes must agree within a fraction of OutboxOptions.Lease.
//
// Sizing the pool: each Outbox worker holds at most one connection for
// the length of a statement, not of the SMTP submission; the tracker one
// per update. OutboxOptions.Workers + 2 connections per process (+1 with
// Notify) is enough; pgxpool's default (the larger of 4 and the number of
// CPUs) suits the default 4 workers without Notify. Set it with
// pool_max_conns in the DSN, or build the pool yourself and call New.
package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mssante-go/sdk/mssante/delivery"
)

// SchemaVersion is the version of the schema this package reads and
// writes; Open refuses a database of a newer version.
const SchemaVersion = 1

// DefaultSchema is the schema of the tables when Options.Schema is empty.
const DefaultSchema = "mssante"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Options configure Open and New. A nil pointer means defaults.
type Options struct {
	// Schema is the PostgreSQL schema that holds the tables, so that
	// they live beside the vendor's own. Empty means "mssante".
	Schema string
	// SkipMigration leaves the schema alone: the vendor applies
	// Migrations with its own tool, and Open only checks the version.
	// False means Open creates the schema or brings it up to date.
	SkipMigration bool
	// Notify wakes the idle outboxes of every process with LISTEN/NOTIFY
	// when an entry is added or released. False means they poll.
	Notify bool
	// MaxMessageBytes refuses longer encoded messages
	// (*mail.LimitError), in addition to the Outbox's own bound. Zero
	// means only the Outbox's.
	MaxMessageBytes int64
}

// Store is a delivery.Store in a PostgreSQL database. It is safe for
// concurrent use, and several processes may use the same database.
type Store struct {
	pool    *pgxpool.Pool
	owned   bool // Close closes the pool
	schema  string
	opts    Options
	q       queries
	channel string // of LISTEN/NOTIFY
}

var _ delivery.Store = (*Store)(nil)
var _ delivery.OutboxWaker = (*Store)(nil)

// Open connects to the database of dsn (a PostgreSQL URL or key/value
// string; pgxpool's pool_max_conns and the like apply), applies the
// migrations unless opts.SkipMigration, and returns the store. Close
// closes its pool.
func Open(ctx context.Context, dsn string, opts *Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s, err := New(ctx, pool, opts)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// New returns a store on the caller's pool, which Close leaves open. It
// applies the migrations unless opts.SkipMigration.
func New(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	s := &Store{pool: pool}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.Schema == "" {
		s.opts.Schema = DefaultSchema
	}
	s.schema = pgx.Identifier{s.opts.Schema}.Sanitize()
	s.q = newQueries(s.schema)
	s.channel = s.opts.Schema + ".outbox"
	if !s.opts.SkipMigration {
		if err := Migrate(ctx, pool, s.opts.Schema); err != nil {
			return nil, err
		}
	}
	v, err := version(ctx, pool, s.schema)
	if err != nil {
		return nil, err
	}
	if v != SchemaVersion {
		return nil, fmt.Errorf("pgstore: schema %s has version %d; this SDK needs %d (apply Migrations)", s.schema, v, SchemaVersion)
	}
	return s, nil
}

// Close closes the pool if Open made it.
func (s *Store) Close() {
	if s.owned {
		s.pool.Close()
	}
}

// Pool returns the store's connection pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Migration is one step of the schema: the statements that bring it from
// Version-1 to Version.
type Migration struct {
	Version int
	SQL     string
}

// Migrations returns the steps of the schema for a schema name (empty:
// DefaultSchema), for a vendor who applies them with its own tool: run each
// step whose version is above the one recorded, in order, then record the
// version in the table <schema>.schema_version (one row, one integer
// column "version"), which the first step does not create: create it with
// CREATE TABLE <schema>.schema_version (version integer NOT NULL) and one
// row holding 0, or let Open (without SkipMigration) do all of this.
func Migrations(schema string) []Migration {
	if schema == "" {
		schema = DefaultSchema
	}
	quoted := pgx.Identifier{schema}.Sanitize()
	var out []Migration
	files, _ := fs.Glob(migrationFiles, "migrations/*.sql")
	sort.Strings(files)
	for _, f := range files {
		name := strings.TrimPrefix(f, "migrations/")
		v, err := strconv.Atoi(name[:strings.IndexByte(name, '_')])
		if err != nil {
			panic("pgstore: migration file without a version: " + name) // caught by the tests
		}
		b, _ := migrationFiles.ReadFile(f)
		out = append(out, Migration{Version: v, SQL: strings.ReplaceAll(string(b), "SCHEMA.", quoted+".")})
	}
	return out
}

// Migrate creates the schema if need be and applies the migrations it
// lacks, in one transaction under an advisory lock: processes that start
// at once apply them once. Open calls it unless Options.SkipMigration.
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	if schema == "" {
		schema = DefaultSchema
	}
	quoted := pgx.Identifier{schema}.Sanitize()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "mssante-pgstore-migrate:"+schema); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+quoted); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", quoted+".schema_version").Scan(&exists); err != nil {
			return err
		}
		if !exists {
			if _, err := tx.Exec(ctx, "CREATE TABLE "+quoted+".schema_version (version integer NOT NULL)"); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "INSERT INTO "+quoted+".schema_version VALUES (0)"); err != nil {
				return err
			}
		}
		var v int
		if err := tx.QueryRow(ctx, "SELECT version FROM "+quoted+".schema_version").Scan(&v); err != nil {
			return err
		}
		if v > SchemaVersion {
			return fmt.Errorf("schema %s has version %d; this SDK knows up to %d", quoted, v, SchemaVersion)
		}
		for _, m := range Migrations(schema) {
			if m.Version <= v {
				continue
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %d: %w", m.Version, err)
			}
			if _, err := tx.Exec(ctx, "UPDATE "+quoted+".schema_version SET version = $1", m.Version); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pgstore: migrating schema %s: %w", quoted, err)
	}
	return nil
}

func version(ctx context.Context, pool *pgxpool.Pool, quoted string) (int, error) {
	var v int
	err := pool.QueryRow(ctx, "SELECT version FROM "+quoted+".schema_version").Scan(&v)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42P01" { // undefined_table
		return 0, fmt.Errorf("pgstore: schema %s has no tables: apply Migrations, or open without SkipMigration", quoted)
	}
	if err != nil {
		return 0, fmt.Errorf("pgstore: %w", err)
	}
	return v, nil
}

// retryable reports a transaction worth running again: a serialization
// failure or a deadlock.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// uniqueViolation reports a duplicate key.
func uniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
