package mailserver

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
)

// Cyrus logs only through syslog(3), to /dev/log. A machine without a
// syslog daemon (a container, CI) has no /dev/log and Cyrus's logs would be
// lost, so the harness listens there itself while a Cyrus runs, and sends
// each line to the log file of the Cyrus whose syslog_prefix (its instance
// name) it carries. When /dev/log is already served (a syslog daemon runs),
// the harness leaves it alone and Cyrus's logs go to the system's log.
//
// This is the only system state the harness creates: the socket is removed
// when the last Cyrus of the test binary stops.
const syslogPath = "/dev/log"

var syslogSink struct {
	mu    sync.Mutex
	conn  *net.UnixConn
	files map[string]*os.File // by instance name
	done  chan struct{}
}

// startSyslog routes the syslog lines of instance to file, listening on
// /dev/log if nobody does.
func startSyslog(instance, file string) error {
	s := &syslogSink
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		if c, err := net.Dial("unixgram", syslogPath); err == nil {
			c.Close()
			return fmt.Errorf("%s is served by a syslog daemon: see the system's log", syslogPath)
		}
		// Nobody listens: a stale socket of a killed test binary goes.
		if fi, err := os.Lstat(syslogPath); err == nil {
			if fi.Mode()&os.ModeSocket == 0 {
				return fmt.Errorf("%s exists and is not a socket", syslogPath)
			}
			os.Remove(syslogPath)
		}
		old := syscall.Umask(0)
		conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: syslogPath, Net: "unixgram"})
		syscall.Umask(old)
		if err != nil {
			return err
		}
		s.conn, s.files, s.done = conn, map[string]*os.File{}, make(chan struct{})
		go readSyslog(conn, s.done)
	}
	f, err := os.OpenFile(file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	s.files[instance] = f
	return nil
}

// stopSyslog stops routing the lines of instance, and closes /dev/log
// after the last one.
func stopSyslog(instance string) {
	s := &syslogSink
	s.mu.Lock()
	if f := s.files[instance]; f != nil {
		f.Close()
		delete(s.files, instance)
	}
	var wait chan struct{}
	if len(s.files) == 0 && s.conn != nil {
		s.conn.Close()
		os.Remove(syslogPath)
		wait = s.done
		s.conn = nil
	}
	s.mu.Unlock()
	if wait != nil {
		<-wait
	}
}

// readSyslog writes each datagram, "<PRI>Mmm dd hh:mm:ss PREFIX/name[pid]:
// text", to the file of its prefix.
func readSyslog(conn *net.UnixConn, done chan struct{}) {
	defer close(done)
	buf := make([]byte, 64<<10)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				fmt.Fprintf(os.Stderr, "mailserver: syslog: %v\n", err)
			}
			return
		}
		line := bytes.TrimRight(buf[:n], "\n\x00")
		if i := bytes.IndexByte(line, '>'); i >= 0 && line[0] == '<' {
			line = line[i+1:]
		}
		s := &syslogSink
		s.mu.Lock()
		for instance, f := range s.files {
			if bytes.Contains(line, []byte(" "+instance+"/")) {
				f.Write(append(line, '\n'))
			}
		}
		s.mu.Unlock()
	}
}
