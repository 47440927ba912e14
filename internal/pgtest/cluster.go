package pgtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mssante-go/sdk/internal/childproc"
)

// Timeouts of the server's start and stop; generous, for a loaded CI
// machine. Crash recovery after Kill is part of a start.
const (
	startTimeout = 2 * time.Minute
	stopTimeout  = time.Minute
	killTimeout  = 10 * time.Second
)

// Options configure Start. A nil *Options means defaults.
type Options struct {
	// BinDir holds initdb and postgres. Empty means MSSANTE_PG_BIN, else
	// the newest /usr/lib/postgresql/N/bin.
	BinDir string
	// Settings add to, or replace, the server settings the package doc
	// lists (e.g. "max_connections": "20"). Nil adds none.
	Settings map[string]string
}

// Cluster is a PostgreSQL server started by the harness, with its data
// directory. Its methods may be called from several goroutines.
type Cluster struct {
	// Dir holds the data directory (data/), the server's log
	// (postgres.log) and its Unix socket.
	Dir string
	// Port is the TCP port on 127.0.0.1; it stays the same across
	// restarts.
	Port int

	bin      string
	owner    owner
	settings map[string]string
	log      *os.File

	mu   sync.Mutex
	proc *childproc.Process // nil before the first start
}

// Start starts a cluster of its own for t, for tests that stop, restart
// or crash the server, and removes it when t ends. It keeps
// synchronous_commit on (see the package doc). Start skips t when the
// tests use MSSANTE_PG_DSN, and calls Require.
func Start(t testing.TB, opts *Options) *Cluster {
	t.Helper()
	if os.Getenv(DSNEnvVar) != "" {
		t.Skipf("pgtest: this test restarts or crashes PostgreSQL, which it cannot do to the server of %s: skipped", DSNEnvVar)
	}
	Require(t)
	requireMain(t)
	var o Options
	if opts != nil {
		o = *opts
	}
	bin, err := binDir(o.BinDir)
	if err != nil {
		missing(t, "%v", err)
	}
	root, err := harnessDirFor()
	if err != nil {
		t.Fatal(err)
	}
	o.BinDir = bin
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	begin := time.Now()
	c, err := newCluster(ctx, root, "cluster", &o, true)
	if c != nil {
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("pgtest: end of %s:\n%s", filepath.Join(c.Dir, "postgres.log"), c.LogTail())
			}
			if err := errors.Join(c.Kill(), c.close(), os.RemoveAll(c.Dir)); err != nil {
				t.Error(err)
			}
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pgtest: PostgreSQL started in %v on port %d in %s", time.Since(begin).Round(time.Millisecond), c.Port, c.Dir)
	return c
}

// newCluster makes a cluster in a new directory under root and starts
// it. A non-nil cluster is returned with a non-nil error when the
// directory exists but the server did not start; the caller removes it.
func newCluster(ctx context.Context, root, prefix string, opts *Options, durableCommits bool) (*Cluster, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	bin, err := binDir(o.BinDir)
	if err != nil {
		return nil, err
	}
	own, err := serverUser()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(root, prefix+"-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, bin: bin, owner: own}
	if err := os.Chown(dir, own.uid, own.gid); err != nil {
		return c, err
	}
	if err := newDataDir(bin, own, filepath.Join(dir, "data")); err != nil {
		return c, err
	}
	c.log, err = os.OpenFile(filepath.Join(dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return c, err
	}
	ports, err := childproc.FreePorts(1)
	if err != nil {
		return c, err
	}
	c.Port = ports[0]
	c.settings = settings(dir, c.Port, durableCommits)
	for k, v := range o.Settings {
		c.settings[k] = v
	}
	return c, c.Start(ctx)
}

// ConnString returns the DSN of a database of the cluster, as the
// superuser postgres.
func (c *Cluster) ConnString(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, url.PathEscape(database))
}

// Start starts the server, keeping its data directory and port, and waits
// until it accepts connections: after Kill, once crash recovery is done.
// It is an error to start a running server.
func (c *Cluster) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc != nil {
		if done, _ := c.proc.Exited(); !done {
			return fmt.Errorf("pgtest: the server in %s is already running (pid %d)", c.Dir, c.proc.Pid())
		}
	}
	args := []string{"-D", filepath.Join(c.Dir, "data")}
	keys := make([]string, 0, len(c.settings))
	for k := range c.settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-c", k+"="+c.settings[k])
	}
	p, err := childproc.Start("postgres", serverCmd(c.owner, c.Dir, c.log, filepath.Join(c.bin, "postgres"), args...))
	if err != nil {
		return err
	}
	c.proc = p
	return c.waitReady(ctx, p)
}

