package mssante

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mssante-go/sdk/mssante/mail"
)

// A submission server that does not advertise STARTTLS is refused with a
// *CapabilityError read from its EHLO answer, before any credential goes
// out in clear.
func TestSTARTTLSMissing(t *testing.T) {
	f := &fakeSMTP{}
	srv := smtp.NewServer(fakeSMTPBackend{f}) // no TLSConfig: no STARTTLS
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	c, err := NewClient(Config{
		Address: mail.MustParseAddress("alice.martin@medecin.mssante.fr"), Operator: Operator{SMTP: ln.Addr().String()},
		Auth: Password("alice", "secret-password"), UseSystemRoots: true, AllowAnyRecipient: true, ProductRef: "DEV935997",
		DialTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = c.Send(ctx, &mail.Message{To: []mail.Address{mail.MustParseAddress("b@ch-test.mssante.fr")}, Text: "t"})
	var ce *CapabilityError
	if !errors.As(err, &ce) || ce.Capability != "STARTTLS" || !errors.Is(err, ErrCapability) {
		t.Fatalf("Send = %v", err)
	}
	if _, auths, _ := f.stats(); auths != 0 {
		t.Fatal("credentials were sent")
	}
}

// ehloRecorder reads the capabilities from what the server sent in clear.
func TestEHLORecorder(t *testing.T) {
	for _, tt := range []struct {
		name, sent         string
		answered, starttls bool
	}{
		{"STARTTLS offered", "220-mx.example ESMTP\r\n220 ready\r\n250-mx.example Hello\r\n250-PIPELINING\r\n250-starttls\r\n250 SIZE 1000\r\n", true, true},
		{"not offered", "220 mx.example ESMTP\r\n250-mx.example Hello\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n", true, false},
		{"only in the greeting line", "220 ok\r\n250-STARTTLS here\r\n250 SIZE\r\n", true, false},
		{"HELO fallback", "220 ok\r\n502 5.5.1 no EHLO\r\n250 mx.example\r\n", true, false},
		{"answer cut", "220 ok\r\n250-mx.example Hello\r\n250-STARTTLS\r\n", false, true},
		{"refused", "220 ok\r\n421 4.3.2 shutting down\r\n", false, false},
	} {
		r := &ehloRecorder{Conn: &readConn{r: strings.NewReader(tt.sent)}}
		buf := make([]byte, 7) // small reads: the answer arrives in pieces
		for {
			if _, err := r.Read(buf); err != nil {
				break
			}
		}
		if r.answered() != tt.answered || r.offers("STARTTLS") != tt.starttls {
			t.Errorf("%s: answered %v, STARTTLS %v", tt.name, r.answered(), r.offers("STARTTLS"))
		}
	}
	// What a server sends beyond maxEHLOBytes is not kept.
	r := &ehloRecorder{Conn: &readConn{r: strings.NewReader("220 ok\r\n" + strings.Repeat("250-X\r\n", 10_000))}}
	io.Copy(io.Discard, r)
	if len(r.buf) > maxEHLOBytes {
		t.Fatalf("kept %d bytes", len(r.buf))
	}
}

// readConn is a net.Conn that only reads.
type readConn struct {
	net.Conn
	r io.Reader
}

func (c *readConn) Read(p []byte) (int, error) { return c.r.Read(p) }
