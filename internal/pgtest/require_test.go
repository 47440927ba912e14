package pgtest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// helperEnv makes TestRequireHelper act as the test a case describes.
const helperEnv = "PGTEST_REQUIRE_HELPER"

// TestRequireHelper is run by TestRequire in a child process, with the
// environment of a case; run directly, it skips.
func TestRequireHelper(t *testing.T) {
	switch os.Getenv(helperEnv) {
	case "":
		t.Skip("run by TestRequire in a child process")
	case "require":
		Require(t)
	case "start":
		Start(t, nil)
	case "option":
		Start(t, &Options{BinDir: os.Getenv("PGTEST_OPTION_BIN")})
	case "pool":
		pool := Pool(t)
		ctx := context.Background()
		if _, err := pool.Exec(ctx, "CREATE TABLE item (n int)"); err != nil {
			t.Fatal(err)
		}
		var db string
		if err := pool.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
			t.Fatal(err)
		}
		t.Logf("pgtest: database=%s", db)
	}
	t.Log("pgtest: no skip, no failure")
}

// TestRequire checks when a test is skipped, failed or run, by running
// TestRequireHelper in a child process with the MSSANTE_PG variables of
// each case, and a bin directory without PostgreSQL (empty, or holding an
// initdb but no postgres).
func TestRequire(t *testing.T) {
	empty := t.TempDir()
	half := t.TempDir()
	if err := os.WriteFile(filepath.Join(half, "initdb"), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		helper string
		env    []string
		want   string // SKIP, FAIL or PASS
		says   []string
	}{
		{"no binaries skip", "require", []string{BinEnvVar + "=" + empty}, "SKIP",
			[]string{empty + "/initdb is missing", "set MSSANTE_PG=1 to make this a failure"}},
		{"no binaries fail", "require", []string{BinEnvVar + "=" + empty, EnvVar + "=1"}, "FAIL",
			[]string{"MSSANTE_PG is set", empty + "/initdb is missing", "apt-get install postgresql"}},
		{"no postgres fail", "require", []string{BinEnvVar + "=" + half, EnvVar + "=1"}, "FAIL",
			[]string{half + "/postgres is missing"}},
		{"no binaries but a DSN", "require", []string{BinEnvVar + "=" + empty, EnvVar + "=1", DSNEnvVar + "=postgres://127.0.0.1:1/x"}, "PASS",
			[]string{"no skip, no failure"}},
		{"own cluster with a DSN skips", "start", []string{EnvVar + "=1", DSNEnvVar + "=postgres://127.0.0.1:1/x"}, "SKIP",
			[]string{"cannot do to the server of MSSANTE_PG_DSN"}},
		{"missing Options.BinDir skip", "option", []string{"PGTEST_OPTION_BIN=" + empty}, "SKIP",
			[]string{empty + "/initdb is missing"}},
		{"missing Options.BinDir fail", "option", []string{"PGTEST_OPTION_BIN=" + empty, EnvVar + "=1"}, "FAIL",
			[]string{empty + "/initdb is missing"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestRequireHelper$", "-test.v", "-test.count=1")
			cmd.Env = append(environWithout("MSSANTE_PG", "PGTEST_"), append(tc.env, helperEnv+"="+tc.helper)...)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatal(err)
			}
			if got := err == nil; got != (tc.want != "FAIL") {
				t.Errorf("exit status %v, want success %v", err, tc.want != "FAIL")
			}
			if !bytes.Contains(out, []byte("--- "+tc.want+": TestRequireHelper")) {
				t.Errorf("no --- %s in:\n%s", tc.want, out)
			}
			for _, s := range tc.says {
				if !bytes.Contains(out, []byte(s)) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
		})
	}
}

// environWithout returns the environment without the variables whose
// names start with one of prefixes.
func environWithout(prefixes ...string) []string {
	var env []string
next:
	for _, kv := range os.Environ() {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		env = append(env, kv)
	}
	return env
}

// TestExternalDSN runs TestRequireHelper with MSSANTE_PG_DSN pointing at
// a cluster of this test, in both DSN forms, and no PostgreSQL binaries:
// the child creates its database on that server (its log of DDL says so)
// and drops it when its test ends.
func TestExternalDSN(t *testing.T) {
	c := Start(t, &Options{Settings: map[string]string{"log_statement": "ddl"}})
	for _, dsn := range []string{c.ConnString("postgres"), "host=127.0.0.1 port=" + strconv.Itoa(c.Port) + " user=postgres dbname=postgres sslmode=disable"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRequireHelper$", "-test.v", "-test.count=1")
		cmd.Env = append(environWithout("MSSANTE_PG", "PGTEST_"), helperEnv+"=pool", EnvVar+"=1", BinEnvVar+"="+t.TempDir(), DSNEnvVar+"="+dsn)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		m := regexp.MustCompile(`pgtest: database=(pgtest_\w+)`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("no database in:\n%s", out)
		}
		var exists bool
		if err := connect(t, c.ConnString("postgres")).QueryRow(context.Background(),
			"SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", string(m[1])).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists {
			t.Errorf("database %s left on the server of MSSANTE_PG_DSN", m[1])
		}
		log := c.LogTail()
		for _, stmt := range []string{`CREATE DATABASE "` + string(m[1]) + `"`, `DROP DATABASE IF EXISTS "` + string(m[1]) + `"`} {
			if !strings.Contains(log, stmt) {
				t.Errorf("the server's log lacks %q:\n%s", stmt, log)
			}
		}
	}
}