func (c *Cluster) waitReady(ctx context.Context, p *childproc.Process) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 5*time.Second)
		conn, err := pgconn.Connect(attempt, c.ConnString("postgres"))
		cancelAttempt()
		if err == nil {
			return conn.Close(ctx)
		}
		if done, perr := p.Exited(); done {
			return fmt.Errorf("pgtest: postgres exited before accepting connections (%v):\n%s", perr, c.LogTail())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgtest: postgres not accepting connections on port %d: %w (last: %v)\n%s", c.Port, ctx.Err(), err, c.LogTail())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop stops the server with a fast shutdown (SIGINT: open transactions
// are rolled back, clients disconnected, a checkpoint written) and waits
// for it. Stopping a stopped server does nothing.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil {
		return nil
	}
	if err := c.proc.Signal(syscall.SIGINT); err != nil {
		return fmt.Errorf("pgtest: stopping postgres: %w", err)
	}
	if !c.proc.Wait(stopTimeout) {
		err := c.proc.Kill(killTimeout)
		return errors.Join(fmt.Errorf("pgtest: postgres did not stop within %v of SIGINT; killed", stopTimeout), err)
	}
	// Every child exits before the postmaster: this finds none.
	return c.proc.Kill(killTimeout)
}

// Restart stops the server and starts it again, keeping its data and
// port.
func (c *Cluster) Restart(ctx context.Context) error {
	if err := c.Stop(); err != nil {
		return err
	}
	return c.Start(ctx)
}

// Kill crashes the server: SIGKILL to the postmaster and every backend
// (each in a process group of its own) at once, as the kernel's OOM killer or a crash of the machine would leave
// it, minus the loss of the kernel's cache. The data directory is kept;
// Start then runs crash recovery. Killing a stopped server does nothing.
func (c *Cluster) Kill() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil {
		return nil
	}
	return c.proc.Kill(killTimeout)
}

// KillBackend sends SIGKILL to one backend of the server, the process
// serving one connection (pgconn.PgConn.PID), then waits until the server
// accepts connections again. As after any backend crash, the postmaster
// first terminates every other connection and runs crash recovery.
func (c *Cluster) KillBackend(ctx context.Context, pid int) error {
	c.mu.Lock()
	p := c.proc
	c.mu.Unlock()
	if p == nil {
		return errors.New("pgtest: the server was never started")
	}
	pm := p.Pid()
	if pid == pm {
		return fmt.Errorf("pgtest: %d is the postmaster, not a backend: use Kill", pid)
	}
	// Each backend is a child of the postmaster, in a process group of
	// its own.
	if st, ok := childproc.Stat(pid); !ok || st.PPid != pm {
		return fmt.Errorf("pgtest: process %d is not a backend of the server (postmaster %d)", pid, pm)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("pgtest: killing backend %d: %w", pid, err)
	}
	// Once the postmaster has reaped the backend, it has seen the crash
	// and refuses connections until it has recovered: a connection
	// accepted after that is one to the recovered server.
	deadline := time.Now().Add(killTimeout)
	for {
		if st, ok := childproc.Stat(pid); !ok || st.PPid != pm {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: backend %d not reaped %v after SIGKILL", pid, killTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return c.waitReady(ctx, p)
}

// Postmaster returns the process id of the running postmaster, 0 when the
// server is not running.
func (c *Cluster) Postmaster() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil {
		return 0
	}
	if done, _ := c.proc.Exited(); done {
		return 0
	}
	return c.proc.Pid()
}

// LogTail returns the end of the server's log.
func (c *Cluster) LogTail() string {
	b, err := os.ReadFile(filepath.Join(c.Dir, "postgres.log"))
	if err != nil {
		return err.Error()
	}
	return tail(b)
}

// close closes the log file; the server must be stopped.
func (c *Cluster) close() error {
	if c.log == nil {
		return nil
	}
	return c.log.Close()
}

// tail returns the last 8 KiB of b.
func tail(b []byte) string {
	const max = 8 << 10
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// serverCmd is the command of initdb or postgres, run as o in dir with
// its output to out.
func serverCmd(o owner, dir string, out io.Writer, argv0 string, args ...string) *exec.Cmd {
	cmd := exec.Command(argv0, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	// A fixed environment: nothing of the test's (PGDATA, PGPORT...);
	// UTC so that initdb writes timezone = 'UTC'.
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C", "LC_ALL=C", "TZ=UTC"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: o.cred}
	return cmd
}

// processes returns the live processes of the server: the postmaster and
// its children.
func (c *Cluster) processes() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil {
		return nil
	}
	return c.proc.Tree()
}
