package pgtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/mssante-go/sdk/internal/childproc"
)

// initdbTimeout bounds initdb, a second or two on an idle machine.
const initdbTimeout = 2 * time.Minute

// template is a data directory made by initdb, copied for every cluster.
type template struct {
	once sync.Once
	dir  string // the data directory
	err  error
}

// newDataDir makes a data directory at dst, owned by o, by copying the
// template of binDir, made on first use in the harness directory.
func newDataDir(bin string, o owner, dst string) error {
	root, err := harnessDir(o)
	if err != nil {
		return err
	}
	harness.mu.Lock()
	tpl := harness.templates[bin]
	if tpl == nil {
		tpl = &template{}
		harness.templates[bin] = tpl
	}
	harness.mu.Unlock()
	tpl.once.Do(func() {
		tpl.dir, tpl.err = initdb(bin, o, root)
	})
	if tpl.err != nil {
		return tpl.err
	}
	// cp -a keeps the owner (as root) and the modes postgres checks
	// (0700 on the data directory).
	if out, err := exec.Command("cp", "-a", tpl.dir, dst).CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: copying the initdb template: %v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// initdb runs initdb as o into a fresh directory under root and returns
// the data directory.
func initdb(bin string, o owner, root string) (string, error) {
	dir, err := os.MkdirTemp(root, "template-")
	if err != nil {
		return "", err
	}
	if err := os.Chown(dir, o.uid, o.gid); err != nil {
		return "", err
	}
	data := filepath.Join(dir, "data")
	var out bytes.Buffer
	// Trust every local connection; C locale and UTF-8, whatever the
	// machine's; no fsync of the new files.
	cmd := serverCmd(o, dir, &out, filepath.Join(bin, "initdb"),
		"-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	p, err := childproc.Start("initdb", cmd)
	if err != nil {
		return "", err
	}
	if !p.Wait(initdbTimeout) {
		p.Kill(10 * time.Second)
		return "", fmt.Errorf("pgtest: initdb did not finish in %v: %s", initdbTimeout, tail(out.Bytes()))
	}
	if _, err := p.Exited(); err != nil {
		return "", fmt.Errorf("pgtest: initdb as %s: %v: %s", o.name, err, tail(out.Bytes()))
	}
	return data, nil
}
