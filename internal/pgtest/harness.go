package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// harness is the state of one test binary: the templates made by initdb
// and the shared server, in a directory removed by Main when the tests
// end.
var harness = struct {
	mu        sync.Mutex
	main      bool   // Main is running the tests
	dir       string // made on first use
	templates map[string]*template
	shared    sharedServer
}{templates: map[string]*template{}}

// sharedServer is the server of DSN and Pool: a cluster started on first
// use, or the server of MSSANTE_PG_DSN.
type sharedServer struct {
	once    sync.Once
	cluster *Cluster
	dsn     string
	err     error
}

// Main runs the tests of a package that uses pgtest, then kills the
// shared server and removes the harness directory. Call it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	harness.mu.Lock()
	harness.main = true
	harness.mu.Unlock()
	code := m.Run()
	if err := shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// shutdown kills the shared cluster and removes the harness directory.
func shutdown() error {
	harness.mu.Lock()
	defer harness.mu.Unlock()
	var errs []error
	if c := harness.shared.cluster; c != nil {
		errs = append(errs, c.Kill(), c.close())
	}
	if harness.dir != "" {
		errs = append(errs, os.RemoveAll(harness.dir))
	}
	return errors.Join(errs...)
}

// requireMain fails t unless Main runs the tests: without it, nothing
// would remove the harness directory.
func requireMain(t testing.TB) {
	t.Helper()
	harness.mu.Lock()
	ok := harness.main
	harness.mu.Unlock()
	if !ok {
		t.Fatal("pgtest: the package's TestMain must call pgtest.Main(m), which stops the server and removes its files when the tests end")
	}
}

// harnessDir returns the directory of the templates and the shared
// cluster, making it on first use. It is under /tmp, short enough for a
// Unix socket path, and owned by the server's user.
func harnessDir(o owner) (string, error) {
	harness.mu.Lock()
	defer harness.mu.Unlock()
	if harness.dir != "" {
		return harness.dir, nil
	}
	dir, err := os.MkdirTemp("/tmp", "mss-pg-")
	if err != nil {
		return "", err
	}
	if err := os.Chown(dir, o.uid, o.gid); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	harness.dir = dir
	return dir, nil
}

// shared returns the shared server, started on first use: its admin DSN
// and a function giving the DSN of one of its databases. local reports
// whether the harness started it.
func shared(t testing.TB) (admin string, connString func(database string) string, local bool) {
	t.Helper()
	Require(t)
	requireMain(t)
	s := &harness.shared
	s.once.Do(func() {
		if dsn := os.Getenv(DSNEnvVar); dsn != "" {
			s.dsn = dsn
			return
		}
		start := time.Now()
		root, err := harnessDirFor()
		if err != nil {
			s.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		s.cluster, s.err = newCluster(ctx, root, "shared", nil, false)
		if s.err == nil {
			t.Logf("pgtest: shared PostgreSQL started in %v on port %d in %s", time.Since(start).Round(time.Millisecond), s.cluster.Port, s.cluster.Dir)
		}
	})
	if s.err != nil {
		t.Fatalf("pgtest: starting the shared PostgreSQL: %v", s.err)
	}
	if s.cluster != nil {
		return s.cluster.ConnString("postgres"), s.cluster.ConnString, true
	}
	return s.dsn, func(db string) string { return withDatabase(s.dsn, db) }, false
}

// harnessDirFor returns the harness directory, owned by the server's
// user.
func harnessDirFor() (string, error) {
	o, err := serverUser()
	if err != nil {
		return "", err
	}
	return harnessDir(o)
}
