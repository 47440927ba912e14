package childproc

import (
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestKillTree starts a shell with a child in its group and a child in a
// session of its own (as PostgreSQL's backends are): Kill kills all three
// and reaps the children, which leave no zombie.
func TestKillTree(t *testing.T) {
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("no setsid program")
	}
	p, err := Start("sh", exec.Command("sh", "-c", "sleep 300 & setsid sleep 300 & wait"))
	if err != nil {
		t.Fatal(err)
	}
	// Wait until both sleeps run, one of them in a session of its own.
	var tree, members []int
	deadline := time.Now().Add(20 * time.Second)
	for (len(tree) != 3 || len(members) != 2) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		tree, members = p.Tree(), p.Members()
	}
	if len(tree) != 3 || len(members) != 2 {
		t.Fatalf("tree %v, group %v; want the shell and its two sleeps, the shell and one sleep", tree, members)
	}
	if err := p.Kill(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	for _, pid := range tree {
		if st, ok := Stat(pid); ok {
			t.Errorf("process %d still there after Kill: %+v", pid, st)
		}
	}
	if done, _ := p.Exited(); !done {
		t.Error("Exited reports the leader running")
	}
	if err := p.Kill(time.Second); err != nil {
		t.Errorf("second Kill: %v", err)
	}
}

func TestWaitListening(t *testing.T) {
	ports, err := FreePorts(3)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, port := range ports {
		if seen[port] {
			t.Errorf("port %d twice in %v", port, ports)
		}
		seen[port] = true
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])

	// A process that exits without listening.
	p, err := Start("true", exec.Command("true"))
	if err != nil {
		t.Fatal(err)
	}
	if err := WaitListening(p, addr, time.Minute); err == nil || !strings.Contains(err.Error(), "exited before listening") {
		t.Errorf("WaitListening on a process that exited: %v", err)
	}

	// A process that runs while something listens.
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cmd := exec.Command("sleep", "300")
	cmd.Stdout = io.Discard
	p, err = Start("sleep", cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill(10 * time.Second)
	if err := WaitListening(p, addr, time.Minute); err != nil {
		t.Error(err)
	}
}
