package mssante_test

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// tcpProxy stands between the client and a server of mssantetest, so that
// a test can refuse connections and cut the ones it let through: what a
// network does, which the server cannot be asked to do.
type tcpProxy struct {
	Addr    string
	target  string
	refuse  atomic.Bool // accept and close at once, before the greeting
	stall   atomic.Bool // forward nothing more, as a black-holing firewall
	mu      sync.Mutex
	conns   []net.Conn
	accepts atomic.Int64
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{Addr: ln.Addr().String(), target: target}
	t.Cleanup(func() {
		ln.Close()
		p.cut()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.accepts.Add(1)
			if p.refuse.Load() {
				c.Close()
				continue
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { p.pipe(s, c); s.Close() }()
			go func() { p.pipe(c, s); c.Close() }()
		}
	}()
	return p
}

// cut closes every connection the proxy carries.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// pipe copies src to dst until src ends; while the proxy stalls, what src
// sends is read and dropped.
func (p *tcpProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.stall.Load() {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
