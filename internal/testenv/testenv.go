// Package testenv decides what a test does when something it needs is
// absent: the real third-party data of ../shared/testdata-external beside
// the repository, or a tool such as xmllint. On a developer's fresh clone
// the test skips with a message saying what is missing; under CI (the CI
// variable set, as .ci/run does) it fails and names the missing path, so
// that a broken path never silently turns the XSD, schematron and
// real-data checks into skips.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// InCI reports whether the tests run under CI: the CI variable is set to
// anything but "" or "false".
func InCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false" && v != "0"
}

// Missing skips the test, or fails it under CI, with the message.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("%s (CI is set: a test that needs it fails instead of skipping)", msg)
	}
	t.Skip(msg)
}

// SharedDir returns the path of parts under ../shared/testdata-external
// beside the repository (the folder of go.mod's parent), when it exists;
// else it calls Missing, naming the path.
func SharedDir(t testing.TB, parts ...string) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		Missing(t, "shared test data: %v", err)
		return ""
	}
	dir := filepath.Join(append([]string{filepath.Dir(root), "shared", "testdata-external"}, parts...)...)
	if _, err := os.Stat(dir); err != nil {
		Missing(t, "shared test data absent: %s (clone the shared folder beside the repository)", dir)
		return ""
	}
	return dir
}

// CDAExamples returns the ANS example documents (ExemplesCDA of the
// TestContenuCDA kit), in the folder MSSANTE_CDA_EXAMPLES names (the whole
// kit, 94 documents), else the 48 of the shared folder; it calls Missing
// when there are none.
func CDAExamples(t testing.TB) (dir string, files []string) {
	t.Helper()
	dir = os.Getenv("MSSANTE_CDA_EXAMPLES")
	if dir == "" {
		dir = SharedDir(t, "ans-TestContenuCDA-3-0", "ExemplesCDA")
	}
	files, _ = filepath.Glob(filepath.Join(dir, "*.xml"))
	if len(files) == 0 {
		Missing(t, "no ANS example CDA in %s: clone the shared folder beside the repository or set MSSANTE_CDA_EXAMPLES", dir)
	}
	return dir, files
}

// LookPath returns the path of a command, or calls Missing naming it and
// the Debian package that provides it.
func LookPath(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s not installed (Debian package %s)", name, debianPackage)
		return ""
	}
	return p
}

// repoRoot is the folder that holds go.mod, from the test's working
// directory (its package folder) up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test's folder")
		}
		dir = parent
	}
}
