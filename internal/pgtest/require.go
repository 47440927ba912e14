package pgtest

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
)

// Environment variables read by the harness (see the package doc).
const (
	// EnvVar, when set, turns a missing PostgreSQL into a test failure.
	EnvVar = "MSSANTE_PG"
	// BinEnvVar is the directory holding initdb and postgres.
	BinEnvVar = "MSSANTE_PG_BIN"
	// DSNEnvVar points the tests at an existing server.
	DSNEnvVar = "MSSANTE_PG_DSN"
)

// debianBinGlob matches the bin directories of Debian's postgresql-N
// packages.
const debianBinGlob = "/usr/lib/postgresql/*/bin"

// Require skips the test when no PostgreSQL can be had, or fails it when
// MSSANTE_PG is set: a server is available when MSSANTE_PG_DSN names one,
// or when initdb and postgres are installed (MSSANTE_PG_BIN, or the newest
// /usr/lib/postgresql/N/bin) and, as root, a user to run them as exists.
// DSN, Pool and Start call it.
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv(DSNEnvVar) != "" {
		return
	}
	if _, err := binDir(""); err != nil {
		missing(t, "%v", err)
	}
	if _, err := serverUser(); err != nil {
		missing(t, "%v", err)
	}
}

// missing skips or fails t, as MSSANTE_PG says.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(EnvVar) != "" {
		t.Fatalf("pgtest: %s is set but PostgreSQL is unavailable: %s (apt-get install postgresql, or set %s to its bin directory, or %s to a server)", EnvVar, msg, BinEnvVar, DSNEnvVar)
	}
	t.Skipf("pgtest: PostgreSQL test skipped: %s (apt-get install postgresql, or set %s to its bin directory, or %s to a server; set %s=1 to make this a failure)", msg, BinEnvVar, DSNEnvVar, EnvVar)
}

// binDir returns the directory of initdb and postgres: dir if not empty,
// else MSSANTE_PG_BIN, else the newest Debian one. It checks that both
// programs are there.
func binDir(dir string) (string, error) {
	if dir == "" {
		dir = os.Getenv(BinEnvVar)
	}
	if dir == "" {
		dirs, _ := filepath.Glob(debianBinGlob)
		// Newest version first: /usr/lib/postgresql/15/bin before 9.6.
		sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
		for _, d := range dirs {
			if executable(filepath.Join(d, "postgres")) == nil {
				dir = d
				break
			}
		}
		if dir == "" {
			return "", fmt.Errorf("no PostgreSQL server in %s", debianBinGlob)
		}
	}
	for _, prog := range []string{"initdb", "postgres"} {
		if err := executable(filepath.Join(dir, prog)); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// version returns the major version of a Debian bin directory, as a
// number for sorting (9.6 is 9).
func version(dir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
	return v
}

// executable returns an error unless path is an executable file.
func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s is missing", path)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

// owner is the user the server runs as.
type owner struct {
	name     string
	uid, gid int
	// cred is nil when the server runs as the test's own user.
	cred *syscall.Credential
}

// serverUser returns the user to run postgres as: the test's own user,
// unless that is root, which postgres refuses; then the system user
// postgres, or nobody.
func serverUser() (owner, error) {
	if os.Geteuid() != 0 {
		return owner{name: "(self)", uid: os.Geteuid(), gid: os.Getegid()}, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return owner{name: name, uid: uid, gid: gid, cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}, nil
	}
	return owner{}, fmt.Errorf("the tests run as root, which postgres refuses, and neither the user postgres nor nobody exists")
}
