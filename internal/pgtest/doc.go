// Package pgtest starts a real PostgreSQL server for tests, as Debian's
// postgresql package installs it (PostgreSQL 15 on Debian 12).
//
// A test binary shares one server, started on first use and stopped when
// the tests end; each test gets a database of its own, created from
// template0 and dropped when the test ends:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestQueue(t *testing.T) {
//		pool := pgtest.Pool(t) // or dsn := pgtest.DSN(t)
//		...
//	}
//
// A test that restarts or crashes the server starts a cluster of its own
// with [Start], and uses [Cluster.Restart], [Cluster.Stop],
// [Cluster.Start], [Cluster.Kill] (SIGKILL of the postmaster and every
// backend) and [Cluster.KillBackend] (SIGKILL of one backend, after which
// the postmaster resets every connection and recovers).
//
// # The server
//
// Clusters are made by running initdb once per test binary; every cluster
// is a copy of that one (cp -a), so a package with many clusters pays for
// initdb once. On this project's 2-core machine, initdb takes about 2 s, a
// copied cluster starts in about 0.4 s, and a database is created in about
// 50 ms. The shared server is killed, not shut down, when the tests end:
// its data is not needed. A cluster lives in a fresh directory under /tmp (data/,
// postgres.log and the Unix socket), listens on a free port of 127.0.0.1,
// and trusts every local connection: the DSN names the superuser
// postgres, no password, sslmode=disable. Postgres refuses to run as root:
// when the tests run as root (as in CI), the server runs as the system
// user postgres (created by the Debian package), or nobody when there is
// none, through a change of credentials in the child process. The
// postmaster is killed with the test binary if that dies first
// (Pdeathsig), and its backends exit when they see it gone.
//
// The server is tuned for tests, not for keeping data:
// fsync=off and full_page_writes=off (data survives a crash of the server
// processes, since written pages stay in the kernel's cache, but not a
// crash of the machine, which tests never cause), wal_level=minimal
// (tables created or truncated in a transaction are loaded without WAL),
// shared_buffers=32MB (many test binaries run at once), jit=off (compiling
// costs more than it saves on test-sized queries). The shared server also
// sets synchronous_commit=off; a cluster from [Start] keeps it on, because
// crash tests check that acknowledged commits survive a SIGKILL, which
// synchronous_commit=off does not promise (the last commits may still be
// in shared memory). With fsync=off, synchronous commits cost one write
// per commit and no flush.
//
// # Environment
//
//   - MSSANTE_PG ([EnvVar]): when set, a missing server is a test failure;
//     otherwise the tests are skipped with a message. CI sets it.
//   - MSSANTE_PG_BIN ([BinEnvVar]): the directory of initdb and postgres.
//     Default: the newest /usr/lib/postgresql/N/bin.
//   - MSSANTE_PG_DSN ([DSNEnvVar]): the tests use this existing server
//     instead of starting one: they create and drop their databases there
//     (the role needs CREATEDB; DROP DATABASE ... WITH (FORCE) needs
//     PostgreSQL 13), and the tests that need a cluster of their own
//     ([Start]) are skipped.
package pgtest
