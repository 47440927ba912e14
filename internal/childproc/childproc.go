// Package childproc runs the servers that tests start as child processes
// (Dovecot, Postfix, PostgreSQL): each in a process group of its own, so
// that it can be stopped with every child it forked, and killed by the
// kernel if the test binary dies first.
package childproc

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER of prctl(2).
const prSetChildSubreaper = 36

// becomeSubreaper makes the test binary a child subreaper once.
var becomeSubreaper sync.Once

// Process is a server started in a process group of its own.
type Process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done is closed
}

// Start starts cmd in its own process group, as name in errors. The
// caller sets the command's output, environment, directory and, to run it
// as another user, SysProcAttr.Credential; Start adds Setpgid and
// Pdeathsig. The kernel kills the process if the test binary dies first
// (Pdeathsig, set after the change of user, which would clear it); its
// children notice their master is gone and exit too.
//
// The first Start makes the test binary a child subreaper (prctl(2)): the
// processes a server forked are given to the test binary, not to init,
// when the server dies, so that Kill can reap them. In a container whose
// init reaps nothing, they would otherwise stay as zombies, holding their
// pids, until the container ends.
func Start(name string, cmd *exec.Cmd) (*Process, error) {
	becomeSubreaper.Do(func() {
		// PR_SET_CHILD_SUBREAPER; if it fails, orphans go to init as
		// before.
		syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	})
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pgid = 0
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("childproc: starting %s: %w", name, err)
	}
	p := &Process{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Pid returns the process id of the leader, which is also the id of its
// process group.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the leader has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Signal sends sig to the leader alone, e.g. a server's own shutdown
// signal. Signalling a leader that has exited is not an error.
func (p *Process) Signal(sig syscall.Signal) error {
	if done, _ := p.Exited(); done {
		return nil
	}
	err := syscall.Kill(p.Pid(), sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// Wait waits until the leader has exited or timeout has passed, and
// reports whether it has exited.
func (p *Process) Wait(timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// Members returns the live (not zombie) processes of the group: the
// leader, while it runs, and the children that stayed in its group.
func (p *Process) Members() []int { return LiveMembers(p.Pid()) }

// Tree returns the live processes of the group and the live descendants of
// the leader, including those in groups of their own (PostgreSQL's
// backends each make one).
func (p *Process) Tree() []int {
	var live []int
	for pid, st := range p.tree() {
		if st.live() {
			live = append(live, pid)
		}
	}
	sort.Ints(live)
	return live
}

// tree returns the processes of the group and the descendants of the
// leader, zombies included.
func (p *Process) tree() map[int]ProcStat {
	procs := readProcs()
	pgid := p.Pid()
	in := map[int]ProcStat{}
	for pid, st := range procs {
		if st.Pgid == pgid {
			in[pid] = st
		}
	}
	// Add descendants until nothing changes; the tree is shallow.
	for grew := true; grew; {
		grew = false
		for pid, st := range procs {
			if _, ok := in[st.PPid]; ok {
				if _, ok := in[pid]; !ok {
					in[pid], grew = st, true
				}
			}
		}
	}
	return in
}

// Kill kills the leader, every process of its group and every descendant
// of the leader, and waits for the leader. It returns an error when one of
// them is still alive after timeout.
//
// The killed descendants lose their parent with the leader: they are
// given to the test binary, a child subreaper (see Start), which reaps
// them here rather than leaving zombies under an init that may never reap
// them.
func (p *Process) Kill(timeout time.Duration) error {
	pgid := p.Pid()
	if done, _ := p.Exited(); done && len(LiveMembers(pgid)) == 0 {
		// Everything is gone (the children of a leader that exited were
		// given away: no longer its descendants), and the group's id may
		// already belong to another group.
		return nil
	}
	// Stop the group first, so that the leader forks nothing while its
	// descendants are collected; they are remembered by pid, since they
	// change parent when the leader dies.
	syscall.Kill(-pgid, syscall.SIGSTOP)
	// Dead ones too: they are reaped below. A pid stays theirs until
	// then, so signalling it cannot hit another process.
	pending := map[int]bool{}
	for pid := range p.tree() {
		if pid != pgid {
			pending[pid] = true
		}
	}
	deadline := time.Now().Add(timeout)
	for {
		syscall.Kill(-pgid, syscall.SIGKILL)
		var alive []int
		for pid := range pending {
			if Alive(pid) {
				syscall.Kill(pid, syscall.SIGKILL)
				alive = append(alive, pid)
			}
		}
		// Killed processes stay as zombies until reaped: only live ones
		// count.
		alive = append(alive, LiveMembers(pgid)...)
		if len(alive) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("childproc: processes %v of %s (group %d) survive SIGKILL", alive, p.name, pgid)
		}
		time.Sleep(5 * time.Millisecond)
	}
	<-p.done
	// The leader is dead: its children, dead too, are now the test
	// binary's zombies.
	self := os.Getpid()
	for pid := range pending {
		if st, ok := Stat(pid); ok && st.PPid == self && !st.live() {
			syscall.Wait4(pid, nil, syscall.WNOHANG, nil)
		}
	}
	return nil
}

// ProcStat is what /proc/PID/stat says of a process.
type ProcStat struct {
	State string // R, S, D, T, Z...
	PPid  int    // parent
	Pgid  int    // process group
}

func (st ProcStat) live() bool { return st.State != "Z" && st.State != "X" }

// Stat returns what /proc says of pid, and false if there is no such
// process.
func Stat(pid int) (ProcStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ProcStat{}, false
	}
	// pid (comm) state ppid pgrp ...; comm may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ProcStat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 3 {
		return ProcStat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	pgid, _ := strconv.Atoi(f[2])
	return ProcStat{State: f[0], PPid: ppid, Pgid: pgid}, true
}

// Alive reports whether pid is a process that is not a zombie.
func Alive(pid int) bool {
	st, ok := Stat(pid)
	return ok && st.live()
}

// readProcs returns every process of /proc.
func readProcs() map[int]ProcStat {
	dirs, _ := os.ReadDir("/proc")
	procs := map[int]ProcStat{}
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if st, ok := Stat(pid); ok {
			procs[pid] = st
		}
	}
	return procs
}

// LiveMembers returns the processes of group pgid that are not zombies,
// read from /proc.
func LiveMembers(pgid int) []int {
	var live []int
	for pid, st := range readProcs() {
		if st.Pgid == pgid && st.live() {
			live = append(live, pid)
		}
	}
	sort.Ints(live)
	return live
}

// FreePorts returns n distinct free TCP ports on 127.0.0.1. They are held
// until all are chosen, then released for the servers to bind.
func FreePorts(n int) ([]int, error) {
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
			return nil, fmt.Errorf("childproc: free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// WaitListening waits until something accepts connections on addr, or the
// process ends, or the timeout passes.
func WaitListening(p *Process, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if done, perr := p.Exited(); done {
			return fmt.Errorf("childproc: %s exited before listening on %s: %v", p.name, addr, perr)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("childproc: %s not listening on %s after %v: %w", p.name, addr, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
