package mailserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is a server started in a process group of its own, so that its
// children (Dovecot's services, Postfix's daemons) can be stopped with it.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done is closed
}

// startProcess starts argv in its own process group, its output going to
// out. The kernel kills it if the test binary dies first (Pdeathsig); its
// children notice their master is gone and exit too.
func startProcess(name string, out io.Writer, env []string, argv ...string) (*process, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("mailserver: starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended, and how.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// stop kills the process group: the master and every child it started.
// The servers hold nothing the test needs afterwards, and a graceful stop
// takes seconds (Postfix's master waits for its daemons). It returns an
// error when a process of the group is still alive after timeout.
func (p *process) stop(timeout time.Duration) error {
	pgid := p.cmd.Process.Pid
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Kill(-pgid, syscall.SIGKILL)
		// Killed children of the master stay as zombies until init reaps
		// them: only live members count.
		if errors.Is(err, syscall.ESRCH) || len(liveMembers(pgid)) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mailserver: processes %v of %s (group %d) survive SIGKILL", liveMembers(pgid), p.name, pgid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	<-p.done
	return nil
}

// liveMembers returns the processes of group pgid that are not zombies,
// read from /proc.
func liveMembers(pgid int) []int {
	dirs, _ := os.ReadDir("/proc")
	var live []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, _ := strconv.Atoi(f[2]); g == pgid {
			live = append(live, pid)
		}
	}
	return live
}

// freePorts returns n distinct free TCP ports on 127.0.0.1. They are held
// until all are chosen, then released for the servers to bind.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("mailserver: free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// waitListening waits until something accepts connections on addr, or the
// process ends, or the timeout passes.
func waitListening(p *process, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if done, perr := p.exited(); done {
			return fmt.Errorf("mailserver: %s exited before listening on %s: %v", p.name, addr, perr)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mailserver: %s not listening on %s after %v: %w", p.name, addr, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
