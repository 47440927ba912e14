package mssante

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mssante-go/sdk/internal/testpki"
)

// fakeSMTP is a submission server on loopback with STARTTLS and the given
// certificate. It records what reaches it; with echo set it refuses every
// AUTH quoting the client's response, as some servers do.
type fakeSMTP struct {
	Addr string
	echo bool

	mu        sync.Mutex
	conns     int
	responses [][]byte // SASL responses received
	mails     int      // messages accepted after DATA
}

func startFakeSMTP(t *testing.T, cert tls.Certificate, echo bool) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{Addr: ln.Addr().String(), echo: echo}
	srv := smtp.NewServer(fakeSMTPBackend{f})
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.ErrorLog = log.New(io.Discard, "", 0)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return f
}

func (f *fakeSMTP) stats() (conns, auths, mails int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns, len(f.responses), f.mails
}

// received reports whether s reached the server inside a SASL response.
func (f *fakeSMTP) received(s string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.responses {
		if bytes.Contains(r, []byte(s)) {
			return true
		}
	}
	return false
}

type fakeSMTPBackend struct{ f *fakeSMTP }

func (b fakeSMTPBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	b.f.mu.Lock()
	b.f.conns++
	b.f.mu.Unlock()
	return &fakeSMTPSession{f: b.f}, nil
}

type fakeSMTPSession struct{ f *fakeSMTP }

func (s *fakeSMTPSession) AuthMechanisms() []string { return []string{sasl.Plain, "XOAUTH2"} }
func (s *fakeSMTPSession) Auth(string) (sasl.Server, error) {
	return &fakeSASLServer{f: s.f}, nil
}
func (s *fakeSMTPSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *fakeSMTPSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *fakeSMTPSession) Data(r io.Reader) error {
	io.Copy(io.Discard, r)
	s.f.mu.Lock()
	s.f.mails++
	s.f.mu.Unlock()
	return nil
}
func (s *fakeSMTPSession) Reset()        {}
func (s *fakeSMTPSession) Logout() error { return nil }

type fakeSASLServer struct{ f *fakeSMTP }

func (x *fakeSASLServer) Next(resp []byte) ([]byte, bool, error) {
	if resp == nil {
		return nil, false, nil // ask for the response
	}
	x.f.mu.Lock()
	x.f.responses = append(x.f.responses, append([]byte(nil), resp...))
	x.f.mu.Unlock()
	if x.f.echo {
		return nil, false, &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: echoText(resp)}
	}
	return nil, true, nil
}

// echoText is what an indiscreet server answers to a refused response: the
// response in base64, a truncated copy of it, and the secret it found.
func echoText(resp []byte) string {
	b64 := base64.StdEncoding.EncodeToString(resp)
	secret := string(resp)
	if i := strings.Index(secret, "Bearer "); i >= 0 {
		secret = strings.TrimRight(secret[i+len("Bearer "):], "\x01")
	} else if i := strings.LastIndexByte(secret, 0); i >= 0 {
		secret = secret[i+1:]
	}
	return "Authentication refused for " + b64 + " (start " + b64[:min(len(b64), 30)] + "…) credential=" + secret
}

// fakeIMAP is an IMAP server on loopback with implicit TLS that refuses
// every AUTHENTICATE quoting the client's response.
type fakeIMAP struct {
	Addr string
}

func startFakeIMAP(t *testing.T, cert tls.Certificate) *fakeIMAP {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serveEchoIMAP(conn)
		}
	}()
	return &fakeIMAP{Addr: ln.Addr().String()}
}

func serveEchoIMAP(conn net.Conn) {
	defer conn.Close()
	const caps = "IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=XOAUTH2"
	r := bufio.NewReader(conn)
	io.WriteString(conn, "* OK [CAPABILITY "+caps+"] fake\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		tag, cmd := f[0], strings.ToUpper(f[1])
		switch cmd {
		case "CAPABILITY":
			io.WriteString(conn, "* CAPABILITY "+caps+"\r\n"+tag+" OK done\r\n")
		case "AUTHENTICATE":
			ir := ""
			if len(f) > 3 {
				ir = f[3]
			} else {
				io.WriteString(conn, "+ \r\n")
				if ir, err = r.ReadString('\n'); err != nil {
					return
				}
				ir = strings.TrimSpace(ir)
			}
			resp, _ := base64.StdEncoding.DecodeString(ir)
			io.WriteString(conn, tag+" NO [AUTHENTICATIONFAILED] "+echoText(resp)+"\r\n")
		case "LOGOUT":
			io.WriteString(conn, "* BYE\r\n"+tag+" OK bye\r\n")
			return
		default:
			io.WriteString(conn, tag+" BAD unknown\r\n")
		}
	}
}

// testPKI returns a fresh IGC-Santé-like PKI.
func testPKI(t *testing.T) *testpki.PKI {
	t.Helper()
	p, err := testpki.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func serverCert(t *testing.T, p *testpki.PKI, hosts ...string) tls.Certificate {
	t.Helper()
	c, err := p.ServerCertificate(hosts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
